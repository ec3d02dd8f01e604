//! The methods compared: the Downwatch variants (each through the detector's own code path)
//! and the two baselines, and how each turns a labelled series into decisions.

use downwatch::detect::{replay_rows, DetectConfig, Method as DetectMethod, ReplayOptions};

use super::baselines::{self, Baseline};
use super::series::{buckets, mins, Decision, LabelledSeries, Row};

/// The Downwatch methods under evaluation, by name. Add a variant here and every table,
/// target and test of `bench/quality` includes it.
pub fn variants() -> Vec<(&'static str, DetectConfig)> {
    let mut all = vec![
        (
            "dw-detect-1",
            DetectConfig::for_method(DetectMethod::DwDetect1),
        ),
        (
            "dw-detect-2",
            DetectConfig::for_method(DetectMethod::DwDetect2),
        ),
    ];
    all.extend(extra_variants());
    all
}

/// Variants to try beside the published ones, for tuning by hand:
/// `DW_QUALITY_VARIANTS="name=file.toml,other=file2.toml"` (any `DetectConfig` fields).
fn extra_variants() -> Vec<(&'static str, DetectConfig)> {
    let Ok(list) = std::env::var("DW_QUALITY_VARIANTS") else {
        return Vec::new();
    };
    list.split(',')
        .filter_map(|item| item.split_once('='))
        .filter_map(|(name, path)| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| eprintln!("{path}: {e}"))
                .ok()?;
            let cfg = DetectConfig::from_toml(&text)
                .map_err(|e| eprintln!("{path}: {e}"))
                .ok()?;
            Some((&*Box::leak(name.to_owned().into_boxed_str()), cfg))
        })
        .collect()
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

/// A Downwatch variant's decisions, one per observed bucket.
fn downwatch(rows: &[Row], bucket_minutes: u32, cfg: &DetectConfig) -> Vec<Decision> {
    let len = mins(i64::from(bucket_minutes.max(1)));
    let mut out: Vec<Decision> = Vec::new();
    // Exactly `downwatch replay`'s engine: the same bucketing, gaps and repeats.
    let opts = ReplayOptions {
        bucket_minutes: Some(bucket_minutes),
        sort: true,
        zone: None,
    };
    let decisions = match replay_rows(rows, &opts, cfg) {
        Ok(decisions) => decisions,
        Err(e) => {
            eprintln!("replay refused a series: {e}");
            return out;
        }
    };
    for d in decisions {
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
