//! Official status: the poller's lease, source health, component history, official incidents
//! with their posts, and links to Downwatch's incidents.

use chrono::TimeDelta;
use downwatch::catalog::StatusKind;
use downwatch::official::{
    Component, ComponentStatus, Impact, Indicator, OfficialUpdate, ParsedIncident, Stage,
};
use downwatch::store::{ComponentChange, IncidentLink, OfficialFilter, SourceHealth};

use crate::backends::Durable;
use crate::fixtures::{at, tick};

durable_tests!(
    one_holder_has_the_lease_until_it_expires,
    source_health_and_component_history_are_kept,
    official_incidents_keep_every_post_and_their_first_post,
    open_incidents_missing_from_the_page_are_resolved,
    downwatch_incidents_link_to_official_ones_with_their_lead_time,
);

async fn one_holder_has_the_lease_until_it_expires(db: Durable) {
    let ttl = TimeDelta::seconds(60);
    assert!(db.official.take_lease("a", at(0), ttl).await.expect("take"));
    assert!(!db
        .official
        .take_lease("b", at(30), ttl)
        .await
        .expect("taken"));
    assert!(db
        .official
        .take_lease("a", at(30), ttl)
        .await
        .expect("renew"));
    assert!(!db
        .official
        .take_lease("b", at(89), ttl)
        .await
        .expect("renewed"));
    assert!(db
        .official
        .take_lease("b", at(91), ttl)
        .await
        .expect("expired"));
    assert!(!db
        .official
        .take_lease("a", at(92), ttl)
        .await
        .expect("lost"));
}

fn health(service: &str) -> SourceHealth {
    SourceHealth {
        service: service.into(),
        kind: StatusKind::Statuspage,
        url: "https://status.example.com/api/v2/summary.json".into(),
        indicator: Some(Indicator::Minor),
        components: vec![Component {
            name: "API".into(),
            status: ComponentStatus::PartialOutage,
        }],
        checked_at: at(0),
        ok_at: Some(at(0)),
        unavailable_since: None,
        error: None,
    }
}

async fn source_health_and_component_history_are_kept(db: Durable) {
    assert_eq!(db.official.get_source("github").await.expect("get"), None);
    let ok = health("github");
    db.official.put_source(&ok).await.expect("put");
    assert_eq!(
        db.official.get_source("github").await.expect("get"),
        Some(ok.clone())
    );
    let failing = SourceHealth {
        checked_at: at(60),
        unavailable_since: Some(at(60)),
        error: Some("HTTP 500".into()),
        ..ok
    };
    db.official.put_source(&failing).await.expect("put");
    db.official
        .put_source(&health("discord"))
        .await
        .expect("put");
    let all = db.official.list_sources().await.expect("list");
    assert_eq!(all.len(), 2);
    assert_eq!(all[1], failing);

    let change = |status, secs| ComponentChange {
        component: "API".into(),
        status,
        changed_at: at(secs),
    };
    let changes = [
        change(ComponentStatus::PartialOutage, 0),
        change(ComponentStatus::Operational, 600),
    ];
    db.official
        .add_component_changes("github", &changes)
        .await
        .expect("add");
    db.official
        .add_component_changes("github", &changes[1..])
        .await
        .expect("again");
    let listed = db
        .official
        .list_component_changes("github", at(0))
        .await
        .expect("list");
    assert_eq!(listed, changes);
    let later = db
        .official
        .list_component_changes("github", at(1))
        .await
        .expect("list");
    assert_eq!(later, changes[1..]);
}

fn post(stage: Stage, secs: i64) -> OfficialUpdate {
    OfficialUpdate {
        stage,
        posted_at: at(secs),
        body: format!("{stage} at {secs}"),
    }
}

fn official(id: &str, posts: Vec<OfficialUpdate>) -> ParsedIncident {
    let last = posts.last().map_or(Stage::Unknown, |p| p.stage);
    ParsedIncident {
        external_id: id.into(),
        title: format!("Incident {id}"),
        impact: Impact::Major,
        stage: last,
        url: Some(format!("https://stspg.io/{id}")),
        started_at: posts.first().map_or(at(0), |p| p.posted_at),
        resolved_at: last
            .is_over()
            .then(|| posts.last().map(|p| p.posted_at))
            .flatten(),
        components: vec!["API".into()],
        updates: posts,
    }
}

async fn official_incidents_keep_every_post_and_their_first_post(db: Durable) {
    let first = official("x1", vec![post(Stage::Investigating, 480)]);
    db.official
        .upsert_official("github", &[first], at(500))
        .await
        .expect("upsert");
    // A later telling that forgot the first post (a feed keeps only recent items).
    let later = official(
        "x1",
        vec![
            post(Stage::Identified, 900),
            post(Stage::Monitoring, 1500),
            post(Stage::Resolved, 2400),
        ],
    );
    db.official
        .upsert_official("github", &[later], at(2500))
        .await
        .expect("upsert");
    let filter = OfficialFilter {
        service: Some("github".into()),
        since: None,
        limit: 10,
    };
    let listed = db.official.list_official(&filter).await.expect("list");
    assert_eq!(listed.len(), 1);
    let stored = &listed[0];
    assert_eq!(stored.first_posted_at, at(480));
    let stages: Vec<Stage> = stored.updates.iter().map(|u| u.stage).collect();
    assert_eq!(
        stages,
        [
            Stage::Investigating,
            Stage::Identified,
            Stage::Monitoring,
            Stage::Resolved
        ]
    );
    assert_eq!(stored.stage, Stage::Resolved);
    assert_eq!(stored.resolved_at, Some(at(2400)));
    assert_eq!(stored.components, ["API"]);
    assert_eq!(stored.impact, Impact::Major);
    let other = OfficialFilter {
        service: Some("discord".into()),
        ..filter.clone()
    };
    assert!(db
        .official
        .list_official(&other)
        .await
        .expect("list")
        .is_empty());
    let recent = OfficialFilter {
        since: Some(at(3000)),
        ..filter
    };
    assert!(db
        .official
        .list_official(&recent)
        .await
        .expect("list")
        .is_empty());
}

async fn open_incidents_missing_from_the_page_are_resolved(db: Durable) {
    let a = official("a", vec![post(Stage::Investigating, 0)]);
    let b = official("b", vec![post(Stage::Investigating, 60)]);
    db.official
        .upsert_official("acme", &[a, b], at(100))
        .await
        .expect("upsert");
    let n = db
        .official
        .resolve_missing("acme", &["b".to_owned()], at(700))
        .await
        .expect("resolve");
    assert_eq!(n, 1);
    let filter = OfficialFilter {
        service: Some("acme".into()),
        since: None,
        limit: 10,
    };
    let listed = db.official.list_official(&filter).await.expect("list");
    let a = listed.iter().find(|i| i.external_id == "a").expect("a");
    assert_eq!((a.stage, a.resolved_at), (Stage::Resolved, Some(at(700))));
    let b = listed.iter().find(|i| i.external_id == "b").expect("b");
    assert_eq!(b.resolved_at, None);
    assert_eq!(
        db.official
            .resolve_missing("acme", &[], at(800))
            .await
            .expect("all"),
        1
    );
}

async fn downwatch_incidents_link_to_official_ones_with_their_lead_time(db: Durable) {
    let mut leader = db.leader().await;
    let incident = leader
        .open_incident(&tick("github", "global", 0, 30.0), "v1")
        .await
        .expect("open")
        .id;
    db.official
        .upsert_official(
            "github",
            &[official("x1", vec![post(Stage::Investigating, 480)])],
            at(500),
        )
        .await
        .expect("upsert");
    let official_id = db
        .official
        .list_official(&OfficialFilter {
            service: Some("github".into()),
            since: None,
            limit: 1,
        })
        .await
        .expect("list")[0]
        .id;
    let link = IncidentLink {
        incident_id: incident,
        official_id,
        service: "github".into(),
        onset_at: at(0),
        lead_minutes: 8,
        linked_at: at(500),
    };
    db.official.save_link(&link).await.expect("save");
    let relinked = IncidentLink {
        linked_at: at(600),
        ..link.clone()
    };
    db.official.save_link(&relinked).await.expect("save again");
    assert_eq!(
        db.official
            .list_links(Some("github"), at(0))
            .await
            .expect("list"),
        std::slice::from_ref(&relinked)
    );
    assert_eq!(
        db.official.list_links(None, at(0)).await.expect("list"),
        [relinked]
    );
    assert!(db
        .official
        .list_links(Some("discord"), at(0))
        .await
        .expect("list")
        .is_empty());
    assert!(db
        .official
        .list_links(None, at(1))
        .await
        .expect("list")
        .is_empty());
}
