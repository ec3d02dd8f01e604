//! A labelled series as the evaluation sees it: rows as exported (irregular, with repeats and
//! gaps), the nominal bucket length, and the labelled events (outages that must be caught,
//! viral bursts that must not become incidents). Also the bucketing every method shares, and
//! the decisions a method takes, one per observed bucket.

use chrono::{DateTime, Duration, Utc};
use downwatch::detect::State;

/// One exported row: a timestamp and a value, `None` when the export says "unknown".
pub type Row = (DateTime<Utc>, Option<f64>);

/// What a labelled event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A real outage: it must be caught (an incident, i.e. an entry into "problems").
    Outage,
    /// A viral "is X down?" burst with nothing down: it must not reach "problems".
    Burst,
}

/// A labelled stretch of time, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub kind: EventKind,
    /// Simulated outages only: the first minute whose expected rate is at least 5 times
    /// normal (the detection target counts from here).
    pub five_x: Option<DateTime<Utc>>,
}

impl Event {
    /// Length in whole minutes.
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// A series with its labels.
#[derive(Debug, Clone)]
pub struct LabelledSeries {
    /// `real/<file>` or `sim/<size>-<zone>-s<replica>`.
    pub name: String,
    /// Rows in time order (repeats and gaps allowed).
    pub rows: Vec<Row>,
    /// Nominal length of a row, in minutes.
    pub bucket_minutes: u32,
    pub events: Vec<Event>,
    /// Judged from here on: decisions and events before it are the methods' warm-up.
    pub eval_from: DateTime<Utc>,
    /// Simulated services: reports on an average weekday (the size the targets name).
    pub per_day: Option<f64>,
}

impl LabelledSeries {
    /// Labelled events of one kind that start once the series is judged.
    pub fn judged(&self, kind: EventKind) -> impl Iterator<Item = &Event> + '_ {
        self.events
            .iter()
            .filter(move |e| e.kind == kind && e.start >= self.eval_from)
    }

    /// Judged time, in weeks (calendar time from `eval_from` to the last row, gaps included).
    pub fn judged_weeks(&self) -> f64 {
        let last = self.rows.last().map_or(self.eval_from, |r| r.0);
        ((last - self.eval_from).num_minutes().max(0) as f64) / (7.0 * 1440.0)
    }
}

/// One bucket: its start and the sum of its known rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub start: DateTime<Utc>,
    pub value: f64,
}

/// The start of the `bucket_minutes` bucket holding `at` (buckets aligned on the Unix epoch).
pub fn bucket_start(at: DateTime<Utc>, bucket_minutes: u32) -> DateTime<Utc> {
    let len = i64::from(bucket_minutes.max(1)) * 60;
    let secs = at.timestamp().div_euclid(len) * len;
    DateTime::from_timestamp(secs, 0).unwrap_or(at)
}

/// Rows to buckets, as `downwatch replay` does: each row floored to its bucket, repeats and
/// rows closer than the bucket summed, unknown rows and absent buckets skipped (a gap is not
/// zero). Rows must be in time order.
pub fn buckets(rows: &[Row], bucket_minutes: u32) -> Vec<Bucket> {
    let mut out: Vec<Bucket> = Vec::new();
    let mut current: Option<(DateTime<Utc>, Option<f64>)> = None;
    for &(at, value) in rows {
        let start = bucket_start(at, bucket_minutes);
        match &mut current {
            Some((s, sum)) if *s == start => {
                if let Some(v) = value {
                    *sum = Some(sum.unwrap_or(0.0) + v);
                }
            }
            _ => {
                if let Some((s, Some(v))) = current {
                    out.push(Bucket { start: s, value: v });
                }
                current = Some((start, value));
            }
        }
    }
    if let Some((s, Some(v))) = current {
        out.push(Bucket { start: s, value: v });
    }
    out
}

/// What a method decided at the end of one bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    /// End of the bucket: when the decision is known.
    pub at: DateTime<Utc>,
    /// The method's continuous score (Downwatch: `anomaly`, 0–1; baselines: z).
    pub score: f64,
    pub state: State,
}

/// Minutes from `from` to `to` (negative when `to` is earlier).
pub fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_minutes()
}

/// `minutes` minutes as a duration.
pub fn mins(minutes: i64) -> Duration {
    Duration::minutes(minutes)
}
