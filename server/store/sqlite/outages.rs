//! Outage events in SQLite: the semantics of `postgres::outages`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::models::OutageRow;
use super::schema::{incident_events, outage_countries, outage_events, outage_members};
use super::types::Micros;
use super::SqliteStore;
use crate::domain::Severity;
use crate::outage::OutageEvent;
use crate::store::rows::outage_query;
use crate::store::{
    cause_columns, outage_rank, IncidentEventKind, IncidentStatus, OutageEntry, OutageFilter,
    OutageReader, StoreError, StoredOutage,
};

impl SqliteStore {
    /// Saves `event` as it is at `at`, in one transaction (an upsert, like Postgres).
    pub(super) async fn save_outage(
        &self,
        event: &OutageEvent,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let detail = serde_json::to_value(event).map_err(|e| StoreError::Failed {
            store: super::STORE,
            reason: e.to_string(),
        })?;
        let event = event.clone();
        self.write(move |conn| {
            let status = if event.end.is_none() {
                IncidentStatus::Open
            } else {
                IncidentStatus::Resolved
            };
            let cause = cause_columns(&event);
            let row = (
                outage_events::id.eq(event.id),
                outage_events::status.eq(status.as_str()),
                outage_events::started_at.eq(Micros(event.start)),
                outage_events::ended_at.eq(event.end.map(Micros)),
                outage_events::peak_at.eq(Micros(event.peak_at)),
                outage_events::peak_reports.eq(event.peak_reports),
                outage_events::reports.eq(event.reports),
                outage_events::members.eq(event.members.len() as i32),
                outage_events::cause_kind.eq(cause.as_ref().map(|c| c.kind)),
                outage_events::cause_key.eq(cause.as_ref().map(|c| c.key.clone())),
                outage_events::cause_confidence.eq(cause.as_ref().map(|c| c.confidence)),
                outage_events::rank.eq(outage_rank(&event, at)),
                outage_events::detail.eq(&detail),
                outage_events::updated_at.eq(Micros(at)),
            );
            diesel::insert_into(outage_events::table)
                .values(row.clone())
                .on_conflict(outage_events::id)
                .do_update()
                .set(row)
                .execute(conn)?;
            for m in &event.members {
                diesel::insert_into(outage_members::table)
                    .values((
                        outage_members::incident_id.eq(m.incident_id),
                        outage_members::event_id.eq(event.id),
                        outage_members::service.eq(&m.service),
                    ))
                    .on_conflict(outage_members::incident_id)
                    .do_update()
                    .set((
                        outage_members::event_id.eq(event.id),
                        outage_members::service.eq(&m.service),
                    ))
                    .execute(conn)?;
            }
            diesel::delete(outage_countries::table.filter(outage_countries::event_id.eq(event.id)))
                .execute(conn)?;
            for c in &event.countries {
                diesel::insert_into(outage_countries::table)
                    .values((
                        outage_countries::event_id.eq(event.id),
                        outage_countries::country.eq(&c.code),
                        outage_countries::share.eq(c.share),
                    ))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    /// Records an outage change in the first member's incident timeline (at most once per kind
    /// and time).
    pub(super) async fn log_outage_change(
        &self,
        event: &OutageEvent,
        kind: IncidentEventKind,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let entry = OutageEntry::of(event);
        let id = event.id;
        self.write(move |conn| {
            diesel::insert_into(incident_events::table)
                .values((
                    incident_events::incident_id.eq(id),
                    incident_events::at.eq(Micros(at)),
                    incident_events::kind.eq(kind.as_str()),
                    incident_events::state.eq(Severity::Problems.as_str()),
                    incident_events::observed.eq(entry.observed),
                    incident_events::expected.eq(entry.expected),
                    incident_events::score.eq(entry.score),
                    incident_events::detail.eq(&entry.detail),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .map(|_| ())
        })
        .await
    }

    /// The open events, for a new leader to resume.
    pub(super) async fn open_outages(&self) -> Result<Vec<OutageEvent>, StoreError> {
        let rows: Vec<OutageRow> = self
            .read(|conn| {
                outage_events::table
                    .filter(outage_events::status.eq(IncidentStatus::Open.as_str()))
                    .select(OutageRow::as_select())
                    .load(conn)
            })
            .await?;
        rows.into_iter()
            .map(|r| StoredOutage::try_from(r).map(|s| s.event))
            .collect()
    }
}

#[async_trait]
impl OutageReader for SqliteStore {
    async fn list_outages(&self, f: &OutageFilter) -> Result<Vec<StoredOutage>, StoreError> {
        let f = f.clone();
        let rows: Vec<OutageRow> = self
            .read(move |conn| outage_query!(&f, Micros).load(conn))
            .await?;
        rows.into_iter().map(StoredOutage::try_from).collect()
    }

    async fn get_outage(&self, id: i64) -> Result<Option<StoredOutage>, StoreError> {
        let row: Option<OutageRow> = self
            .read(move |conn| {
                outage_events::table
                    .find(id)
                    .select(OutageRow::as_select())
                    .first(conn)
                    .optional()
            })
            .await?;
        row.map(StoredOutage::try_from).transpose()
    }

    async fn outage_of_incident(
        &self,
        incident_id: i64,
    ) -> Result<Option<StoredOutage>, StoreError> {
        let row: Option<OutageRow> = self
            .read(move |conn| {
                outage_events::table
                    .inner_join(outage_members::table)
                    .filter(outage_members::incident_id.eq(incident_id))
                    .select(OutageRow::as_select())
                    .first(conn)
                    .optional()
            })
            .await?;
        row.map(StoredOutage::try_from).transpose()
    }
}
