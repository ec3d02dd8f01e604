//! Minute buckets: counted reports per service and minute, with their breakdown counters
//! and unique-reporter estimates. Hot and rebuildable from the report log.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{NewReport, StoreError};

/// What one minute bucket of one service holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinuteBucket {
    pub total: i64,
    /// `(field, count)` pairs: `sym:<code>`, `cc:<country>`, `sd:<subdivision>`, `asn:<n>`,
    /// `pf:<platform>`.
    pub fields: Vec<(String, i64)>,
    /// Approximate unique reporters (HyperLogLog).
    pub unique_reporters: i64,
}

/// One service's buckets over a window of minutes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceWindow {
    pub service: String,
    /// Counted reports per minute, oldest first.
    pub per_minute: Vec<i64>,
    /// Unique reporters over the whole window (HyperLogLog union).
    pub unique_reporters: i64,
    /// Summed counters: `total`, `sym:*`, `cc:*`, `sd:*`, `asn:*`, `pf:*`.
    pub fields: std::collections::HashMap<String, i64>,
    /// Counted reports per subnet: `<country or ZZ>:<subnet hash>` → count.
    pub subnets: std::collections::HashMap<String, i64>,
}

/// One counter per minute, with unique reporters per group of minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinuteSeries {
    /// The counter in each minute.
    pub counts: Vec<i64>,
    /// Unique reporters of each group of consecutive minutes (empty when not asked for).
    pub unique: Vec<i64>,
}

/// Minute buckets of counted reports per service: rebuildable from the log.
#[async_trait]
pub trait BucketStore: Send + Sync {
    /// Adds counted reports to their minute buckets in one round trip.
    async fn apply(&self, reports: &[NewReport]) -> Result<(), StoreError>;
    /// Replaces one service-minute with exactly these reports (used by the reconciler).
    async fn rebuild(
        &self,
        service: &str,
        minute: DateTime<Utc>,
        reports: &[NewReport],
    ) -> Result<(), StoreError>;
    async fn minute(
        &self,
        service: &str,
        minute: DateTime<Utc>,
    ) -> Result<MinuteBucket, StoreError>;
    /// What each service's buckets hold over `minutes` (a window of consecutive minutes).
    async fn windows(
        &self,
        services: &[String],
        minutes: &[DateTime<Utc>],
    ) -> Result<Vec<ServiceWindow>, StoreError>;
    /// The counters of `service` summed over `minutes`: the `fields` of its [`Self::windows`],
    /// without the subnets and unique reporters a reader of counters does not need.
    async fn summed_fields(
        &self,
        service: &str,
        minutes: &[DateTime<Utc>],
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        Ok(self
            .windows(&[service.to_owned()], minutes)
            .await?
            .into_iter()
            .next()
            .map(|w| w.fields)
            .unwrap_or_default())
    }
    /// False when the buckets were lost since they were last refilled from the log (a Redis
    /// restarted without persistence, or flushed). Stores rebuilt at start answer true.
    async fn is_filled(&self) -> Result<bool, StoreError>;
    /// Records that the lost buckets are now noted for a rebuild from the log.
    async fn mark_filled(&self) -> Result<(), StoreError>;
    /// Services with a counted report at or after `since`.
    async fn active_services(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError>;
    /// For each minute, the counter `field` (`total`, `cc:IT`, …) of `service`; and, when
    /// `unique_per` is given, for each group of that many consecutive minutes the unique
    /// reporters of the group (else no groups).
    async fn minute_series(
        &self,
        service: &str,
        minutes: &[DateTime<Utc>],
        field: &str,
        unique_per: Option<usize>,
    ) -> Result<MinuteSeries, StoreError> {
        let service = [service.to_owned()];
        let mut counts = Vec::with_capacity(minutes.len());
        for m in minutes {
            let w = self.windows(&service, std::slice::from_ref(m)).await?;
            let w = w.into_iter().next().unwrap_or_default();
            counts.push(w.fields.get(field).copied().unwrap_or(0));
        }
        let mut unique = Vec::new();
        if let Some(per) = unique_per {
            for step in minutes.chunks(per.max(1)) {
                let w = self.windows(&service, step).await?;
                unique.push(w.into_iter().next().map_or(0, |w| w.unique_reporters));
            }
        }
        Ok(MinuteSeries { counts, unique })
    }
    async fn ping(&self) -> Result<(), StoreError>;
}

/// How far back the minute buckets reach (the hot window), with a margin under their expiry.
pub const HOT_WINDOW_MINUTES: i64 = 25 * 60;

/// The counter fields one report adds to its minute bucket, the same in every backend:
/// `total`, `sym:*`, `cc:*`, `sd:*`, `asn:*`, `pf:<platform>` and `pt:<lat>,<lon>` (one
/// decimal).
pub(crate) fn bucket_fields(r: &NewReport) -> Vec<String> {
    let mut fields = Vec::with_capacity(r.symptoms.len() + 4);
    for_each_bucket_field(r, &mut String::new(), |f| fields.push(f.to_owned()));
    fields
}

/// Calls `each` with every counter field of `r` (those of [`bucket_fields`], in the same
/// order), each built in `buf`: no allocation per field once `buf` is large enough.
pub(crate) fn for_each_bucket_field(r: &NewReport, buf: &mut String, mut each: impl FnMut(&str)) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let mut field = |args: std::fmt::Arguments<'_>, each: &mut dyn FnMut(&str)| {
        buf.clear();
        let _ = buf.write_fmt(args);
        each(buf);
    };
    each("total");
    for s in &r.symptoms {
        field(format_args!("sym:{s}"), &mut each);
    }
    if let Some(c) = &r.country {
        field(format_args!("cc:{c}"), &mut each);
    }
    if let Some(s) = &r.subdivision {
        field(format_args!("sd:{s}"), &mut each);
    }
    if let Some(a) = r.asn {
        field(format_args!("asn:{a}"), &mut each);
    }
    if let Some(p) = r.platform {
        field(format_args!("pf:{p}"), &mut each);
    }
    if let (Some(lat), Some(lon)) = (r.lat, r.lon) {
        field(format_args!("pt:{lat:.1},{lon:.1}"), &mut each);
    }
}

/// The subnet field of a counted report: `<country or ZZ>:<first 6 bytes of the subnet
/// hash, in hex>`, the same in every backend.
pub(crate) fn subnet_field(r: &NewReport) -> String {
    let mut buf = String::with_capacity(16);
    write_subnet_field(r, &mut buf);
    buf
}

/// [`subnet_field`] written into `buf` (cleared first).
pub(crate) fn write_subnet_field(r: &NewReport, buf: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.clear();
    buf.push_str(r.country.as_deref().unwrap_or("ZZ"));
    buf.push(':');
    for b in &r.subnet[..r.subnet.len().min(6)] {
        buf.push(char::from(HEX[usize::from(b >> 4)]));
        buf.push(char::from(HEX[usize::from(b & 0xf)]));
    }
}

/// Adds `n` to `counters[field]`, allocating the field's name only when it is new.
pub(crate) fn bump(counters: &mut std::collections::HashMap<String, i64>, field: &str, n: i64) {
    match counters.get_mut(field) {
        Some(v) => *v += n,
        None => {
            counters.insert(field.to_owned(), n);
        }
    }
}

/// The pseudo-service whose minute buckets add up every service (for the all-services map).
pub const ALL_SERVICES: &str = "*";

/// The start of the minute holding `t`.
pub fn minute_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp() - t.timestamp().rem_euclid(60);
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}
