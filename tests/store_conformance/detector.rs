//! The detector leader: one at a time, idempotent writes, throttled updates, saved trackers,
//! recent network names.

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use downwatch::domain::{Scope, Severity};
use downwatch::store::{AsOrg, IncidentEventKind, IncidentPeriod, SavedTracker};
use serde_json::json;

use crate::backends::Durable;
use crate::fixtures::{at, report, tick};

durable_tests!(
    one_leader_at_a_time_and_another_once_it_is_gone,
    opening_an_open_incident_again_returns_the_same_one,
    updates_escalate_keep_the_peak_count_reports_and_are_throttled,
    trackers_are_saved_over_and_loaded_back,
    as_orgs_names_recent_networks_by_their_latest_name,
);

/// An incident's timeline as `(kind, at)` pairs, read as readers do.
async fn events(db: &Durable, id: i64) -> Vec<(IncidentEventKind, DateTime<Utc>)> {
    let detail = db.incidents.get_incident(id).await.expect("get");
    let detail = detail.expect("incident");
    detail.events.into_iter().map(|e| (e.kind, e.at)).collect()
}

async fn one_leader_at_a_time_and_another_once_it_is_gone(db: Durable) {
    let mut leader = db.leader().await;
    assert!(leader.still_leader().await);
    assert!(db.election.campaign().await.expect("campaign").is_none());
    drop(leader);
    // A lost leadership may take a moment to be noticed (a closed connection, its lock).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut next = loop {
        if let Some(next) = db.election.campaign().await.expect("campaign") {
            break next;
        }
        assert!(
            Instant::now() < deadline,
            "no leader after the first is gone"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(next.still_leader().await);
}

async fn opening_an_open_incident_again_returns_the_same_one(db: Durable) {
    let mut leader = db.leader().await;
    let first = leader
        .open_incident(&tick("netflix", "IT", 0, 10.0), "v1")
        .await
        .expect("open");
    let replay = leader
        .open_incident(&tick("netflix", "IT", 0, 12.0), "v1")
        .await
        .expect("replay");
    assert_eq!(replay, first);
    assert_eq!(first.started_at, at(0));
    assert_eq!(first.peak_observed, 10.0);
    assert_eq!(
        (
            first.service.as_str(),
            first.scope.as_str(),
            first.severity.as_str()
        ),
        ("netflix", "IT", "possible-problems")
    );
    let global = leader
        .open_incident(&tick("netflix", "global", 0, 10.0), "v1")
        .await
        .expect("open");
    assert_ne!(global.id, first.id);
    assert_eq!(leader.open_incidents().await.expect("open").len(), 2);
    assert_eq!(
        events(&db, first.id).await,
        [(IncidentEventKind::Opened, at(0))]
    );

    leader
        .resolve_incident(first.id, &tick("netflix", "IT", 600, 1.0))
        .await
        .expect("resolve");
    leader
        .resolve_incident(first.id, &tick("netflix", "IT", 600, 1.0))
        .await
        .expect("resolve again");
    let open = leader.open_incidents().await.expect("open");
    assert_eq!(open, std::slice::from_ref(&global));
    let reopened = leader
        .open_incident(&tick("netflix", "IT", 900, 9.0), "v1")
        .await
        .expect("open");
    assert!(reopened.id > global.id);
    let periods = leader.incident_periods(at(700)).await.expect("periods");
    assert_eq!(periods.len(), 2, "{periods:?}");
    let periods = leader.incident_periods(at(500)).await.expect("periods");
    assert_eq!(periods.len(), 3, "{periods:?}");
    assert!(periods.contains(&IncidentPeriod {
        service: "netflix".into(),
        scope: "IT".parse().expect("a scope"),
        started_at: at(0),
        resolved_at: Some(at(600)),
    }));
    assert_eq!(
        events(&db, first.id).await,
        [
            (IncidentEventKind::Opened, at(0)),
            (IncidentEventKind::Resolved, at(600))
        ]
    );
}

async fn updates_escalate_keep_the_peak_count_reports_and_are_throttled(db: Durable) {
    db.log
        .append(&[
            report("netflix", -60, 1, Some("IT")),
            report("netflix", 30, 2, Some("IT")),
            report("netflix", 40, 3, Some("FR")),
            report("spotify", 50, 4, Some("IT")),
        ])
        .await
        .expect("append");
    let mut leader = db.leader().await;
    let open = leader
        .open_incident(&tick("netflix", "IT", 0, 10.0), "v1")
        .await
        .expect("open");
    let mut bigger = tick("netflix", "IT", 60, 20.0);
    bigger.severity = Severity::Problems;
    leader
        .update_incident(open.id, &bigger, true, true)
        .await
        .expect("update");
    for minute in [2, 5, 6, 10, 11] {
        let smaller = tick("netflix", "IT", minute * 60, 15.0);
        leader
            .update_incident(open.id, &smaller, false, true)
            .await
            .expect("update");
    }
    let detail = db.incidents.get_incident(open.id).await.expect("get");
    let incident = detail.expect("incident").incident;
    assert_eq!(incident.severity, Severity::Problems);
    assert_eq!(incident.escalated_at, Some(at(60)));
    assert_eq!(incident.peak_at, at(60));
    assert_eq!(incident.peak_reports, 20.0);
    // Counted reports of the service in its scope since it started.
    assert_eq!(incident.total_reports, 1);
    assert_eq!(incident.evidence, json!({ "observed": 20.0 }));
    // 'updated' only when nothing was written in the 4.5 minutes before: at 6 and 11 min.
    let expected: Vec<(IncidentEventKind, DateTime<Utc>)> = [
        (IncidentEventKind::Opened, 0),
        (IncidentEventKind::Escalated, 60),
        (IncidentEventKind::Updated, 360),
        (IncidentEventKind::Updated, 660),
    ]
    .iter()
    .map(|&(k, s)| (k, at(s)))
    .collect();
    assert_eq!(events(&db, open.id).await, expected);
}

async fn trackers_are_saved_over_and_loaded_back(db: Durable) {
    let mut leader = db.leader().await;
    assert!(leader.load_trackers().await.expect("load").is_empty());
    let italy: Scope = "IT".parse().expect("a scope");
    let saved = |scope: Scope, state| SavedTracker {
        service: "netflix".into(),
        scope,
        state,
    };
    let rows = vec![
        saved(Scope::Global, json!({ "state": "quiet" })),
        saved(italy, json!({ "state": "quiet" })),
    ];
    leader.save_trackers(&rows, at(0)).await.expect("save");
    let changed = vec![saved(italy, json!({ "state": "alert", "n": 3 }))];
    leader
        .save_trackers(&changed, at(60))
        .await
        .expect("save again");
    leader.save_trackers(&[], at(120)).await.expect("nothing");
    let mut loaded = leader.load_trackers().await.expect("load");
    loaded.sort_by_key(|t| t.scope);
    assert_eq!(loaded, [rows[0].clone(), changed[0].clone()]);
}

async fn as_orgs_names_recent_networks_by_their_latest_name(db: Durable) {
    let now = Utc::now();
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
    db.log
        .append(&[new, old, stale, unnamed])
        .await
        .expect("append");
    let mut leader = db.leader().await;
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
