//! Reading incidents and their timelines.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

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
