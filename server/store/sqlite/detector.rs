//! The detector leader's writes in SQLite.
//!
//! The embedded stack is single-process, so leadership is an in-process claim on the database
//! file: at most one [`SqliteLeader`] per file lives in this process, and dropping it frees the
//! claim. Two processes sharing one file would both lead; do not do that (use Postgres).
//! Writes are idempotent as in Postgres, so a restarted leader replaying a tick adds nothing.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Json, Text};

use super::models::{IncidentPeriodRow, OpenIncidentRow, TrackerRow};
use super::schema::{detector_series, incident_events, incidents};
use super::types::{Micros, UnixMicros};
use super::SqliteStore;
use crate::domain::Severity;
use crate::outage::OutageEvent;
use crate::store::rows::AsOrgRow;
use crate::store::{
    AsOrg, DetectorStore, IncidentEventKind, IncidentPeriod, IncidentStatus, IncidentTick,
    OpenIncident, SavedTracker, StoreError,
};

/// The database files that have a leader in this process.
static LEADERS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// The claim on one database file; released when dropped.
struct Claim(PathBuf);

impl Drop for Claim {
    fn drop(&mut self) {
        crate::sync::lock(&LEADERS).remove(&self.0);
    }
}

/// Holds the detector leadership of one database for as long as it lives.
pub struct SqliteLeader {
    store: SqliteStore,
    _claim: Claim,
}

impl SqliteLeader {
    /// Becomes the leader of `store`'s database; `None` when this process already has one.
    pub fn try_acquire(store: &SqliteStore) -> Option<Self> {
        let path = store.path().to_path_buf();
        let mut leaders = crate::sync::lock(&LEADERS);
        leaders.insert(path.clone()).then(|| Self {
            store: store.clone(),
            _claim: Claim(path),
        })
    }
}

/// Records an event, at most one per incident, kind and time.
fn event(
    conn: &mut SqliteConnection,
    id: i64,
    kind: IncidentEventKind,
    t: &IncidentTick,
) -> QueryResult<usize> {
    diesel::insert_into(incident_events::table)
        .values((
            incident_events::incident_id.eq(id),
            incident_events::at.eq(Micros(t.at)),
            incident_events::kind.eq(kind.as_str()),
            incident_events::state.eq(t.severity.as_str()),
            incident_events::observed.eq(t.observed),
            incident_events::expected.eq(t.expected),
            incident_events::score.eq(t.score),
            incident_events::detail.eq(&t.evidence),
        ))
        .on_conflict((
            incident_events::incident_id,
            incident_events::kind,
            incident_events::at,
        ))
        .do_nothing()
        .execute(conn)
}

/// Counted reports since the incident started, in its scope.
const TOTAL_REPORTS: &str = "UPDATE incidents SET updated_at = ?, total_reports = (
        SELECT count(*) FROM reports r
        WHERE r.counted AND r.service = incidents.service AND r.received_at >= incidents.started_at
          AND (incidents.scope = 'global' OR r.country = incidents.scope))
     WHERE id = ?";

/// An `updated` event unless the incident has any event in the 4 min 30 s up to this one:
/// at most one update every few minutes, even across a restart.
const UPDATED_EVENT: &str = "INSERT INTO incident_events
        (incident_id, at, kind, state, observed, expected, score, detail)
     SELECT ?1, ?2, 'updated', ?3, ?4, ?5, ?6, ?7
     WHERE NOT EXISTS (
         SELECT 1 FROM incident_events
         WHERE incident_id = ?1 AND at > ?2 - 270000000 AND at <= ?2)
     ON CONFLICT DO NOTHING";

#[async_trait]
impl DetectorStore for SqliteLeader {
    async fn load_trackers(&mut self) -> Result<Vec<SavedTracker>, StoreError> {
        let rows: Vec<TrackerRow> = self
            .store
            .read(|conn| {
                detector_series::table
                    .select(TrackerRow::as_select())
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(SavedTracker::try_from).collect()
    }

    async fn save_trackers(
        &mut self,
        rows: &[SavedTracker],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let rows = rows.to_vec();
        self.store
            .write(move |conn| {
                for row in &rows {
                    diesel::insert_into(detector_series::table)
                        .values((
                            detector_series::service.eq(&row.service),
                            detector_series::scope.eq(row.scope.as_str()),
                            detector_series::tracker.eq(&row.state),
                            detector_series::updated_at.eq(Micros(at)),
                        ))
                        .on_conflict((detector_series::service, detector_series::scope))
                        .do_update()
                        .set((
                            detector_series::tracker.eq(&row.state),
                            detector_series::updated_at.eq(Micros(at)),
                        ))
                        .execute(conn)?;
                }
                Ok(())
            })
            .await
    }

    async fn open_incidents(&mut self) -> Result<Vec<OpenIncident>, StoreError> {
        let rows: Vec<OpenIncidentRow> = self
            .store
            .read(|conn| {
                incidents::table
                    .filter(incidents::status.eq(IncidentStatus::Open.as_str()))
                    .select(OpenIncidentRow::as_select())
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(OpenIncident::try_from).collect()
    }

    async fn open_incident(
        &mut self,
        tick: &IncidentTick,
        methodology: &str,
    ) -> Result<OpenIncident, StoreError> {
        let t = tick.clone();
        let methodology = methodology.to_owned();
        let row = self
            .store
            .write(move |conn| {
                let at = Micros(t.at);
                // Does nothing when one is already open for this service and scope (a tick
                // replayed after a restart): carry on with that one.
                diesel::insert_into(incidents::table)
                    .values((
                        incidents::service.eq(&t.service),
                        incidents::scope.eq(t.scope.as_str()),
                        incidents::status.eq(IncidentStatus::Open.as_str()),
                        incidents::severity.eq(t.severity.as_str()),
                        incidents::started_at.eq(at),
                        incidents::escalated_at
                            .eq((t.severity == Severity::Problems).then_some(at)),
                        incidents::peak_at.eq(at),
                        incidents::peak_observed.eq(t.observed),
                        incidents::peak_expected.eq(t.expected),
                        incidents::peak_score.eq(t.score),
                        incidents::evidence.eq(&t.evidence),
                        incidents::methodology.eq(&methodology),
                        incidents::updated_at.eq(Micros(Utc::now())),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
                let row: OpenIncidentRow = incidents::table
                    .filter(incidents::status.eq(IncidentStatus::Open.as_str()))
                    .filter(incidents::service.eq(&t.service))
                    .filter(incidents::scope.eq(t.scope.as_str()))
                    .select(OpenIncidentRow::as_select())
                    .first(conn)?;
                event(conn, row.id, IncidentEventKind::Opened, &t)?;
                Ok(row)
            })
            .await?;
        row.try_into()
    }

    async fn update_incident(
        &mut self,
        id: i64,
        tick: &IncidentTick,
        escalated: bool,
        with_event: bool,
    ) -> Result<(), StoreError> {
        let t = tick.clone();
        self.store
            .write(move |conn| {
                let at = Micros(t.at);
                let target = incidents::table.find(id);
                if escalated {
                    let problems = Severity::Problems.as_str();
                    diesel::update(target.filter(incidents::severity.ne(problems)))
                        .set((
                            incidents::severity.eq(problems),
                            incidents::escalated_at.eq(at),
                        ))
                        .execute(conn)?;
                    event(conn, id, IncidentEventKind::Escalated, &t)?;
                }
                diesel::update(target.filter(incidents::peak_observed.lt(t.observed)))
                    .set((
                        incidents::peak_at.eq(at),
                        incidents::peak_observed.eq(t.observed),
                        incidents::peak_expected.eq(t.expected),
                        incidents::peak_score.eq(t.score),
                        incidents::evidence.eq(&t.evidence),
                    ))
                    .execute(conn)?;
                diesel::sql_query(TOTAL_REPORTS)
                    .bind::<UnixMicros, _>(Utc::now())
                    .bind::<BigInt, _>(id)
                    .execute(conn)?;
                if with_event {
                    diesel::sql_query(UPDATED_EVENT)
                        .bind::<BigInt, _>(id)
                        .bind::<UnixMicros, _>(at)
                        .bind::<Text, _>(t.severity.as_str())
                        .bind::<Double, _>(t.observed)
                        .bind::<Double, _>(t.expected)
                        .bind::<Double, _>(t.score)
                        .bind::<Json, _>(&t.evidence)
                        .execute(conn)?;
                }
                Ok(())
            })
            .await
    }

    async fn resolve_incident(&mut self, id: i64, tick: &IncidentTick) -> Result<(), StoreError> {
        let t = tick.clone();
        self.store
            .write(move |conn| {
                diesel::update(
                    incidents::table
                        .find(id)
                        .filter(incidents::status.eq(IncidentStatus::Open.as_str())),
                )
                .set((
                    incidents::status.eq(IncidentStatus::Resolved.as_str()),
                    incidents::resolved_at.eq(Micros(t.at)),
                    incidents::updated_at.eq(Micros(Utc::now())),
                ))
                .execute(conn)?;
                event(conn, id, IncidentEventKind::Resolved, &t)?;
                Ok(())
            })
            .await
    }

    async fn incident_periods(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncidentPeriod>, StoreError> {
        let rows: Vec<IncidentPeriodRow> = self
            .store
            .read(move |conn| {
                incidents::table
                    .filter(
                        incidents::resolved_at
                            .is_null()
                            .or(incidents::resolved_at.ge(Micros(since))),
                    )
                    .select(IncidentPeriodRow::as_select())
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(IncidentPeriod::try_from).collect()
    }

    async fn as_orgs(&mut self, asns: &[i32]) -> Result<Vec<AsOrg>, StoreError> {
        let asns = serde_json::Value::from(asns.to_vec()).to_string();
        let since = Utc::now() - TimeDelta::days(2);
        // SQLite takes the bare column `as_org` from the row holding max(received_at):
        // the latest name of each AS, as DISTINCT ON … ORDER BY received_at DESC in Postgres.
        let rows: Vec<AsOrgRow> = self
            .store
            .read(move |conn| {
                diesel::sql_query(
                    "SELECT asn, as_org, max(received_at) AS latest FROM reports
                     WHERE asn IN (SELECT value FROM json_each(?)) AND as_org IS NOT NULL
                       AND received_at > ?
                     GROUP BY asn ORDER BY asn",
                )
                .bind::<Text, _>(asns)
                .bind::<UnixMicros, _>(since)
                .load(conn)
            })
            .await?;
        Ok(rows.into_iter().map(AsOrg::from).collect())
    }

    async fn save_outage(
        &mut self,
        event: &OutageEvent,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store.save_outage(event, at).await
    }

    async fn log_outage_change(
        &mut self,
        event: &OutageEvent,
        kind: IncidentEventKind,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.store.log_outage_change(event, kind, at).await
    }

    async fn open_outages(&mut self) -> Result<Vec<OutageEvent>, StoreError> {
        self.store.open_outages().await
    }

    async fn still_leader(&mut self) -> bool {
        // The claim lasts as long as `self`; what can be lost is the database itself.
        crate::store::ReportLog::ping(&self.store).await.is_ok()
    }
}
