//! Outage events in Postgres: the leader's upsert of an event (with its members and
//! countries), and the readers' lists.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::models::OutageRow;
use super::schema::{incident_events, outage_countries, outage_events, outage_members};
use super::{db_error, PgStore};
use crate::domain::Severity;
use crate::outage::OutageEvent;
use crate::store::rows::outage_query;
use crate::store::{
    cause_columns, outage_rank, IncidentEventKind, IncidentStatus, OutageEntry, OutageFilter,
    OutageReader, StoreError, StoredOutage,
};

/// Saves `event` as it is at `at`: one upsert of the event, its members and its countries,
/// in one transaction, so that saving the same event again changes nothing.
pub(super) async fn save_outage(
    conn: &mut AsyncPgConnection,
    event: &OutageEvent,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let detail = serde_json::to_value(event).map_err(|e| StoreError::Failed {
        store: super::STORE,
        reason: e.to_string(),
    })?;
    let status = if event.end.is_none() {
        IncidentStatus::Open
    } else {
        IncidentStatus::Resolved
    };
    let cause = cause_columns(event);
    let rank = outage_rank(event, at);
    let row = (
        outage_events::id.eq(event.id),
        outage_events::status.eq(status.as_str()),
        outage_events::started_at.eq(event.start),
        outage_events::ended_at.eq(event.end),
        outage_events::peak_at.eq(event.peak_at),
        outage_events::peak_reports.eq(event.peak_reports),
        outage_events::reports.eq(event.reports),
        outage_events::members.eq(event.members.len() as i32),
        outage_events::cause_kind.eq(cause.as_ref().map(|c| c.kind)),
        outage_events::cause_key.eq(cause.as_ref().map(|c| c.key.clone())),
        outage_events::cause_confidence.eq(cause.as_ref().map(|c| c.confidence)),
        outage_events::rank.eq(rank),
        outage_events::detail.eq(detail),
        outage_events::updated_at.eq(at),
    );
    let members: Vec<_> = event
        .members
        .iter()
        .map(|m| {
            (
                outage_members::incident_id.eq(m.incident_id),
                outage_members::event_id.eq(event.id),
                outage_members::service.eq(m.service.clone()),
            )
        })
        .collect();
    let countries: Vec<_> = event
        .countries
        .iter()
        .map(|c| {
            (
                outage_countries::event_id.eq(event.id),
                outage_countries::country.eq(c.code.clone()),
                outage_countries::share.eq(c.share),
            )
        })
        .collect();
    let id = event.id;
    conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
        diesel::insert_into(outage_events::table)
            .values(row.clone())
            .on_conflict(outage_events::id)
            .do_update()
            .set(row)
            .execute(conn)
            .await?;
        if !members.is_empty() {
            diesel::insert_into(outage_members::table)
                .values(&members)
                .on_conflict(outage_members::incident_id)
                .do_update()
                .set((
                    outage_members::event_id.eq(diesel::upsert::excluded(outage_members::event_id)),
                    outage_members::service.eq(diesel::upsert::excluded(outage_members::service)),
                ))
                .execute(conn)
                .await?;
        }
        diesel::delete(outage_countries::table.filter(outage_countries::event_id.eq(id)))
            .execute(conn)
            .await?;
        if !countries.is_empty() {
            diesel::insert_into(outage_countries::table)
                .values(&countries)
                .execute(conn)
                .await?;
        }
        Ok(())
    })
    .await
    .map_err(db_error)
}

/// Records an outage change in the first member's incident timeline (at most once per kind and
/// time).
pub(super) async fn log_outage_change(
    conn: &mut AsyncPgConnection,
    event: &OutageEvent,
    kind: IncidentEventKind,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let entry = OutageEntry::of(event);
    diesel::insert_into(incident_events::table)
        .values((
            incident_events::incident_id.eq(event.id),
            incident_events::at.eq(at),
            incident_events::kind.eq(kind.as_str()),
            incident_events::state.eq(Severity::Problems.as_str()),
            incident_events::observed.eq(entry.observed),
            incident_events::expected.eq(entry.expected),
            incident_events::score.eq(entry.score),
            incident_events::detail.eq(entry.detail),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The open events, for a new leader to resume.
pub(super) async fn open_outages(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<OutageEvent>, StoreError> {
    let rows: Vec<OutageRow> = outage_events::table
        .filter(outage_events::status.eq(IncidentStatus::Open.as_str()))
        .select(OutageRow::as_select())
        .load(conn)
        .await
        .map_err(db_error)?;
    rows.into_iter()
        .map(|r| StoredOutage::try_from(r).map(|s| s.event))
        .collect()
}

#[async_trait]
impl OutageReader for PgStore {
    async fn list_outages(&self, f: &OutageFilter) -> Result<Vec<StoredOutage>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<OutageRow> = outage_query!(f, |t: DateTime<Utc>| t)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(StoredOutage::try_from).collect()
    }

    async fn get_outage(&self, id: i64) -> Result<Option<StoredOutage>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<OutageRow> = outage_events::table
            .find(id)
            .select(OutageRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(StoredOutage::try_from).transpose()
    }

    async fn outage_of_incident(
        &self,
        incident_id: i64,
    ) -> Result<Option<StoredOutage>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<OutageRow> = outage_events::table
            .inner_join(outage_members::table)
            .filter(outage_members::incident_id.eq(incident_id))
            .select(OutageRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_error)?;
        row.map(StoredOutage::try_from).transpose()
    }
}
