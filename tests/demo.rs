//! `downwatch demo`: its pieces without the clock (synthetic GeoIP, rhythm, a short backfill
//! into embedded storage), then the real binary end to end.

use std::net::IpAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use serde_json::Value;

use downwatch::catalog::seed::seed_services;
use downwatch::config::{Backend, Config};
use downwatch::demo::backfill::{self, BackfillPlan};
use downwatch::demo::geoip;
use downwatch::demo::population::Population;
use downwatch::demo::rhythm::{Profile, Rhythm, Rng};
use downwatch::detect::config::DetectConfig;
use downwatch::geo::GeoIp;
use downwatch::secret::Secret;
use downwatch::store::{IncidentFilter, IncidentStatus};

#[test]
fn synthetic_geoip_locates_generated_addresses_in_their_city_and_network() {
    let dir = tempfile::tempdir().expect("dir");
    let paths = geoip::write_databases(dir.path()).expect("databases written");
    let geo = GeoIp::open(Some(&paths.city_db), Some(&paths.asn_db)).expect("databases load");
    assert!(geo.describe().contains(geoip::CITY_DB_TYPE));
    let mut rng = Rng::new(1);
    let cases = [
        ("Milan", "IT", "IT-25", 3269, "Telecom Italia S.p.A."),
        ("Naples", "IT", "IT-72", 30722, "Vodafone Italia S.p.A."),
        (
            "London",
            "GB",
            "GB-ENG",
            2856,
            "British Telecommunications PLC",
        ),
        ("São Paulo", "BR", "BR-SP", 18881, "TELEFONICA BRASIL S.A"),
        (
            "Mumbai",
            "IN",
            "IN-MH",
            55836,
            "Reliance Jio Infocomm Limited",
        ),
        ("New York", "US", "US-NY", 7018, "AT&T Enterprises, LLC"),
    ];
    for (city, country, subdivision, asn, org) in cases {
        let index = geoip::city_index(city).expect("known city");
        for _ in 0..20 {
            let ip = geoip::address(index, Some(asn), &mut rng).expect("the AS is in the city");
            assert!(ip.octets()[0] == 10, "{ip} is not in 10.0.0.0/8");
            let place = geo.lookup(IpAddr::V4(ip));
            assert_eq!(place.city.as_deref(), Some(city), "{ip}");
            assert_eq!(place.country.as_deref(), Some(country), "{ip}");
            assert_eq!(place.subdivision.as_deref(), Some(subdivision), "{ip}");
            assert_eq!(place.asn, Some(asn), "{ip}");
            assert_eq!(place.as_org.as_deref(), Some(org), "{ip}");
            assert!(place.lat.is_some() && place.lon.is_some());
        }
    }
}

#[test]
fn the_rhythm_is_the_same_for_a_seed_and_quiet_at_night() {
    // UTC+1, from a Monday at midnight UTC, for a week.
    let rhythm = Rhythm::new(Profile::Leisure, 60);
    let from = DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
        .expect("date")
        .with_timezone(&Utc);
    let minutes = 7 * 24 * 60;
    let a = rhythm.counts(2.0, from, minutes, &mut Rng::new(42));
    let b = rhythm.counts(2.0, from, minutes, &mut Rng::new(42));
    let c = rhythm.counts(2.0, from, minutes, &mut Rng::new(43));
    assert_eq!(a, b, "same seed, same counts");
    assert_ne!(a, c, "another seed, other counts");

    let local_hour = |i: usize| (from + TimeDelta::minutes(i as i64 + 60)).hour();
    let sum_at = |hours: std::ops::Range<u32>| -> u64 {
        a.iter()
            .enumerate()
            .filter(|(i, _)| hours.contains(&local_hour(*i)))
            .map(|(_, n)| n)
            .sum()
    };
    let (night, evening) = (sum_at(3..5), sum_at(20..22));
    assert!(night * 3 < evening, "night {night} vs evening {evening}");
    let mean = a.iter().sum::<u64>() as f64 / minutes as f64;
    assert!((mean - 2.0).abs() < 0.15, "mean per minute {mean}");
}

fn embedded_config(dir: &std::path::Path, geo: &geoip::GeoPaths) -> Config {
    Config {
        geoip_city_db: Some(geo.city_db.clone()),
        geoip_asn_db: Some(geo.asn_db.clone()),
        run_detector: false,
        ..Config::new(
            Backend::Embedded,
            Secret::new("demo-test-secret-0123456789"),
            dir.to_owned(),
        )
    }
    .validate()
    .expect("valid config")
}

#[tokio::test]
async fn a_short_backfill_fills_the_log_the_rollups_and_the_past_incidents() {
    let dir = tempfile::tempdir().expect("dir");
    let paths = geoip::write_databases(&dir.path().join("demo-geoip")).expect("geoip");
    let geo = GeoIp::open(Some(&paths.city_db), Some(&paths.asn_db)).expect("geoip loads");
    let stores = downwatch::store::open(&embedded_config(dir.path(), &paths).store_location())
        .await
        .expect("embedded stores");
    stores
        .catalog
        .seed_services(&seed_services().expect("catalog"))
        .await
        .expect("seeded");
    let catalog = stores.catalog.list_services().await.expect("catalog");
    let pop = Population::from_catalog(&catalog, 5);
    assert_eq!(pop.services.len(), 5);

    let to = Utc::now() - TimeDelta::minutes(1);
    let from = to - TimeDelta::days(2);
    let plan = BackfillPlan {
        from,
        to,
        seed: 11,
        volume: 0.1,
        past_outages: true,
    };
    let detect = DetectConfig::default();
    let summary = backfill::run(&stores, &geo, &pop, &plan, &detect, &mut |_, _| {})
        .await
        .expect("backfill");

    let logged = stores
        .log
        .counted_between(from, Utc::now(), None)
        .await
        .expect("log");
    assert!(summary.reports > 1000, "{} reports", summary.reports);
    assert_eq!(logged.len() as u64, summary.reports);
    assert!(logged.iter().all(|r| r.received_at < summary.to));
    assert!(logged
        .iter()
        .all(|r| r.country.is_some() && r.asn.is_some()));
    let slugs: Vec<&str> = pop.services.iter().map(|s| s.slug.as_str()).collect();
    assert!(logged.iter().all(|r| slugs.contains(&r.service.as_str())));

    let watermark = stores.rollups.watermark().await.expect("watermark");
    assert_eq!(watermark, Some(summary.to));
    let rolled: i64 = stores
        .rollups
        .history(
            None,
            from - TimeDelta::hours(1),
            summary.to + TimeDelta::hours(1),
        )
        .await
        .expect("rollups")
        .iter()
        .map(|r| i64::from(r.reports))
        .sum();
    assert_eq!(rolled as u64, summary.reports, "every report is rolled up");

    let incidents = stores
        .incidents
        .list_incidents(&IncidentFilter {
            status: Some(IncidentStatus::Resolved),
            limit: 100,
            ..IncidentFilter::default()
        })
        .await
        .expect("incidents");
    assert_eq!(summary.outages.len(), 3);
    assert!(summary.incidents >= 3, "{} incidents", summary.incidents);
    for (service, scope) in [
        ("whatsapp", "global"),
        ("vodafone-it", "IT"),
        ("netflix", "IT"),
    ] {
        let outage = summary
            .outages
            .iter()
            // An outage's first effect is its own service (others may be blamed with it).
            .find(|o| {
                o.effects
                    .first()
                    .is_some_and(|e| pop.services[e.service].slug == service)
            })
            .expect("scripted");
        assert!(
            incidents.iter().any(|i| i.service == service
                && i.scope.as_str() == scope
                && i.started_at >= outage.start
                && i.started_at < outage.start + TimeDelta::minutes(10)),
            "no {service} {scope} incident at {}: {incidents:#?}",
            outage.start
        );
    }
    assert!(incidents
        .iter()
        .all(|i| i.resolved_at.is_some_and(|t| t < to)));
}

/// Kills the demo if the test fails before stopping it.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn reports_in(series: &Value) -> i64 {
    series["points"]
        .as_array()
        .map(|points| points.iter().filter_map(|p| p["reports"].as_i64()).sum())
        .unwrap_or(0)
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let res = http.get(url).send().await.expect("answered");
    assert_eq!(res.status(), 200, "{url}");
    res.json().await.expect("json")
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test]
async fn the_demo_binary_serves_history_and_live_reports_and_stops_on_sigterm() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_downwatch"))
        .args(["demo", "--days", "1", "--services", "6", "--speed", "10"])
        .args(["--seed", "5", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the demo");
    let mut demo = Running(child);
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("client");

    let mut ready = false;
    while started.elapsed() < Duration::from_secs(40) {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(ready, "the demo did not become ready");

    let day_ago = stamp(Utc::now() - TimeDelta::days(1));
    let history = get_json(
        &http,
        &format!("{base}/api/v1/services/chatgpt/series?step=15m&from={day_ago}"),
    )
    .await;
    assert!(reports_in(&history) > 100, "{history}");

    let recent = format!(
        "{base}/api/v1/services/chatgpt/series?step=1m&from={}",
        stamp(Utc::now() - TimeDelta::minutes(15))
    );
    let before = reports_in(&get_json(&http, &recent).await);
    let mut after = before;
    let deadline = Instant::now() + Duration::from_secs(20);
    while after <= before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = reports_in(&get_json(&http, &recent).await);
    }
    assert!(after > before, "no live reports: {before} then {after}");
    drop(http);

    let pid = demo.0.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(45);
    let status = loop {
        if let Some(status) = demo.0.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the demo did not stop");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = demo.0.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert!(status.success(), "exit {status}: {stderr}");
    assert!(stderr.contains("backfilled"), "{stderr}");
    assert!(
        stderr.contains(&format!("serving on http://127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(
        dir.path().join("downwatch.sqlite3").exists(),
        "the data stays"
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}
