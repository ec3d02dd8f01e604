//! The status board: what the detector last said about each service, and the live event log
//! every node's readers follow.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

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

/// A live event with its id in the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    pub id: String,
    pub event: LiveEvent,
}

/// Where the detector leader publishes statuses and events for every node.
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
    ) -> Result<Vec<LoggedEvent>, StoreError>;
}
