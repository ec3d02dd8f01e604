//! Retention: an expired day of raw reports is dropped once its rollups hold it, and the
//! series over that day is still answered from the rollups.

use chrono::{TimeDelta, Utc};
use serde_json::Value;

use downwatch::store::{Expired, NewReport, ReportLog, RollupStore};

use crate::helpers::spawn_app;

fn old_report(t: chrono::DateTime<Utc>, n: u8) -> NewReport {
    NewReport {
        received_at: t,
        service: "netflix".into(),
        symptoms: vec!["login".into()],
        counted: !n.is_multiple_of(4),
        reporter: vec![n; 16],
        subnet: vec![n; 16],
        country: Some("IT".into()),
        subdivision: None,
        city: None,
        lat: None,
        lon: None,
        asn: None,
        as_org: None,
        region_source: "geoip",
        platform: None,
        phrase: None,
    }
}

#[tokio::test]
async fn an_expired_partition_is_dropped_after_its_rollups_are_verified() {
    let app = spawn_app().await;
    let day = (Utc::now() - TimeDelta::days(40)).date_naive();
    app.pg.ensure_partitions(day, 1).await.expect("partition");
    let noon = day.and_hms_opt(12, 0, 0).expect("time").and_utc();
    let reports: Vec<NewReport> = (0..40u8)
        .map(|n| old_report(noon + TimeDelta::minutes(i64::from(n)), n))
        .collect();
    app.pg.append(&reports).await.expect("append");
    let counted = reports.iter().filter(|r| r.counted).count() as i64;
    let partition = format!("reports_p{}", day.format("%Y%m%d"));

    // Not rolled up yet: kept.
    let outcome = app
        .pg
        .expire_reports(Utc::now().date_naive() - TimeDelta::days(30))
        .await
        .expect("retention");
    assert!(
        matches!(&outcome[..], [Expired::Kept { day: d, .. }] if *d == day),
        "{outcome:?}"
    );

    app.pg.roll_up(Utc::now()).await.expect("roll up");
    let outcome = app
        .pg
        .expire_reports(Utc::now().date_naive() - TimeDelta::days(30))
        .await
        .expect("retention");
    assert_eq!(outcome, vec![Expired::Dropped { day }]);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM pg_class WHERE relname = '{partition}'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM reports").await,
        0,
        "the raw reports are gone"
    );

    // The series over that day still answers, from the rollups.
    let from = day.and_hms_opt(0, 0, 0).expect("time").and_utc();
    let res = app
        .http
        .get(app.url(&format!(
            "/api/v1/services/netflix/series?step=1h&from={}&to={}",
            from.format("%Y-%m-%dT%H:%M:%SZ"),
            (from + TimeDelta::days(1)).format("%Y-%m-%dT%H:%M:%SZ")
        )))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    let points = body["points"].as_array().expect("points");
    let total: i64 = points.iter().filter_map(|p| p["reports"].as_i64()).sum();
    assert_eq!(total, counted);
    assert!(points.iter().all(|p| p["source"] == "rollups"));
}
