//! Reading incidents and their timelines: the semantics of `postgres::incidents`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::models::{IncidentEventRow, IncidentRow};
use super::schema::{incident_events, incidents};
use super::types::Micros;
use super::SqliteStore;
use crate::store::{
    IncidentDetail, IncidentEventRecord, IncidentFilter, IncidentReader, IncidentRecord, StoreError,
};

/// The smallest storable time (whole microseconds) at or after `t`: a stored `x` is `>= t`
/// exactly when `x >= ceil_micros(t)`, and `< t` exactly when `x < ceil_micros(t)`, as
/// Postgres compares its microsecond timestamps with a finer `t`.
fn ceil_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let exact = t.timestamp_subsec_nanos().is_multiple_of(1000);
    let us = t.timestamp_micros().saturating_add(i64::from(!exact));
    DateTime::from_timestamp_micros(us).unwrap_or(t)
}

#[async_trait]
impl IncidentReader for SqliteStore {
    async fn list_incidents(&self, f: &IncidentFilter) -> Result<Vec<IncidentRecord>, StoreError> {
        let f = f.clone();
        let rows: Vec<IncidentRow> = self
            .read(move |conn| {
                let mut query = incidents::table
                    .select(IncidentRow::as_select())
                    .into_boxed();
                if let Some(service) = f.service {
                    query = query.filter(incidents::service.eq(service));
                }
                if let Some(scope) = f.scope {
                    query = query.filter(incidents::scope.eq(scope));
                }
                if let Some(status) = f.status {
                    query = query.filter(incidents::status.eq(status));
                }
                if let Some(to) = f.to {
                    query = query.filter(incidents::started_at.lt(Micros(ceil_micros(to))));
                }
                if let Some(from) = f.from {
                    query = query.filter(
                        incidents::resolved_at
                            .is_null()
                            .or(incidents::resolved_at.ge(Micros(ceil_micros(from)))),
                    );
                }
                if let Some((started, id)) = f.after {
                    let bound = ceil_micros(started);
                    query = if bound == started {
                        let bound = Micros(bound);
                        query.filter(
                            incidents::started_at
                                .lt(bound)
                                .or(incidents::started_at.eq(bound).and(incidents::id.lt(id))),
                        )
                    } else {
                        // No stored time equals a cursor finer than a microsecond.
                        query.filter(incidents::started_at.lt(Micros(bound)))
                    };
                }
                query
                    .order((incidents::started_at.desc(), incidents::id.desc()))
                    .limit(f.limit)
                    .load(conn)
            })
            .await?;
        Ok(rows.into_iter().map(IncidentRecord::from).collect())
    }

    async fn get_incident(&self, id: i64) -> Result<Option<IncidentDetail>, StoreError> {
        let found = self
            .read(move |conn| {
                // One read transaction: the incident and its timeline from the same snapshot.
                conn.transaction(|conn| {
                    let Some(row) = incidents::table
                        .find(id)
                        .select(IncidentRow::as_select())
                        .first(conn)
                        .optional()?
                    else {
                        return Ok(None);
                    };
                    let events: Vec<IncidentEventRow> = incident_events::table
                        .filter(incident_events::incident_id.eq(id))
                        .select(IncidentEventRow::as_select())
                        .order((incident_events::at, incident_events::id))
                        .load(conn)?;
                    Ok(Some((row, events)))
                })
            })
            .await?;
        let Some((row, events)) = found else {
            return Ok(None);
        };
        let timeline = events.into_iter().map(IncidentEventRecord::from).collect();
        Ok(Some(IncidentDetail {
            incident: IncidentRecord::from(row),
            events: timeline,
        }))
    }
}
