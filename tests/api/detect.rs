//! The detector against real Postgres and Redis: incidents opened from a surge of reports,
//! idempotent ticks, calm resolution, flood damping, country scope, network evidence.

use chrono::{DateTime, TimeDelta, Utc};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use downwatch::detect::config::DetectConfig;
use downwatch::detect::tick::{Detector, TickReport};
use downwatch::store::postgres::detector::PgLeader;
use downwatch::store::{quarter_of, RollupStore, StatusBoard};

use crate::helpers::{spawn_app, Stack, TestApp};

/// The detector of the app's deployment, led by the test (the app itself does not campaign),
/// on the app's own stores whatever the stack.
pub(crate) async fn detector(app: &TestApp) -> Detector {
    let leader = app
        .stores
        .election
        .campaign()
        .await
        .expect("campaign")
        .expect("no other leader in a fresh deployment");
    let mut d = Detector::new(
        DetectConfig::default(),
        leader,
        app.stores.buckets.clone(),
        app.stores.rollups.clone(),
        app.stores.board.clone(),
    );
    d.resume().await.expect("resume");
    d
}

/// Posts one report per address and waits until all are in the buckets.
pub(crate) async fn surge(app: &TestApp, service: &str, symptom: &str, addresses: &[String]) {
    for ip in addresses {
        let res = app
            .report_from(ip, &json!({"service": service, "symptoms": [symptom]}))
            .await;
        assert_eq!(res.status(), 202, "report from {ip}");
    }
    for _ in 0..100 {
        if app.recent_sum(Some(service), "total").await >= addresses.len() as i64 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("reports did not reach the buckets");
}

pub(crate) fn spread(n: u32) -> Vec<String> {
    (0..n)
        .map(|i| match i % 4 {
            0 => format!("81.56.{}.1", i),
            1 => format!("86.128.{}.1", i),
            2 => format!("2a01:e0a:{:x}::1", i + 1),
            _ => format!("2600:1700:{:x}::1", i + 1),
        })
        .collect()
}

/// Every incident of the deployment, oldest first, read through the app's own store.
async fn incidents(app: &TestApp) -> Vec<(i64, String, String, String, Value)> {
    let mut rows = app
        .stores
        .incidents
        .list_incidents(&downwatch::store::IncidentFilter {
            limit: 1000,
            ..Default::default()
        })
        .await
        .expect("incidents");
    rows.sort_by_key(|r| r.id);
    rows.into_iter()
        .map(|r| {
            let words = (
                r.scope.to_string(),
                r.status.to_string(),
                r.severity.to_string(),
            );
            (r.id, words.0, words.1, words.2, r.evidence)
        })
        .collect()
}

/// The tick that sees the current minute's reports in its window.
pub(crate) fn next_minute() -> DateTime<Utc> {
    Utc::now() + TimeDelta::minutes(1)
}

/// Two ticks a minute apart that both see the current minute's reports: a surge that holds
/// for the two minutes "problems" asks for. Returns the first tick's report (incidents open as
/// possible problems) after the second has escalated them.
pub(crate) async fn sustained_ticks(d: &mut Detector) -> TickReport {
    let at = next_minute();
    let first = d.tick(at).await.expect("tick");
    let second = d.tick(at + TimeDelta::minutes(1)).await.expect("tick");
    assert_eq!(second.escalated.len(), first.opened.len(), "{second:?}");
    first
}

#[tokio::test]
async fn only_one_process_leads_and_a_successor_takes_over() {
    let app = spawn_app().await;
    let first = PgLeader::try_acquire(&app.database_url)
        .await
        .expect("campaign");
    assert!(first.is_some());
    let second = PgLeader::try_acquire(&app.database_url)
        .await
        .expect("campaign");
    assert!(second.is_none(), "two leaders at once");
    drop(first);
    let mut third = None;
    for _ in 0..50 {
        third = PgLeader::try_acquire(&app.database_url)
            .await
            .expect("campaign");
        if third.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(third.is_some(), "a successor leads once the leader is gone");
}

/// A deployment with a week of history (of another service): the service under test has
/// been quiet all that time.
pub(crate) async fn deployed_a_week_ago(app: &TestApp) {
    seed_history(app, "wikipedia", &["DE"], 3).await;
}

/// Seven days of steady history: `per_quarter` counted reports in each country every 15 minutes.
async fn seed_history(app: &TestApp, service: &str, countries: &[&str], per_quarter: i32) {
    let end = quarter_of(Utc::now() - TimeDelta::minutes(2));
    let start = end - TimeDelta::days(7);
    if app.stack == Stack::Embedded {
        // SQLite keeps times as microseconds since the epoch.
        let (start, end) = (start.timestamp_micros(), end.timestamp_micros());
        for country in countries {
            app.execute_sqlite(&format!(
                "INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
                 WITH RECURSIVE b(t) AS (SELECT {start} UNION ALL SELECT t + 900000000 FROM b WHERE t + 900000000 < {end})
                 SELECT '{service}', t, '{country}', '*', {per_quarter}, {per_quarter} FROM b"
            ))
            .await;
        }
        return;
    }
    let mut conn = app.db().await;
    for country in countries {
        diesel::sql_query(
            "INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
             SELECT $1, b, $2, '*', $3, $3
             FROM generate_series($4::timestamptz, $5::timestamptz - interval '15 minutes', interval '15 minutes') AS b",
        )
        .bind::<diesel::sql_types::Text, _>(service)
        .bind::<diesel::sql_types::Text, _>(*country)
        .bind::<diesel::sql_types::Integer, _>(per_quarter)
        .bind::<diesel::sql_types::Timestamptz, _>(start)
        .bind::<diesel::sql_types::Timestamptz, _>(end)
        .execute(&mut conn)
        .await
        .expect("seed rollups");
    }
}

#[tokio::test]
async fn rollups_follow_the_log_and_rebuild_identically() {
    let app = spawn_app().await;
    surge(&app, "netflix", "login", &spread(8)).await;
    let window = app
        .pg
        .roll_up(Utc::now() + TimeDelta::minutes(1))
        .await
        .expect("roll up");
    assert!(window.is_some());
    let totals = "SELECT coalesce(sum(reports), 0)::bigint AS n FROM rollups WHERE service = 'netflix' AND symptom = '*'";
    assert_eq!(app.count(totals).await, 8);
    assert_eq!(
        app.count(
            "SELECT coalesce(sum(reports), 0)::bigint AS n FROM rollups WHERE symptom = 'login'"
        )
        .await,
        8
    );
    assert_eq!(
        app.count("SELECT count(DISTINCT country)::bigint AS n FROM rollups")
            .await,
        4
    );
    // Nothing new: the watermark does not move backwards or double count.
    assert!(app.pg.roll_up(Utc::now()).await.expect("roll up").is_none());
    assert_eq!(app.count(totals).await, 8);
    app.pg
        .rebuild_rollups(Utc::now() - TimeDelta::hours(1))
        .await
        .expect("rebuild");
    assert_eq!(app.count(totals).await, 8);
}

crate::both_stacks! {
    async fn a_surge_opens_one_incident_with_evidence_and_calm_resolves_it(app) {
        deployed_a_week_ago(app).await;
        let mut d = detector(app).await;
        surge(app, "chatgpt", "login", &spread(40)).await;

        let at = next_minute();
        let first = d.tick(at).await.expect("tick");
        assert_eq!(first.opened.len(), 1, "{first:?}");
        let open = incidents(app).await;
        assert_eq!(open.len(), 1);
        let (_, _, _, severity, _) = &open[0];
        assert_eq!(severity, "possible-problems", "one window is not yet an outage");
        // The surge holds a second minute: problems.
        let at = at + TimeDelta::minutes(1);
        let second = d.tick(at).await.expect("tick");
        let open = incidents(app).await;
        let (id, scope, status, severity, evidence) = &open[0];
        assert_eq!(second.escalated, vec![*id], "{second:?}");
        assert_eq!(
            (scope.as_str(), status.as_str(), severity.as_str()),
            ("global", "open", "problems")
        );
        assert_eq!(evidence["reports"], 40);
        assert_eq!(evidence["methodology"], "dw-detect-2");
        assert_eq!(evidence["surprise"], "far more than chance explains");
        assert!(evidence["neg_log10_p"].as_f64().is_some_and(|p| p <= 12.0));
        assert!(evidence["ratio_low"].as_f64().is_some_and(|r| r >= 4.0), "{evidence}");
        assert!(evidence["dispersion"].as_f64().is_some_and(|a| a > 0.0));
        assert!(evidence["expected"].as_f64().is_some_and(|e| e < 5.0));
        assert_eq!(evidence["top_symptoms"][0]["key"], "login");
        assert_eq!(evidence["top_countries"].as_array().map(Vec::len), Some(4));

        // Every node can read what the leader decided.
        let status = app
            .stores
            .board
            .status("chatgpt")
            .await
            .expect("status")
            .expect("published");
        assert_eq!(status.state.as_str(), "problems");
        assert_eq!(status.reports, 40);
        assert_eq!(status.open_incidents, vec![*id]);
        let events = app
            .stores
            .board
            .events_after(None, std::time::Duration::ZERO)
            .await
            .expect("events");
        let kinds: Vec<&str> = events.iter().map(|e| e.event.kind.as_str()).collect();
        assert!(
            kinds.contains(&"state-changed") && kinds.contains(&"incident-opened"),
            "{kinds:?}"
        );
        let last = events.last().map(|e| e.id.clone());
        assert!(app
            .redis
            .events_after(last.as_deref(), std::time::Duration::ZERO)
            .await
            .expect("events")
            .is_empty());

        // The same tick again (a new leader replaying it) changes nothing.
        let again = d.tick(at).await.expect("tick");
        assert!(again.opened.is_empty());
        assert_eq!(incidents(app).await.len(), 1);
        let events = app
            .count(&format!(
                "SELECT count(*) AS n FROM incident_events WHERE incident_id = {id}"
            ))
            .await;

        // A failover: a fresh detector resumes the open incident instead of opening another.
        drop(d);
        let mut d = detector(app).await;
        let replay = d.tick(at).await.expect("tick");
        assert!(replay.opened.is_empty(), "{replay:?}");
        let now_open = incidents(app).await;
        assert_eq!(now_open.len(), 1, "{now_open:?}");
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) AS n FROM incident_events WHERE incident_id = {id}"
            ))
            .await,
            events
        );

        // Then calm: resolved after the calm period, not before.
        let mut resolved_at = None;
        for minute in 1..=40 {
            let report = d.tick(at + TimeDelta::minutes(minute)).await.expect("tick");
            if report.resolved.contains(id) {
                resolved_at = Some(minute);
                break;
            }
        }
        let minute = resolved_at.expect("resolved within 40 quiet minutes");
        assert!(
            minute > i64::from(d.config().calm_minutes),
            "resolved after {minute} min"
        );
        let after = incidents(app).await;
        assert_eq!(after[0].2, "resolved");
        assert_eq!(
            app.count(&format!("SELECT count(*) AS n FROM incident_events WHERE incident_id = {id} AND kind = 'resolved'")).await,
            1
        );
    }

    async fn a_flood_from_one_subnet_opens_nothing(app) {
        deployed_a_week_ago(app).await;
        let mut d = detector(app).await;
        let office: Vec<String> = (1..=80).map(|i| format!("10.1.2.{i}")).collect();
        surge(app, "netflix", "login", &office).await;
        let report = d.tick(next_minute()).await.expect("tick");
        assert!(report.opened.is_empty(), "{report:?}");
        assert!(incidents(app).await.is_empty());
    }

    async fn an_isp_outage_blamed_on_a_service_shows_the_network_concentration(app) {
        deployed_a_week_ago(app).await;
        let mut d = detector(app).await;
        let milan: Vec<String> = (0..30).map(|i| format!("81.56.{i}.7")).collect();
        surge(app, "netflix", "video-streaming", &milan).await;
        let report = d.tick(next_minute()).await.expect("tick");
        assert_eq!(report.opened.len(), 1, "{report:?}");
        let all = incidents(app).await;
        let evidence = &all[0].4;
        assert_eq!(
            all[0].1, "IT",
            "every report is from Italy: the incident is scoped to it"
        );
        assert_eq!(evidence["network_concentration"]["asn"], 3269);
        assert_eq!(
            evidence["network_concentration"]["organisation"],
            "Telecom Italia S.p.A."
        );
        assert_eq!(evidence["network_concentration"]["share"], 1.0);
        assert_eq!(evidence["top_subdivisions"][0]["key"], "IT-25");
    }

    async fn without_any_history_nothing_is_judged_yet(app) {
        let mut d = detector(app).await;
        surge(app, "chatgpt", "login", &spread(40)).await;
        let report = d.tick(next_minute()).await.expect("tick");
        assert!(
            report.opened.is_empty(),
            "a fresh deployment has no normal level yet: {report:?}"
        );
    }

    async fn a_regional_outage_opens_a_country_incident_not_a_global_one(app) {
        seed_history(app, "spotify", &["IT", "GB", "FR", "US"], 15).await;
        let mut d = detector(app).await;
        // Normal traffic elsewhere, a surge in Italy (Milan and Rome, many networks).
        let mut addresses: Vec<String> = (0..45).map(|i| format!("81.56.{i}.9")).collect();
        addresses.extend((0..45).map(|i| format!("151.38.{i}.9")));
        surge(app, "spotify", "login", &addresses).await;
        let report = d.tick(next_minute()).await.expect("tick");
        assert_eq!(report.opened.len(), 1, "{report:?}");
        let all = incidents(app).await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].1, "IT");

        // Reports from elsewhere join while it lasts: Italy's share falls under the threshold,
        // but the open incident keeps its scope instead of closing and reopening as global.
        let london: Vec<String> = (0..40).map(|i| format!("86.128.{i}.9")).collect();
        surge(app, "spotify", "login", &london).await;
        for _ in 0..100 {
            if app.bucket_sum(Some("spotify"), "total") >= 130 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let next = d
            .tick(next_minute() + TimeDelta::seconds(30))
            .await
            .expect("tick");
        assert!(
            next.opened.is_empty() && next.resolved.is_empty(),
            "{next:?}"
        );
        assert_eq!(incidents(app).await.len(), 1);
    }

    async fn quiet_traffic_at_its_normal_level_opens_nothing(app) {
        seed_history(app, "steam", &["IT", "GB"], 30).await;
        let mut d = detector(app).await;
        // About the normal 5-minute volume: 2 x 30 per quarter = 4 per minute, 20 per window.
        surge(app, "steam", "login", &spread(16)).await;
        let report = d.tick(next_minute()).await.expect("tick");
        assert!(report.opened.is_empty(), "{report:?}");
    }
}
