//! Reading incidents: filters, cursor pages, records and timelines.

use chrono::TimeDelta;
use downwatch::domain::{Scope, Severity};
use downwatch::store::{
    IncidentDetail, IncidentEventRecord, IncidentFilter, IncidentReader, IncidentStatus,
};
use serde_json::json;

use crate::backends::Durable;
use crate::fixtures::{at, report, tick};

durable_tests!(
    incidents_are_listed_newest_first_and_filtered,
    bounds_finer_than_a_microsecond_compare_with_the_stored_microseconds,
    cursor_pages_list_every_incident_once,
    an_incident_comes_with_its_fields_and_its_timeline_in_time_order,
    an_empty_database_lists_nothing,
);

/// The incidents written by the leader, by name.
struct Seeded {
    db: Durable,
    /// netflix/IT, 0 s → resolved at 600 s.
    a: i64,
    /// netflix/global, 300 s, open, escalated at 360 s, updated at 1000 s.
    b: i64,
    /// spotify/global, 300 s (after `b`, so a greater id) → resolved at 1200 s.
    c: i64,
    /// spotify/FR, 900 s, open.
    d: i64,
    /// netflix/IT again, 1800 s, open.
    e: i64,
}

async fn seeded(db: Durable) -> Seeded {
    db.log
        .append(&[
            report("netflix", 310, 1, Some("IT")),
            report("netflix", 320, 2, None),
            report("spotify", 330, 3, Some("FR")),
        ])
        .await
        .expect("append");
    let mut leader = db.leader().await;
    let t = tick("netflix", "IT", 0, 10.0);
    let a = leader.open_incident(&t, "v1").await.expect("open a").id;
    let t = tick("netflix", "global", 300, 20.0);
    let b = leader.open_incident(&t, "v1").await.expect("open b").id;
    let t = tick("spotify", "global", 300, 8.0);
    let c = leader.open_incident(&t, "v1").await.expect("open c").id;
    leader
        .resolve_incident(a, &tick("netflix", "IT", 600, 1.0))
        .await
        .expect("resolve a");
    let t = tick("spotify", "FR", 900, 6.0);
    let d = leader.open_incident(&t, "v1").await.expect("open d").id;
    // An update written before an earlier escalation: the timeline is in time order.
    leader
        .update_incident(b, &tick("netflix", "global", 1000, 25.0), false, true)
        .await
        .expect("update b");
    let mut escalation = tick("netflix", "global", 360, 30.0);
    escalation.severity = Severity::Problems;
    leader
        .update_incident(b, &escalation, true, false)
        .await
        .expect("escalate b");
    leader
        .resolve_incident(c, &tick("spotify", "global", 1200, 0.5))
        .await
        .expect("resolve c");
    let t = tick("netflix", "IT", 1800, 7.0);
    let e = leader.open_incident(&t, "v2").await.expect("open e").id;
    drop(leader);
    Seeded { db, a, b, c, d, e }
}

async fn ids(store: &dyn IncidentReader, filter: IncidentFilter) -> Vec<i64> {
    store
        .list_incidents(&IncidentFilter {
            limit: if filter.limit == 0 { 100 } else { filter.limit },
            ..filter
        })
        .await
        .expect("list")
        .iter()
        .map(|r| r.id)
        .collect()
}

async fn incidents_are_listed_newest_first_and_filtered(db: Durable) {
    let s = seeded(db).await;
    let store = s.db.incidents.as_ref();
    let (a, b, c, d, e) = (s.a, s.b, s.c, s.d, s.e);
    assert!(c > b, "the tie on started_at is broken by id");
    let all = IncidentFilter::default;
    assert_eq!(ids(store, all()).await, [e, d, c, b, a]);
    let by_service = |name: &str| IncidentFilter {
        service: Some(name.into()),
        ..all()
    };
    assert_eq!(ids(store, by_service("netflix")).await, [e, b, a]);
    assert_eq!(ids(store, by_service("spotify")).await, [d, c]);
    assert!(ids(store, by_service("steam")).await.is_empty());
    let by_scope = |name: &str| IncidentFilter {
        scope: Some(name.parse().expect("a scope")),
        ..all()
    };
    assert_eq!(ids(store, by_scope("global")).await, [c, b]);
    assert_eq!(ids(store, by_scope("IT")).await, [e, a]);
    let by_status = |name: &str| IncidentFilter {
        status: Some(name.parse().expect("a status")),
        ..all()
    };
    assert_eq!(ids(store, by_status("open")).await, [e, d, b]);
    assert_eq!(ids(store, by_status("resolved")).await, [c, a]);
    let combined = IncidentFilter {
        service: Some("spotify".into()),
        status: Some(IncidentStatus::Open),
        ..all()
    };
    assert_eq!(ids(store, combined).await, [d]);

    // `from`: still open, or resolved at or after it.
    let from = |secs: i64| IncidentFilter {
        from: Some(at(secs)),
        ..all()
    };
    assert_eq!(ids(store, from(600)).await, [e, d, c, b, a]);
    assert_eq!(ids(store, from(601)).await, [e, d, c, b]);
    assert_eq!(ids(store, from(1201)).await, [e, d, b]);
    // `to`: started before it.
    let to = |secs: i64| IncidentFilter {
        to: Some(at(secs)),
        ..all()
    };
    assert_eq!(ids(store, to(300)).await, [a]);
    assert_eq!(ids(store, to(301)).await, [c, b, a]);
    assert!(ids(store, to(0)).await.is_empty());
    // Active at some time in [700 s, 1000 s).
    let period = IncidentFilter {
        from: Some(at(700)),
        to: Some(at(1000)),
        ..all()
    };
    assert_eq!(ids(store, period).await, [d, c, b]);
    let limited = IncidentFilter { limit: 2, ..all() };
    assert_eq!(ids(store, limited).await, [e, d]);
}

async fn bounds_finer_than_a_microsecond_compare_with_the_stored_microseconds(db: Durable) {
    let s = seeded(db).await;
    let store = s.db.incidents.as_ref();
    let (a, b, c, d, e) = (s.a, s.b, s.c, s.d, s.e);
    let all = IncidentFilter::default;
    // A stored time is a whole microsecond: compared with a finer bound as it is.
    let just_after = IncidentFilter {
        to: Some(at(300) + TimeDelta::nanoseconds(1)),
        ..all()
    };
    assert_eq!(ids(store, just_after).await, [c, b, a]);
    let just_before = IncidentFilter {
        from: Some(at(600) - TimeDelta::nanoseconds(1)),
        ..all()
    };
    assert_eq!(ids(store, just_before).await, [e, d, c, b, a]);
    let just_past = IncidentFilter {
        from: Some(at(600) + TimeDelta::nanoseconds(1)),
        ..all()
    };
    assert_eq!(ids(store, just_past).await, [e, d, c, b]);
    // A cursor finer than a microsecond, just after 300 s: both incidents of 300 s are before.
    let fine = IncidentFilter {
        after: Some((at(300) + TimeDelta::nanoseconds(500), 0)),
        limit: 10,
        ..IncidentFilter::default()
    };
    assert_eq!(ids(store, fine).await, [c, b, a]);
}

async fn cursor_pages_list_every_incident_once(db: Durable) {
    let s = seeded(db).await;
    let store = s.db.incidents.as_ref();
    let everything = ids(store, IncidentFilter::default()).await;
    for limit in 1..=6 {
        for filter in [
            IncidentFilter::default(),
            IncidentFilter {
                service: Some("netflix".into()),
                ..IncidentFilter::default()
            },
            IncidentFilter {
                from: Some(at(700)),
                ..IncidentFilter::default()
            },
        ] {
            let expected = ids(store, filter.clone()).await;
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .list_incidents(&IncidentFilter {
                        after,
                        limit,
                        ..filter.clone()
                    })
                    .await
                    .expect("page");
                assert!(page.len() <= usize::try_from(limit).expect("limit"));
                let Some(last) = page.last() else {
                    break;
                };
                after = Some((last.started_at, last.id));
                seen.extend(page.iter().map(|r| r.id));
            }
            assert_eq!(seen, expected, "limit {limit}, {filter:?}");
        }
    }
    assert_eq!(everything.len(), 5);
    // A cursor in the tie at 300 s: only the smaller id of that second is left, then older.
    let after_c = IncidentFilter {
        after: Some((at(300), s.c)),
        limit: 10,
        ..IncidentFilter::default()
    };
    assert_eq!(ids(store, after_c).await, [s.b, s.a]);
}

async fn an_incident_comes_with_its_fields_and_its_timeline_in_time_order(db: Durable) {
    let s = seeded(db).await;
    let store = s.db.incidents.as_ref();
    let IncidentDetail {
        incident: b,
        events: timeline,
    } = store
        .get_incident(s.b)
        .await
        .expect("get")
        .expect("incident b");
    assert_eq!(b.id, s.b);
    assert_eq!(b.service, "netflix");
    assert_eq!(b.scope, Scope::Global);
    assert_eq!(b.status, IncidentStatus::Open);
    assert_eq!(b.severity, Severity::Problems);
    assert_eq!(b.started_at, at(300));
    assert_eq!(b.escalated_at, Some(at(360)));
    assert_eq!(b.resolved_at, None);
    // The peak is the escalation's 30 reports, not the update's 25.
    assert_eq!(b.peak_at, at(360));
    assert_eq!(b.peak_reports, 30.0);
    assert_eq!(b.peak_expected, 2.0);
    assert_eq!(b.peak_score, 0.75);
    assert_eq!(b.evidence, json!({ "observed": 30.0 }));
    // Both netflix reports (any country) since 300 s.
    assert_eq!(b.total_reports, 2);
    assert_eq!(b.methodology, "v1");
    let now = chrono::Utc::now();
    assert!(b.updated_at <= now && b.updated_at > now - TimeDelta::minutes(5));
    let event = |secs: i64, kind: &str, state: &str, reports: f64| IncidentEventRecord {
        at: at(secs),
        kind: kind.parse().expect("a kind"),
        state: state.parse().expect("a state"),
        reports,
        expected: 2.0,
        score: 0.75,
    };
    assert_eq!(
        timeline,
        [
            event(300, "opened", "possible-problems", 20.0),
            event(360, "escalated", "problems", 30.0),
            event(1000, "updated", "possible-problems", 25.0),
        ]
    );
    // The list shows the same record.
    let listed = store
        .list_incidents(&IncidentFilter {
            service: Some("netflix".into()),
            scope: Some(Scope::Global),
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(listed, [b]);

    let IncidentDetail {
        incident: a,
        events: timeline,
    } = store
        .get_incident(s.a)
        .await
        .expect("get")
        .expect("incident a");
    assert_eq!(a.status, IncidentStatus::Resolved);
    assert_eq!(a.severity, Severity::PossibleProblems);
    assert_eq!(a.escalated_at, None);
    assert_eq!(a.resolved_at, Some(at(600)));
    assert_eq!(a.peak_reports, 10.0);
    assert_eq!(
        timeline,
        [
            event(0, "opened", "possible-problems", 10.0),
            event(600, "resolved", "possible-problems", 1.0),
        ]
    );
    let IncidentDetail { incident: e, .. } = store
        .get_incident(s.e)
        .await
        .expect("get")
        .expect("incident e");
    assert_eq!(e.methodology, "v2");
    assert_eq!(store.get_incident(s.e + 1000).await.expect("get"), None);
    assert_eq!(store.get_incident(-1).await.expect("get"), None);
}

async fn an_empty_database_lists_nothing(db: Durable) {
    let none = db
        .incidents
        .list_incidents(&IncidentFilter {
            limit: 50,
            ..IncidentFilter::default()
        })
        .await
        .expect("list");
    assert!(none.is_empty());
    assert_eq!(db.incidents.get_incident(1).await.expect("get"), None);
}
