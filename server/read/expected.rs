//! The expected level behind a series, learnt once per service and rollup watermark.
//!
//! A series' baseline is learnt from the rollups before the watermark (the detector's
//! method), so it is the same for every reader of one service until the next quarter is
//! rolled up. Learning it is most of a series answer's cost (`bench/read`: a month of
//! quarters to load and a trimmed mean per slot), so it is kept, and so is the level of each
//! 15-minute slot once it has been asked for.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::detect::baseline::{push_quarters, Baseline};
use crate::detect::config::DetectConfig;
use crate::detect::zones::country_zone;
use crate::store::{RollupStore, StoreError};
use crate::sync::lock;

/// The expected counted reports per minute in one 15-minute slot, and the band of normal
/// variation around it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotLevel {
    pub expected: f64,
    pub low: f64,
    pub high: f64,
}

/// A learnt baseline and the slot levels read from it so far.
pub struct Expected {
    baseline: Baseline,
    slots: Mutex<HashMap<i64, SlotLevel>>,
}

impl Expected {
    fn new(baseline: Baseline) -> Self {
        Self {
            baseline,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The level per minute at `at` (the same for every minute of its slot).
    pub fn per_minute(&self, at: DateTime<Utc>) -> SlotLevel {
        let slot = Baseline::slot_of(at);
        let mut slots = lock(&self.slots);
        // A long series asks for many slots: keep at most a month of them.
        if slots.len() >= SLOTS_KEPT {
            slots.clear();
        }
        *slots.entry(slot).or_insert_with(|| {
            let (low, high) = self.baseline.band_per_minute(at);
            SlotLevel {
                expected: self.baseline.expected_per_minute(at),
                low,
                high,
            }
        })
    }
}

/// Slot levels kept per baseline (31 days of quarters).
const SLOTS_KEPT: usize = 31 * 96;

/// Baselines kept at most (~10 KiB each, plus their slots): more than the services a node's
/// readers look at within a quarter, usually.
const ENTRIES: usize = 1024;

/// (service, country, end of the history learnt from).
type Key = (String, Option<String>, DateTime<Utc>);

/// The baselines of the series being read.
#[derive(Default)]
pub struct ExpectedCache {
    entries: Mutex<HashMap<Key, Arc<Expected>>>,
}

impl ExpectedCache {
    /// The baseline of `service` (in `country`, or everywhere) learnt from the rollups of the
    /// `cfg.history_days` before `end` (a quarter boundary no later than the watermark),
    /// loaded once per key. Rollups before the watermark do not change, so neither does it.
    pub async fn get(
        &self,
        rollups: &dyn RollupStore,
        cfg: &DetectConfig,
        service: &str,
        country: Option<&str>,
        end: DateTime<Utc>,
    ) -> Result<Arc<Expected>, StoreError> {
        let key = (service.to_owned(), country.map(str::to_owned), end);
        if let Some(hit) = lock(&self.entries).get(&key) {
            return Ok(hit.clone());
        }
        // Two readers missing at once both learn: rare (one service, once a quarter), harmless.
        let learnt = Arc::new(Expected::new(
            learn(rollups, cfg, service, country, end).await?,
        ));
        let mut entries = lock(&self.entries);
        if entries.len() >= ENTRIES {
            // Baselines of an older watermark first; everything if that is not enough.
            entries.retain(|(_, _, at), _| *at >= end);
            if entries.len() >= ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, learnt.clone());
        Ok(learnt)
    }
}

/// The baseline learnt from the rollups before `end` (as the detector does: a country's on
/// that country's local time of day).
async fn learn(
    rollups: &dyn RollupStore,
    cfg: &DetectConfig,
    service: &str,
    country: Option<&str>,
    end: DateTime<Utc>,
) -> Result<Baseline, StoreError> {
    let mut baseline = Baseline::in_zone(cfg, country.and_then(country_zone));
    let Some(first) = rollups.history_start().await? else {
        return Ok(baseline);
    };
    let start = first.max(end - TimeDelta::days(i64::from(cfg.history_days)));
    if start >= end {
        return Ok(baseline);
    }
    let quarters: HashMap<DateTime<Utc>, i64> = rollups
        .quarter_totals(service, country, start, end)
        .await?
        .into_iter()
        .map(|q| (q.quarter, q.reports))
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
