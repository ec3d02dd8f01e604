//! A service's reports over time, with the baseline behind them.
//!
//! Steps of 15 minutes and more come from the Postgres rollups for every quarter the rollups
//! hold completely and from the Redis minute buckets after that; finer steps need the minute
//! buckets, so they are only served within the hot window. Each report is in exactly one
//! step: the two sources meet at the rollup watermark, on a quarter boundary.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::expected::{ExpectedCache, SlotLevel};
use super::HOT_WINDOW_MINUTES;
use crate::detect::baseline::Baseline;
use crate::detect::config::DetectConfig;
use crate::store::{quarter_of, BucketStore, MinuteSeries, RollupStore, StoreError};

/// Most points one series answer may hold.
pub const MAX_POINTS: i64 = 2000;

/// One step of a series.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Point {
    pub t: DateTime<Utc>,
    /// Counted reports in the step.
    pub reports: i64,
    /// Distinct reporters in the step: from the minute buckets, as many as `reports` for
    /// steps within the dedupe window (a reporter is counted once per service in it), else
    /// a HyperLogLog estimate; from rollups, summed per quarter; none for a country from
    /// the minute buckets.
    pub unique_reporters: Option<i64>,
    /// Expected counted reports in the step, and a band of normal variation around it.
    pub expected: f64,
    pub expected_low: f64,
    pub expected_high: f64,
    /// Where the figures come from: `buckets` (Redis) or `rollups` (Postgres).
    pub source: &'static str,
}

/// Why a series cannot be answered as asked.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct SeriesRequest {
    pub service: String,
    pub country: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub step_minutes: i64,
}

fn floor_to(t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    let secs = t.timestamp() - t.timestamp().rem_euclid(minutes * 60);
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

/// Aligns the request on its step and checks it can be answered.
pub fn align(
    req: &SeriesRequest,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), SeriesError> {
    let step = req.step_minutes;
    let from = floor_to(req.from, step);
    let mut to = floor_to(req.to, step);
    if to < req.to {
        to += TimeDelta::minutes(step);
    }
    if from >= to {
        return Err(SeriesError::Invalid {
            field: "from",
            reason: "must be before to".into(),
        });
    }
    if step < 15 && from < now - TimeDelta::minutes(HOT_WINDOW_MINUTES) {
        return Err(SeriesError::Invalid {
            field: "step",
            reason: "steps under 15m are kept for the last 25 hours only; use 15m or 1h".into(),
        });
    }
    let points = (to - from).num_minutes() / step;
    if points > MAX_POINTS {
        return Err(SeriesError::Invalid {
            field: "to",
            reason: format!(
                "{points} steps asked; at most {MAX_POINTS}: narrow the range or widen the step"
            ),
        });
    }
    Ok((from, to))
}

/// What a series is read from.
pub struct Sources<'a> {
    pub buckets: &'a dyn BucketStore,
    pub rollups: &'a dyn RollupStore,
    pub expected: &'a ExpectedCache,
    pub detect: &'a DetectConfig,
    /// The abuse gate's dedupe window: within it a reporter is counted once per service.
    pub dedupe_secs: u64,
}

/// Computes the series.
pub async fn series(
    req: &SeriesRequest,
    now: DateTime<Utc>,
    src: &Sources<'_>,
) -> Result<Vec<Point>, SeriesError> {
    let (from, to) = align(req, now)?;
    let step = req.step_minutes;
    // Rollups cover whole quarters before the watermark; the minute buckets the rest.
    let watermark = src.rollups.watermark().await?.map(quarter_of);
    // The step holding the watermark comes wholly from the minute buckets.
    let split = match watermark {
        Some(w) if step >= 15 => floor_to(w, step).clamp(from, to),
        _ => from,
    };
    let field = match &req.country {
        Some(c) => format!("cc:{c}"),
        None => "total".to_owned(),
    };

    let mut points: Vec<(DateTime<Utc>, i64, Option<i64>, &'static str)> = Vec::new();
    if split > from {
        let quarters = src
            .rollups
            .quarter_totals(&req.service, req.country.as_deref(), from, split)
            .await?;
        let mut per_step: HashMap<DateTime<Utc>, (i64, i64)> = HashMap::new();
        for q in quarters {
            let e = per_step.entry(floor_to(q.quarter, step)).or_default();
            e.0 += q.reports;
            e.1 += q.unique_reporters;
        }
        let mut t = from;
        while t < split {
            let (reports, unique) = per_step.get(&t).copied().unwrap_or_default();
            points.push((t, reports, Some(unique), "rollups"));
            t += TimeDelta::minutes(step);
        }
    }
    if split < to {
        let minutes: Vec<DateTime<Utc>> = (0..(to - split).num_minutes())
            .map(|i| split + TimeDelta::minutes(i))
            .collect();
        // Within the dedupe window every counted report is a distinct reporter, so a step no
        // longer than it has as many unique reporters as counted reports: exact, and no
        // HyperLogLog to read.
        let counted_once = step * 60 <= i64::try_from(src.dedupe_secs).unwrap_or(i64::MAX);
        let unique_per = (req.country.is_none() && !counted_once).then_some(step as usize);
        let MinuteSeries { counts, unique } = src
            .buckets
            .minute_series(&req.service, &minutes, &field, unique_per)
            .await?;
        for (i, chunk) in counts.chunks(step as usize).enumerate() {
            let t = split + TimeDelta::minutes(step * i as i64);
            let reports = chunk.iter().sum();
            let unique_reporters = match (&req.country, unique_per) {
                (Some(_), _) => None,
                (None, None) => Some(reports),
                (None, Some(_)) => Some(unique.get(i).copied().unwrap_or(0)),
            };
            points.push((t, reports, unique_reporters, "buckets"));
        }
    }

    // The baseline is learnt from the rollups before `to`, as the detector would have.
    let end = quarter_of(to).min(watermark.unwrap_or(to));
    let expected = src
        .expected
        .get(
            src.rollups,
            src.detect,
            &req.service,
            req.country.as_deref(),
            end,
        )
        .await?;
    // The level is the same for every minute of a 15-minute slot: look it up once per slot.
    let mut last: Option<(i64, SlotLevel)> = None;
    let mut per_minute = |at: DateTime<Utc>| {
        let slot = Baseline::slot_of(at);
        match last {
            Some((s, level)) if s == slot => level,
            _ => {
                let level = expected.per_minute(at);
                last = Some((slot, level));
                level
            }
        }
    };
    Ok(points
        .into_iter()
        .map(|(t, reports, unique_reporters, source)| {
            let (mut expected, mut low, mut high) = (0.0, 0.0, 0.0);
            for m in 0..step {
                let level = per_minute(t + TimeDelta::minutes(m));
                expected += level.expected;
                low += level.low;
                high += level.high;
            }
            Point {
                t,
                reports,
                unique_reporters,
                expected: round2(expected),
                expected_low: round2(low),
                expected_high: round2(high),
                source,
            }
        })
        .collect())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
