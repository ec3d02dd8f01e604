//! What the tests write: times, reports, services, incident ticks.

use chrono::{DateTime, TimeDelta, Utc};
use downwatch::catalog::Service;
use downwatch::domain::Severity;
use downwatch::store::{IncidentTick, NewReport};
use serde_json::json;

/// 2026-12-01 10:00:00 UTC (on a quarter-hour boundary) plus `secs_after`.
pub fn at(secs_after: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_796_119_200 + secs_after, 0).expect("valid time")
}

/// A counted report of `service` a little after `at(secs_after)` (a few microseconds, which
/// every store keeps), located by GeoIP.
pub fn report(service: &str, secs_after: i64, reporter: u8, country: Option<&str>) -> NewReport {
    NewReport {
        received_at: at(secs_after) + TimeDelta::microseconds(123),
        service: service.into(),
        symptoms: vec!["login".into(), "app".into()],
        counted: true,
        reporter: vec![reporter; 32],
        subnet: vec![1, 2, 3, 4, 5, 6],
        country: country.map(Into::into),
        subdivision: None,
        city: Some("Milano".into()),
        lat: Some(45.5),
        lon: Some(9.2),
        asn: Some(3269),
        as_org: Some("Telecom Italia".into()),
        region_source: "geoip",
        platform: None,
        phrase: None,
    }
}

/// A counted report as the minute buckets see it: a subdivision, no coordinates.
pub fn bucket_report(
    service: &str,
    secs_after: i64,
    reporter: u8,
    country: Option<&str>,
) -> NewReport {
    NewReport {
        received_at: at(secs_after),
        subnet: vec![1, 2, 3, 4, 5, 6, 7, 8],
        subdivision: country.map(|c| format!("{c}-25")),
        city: None,
        lat: None,
        lon: None,
        as_org: None,
        ..report(service, secs_after, reporter, country)
    }
}

pub fn service(slug: &str, name: &str) -> Service {
    Service {
        slug: slug.into(),
        name: name.into(),
        category: "streaming".into(),
        aliases: vec![format!("{slug}-alias")],
        url: None,
        country: Some("IT".into()),
        symptoms: vec!["login".into(), "app".into()],
        depends_on: Vec::new(),
        official_status: None,
    }
}

/// The detector's figures for an incident of `service` in `scope` at `at(secs_after)`.
pub fn tick(service: &str, scope: &str, secs_after: i64, observed: f64) -> IncidentTick {
    IncidentTick {
        service: service.into(),
        scope: scope.parse().expect("a scope"),
        severity: Severity::PossibleProblems,
        at: at(secs_after),
        observed,
        expected: 2.0,
        score: 0.75,
        evidence: json!({ "observed": observed }),
    }
}
