//! The detector leader's session: a dedicated connection holding a Postgres advisory lock.
//! Every detector write goes through that same connection, so a leader whose connection (and
//! with it the lock) is gone cannot write anymore: the lock is its fence.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::models::{IncidentPeriodRow, OpenIncidentRow, TrackerRow};
use super::schema::{detector_series, incident_events, incidents};
use super::{db_error, STORE};
use crate::domain::Severity;
use crate::outage::OutageEvent;
use crate::store::rows::AsOrgRow;
use crate::store::{
    AsOrg, DetectorStore, IncidentEventKind, IncidentPeriod, IncidentStatus, IncidentTick,
    OpenIncident, SavedTracker, StoreError,
};

/// The advisory lock key of the detector leader ("dw-detect" in ASCII).
pub const LEADER_LOCK: i64 = 0x64_77_2d_64_65_74_65_63;

/// Holds the detector leadership for as long as it lives.
pub struct PgLeader {
    conn: AsyncPgConnection,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

impl PgLeader {
    /// Becomes the leader if nobody else is; `None` when another process leads.
    pub async fn try_acquire(database_url: &str) -> Result<Option<Self>, StoreError> {
        let mut conn = AsyncPgConnection::establish(database_url)
            .await
            .map_err(|e| StoreError::Unavailable {
                store: STORE,
                reason: e.to_string(),
            })?;
        let row: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(LEADER_LOCK)
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(row.locked.then_some(Self { conn }))
    }
}

impl PgLeader {
    async fn event(
        &mut self,
        id: i64,
        kind: IncidentEventKind,
        tick: &IncidentTick,
    ) -> QueryResult<usize> {
        diesel::insert_into(incident_events::table)
            .values((
                incident_events::incident_id.eq(id),
                incident_events::at.eq(tick.at),
                incident_events::kind.eq(kind.as_str()),
                incident_events::state.eq(tick.severity.as_str()),
                incident_events::observed.eq(tick.observed),
                incident_events::expected.eq(tick.expected),
                incident_events::score.eq(tick.score),
                incident_events::detail.eq(&tick.evidence),
            ))
            .on_conflict((
                incident_events::incident_id,
                incident_events::kind,
                incident_events::at,
            ))
            .do_nothing()
            .execute(&mut self.conn)
            .await
    }
}

#[async_trait]
impl DetectorStore for PgLeader {
    async fn load_trackers(&mut self) -> Result<Vec<SavedTracker>, StoreError> {
        let rows: Vec<TrackerRow> = detector_series::table
            .select(TrackerRow::as_select())
            .load(&mut self.conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(SavedTracker::try_from).collect()
    }

    async fn save_trackers(
        &mut self,
        rows: &[SavedTracker],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(1000) {
            let values: Vec<_> = chunk
                .iter()
                .map(|row| {
                    (
                        detector_series::service.eq(&row.service),
                        detector_series::scope.eq(row.scope.as_str()),
                        detector_series::tracker.eq(&row.state),
                        detector_series::updated_at.eq(at),
                    )
                })
                .collect();
            diesel::insert_into(detector_series::table)
                .values(&values)
                .on_conflict((detector_series::service, detector_series::scope))
                .do_update()
                .set((
                    detector_series::tracker.eq(diesel::upsert::excluded(detector_series::tracker)),
                    detector_series::updated_at.eq(at),
                ))
                .execute(&mut self.conn)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    async fn open_incidents(&mut self) -> Result<Vec<OpenIncident>, StoreError> {
        let rows: Vec<OpenIncidentRow> = incidents::table
            .filter(incidents::status.eq(IncidentStatus::Open.as_str()))
            .select(OpenIncidentRow::as_select())
            .load(&mut self.conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(OpenIncident::try_from).collect()
    }

    async fn open_incident(
        &mut self,
        tick: &IncidentTick,
        methodology: &str,
    ) -> Result<OpenIncident, StoreError> {
        let inserted: Option<OpenIncidentRow> = diesel::insert_into(incidents::table)
            .values((
                incidents::service.eq(&tick.service),
                incidents::scope.eq(tick.scope.as_str()),
                incidents::status.eq(IncidentStatus::Open.as_str()),
                incidents::severity.eq(tick.severity.as_str()),
                incidents::started_at.eq(tick.at),
                incidents::escalated_at
                    .eq((tick.severity == Severity::Problems).then_some(tick.at)),
                incidents::peak_at.eq(tick.at),
                incidents::peak_observed.eq(tick.observed),
                incidents::peak_expected.eq(tick.expected),
                incidents::peak_score.eq(tick.score),
                incidents::evidence.eq(&tick.evidence),
                incidents::methodology.eq(methodology),
            ))
            .on_conflict_do_nothing()
            .returning(OpenIncidentRow::as_returning())
            .get_result(&mut self.conn)
            .await
            .optional()
            .map_err(db_error)?;
        let open: OpenIncident = match inserted {
            Some(row) => row.try_into()?,
            // Already open (a replayed tick after a failover): carry on with that one.
            None => incidents::table
                .filter(incidents::status.eq(IncidentStatus::Open.as_str()))
                .filter(incidents::service.eq(&tick.service))
                .filter(incidents::scope.eq(tick.scope.as_str()))
                .select(OpenIncidentRow::as_select())
                .first::<OpenIncidentRow>(&mut self.conn)
                .await
                .map_err(db_error)?
                .try_into()?,
        };
        self.event(open.id, IncidentEventKind::Opened, tick)
            .await
            .map_err(db_error)?;
        Ok(open)
    }

    async fn update_incident(
        &mut self,
        id: i64,
        tick: &IncidentTick,
        escalated: bool,
        event: bool,
    ) -> Result<(), StoreError> {
        let target = incidents::table.find(id);
        if escalated {
            let problems = Severity::Problems.as_str();
            diesel::update(target.filter(incidents::severity.ne(problems)))
                .set((
                    incidents::severity.eq(problems),
                    incidents::escalated_at.eq(tick.at),
                ))
                .execute(&mut self.conn)
                .await
                .map_err(db_error)?;
            self.event(id, IncidentEventKind::Escalated, tick)
                .await
                .map_err(db_error)?;
        }
        // The peak (when this tick's window beats it) and the reports so far, in one statement:
        // with hundreds of incidents open on an outage day, every round trip counts.
        diesel::sql_query(
            "UPDATE incidents i SET updated_at = now(),
                total_reports = (
                    SELECT count(*) FROM reports r
                    WHERE r.counted AND r.service = i.service AND r.received_at >= i.started_at
                      AND (i.scope = 'global' OR r.country = i.scope)),
                peak_at = CASE WHEN i.peak_observed < $2 THEN $3 ELSE i.peak_at END,
                peak_expected = CASE WHEN i.peak_observed < $2 THEN $4 ELSE i.peak_expected END,
                peak_score = CASE WHEN i.peak_observed < $2 THEN $5 ELSE i.peak_score END,
                evidence = CASE WHEN i.peak_observed < $2 THEN $6 ELSE i.evidence END,
                peak_observed = GREATEST(i.peak_observed, $2)
             WHERE i.id = $1",
        )
        .bind::<BigInt, _>(id)
        .bind::<diesel::sql_types::Double, _>(tick.observed)
        .bind::<diesel::sql_types::Timestamptz, _>(tick.at)
        .bind::<diesel::sql_types::Double, _>(tick.expected)
        .bind::<diesel::sql_types::Double, _>(tick.score)
        .bind::<diesel::sql_types::Jsonb, _>(&tick.evidence)
        .execute(&mut self.conn)
        .await
        .map_err(db_error)?;
        if event {
            // At most one update every few minutes, even across a failover: the new leader
            // does not know when the old one last wrote.
            diesel::sql_query(
                "INSERT INTO incident_events (incident_id, at, kind, state, observed, expected, score, detail)
                 SELECT $1, $2, 'updated', $3, $4, $5, $6, $7
                 WHERE NOT EXISTS (
                     SELECT 1 FROM incident_events
                     WHERE incident_id = $1 AND at > $2 - interval '4 minutes 30 seconds' AND at <= $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind::<BigInt, _>(id)
            .bind::<diesel::sql_types::Timestamptz, _>(tick.at)
            .bind::<diesel::sql_types::Text, _>(tick.severity.as_str())
            .bind::<diesel::sql_types::Double, _>(tick.observed)
            .bind::<diesel::sql_types::Double, _>(tick.expected)
            .bind::<diesel::sql_types::Double, _>(tick.score)
            .bind::<diesel::sql_types::Jsonb, _>(&tick.evidence)
            .execute(&mut self.conn)
            .await
            .map_err(db_error)?;
        }
        Ok(())
    }

    async fn resolve_incident(&mut self, id: i64, tick: &IncidentTick) -> Result<(), StoreError> {
        diesel::update(
            incidents::table
                .find(id)
                .filter(incidents::status.eq(IncidentStatus::Open.as_str())),
        )
        .set((
            incidents::status.eq(IncidentStatus::Resolved.as_str()),
            incidents::resolved_at.eq(tick.at),
            incidents::updated_at.eq(diesel::dsl::now),
        ))
        .execute(&mut self.conn)
        .await
        .map_err(db_error)?;
        self.event(id, IncidentEventKind::Resolved, tick)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn incident_periods(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentPeriod>, StoreError> {
        let rows: Vec<IncidentPeriodRow> = incidents::table
            .filter(
                incidents::resolved_at
                    .is_null()
                    .or(incidents::resolved_at.ge(since)),
            )
            .select(IncidentPeriodRow::as_select())
            .load(&mut self.conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(IncidentPeriod::try_from).collect()
    }

    async fn as_orgs(&mut self, asns: &[i32]) -> Result<Vec<AsOrg>, StoreError> {
        let rows: Vec<AsOrgRow> = diesel::sql_query(
            "SELECT DISTINCT ON (asn) asn, as_org FROM reports
             WHERE asn = ANY($1) AND as_org IS NOT NULL
               AND received_at > now() - interval '2 days'
             ORDER BY asn, received_at DESC",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Integer>, _>(asns)
        .load(&mut self.conn)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(AsOrg::from).collect())
    }

    async fn save_outage(
        &mut self,
        event: &OutageEvent,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        super::outages::save_outage(&mut self.conn, event, at).await
    }

    async fn log_outage_change(
        &mut self,
        event: &OutageEvent,
        kind: IncidentEventKind,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        super::outages::log_outage_change(&mut self.conn, event, kind, at).await
    }

    async fn open_outages(&mut self) -> Result<Vec<OutageEvent>, StoreError> {
        super::outages::open_outages(&mut self.conn).await
    }

    async fn still_leader(&mut self) -> bool {
        diesel::sql_query("SELECT 1")
            .execute(&mut self.conn)
            .await
            .is_ok()
    }
}
