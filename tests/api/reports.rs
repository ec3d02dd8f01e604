//! Accepted reports: acknowledged after the Postgres commit, counted in Redis buckets,
//! located, deduplicated and rate limited.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::{json, Value};

use downwatch::store::GateLimits;
use downwatch::store::{minute_of, BucketStore};

use crate::geoip_fixture::*;
use crate::helpers::{spawn_app, spawn_app_with, TestApp, TestOptions};

fn report(service: &str, symptoms: &[&str]) -> Value {
    json!({ "service": service, "symptoms": symptoms })
}

async fn ack(res: reqwest::Response) -> Value {
    assert_eq!(res.status(), 202, "expected 202, got {}", res.status());
    res.json().await.expect("json ack")
}

fn received_minute(ack: &Value) -> DateTime<Utc> {
    let at: DateTime<Utc> = ack["received_at"]
        .as_str()
        .expect("received_at")
        .parse()
        .expect("rfc3339");
    minute_of(at)
}

#[tokio::test]
async fn a_report_is_acknowledged_once_in_postgres_and_counted_in_redis() {
    let app = spawn_app().await;
    let ack = ack(app
        .report_from(MILAN_V4, &report("netflix", &["video-streaming", "login"]))
        .await)
    .await;
    assert_eq!(ack["counted"], true);
    assert_eq!(ack["service"], "netflix");
    assert_eq!(ack["symptoms"], json!(["video-streaming", "login"]));
    let id = ack["id"].as_i64().expect("id");

    // In the log at once: the 202 came after the commit.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM reports WHERE id = {id} AND counted"
        ))
        .await,
        1
    );

    // In the bucket a moment later: the Redis pipeline runs right after the acknowledgement.
    let minute = received_minute(&ack);
    let mut bucket = Default::default();
    for _ in 0..50 {
        bucket = app.redis.minute("netflix", minute).await.expect("bucket");
        if bucket.total == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(bucket.total, 1);
    assert_eq!(bucket.unique_reporters, 1);
    let fields: HashMap<_, _> = bucket.fields.into_iter().collect();
    assert_eq!(fields.get("sym:video-streaming"), Some(&1));
    assert_eq!(fields.get("sym:login"), Some(&1));
    assert_eq!(fields.get("cc:IT"), Some(&1));
    assert_eq!(fields.get("sd:IT-25"), Some(&1));
    assert_eq!(fields.get("asn:3269"), Some(&1));
    let active = app.redis_dump();
    assert!(active
        .get(&format!("{}dw:active", app.prefix))
        .is_some_and(|v| v.contains("netflix")));
}

#[derive(diesel::QueryableByName, Debug)]
struct Located {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    country: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    subdivision: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    city: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Float4>)]
    lat: Option<f32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Float4>)]
    lon: Option<f32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Integer>)]
    asn: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    as_org: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    region_source: String,
}

async fn located(app: &TestApp, id: i64) -> Located {
    app.row(&format!(
        "SELECT country, subdivision, city, lat, lon, asn, as_org, region_source FROM reports WHERE id = {id}"
    ))
    .await
}

#[tokio::test]
async fn without_geoip_databases_reports_still_work() {
    let app = spawn_app_with(TestOptions {
        geoip: false,
        ..TestOptions::default()
    })
    .await;
    let body = json!({"service": "netflix", "symptoms": ["login"], "region": "GB"});
    let ack = ack(app.report_from(MILAN_V4, &body).await).await;
    assert_eq!(ack["country"], "GB");
    let row = located(&app, ack["id"].as_i64().expect("id")).await;
    assert_eq!(row.asn, None);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app_with(TestOptions {
        trusted_proxies: "",
        ..TestOptions::default()
    })
    .await;
    let ack = ack(app
        .report_from(MILAN_V4, &report("netflix", &["login"]))
        .await)
    .await;
    assert_eq!(
        ack["country"],
        Value::Null,
        "the peer is 127.0.0.1, not Milan"
    );
}

async fn wait_for_bucket_total(app: &TestApp, service: Option<&str>, expected: i64) {
    for _ in 0..100 {
        if app.recent_sum(service, "total").await == expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.recent_sum(service, "total").await, expected);
}

#[tokio::test]
async fn an_address_over_its_rate_limit_gets_429_and_changes_nothing() {
    let app = spawn_app_with(TestOptions {
        config: Box::new(|c| {
            c.gate = GateLimits {
                dedupe_secs: 900,
                rate_limit: 3,
                rate_window_secs: 3600,
            };
        }),
        ..TestOptions::default()
    })
    .await;
    for service in ["netflix", "spotify", "whatsapp"] {
        let symptom = if service == "whatsapp" {
            "messaging"
        } else {
            "login"
        };
        ack(app
            .report_from(LONDON_V4, &report(service, &[symptom]))
            .await)
        .await;
    }
    let limited = app
        .report_from(LONDON_V4, &report("steam", &["login"]))
        .await;
    assert_eq!(limited.status(), 429);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry));
    assert_eq!(
        limited.headers()["content-type"],
        "application/problem+json"
    );

    assert_eq!(app.count("SELECT count(*) AS n FROM reports").await, 3);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM reports WHERE service = 'steam'")
            .await,
        0
    );
    // Another address is not affected.
    ack(app.report_from(ROME_V4, &report("steam", &["login"])).await).await;
}

#[tokio::test]
async fn no_raw_address_reaches_postgres_or_redis() {
    let app = spawn_app().await;
    for ip in [MILAN_V4, PARIS_V6] {
        ack(app.report_from(ip, &report("netflix", &["login"])).await).await;
    }
    wait_for_bucket_total(&app, Some("netflix"), 2).await;
    for ip in [MILAN_V4, PARIS_V6] {
        let sql =
            format!("SELECT count(*) AS n FROM reports r WHERE row_to_json(r)::text LIKE '%{ip}%'");
        assert_eq!(app.count(&sql).await, 0);
        for (key, value) in app.redis_dump() {
            assert!(
                !key.contains(ip) && !value.contains(ip),
                "{ip} in Redis key {key}"
            );
        }
    }
}

#[tokio::test]
async fn ten_thousand_concurrent_reports_land_exactly_once_and_sum_exactly() {
    let app = spawn_app_with(TestOptions {
        config: Box::new(|c| {
            c.gate = GateLimits {
                dedupe_secs: 900,
                rate_limit: 1000,
                rate_window_secs: 3600,
            };
        }),
        ..TestOptions::default()
    })
    .await;
    let services = [
        "netflix", "spotify", "steam", "chatgpt", "github", "reddit", "discord", "twitch",
    ];
    // 9,000 distinct reporters, then 1,000 of them again: 10,000 reports, 9,000 counted.
    let requests: Vec<(String, &str)> = (0..10_000u32)
        .map(|i| {
            let n = if i < 9_000 { i } else { i - 9_000 };
            let ip = format!("10.{}.{}.{}", n / 65_536, (n / 256) % 256, n % 256);
            (ip, services[(n as usize) % services.len()])
        })
        .collect();
    let app_ref = &app;
    let acks: Vec<Value> = futures_util::stream::iter(requests)
        .map(|(ip, service)| async move {
            let symptom = match service {
                "discord" => "messaging",
                _ => "login",
            };
            ack(app_ref.report_from(&ip, &report(service, &[symptom])).await).await
        })
        .buffer_unordered(64)
        .collect()
        .await;

    let ids: HashSet<i64> = acks.iter().filter_map(|a| a["id"].as_i64()).collect();
    assert_eq!(ids.len(), 10_000, "every acknowledgement has its own id");
    let counted = acks.iter().filter(|a| a["counted"] == true).count();
    assert_eq!(counted, 9_000);
    assert_eq!(app.count("SELECT count(*) AS n FROM reports").await, 10_000);
    assert_eq!(
        app.count("SELECT count(DISTINCT id) AS n FROM reports")
            .await,
        10_000
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM reports WHERE counted")
            .await,
        9_000
    );

    wait_for_bucket_total(&app, None, 9_000).await;
    for service in services {
        let logged = app
            .count(&format!(
                "SELECT count(*) AS n FROM reports WHERE counted AND service = '{service}'"
            ))
            .await;
        assert_eq!(app.bucket_sum(Some(service), "total"), logged, "{service}");
    }
}

crate::both_stacks! {
    async fn reporters_are_located_by_geoip_over_ipv4_and_ipv6(app) {
        let milan = ack(app
            .report_from(MILAN_V4, &report("whatsapp", &["messaging"]))
            .await)
        .await;
        assert_eq!(
            (milan["country"].as_str(), milan["subdivision"].as_str()),
            (Some("IT"), Some("IT-25"))
        );
        let row = located(app, milan["id"].as_i64().expect("id")).await;
        assert_eq!(row.city.as_deref(), Some("Milan"));
        assert_eq!((row.lat, row.lon), (Some(45.5), Some(9.2)));
        assert_eq!(
            (row.asn, row.as_org.as_deref()),
            (Some(3269), Some("Telecom Italia S.p.A."))
        );
        assert_eq!(row.region_source, "geoip");

        let paris = ack(app
            .report_from(PARIS_V6, &report("whatsapp", &["messaging"]))
            .await)
        .await;
        let row = located(app, paris["id"].as_i64().expect("id")).await;
        assert_eq!(row.country.as_deref(), Some("FR"));
        assert_eq!(row.subdivision.as_deref(), Some("FR-IDF"));
        assert_eq!(row.asn, Some(12322));

        // GeoIP wins over a claimed region in another country.
        let claim = json!({"service": "whatsapp", "symptoms": ["messaging"], "region": "DE"});
        let london = ack(app.report_from(LONDON_V4, &claim).await).await;
        assert_eq!(london["country"], "GB");
    }

    async fn the_form_region_is_used_when_geoip_knows_nothing(app) {
        let body = json!({"service": "tim", "symptoms": ["internet"], "region": "it-62"});
        let ack = ack(app.report_from(UNKNOWN_V4, &body).await).await;
        assert_eq!(
            (ack["country"].as_str(), ack["subdivision"].as_str()),
            (Some("IT"), Some("IT-62"))
        );
        let row = located(app, ack["id"].as_i64().expect("id")).await;
        assert_eq!(row.region_source, "form");
        assert_eq!(row.asn, None);
        assert_eq!(row.city, None);

        let unknown = self::ack(
            app.report_from(UNKNOWN_V4, &report("netflix", &["login"]))
                .await,
        )
        .await;
        assert_eq!(unknown["country"], Value::Null);
    }

    async fn a_repeat_is_acknowledged_and_logged_but_not_counted(app) {
        let first = ack(app
            .report_from(ROME_V4, &report("netflix", &["login"]))
            .await)
        .await;
        let second = ack(app.report_from(ROME_V4, &report("netflix", &["app"])).await).await;
        assert_eq!(first["counted"], true);
        assert_eq!(second["counted"], false);
        assert_ne!(first["id"], second["id"]);
        // Another service is another question.
        let other = ack(app
            .report_from(ROME_V4, &report("spotify", &["login"]))
            .await)
        .await;
        assert_eq!(other["counted"], true);

        assert_eq!(
            app.count("SELECT count(*) AS n FROM reports WHERE service = 'netflix'")
                .await,
            2
        );
        assert_eq!(
            app.count("SELECT count(*) AS n FROM reports WHERE service = 'netflix' AND counted")
                .await,
            1
        );
        wait_for_bucket_total(app, Some("netflix"), 1).await;
        assert_eq!(app.bucket_sum(Some("netflix"), "sym:app"), 0);
    }

    async fn the_html_form_redirects_back_to_the_service_page(app) {
        let send = || {
            app.http
                .post(app.url("/report"))
                .header("x-forwarded-for", ROME_V4)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("service=netflix&symptoms=login&symptoms=app&region=&submit=Report")
                .send()
        };
        let res = send().await.expect("sent");
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/s/netflix?reported=thanks");
        let again = send().await.expect("sent");
        assert_eq!(again.headers()["location"], "/s/netflix?reported=already");
        assert_eq!(
            app.count("SELECT count(*) AS n FROM reports WHERE service = 'netflix'")
                .await,
            2
        );
        // Both repeated `symptoms` fields were read (the repeat adds nothing to the counts).
        let shares: serde_json::Value = app
            .http
            .get(app.url("/api/v1/services/netflix/breakdown?window=1h&by=symptom"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        let mut keys: Vec<&str> = shares["breakdown"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["key"].as_str().expect("key"))
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["app", "login"]);
    }
}
