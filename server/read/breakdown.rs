//! Shares of recent reports by symptom, country, subdivision, network or platform; and the
//! map.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::recent::{counters, window_minutes, SettledCounters};
use crate::detect::evidence::{breakdown as shares, Share};
use crate::store::{minute_of, BucketStore, RollupStore, StoreError};
use crate::sync::lock;

/// A breakdown `by` one dimension: its prefix in the bucket counters.
pub fn prefix_of(by: &str) -> Option<&'static str> {
    match by {
        "symptom" => Some("sym:"),
        "country" => Some("cc:"),
        "subdivision" => Some("sd:"),
        "asn" => Some("asn:"),
        "platform" => Some("pf:"),
        _ => None,
    }
}

/// Shares of the counters under `prefix`, all of them.
pub fn breakdown(fields: &HashMap<String, i64>, prefix: &str) -> Vec<Share> {
    shares(fields, prefix, |_| true, usize::MAX)
}

/// One country on the map.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CountryLoad {
    pub country: String,
    pub reports: i64,
    /// Typical counted reports in such a window at this time of day.
    pub expected: f64,
    /// reports / max(expected, 1): what the map shades, so it is not a population map.
    pub ratio: f64,
}

/// A cluster of located reports (coordinates rounded to 0.1°).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cluster {
    pub lat: f64,
    pub lon: f64,
    pub reports: i64,
}

/// The outage map of the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Map {
    pub countries: Vec<CountryLoad>,
    pub subdivisions: Vec<Share>,
    pub clusters: Vec<Cluster>,
}

/// The typical counted reports per country of recent minutes, kept for the minute they are
/// about: the map of every service is polled by every open page, and its typical level is an
/// aggregate over a week of rollups (`bench/read`: most of that request's time), the same for
/// everyone within a minute. When the minute turns, readers get the previous minute's level
/// at once while one of them has it read again in the background: otherwise every reader in
/// the first moments of each minute would run the aggregate at the same time.
#[derive(Default)]
pub struct TypicalCache {
    entries: Arc<Mutex<HashMap<TypicalKey, Typical>>>,
}

/// (service, window in minutes).
type TypicalKey = (Option<String>, i64);

type Levels = Arc<HashMap<String, f64>>;

struct Typical {
    minute: DateTime<Utc>,
    levels: Levels,
    refreshing: bool,
}

/// Entries kept at most (a few windows × services being looked at).
const TYPICAL_ENTRIES: usize = 512;

/// How old a level may be to be answered while the current one is read.
const TYPICAL_STALE_MINUTES: i64 = 5;

impl TypicalCache {
    /// The typical level per country of `service` (or all) in the `window` minutes before
    /// `minute` at this time of day: read once per key and minute, answered from the
    /// previous minutes (up to five) while it is read.
    pub async fn get(
        &self,
        rollups: &Arc<dyn RollupStore>,
        service: Option<&str>,
        minute: DateTime<Utc>,
        window: i64,
    ) -> Result<Levels, StoreError> {
        let key = (service.map(str::to_owned), window);
        {
            let mut entries = lock(&self.entries);
            if let Some(hit) = entries.get_mut(&key) {
                if hit.minute >= minute {
                    return Ok(hit.levels.clone());
                }
                if hit.minute >= minute - TimeDelta::minutes(TYPICAL_STALE_MINUTES) {
                    if !hit.refreshing {
                        hit.refreshing = true;
                        self.refresh(rollups.clone(), key, minute);
                    }
                    return Ok(hit.levels.clone());
                }
            }
        }
        // Nothing recent: read it now. Two readers missing at once both read (only at start).
        let levels = load(rollups.as_ref(), &key, minute).await?;
        store(&mut lock(&self.entries), key, minute, levels.clone());
        Ok(levels)
    }

    /// Reads the level of `key` at `minute` in the background; the entry stays as it is
    /// (and may be refreshed again) if that fails.
    fn refresh(&self, rollups: Arc<dyn RollupStore>, key: TypicalKey, minute: DateTime<Utc>) {
        let entries = self.entries.clone();
        tokio::spawn(async move {
            let loaded = load(rollups.as_ref(), &key, minute).await;
            let mut entries = lock(&entries);
            match loaded {
                Ok(levels) => store(&mut entries, key, minute, levels),
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the map's typical level");
                    if let Some(entry) = entries.get_mut(&key) {
                        entry.refreshing = false;
                    }
                }
            }
        });
    }
}

async fn load(
    rollups: &dyn RollupStore,
    (service, window): &TypicalKey,
    minute: DateTime<Utc>,
) -> Result<Levels, StoreError> {
    Ok(Arc::new(
        rollups
            .typical_by_country(service.as_deref(), minute, *window)
            .await?
            .into_iter()
            .map(|l| (l.country, l.typical))
            .collect(),
    ))
}

fn store(
    entries: &mut HashMap<TypicalKey, Typical>,
    key: TypicalKey,
    minute: DateTime<Utc>,
    levels: Levels,
) {
    if entries.get(&key).is_some_and(|e| e.minute > minute) {
        return;
    }
    if entries.len() >= TYPICAL_ENTRIES && !entries.contains_key(&key) {
        entries.retain(|_, e| e.minute >= minute);
        if entries.len() >= TYPICAL_ENTRIES {
            entries.clear();
        }
    }
    entries.insert(
        key,
        Typical {
            minute,
            levels,
            refreshing: false,
        },
    );
}

pub async fn map(
    buckets: &dyn BucketStore,
    settled: &SettledCounters,
    rollups: &Arc<dyn RollupStore>,
    typical: &TypicalCache,
    service: Option<&str>,
    now: DateTime<Utc>,
    window: i64,
) -> Result<Map, StoreError> {
    let fields = counters(buckets, settled, service, &window_minutes(now, window)).await?;
    map_of(&fields, rollups, typical, service, now, window).await
}

/// [`map`] from the window's counters, for a caller that has read them already.
pub async fn map_of(
    fields: &HashMap<String, i64>,
    rollups: &Arc<dyn RollupStore>,
    typical: &TypicalCache,
    service: Option<&str>,
    now: DateTime<Utc>,
    window: i64,
) -> Result<Map, StoreError> {
    let typical = typical
        .get(rollups, service, minute_of(now), window)
        .await?;
    let mut countries: Vec<CountryLoad> = fields
        .iter()
        .filter_map(|(k, n)| k.strip_prefix("cc:").map(|c| (c, *n)))
        .map(|(c, reports)| {
            let expected = typical.get(c).copied().unwrap_or(0.0);
            CountryLoad {
                country: c.to_owned(),
                reports,
                expected: (expected * 100.0).round() / 100.0,
                ratio: ((reports as f64 / expected.max(1.0)) * 100.0).round() / 100.0,
            }
        })
        .collect();
    countries.sort_by(|a, b| b.reports.cmp(&a.reports).then(a.country.cmp(&b.country)));
    let mut clusters: Vec<Cluster> = fields
        .iter()
        .filter_map(|(k, n)| {
            let (lat, lon) = k.strip_prefix("pt:")?.split_once(',')?;
            Some(Cluster {
                lat: lat.parse().ok()?,
                lon: lon.parse().ok()?,
                reports: *n,
            })
        })
        .collect();
    clusters.sort_by(|a, b| b.reports.cmp(&a.reports).then(a.lat.total_cmp(&b.lat)));
    clusters.truncate(1000);
    Ok(Map {
        countries,
        subdivisions: breakdown(fields, "sd:"),
        clusters,
    })
}
