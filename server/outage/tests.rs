//! The grouper on hand-made minutes: which incidents make an event, what it is named after,
//! how it lives and ends. The simulated worlds are in `tests/outage_events/`.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0)
        .single()
        .expect("valid")
}

fn at(minute: i64) -> DateTime<Utc> {
    t0() + TimeDelta::minutes(minute)
}

/// A service with 5 reports a minute expected that jumps to `level` times that from minute
/// `rise` on, seen at `now` (30 minutes of series ending the minute before), in incident
/// since `onset`.
fn candidate(service: &str, id: i64, rise: i64, onset: i64, now: i64, level: f64) -> Candidate {
    let start = now - 30;
    let observed = (start..now)
        .map(|m| {
            if m >= rise {
                5.0 * level
            } else {
                5.0 + (m % 3) as f64
            }
        })
        .collect();
    Candidate {
        service: service.into(),
        incident_id: id,
        onset: at(onset),
        severity: Severity::Problems,
        series: MinuteSeries {
            start: at(start),
            observed,
            expected: vec![5.0; 30],
        },
        depends_on: Vec::new(),
        network: None,
        countries: vec![CountryShare {
            code: "US".into(),
            share: 0.4,
        }],
        home_country: None,
    }
}

fn depending(mut c: Candidate, provider: &str) -> Candidate {
    c.depends_on = vec![provider.into()];
    c
}

/// 300 services in the catalog, 20 of them behind "cdn", 60 behind "cloud".
fn stats() -> ProviderStats {
    ProviderStats::new(
        300,
        HashMap::from([("cdn".to_owned(), 20), ("cloud".to_owned(), 60)]),
    )
}

fn grouper() -> Grouper {
    Grouper::new(
        GroupingConfig::default(),
        BackgroundRate::default(),
        stats(),
    )
}

fn opened(changes: &[EventChange]) -> Vec<&OutageEvent> {
    changes
        .iter()
        .filter_map(|c| match c {
            EventChange::Opened { event } => Some(event),
            _ => None,
        })
        .collect()
}

/// Four dependents of "cdn" stepping up together, seen at minute `now`.
fn cdn_outage(now: i64) -> Vec<Candidate> {
    ["shop", "news", "chat", "game"]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let onset = 1 + i as i64 % 2;
            depending(candidate(s, 100 + i as i64, 0, onset, now, 20.0), "cdn")
        })
        .collect()
}

#[test]
fn services_stepping_up_together_make_an_event_named_after_their_shared_provider() {
    let mut g = grouper();
    let changes = g.observe(at(3), 300, &cdn_outage(3));
    let events = opened(&changes);
    assert_eq!(events.len(), 1, "{changes:?}");
    let event = events[0];
    assert_eq!(event.members.len(), 4);
    assert_eq!(event.id, 100, "the id is the first member's incident");
    assert_eq!(event.start, at(1));
    let top = event.top_cause().expect("a cause");
    assert_eq!(top.cause, CauseKind::Provider { slug: "cdn".into() });
    assert!(top.confidence > 0.8, "{top:?}");
    assert!(matches!(
        top.reasons[0],
        Reason::SharedDependency {
            members: 4,
            of: 4,
            dependents: 20,
            catalog: 300,
            ..
        }
    ));
    assert!(event.reports > 0.0 && event.peak_reports >= 100.0);
}

#[test]
fn the_same_onsets_are_ordinary_when_incidents_open_all_the_time() {
    // One incident per service per hour on 300 services: five onsets in 3 minutes are chance.
    let busy = BackgroundRate::per_minute(1.0 / 60.0);
    let mut g = Grouper::new(GroupingConfig::default(), busy, stats());
    assert!(g.observe(at(3), 300, &cdn_outage(3)).is_empty());
}

#[test]
fn a_surge_that_began_long_before_does_not_join_by_timing() {
    let mut g = grouper();
    let mut cands = cdn_outage(3);
    // Up since 20 minutes before and fading: opened at the same minute, different shape.
    let mut fading = candidate("old", 7, -20, 1, 3, 20.0);
    fading.series.observed = (0..30).map(|i| 100.0 - 3.0 * i as f64).collect();
    cands.push(fading);
    let changes = g.observe(at(3), 300, &cands);
    let event = opened(&changes)[0];
    assert!(!event.has_incident(7), "{event:?}");
}

#[test]
fn an_event_grows_updates_when_a_member_resolves_and_closes_with_the_last() {
    let mut g = grouper();
    g.observe(at(3), 300, &cdn_outage(3));
    // A fifth dependent opens 10 minutes later: the cause draws it in.
    let mut cands = cdn_outage(13);
    cands.push(depending(candidate("late", 200, 10, 12, 13, 20.0), "cdn"));
    let changes = g.observe(at(13), 300, &cands);
    assert!(
        matches!(&changes[..], [EventChange::Grew { added, .. }] if added == &[200]),
        "{changes:?}"
    );
    // One member resolves.
    cands.retain(|c| c.incident_id != 101);
    let changes = g.observe(at(14), 300, &cands);
    let [EventChange::Updated { event }] = &changes[..] else {
        panic!("{changes:?}");
    };
    assert_eq!(event.open_members().count(), 4);
    // All resolve.
    let changes = g.observe(at(15), 300, &[]);
    let [EventChange::Closed { event }] = &changes[..] else {
        panic!("{changes:?}");
    };
    assert_eq!(event.end, Some(at(15)));
    assert_eq!(g.open_events().count(), 0);
}

#[test]
fn a_new_leader_finds_the_same_event_by_regrouping_or_resuming() {
    let mut first = grouper();
    first.observe(at(3), 300, &cdn_outage(3));
    let event = first.open_events().next().expect("open").clone();

    let mut regrouped = grouper();
    let changes = regrouped.observe(at(4), 300, &cdn_outage(4));
    assert_eq!(opened(&changes)[0].id, event.id);

    let mut resumed = grouper();
    resumed.resume(at(4), [event.clone()]);
    let changes = resumed.observe(at(4), 300, &cdn_outage(4));
    assert!(opened(&changes).is_empty(), "{changes:?}");
    assert_eq!(resumed.event_of(101).map(|e| e.id), Some(event.id));
}

#[test]
fn an_isp_outage_is_named_after_the_network_not_the_services() {
    let mut g = grouper();
    let cands: Vec<Candidate> = ["netflix", "bank", "mail", "game", "shop"]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut c = candidate(s, 10 + i as i64, 0, 1, 3, 8.0);
            c.network = Some(NetworkShare {
                asn: 3269,
                org: "Telecom Italia".into(),
                country: Some("IT".into()),
                share: 0.8,
            });
            c.countries = vec![CountryShare {
                code: "IT".into(),
                share: 0.9,
            }];
            c
        })
        .collect();
    let changes = g.observe(at(3), 300, &cands);
    let event = opened(&changes)[0];
    let causes: Vec<&CauseKind> = event.causes.iter().map(|c| &c.cause).collect();
    assert!(
        matches!(causes[0], CauseKind::Network { asn: 3269, .. }),
        "{causes:?}"
    );
    assert!(matches!(causes[1], CauseKind::Country { code } if code == "IT"));
    assert!(event.causes[0].confidence > 1.5 * event.causes[1].confidence);
    assert_eq!(event.countries[0].code, "IT");
}

#[test]
fn a_provider_whose_own_reports_rose_first_joins_and_is_named_with_its_lead() {
    let mut g = grouper();
    let mut cands = cdn_outage(3);
    cands.push(candidate("cdn", 50, -2, -1, 3, 20.0));
    let changes = g.observe(at(3), 300, &cands);
    let event = opened(&changes)[0];
    assert!(event.has_incident(50), "{event:?}");
    let top = event.top_cause().expect("cause");
    assert!(top
        .reasons
        .iter()
        .any(|r| matches!(r, Reason::ProviderOwnReports { lead_minutes: 2 })));
    assert!(top.confidence > 0.9);
}
