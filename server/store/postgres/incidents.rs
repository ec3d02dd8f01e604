//! Reading incidents and their timelines.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{incident_events, incidents};
use super::{db_error, PgStore, STORE};
use crate::store::{
    parse_stored, IncidentDetail, IncidentEventRecord, IncidentFilter, IncidentReader,
    IncidentRecord, StoreError,
};

type Row = (
    (
        i64,
        String,
        String,
        String,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    ),
    (
        DateTime<Utc>,
        f64,
        f64,
        f64,
        i64,
        String,
        DateTime<Utc>,
        serde_json::Value,
    ),
);

fn record(r: Row) -> Result<IncidentRecord, StoreError> {
    let ((id, service, scope, status, severity, started_at, escalated_at, resolved_at), rest) = r;
    let (
        peak_at,
        peak_reports,
        peak_expected,
        peak_score,
        total_reports,
        methodology,
        updated_at,
        evidence,
    ) = rest;
    Ok(IncidentRecord {
        id,
        service,
        scope: parse_stored(STORE, "incidents.scope", &scope)?,
        status: parse_stored(STORE, "incidents.status", &status)?,
        severity: parse_stored(STORE, "incidents.severity", &severity)?,
        started_at,
        escalated_at,
        resolved_at,
        peak_at,
        peak_reports,
        peak_expected,
        peak_score,
        total_reports,
        methodology,
        updated_at,
        evidence,
    })
}

macro_rules! columns {
    () => {
        (
            (
                incidents::id,
                incidents::service,
                incidents::scope,
                incidents::status,
                incidents::severity,
                incidents::started_at,
                incidents::escalated_at,
                incidents::resolved_at,
            ),
            (
                incidents::peak_at,
                incidents::peak_observed,
                incidents::peak_expected,
                incidents::peak_score,
                incidents::total_reports,
                incidents::methodology,
                incidents::updated_at,
                incidents::evidence,
            ),
        )
    };
}

#[async_trait]
impl IncidentReader for PgStore {
    async fn list_incidents(&self, f: &IncidentFilter) -> Result<Vec<IncidentRecord>, StoreError> {
        let mut conn = self.conn().await?;
        let mut query = incidents::table.select(columns!()).into_boxed();
        if let Some(service) = &f.service {
            query = query.filter(incidents::service.eq(service.clone()));
        }
        if let Some(scope) = &f.scope {
            query = query.filter(incidents::scope.eq(scope.as_str().to_owned()));
        }
        if let Some(status) = &f.status {
            query = query.filter(incidents::status.eq(status.as_str()));
        }
        if let Some(to) = f.to {
            query = query.filter(incidents::started_at.lt(to));
        }
        if let Some(from) = f.from {
            query = query.filter(
                incidents::resolved_at
                    .is_null()
                    .or(incidents::resolved_at.ge(from)),
            );
        }
        if let Some((started, id)) = f.after {
            query = query.filter(
                incidents::started_at
                    .lt(started)
                    .or(incidents::started_at.eq(started).and(incidents::id.lt(id))),
            );
        }
        let rows: Vec<Row> = query
            .order((incidents::started_at.desc(), incidents::id.desc()))
            .limit(f.limit)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(record).collect()
    }

    async fn get_incident(&self, id: i64) -> Result<Option<IncidentDetail>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<Row> = incidents::table
            .find(id)
            .select(columns!())
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_error)?;
        let Some(row) = row else {
            return Ok(None);
        };
        let events: Vec<(DateTime<Utc>, String, String, f64, f64, f64)> = incident_events::table
            .filter(incident_events::incident_id.eq(id))
            .select((
                incident_events::at,
                incident_events::kind,
                incident_events::state,
                incident_events::observed,
                incident_events::expected,
                incident_events::score,
            ))
            .order((incident_events::at, incident_events::id))
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        let timeline = events
            .into_iter()
            .map(|(at, kind, state, reports, expected, score)| {
                Ok(IncidentEventRecord {
                    at,
                    kind: parse_stored(STORE, "incident_events.kind", &kind)?,
                    state: parse_stored(STORE, "incident_events.state", &state)?,
                    reports,
                    expected,
                    score,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(IncidentDetail {
            incident: record(row)?,
            events: timeline,
        }))
    }
}
