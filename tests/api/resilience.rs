//! What happens when a store fails: nothing half-written, buckets rebuilt from the log.

use chrono::{TimeDelta, Utc};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use downwatch::ingest::reconcile::{note_lost_buckets, rebuild, repair_once, repair_settled};
use downwatch::store::{minute_of, NewReport, ReportLog, ServiceMinute};

use crate::geoip_fixture::{MILAN_V4, ROME_V4};
use crate::helpers::{spawn_app, spawn_app_with, TestOptions};

#[tokio::test]
async fn a_failed_postgres_commit_answers_503_and_changes_nothing() {
    let app = spawn_app().await;
    let mut conn = app.db().await;
    diesel::sql_query("ALTER TABLE reports RENAME TO reports_away")
        .execute(&mut conn)
        .await
        .expect("rename");

    let body = json!({"service": "netflix", "symptoms": ["login"]});
    let res = app.report_from(MILAN_V4, &body).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(res.headers()["content-type"], "application/problem+json");

    diesel::sql_query("ALTER TABLE reports_away RENAME TO reports")
        .execute(&mut conn)
        .await
        .expect("rename back");
    assert_eq!(app.count("SELECT count(*) AS n FROM reports").await, 0);
    assert_eq!(app.bucket_sum(None, "total"), 0);

    // The refused report left no dedupe mark: the retry counts.
    let retry = app.report_from(MILAN_V4, &body).await;
    assert_eq!(retry.status(), 202);
    let ack: Value = retry.json().await.expect("json");
    assert_eq!(ack["counted"], true);
}

fn logged(service: &str, minutes_ago: i64, n: u8) -> NewReport {
    NewReport {
        received_at: Utc::now() - TimeDelta::minutes(minutes_ago),
        service: service.to_owned(),
        symptoms: vec!["login".to_owned()],
        counted: true,
        reporter: vec![n; 16],
        subnet: vec![n; 16],
        country: Some("IT".to_owned()),
        subdivision: None,
        city: None,
        lat: None,
        lon: None,
        asn: Some(3269),
        as_org: None,
        region_source: "geoip",
        platform: None,
        phrase: None,
    }
}

#[tokio::test]
async fn the_reconciler_rebuilds_noted_minutes_from_the_log() {
    let app = spawn_app().await;
    // The app's reconciler first checks that Redis holds the hot window (and notes it all for
    // a rebuild when it does not); wait for that check, or it could note this test's minutes.
    wait_until_filled(&app).await;
    // Three reports committed while Redis was away; one more still in the settling period.
    let old: Vec<NewReport> = (1..=3).map(|n| logged("netflix", 5, n)).collect();
    let fresh = logged("netflix", 0, 9);
    app.pg.append(&old).await.expect("append");
    app.pg
        .append(std::slice::from_ref(&fresh))
        .await
        .expect("append");
    let old_minute = minute_of(old[0].received_at);
    let fresh_minute = minute_of(fresh.received_at);
    app.pg
        .note_bucket_repairs(&[
            ServiceMinute {
                service: "netflix".into(),
                minute: old_minute,
            },
            ServiceMinute {
                service: "netflix".into(),
                minute: fresh_minute,
            },
        ])
        .await
        .expect("note");

    let repaired = repair_once(&app.pg, &app.redis, Utc::now())
        .await
        .expect("repair");
    assert_eq!(repaired, 1, "only the settled minute is rebuilt");
    let bucket = downwatch::store::BucketStore::minute(&app.redis, "netflix", old_minute)
        .await
        .expect("bucket");
    assert_eq!(bucket.total, 3);
    assert_eq!(bucket.unique_reporters, 3);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM bucket_repairs").await,
        1
    );
}

#[tokio::test]
async fn rebuild_buckets_recomputes_redis_from_the_log() {
    let app = spawn_app().await;
    for (ip, service) in [
        (MILAN_V4, "netflix"),
        (ROME_V4, "netflix"),
        (MILAN_V4, "spotify"),
    ] {
        let res = app
            .report_from(ip, &json!({"service": service, "symptoms": ["login"]}))
            .await;
        assert_eq!(res.status(), 202);
    }
    let before = app.redis_dump();
    // Lose every bucket, as a Redis restart without persistence would.
    let mut conn = crate::helpers::redis_connection();
    for key in before
        .keys()
        .filter(|k| k.contains(":m:") || k.contains(":u:"))
    {
        let _: i64 = redis::cmd("DEL").arg(key).query(&mut conn).expect("del");
    }
    assert_eq!(app.bucket_sum(None, "total"), 0);

    let since = Utc::now() - TimeDelta::hours(2);
    let mut calls = 0;
    let rebuilt = rebuild(
        &app.pg,
        &app.redis,
        since,
        Utc::now() + TimeDelta::minutes(1),
        |_, _, _| calls += 1,
    )
    .await
    .expect("rebuild");
    assert!(rebuilt >= 2);
    assert!(calls >= 2, "progress is reported per hour");
    assert_eq!(app.bucket_sum(Some("netflix"), "total"), 2);
    assert_eq!(app.bucket_sum(Some("spotify"), "total"), 1);
    let after = app.redis_dump();
    for (key, value) in before.iter().filter(|(k, _)| k.contains(":m:")) {
        assert_eq!(after.get(key), Some(value), "{key} rebuilt identically");
    }
}

#[tokio::test]
async fn a_redis_that_lost_its_buckets_is_refilled_from_the_log() {
    // The app's own reconciler checks once at start, then not during the test.
    let app = spawn_app_with(TestOptions {
        config: Box::new(|c| c.ingest.repair_every = std::time::Duration::from_secs(3600)),
        ..TestOptions::default()
    })
    .await;
    for ip in [MILAN_V4, ROME_V4] {
        let res = app
            .report_from(ip, &json!({"service": "netflix", "symptoms": ["login"]}))
            .await;
        assert_eq!(res.status(), 202);
    }
    let now = Utc::now();
    // Once the buckets are marked filled (by the app's reconciler at start, or this first
    // call if the app's has not run yet), there is nothing to do.
    note_lost_buckets(&app.pg, &app.redis, now)
        .await
        .expect("check");
    assert_eq!(
        note_lost_buckets(&app.pg, &app.redis, now)
            .await
            .expect("check"),
        0
    );
    // Redis restarts empty: every key of the deployment is gone, the marker too.
    let mut conn = crate::helpers::redis_connection();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{}*", app.prefix))
        .query(&mut conn)
        .expect("keys");
    for key in keys {
        let _: i64 = redis::cmd("DEL").arg(key).query(&mut conn).expect("del");
    }
    assert_eq!(app.bucket_sum(None, "total"), 0);

    let noted = note_lost_buckets(&app.pg, &app.redis, now)
        .await
        .expect("notice");
    assert!(noted >= 1, "the minutes with reports are noted: {noted}");
    assert_eq!(
        note_lost_buckets(&app.pg, &app.redis, now)
            .await
            .expect("again"),
        0,
        "noted once"
    );
    let later = now + TimeDelta::minutes(2);
    let rebuilt = repair_settled(&app.pg, &app.redis, later, std::time::Duration::ZERO)
        .await
        .expect("repair");
    assert_eq!(rebuilt, noted);
    assert_eq!(app.bucket_sum(Some("netflix"), "total"), 2);
}

#[tokio::test]
async fn the_rebuild_buckets_command_refills_the_hot_window_and_says_so() {
    use downwatch::store::BucketStore;
    let app = spawn_app().await;
    // After the reconciler's start-up check, its next look is a tick (10 s) away.
    wait_until_filled(&app).await;
    for (ip, service) in [(MILAN_V4, "netflix"), (ROME_V4, "netflix")] {
        let res = app
            .report_from(ip, &json!({"service": service, "symptoms": ["login"]}))
            .await;
        assert_eq!(res.status(), 202);
    }
    // Redis loses everything, the marker of a filled hot window included.
    let mut conn = crate::helpers::redis_connection();
    for key in app.redis_dump().keys() {
        let _: i64 = redis::cmd("DEL").arg(key).query(&mut conn).expect("del");
    }
    assert!(!app.redis.is_filled().await.expect("marker"));

    let since = (Utc::now() - TimeDelta::hours(26)).to_rfc3339();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_downwatch"))
        .args(["rebuild-buckets", "--since", &since])
        .env("DATABASE_URL", &app.database_url)
        .env("REDIS_URL", crate::helpers::redis_url())
        .env("DOWNWATCH_REDIS_PREFIX", &app.prefix)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(app.recent_sum(Some("netflix"), "total").await, 2);
    assert!(
        app.redis.is_filled().await.expect("marker"),
        "a rebuild of the whole hot window tells the servers' reconciler it need not refill"
    );
}

/// Waits until the app's reconciler has made its start-up check of the buckets.
async fn wait_until_filled(app: &crate::helpers::TestApp) {
    use downwatch::store::BucketStore;
    for _ in 0..200 {
        if app.redis.is_filled().await.expect("marker") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the reconciler did not check the buckets within 5 s");
}
