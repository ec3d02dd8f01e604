//! The detector leader: one per database in this process, idempotent writes.

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::super::detector::SqliteLeader;
use super::super::schema::{incident_events, incidents};
use super::super::SqliteStore;
use super::{at, db, report};
use crate::store::{AsOrg, DetectorStore, IncidentPeriod, IncidentTick, ReportLog, SavedTracker};

fn tick(scope: &str, secs_after: i64, observed: f64) -> IncidentTick {
    IncidentTick {
        service: "netflix".into(),
        scope: scope.into(),
        severity: "possible-problems".into(),
        at: at(secs_after),
        observed,
        expected: 2.0,
        score: 5.0,
        evidence: json!({ "observed": observed }),
    }
}

async fn events(store: &SqliteStore, id: i64) -> Vec<(String, DateTime<Utc>)> {
    store
        .read(move |conn| {
            incident_events::table
                .filter(incident_events::incident_id.eq(id))
                .select((incident_events::kind, incident_events::at))
                .order((incident_events::at, incident_events::id))
                .load(conn)
        })
        .await
        .expect("events")
}

fn us(secs_after: i64) -> DateTime<Utc> {
    at(secs_after)
}

#[tokio::test]
async fn only_one_leader_per_database_lives_in_this_process() {
    let db = db();
    let other = super::db();
    let leader = SqliteLeader::try_acquire(&db.store).expect("first leader");
    assert!(SqliteLeader::try_acquire(&db.store).is_none());
    // The same file opened again is the same database.
    let same = SqliteStore::open(db.store.path()).expect("open again");
    assert!(SqliteLeader::try_acquire(&same).is_none());
    // Another database has its own leader.
    let other_leader = SqliteLeader::try_acquire(&other.store).expect("other leader");
    drop(leader);
    let mut next = SqliteLeader::try_acquire(&same).expect("leader after the first is gone");
    assert!(next.still_leader().await);
    drop(other_leader);
}

#[tokio::test]
async fn opening_an_open_incident_again_returns_the_same_one() {
    let db = db();
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    let first = leader
        .open_incident(&tick("IT", 0, 10.0), "v1")
        .await
        .expect("open");
    let replay = leader
        .open_incident(&tick("IT", 0, 12.0), "v1")
        .await
        .expect("replay");
    assert_eq!(replay, first);
    assert_eq!(first.started_at, at(0));
    assert_eq!(first.peak_observed, 10.0);
    let global = leader
        .open_incident(&tick("global", 0, 10.0), "v1")
        .await
        .expect("open");
    assert_ne!(global.id, first.id);
    assert_eq!(leader.open_incidents().await.expect("open").len(), 2);
    assert_eq!(
        events(&db.store, first.id).await,
        [("opened".to_owned(), us(0))]
    );

    leader
        .resolve_incident(first.id, &tick("IT", 600, 1.0))
        .await
        .expect("resolve");
    leader
        .resolve_incident(first.id, &tick("IT", 600, 1.0))
        .await
        .expect("resolve again");
    let open = leader.open_incidents().await.expect("open");
    assert_eq!(open, std::slice::from_ref(&global));
    let reopened = leader
        .open_incident(&tick("IT", 900, 9.0), "v1")
        .await
        .expect("open");
    assert!(reopened.id > global.id);
    let periods = leader.incident_periods(at(700)).await.expect("periods");
    assert_eq!(periods.len(), 2, "{periods:?}");
    let periods = leader.incident_periods(at(500)).await.expect("periods");
    assert!(periods.contains(&IncidentPeriod {
        service: "netflix".into(),
        scope: "IT".into(),
        started_at: at(0),
        resolved_at: Some(at(600)),
    }));
}

#[tokio::test]
async fn updates_escalate_keep_the_peak_count_reports_and_are_throttled() {
    let db = db();
    db.store
        .append(&[
            report("netflix", -60, 1, Some("IT")),
            report("netflix", 30, 2, Some("IT")),
            report("netflix", 40, 3, Some("FR")),
            report("spotify", 50, 4, Some("IT")),
        ])
        .await
        .expect("append");
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    let open = leader
        .open_incident(&tick("IT", 0, 10.0), "v1")
        .await
        .expect("open");
    let mut bigger = tick("IT", 60, 20.0);
    bigger.severity = "problems".into();
    leader
        .update_incident(open.id, &bigger, true, true)
        .await
        .expect("update");
    for minute in [2, 5, 6, 10, 11] {
        let smaller = tick("IT", minute * 60, 15.0);
        leader
            .update_incident(open.id, &smaller, false, true)
            .await
            .expect("update");
    }
    type Peak = (
        String,
        Option<DateTime<Utc>>,
        DateTime<Utc>,
        f64,
        i64,
        serde_json::Value,
    );
    let peak: Peak = db
        .store
        .read(move |conn| {
            incidents::table
                .find(open.id)
                .select((
                    incidents::severity,
                    incidents::escalated_at,
                    incidents::peak_at,
                    incidents::peak_observed,
                    incidents::total_reports,
                    incidents::evidence,
                ))
                .first(conn)
        })
        .await
        .expect("incident");
    assert_eq!(
        peak,
        (
            "problems".into(),
            Some(us(60)),
            us(60),
            20.0,
            1,
            json!({ "observed": 20.0 })
        )
    );
    // 'updated' only when nothing was written in the 4.5 minutes before: at 6 and 11 min.
    let kinds: Vec<(String, DateTime<Utc>)> = events(&db.store, open.id).await;
    let expected = [
        ("opened", 0),
        ("escalated", 60),
        ("updated", 360),
        ("updated", 660),
    ];
    let expected: Vec<(String, DateTime<Utc>)> = expected
        .iter()
        .map(|(k, s)| (k.to_string(), us(*s)))
        .collect();
    assert_eq!(kinds, expected);
}

#[tokio::test]
async fn trackers_are_saved_over_and_loaded_back() {
    let db = db();
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    let saved = |scope: &str, state| SavedTracker {
        service: "netflix".into(),
        scope: scope.into(),
        state,
    };
    let rows = vec![
        saved("global", json!({ "state": "quiet" })),
        saved("IT", json!({ "state": "quiet" })),
    ];
    leader.save_trackers(&rows, at(0)).await.expect("save");
    let changed = vec![saved("IT", json!({ "state": "alert", "n": 3 }))];
    leader
        .save_trackers(&changed, at(60))
        .await
        .expect("save again");
    let mut loaded = leader.load_trackers().await.expect("load");
    loaded.sort_by(|a, b| a.scope.cmp(&b.scope));
    assert_eq!(loaded, [changed[0].clone(), rows[0].clone()]);
}

#[tokio::test]
async fn as_orgs_names_recent_networks_by_their_latest_name() {
    let db = db();
    let now = chrono::Utc::now();
    let mut old = report("netflix", 0, 1, None);
    old.received_at = now - TimeDelta::minutes(10);
    old.as_org = Some("Old Name".into());
    let mut new = old.clone();
    new.received_at = now - TimeDelta::minutes(1);
    new.as_org = Some("New Name".into());
    let mut stale = old.clone();
    stale.asn = Some(64500);
    stale.received_at = now - TimeDelta::days(3);
    let mut unnamed = old.clone();
    unnamed.asn = Some(64501);
    unnamed.as_org = None;
    db.store
        .append(&[new, old, stale, unnamed])
        .await
        .expect("append");
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    let orgs = leader
        .as_orgs(&[3269, 64500, 64501, 1])
        .await
        .expect("orgs");
    assert_eq!(
        orgs,
        [AsOrg {
            asn: 3269,
            org: "New Name".to_owned()
        }]
    );
    assert!(leader.as_orgs(&[]).await.expect("none").is_empty());
}
