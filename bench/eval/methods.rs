//! The methods compared: the Downwatch variants (each through the detector's own code path)
//! and the two baselines, and how each turns a labelled series into decisions.

use chrono::{DateTime, Utc};
use downwatch::detect::{DetectConfig, SeriesDetector, State};

use super::baselines::{self, Baseline};
use super::series::{bucket_start, buckets, mins, Decision, LabelledSeries, Row};

/// The Downwatch methods under evaluation, by name. Add a variant here and every table,
/// target and test of `bench/quality` includes it.
pub fn variants() -> Vec<(&'static str, DetectConfig)> {
    vec![("dw-detect-1", DetectConfig::default())]
}

/// A method of the comparison.
#[derive(Debug, Clone)]
pub enum Method {
    Downwatch {
        name: &'static str,
        cfg: DetectConfig,
    },
    Baseline(Baseline),
}

impl Method {
    /// The name in the tables.
    pub fn name(&self) -> &'static str {
        match self {
            Method::Downwatch { name, .. } => name,
            Method::Baseline(b) => b.name,
        }
    }

    /// True for Downwatch's own methods (judged against the targets).
    pub fn is_downwatch(&self) -> bool {
        matches!(self, Method::Downwatch { .. })
    }

    /// The method's decisions over a series, one per observed bucket, in time order.
    pub fn run(&self, series: &LabelledSeries) -> Vec<Decision> {
        match self {
            Method::Downwatch { cfg, .. } => downwatch(&series.rows, series.bucket_minutes, cfg),
            Method::Baseline(b) => baselines::run(
                b,
                &buckets(&series.rows, series.bucket_minutes),
                series.bucket_minutes,
            ),
        }
    }
}

/// Every Downwatch variant, then the windowed Gaussian and the rolling median/MAD.
pub fn all() -> Vec<Method> {
    variants()
        .into_iter()
        .map(|(name, cfg)| Method::Downwatch { name, cfg })
        .chain([
            Method::Baseline(baselines::gaussian()),
            Method::Baseline(baselines::mad()),
        ])
        .collect()
}

/// Downwatch's decision for one input row (the shape of `detect::replay::RowDecision`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowDecision {
    pub bucket_start: DateTime<Utc>,
    pub anomaly: f64,
    /// `None` when the row's bucket holds no known value (not observed).
    pub state: Option<State>,
}

// replaced by detect::replay::replay_rows once it lands
/// Buckets the rows like `downwatch replay` (floor to the bucket, sum repeats, skip gaps),
/// feeds each bucket to [`SeriesDetector::observe`] and gives every row its bucket's decision.
pub fn replay_rows(rows: &[Row], bucket_minutes: u32, cfg: &DetectConfig) -> Vec<RowDecision> {
    let mut detector = SeriesDetector::new(cfg.clone());
    let decided: Vec<(DateTime<Utc>, f64, State)> = buckets(rows, bucket_minutes)
        .into_iter()
        .map(|b| {
            let step = detector.observe(b.start, bucket_minutes, b.value);
            (b.start, step.score.anomaly, step.state)
        })
        .collect();
    let mut next = decided.iter().peekable();
    rows.iter()
        .map(|&(at, _)| {
            let start = bucket_start(at, bucket_minutes);
            while next.next_if(|d| d.0 < start).is_some() {}
            match next.peek() {
                Some(&&(s, anomaly, state)) if s == start => RowDecision {
                    bucket_start: start,
                    anomaly,
                    state: Some(state),
                },
                _ => RowDecision {
                    bucket_start: start,
                    anomaly: 0.0,
                    state: None,
                },
            }
        })
        .collect()
}

/// A Downwatch variant's decisions, one per observed bucket.
fn downwatch(rows: &[Row], bucket_minutes: u32, cfg: &DetectConfig) -> Vec<Decision> {
    let len = mins(i64::from(bucket_minutes.max(1)));
    let mut out: Vec<Decision> = Vec::new();
    for d in replay_rows(rows, bucket_minutes, cfg) {
        let Some(state) = d.state else { continue };
        let at = d.bucket_start + len;
        if out.last().is_some_and(|last| last.at == at) {
            continue;
        }
        out.push(Decision {
            at,
            score: d.anomaly,
            state,
        });
    }
    out
}
