//! The real binary: SIGTERM drains the ingest queue, and every acknowledged report is in
//! Postgres exactly once.

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::helpers::{redis_url, TestDb};

#[tokio::test]
async fn sigterm_drains_the_queue_and_loses_no_acknowledged_report() {
    let db = TestDb::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_downwatch"))
        .arg("serve")
        .env("DATABASE_URL", &db.database_url)
        .env("REDIS_URL", redis_url())
        .env("DOWNWATCH_REDIS_PREFIX", &db.prefix)
        .env("DOWNWATCH_LISTEN", format!("127.0.0.1:{port}"))
        .env("DOWNWATCH_TRUSTED_PROXIES", "127.0.0.1")
        .env("DOWNWATCH_SECRET", "shutdown-test-secret-0123")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start downwatch");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut ready = false;
    for _ in 0..200 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "downwatch did not become ready");

    let pid = child.id().to_string();
    let stopper = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
    });
    let acked: Vec<i64> = futures_util::stream::iter(0..3000u32)
        .map(|i| {
            let http = http.clone();
            let url = format!("{base}/api/v1/reports");
            async move {
                let res = http
                    .post(url)
                    .header("x-forwarded-for", format!("10.9.{}.{}", i / 256, i % 256))
                    .json(&json!({"service": "netflix", "symptoms": ["login"]}))
                    .send()
                    .await
                    .ok()?;
                if res.status() != 202 {
                    return None;
                }
                let ack: Value = res.json().await.ok()?;
                ack["id"].as_i64()
            }
        })
        .buffer_unordered(32)
        .filter_map(|id| async move { id })
        .collect()
        .await;
    stopper.await.expect("stopper");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(
        status.success(),
        "downwatch exits cleanly on SIGTERM: {status:?}"
    );
    assert!(
        !acked.is_empty(),
        "some reports were acknowledged before the stop"
    );

    let app_db =
        crate::helpers::count_in(&db.database_url, "SELECT count(*) AS n FROM reports").await;
    let distinct: HashSet<i64> = acked.iter().copied().collect();
    assert_eq!(distinct.len(), acked.len());
    let ids = acked
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let found = crate::helpers::count_in(
        &db.database_url,
        &format!("SELECT count(*) AS n FROM reports WHERE id IN ({ids})"),
    )
    .await;
    println!(
        "sent 3000, acknowledged {}, found {found}, rows {app_db}",
        acked.len()
    );
    assert_eq!(
        found as usize,
        acked.len(),
        "every acknowledged report is in Postgres"
    );
}
