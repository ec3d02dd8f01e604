//! Webhooks: an admin registers a URL (its secret shown once), incident events are POSTed to
//! it signed with that secret, a failing receiver is retried with backoff until it takes the
//! event or the attempts run out, and every delivery is in the webhook's log. Receivers here
//! are tiny HTTP servers on 127.0.0.1 that record what they get.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use downwatch::config::{Backend, Config, WebhookConfig};
use downwatch::domain::{Scope, Severity};
use downwatch::secret::Secret;
use downwatch::startup::Application;
use downwatch::store::postgres::detector::PgLeader;
use downwatch::store::sqlite::detector::SqliteLeader;
use downwatch::store::sqlite::SqliteStore;
use downwatch::store::{DetectorStore, IncidentTick};

use crate::detect::{deployed_a_week_ago, detector, next_minute, spread, surge};
use crate::helpers::{spawn_app_with, TestApp, TestOptions, ADMIN_TOKEN, TEST_READ_LIMITS};

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    content_type: String,
    event_id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

/// A webhook receiver that answers 500 to its first `fail_first` requests and 200 after.
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(fail_first: usize) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(AtomicUsize::new(fail_first));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let log = received.clone();
        let server = HttpServer::new(move || {
            let log = log.clone();
            let failures = failures.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let log = log.clone();
                let failures = failures.clone();
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Received {
                            content_type: header("content-type"),
                            event_id: header("downwatch-event-id"),
                            timestamp: header("downwatch-timestamp"),
                            signature: header("downwatch-signature"),
                            body: body.to_vec(),
                        });
                    let fail = failures
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if fail {
                        HttpResponse::InternalServerError().body("not now")
                    } else {
                        HttpResponse::Ok().finish()
                    }
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}/hooks/downwatch"),
            received,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until `n` requests came (at most 15 s).
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the receiver got {:?}, not {n} requests", self.received());
    }
}

/// The webhook settings of these tests: a poll every 50 ms, retries after 50 ms, 100 ms, …
fn fast(max_attempts: u32) -> WebhookConfig {
    WebhookConfig {
        poll: Duration::from_millis(50),
        timeout: Duration::from_secs(2),
        backoff_base: Duration::from_millis(50),
        max_attempts,
        ..WebhookConfig::default()
    }
}

fn with_webhooks(max_attempts: u32) -> TestOptions {
    TestOptions {
        config: Box::new(move |c: &mut Config| c.webhooks = fast(max_attempts)),
        ..TestOptions::default()
    }
}

/// What a receiver computes to check a delivery: hex HMAC-SHA256 of `"{timestamp}.{body}"`.
fn expected_signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn assert_signed(request: &Received, secret: &str) {
    assert_eq!(request.content_type, "application/json");
    assert_eq!(
        request.signature,
        expected_signature(secret, &request.timestamp, &request.body),
        "the signature verifies with the secret"
    );
    let sent: i64 = request.timestamp.parse().expect("unix seconds");
    assert!(
        (Utc::now().timestamp() - sent).abs() < 60,
        "a fresh timestamp"
    );
    assert_eq!(
        request.event_id,
        request.json()["event_id"].to_string(),
        "Downwatch-Event-Id is the body's event_id"
    );
}

async fn create_webhook(http: &reqwest::Client, base: &str, body: Value) -> reqwest::Response {
    http.post(format!("{base}/api/v1/admin/webhooks"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("sent")
}

/// Registers `url`; returns the webhook's id and secret.
async fn register(http: &reqwest::Client, base: &str, url: &str) -> (i64, String) {
    let res = create_webhook(http, base, json!({"url": url, "description": "Newsroom"})).await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.expect("json");
    let secret = created["secret"].as_str().expect("the secret, once");
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["url"], url);
    (created["id"].as_i64().expect("id"), secret.to_owned())
}

async fn admin_get(http: &reqwest::Client, base: &str, path: &str) -> reqwest::Response {
    http.get(format!("{base}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
}

async fn deliveries(http: &reqwest::Client, base: &str, id: i64) -> Vec<Value> {
    let res = admin_get(
        http,
        base,
        &format!("/api/v1/admin/webhooks/{id}/deliveries"),
    )
    .await;
    assert_eq!(res.status(), 200);
    let log: Value = res.json().await.expect("json");
    assert_eq!(log["webhook_id"], id);
    log["deliveries"].as_array().expect("deliveries").clone()
}

/// Waits until the newest delivery of webhook `id` is no longer pending (at most 15 s).
async fn settled(http: &reqwest::Client, base: &str, id: i64) -> Value {
    for _ in 0..300 {
        let log = deliveries(http, base, id).await;
        if let Some(newest) = log.first().filter(|d| d["status"] != "pending") {
            return newest.clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the delivery did not settle: {:?}",
        deliveries(http, base, id).await
    );
}

/// Becomes the detector's leader on the app's database, to write incidents as it would.
async fn lead(app: &TestApp) -> PgLeader {
    PgLeader::try_acquire(&app.database_url)
        .await
        .expect("campaign")
        .expect("leader")
}

fn tick(service: &str) -> IncidentTick {
    IncidentTick {
        service: service.into(),
        scope: Scope::Global,
        severity: Severity::PossibleProblems,
        at: Utc::now(),
        observed: 12.0,
        expected: 1.5,
        score: 0.9,
        evidence: json!({}),
    }
}

#[tokio::test]
async fn an_incident_opening_is_posted_once_signed_with_the_webhook_secret() {
    let app = spawn_app_with(with_webhooks(8)).await;
    let receiver = Receiver::start(0).await;
    let (id, secret) = register(&app.http, &app.address, &receiver.url).await;

    // A real incident: reports through the ingestion path, then a detector tick.
    deployed_a_week_ago(&app).await;
    let mut d = detector(&app).await;
    surge(&app, "chatgpt", "login", &spread(40)).await;
    let opened = d.tick(next_minute()).await.expect("tick").opened;
    assert_eq!(opened.len(), 1, "{opened:?}");

    let got = receiver.wait_for(1).await;
    let delivered = settled(&app.http, &app.address, id).await;
    // A few more polls: nothing else comes.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got_after = receiver.received();
    assert_eq!(got_after.len(), 1, "exactly one POST: {got_after:?}");
    assert_signed(&got[0], &secret);
    let event = got[0].json();
    let incident = &app
        .http
        .get(app.url("/api/v1/incidents"))
        .send()
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .expect("json")["incidents"][0];
    assert_eq!(event["kind"], "opened");
    assert_eq!(event["service"], "chatgpt");
    assert_eq!(event["scope"], "global");
    assert_eq!(event["incident_id"], incident["id"]);
    assert_eq!(event["state"], incident["severity"]);
    assert_eq!(event["methodology"], "dw-detect-2");
    assert_eq!(event["observed"], 40.0);
    assert!(
        event["expected"].as_f64().is_some_and(|e| e < 5.0),
        "{event}"
    );
    assert_eq!(
        event["link"],
        format!("/api/v1/incidents/{}", incident["id"])
    );
    assert!(event["at"].as_str().is_some_and(|t| t.ends_with('Z')));

    assert_eq!(delivered["status"], "delivered");
    assert_eq!(delivered["attempts"], 1);
    assert_eq!(delivered["last_status_code"], 200);
    assert_eq!(delivered["event_id"], event["event_id"]);
    assert_eq!(delivered["kind"], "opened");
    assert!(delivered["delivered_at"].is_string());
    assert!(delivered["next_attempt_at"].is_null());
    assert_eq!(deliveries(&app.http, &app.address, id).await.len(), 1);
}

#[tokio::test]
async fn a_receiver_failing_twice_gets_the_event_at_the_third_attempt() {
    let app = spawn_app_with(with_webhooks(8)).await;
    let receiver = Receiver::start(2).await;
    let (id, secret) = register(&app.http, &app.address, &receiver.url).await;
    let mut leader = lead(&app).await;
    leader
        .open_incident(&tick("netflix"), "dw-detect-1")
        .await
        .expect("opened");

    let delivered = settled(&app.http, &app.address, id).await;
    assert_eq!(delivered["status"], "delivered", "{delivered}");
    assert_eq!(delivered["attempts"], 3);
    assert_eq!(delivered["last_status_code"], 200);
    assert!(delivered["last_error"].is_null());
    let got = receiver.received();
    assert_eq!(got.len(), 3, "{got:?}");
    for request in &got {
        assert_signed(request, &secret);
        assert_eq!(
            request.body, got[0].body,
            "every attempt sends the same event"
        );
    }

    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    for outcome in ["retry", "delivered"] {
        assert!(
            metrics.contains(&format!(
                "downwatch_webhook_deliveries_total{{outcome=\"{outcome}\"}}"
            )),
            "{outcome}"
        );
    }
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_marked_failed_after_the_last_attempt() {
    let app = spawn_app_with(with_webhooks(2)).await;
    let receiver = Receiver::start(usize::MAX).await;
    let (id, _) = register(&app.http, &app.address, &receiver.url).await;
    let mut leader = lead(&app).await;
    leader
        .open_incident(&tick("netflix"), "dw-detect-1")
        .await
        .expect("opened");

    let failed = settled(&app.http, &app.address, id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["last_status_code"], 500);
    assert!(
        failed["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("500")),
        "{failed}"
    );
    assert!(failed["delivered_at"].is_null());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 2, "no attempt after the last");
}

#[tokio::test]
async fn finished_deliveries_leave_the_log_after_its_period_and_pending_ones_stay() {
    use downwatch::store::WebhookStore;
    let app = spawn_app_with(with_webhooks(1)).await;
    let failing = Receiver::start(usize::MAX).await;
    let (failed_hook, _) = register(&app.http, &app.address, &failing.url).await;
    let mut leader = lead(&app).await;
    leader
        .open_incident(&tick("netflix"), "dw-detect-1")
        .await
        .expect("opened");
    assert_eq!(
        settled(&app.http, &app.address, failed_hook).await["status"],
        "failed"
    );
    // A pending delivery as old: its receiver gets another chance, so it is kept.
    let age = |hook: i64| {
        format!(
            "UPDATE webhook_deliveries SET created_at = now() - interval '40 days' WHERE webhook_id = {hook}"
        )
    };
    diesel_async::RunQueryDsl::execute(diesel::sql_query(age(failed_hook)), &mut app.db().await)
        .await
        .expect("age");
    let fresh = Receiver::start(usize::MAX).await;
    let (pending_hook, _) = register(&app.http, &app.address, &fresh.url).await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, created_at, next_attempt_at)
             SELECT {pending_hook}, max(id), now() - interval '40 days', now() + interval '1 hour'
             FROM incident_events"
        )),
        &mut app.db().await,
    )
    .await
    .expect("pending delivery");

    downwatch::webhooks::prune(&app.pg, 30).await;
    assert!(deliveries(&app.http, &app.address, failed_hook)
        .await
        .is_empty());
    assert_eq!(
        deliveries(&app.http, &app.address, pending_hook)
            .await
            .len(),
        1
    );
    // Within the period nothing goes.
    assert_eq!(
        app.pg
            .prune_deliveries(Utc::now() - chrono::TimeDelta::days(50))
            .await
            .expect("prune"),
        0
    );
}

#[tokio::test]
async fn only_events_after_a_webhooks_creation_and_before_its_deletion_are_sent() {
    let app = spawn_app_with(with_webhooks(8)).await;
    let receiver = Receiver::start(0).await;
    let mut leader = lead(&app).await;
    let before = leader
        .open_incident(&tick("netflix"), "dw-detect-1")
        .await
        .expect("opened");

    let (id, _) = register(&app.http, &app.address, &receiver.url).await;
    leader
        .resolve_incident(before.id, &tick("netflix"))
        .await
        .expect("resolved");
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].json()["kind"], "resolved", "not the opening before");

    let res = app
        .http
        .delete(app.url(&format!("/api/v1/admin/webhooks/{id}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 204);
    leader
        .open_incident(&tick("discord"), "dw-detect-1")
        .await
        .expect("opened");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(receiver.received().len(), 1, "nothing after the deletion");
    let log = deliveries(&app.http, &app.address, id).await;
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["kind"], "resolved");
}

#[tokio::test]
async fn two_nodes_deliver_each_event_once() {
    let app = spawn_app_with(with_webhooks(8)).await;
    let _second = app.spawn_second_node().await;
    let receiver = Receiver::start(0).await;
    let (id, _) = register(&app.http, &app.address, &receiver.url).await;
    let mut leader = lead(&app).await;
    for service in ["netflix", "discord", "steam", "spotify", "chatgpt"] {
        let open = leader
            .open_incident(&tick(service), "dw-detect-1")
            .await
            .expect("opened");
        leader
            .resolve_incident(open.id, &tick(service))
            .await
            .expect("resolved");
    }

    receiver.wait_for(10).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let mut ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.event_id.clone())
        .collect();
    assert_eq!(ids.len(), 10, "{ids:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10, "no event twice");
    let log = deliveries(&app.http, &app.address, id).await;
    assert_eq!(log.len(), 10);
    assert!(log
        .iter()
        .all(|d| d["status"] == "delivered" && d["attempts"] == 1));
}

#[tokio::test]
async fn webhook_urls_must_be_http_or_https_and_descriptions_short() {
    let app = spawn_app_with(with_webhooks(8)).await;
    for (body, field) in [
        (json!({"url": "ftp://example.org/hook"}), "url"),
        (json!({"url": "file:///etc/passwd"}), "url"),
        (json!({"url": "not a url"}), "url"),
        (json!({"url": "https://user:pw@example.org/hook"}), "url"),
        (
            json!({"url": format!("https://example.org/{}", "a".repeat(2000))}),
            "url",
        ),
        (json!({"url": 42}), "url"),
        (json!({"description": "no url"}), "url"),
        (
            json!({"url": "https://example.org/hook", "description": "d".repeat(201)}),
            "description",
        ),
        (
            json!({"url": "https://example.org/hook", "secret": "mine"}),
            "secret",
        ),
    ] {
        let res = create_webhook(&app.http, &app.address, body.clone()).await;
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let problem: Value = res.json().await.expect("json");
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    let list: Value = admin_get(&app.http, &app.address, "/api/v1/admin/webhooks")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["webhooks"], json!([]), "nothing was registered");
}

#[tokio::test]
async fn only_the_admin_manages_webhooks_and_no_list_shows_a_secret() {
    let app = spawn_app_with(with_webhooks(8)).await;
    let (id, secret) = register(&app.http, &app.address, "https://example.org/hook").await;

    // Without the token, with a wrong one, with an API key: 401.
    let paths = [
        "/api/v1/admin/webhooks".to_owned(),
        format!("/api/v1/admin/webhooks/{id}/deliveries"),
    ];
    for path in &paths {
        let res = app.http.get(app.url(path)).send().await.expect("sent");
        assert_eq!(res.status(), 401, "{path}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let res = app
            .http
            .get(app.url(path))
            .bearer_auth("not-the-token")
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 401, "{path}");
    }
    let res = app
        .http
        .post(app.url("/api/v1/admin/webhooks"))
        .json(&json!({"url": "https://example.org/other"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 401);
    let res = app
        .http
        .delete(app.url(&format!("/api/v1/admin/webhooks/{id}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 401);

    // The list: the webhook, never its secret.
    let res = admin_get(&app.http, &app.address, "/api/v1/admin/webhooks").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let text = res.text().await.expect("text");
    assert!(!text.contains(&secret), "the list shows the secret");
    assert!(!text.contains("whsec_"), "{text}");
    let list: Value = serde_json::from_str(&text).expect("json");
    let listed = &list["webhooks"][0];
    assert_eq!(listed["id"], id);
    assert_eq!(listed["url"], "https://example.org/hook");
    assert_eq!(listed["description"], "Newsroom");
    assert_eq!(listed["disabled"], false);
    assert!(listed.get("secret").is_none());

    // Deleting: 204, twice; it stays listed, disabled; unknown ids are 404, bad ones 400.
    for _ in 0..2 {
        let res = app
            .http
            .delete(app.url(&format!("/api/v1/admin/webhooks/{id}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 204);
    }
    let list: Value = admin_get(&app.http, &app.address, "/api/v1/admin/webhooks")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(list["webhooks"][0]["disabled"], true);
    assert!(list["webhooks"][0]["disabled_at"].is_string());
    let missing = id + 1000;
    for res in [
        app.http
            .delete(app.url(&format!("/api/v1/admin/webhooks/{missing}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent"),
        admin_get(
            &app.http,
            &app.address,
            &format!("/api/v1/admin/webhooks/{missing}/deliveries"),
        )
        .await,
    ] {
        assert_eq!(res.status(), 404);
    }
    for (path, field) in [
        ("/api/v1/admin/webhooks/abc/deliveries".to_owned(), "id"),
        (
            format!("/api/v1/admin/webhooks/{id}/deliveries?limit=0"),
            "limit",
        ),
        (
            format!("/api/v1/admin/webhooks/{id}/deliveries?limit=501"),
            "limit",
        ),
    ] {
        let res = admin_get(&app.http, &app.address, &path).await;
        assert_eq!(res.status(), 400, "{path}");
        let problem: Value = res.json().await.expect("json");
        assert_eq!(problem["field"], field, "{path}");
    }
    let res = app
        .http
        .put(app.url(&format!("/api/v1/admin/webhooks/{id}")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 405);

    // Without an admin token configured, the admin API is off.
    let closed = spawn_app_with(TestOptions {
        admin_token: None,
        ..TestOptions::default()
    })
    .await;
    let res = closed
        .http
        .get(closed.url("/api/v1/admin/webhooks"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_embedded_stack_delivers_signed_webhooks_too() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        admin_token: Some(Secret::new(ADMIN_TOKEN)),
        read_limits: TEST_READ_LIMITS,
        // The test writes the incidents itself, as the leader.
        run_detector: false,
        webhooks: fast(8),
        ..Config::new(
            Backend::Embedded,
            Secret::new("embedded-webhooks-secret-01"),
            dir.path().to_owned(),
        )
    }
    .validate()
    .expect("valid config");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build(config, listener)
        .await
        .expect("embedded app starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::new();
    let receiver = Receiver::start(1).await;
    let (id, secret) = register(&http, &base, &receiver.url).await;

    let store = SqliteStore::open(&dir.path().join("downwatch.sqlite3")).expect("same file");
    let mut leader = SqliteLeader::try_acquire(&store).expect("the app does not lead");
    let open = leader
        .open_incident(&tick("netflix"), "dw-detect-1")
        .await
        .expect("opened");

    let delivered = settled(&http, &base, id).await;
    assert_eq!(delivered["status"], "delivered", "{delivered}");
    assert_eq!(delivered["attempts"], 2);
    let got = receiver.received();
    assert_eq!(got.len(), 2);
    assert_signed(&got[1], &secret);
    assert_eq!(got[1].json()["incident_id"], open.id);
    assert_eq!(got[1].json()["kind"], "opened");

    // The delivery log is trimmed the same way: finished deliveries queued before the cut.
    use downwatch::store::WebhookStore;
    let cut = Utc::now() + chrono::TimeDelta::seconds(1);
    assert_eq!(store.prune_deliveries(cut).await.expect("prune"), 1);
    assert!(deliveries(&http, &base, id).await.is_empty());
}
