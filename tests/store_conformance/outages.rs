//! Outage events: saved by the leader as upserts (idempotent across failover), read back
//! whole, linked from their incidents, listed with filters, newest or largest first, in
//! pages; and the catalog's `depends_on`.

use downwatch::domain::CountryCode;
use downwatch::outage::{
    CauseKind, CountryShare, LikelyCause, Member, OutageEvent, Reason, Severity,
};
use downwatch::store::{
    DetectorStore, IncidentStatus, OutageCursor, OutageFilter, OutageOrder, StoredOutage,
};

use crate::backends::Durable;
use crate::fixtures::{at, service, tick};

durable_tests!(
    an_event_saved_twice_reads_back_whole_and_links_its_incidents,
    events_are_filtered_ordered_and_paged,
    services_keep_their_providers,
);

/// Opens an incident of each of `services` (global) at `at(secs)`; their ids.
async fn incidents(leader: &mut dyn DetectorStore, services: &[&str], secs: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    for s in services {
        let open = leader
            .open_incident(&tick(s, "global", secs, 40.0), "dw-detect-2")
            .await
            .expect("open incident");
        ids.push(open.id);
    }
    ids
}

fn event(
    ids: &[i64],
    services: &[&str],
    secs: i64,
    cause: CauseKind,
    country: &str,
) -> OutageEvent {
    let members: Vec<Member> = ids
        .iter()
        .zip(services)
        .map(|(id, s)| Member {
            service: (*s).to_owned(),
            incident_id: *id,
            onset: at(secs),
            joined: at(secs + 120),
            resolved: None,
            severity: Severity::Problems,
            reports: 100.0,
        })
        .collect();
    OutageEvent {
        id: ids[0],
        start: at(secs),
        peak_at: at(secs + 300),
        peak_reports: 90.0,
        peak_expected: 3.0,
        end: None,
        reports: 100.0 * members.len() as f64,
        members,
        countries: vec![
            CountryShare {
                code: country.to_owned(),
                share: 0.7,
            },
            CountryShare {
                code: "ES".to_owned(),
                share: 0.2,
            },
        ],
        causes: vec![LikelyCause {
            cause,
            confidence: 0.8,
            reasons: vec![Reason::ProviderOwnReports { lead_minutes: 2 }],
        }],
    }
}

fn cloudflare() -> CauseKind {
    CauseKind::Provider {
        slug: "cloudflare".into(),
    }
}

async fn an_event_saved_twice_reads_back_whole_and_links_its_incidents(db: Durable) {
    let services = ["netflix", "spotify", "discord"];
    let mut leader = db.leader().await;
    let ids = incidents(leader.as_mut(), &services, 0).await;
    let e = event(&ids, &services, 0, cloudflare(), "IT");
    leader.save_outage(&e, at(600)).await.expect("save");
    leader.save_outage(&e, at(600)).await.expect("save again");

    let stored: StoredOutage = db
        .outages
        .get_outage(e.id)
        .await
        .expect("get")
        .expect("event");
    assert_eq!(stored.event, e);
    assert_eq!(stored.status(), IncidentStatus::Open);
    assert_eq!(stored.updated_at, at(600));
    // 300 reports × 10 minutes × 30 times normal.
    assert!(
        (stored.rank - 300.0 * 10.0 * 30.0).abs() < 1e-6,
        "{}",
        stored.rank
    );
    assert_eq!(leader.open_outages().await.expect("open"), vec![e.clone()]);
    let listed = db.outages.list_outages(&filter()).await.expect("list");
    assert_eq!(listed.len(), 1);
    for id in &ids {
        let of = db
            .outages
            .outage_of_incident(*id)
            .await
            .expect("of incident");
        assert_eq!(of.map(|s| s.event.id), Some(e.id));
    }
    assert!(db
        .outages
        .outage_of_incident(ids[2] + 1000)
        .await
        .expect("of incident")
        .is_none());
    assert!(db
        .outages
        .get_outage(e.id + 1000)
        .await
        .expect("get")
        .is_none());

    // It closes: a member less (moved nowhere), an end, fewer countries.
    let mut closed = e.clone();
    closed.end = Some(at(1200));
    closed.countries.truncate(1);
    leader
        .save_outage(&closed, at(1260))
        .await
        .expect("save closed");
    let stored = db
        .outages
        .get_outage(e.id)
        .await
        .expect("get")
        .expect("event");
    assert_eq!(stored.event, closed);
    assert_eq!(stored.status(), IncidentStatus::Resolved);
    assert!(leader.open_outages().await.expect("open").is_empty());
    let es = OutageFilter {
        country: Some(CountryCode::parse("ES").expect("code")),
        ..filter()
    };
    assert!(db.outages.list_outages(&es).await.expect("list").is_empty());
}

fn filter() -> OutageFilter {
    OutageFilter {
        limit: 50,
        ..OutageFilter::default()
    }
}

async fn events_are_filtered_ordered_and_paged(db: Durable) {
    let mut ai = service("chatgpt", "ChatGPT");
    ai.category = "ai".into();
    db.catalog.create_service(&ai).await.expect("create");
    db.catalog
        .create_service(&service("netflix", "Netflix"))
        .await
        .expect("create");

    // A: Cloudflare, Italy, streaming, started first, small, resolved.
    let mut leader = db.leader().await;
    let a_ids = incidents(leader.as_mut(), &["netflix", "spotify"], 0).await;
    let mut a = event(&a_ids, &["netflix", "spotify"], 0, cloudflare(), "IT");
    a.end = Some(at(900));
    // B: one network, France, an AI assistant, later, larger, open.
    let b_ids = incidents(leader.as_mut(), &["chatgpt", "claude", "gemini"], 3600).await;
    let network = CauseKind::Network {
        asn: 3215,
        org: "Orange".into(),
        country: Some("FR".into()),
    };
    let b = event(
        &b_ids,
        &["chatgpt", "claude", "gemini"],
        3600,
        network,
        "FR",
    );
    leader.save_outage(&a, at(900)).await.expect("save a");
    leader
        .save_outage(&b, at(3600 + 1800))
        .await
        .expect("save b");

    let ids = |list: Vec<StoredOutage>| list.into_iter().map(|s| s.event.id).collect::<Vec<_>>();
    let list = |f: OutageFilter| {
        let outages = db.outages.clone();
        async move { ids(outages.list_outages(&f).await.expect("list")) }
    };
    assert_eq!(list(filter()).await, vec![b.id, a.id], "newest first");
    let rank = OutageFilter {
        order: OutageOrder::Rank,
        ..filter()
    };
    assert_eq!(list(rank.clone()).await, vec![b.id, a.id], "largest first");
    let code = |c: &str| Some(CountryCode::parse(c).expect("code"));
    assert_eq!(
        list(OutageFilter {
            country: code("IT"),
            ..filter()
        })
        .await,
        vec![a.id]
    );
    assert_eq!(
        list(OutageFilter {
            country: code("FR"),
            ..filter()
        })
        .await,
        vec![b.id]
    );
    assert_eq!(
        list(OutageFilter {
            country: code("DE"),
            ..filter()
        })
        .await,
        Vec::<i64>::new()
    );
    let category = |c: &str| OutageFilter {
        category: Some(c.into()),
        ..filter()
    };
    assert_eq!(list(category("ai")).await, vec![b.id]);
    assert_eq!(list(category("streaming")).await, vec![a.id]);
    let provider = |p: &str| OutageFilter {
        provider: Some(p.into()),
        ..filter()
    };
    assert_eq!(list(provider("cloudflare")).await, vec![a.id]);
    assert!(list(provider("aws")).await.is_empty());
    let member = OutageFilter {
        service: Some("claude".into()),
        ..filter()
    };
    assert_eq!(list(member).await, vec![b.id]);
    let open = OutageFilter {
        status: Some(IncidentStatus::Open),
        ..filter()
    };
    assert_eq!(list(open).await, vec![b.id]);
    let early = OutageFilter {
        from: Some(at(0)),
        to: Some(at(3600)),
        ..filter()
    };
    assert_eq!(list(early).await, vec![a.id], "[from, to) on the start");

    // Pages of one, newest first then largest first.
    let first = db
        .outages
        .list_outages(&OutageFilter {
            limit: 1,
            ..filter()
        })
        .await
        .expect("list");
    let after = OutageCursor::Recent {
        started_at: first[0].event.start,
        id: first[0].event.id,
    };
    let next = OutageFilter {
        limit: 1,
        after: Some(after),
        ..filter()
    };
    assert_eq!(list(next).await, vec![a.id]);
    let top = db
        .outages
        .list_outages(&OutageFilter {
            limit: 1,
            ..rank.clone()
        })
        .await
        .expect("list");
    let next = OutageFilter {
        limit: 1,
        after: Some(OutageCursor::Rank {
            rank: top[0].rank,
            id: top[0].event.id,
        }),
        ..rank
    };
    assert_eq!(list(next).await, vec![a.id]);
}

async fn services_keep_their_providers(db: Durable) {
    let mut s = service("netflix", "Netflix");
    s.depends_on = vec!["aws".into(), "fastly".into()];
    db.catalog.create_service(&s).await.expect("create");
    let read = |slug: &'static str| {
        let catalog = db.catalog.clone();
        async move {
            catalog
                .list_services()
                .await
                .expect("list")
                .into_iter()
                .find(|x| x.slug == slug)
                .expect("service")
        }
    };
    assert_eq!(read("netflix").await.depends_on, vec!["aws", "fastly"]);
    s.depends_on = vec!["cloudflare".into()];
    assert!(db.catalog.update_service(&s).await.expect("update"));
    assert_eq!(read("netflix").await.depends_on, vec!["cloudflare"]);
}
