//! Rollups: 15-minute totals per service and country, rolled up from the report log; the
//! history that baselines learn from and long series read.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::Platform;

/// Counted reports of one service in one country ('ZZ' when unknown) in one 15-minute bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupRow {
    pub service: String,
    pub bucket: DateTime<Utc>,
    pub country: String,
    pub reports: i32,
    pub unique_reporters: i32,
}

/// One service's counted reports in one quarter, summed over its countries (or of one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuarterTotal {
    pub quarter: DateTime<Utc>,
    pub reports: i64,
    /// The quarter's unique reporters, summed over the countries.
    pub unique_reporters: i64,
}

/// One service's counted reports on one platform over a period, from the rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformTotal {
    /// `None`: reports that named no platform.
    pub platform: Option<Platform>,
    pub reports: i64,
}

/// A period of time `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// A country's typical counted reports in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryLevel {
    /// ISO 3166-1 alpha-2 code, or `ZZ` when unknown.
    pub country: String,
    pub typical: f64,
}

/// The 15-minute rollups of the report log: history for baselines.
#[async_trait]
pub trait RollupStore: Send + Sync {
    /// Adds the reports received since the watermark and before `to` to the rollups and moves
    /// the watermark to `to`, in one transaction. Returns the period processed, if any.
    async fn roll_up(&self, to: DateTime<Utc>) -> Result<Option<Period>, StoreError>;
    /// Recomputes every rollup from the 15-minute bucket holding `since` up to the watermark.
    async fn rebuild_rollups(&self, since: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Rollups are complete before this time (`None` before the first rollup).
    async fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The first quarter of history Downwatch has.
    async fn history_start(&self) -> Result<Option<DateTime<Utc>>, StoreError>;
    /// The typical counted reports per country in the `window_minutes` before `at`, averaged
    /// over the same time of day on up to 7 previous days; of one service or of all.
    async fn typical_by_country(
        &self,
        service: Option<&str>,
        at: DateTime<Utc>,
        window_minutes: i64,
    ) -> Result<Vec<CountryLevel>, StoreError>;
    /// All-symptom rollups in `[from, to)`, of some services or of all.
    async fn history(
        &self,
        services: Option<&[String]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RollupRow>, StoreError>;
    /// One service's counted reports per platform in the quarters of `[from, to)`, most
    /// first (`rollup_platforms`, filled by [`Self::roll_up`] beside the rollups).
    async fn platform_totals(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PlatformTotal>, StoreError>;
    /// One service's reports per quarter in `[from, to)`, summed over its countries (or of one
    /// country), in time order: what a series' baseline learns from and what its steps beyond
    /// the hot window add up. Quarters without reports are absent.
    async fn quarter_totals(
        &self,
        service: &str,
        country: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QuarterTotal>, StoreError> {
        let mut totals: std::collections::BTreeMap<DateTime<Utc>, (i64, i64)> = Default::default();
        for row in self
            .history(Some(&[service.to_owned()]), from, to)
            .await?
            .into_iter()
            .filter(|r| country.is_none_or(|c| r.country == c))
        {
            let total = totals.entry(row.bucket).or_default();
            total.0 += i64::from(row.reports);
            total.1 += i64::from(row.unique_reporters);
        }
        Ok(totals
            .into_iter()
            .map(|(quarter, (reports, unique_reporters))| QuarterTotal {
                quarter,
                reports,
                unique_reporters,
            })
            .collect())
    }
}

/// The start of the 15-minute bucket holding `t`.
pub fn quarter_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp() - t.timestamp().rem_euclid(900);
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}
