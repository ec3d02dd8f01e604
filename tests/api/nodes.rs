//! Several Downwatch processes on one Postgres and one Redis: counts, dedupe and rate limits
//! hold across nodes, exactly one detector leads and a successor takes over, live events
//! reach the clients of every node.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use downwatch::domain::{Scope, State};
use downwatch::store::redis::RedisStore;
use downwatch::store::{LiveEvent, LiveEventKind, StatusBoard};

use crate::helpers::{count_in, redis_url, TestDb};

/// A `downwatch serve` process; killed when dropped.
struct Node {
    child: Child,
    url: String,
    log: PathBuf,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn leads(&self) -> bool {
        let log = self.log();
        log.matches("now the detector leader").count() > log.matches("leadership lost").count()
    }
}

async fn start_nodes(db: &TestDb, dir: &std::path::Path, n: usize, rate_limit: u32) -> Vec<Node> {
    let mut nodes = Vec::new();
    for i in 0..n {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = dir.join(format!("node{i}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_downwatch"))
            .arg("serve")
            .env("DATABASE_URL", &db.database_url)
            .env("REDIS_URL", redis_url())
            .env("DOWNWATCH_REDIS_PREFIX", &db.prefix)
            .env("DOWNWATCH_LISTEN", format!("127.0.0.1:{port}"))
            .env("DOWNWATCH_TRUSTED_PROXIES", "127.0.0.1")
            .env("DOWNWATCH_SECRET", "nodes-test-secret-0123456789")
            .env("DOWNWATCH_RATE_LIMIT", rate_limit.to_string())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("start downwatch");
        nodes.push(Node {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        });
    }
    let http = reqwest::Client::new();
    for node in &nodes {
        let mut ready = false;
        for _ in 0..300 {
            if http
                .get(format!("{}/readyz", node.url))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(ready, "node did not start: {}", node.log());
    }
    nodes
}

async fn post(http: &reqwest::Client, node: &Node, ip: &str, service: &str) -> (u16, Value) {
    let res = http
        .post(format!("{}/api/v1/reports", node.url))
        .header("x-forwarded-for", ip)
        .header("user-agent", "nodes-test")
        .json(&json!({"service": service, "symptoms": ["login"]}))
        .send()
        .await
        .expect("sent");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn counts_dedupe_and_rate_limits_hold_across_three_nodes() {
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().expect("dir");
    let nodes = start_nodes(&db, dir.path(), 3, 5).await;
    let http = reqwest::Client::new();

    // 300 reporters, each reporting twice through two different nodes.
    let jobs: Vec<(usize, String)> = (0..600usize)
        .map(|i| {
            (
                i % 3,
                format!("10.7.{}.{}", (i % 300) / 250, (i % 300) % 250 + 1),
            )
        })
        .collect();
    let acks: Vec<(u16, Value)> = futures_util::stream::iter(jobs)
        .map(|(n, ip)| {
            let http = http.clone();
            let node = &nodes[n];
            async move { post(&http, node, &ip, "netflix").await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(acks.iter().all(|(s, _)| *s == 202));
    let ids: HashSet<i64> = acks.iter().filter_map(|(_, a)| a["id"].as_i64()).collect();
    assert_eq!(ids.len(), 600);
    let counted = acks.iter().filter(|(_, a)| a["counted"] == true).count();
    assert_eq!(
        counted, 300,
        "a repeat through another node is still a repeat"
    );
    assert_eq!(
        count_in(
            &db.database_url,
            "SELECT count(*) AS n FROM reports WHERE counted"
        )
        .await,
        300
    );

    // The rate limit (5 per address) is shared: the 6th report, on any node, is refused.
    let mut statuses = Vec::new();
    for (i, service) in [
        "netflix", "spotify", "steam", "reddit", "twitch", "github", "chatgpt", "discord",
    ]
    .iter()
    .enumerate()
    {
        let (status, _) = post(&http, &nodes[i % 3], "10.8.0.1", service).await;
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn one_node_leads_the_detector_and_another_takes_over_when_it_dies() {
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut nodes = start_nodes(&db, dir.path(), 3, 30).await;
    for _ in 0..100 {
        if (0..3).any(|i| nodes[i].leads()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give a would-be second leader time to appear.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let leaders: Vec<usize> = (0..3).filter(|i| nodes[*i].leads()).collect();
    assert_eq!(
        leaders.len(),
        1,
        "exactly one leader: {leaders:?}\n{}",
        nodes[0].log()
    );

    // SIGKILL the leader: its connection, and so its lock, goes away.
    let mut dead = nodes.remove(leaders[0]);
    let _ = dead.child.kill();
    let _ = dead.child.wait();
    let mut successor = None;
    for _ in 0..150 {
        successor = (0..nodes.len()).find(|i| nodes[*i].leads());
        if successor.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(successor.is_some(), "a follower took over within 15 s");
    assert_eq!((0..nodes.len()).filter(|i| nodes[*i].leads()).count(), 1);
}

#[tokio::test]
async fn live_events_reach_the_clients_of_every_node() {
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().expect("dir");
    let nodes = start_nodes(&db, dir.path(), 3, 30).await;
    let http = reqwest::Client::new();
    let mut streams = Vec::new();
    for node in &nodes {
        let mut res = http
            .get(format!("{}/api/v1/events", node.url))
            .send()
            .await
            .expect("sse");
        assert_eq!(res.status(), 200);
        let first = res.chunk().await.expect("stream").expect("open");
        assert!(String::from_utf8_lossy(&first).contains("retry:"));
        streams.push(res);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Whichever node leads, the event goes through the shared log.
    let board = RedisStore::connect(&redis_url(), &db.prefix)
        .await
        .expect("redis");
    board
        .publish_event(&LiveEvent {
            kind: LiveEventKind::IncidentOpened,
            service: "netflix".into(),
            scope: Scope::Global,
            incident_id: Some(42),
            state: State::Problems,
            at: chrono::Utc::now(),
            outage_id: None,
            official: None,
        })
        .await
        .expect("publish");
    for res in &mut streams {
        let mut text = String::new();
        while !text.contains("incident-opened") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
                .await
                .expect("event within 10 s")
                .expect("stream")
                .expect("open");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(text.contains("\"incident_id\":42"), "{text}");
    }
}

/// Seven days of steady history in the rollups, so the detector judges from the first tick.
async fn seed_week(database_url: &str, service: &str) {
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .expect("connect");
    let end = downwatch::store::quarter_of(chrono::Utc::now() - chrono::TimeDelta::minutes(2));
    diesel::sql_query(
        "INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
         SELECT $1, b, 'GB', '*', 2, 2
         FROM generate_series($2::timestamptz - interval '7 days', $2::timestamptz - interval '15 minutes', interval '15 minutes') AS b",
    )
    .bind::<diesel::sql_types::Text, _>(service)
    .bind::<diesel::sql_types::Timestamptz, _>(end)
    .execute(&mut conn)
    .await
    .expect("seed rollups");
}

async fn incidents_of(database_url: &str) -> (i64, i64) {
    (
        count_in(database_url, "SELECT count(*) AS n FROM incidents").await,
        count_in(
            database_url,
            "SELECT count(*) AS n FROM incidents WHERE status = 'open'",
        )
        .await,
    )
}

#[tokio::test]
async fn killing_the_leader_mid_incident_does_not_duplicate_it() {
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().expect("dir");
    let mut nodes = start_nodes(&db, dir.path(), 2, 30).await;
    seed_week(&db.database_url, "chatgpt").await;
    let http = reqwest::Client::new();
    for i in 0..40 {
        let ip = format!("86.{}.{}.1", 100 + i % 50, i);
        let (status, _) = post(&http, &nodes[i % 2], &ip, "chatgpt").await;
        assert_eq!(status, 202);
    }
    // The leader ticks at the start of each minute: wait for the incident.
    let mut opened = false;
    for _ in 0..150 {
        if incidents_of(&db.database_url).await.1 == 1 {
            opened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(opened, "an incident opened within 75 s");

    let leader = (0..2).find(|i| nodes[*i].leads()).expect("a leader");
    let mut dead = nodes.remove(leader);
    let _ = dead.child.kill();
    let _ = dead.child.wait();
    let successor = &nodes[0];
    // The successor takes over and ticks (the surge is still in its window) at least once.
    let mut ticked = false;
    for _ in 0..200 {
        let log = successor.log();
        if let Some(at) = log.find("now the detector leader") {
            if log[at..].contains("detector tick") {
                ticked = true;
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ticked, "the successor led and ticked: {}", successor.log());
    assert_eq!(
        incidents_of(&db.database_url).await,
        (1, 1),
        "the same incident, still open, no duplicate"
    );
}
