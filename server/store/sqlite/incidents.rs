//! Reading incidents and their timelines: the semantics of `postgres::incidents`.

use async_trait::async_trait;
use diesel::prelude::*;

use super::models::{IncidentEventRow, IncidentRow};
use super::schema::{incident_events, incidents};
use super::types::Micros;
use super::SqliteStore;
use crate::store::{
    IncidentDetail, IncidentEventRecord, IncidentFilter, IncidentReader, IncidentRecord, StoreError,
};

#[async_trait]
impl IncidentReader for SqliteStore {
    async fn list_incidents(&self, f: &IncidentFilter) -> Result<Vec<IncidentRecord>, StoreError> {
        let f = f.in_stored_precision();
        let rows: Vec<IncidentRow> = self
            .read(move |conn| {
                let mut query = incidents::table
                    .select(IncidentRow::as_select())
                    .into_boxed();
                if let Some(service) = f.service {
                    query = query.filter(incidents::service.eq(service));
                }
                if let Some(scope) = f.scope {
                    query = query.filter(incidents::scope.eq(scope.as_str().to_owned()));
                }
                if let Some(status) = f.status {
                    query = query.filter(incidents::status.eq(status.as_str()));
                }
                if let Some(to) = f.to {
                    query = query.filter(incidents::started_at.lt(Micros(to)));
                }
                if let Some(from) = f.from {
                    query = query.filter(
                        incidents::resolved_at
                            .is_null()
                            .or(incidents::resolved_at.ge(Micros(from))),
                    );
                }
                if let Some((started, id)) = f.after {
                    let started = Micros(started);
                    query = query.filter(
                        incidents::started_at
                            .lt(started)
                            .or(incidents::started_at.eq(started).and(incidents::id.lt(id))),
                    );
                }
                query
                    .order((incidents::started_at.desc(), incidents::id.desc()))
                    .limit(f.limit)
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(IncidentRecord::try_from).collect()
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
        let timeline = events
            .into_iter()
            .map(IncidentEventRecord::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Some(IncidentDetail {
            incident: IncidentRecord::try_from(row)?,
            events: timeline,
        }))
    }
}
