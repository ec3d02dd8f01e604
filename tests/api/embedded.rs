//! The embedded stack: no Postgres, no Redis; a restart loses nothing acknowledged and
//! rebuilds the in-process buckets from the SQLite log.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use downwatch::config::{Backend, Config};
use downwatch::secret::Secret;
use downwatch::startup::Application;

async fn start(dir: &Path) -> (String, tokio::task::JoinHandle<Result<(), std::io::Error>>) {
    let config = Config {
        trusted_proxies: downwatch::config::parse_networks("127.0.0.1").expect("nets"),
        ..Config::new(
            Backend::Embedded,
            Secret::new("embedded-test-secret-0123"),
            dir.to_owned(),
        )
    }
    .validate()
    .expect("valid config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build(config, listener)
        .await
        .expect("embedded app starts");
    let url = format!("http://127.0.0.1:{}", app.port());
    (url, tokio::spawn(app.run_until_stopped()))
}

#[tokio::test]
async fn reports_survive_a_restart_and_the_buckets_are_rebuilt() {
    let dir = tempfile::tempdir().expect("dir");
    let http = reqwest::Client::new();
    let (url, server) = start(dir.path()).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let res = http
            .post(format!("{url}/api/v1/reports"))
            .header("x-forwarded-for", format!("10.3.{i}.1"))
            .json(&json!({"service": "netflix", "symptoms": ["login"], "region": "IT"}))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 202);
        let ack: Value = res.json().await.expect("json");
        assert_eq!(ack["counted"], true);
        ids.push(ack["id"].as_i64().expect("id"));
    }
    let ready: Value = http
        .get(format!("{url}/readyz"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(ready["backend"], "embedded");
    assert_eq!(ready["report_log"], "ok", "{ready}");
    server.abort();
    let _ = server.await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // A new process on the same data directory.
    let (url, _server) = start(dir.path()).await;
    let series: Value = http
        .get(format!(
            "{url}/api/v1/services/netflix/series?step=1m&from={}",
            (chrono::Utc::now() - chrono::TimeDelta::minutes(5)).format("%Y-%m-%dT%H:%M:%SZ")
        ))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let total: i64 = series["points"]
        .as_array()
        .expect("points")
        .iter()
        .filter_map(|p| p["reports"].as_i64())
        .sum();
    assert_eq!(total, 5, "buckets rebuilt from the log: {series}");
    // The same reporter again is still a duplicate: dedupe is per process, but the log kept
    // every report, and ids keep growing.
    let res = http
        .post(format!("{url}/api/v1/reports"))
        .header("x-forwarded-for", "10.3.9.1")
        .json(&json!({"service": "netflix", "symptoms": ["login"]}))
        .send()
        .await
        .expect("sent");
    let ack: Value = res.json().await.expect("json");
    assert!(ack["id"].as_i64().expect("id") > *ids.iter().max().expect("ids"));
}
