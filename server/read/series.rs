//! A service's reports over time, with the baseline behind them.
//!
//! Steps of 15 minutes and more come from the Postgres rollups for every quarter the rollups
//! hold completely and from the Redis minute buckets after that; finer steps need the minute
//! buckets, so they are only served within the hot window. Each report is in exactly one
//! step: the two sources meet at the rollup watermark, on a quarter boundary.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::HOT_WINDOW_MINUTES;
use crate::detect::baseline::{push_quarters, Baseline};
use crate::detect::config::DetectConfig;
use crate::store::{quarter_of, BucketStore, RollupStore, StoreError};

/// Most points one series answer may hold.
pub const MAX_POINTS: i64 = 2000;

/// One step of a series.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Point {
    pub t: DateTime<Utc>,
    /// Counted reports in the step.
    pub reports: i64,
    /// Distinct reporters in the step (global series from the minute buckets: HyperLogLog;
    /// from rollups: summed per quarter); none for a country from the minute buckets.
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

/// Computes the series.
pub async fn series(
    req: &SeriesRequest,
    now: DateTime<Utc>,
    buckets: &dyn BucketStore,
    rollups: &dyn RollupStore,
    cfg: &DetectConfig,
) -> Result<Vec<Point>, SeriesError> {
    let (from, to) = align(req, now)?;
    let step = req.step_minutes;
    // Rollups cover whole quarters before the watermark; the minute buckets the rest.
    let watermark = rollups.watermark().await?.map(quarter_of);
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
        let rows = rollups
            .history(Some(std::slice::from_ref(&req.service)), from, split)
            .await?;
        let mut per_step: HashMap<DateTime<Utc>, (i64, i64)> = HashMap::new();
        for row in rows
            .iter()
            .filter(|r| req.country.as_ref().is_none_or(|c| &r.country == c))
        {
            let e = per_step.entry(floor_to(row.bucket, step)).or_default();
            e.0 += i64::from(row.reports);
            e.1 += i64::from(row.unique_reporters);
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
        let (counts, unique) = buckets
            .minute_series(&req.service, &minutes, &field, step as usize)
            .await?;
        for (i, chunk) in counts.chunks(step as usize).enumerate() {
            let t = split + TimeDelta::minutes(step * i as i64);
            let u = req
                .country
                .is_none()
                .then(|| unique.get(i).copied().unwrap_or(0));
            points.push((t, chunk.iter().sum(), u, "buckets"));
        }
    }

    let baseline = learn(req, to, watermark, rollups, cfg).await?;
    // The baseline answers per 15-minute slot: work it out once per slot, not per minute.
    let mut last: Option<(i64, f64, (f64, f64))> = None;
    let mut per_minute = |at: DateTime<Utc>| {
        let slot = Baseline::slot_of(at);
        match last {
            Some((s, e, band)) if s == slot => (e, band),
            _ => {
                let (e, band) = (
                    baseline.expected_per_minute(at),
                    baseline.band_per_minute(at),
                );
                last = Some((slot, e, band));
                (e, band)
            }
        }
    };
    Ok(points
        .into_iter()
        .map(|(t, reports, unique_reporters, source)| {
            let (mut expected, mut low, mut high) = (0.0, 0.0, 0.0);
            for m in 0..step {
                let (e, (l, h)) = per_minute(t + TimeDelta::minutes(m));
                expected += e;
                low += l;
                high += h;
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

/// The baseline of the series, learnt from the rollups before `until` (as the detector does).
async fn learn(
    req: &SeriesRequest,
    until: DateTime<Utc>,
    watermark: Option<DateTime<Utc>>,
    rollups: &dyn RollupStore,
    cfg: &DetectConfig,
) -> Result<Baseline, StoreError> {
    let mut baseline = Baseline::new(cfg);
    let end = quarter_of(until).min(watermark.unwrap_or(until));
    let Some(first) = rollups.history_start().await? else {
        return Ok(baseline);
    };
    let start = first.max(end - TimeDelta::days(i64::from(cfg.history_days)));
    if start >= end {
        return Ok(baseline);
    }
    let quarters: HashMap<DateTime<Utc>, i64> = rollups
        .quarter_totals(&req.service, req.country.as_deref(), start, end)
        .await?
        .into_iter()
        .collect();
    push_quarters(
        &mut baseline,
        start,
        end,
        |t| quarters.get(&t).copied().unwrap_or(0) as f64,
        |_| false,
    );
    Ok(baseline)
}
