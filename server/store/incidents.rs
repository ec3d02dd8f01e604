//! Reading incidents and their timelines.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;
use crate::domain::{words, Scope, Severity, State};

/// Whether an incident is still `open` or `resolved`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Open,
    Resolved,
}

words!(IncidentStatus, "incident status", {
    Open = "open",
    Resolved = "resolved",
});

/// What happened to an incident: `opened`, `escalated`, `updated` or `resolved`; or, on the
/// first member's incident of an outage event (whose id is the event's), what happened to the
/// event: `outage-opened`, `outage-grew`, `outage-updated`, `outage-resolved`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentEventKind {
    Opened,
    Escalated,
    Updated,
    Resolved,
    OutageOpened,
    OutageGrew,
    OutageUpdated,
    OutageResolved,
}

words!(IncidentEventKind, "incident event kind", {
    Opened = "opened",
    Escalated = "escalated",
    Updated = "updated",
    Resolved = "resolved",
    OutageOpened = "outage-opened",
    OutageGrew = "outage-grew",
    OutageUpdated = "outage-updated",
    OutageResolved = "outage-resolved",
});

impl IncidentEventKind {
    /// Whether it is news of an outage event rather than of the incident itself.
    pub fn is_outage(self) -> bool {
        matches!(
            self,
            Self::OutageOpened | Self::OutageGrew | Self::OutageUpdated | Self::OutageResolved
        )
    }
}

/// Which incidents to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub service: Option<String>,
    pub scope: Option<Scope>,
    pub status: Option<IncidentStatus>,
    /// Incidents active at some time in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Continue after this `(started_at, id)`.
    pub after: Option<(DateTime<Utc>, i64)>,
    pub limit: i64,
}

/// An incident: a period when a service (globally, or in one country) had far more reports
/// than normal. Figures are **reports**, never users; times are UTC (ISO 8601).
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Incident)]
pub struct IncidentRecord {
    pub id: i64,
    /// The service's slug.
    pub service: String,
    /// `global`, or the ISO 3166-1 alpha-2 country the incident is about.
    #[schema(value_type = String)]
    pub scope: Scope,
    pub status: IncidentStatus,
    /// The worst state the incident reached.
    pub severity: Severity,
    pub started_at: DateTime<Utc>,
    /// When it escalated from possible problems to problems, if it did.
    pub escalated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The minute of the highest anomaly score.
    pub peak_at: DateTime<Utc>,
    /// Counted reports in the observation window at the peak (after flood damping).
    pub peak_reports: f64,
    /// Reports expected in that window at that time of day and week.
    pub peak_expected: f64,
    /// Anomaly score at the peak, in [0, 1] (`dw-detect-2`: the confidence that the true
    /// rate reached the "problems" ratio times normal).
    pub peak_score: f64,
    /// Counted reports since the incident started.
    pub total_reports: i64,
    /// The version of the detection method that declared it, e.g. `dw-detect-1`.
    pub methodology: String,
    /// When the detector last updated it.
    pub updated_at: DateTime<Utc>,
    // The evidence as the detector wrote it, kept as is: an `Evidence` document (those of
    // older methods lack some fields). No doc comment: it would describe the schema's $ref.
    #[schema(value_type = crate::domain::Evidence)]
    pub evidence: serde_json::Value,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = IncidentEvent)]
pub struct IncidentEventRecord {
    pub at: DateTime<Utc>,
    /// `opened`, `escalated`, `updated` or `resolved`.
    #[schema(value_type = String)]
    pub kind: IncidentEventKind,
    /// The state after the entry.
    pub state: State,
    /// Counted reports in the window at that minute.
    pub reports: f64,
    pub expected: f64,
    pub score: f64,
}

/// An incident with its timeline, oldest entry first.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDetail {
    pub incident: IncidentRecord,
    pub events: Vec<IncidentEventRecord>,
}

/// Reading incidents.
#[async_trait]
pub trait IncidentReader: Send + Sync {
    async fn list_incidents(
        &self,
        filter: &IncidentFilter,
    ) -> Result<Vec<IncidentRecord>, StoreError>;
    async fn get_incident(&self, id: i64) -> Result<Option<IncidentDetail>, StoreError>;
}

impl IncidentFilter {
    /// The same filter with its times in the stores' precision, whole microseconds: `from` and
    /// `to` rounded up, which a stored time compares with exactly as with the finer time (a
    /// stored `x` is `< t` exactly when `x < ceil(t)`, `>= t` exactly when `x >= ceil(t)`),
    /// where the database would truncate them; a finer cursor becomes the first microsecond
    /// after it, with no id left there.
    pub fn in_stored_precision(&self) -> Self {
        let exact = |t: DateTime<Utc>| t.timestamp_subsec_nanos().is_multiple_of(1000);
        let ceil = |t: DateTime<Utc>| {
            let us = t.timestamp_micros().saturating_add(i64::from(!exact(t)));
            DateTime::from_timestamp_micros(us).unwrap_or(t)
        };
        Self {
            from: self.from.map(ceil),
            to: self.to.map(ceil),
            after: self.after.map(|(started, id)| {
                if exact(started) {
                    (started, id)
                } else {
                    (ceil(started), i64::MIN)
                }
            }),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assert_words_round_trip;

    #[test]
    fn incident_statuses_and_event_kinds_are_their_words_everywhere() {
        assert_words_round_trip(IncidentStatus::ALL);
        assert_words_round_trip(IncidentEventKind::ALL);
        assert_eq!(IncidentStatus::WORDS, ["open", "resolved"]);
        assert_eq!(
            IncidentEventKind::WORDS,
            [
                "opened",
                "escalated",
                "updated",
                "resolved",
                "outage-opened",
                "outage-grew",
                "outage-updated",
                "outage-resolved"
            ]
        );
    }
}
