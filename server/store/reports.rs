//! The report log: the append-only source of truth every other store can be rebuilt from,
//! with its retention and the notes of minute buckets waiting to be repaired.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::domain::Platform;

/// A report ready to be written: validated, located, with its reporter hashed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub received_at: DateTime<Utc>,
    pub service: String,
    pub symptoms: Vec<String>,
    /// False for a repeat from the same reporter within the dedupe window.
    pub counted: bool,
    /// Keyed hash of (IP, user agent) under the day's key.
    pub reporter: Vec<u8>,
    /// Keyed hash of the reporter's /24 (IPv4) or /48 (IPv6) under the day's key.
    pub subnet: Vec<u8>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    pub city: Option<String>,
    pub lat: Option<f32>,
    pub lon: Option<f32>,
    pub asn: Option<i32>,
    pub as_org: Option<String>,
    /// Where the region came from: `geoip`, `form` or `none`.
    pub region_source: &'static str,
    /// Where the reporter uses the service, if they said.
    pub platform: Option<Platform>,
    /// The normalised phrase of what the reporter's screen said (never the raw text);
    /// published only once enough reporters sent it ([`ReportLog::top_phrases`]).
    pub phrase: Option<String>,
}

/// A phrase of what reporters' screens said, with the distinct reporters who sent it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PhraseCount {
    /// The normalised phrase (lower case, numbers masked as `#`).
    pub phrase: String,
    /// Distinct reporters who sent it in the window (reporters are daily pseudonyms).
    pub reporters: i64,
}

/// What people's screens said about one service in a window: only the phrases at least the
/// threshold's number of distinct reporters sent; the others never leave the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Phrases {
    /// Most reporters first, then alphabetically.
    pub phrases: Vec<PhraseCount>,
    /// Distinct reporters who sent any message in the window (published or not).
    pub reporters: i64,
}

/// One service's minute bucket, e.g. one the buckets missed and that waits to be repaired.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceMinute {
    pub service: String,
    pub minute: DateTime<Utc>,
}

/// What retention did with one expired day of raw reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expired {
    /// The day's raw reports are gone; its rollups remain.
    Dropped { day: NaiveDate },
    /// Kept: its rollups do not (yet) account for all its counted reports.
    Kept { day: NaiveDate, reason: String },
}

/// The append-only report log: the source of truth.
#[async_trait]
pub trait ReportLog: Send + Sync {
    /// Writes a batch in one transaction; returns each report's id, in order.
    async fn append(&self, batch: &[NewReport]) -> Result<Vec<i64>, StoreError>;
    /// Counted reports received in `[from, to)`, oldest first, for rebuilding buckets.
    async fn counted_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        service: Option<&str>,
    ) -> Result<Vec<NewReport>, StoreError>;
    /// Makes room for the reports of the days from `first` for `days` days (daily
    /// partitions where the backend has them; nothing to do where it has none).
    async fn ensure_partitions(&self, first: NaiveDate, days: i32) -> Result<(), StoreError>;
    /// Retention: removes the raw reports of the days before `keep_from`, each day only once
    /// the rollups are verified to hold every counted report of it. Rollups and incidents
    /// stay.
    async fn expire_reports(&self, keep_from: NaiveDate) -> Result<Vec<Expired>, StoreError>;
    /// Notes minute buckets that Redis missed, to be rebuilt later.
    async fn note_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError>;
    /// Up to `limit` minute buckets waiting to be rebuilt, noted before `before`.
    async fn pending_bucket_repairs(&self, limit: i64) -> Result<Vec<ServiceMinute>, StoreError>;
    /// Forgets repaired minute buckets.
    async fn clear_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError>;
    /// The phrases of `service`'s reports received in `[from, to)` that at least
    /// `min_reporters` distinct reporters sent, at most `limit` of them: k-anonymity is
    /// applied here, so that a phrase fewer people sent is never read out of the store.
    async fn top_phrases(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        min_reporters: i64,
        limit: i64,
    ) -> Result<Phrases, StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
}
