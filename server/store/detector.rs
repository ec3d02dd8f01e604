//! What the detector leader writes (its state machines and incidents), and how one process
//! of a deployment becomes that leader.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{IncidentEventKind, StoreError};
use crate::domain::{Scope, Severity};
use crate::outage::OutageEvent;

/// An incident's figures at one tick, as the detector writes them.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentTick {
    pub service: String,
    pub scope: Scope,
    pub severity: Severity,
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
    pub scope: Scope,
    pub severity: Severity,
    pub started_at: DateTime<Utc>,
    pub peak_observed: f64,
}

/// One series' state machine as the detector saves it between ticks and leaders.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedTracker {
    pub service: String,
    pub scope: Scope,
    /// The tracker, as JSON (the detector's own format).
    pub state: serde_json::Value,
}

/// When one incident was open.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentPeriod {
    pub service: String,
    pub scope: Scope,
    pub started_at: DateTime<Utc>,
    /// None while open.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// An autonomous system's organisation name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOrg {
    pub asn: i32,
    pub org: String,
}

/// What the detector leader writes. Implementations hold the leadership: writes
/// fail once it is lost, so a deposed leader cannot write.
#[async_trait]
pub trait DetectorStore: Send {
    /// The saved state machines.
    async fn load_trackers(&mut self) -> Result<Vec<SavedTracker>, StoreError>;
    async fn save_trackers(
        &mut self,
        rows: &[SavedTracker],
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
    /// Incidents overlapping `[since, now)`.
    async fn incident_periods(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentPeriod>, StoreError>;
    /// The organisation names of autonomous systems, from recent reports.
    async fn as_orgs(&mut self, asns: &[i32]) -> Result<Vec<AsOrg>, StoreError>;
    /// Saves an outage event as the grouper left it at `at` (an upsert by id, with its
    /// members and countries): saving the same event again changes nothing.
    async fn save_outage(
        &mut self,
        event: &OutageEvent,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Records what happened to an outage event in its first member's incident timeline
    /// (whose id is the event's), the outbox webhooks deliver from: at most one entry of a
    /// kind per event and time, so that a replayed tick adds nothing.
    async fn log_outage_change(
        &mut self,
        event: &OutageEvent,
        kind: IncidentEventKind,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The open outage events, for a new leader to resume.
    async fn open_outages(&mut self) -> Result<Vec<OutageEvent>, StoreError>;
    /// Whether this store still holds the leadership.
    async fn still_leader(&mut self) -> bool;
}

/// How a process becomes the one detector leader of its deployment.
#[async_trait]
pub trait LeaderElection: Send + Sync {
    /// The leader's store if this process is now the leader; `None` when another leads.
    async fn campaign(&self) -> Result<Option<Box<dyn DetectorStore>>, StoreError>;
}
