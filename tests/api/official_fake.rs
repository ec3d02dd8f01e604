//! A fake status server on loopback for the official status tests: a Statuspage incident that
//! goes investigating → identified → monitoring → resolved (with `ETag`s, answering `304` to
//! a matching `If-None-Match`), and every way a source can fail — slow answers, 500s, garbage
//! JSON, huge bodies, redirects — beside UTF-16, RSS, Google Cloud and Instatus bodies.

use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

/// The stages the incident goes through, in order.
pub const STAGES: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];

/// The fake's state, shared with the test.
pub struct Fake {
    /// Index into [`STAGES`].
    pub stage: AtomicUsize,
    /// When the company first posted (the investigating post); each later post is 5 min on.
    pub first_post: DateTime<Utc>,
    /// `(path, status)` of every answer.
    pub log: Mutex<Vec<(String, u16)>>,
}

/// The running fake.
pub struct FakeStatus {
    pub base: String,
    pub fake: Arc<Fake>,
    _server: actix_web::dev::ServerHandle,
}

impl FakeStatus {
    /// Starts the fake on `127.0.0.1:0`.
    pub fn start(first_post: DateTime<Utc>) -> Self {
        let fake = Arc::new(Fake {
            stage: AtomicUsize::new(0),
            first_post,
            log: Mutex::new(Vec::new()),
        });
        let data = web::Data::from(fake.clone());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            fake,
            _server: handle,
        }
    }

    /// The URL of `path` on the fake.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// How many answers to `path` had `status`.
    pub fn answered(&self, path: &str, status: u16) -> usize {
        self.fake
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(p, s)| p == path && *s == status)
            .count()
    }
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/status/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

async fn answer(req: HttpRequest, fake: web::Data<Fake>) -> HttpResponse {
    let path = req.path().to_owned();
    let stage = fake.stage.load(Ordering::SeqCst).min(STAGES.len() - 1);
    let res = match path.as_str() {
        "/sp/api/v2/summary.json" => {
            revalidated(&req, format!("\"s{stage}\""), summary(&fake, stage))
        }
        "/sp/api/v2/incidents.json" => {
            revalidated(&req, format!("\"i{stage}\""), incidents(&fake, stage))
        }
        "/ok/api/v2/summary.json" => {
            let text = json!({
                "page": {"name": "All good"},
                "status": {"indicator": "none", "description": "All Systems Operational"},
                "components": [{"name": "CDN", "status": "operational"}],
                "incidents": []
            })
            .to_string();
            let mut body = vec![0xFF, 0xFE];
            body.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
            HttpResponse::Ok()
                .content_type("application/json; charset=utf-16")
                .body(body)
        }
        "/slow/api/v2/summary.json" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            HttpResponse::Ok().body("{}")
        }
        "/fail/api/v2/summary.json" => HttpResponse::InternalServerError().body("oops"),
        "/garbage/api/v2/summary.json" => HttpResponse::Ok().body("{\"status\": {\"indicator\": "),
        "/huge.json" => HttpResponse::Ok().body(format!("[{}]", " ".repeat(1 << 20))),
        "/moved/api/v2/summary.json" => HttpResponse::Found()
            .insert_header(("location", "/sp/api/v2/summary.json"))
            .finish(),
        "/aws.rss" => HttpResponse::Ok().body(fixture("aws.rss")),
        "/gcp.json" => HttpResponse::Ok().body(fixture("gcp_incidents.json")),
        "/instatus.json" => HttpResponse::Ok().body(fixture("instatus_summary.json")),
        _ => HttpResponse::NotFound().finish(),
    };
    fake.log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((path, res.status().as_u16()));
    res
}

/// `304` when the client already has `etag`, else `body` with it.
fn revalidated(req: &HttpRequest, etag: String, body: Value) -> HttpResponse {
    let known = req
        .headers()
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str());
    if known {
        return HttpResponse::NotModified()
            .insert_header(("etag", etag))
            .finish();
    }
    HttpResponse::Ok().insert_header(("etag", etag)).json(body)
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn incident(fake: &Fake, stage: usize) -> Value {
    let posts: Vec<Value> = (0..=stage)
        .rev()
        .map(|s| {
            let at = time(fake.first_post + TimeDelta::minutes(5 * s as i64));
            json!({"id": format!("u{s}"), "status": STAGES[s], "body": format!("Update: {}.", STAGES[s]),
                   "created_at": at, "display_at": at})
        })
        .collect();
    let resolved = (stage == 3).then(|| time(fake.first_post + TimeDelta::minutes(15)));
    json!({
        "id": "inc1", "name": "Degraded performance for Actions", "status": STAGES[stage],
        "impact": "minor", "shortlink": "https://stspg.io/inc1",
        "created_at": time(fake.first_post), "resolved_at": resolved,
        "incident_updates": posts,
        "components": [{"name": "Actions", "status": "partial_outage"}]
    })
}

fn summary(fake: &Fake, stage: usize) -> Value {
    let actions = [
        "partial_outage",
        "partial_outage",
        "degraded_performance",
        "operational",
    ][stage];
    json!({
        "page": {"name": "Fake Hub"},
        "status": {"indicator": if stage < 3 { "minor" } else { "none" }},
        "components": [
            {"name": "Git Operations", "status": "operational", "group": false},
            {"name": "Actions", "status": actions, "group": false}
        ],
        "incidents": if stage < 3 { vec![incident(fake, stage)] } else { vec![] }
    })
}

fn incidents(fake: &Fake, stage: usize) -> Value {
    json!({"page": {"name": "Fake Hub"}, "incidents": [incident(fake, stage)]})
}
