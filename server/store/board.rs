//! The status board: what the detector last said about each service, and the live event log
//! every node's readers follow.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{words, Scope, State};

/// What the detector last said about one service, for readers on every node.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServiceStatus {
    pub service: String,
    /// How the whole service is doing.
    pub state: State,
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

/// What a live event says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LiveEventKind {
    IncidentOpened,
    IncidentEscalated,
    IncidentResolved,
    StateChanged,
    OutageOpened,
    OutageGrew,
    OutageUpdated,
    OutageResolved,
    OfficialChanged,
}

words!(LiveEventKind, "live event kind", {
    IncidentOpened = "incident-opened",
    IncidentEscalated = "incident-escalated",
    IncidentResolved = "incident-resolved",
    StateChanged = "state-changed",
    OutageOpened = "outage-opened",
    OutageGrew = "outage-grew",
    OutageUpdated = "outage-updated",
    OutageResolved = "outage-resolved",
    OfficialChanged = "official-changed",
});

/// A live event: an incident opened, escalated or resolved, a series' state change, or an
/// outage event (incidents of several services grouped) opened, grew, changed or ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(description = "The JSON `data` of one Server-Sent Event of `GET /api/v1/events`.")]
pub struct LiveEvent {
    /// `incident-opened`, `incident-escalated`, `incident-resolved`, `state-changed`,
    /// `outage-opened`, `outage-grew`, `outage-updated`, `outage-resolved` or
    /// `official-changed` (the service's official status page changed state); also the SSE
    /// `event:` name. For an outage event, `service` and `incident_id` are its first
    /// member's and `outage_id` is set.
    #[schema(value_type = String)]
    pub kind: LiveEventKind,
    pub service: String,
    /// `global` or a country code.
    #[schema(value_type = String)]
    pub scope: Scope,
    pub incident_id: Option<i64>,
    pub state: State,
    pub at: DateTime<Utc>,
    /// The outage event (`/api/v1/outages/{id}`), for `outage-*` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_id: Option<i64>,
    /// `official-changed` only: what the official status page says now (`operational`,
    /// `issues`, `unavailable`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official: Option<crate::official::OfficialState>,
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
    /// Publishes the statuses of one detector tick and counts the tick.
    async fn publish_statuses(&self, statuses: &[ServiceStatus]) -> Result<(), StoreError>;
    /// How many ticks have published statuses (nodes watch it to know that answers built
    /// from the previous tick are out of date).
    async fn tick_count(&self) -> Result<u64, StoreError>;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assert_words_round_trip;

    #[test]
    fn live_event_kinds_are_their_words_everywhere() {
        assert_words_round_trip(LiveEventKind::ALL);
        assert_eq!(
            LiveEventKind::WORDS,
            [
                "incident-opened",
                "incident-escalated",
                "incident-resolved",
                "state-changed",
                "outage-opened",
                "outage-grew",
                "outage-updated",
                "outage-resolved",
                "official-changed",
            ]
        );
    }

    #[test]
    fn statuses_and_events_keep_their_json() {
        let status = r#"{"service":"netflix","state":"possible-problems","since":null,"reports":12,"expected":1.5,"ratio":8.0,"score":0.9,"window_minutes":3,"at":"2026-11-27T14:05:00Z","open_incidents":[7]}"#;
        let decoded: ServiceStatus = serde_json::from_str(status).expect("decodes");
        assert_eq!(decoded.state, State::PossibleProblems);
        assert_eq!(serde_json::to_string(&decoded).expect("encodes"), status);
        let event = r#"{"kind":"incident-opened","service":"netflix","scope":"IT","incident_id":42,"state":"problems","at":"2026-11-27T14:05:00Z"}"#;
        let decoded: LiveEvent = serde_json::from_str(event).expect("decodes");
        assert_eq!(decoded.kind, LiveEventKind::IncidentOpened);
        assert_eq!(decoded.scope.to_string(), "IT");
        assert_eq!(serde_json::to_string(&decoded).expect("encodes"), event);
        let bad = event.replace("incident-opened", "incident-exploded");
        assert!(serde_json::from_str::<LiveEvent>(&bad).is_err());
    }
}
