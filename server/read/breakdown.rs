//! Shares of recent reports by symptom, country, subdivision or network; and the map.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::detect::evidence::{breakdown as shares, Share};
use crate::store::{minute_of, BucketStore, RollupStore, StoreError, ALL_SERVICES};

/// The last `window` minutes up to now, the current (partial) minute included: readers want
/// the freshest reports.
pub fn window_minutes(now: DateTime<Utc>, window: i64) -> Vec<DateTime<Utc>> {
    let end = minute_of(now);
    (0..window)
        .rev()
        .map(|i| end - TimeDelta::minutes(i))
        .collect()
}

/// Summed counters of `service` (or of every service) over the window.
pub async fn counters(
    buckets: &dyn BucketStore,
    service: Option<&str>,
    minutes: &[DateTime<Utc>],
) -> Result<HashMap<String, i64>, StoreError> {
    let key = service.unwrap_or(ALL_SERVICES).to_owned();
    let windows = buckets.windows(&[key], minutes).await?;
    Ok(windows
        .into_iter()
        .next()
        .map(|w| w.fields)
        .unwrap_or_default())
}

/// A breakdown `by` one dimension: its prefix in the bucket counters.
pub fn prefix_of(by: &str) -> Option<&'static str> {
    match by {
        "symptom" => Some("sym:"),
        "country" => Some("cc:"),
        "subdivision" => Some("sd:"),
        "asn" => Some("asn:"),
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
/// everyone within a minute.
#[derive(Default)]
pub struct TypicalCache {
    entries: Mutex<HashMap<TypicalKey, Arc<HashMap<String, f64>>>>,
}

/// (service, minute, window in minutes).
type TypicalKey = (Option<String>, DateTime<Utc>, i64);

/// Entries kept at most (a few windows × services being looked at).
const TYPICAL_ENTRIES: usize = 512;

impl TypicalCache {
    /// The typical level per country of `service` (or all) in the `window` minutes before
    /// `minute` at this time of day, loaded once per key.
    pub async fn get(
        &self,
        rollups: &dyn RollupStore,
        service: Option<&str>,
        minute: DateTime<Utc>,
        window: i64,
    ) -> Result<Arc<HashMap<String, f64>>, StoreError> {
        let key = (service.map(str::to_owned), minute, window);
        if let Some(hit) = self.lock().get(&key) {
            return Ok(hit.clone());
        }
        // Two readers missing at once both load: rare, and harmless.
        let loaded: Arc<HashMap<String, f64>> = Arc::new(
            rollups
                .typical_by_country(service, minute, window)
                .await?
                .into_iter()
                .collect(),
        );
        let mut entries = self.lock();
        entries.retain(|(_, at, _), _| *at >= minute);
        if entries.len() >= TYPICAL_ENTRIES {
            entries.clear();
        }
        entries.insert(key, loaded.clone());
        Ok(loaded)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TypicalKey, Arc<HashMap<String, f64>>>> {
        // A panic while holding the lock leaves a map that is still valid.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub async fn map(
    buckets: &dyn BucketStore,
    rollups: &dyn RollupStore,
    typical: &TypicalCache,
    service: Option<&str>,
    now: DateTime<Utc>,
    window: i64,
) -> Result<Map, StoreError> {
    let fields = counters(buckets, service, &window_minutes(now, window)).await?;
    map_of(&fields, rollups, typical, service, now, window).await
}

/// [`map`] from the window's counters, for a caller that has read them already.
pub async fn map_of(
    fields: &HashMap<String, i64>,
    rollups: &dyn RollupStore,
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
