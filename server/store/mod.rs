//! Storage seams. Postgres holds what must last (catalog, report log); Redis holds what is
//! hot and can be rebuilt (minute buckets, unique-reporter HyperLogLogs, abuse-gate keys).
//! Each is reached through a trait so that other implementations can stand in.

pub mod memory;
pub mod postgres;
pub mod redis;
pub mod sqlite;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::Service;
use crate::config::Secret;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or did not answer: the caller should retry later.
    #[error("{store} unavailable: {reason}")]
    Unavailable { store: &'static str, reason: String },
    /// The store answered with an error.
    #[error("{store} error: {reason}")]
    Failed { store: &'static str, reason: String },
    /// A unique key already exists.
    #[error("already exists")]
    Conflict,
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}

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
}

/// The append-only report log (Postgres): the source of truth.
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
    /// Creates the daily partitions from `first` for `days` days.
    async fn ensure_partitions(&self, first: NaiveDate, days: i32) -> Result<(), StoreError>;
    /// Notes minute buckets that Redis missed, to be rebuilt later.
    async fn note_bucket_repairs(
        &self,
        minutes: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError>;
    /// Up to `limit` minute buckets waiting to be rebuilt, noted before `before`.
    async fn pending_bucket_repairs(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, DateTime<Utc>)>, StoreError>;
    /// Forgets repaired minute buckets.
    async fn clear_bucket_repairs(
        &self,
        minutes: &[(String, DateTime<Utc>)],
    ) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The service catalog (Postgres).
#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn list_services(&self) -> Result<Vec<Service>, StoreError>;
    /// Inserts services that do not exist yet; returns how many were new.
    async fn seed_services(&self, services: &[Service]) -> Result<usize, StoreError>;
    /// Creates a service; `Conflict` when the slug exists.
    async fn create_service(&self, service: &Service) -> Result<(), StoreError>;
    /// Replaces a service; returns false when the slug does not exist.
    async fn update_service(&self, service: &Service) -> Result<bool, StoreError>;
}

/// One abuse-gate question: may this reporter, from this address, report this service now?
#[derive(Debug, Clone)]
pub struct GateCheck {
    /// Keyed hash of the client address (hex), for the per-address rate limit.
    pub address: String,
    /// Keyed hash of the reporter (hex), for the per-service dedupe window.
    pub reporter: String,
    pub service: String,
}

/// The abuse gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateOutcome {
    /// First report of this reporter for this service in the window: count it.
    Counted,
    /// A repeat within the window: log it, do not count it.
    Duplicate,
    /// Too many reports from this address: refuse, retry after this many seconds.
    RateLimited { retry_after_secs: u64 },
}

/// Limits applied by the abuse gate.
#[derive(Debug, Clone, Copy)]
pub struct GateLimits {
    pub dedupe_secs: u64,
    pub rate_limit: u64,
    pub rate_window_secs: u64,
}

/// Dedupe and rate-limit state shared by all processes (Redis).
#[async_trait]
pub trait AbuseGate: Send + Sync {
    /// Answers every check of a batch in one round trip.
    async fn check(
        &self,
        checks: &[GateCheck],
        limits: GateLimits,
    ) -> Result<Vec<GateOutcome>, StoreError>;
    /// Undoes what `check` recorded for reports that were finally not written.
    async fn release(&self, checks: &[(GateCheck, GateOutcome)]) -> Result<(), StoreError>;
}

/// What one minute bucket of one service holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinuteBucket {
    pub total: i64,
    /// `(field, count)` pairs: `sym:<code>`, `cc:<country>`, `sd:<subdivision>`, `asn:<n>`.
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
    /// Summed counters: `total`, `sym:*`, `cc:*`, `sd:*`, `asn:*`.
    pub fields: std::collections::HashMap<String, i64>,
    /// Counted reports per subnet: `<country or ZZ>:<subnet hash>` → count.
    pub subnets: std::collections::HashMap<String, i64>,
}

/// Minute buckets of counted reports per service (Redis): rebuildable from the log.
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
    async fn is_filled(&self) -> Result<bool, StoreError> {
        Ok(true)
    }
    /// Records that the lost buckets are now noted for a rebuild from the log.
    async fn mark_filled(&self) -> Result<(), StoreError> {
        Ok(())
    }
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
    ) -> Result<(Vec<i64>, Vec<i64>), StoreError> {
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
        Ok((counts, unique))
    }
    async fn ping(&self) -> Result<(), StoreError>;
}

/// The pseudo-service whose minute buckets add up every service (for the all-services map).
pub const ALL_SERVICES: &str = "*";

/// The start of the minute holding `t`.
pub fn minute_of(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp() - t.timestamp().rem_euclid(60);
    DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

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

/// The 15-minute rollups of the report log (Postgres): history for baselines.
#[async_trait]
pub trait RollupStore: Send + Sync {
    /// Adds the reports received since the watermark and before `to` to the rollups and moves
    /// the watermark to `to`, in one transaction. Returns the period processed, if any.
    async fn roll_up(
        &self,
        to: DateTime<Utc>,
    ) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, StoreError>;
    /// Recomputes every rollup from the 15-minute bucket holding `since` up to the watermark.
    async fn rebuild_rollups(&self, since: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Rollups are complete before this time (`None` before the first rollup).
    async fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(None)
    }
    /// The first quarter of history Downwatch has.
    async fn history_start(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(None)
    }
    /// The typical counted reports per country in the `window_minutes` before `at`, averaged
    /// over the same time of day on up to 7 previous days; of one service or of all.
    async fn typical_by_country(
        &self,
        _service: Option<&str>,
        _at: DateTime<Utc>,
        _window_minutes: i64,
    ) -> Result<Vec<(String, f64)>, StoreError> {
        Ok(Vec::new())
    }
    /// All-symptom rollups in `[from, to)`, of some services or of all.
    async fn history(
        &self,
        services: Option<&[String]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RollupRow>, StoreError>;
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

/// An incident's figures at one tick, as the detector writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentTick {
    pub service: String,
    /// `global` or an ISO 3166-1 country code.
    pub scope: String,
    /// `possible-problems` or `problems`.
    pub severity: String,
    pub at: DateTime<Utc>,
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
    pub evidence: serde_json::Value,
}

/// An open incident as the detector remembers it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenIncident {
    pub id: i64,
    pub service: String,
    pub scope: String,
    pub severity: String,
    pub started_at: DateTime<Utc>,
    pub peak_observed: f64,
}

/// What the detector leader writes (Postgres). Implementations hold the leadership: writes
/// fail once it is lost, so a deposed leader cannot write.
#[async_trait]
pub trait DetectorStore: Send {
    /// The saved state machines: `(service, scope, tracker as JSON)`.
    async fn load_trackers(
        &mut self,
    ) -> Result<Vec<(String, String, serde_json::Value)>, StoreError>;
    async fn save_trackers(
        &mut self,
        rows: &[(String, String, serde_json::Value)],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn open_incidents(&mut self) -> Result<Vec<OpenIncident>, StoreError>;
    /// Opens an incident, or returns the one already open for that service and scope.
    async fn open_incident(
        &mut self,
        tick: &IncidentTick,
        methodology: &str,
    ) -> Result<OpenIncident, StoreError>;
    /// Records a tick of an open incident: escalation when `escalated`, peak and evidence
    /// when the peak grew, an `updated` event when `event` (at most one per kind and minute).
    async fn update_incident(
        &mut self,
        id: i64,
        tick: &IncidentTick,
        escalated: bool,
        event: bool,
    ) -> Result<(), StoreError>;
    async fn resolve_incident(&mut self, id: i64, tick: &IncidentTick) -> Result<(), StoreError>;
    /// Incidents overlapping `[since, now)`: `(service, scope, started_at, resolved_at)`.
    async fn incident_periods(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, String, DateTime<Utc>, Option<DateTime<Utc>>)>, StoreError>;
    /// The organisation names of autonomous systems, from recent reports.
    async fn as_orgs(&mut self, asns: &[i32]) -> Result<Vec<(i32, String)>, StoreError>;
    /// Whether this store still holds the leadership.
    async fn still_leader(&mut self) -> bool;
}

/// What the detector last said about one service, for readers on every node.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServiceStatus {
    pub service: String,
    /// `ok`, `possible-problems` or `problems` (the whole service).
    pub state: String,
    /// Since when the service is in this state (none when it has always been ok).
    pub since: Option<DateTime<Utc>>,
    /// Counted reports in the window that ended at `at`.
    pub reports: i64,
    /// Expected counted reports in that window.
    pub expected: f64,
    pub ratio: f64,
    /// Anomaly score in [0, 1]: the confidence that the true rate is at least the "problems"
    /// ratio times normal (`dw-detect-2`).
    pub score: f64,
    pub window_minutes: u32,
    /// End of the window the figures are about.
    pub at: DateTime<Utc>,
    /// Open incidents of the service (global or one country).
    pub open_incidents: Vec<i64>,
}

/// A live event: an incident opened, escalated, updated or resolved, or a state change.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LiveEvent {
    /// `incident-opened`, `incident-escalated`, `incident-resolved`, `state-changed`.
    pub kind: String,
    pub service: String,
    pub scope: String,
    pub incident_id: Option<i64>,
    pub state: String,
    pub at: DateTime<Utc>,
}

/// Where the detector leader publishes statuses and events for every node (Redis).
#[async_trait]
pub trait StatusBoard: Send + Sync {
    async fn publish_statuses(&self, statuses: &[ServiceStatus]) -> Result<(), StoreError>;
    async fn status(&self, service: &str) -> Result<Option<ServiceStatus>, StoreError>;
    async fn statuses(&self) -> Result<Vec<ServiceStatus>, StoreError>;
    /// The id of the newest event in the log, if any.
    async fn latest_event_id(&self) -> Result<Option<String>, StoreError>;
    /// Appends an event to the shared, capped event log; returns its id.
    async fn publish_event(&self, event: &LiveEvent) -> Result<String, StoreError>;
    /// Events after `after` (an id from `publish_event`, or the oldest kept when `None`),
    /// waiting up to `block` for one when there is none yet.
    async fn events_after(
        &self,
        after: Option<&str>,
        block: std::time::Duration,
    ) -> Result<Vec<(String, LiveEvent)>, StoreError>;
}

/// Which incidents to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub service: Option<String>,
    /// `global` or a country code.
    pub scope: Option<String>,
    /// `open` or `resolved`.
    pub status: Option<String>,
    /// Incidents active at some time in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Continue after this `(started_at, id)`.
    pub after: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

/// An incident as readers see it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IncidentRecord {
    pub id: i64,
    pub service: String,
    pub scope: String,
    pub status: String,
    pub severity: String,
    pub started_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub peak_at: DateTime<Utc>,
    /// Counted reports in the window at the peak (after flood damping).
    pub peak_reports: f64,
    pub peak_expected: f64,
    pub peak_score: f64,
    /// Counted reports since the incident started.
    pub total_reports: i64,
    pub methodology: String,
    pub updated_at: DateTime<Utc>,
    pub evidence: serde_json::Value,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct IncidentEventRecord {
    pub at: DateTime<Utc>,
    /// `opened`, `escalated`, `updated` or `resolved`.
    pub kind: String,
    pub state: String,
    pub reports: f64,
    pub expected: f64,
    pub score: f64,
}

/// Reading incidents (Postgres).
#[async_trait]
pub trait IncidentReader: Send + Sync {
    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError>;
    async fn get_incident(
        &self,
        id: i64,
    ) -> Result<Option<(IncidentRecord, Vec<IncidentEventRecord>)>, StoreError>;
}

/// How a process becomes the one detector leader of its deployment.
#[async_trait]
pub trait LeaderElection: Send + Sync {
    /// The leader's store if this process is now the leader; `None` when another leads.
    async fn campaign(&self) -> Result<Option<Box<dyn DetectorStore>>, StoreError>;
}

/// An API key as stored: never the key itself, only its SHA-256 (which stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    /// Who the key is for, e.g. a newsroom.
    pub name: String,
    /// The key's first 8 characters (`dw_` and 5 more), to recognise it in a list.
    pub prefix: String,
    /// Reads per minute; `None` for the deployment's default.
    pub rate_per_minute: Option<i32>,
    pub created_at: DateTime<Utc>,
    /// When the key was last seen (to within a few seconds), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An API key to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    /// SHA-256 of the whole key.
    pub key_hash: Vec<u8>,
    pub rate_per_minute: Option<i32>,
}

/// The API keys that raise a client's read rate limit (Postgres).
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key; `Conflict` if its hash exists.
    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKeyRecord, StoreError>;
    /// Every key, revoked ones included, oldest first.
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// The key whose SHA-256 is `key_hash`, revoked or not.
    async fn find_api_key(&self, key_hash: &[u8]) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Revokes a key (a second revocation keeps the first time); false when there is no such
    /// key.
    async fn revoke_api_key(&self, id: i64) -> Result<bool, StoreError>;
    /// Notes that a key was used at `at`.
    async fn touch_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// One request counted in its client's fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    /// Requests of the client in the current window, this one included.
    pub count: u64,
    /// Whole seconds until the window ends (at least 1).
    pub resets_in_secs: u64,
}

/// Request counters shared by every node (Redis), for the read rate limit.
#[async_trait]
pub trait RateCounter: Send + Sync {
    /// Counts one request of `client` in one round trip. The client's window starts with its
    /// first request and lasts `window_secs`; every request in it counts, refused ones too.
    async fn count_request(
        &self,
        client: &str,
        window_secs: u64,
    ) -> Result<WindowCount, StoreError>;
}

/// A webhook as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: i64,
    /// Where incident events are POSTed (http or https).
    pub url: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the webhook was deleted: it receives nothing since.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A webhook to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: String,
    /// The HMAC key its deliveries are signed with.
    pub secret: Secret,
    pub description: Option<String>,
}

/// One incident event as a webhook receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The event's id (unique, growing).
    pub id: i64,
    pub incident_id: i64,
    pub service: String,
    /// `global` or a country code.
    pub scope: String,
    /// `opened`, `escalated`, `updated` or `resolved`.
    pub kind: String,
    /// The incident's state at the event: `possible-problems` or `problems`.
    pub state: String,
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
    pub at: DateTime<Utc>,
    /// The detection method's version that flagged the incident.
    pub methodology: String,
}

/// A delivery claimed for an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: Secret,
    /// Attempts made before this one.
    pub attempts: i32,
    pub event: WebhookEvent,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The receiver took it (2xx): done.
    Delivered,
    /// Try again after this long.
    RetryIn(std::time::Duration),
    /// No more attempts: the delivery failed.
    GiveUp,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// Why the attempt failed (bounded in length), if it did.
    pub error: Option<String>,
    pub next: NextStep,
}

/// One entry of a webhook's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub event_id: i64,
    pub incident_id: i64,
    /// The event's kind: `opened`, `escalated`, `updated` or `resolved`.
    pub kind: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Webhooks and their deliveries (Postgres): the incident events are the outbox; every node
/// queues and attempts deliveries, and the stores make sure each is made by one at a time.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Registers a webhook; it receives the incident events recorded from now on.
    async fn create_webhook(&self, hook: &NewWebhook) -> Result<WebhookRecord, StoreError>;
    /// Every webhook, deleted ones included, oldest first.
    async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError>;
    /// Deletes a webhook: it gets no new deliveries and its pending ones fail; it stays
    /// listed, with its delivery log. False when there is no such webhook.
    async fn disable_webhook(&self, id: i64) -> Result<bool, StoreError>;
    /// The newest `limit` deliveries to a webhook, newest first; `None` when there is no
    /// such webhook.
    async fn list_deliveries(
        &self,
        webhook_id: i64,
        limit: i64,
    ) -> Result<Option<Vec<DeliveryRecord>>, StoreError>;
    /// Queues a delivery to every live webhook of every incident event recorded since the
    /// last call; safe to call from several nodes at once. Returns how many were queued.
    async fn enqueue_deliveries(&self) -> Result<usize, StoreError>;
    /// Claims up to `limit` pending deliveries that are due, the oldest due first, for
    /// `lease`: no claim returns them again before it ends (or an attempt is recorded).
    async fn claim_deliveries(
        &self,
        limit: i64,
        lease: std::time::Duration,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// Records the outcome of an attempt at a claimed delivery (nothing if it is no longer
    /// pending, e.g. its webhook was deleted meanwhile).
    async fn record_attempt(&self, id: i64, outcome: &AttemptOutcome) -> Result<(), StoreError>;
    /// Deletes the finished (delivered or failed) deliveries queued before `before`: the
    /// delivery log is kept for a while, not for ever. Returns how many were deleted.
    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}
