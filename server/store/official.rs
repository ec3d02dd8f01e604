//! Official status as the poller stores it and the read side shows it: each source's health
//! and last state ([`SourceHealth`]), component changes, official incidents with their posts,
//! the links between Downwatch's incidents and official ones (with the lead time), and the
//! poller's lease (one node polls at a time).

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::StoreError;
use crate::catalog::StatusKind;
use crate::official::model::Indicator;
use crate::official::{Component, ComponentStatus, Impact, OfficialUpdate, ParsedIncident, Stage};

/// A source's health and what its last good poll said.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceHealth {
    pub service: String,
    pub kind: StatusKind,
    pub url: String,
    /// The page's indicator at the last good poll.
    pub indicator: Option<Indicator>,
    /// The components at the last good poll.
    pub components: Vec<Component>,
    /// The last poll, good or not.
    pub checked_at: DateTime<Utc>,
    /// The last good poll.
    pub ok_at: Option<DateTime<Utc>>,
    /// The first failure of the current run of failures; none while polls succeed.
    pub unavailable_since: Option<DateTime<Utc>>,
    /// Why the last poll failed.
    pub error: Option<String>,
}

/// A component's status from `changed_at` on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ComponentChange {
    pub component: String,
    pub status: ComponentStatus,
    pub changed_at: DateTime<Utc>,
}

/// An official incident as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfficialIncident {
    pub id: i64,
    pub service: String,
    pub external_id: String,
    pub title: String,
    pub impact: Impact,
    pub stage: Stage,
    pub url: Option<String>,
    pub components: Vec<String>,
    pub started_at: DateTime<Utc>,
    /// The company's first post (usually "Investigating"): what lead times are measured to.
    pub first_posted_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Oldest first.
    pub updates: Vec<OfficialUpdate>,
}

/// Which official incidents to list, newest first post first.
#[derive(Debug, Clone, Default)]
pub struct OfficialFilter {
    pub service: Option<String>,
    /// Incidents active at some time since then (first posted or resolved later).
    pub since: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// A Downwatch incident and the official incident that overlaps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IncidentLink {
    pub incident_id: i64,
    pub official_id: i64,
    pub service: String,
    /// Downwatch's "problems" onset (when it escalated, else when it opened).
    pub onset_at: DateTime<Utc>,
    /// The official first post minus the onset, in whole minutes: positive when the crowd
    /// saw it first.
    pub lead_minutes: i32,
    pub linked_at: DateTime<Utc>,
}

/// Where official status is kept.
#[async_trait]
pub trait OfficialStore: Send + Sync {
    /// Takes, or renews, the poller's lease for `holder` until `now + ttl`; true when
    /// `holder` holds it after the call (it was free, expired or already its own).
    async fn take_lease(
        &self,
        holder: &str,
        now: DateTime<Utc>,
        ttl: TimeDelta,
    ) -> Result<bool, StoreError>;

    /// Every source polled so far.
    async fn list_sources(&self) -> Result<Vec<SourceHealth>, StoreError>;
    /// One service's source, if it was ever polled.
    async fn get_source(&self, service: &str) -> Result<Option<SourceHealth>, StoreError>;
    /// Creates or replaces a source's row.
    async fn put_source(&self, health: &SourceHealth) -> Result<(), StoreError>;

    /// Adds component changes; one already stored (same component and time) is kept once.
    async fn add_component_changes(
        &self,
        service: &str,
        changes: &[ComponentChange],
    ) -> Result<(), StoreError>;
    /// A service's component changes since `since`, oldest first.
    async fn list_component_changes(
        &self,
        service: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ComponentChange>, StoreError>;

    /// Creates or updates each incident (by its external id), seen at `now`.
    async fn upsert_official(
        &self,
        service: &str,
        incidents: &[ParsedIncident],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Resolves, at `at`, the service's open incidents whose external id is not in `present`;
    /// returns how many.
    async fn resolve_missing(
        &self,
        service: &str,
        present: &[String],
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError>;
    /// Official incidents, newest first post first.
    async fn list_official(
        &self,
        filter: &OfficialFilter,
    ) -> Result<Vec<OfficialIncident>, StoreError>;

    /// Creates or replaces the link of `link.incident_id`.
    async fn save_link(&self, link: &IncidentLink) -> Result<(), StoreError>;
    /// Links of one service (or all), of onsets since `since`, newest first.
    async fn list_links(
        &self,
        service: Option<&str>,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentLink>, StoreError>;
}

/// The JSON the stores keep components in.
pub(crate) fn components_json(components: &[Component]) -> String {
    serde_json::to_string(components).unwrap_or_else(|_| "[]".into())
}

/// The JSON the stores keep posts in.
pub(crate) fn updates_json(updates: &[OfficialUpdate]) -> String {
    serde_json::to_string(updates).unwrap_or_else(|_| "[]".into())
}

/// Stored JSON back to its type, or `Failed` naming the column.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    store: &'static str,
    column: &str,
    raw: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Failed {
        store,
        reason: format!("{column}: {e}"),
    })
}

/// The posts of `old` and `new` together, each once (by time and stage), oldest first: a feed
/// forgets old posts, and what was once posted stays posted.
pub(crate) fn merge_updates(
    old: Vec<OfficialUpdate>,
    new: &[OfficialUpdate],
) -> Vec<OfficialUpdate> {
    let mut all = old;
    for u in new {
        if !all
            .iter()
            .any(|o| o.posted_at == u.posted_at && o.stage == u.stage)
        {
            all.push(u.clone());
        }
    }
    all.sort_by_key(|u| u.posted_at);
    all
}

/// The stored form of `incident` given what was stored before (`old`): posts merged, the
/// first post never later than before.
pub(crate) fn merged(
    incident: &ParsedIncident,
    old: Option<(DateTime<Utc>, Vec<OfficialUpdate>)>,
) -> (DateTime<Utc>, Vec<OfficialUpdate>) {
    let first = incident.first_posted_at();
    // Stored to the microsecond, as every other time.
    let micros =
        |t: DateTime<Utc>| DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t);
    let first = micros(first);
    let new: Vec<OfficialUpdate> = incident
        .updates
        .iter()
        .map(|u| OfficialUpdate {
            posted_at: micros(u.posted_at),
            ..u.clone()
        })
        .collect();
    match old {
        Some((old_first, old_updates)) => (old_first.min(first), merge_updates(old_updates, &new)),
        None => (first, new),
    }
}

/// The lease's one row: the poller's.
pub(crate) const LEASE: &str = "poller";
