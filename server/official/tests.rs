//! The parsers on fixture bodies modelled on the real formats (`tests/fixtures/status/`).

use chrono::{DateTime, Utc};

use super::*;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/status/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("a time")
}

#[test]
fn a_statuspage_summary_gives_the_indicator_components_and_open_incidents() {
    let snap = statuspage::summary(&fixture("statuspage_summary.json")).expect("parses");
    assert_eq!(snap.indicator, Some(Indicator::Minor));
    assert!(snap.active_only);
    let names: Vec<_> = snap
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.status))
        .collect();
    assert_eq!(
        names,
        [
            ("Git Operations", ComponentStatus::Operational),
            ("Actions", ComponentStatus::PartialOutage),
            ("Codespaces", ComponentStatus::Unknown),
        ]
    );
    let incident = &snap.incidents[0];
    assert_eq!(incident.stage, Stage::Investigating);
    assert_eq!(incident.impact, Impact::Minor);
    assert_eq!(incident.components, ["Actions"]);
    assert_eq!(incident.first_posted_at(), at("2026-12-07T13:12:40.609Z"));
}

#[test]
fn statuspage_history_keeps_every_post_oldest_first_and_unknown_words() {
    let incidents = statuspage::incidents(&fixture("statuspage_incidents.json")).expect("parses");
    assert_eq!(incidents.len(), 3, "the one without an id is skipped");
    let stages: Vec<_> = incidents[0].updates.iter().map(|u| u.stage).collect();
    assert_eq!(
        stages,
        [
            Stage::Investigating,
            Stage::Identified,
            Stage::Monitoring,
            Stage::Resolved
        ]
    );
    assert_eq!(incidents[0].resolved_at, Some(at("2026-12-07T14:01:00Z")));
    assert_eq!(incidents[1].stage, Stage::Postmortem);
    assert!(incidents[1].url.is_none());
    assert_eq!(incidents[2].stage, Stage::Unknown);
    assert_eq!(incidents[2].impact, Impact::Unknown);
    let merged = merge_history(
        statuspage::summary(&fixture("statuspage_summary.json")).expect("parses"),
        incidents,
    );
    assert_eq!(merged.incidents.len(), 3, "the open one is told once");
    assert!(!merged.active_only);
}

#[test]
fn instatus_dates_in_javascript_style_and_milliseconds_are_read() {
    let snap = instatus::summary(&fixture("instatus_summary.json")).expect("parses");
    assert_eq!(snap.indicator, Some(Indicator::Major));
    assert_eq!(snap.incidents.len(), 2, "the one with no date is skipped");
    assert_eq!(snap.incidents[0].started_at, at("2026-12-07T13:12:00Z"));
    assert_eq!(snap.incidents[1].started_at, at("2026-12-07T13:12:00Z"));
    assert_eq!(snap.incidents[1].stage, Stage::Identified);
}

#[test]
fn an_aws_feed_groups_posts_into_incidents_with_pacific_times() {
    let now = at("2026-12-07T15:00:00Z");
    let snap = feed::feed(&fixture("aws.rss"), now).expect("parses");
    assert_eq!(snap.incidents.len(), 2);
    let ec2 = &snap.incidents[0];
    assert_eq!(ec2.title, "Increased API Error Rates");
    assert_eq!(ec2.components, ["ec2-us-east-1"]);
    assert_eq!(ec2.updates.len(), 3);
    assert_eq!(ec2.first_posted_at(), at("2026-12-07T13:12:00Z"));
    assert_eq!(ec2.updates[0].stage, Stage::Investigating);
    assert_eq!(ec2.updates[1].stage, Stage::Identified);
    assert_eq!(ec2.stage, Stage::Resolved);
    assert_eq!(ec2.resolved_at, Some(at("2026-12-07T14:40:00Z")));
    let lambda = &snap.incidents[1];
    assert_eq!(lambda.impact, Impact::Major);
    assert_eq!(
        lambda.started_at,
        at("2026-12-07T12:50:00Z"),
        "PDT is UTC-7"
    );
    assert_eq!(snap.indicator, Some(Indicator::Major));
    // A day later the unresolved Lambda post is stale: it no longer makes the page red.
    let later = feed::feed(&fixture("aws.rss"), at("2026-12-08T15:00:00Z")).expect("parses");
    assert_eq!(later.indicator, Some(Indicator::None));
}

#[test]
fn an_atom_feed_is_read_like_rss() {
    let snap = feed::feed(&fixture("azure.atom"), at("2026-12-07T14:00:00Z")).expect("parses");
    let incident = &snap.incidents[0];
    assert_eq!(
        incident.title,
        "Virtual Machines - West Europe - Connectivity issues"
    );
    assert_eq!(incident.stage, Stage::Investigating);
    assert_eq!(
        incident.url.as_deref(),
        Some("https://azure.status.microsoft/en-us/status/history/")
    );
    assert!(incident.updates[0]
        .body
        .starts_with("Starting at 13:05 UTC"));
}

#[test]
fn google_cloud_incidents_are_open_while_end_is_absent() {
    let snap = gcp::incidents(&fixture("gcp_incidents.json")).expect("parses");
    assert_eq!(snap.incidents.len(), 3);
    let open = &snap.incidents[0];
    assert_eq!(open.resolved_at, None);
    assert_eq!(open.impact, Impact::Critical);
    assert_eq!(open.stage, Stage::Identified);
    assert_eq!(open.first_posted_at(), at("2026-12-07T13:12:34Z"));
    assert_eq!(snap.indicator, Some(Indicator::Critical));
    assert_eq!(snap.components.len(), 2);
    assert_eq!(snap.components[0].status, ComponentStatus::MajorOutage);
    assert_eq!(snap.incidents[1].stage, Stage::Resolved);
    assert_eq!(snap.incidents[2].impact, Impact::Unknown);
}

#[test]
fn garbage_and_wrong_documents_are_errors_not_crashes() {
    let now = at("2026-12-07T15:00:00Z");
    for kind in crate::catalog::StatusKind::ALL {
        for body in [
            "",
            "{",
            "null",
            "[1,2",
            "<rss><item>",
            "\u{0}\u{1}",
            "{\"incidents\": 5}",
        ] {
            let _ = parse_main(kind, body, now);
        }
    }
    assert!(matches!(statuspage::summary("{"), Err(ParseError::Json(_))));
    assert!(matches!(gcp::incidents("{}"), Err(ParseError::Json(_))));
    assert!(matches!(
        feed::feed("<html/>", now),
        Err(ParseError::Xml(_))
    ));
    assert!(matches!(
        feed::feed("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><rss/>", now),
        Err(ParseError::Xml(_))
    ));
    // Missing pieces are not errors.
    assert_eq!(
        statuspage::summary("{}").map(|s| s.indicator),
        Ok(Some(Indicator::Unknown))
    );
}

#[test]
fn a_utf16_body_parses_like_its_utf8_twin() {
    let text = fixture("statuspage_summary.json");
    let mut body = vec![0xFF, 0xFE];
    body.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let decoded = decode(&body, 1 << 20).expect("decodes");
    assert_eq!(statuspage::summary(&decoded), statuspage::summary(&text));
}

#[test]
fn the_history_url_sits_beside_the_summary() {
    use crate::catalog::StatusKind;
    assert_eq!(
        history_url(
            StatusKind::Statuspage,
            "https://www.githubstatus.com/api/v2/summary.json"
        )
        .as_deref(),
        Some("https://www.githubstatus.com/api/v2/incidents.json")
    );
    assert_eq!(
        history_url(
            StatusKind::Gcp,
            "https://status.cloud.google.com/incidents.json"
        ),
        None
    );
}

mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::catalog::StatusKind;

    const FIXTURES: [(&str, StatusKind); 6] = [
        ("statuspage_summary.json", StatusKind::Statuspage),
        ("statuspage_incidents.json", StatusKind::Statuspage),
        ("instatus_summary.json", StatusKind::Instatus),
        ("aws.rss", StatusKind::Feed),
        ("azure.atom", StatusKind::Feed),
        ("gcp_incidents.json", StatusKind::Gcp),
    ];

    fn now() -> DateTime<Utc> {
        at("2026-12-07T15:00:00Z")
    }

    proptest! {
        #[test]
        fn any_bytes_are_a_snapshot_or_an_error_never_a_panic(
            body in proptest::collection::vec(any::<u8>(), 0..512),
            kind in 0usize..4,
        ) {
            if let Ok(text) = decode(&body, 1 << 16) {
                let _ = parse_main(crate::catalog::StatusKind::ALL[kind], &text, now());
            }
        }

        #[test]
        fn damaged_real_bodies_never_panic(
            which in 0usize..FIXTURES.len(),
            cut in 0.0f64..1.0,
            splice in "[\\[\\]{}\",:<>/a-z0-9 ]{0,12}",
        ) {
            let (name, kind) = FIXTURES[which];
            let text = fixture(name);
            let mut at = (text.len() as f64 * cut) as usize;
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            let damaged = format!("{}{splice}{}", &text[..at], &text[at..].chars().skip(3).collect::<String>());
            let _ = parse_main(kind, &damaged, now());
            let _ = statuspage::incidents(&damaged);
        }

        #[test]
        fn any_date_text_is_a_time_or_none(text in ".{0,60}") {
            let _ = dates::parse_date(&text);
        }
    }
}
