//! Series, breakdowns and the map, over reports from the ingestion path and the stores.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use downwatch::store::{quarter_of, BucketStore, MinuteSeries, NewReport, ReportLog, RollupStore};

use crate::detect::{spread, surge};
use crate::geoip_fixture::{MILAN_V4, ROME_V4};
use crate::helpers::{spawn_app, TestApp};

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app.http.get(app.url(path)).send().await.expect("sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn sum_reports(body: &Value) -> i64 {
    body["points"]
        .as_array()
        .map(|p| p.iter().filter_map(|x| x["reports"].as_i64()).sum())
        .unwrap_or(0)
}

/// A small deterministic generator for the property test.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn report_at(t: DateTime<Utc>, n: u64) -> NewReport {
    NewReport {
        received_at: t,
        service: "spotify".into(),
        symptoms: vec!["login".into()],
        counted: !n.is_multiple_of(7),
        reporter: n.to_le_bytes().repeat(2),
        subnet: n.to_le_bytes().repeat(2),
        country: Some(if n.is_multiple_of(3) { "GB" } else { "IT" }.into()),
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
async fn a_series_over_any_range_equals_the_reports_in_it() {
    let app = spawn_app().await;
    let now = Utc::now();
    let mut rng = Lcg(7);
    // 20 hours of reports in the log and the buckets, as the group commit writes them.
    let reports: Vec<NewReport> = (0..600)
        .map(|n| report_at(now - TimeDelta::seconds(rng.below(20 * 3600) as i64 + 1), n))
        .collect();
    app.pg.append(&reports).await.expect("append");
    app.redis.apply(&reports).await.expect("apply");
    // Rollups up to 9 hours ago: older quarters come from Postgres, newer from Redis.
    let watermark = quarter_of(now - TimeDelta::hours(9));
    app.pg.roll_up(watermark).await.expect("roll up");

    let counted_in = |from: DateTime<Utc>, to: DateTime<Utc>, country: Option<&str>| {
        reports
            .iter()
            .filter(|r| r.counted && r.received_at >= from && r.received_at < to)
            .filter(|r| country.is_none_or(|c| r.country.as_deref() == Some(c)))
            .count() as i64
    };
    for case in 0..24 {
        let (step, step_min) = [("15m", 15), ("1h", 60), ("5m", 5), ("1m", 1)][case % 4];
        let span = if step_min < 15 { 300 } else { 1200 };
        let start_back = rng.below(span) as i64 + 10;
        let from = now - TimeDelta::minutes(start_back);
        let to = from + TimeDelta::minutes(rng.below(start_back as u64 - 1) as i64 + 1);
        let country = (case % 3 == 0).then_some("IT");
        let mut path = format!(
            "/api/v1/services/spotify/series?step={step}&from={}&to={}",
            iso(from),
            iso(to)
        );
        if let Some(c) = country {
            path.push_str(&format!("&country={c}"));
        }
        let (code, body) = get(&app, &path).await;
        assert_eq!(code, 200, "{path}: {body}");
        let first: DateTime<Utc> = body["from"].as_str().expect("from").parse().expect("time");
        let last: DateTime<Utc> = body["to"].as_str().expect("to").parse().expect("time");
        assert_eq!(
            sum_reports(&body),
            counted_in(first, last, country),
            "{path}"
        );
        let sources: Vec<&str> = body["points"]
            .as_array()
            .expect("points")
            .iter()
            .filter_map(|p| p["source"].as_str())
            .collect();
        if step_min >= 15 && first < watermark && last > watermark {
            assert!(
                sources.contains(&"rollups") && sources.contains(&"buckets"),
                "{path}: stitched"
            );
        }
    }
}

#[tokio::test]
async fn bad_series_parameters_name_the_parameter() {
    let app = spawn_app().await;
    let old = iso(Utc::now() - TimeDelta::days(3));
    for (path, field) in [
        ("/api/v1/services/netflix/series?step=2m".to_owned(), "step"),
        (
            format!(
                "/api/v1/services/netflix/series?from={}&to={}",
                iso(Utc::now() - TimeDelta::hours(2)),
                iso(Utc::now() - TimeDelta::hours(3))
            ),
            "from",
        ),
        (
            format!("/api/v1/services/netflix/series?step=1m&from={old}"),
            "step",
        ),
        (
            "/api/v1/services/netflix/series?step=15m&from=2025-01-01".to_owned(),
            "to",
        ),
        (
            "/api/v1/services/netflix/series?country=XX".to_owned(),
            "country",
        ),
        (
            "/api/v1/services/netflix/series?to=2099-01-01".to_owned(),
            "to",
        ),
        (
            "/api/v1/services/netflix/breakdown?by=colour".to_owned(),
            "by",
        ),
        (
            "/api/v1/services/netflix/breakdown?window=3d".to_owned(),
            "window",
        ),
        ("/api/v1/map?service=nope-nope".to_owned(), "service"),
        ("/api/v1/map?window=1x".to_owned(), "window"),
    ] {
        let (code, body) = get(&app, &path).await;
        assert_eq!(code, 400, "{path}: {body}");
        assert_eq!(body["field"], field, "{path}");
    }
    let (code, _) = get(&app, "/api/v1/services/nope-nope/series").await;
    assert_eq!(code, 404);
    let _ = app.pg.watermark().await.expect("watermark");
    let _ = app.redis.active_services(Utc::now()).await.expect("active");
}

crate::both_stacks! {
    async fn the_last_minutes_come_from_the_buckets_with_unique_reporters_and_csv(app) {
        surge(app, "netflix", "login", &spread(12)).await;
        let from = iso(Utc::now() - TimeDelta::minutes(10));
        let (code, body) = get(
            app,
            &format!("/api/v1/services/netflix/series?step=1m&from={from}"),
        )
        .await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(sum_reports(&body), 12);
        let points = body["points"].as_array().expect("points");
        assert!(points.iter().all(|p| p["source"] == "buckets"));
        let unique: i64 = points
            .iter()
            .filter_map(|p| p["unique_reporters"].as_i64())
            .sum();
        assert_eq!(unique, 12);
        assert!(points.iter().all(|p| p["expected"].as_f64().is_some()));

        let (_, italy) = get(
            app,
            &format!("/api/v1/services/netflix/series?step=5m&country=it&from={from}"),
        )
        .await;
        assert_eq!(
            sum_reports(&italy),
            3,
            "spread() sends a quarter of the reports from Milan"
        );

        let res = app
            .http
            .get(app.url(&format!(
                "/api/v1/services/netflix/series?step=1m&from={from}&format=csv"
            )))
            .send()
            .await
            .expect("sent");
        let csv = res.text().await.expect("text");
        assert!(
            csv.starts_with("t,reports,unique_reporters,expected,expected_low,expected_high,source")
        );
    }

    async fn breakdowns_share_the_recent_reports(app) {
        for (ip, symptom) in [
            (MILAN_V4, "login"),
            (ROME_V4, "login"),
            ("86.128.1.1", "app"),
        ] {
            let res = app
                .report_from(ip, &json!({"service": "netflix", "symptoms": [symptom]}))
                .await;
            assert_eq!(res.status(), 202);
        }
        for _ in 0..100 {
            if app.recent_sum(Some("netflix"), "total").await == 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let (code, body) = get(
            app,
            "/api/v1/services/netflix/breakdown?by=symptom&window=15m",
        )
        .await;
        assert_eq!(code, 200, "{body}");
        assert_eq!(body["reports"], 3);
        assert_eq!(
            body["breakdown"][0],
            json!({"key": "login", "reports": 2, "share": 0.667})
        );
        let (_, asn) = get(app, "/api/v1/services/netflix/breakdown?by=asn&window=15m").await;
        assert_eq!(asn["breakdown"].as_array().map(Vec::len), Some(3));
        let (_, countries) = get(
            app,
            "/api/v1/services/netflix/breakdown?by=country&window=15m",
        )
        .await;
        assert_eq!(countries["breakdown"][0]["key"], "IT");

        let (code, map) = get(app, "/api/v1/map?window=15m").await;
        assert_eq!(code, 200);
        assert_eq!(map["countries"][0]["country"], "IT");
        assert_eq!(map["countries"][0]["reports"], 2);
        let clusters = map["clusters"].as_array().expect("clusters");
        assert!(clusters
            .iter()
            .any(|c| c["lat"] == 45.5 && c["lon"] == 9.2 && c["reports"] == 1));
        let (_, other) = get(app, "/api/v1/map?window=15m&service=spotify").await;
        assert_eq!(other["countries"], json!([]));
    }
}

#[derive(diesel::QueryableByName)]
struct Typical {
    #[diesel(sql_type = diesel::sql_types::Text)]
    country: String,
    #[diesel(sql_type = diesel::sql_types::Double)]
    expected: f64,
}

/// `typical_by_country` as it was before it named the days' windows as bucket ranges.
const TYPICAL_BY_TIME_OF_DAY_ONLY: &str = "WITH days AS (
        SELECT LEAST(7, GREATEST(1, floor(extract(epoch FROM ($2 - min(bucket))) / 86400)))::float8 AS n
        FROM rollups)
    SELECT country, sum(reports)::float8 / (SELECT n FROM days) AS expected
    FROM rollups
    WHERE symptom = '*' AND ($1::text IS NULL OR service = $1)
      AND bucket >= $2 - interval '7 days' - make_interval(mins => $3::int)
      AND bucket < $2 - interval '1 day' + interval '1 minute'
      AND mod(extract(epoch FROM ($2 - bucket))::bigint, 86400) BETWEEN 1 AND $3 * 60
    GROUP BY country";

#[tokio::test]
async fn the_typical_level_on_the_map_sums_the_same_windows_as_the_time_of_day_condition() {
    use diesel_async::RunQueryDsl;
    let app = spawn_app().await;
    let mut conn = app.db().await;
    // Nine days of quarters, different counts per quarter, service and country.
    diesel::sql_query(
        "INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
         SELECT s, b, c, '*', 1 + (extract(epoch FROM b)::bigint / 900 % 7)::int + length(s) + ascii(c), 1
         FROM unnest(ARRAY['netflix', 'spotify']) AS s, unnest(ARRAY['IT', 'GB']) AS c,
              generate_series(date_bin('15 minutes', now() - interval '9 days', timestamptz '2000-01-01'),
                              now(), interval '15 minutes') AS b",
    )
    .execute(&mut conn)
    .await
    .expect("seed rollups");
    let now = Utc::now();
    for at in [downwatch::store::minute_of(now), quarter_of(now)] {
        for service in [None, Some("netflix")] {
            for window in [5i64, 60, 24 * 60] {
                let mut got: Vec<(String, f64)> = app
                    .pg
                    .typical_by_country(service, at, window)
                    .await
                    .expect("typical_by_country")
                    .into_iter()
                    .map(|l| (l.country, l.typical))
                    .collect();
                let rows: Vec<Typical> = diesel::sql_query(TYPICAL_BY_TIME_OF_DAY_ONLY)
                    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(service)
                    .bind::<diesel::sql_types::Timestamptz, _>(at)
                    .bind::<diesel::sql_types::BigInt, _>(window)
                    .load(&mut conn)
                    .await
                    .expect("reference query");
                let mut want: Vec<(String, f64)> =
                    rows.into_iter().map(|t| (t.country, t.expected)).collect();
                got.sort_by(|a, b| a.0.cmp(&b.0));
                want.sort_by(|a, b| a.0.cmp(&b.0));
                assert!(window < 60 || !want.is_empty());
                assert_eq!(got, want, "at {at}, service {service:?}, window {window}");
            }
        }
    }
}

#[tokio::test]
async fn the_maps_typical_level_is_read_once_per_minute() {
    use diesel_async::RunQueryDsl;
    use downwatch::store::RollupStore;
    use std::sync::Arc;
    let app = spawn_app().await;
    let rollups: Arc<dyn RollupStore> = Arc::new(app.pg.clone());
    let cache = downwatch::read::breakdown::TypicalCache::default();
    let minute = downwatch::store::minute_of(Utc::now());
    let seed = |days: i32| {
        format!(
            "INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
             VALUES ('netflix', date_bin('15 minutes', now() - interval '{days} days' - interval '20 minutes', timestamptz '2000-01-01'), 'IT', '*', 70, 70)"
        )
    };
    let mut conn = app.db().await;
    diesel::sql_query(seed(2))
        .execute(&mut conn)
        .await
        .expect("seed");
    let first = cache
        .get(&rollups, None, minute, 60)
        .await
        .expect("typical");
    assert!(first.get("IT").is_some_and(|e| *e > 0.0), "{first:?}");

    // More history within the same minute: the cached answer stands (one query per minute)…
    diesel::sql_query(seed(3))
        .execute(&mut conn)
        .await
        .expect("seed");
    let again = cache
        .get(&rollups, None, minute, 60)
        .await
        .expect("typical");
    assert!(Arc::ptr_eq(&first, &again));
    // …a service or a window of its own is a key of its own…
    let netflix = cache
        .get(&rollups, Some("netflix"), minute, 60)
        .await
        .expect("typical");
    assert!(netflix["IT"] > first["IT"], "{netflix:?} vs {first:?}");
    // …and the next minute answers the last level at once while it is read afresh…
    let next = minute + TimeDelta::minutes(1);
    let stale = cache.get(&rollups, None, next, 60).await.expect("typical");
    assert!(Arc::ptr_eq(&first, &stale));
    let mut fresh = stale;
    for _ in 0..100 {
        fresh = cache.get(&rollups, None, next, 60).await.expect("typical");
        if !Arc::ptr_eq(&first, &fresh) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(fresh["IT"] > first["IT"], "{fresh:?} vs {first:?}");
    // …but a level older than five minutes is not answered: it is read before answering.
    diesel::sql_query(seed(4))
        .execute(&mut conn)
        .await
        .expect("seed");
    let later = cache
        .get(&rollups, None, next + TimeDelta::minutes(6), 60)
        .await
        .expect("typical");
    assert!(later["IT"] > fresh["IT"], "{later:?} vs {fresh:?}");
}

#[tokio::test]
async fn quarter_totals_sum_the_countries_as_the_history_rows_do() {
    use diesel_async::RunQueryDsl;
    let app = spawn_app().await;
    let mut conn = app.db().await;
    diesel::sql_query(
        "INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
         SELECT s, b, c, sym, 1 + (extract(epoch FROM b)::bigint / 900 % 5)::int + ascii(c) % 3, 1
         FROM unnest(ARRAY['netflix', 'spotify']) AS s, unnest(ARRAY['IT', 'GB', 'FR']) AS c,
              unnest(ARRAY['*', 'login']) AS sym,
              generate_series(date_bin('15 minutes', now() - interval '2 days', timestamptz '2000-01-01'),
                              now(), interval '15 minutes') AS b",
    )
    .execute(&mut conn)
    .await
    .expect("seed rollups");
    let to = quarter_of(Utc::now());
    let from = to - TimeDelta::days(2);
    for country in [None, Some("IT")] {
        let summed = app
            .pg
            .quarter_totals("netflix", country, from, to)
            .await
            .expect("quarter totals");
        let mut want: std::collections::BTreeMap<DateTime<Utc>, (i64, i64)> = Default::default();
        for row in app
            .pg
            .history(Some(&["netflix".to_owned()]), from, to)
            .await
            .expect("history")
            .into_iter()
            .filter(|r| country.is_none_or(|c| r.country == c))
        {
            let total = want.entry(row.bucket).or_default();
            total.0 += i64::from(row.reports);
            total.1 += i64::from(row.unique_reporters);
        }
        assert_eq!(summed.len(), 2 * 96, "{country:?}");
        let summed: Vec<(DateTime<Utc>, (i64, i64))> = summed
            .into_iter()
            .map(|q| (q.quarter, (q.reports, q.unique_reporters)))
            .collect();
        assert_eq!(summed, want.into_iter().collect::<Vec<_>>(), "{country:?}");
    }
}

#[tokio::test]
async fn a_node_reads_settled_minutes_once_until_they_are_rebuilt() {
    let app = spawn_app().await;
    let now = downwatch::store::minute_of(Utc::now());
    let old = now - TimeDelta::minutes(40);
    let minutes: Vec<DateTime<Utc>> = (0..60).map(|i| now - TimeDelta::minutes(59 - i)).collect();
    let counted = |reports: &[NewReport]| reports.iter().filter(|r| r.counted).count() as i64;
    let total = |counts: &[i64]| counts.iter().sum::<i64>();
    let at_old: Vec<NewReport> = (1..=6).map(|n| report_at(old, n)).collect();
    app.redis.apply(&at_old).await.expect("apply");
    let MinuteSeries { counts, .. } = app
        .redis
        .minute_series("spotify", &minutes, "total", None)
        .await
        .expect("series");
    assert_eq!(total(&counts), counted(&at_old));

    // A write to a settled minute outside a rebuild is not seen: the node kept that minute…
    let late = [report_at(old, 8)];
    app.redis.apply(&late).await.expect("apply");
    // …while recent minutes are always read.
    let recent = [report_at(now - TimeDelta::minutes(1), 9)];
    app.redis.apply(&recent).await.expect("apply");
    let MinuteSeries { counts, .. } = app
        .redis
        .minute_series("spotify", &minutes, "total", None)
        .await
        .expect("series");
    assert_eq!(total(&counts), counted(&at_old) + counted(&recent));

    // A rebuild of the minute from the log is seen by every node at its next read.
    let rebuilt: Vec<NewReport> = (1..=4).map(|n| report_at(old, n)).collect();
    app.redis
        .rebuild("spotify", old, &rebuilt)
        .await
        .expect("rebuild");
    let MinuteSeries { counts, unique } = app
        .redis
        .minute_series("spotify", &minutes, "total", Some(60))
        .await
        .expect("series");
    assert_eq!(total(&counts), counted(&rebuilt) + counted(&recent));
    assert_eq!(counts[19], counted(&rebuilt), "the rebuilt minute");
    assert_eq!(unique, vec![counted(&rebuilt) + counted(&recent)]);
}

#[tokio::test]
async fn unique_reporters_are_the_counted_reports_within_the_dedupe_window_and_estimated_beyond() {
    // A one-minute dedupe window: a reporter may be counted again two minutes later.
    let app = crate::helpers::spawn_app_with(crate::helpers::TestOptions {
        config: Box::new(|c| c.gate.dedupe_secs = 60),
        ..Default::default()
    })
    .await;
    let step = quarter_of(Utc::now()) - TimeDelta::minutes(30);
    let twice: Vec<NewReport> = [step, step + TimeDelta::minutes(2)]
        .into_iter()
        .map(|t| report_at(t, 1))
        .collect();
    app.redis.apply(&twice).await.expect("apply");
    let range = format!(
        "from={}&to={}",
        iso(step),
        iso(step + TimeDelta::minutes(5))
    );
    let (_, minutes) = get(
        &app,
        &format!("/api/v1/services/spotify/series?step=1m&{range}"),
    )
    .await;
    let per_minute: Vec<(i64, i64)> = minutes["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| {
            (
                p["reports"].as_i64().unwrap_or(-1),
                p["unique_reporters"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(per_minute, [(1, 1), (0, 0), (1, 1), (0, 0), (0, 0)]);
    let (_, five) = get(
        &app,
        &format!("/api/v1/services/spotify/series?step=5m&{range}"),
    )
    .await;
    assert_eq!(five["points"][0]["reports"], 2);
    assert_eq!(five["points"][0]["unique_reporters"], 1, "{five}");
}

#[tokio::test]
async fn summed_fields_are_the_fields_of_the_window() {
    let app = spawn_app().await;
    let now = downwatch::store::minute_of(Utc::now());
    let reports: Vec<NewReport> = (1..=9)
        .map(|n| report_at(now - TimeDelta::minutes(n as i64 * 3), n))
        .collect();
    app.redis.apply(&reports).await.expect("apply");
    let minutes: Vec<DateTime<Utc>> = (0..40).map(|i| now - TimeDelta::minutes(i)).collect();
    let summed = app
        .redis
        .summed_fields("spotify", &minutes)
        .await
        .expect("summed");
    let window = app
        .redis
        .windows(&["spotify".to_owned()], &minutes)
        .await
        .expect("windows");
    assert_eq!(summed, window[0].fields);
    assert_eq!(
        summed["total"],
        reports.iter().filter(|r| r.counted).count() as i64
    );
}
