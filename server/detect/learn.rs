//! What the detector knows of the past: every series' baseline, fed from the rollups a
//! quarter at a time (incidents' first hours left out), the clock each series follows, and
//! the dispersion sparse series are shrunk towards.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::baseline::push_quarters;
use super::series::SeriesDetector;
use super::tick::{Detector, SeriesKey};
use super::zones::{country_zone, ONE_COUNTRY_AUDIENCE};
use crate::domain::{CountryCode, Scope};
use crate::store::{quarter_of, StoreError};

/// A country gets its own series once its history holds this many counted reports.
const COUNTRY_MIN_HISTORY_REPORTS: i64 = 50;

impl Detector {
    /// The series of `key`; a new one has been quiet since the history started. A country's
    /// series follows that country's clock, a service's the clock of its main country.
    pub(super) fn series_mut(&mut self, key: &SeriesKey) -> &mut SeriesDetector {
        let cfg = &self.cfg;
        let (start, end) = (self.history_start, self.learnt_to);
        let zone = match key.1 {
            Scope::Global => self.zones.get(&key.0).copied(),
            Scope::Country(c) => country_zone(c.as_str()),
        };
        if let Scope::Country(c) = key.1 {
            if !self.series.contains_key(key) {
                self.countries.entry(key.0.clone()).or_default().push(c);
            }
        }
        self.series.entry(key.clone()).or_insert_with(|| {
            let mut series = SeriesDetector::in_zone(cfg.clone(), zone);
            if let (Some(start), Some(end)) = (start, end) {
                push_quiet(&mut series, start, end);
            }
            series
        })
    }

    /// Feeds the baselines with every complete quarter of rollups not learnt yet.
    pub async fn learn(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        // Only quarters the rollups hold completely (they lag the clock by a minute).
        let to = quarter_of(now - TimeDelta::minutes(2));
        let from = match self.learnt_to {
            Some(t) if t >= to => return Ok(0),
            Some(t) => t,
            None => to - TimeDelta::days(i64::from(self.cfg.history_days)),
        };
        let rows = self.rollups.history(None, from, to).await?;
        if self.history_start.is_none() {
            match rows.iter().map(|r| r.bucket).min() {
                Some(first) => self.history_start = Some(first),
                // No history at all yet: wait for the first rollups.
                None => return Ok(0),
            }
        }
        let start = self.history_start.unwrap_or(from).max(from);
        let periods = self.store.incident_periods(from).await?;
        // An incident's first hours are kept out of the baseline; past them, the new level is
        // learnt, so that a lasting change of volume cannot keep an incident open forever.
        let exclude_for = TimeDelta::hours(i64::from(self.cfg.exclude_hours));
        let in_incident = |service: &str, scope: Scope, t: DateTime<Utc>| {
            periods.iter().any(|p| {
                let begin = p.started_at;
                let end = p
                    .resolved_at
                    .map_or(begin + exclude_for, |e| e.min(begin + exclude_for));
                p.service == service
                    && (p.scope == scope || p.scope.is_global())
                    && t + TimeDelta::minutes(15) > begin
                    && t < end
            })
        };
        // Per series, the counted reports of each quarter (absent quarters had none).
        let mut per_series: HashMap<SeriesKey, HashMap<DateTime<Utc>, i64>> = HashMap::new();
        let mut country_volume: HashMap<SeriesKey, i64> = HashMap::new();
        for row in &rows {
            let n = i64::from(row.reports);
            *per_series
                .entry((row.service.clone(), Scope::Global))
                .or_default()
                .entry(row.bucket)
                .or_default() += n;
            // `ZZ` is the unknown country; so is a code that is not two capital letters.
            let country = CountryCode::parse(&row.country).filter(|c| c.as_str() != "ZZ");
            if let Some(country) = country {
                let key = (row.service.clone(), Scope::Country(country));
                *per_series
                    .entry(key.clone())
                    .or_default()
                    .entry(row.bucket)
                    .or_default() += n;
                *country_volume.entry(key).or_default() += n;
            }
        }
        // The clocks are decided on the first load, from the whole history: later loads hold
        // one quarter, too little to say where a service's audience lives.
        if self.learnt_to.is_none() {
            self.zones = audience_zones(&country_volume);
        }
        let mut learnt = 0;
        let mut fed: HashSet<SeriesKey> = HashSet::with_capacity(per_series.len());
        for (key, quarters) in per_series {
            let known = self.series.contains_key(&key);
            let enough = key.1.is_global()
                || country_volume.get(&key).copied().unwrap_or(0) >= COUNTRY_MIN_HISTORY_REPORTS;
            if !known && !enough {
                continue;
            }
            let series = self.series_mut(&key);
            push_quarters(
                series.baseline_mut(),
                start,
                to,
                |t| quarters.get(&t).copied().unwrap_or(0) as f64,
                |t| in_incident(&key.0, key.1, t),
            );
            learnt += 1;
            fed.insert(key);
        }
        // Known series without reports in the period still learn that it was quiet.
        let quiet: Vec<SeriesKey> = self
            .series
            .keys()
            .filter(|k| !fed.contains(*k))
            .cloned()
            .collect();
        for key in quiet {
            push_quiet(self.series_mut(&key), start, to);
        }
        self.learnt_to = Some(to);
        self.pool_dispersion();
        Ok(learnt)
    }
}

impl Detector {
    /// Shrinks sparse series towards the dispersion typical of this server's busy series (the
    /// median of those that know their own), rather than a fixed prior; once a quarter.
    fn pool_dispersion(&mut self) {
        let mut known: Vec<f64> = self
            .series
            .values()
            .filter(|s| s.knows_its_dispersion())
            .map(SeriesDetector::dispersion)
            .collect();
        if known.len() < POOL_MIN_SERIES {
            return;
        }
        let mid = known.len() / 2;
        let (_, median, _) = known.select_nth_unstable_by(mid, f64::total_cmp);
        let pooled = *median;
        for series in self.series.values_mut() {
            series.set_pooled_dispersion(pooled);
        }
    }
}

/// Series that must know their own dispersion before their median is pooled.
const POOL_MIN_SERIES: usize = 5;

/// Services whose history is mostly one country's follow that country's clock.
fn audience_zones(country_volume: &HashMap<SeriesKey, i64>) -> HashMap<String, Tz> {
    let mut totals: HashMap<&str, (i64, &str, i64)> = HashMap::new();
    for ((service, country), n) in country_volume {
        let country = country.as_str();
        let entry = totals.entry(service).or_insert((0, country, 0));
        entry.0 += n;
        if *n > entry.2 {
            (entry.1, entry.2) = (country, *n);
        }
    }
    totals
        .into_iter()
        .filter(|(_, (total, _, top))| *top as f64 >= ONE_COUNTRY_AUDIENCE * (*total).max(1) as f64)
        .filter_map(|(service, (_, country, _))| {
            country_zone(country).map(|z| (service.to_owned(), z))
        })
        .collect()
}

/// Teaches a series that `[from, to)` had no reports.
fn push_quiet(series: &mut SeriesDetector, from: DateTime<Utc>, to: DateTime<Utc>) {
    push_quarters(series.baseline_mut(), from, to, |_| 0.0, |_| false);
}
