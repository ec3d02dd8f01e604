//! Outage events as stored: what the detector leader's grouper ([`crate::outage`]) decided,
//! kept as the engine's [`OutageEvent`] with a few columns to filter and rank by, and read by
//! the API, the pages and the archive.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{IncidentStatus, StoreError};
use crate::domain::CountryCode;
use crate::outage::{CauseKind, OutageEvent};

/// An outage event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredOutage {
    pub event: OutageEvent,
    /// Size × severity: reports × duration in minutes × the peak's ratio to normal.
    pub rank: f64,
    pub updated_at: DateTime<Utc>,
}

impl StoredOutage {
    pub fn status(&self) -> IncidentStatus {
        if self.event.end.is_none() {
            IncidentStatus::Open
        } else {
            IncidentStatus::Resolved
        }
    }
}

/// How to order a list of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutageOrder {
    /// Newest first, by `(started_at, id)`.
    #[default]
    Recent,
    /// Largest first, by `(rank, id)`.
    Rank,
}

/// Where a page of events continues: after this event in the list's order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutageCursor {
    Recent { started_at: DateTime<Utc>, id: i64 },
    Rank { rank: f64, id: i64 },
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct OutageFilter {
    pub status: Option<IncidentStatus>,
    /// Events that started in `[from, to)`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Events with reports from this country.
    pub country: Option<CountryCode>,
    /// Events with a member of this catalog category.
    pub category: Option<String>,
    /// Events whose most likely cause is this provider (a service slug).
    pub provider: Option<String>,
    /// Events with this service as a member.
    pub service: Option<String>,
    pub order: OutageOrder,
    pub after: Option<OutageCursor>,
    pub limit: i64,
}

/// The UTC calendar year `year` as `[from, to)`, for filtering events by the year they began.
pub fn year_range(year: i32) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    };
    Some((start(year)?, start(year.checked_add(1)?)?))
}

/// The columns a stored event is filtered by, derived from the event.
#[derive(Debug, Clone, PartialEq)]
pub struct CauseColumns {
    pub kind: &'static str,
    pub key: String,
    pub confidence: f64,
}

/// The top cause of an event as its stored columns.
pub fn cause_columns(event: &OutageEvent) -> Option<CauseColumns> {
    event.top_cause().map(|c| {
        let (kind, key) = match &c.cause {
            CauseKind::Provider { slug } => ("provider", slug.clone()),
            CauseKind::Network { asn, .. } => ("network", asn.to_string()),
            CauseKind::Country { code } => ("country", code.clone()),
        };
        CauseColumns {
            kind,
            key,
            confidence: c.confidence,
        }
    })
}

/// Size × severity of an event at `now`: reports × duration in minutes (at least 1) × the
/// peak's ratio to normal (at least 1).
pub fn outage_rank(event: &OutageEvent, now: DateTime<Utc>) -> f64 {
    let end = event.end.unwrap_or(now);
    let minutes = (end - event.start).num_minutes().max(1) as f64;
    let ratio = (event.peak_reports / event.peak_expected.max(1.0)).max(1.0);
    let rank = event.reports.max(0.0) * minutes * ratio;
    if rank.is_finite() {
        rank
    } else {
        0.0
    }
}

/// What an outage change records in the incident timeline: the event's reports, its peak's
/// normal level, the top cause's confidence, and a summary (id, members, top cause).
pub struct OutageEntry {
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
    pub detail: serde_json::Value,
}

impl OutageEntry {
    pub fn of(event: &OutageEvent) -> Self {
        Self {
            observed: event.reports.round(),
            expected: event.peak_expected,
            score: event.top_cause().map_or(0.0, |c| c.confidence),
            detail: serde_json::json!({
                "outage_id": event.id,
                "services": event.members.iter().map(|m| m.service.as_str()).collect::<Vec<_>>(),
                "cause": event.top_cause(),
            }),
        }
    }
}

/// Reading outage events.
#[async_trait]
pub trait OutageReader: Send + Sync {
    async fn list_outages(&self, filter: &OutageFilter) -> Result<Vec<StoredOutage>, StoreError>;
    async fn get_outage(&self, id: i64) -> Result<Option<StoredOutage>, StoreError>;
    /// The event an incident is a member of, if any.
    async fn outage_of_incident(
        &self,
        incident_id: i64,
    ) -> Result<Option<StoredOutage>, StoreError>;
}
