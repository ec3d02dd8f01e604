//! Rows into buckets, buckets into the detector: the one engine behind every replay.
//!
//! The bucket length is given, or inferred from the median spacing of the first rows (zero
//! and negative spacings ignored). Buckets are aligned to the epoch, so that a row at 10:07
//! of a 5-minute series counts in the 10:05 bucket wherever the series starts. Rows of the
//! same bucket are summed; a bucket is scored when the next one starts (or at the end), and
//! only when at least one of its rows has a value. Absent buckets are never fed as zeros.

use chrono::{DateTime, SecondsFormat, Utc};

use super::super::config::DetectConfig;
use super::super::series::SeriesDetector;
use super::{ReplayError, ReplaySummary, RowDecision, MAX_BUCKET_MINUTES};

/// Positive spacings that are enough to infer the bucket.
const INFER_SPACINGS: usize = 10_000;
/// Rows read ahead at most to infer the bucket (many may share a timestamp).
const INFER_MAX_ROWS: usize = 50_000;
/// Usual bucket lengths, in minutes: a median within [`SNAP_TOLERANCE`] of one is taken as it.
const COMMON_MINUTES: [u32; 8] = [1, 2, 5, 10, 15, 30, 60, 1440];
/// Relative distance below which an inferred length snaps to a usual one.
const SNAP_TOLERANCE: f64 = 0.2;

/// `minutes` if it is a valid bucket length.
pub(super) fn check_bucket(minutes: u32) -> Result<u32, ReplayError> {
    if minutes == 0 || minutes > MAX_BUCKET_MINUTES {
        return Err(ReplayError::BadBucket(format!(
            "{minutes} minutes; use 1 to {MAX_BUCKET_MINUTES}"
        )));
    }
    Ok(minutes)
}

/// Start of the `minutes`-long bucket holding `at`, buckets being aligned to the epoch.
/// `None` only at the very edge of chrono's range.
pub(super) fn bucket_start(at: DateTime<Utc>, minutes: u32) -> Option<DateTime<Utc>> {
    let len = i64::from(minutes) * 60;
    DateTime::from_timestamp(at.timestamp().div_euclid(len) * len, 0)
}

/// The spacings between consecutive rows, for inferring the bucket length.
#[derive(Debug, Default)]
pub(super) struct Spacings {
    previous: Option<DateTime<Utc>>,
    millis: Vec<i64>,
    rows: usize,
}

impl Spacings {
    /// Takes the next row's timestamp.
    pub(super) fn add(&mut self, at: DateTime<Utc>) {
        if let Some(previous) = self.previous {
            let ms = (at - previous).num_milliseconds();
            if ms > 0 {
                self.millis.push(ms);
            }
        }
        self.previous = Some(at);
        self.rows += 1;
    }

    /// Whether more rows would not change the inference much.
    pub(super) fn enough(&self) -> bool {
        self.millis.len() >= INFER_SPACINGS || self.rows >= INFER_MAX_ROWS
    }

    /// The median spacing, snapped to a usual length when near one, else rounded to a whole
    /// minute (at least 1); 1 minute when no two rows are apart.
    pub(super) fn bucket(mut self) -> Result<u32, ReplayError> {
        if self.millis.is_empty() {
            return Ok(1);
        }
        let mid = (self.millis.len() - 1) / 2;
        let (_, median, _) = self.millis.select_nth_unstable(mid);
        let minutes = *median as f64 / 60_000.0;
        let snapped = COMMON_MINUTES
            .iter()
            .map(|&c| (c, (minutes - f64::from(c)).abs() / f64::from(c)))
            .filter(|&(_, distance)| distance < SNAP_TOLERANCE)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, _)| c);
        if let Some(c) = snapped {
            return Ok(c);
        }
        let rounded = minutes.round().max(1.0);
        if rounded > f64::from(MAX_BUCKET_MINUTES) {
            return Err(ReplayError::BadBucket(format!(
                "rows are a median {rounded} minutes apart; replay handles buckets of at most \
                 {MAX_BUCKET_MINUTES} minutes (a day)"
            )));
        }
        Ok(rounded as u32)
    }
}

/// The bucket being filled.
#[derive(Debug)]
struct Open {
    start: DateTime<Utc>,
    sum: f64,
    values: usize,
}

/// Sums rows into buckets and scores each complete bucket with a [`SeriesDetector`].
pub(super) struct Engine {
    detector: SeriesDetector,
    minutes: u32,
    open: Option<Open>,
    /// Timestamp of the last row, for the error of a row that goes back.
    last_at: Option<DateTime<Utc>>,
    /// Start of the last bucket that was scored.
    last_scored: Option<DateTime<Utc>>,
    buckets: usize,
    missing_buckets: usize,
    merged_rows: usize,
    transitions: usize,
}

impl Engine {
    /// An engine with a fresh detector and `minutes`-long buckets.
    pub(super) fn new(cfg: &DetectConfig, minutes: u32, zone: Option<chrono_tz::Tz>) -> Self {
        Self {
            detector: SeriesDetector::in_zone(cfg.clone(), zone),
            minutes,
            open: None,
            last_at: None,
            last_scored: None,
            buckets: 0,
            missing_buckets: 0,
            merged_rows: 0,
            transitions: 0,
        }
    }

    /// Adds a row (its value checked: finite and non-negative, or `None` when missing). When
    /// the row starts a new bucket, returns the decision of the bucket it closes, which is
    /// that of every row added since the previous decision.
    pub(super) fn push(
        &mut self,
        line: usize,
        at: DateTime<Utc>,
        value: Option<f64>,
    ) -> Result<Option<RowDecision>, ReplayError> {
        let start = bucket_start(at, self.minutes)
            .filter(|_| super::read::supported(at))
            .ok_or_else(|| ReplayError::BadTimestamp {
                line,
                value: format_time(at),
            })?;
        let same_bucket = match &self.open {
            Some(open) if start < open.start => {
                return Err(ReplayError::NotIncreasing {
                    line,
                    previous: self.last_at.map(format_time).unwrap_or_default(),
                    current: format_time(at),
                    bucket_minutes: self.minutes,
                });
            }
            Some(open) => start == open.start,
            None => false,
        };
        let mut closed = None;
        if !same_bucket {
            closed = self.close();
            self.open = Some(Open {
                start,
                sum: 0.0,
                values: 0,
            });
        }
        self.last_at = Some(at);
        if let (Some(open), Some(v)) = (&mut self.open, value) {
            let sum = open.sum + v;
            if !sum.is_finite() {
                return Err(ReplayError::BadValue {
                    line,
                    value: v.to_string(),
                    reason: "too large: the sum of its bucket is not a finite number",
                });
            }
            open.sum = sum;
            open.values += 1;
        }
        Ok(closed)
    }

    /// Closes the last bucket; returns its decision, if any row was added since the previous.
    pub(super) fn finish(&mut self) -> Option<RowDecision> {
        self.close()
    }

    /// What the engine did, for `rows` rows.
    pub(super) fn summary(&self, rows: usize) -> ReplaySummary {
        ReplaySummary {
            rows,
            bucket_minutes: self.minutes,
            transitions: self.transitions,
            buckets: self.buckets,
            missing_buckets: self.missing_buckets,
            merged_rows: self.merged_rows,
        }
    }

    fn close(&mut self) -> Option<RowDecision> {
        let open = self.open.take()?;
        if open.values == 0 {
            return Some(RowDecision {
                bucket_start: open.start,
                anomaly: f64::NAN,
                state: None,
            });
        }
        let len = i64::from(self.minutes) * 60;
        if let Some(last) = self.last_scored {
            let slots = (open.start - last).num_seconds() / len;
            self.missing_buckets += usize::try_from(slots - 1).unwrap_or(0);
        }
        self.last_scored = Some(open.start);
        self.buckets += 1;
        if open.values > 1 {
            self.merged_rows += open.values;
        }
        let step = self.detector.observe(open.start, self.minutes, open.sum);
        self.transitions += usize::from(step.transition.is_some());
        Some(RowDecision {
            bucket_start: open.start,
            anomaly: step.score.anomaly,
            state: Some(step.state),
        })
    }
}

fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn infer(spacings_s: &[i64]) -> Result<u32, ReplayError> {
        let mut s = Spacings::default();
        let mut at = DateTime::from_timestamp(1_800_000_000, 0).expect("valid");
        s.add(at);
        for &d in spacings_s {
            at += TimeDelta::seconds(d);
            s.add(at);
        }
        s.bucket()
    }

    #[test]
    fn the_bucket_is_the_median_spacing_snapped_to_a_usual_length() {
        assert_eq!(infer(&[]).expect("one row"), 1);
        assert_eq!(infer(&[0, 0]).expect("duplicates only"), 1);
        assert_eq!(infer(&[30, 30, 30]).expect("sub-minute"), 1);
        assert_eq!(infer(&[540, 560, 600, 640]).expect("9-11 min"), 10);
        assert_eq!(
            infer(&[240, 240, 240]).expect("4 min"),
            4,
            "20% off 5: kept"
        );
        assert_eq!(infer(&[1140; 5]).expect("19 min"), 19);
        assert_eq!(infer(&[86_400, 86_400]).expect("daily"), 1440);
        assert_eq!(infer(&[-3600, 300, 300, 0, 300]).expect("DST"), 5);
        let err = infer(&[7 * 86_400; 3]).expect_err("weekly");
        assert!(err.to_string().contains("10080 minutes"), "{err}");
    }

    #[test]
    fn buckets_are_aligned_to_the_epoch() {
        let at = DateTime::parse_from_rfc3339("2026-03-29T01:07:59Z")
            .expect("valid")
            .to_utc();
        let start = |m| bucket_start(at, m).expect("in range").to_rfc3339();
        assert_eq!(start(5), "2026-03-29T01:05:00+00:00");
        assert_eq!(start(60), "2026-03-29T01:00:00+00:00");
        assert_eq!(start(1440), "2026-03-29T00:00:00+00:00");
        let early = DateTime::from_timestamp(-90, 0).expect("1969");
        assert_eq!(bucket_start(early, 1).expect("ok").timestamp(), -120);
    }
}
