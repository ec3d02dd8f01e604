//! API keys and the read rate limit: an admin creates a key (shown once, stored hashed),
//! lists and revokes keys; anonymous reads are limited per address, a key lifts the limit and
//! counts on its own, a bad key is 401; the counts are shared by every node, and the embedded
//! stack behaves the same.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use downwatch::config::{Backend, Config, ReadLimits};
use downwatch::secret::Secret;
use downwatch::startup::Application;

use crate::helpers::{spawn_app_with, TestApp, TestOptions, ADMIN_TOKEN};

/// An app whose anonymous clients may read `anonymous` times a minute, API keys `keyed`.
async fn app_with_limits(anonymous: u64, keyed: u64) -> TestApp {
    spawn_app_with(TestOptions {
        config: Box::new(move |c: &mut Config| {
            c.read_limits = ReadLimits {
                anonymous_per_minute: anonymous,
                key_per_minute: keyed,
            }
        }),
        ..TestOptions::default()
    })
    .await
}

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `GET base + path` from `ip` (forwarded by the trusted local proxy), with extra headers.
async fn read(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    ip: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = http
        .get(format!("{base}{path}"))
        .header("x-forwarded-for", ip);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("request sent")
}

async fn create_key(http: &reqwest::Client, base: &str, body: Value) -> reqwest::Response {
    http.post(format!("{base}/api/v1/admin/api-keys"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("request sent")
}

/// Creates a key; returns `(id, key)`.
async fn new_key(http: &reqwest::Client, base: &str, body: Value) -> (i64, String) {
    let res = create_key(http, base, body).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.expect("JSON");
    (
        body["id"].as_i64().expect("id"),
        body["key"].as_str().expect("key").to_owned(),
    )
}

async fn list_keys(http: &reqwest::Client, base: &str) -> Value {
    let res = http
        .get(format!("{base}/api/v1/admin/api-keys"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status(), 200);
    res.json().await.expect("JSON")
}

async fn revoke(http: &reqwest::Client, base: &str, id: &str) -> u16 {
    http.delete(format!("{base}/api/v1/admin/api-keys/{id}"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("request sent")
        .status()
        .as_u16()
}

#[tokio::test]
async fn an_admin_creates_a_key_that_is_shown_once_and_stored_only_hashed() {
    let app = app_with_limits(300, 6000).await;

    // Act: create one with its own rate, one with the default.
    let res = create_key(
        &app.http,
        &app.address,
        json!({"name": "  Newsroom X  ", "rate_per_minute": 12000}),
    )
    .await;

    // Assert: 201, the key once, never cached.
    assert_eq!(res.status(), 201);
    assert_eq!(header(&res, "cache-control").as_deref(), Some("no-store"));
    let created: Value = res.json().await.expect("JSON");
    let key = created["key"].as_str().expect("key").to_owned();
    assert_eq!(key.len(), 35, "{key}");
    assert!(key.starts_with("dw_"));
    assert!(key[3..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(created["name"], "Newsroom X");
    assert_eq!(created["prefix"], &key[..8]);
    assert_eq!(created["rate_per_minute"], 12000);
    let (_, other) = new_key(&app.http, &app.address, json!({"name": "Lab"})).await;
    assert_ne!(other, key);

    // The list names the keys but never shows one.
    let list = list_keys(&app.http, &app.address).await;
    let keys = list["api_keys"].as_array().expect("api_keys");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["id"], created["id"]);
    assert_eq!(keys[0]["name"], "Newsroom X");
    assert_eq!(keys[0]["prefix"], &key[..8]);
    assert_eq!(keys[0]["revoked"], false);
    assert_eq!(keys[0]["last_used_at"], Value::Null);
    assert_eq!(keys[1]["rate_per_minute"], 6000, "the deployment's default");
    let text = list.to_string();
    assert!(!text.contains(&key[8..]) && !text.contains(&other[8..]));
    assert!(keys.iter().all(|k| k.get("key").is_none()));

    // The database holds the SHA-256 of each key and nothing that contains one.
    let hashed = app
        .count(&format!(
            "SELECT count(*) AS n FROM api_keys WHERE key_hash = sha256('{key}'::bytea)"
        ))
        .await;
    assert_eq!(hashed, 1);
    for k in [&key, &other] {
        let leaked = app
            .count(&format!(
                "SELECT count(*) AS n FROM api_keys t \
                 WHERE strpos(row_to_json(t)::text, '{}') > 0 \
                    OR strpos(encode(t.key_hash, 'escape'), '{}') > 0",
                &k[3..],
                &k[3..]
            ))
            .await;
        assert_eq!(leaked, 0, "a row contains the key");
    }
}

#[tokio::test]
async fn the_admin_api_for_keys_needs_the_admin_token_and_a_valid_body() {
    let app = app_with_limits(300, 6000).await;
    let url = app.url("/api/v1/admin/api-keys");
    let anonymous = app.http.get(&url).send().await.expect("sent");
    assert_eq!(anonymous.status(), 401);
    let wrong = app
        .http
        .post(&url)
        .bearer_auth("not-the-admin-token")
        .json(&json!({"name": "X"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);
    let wrong = app
        .http
        .delete(app.url("/api/v1/admin/api-keys/1"))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);

    for (body, field) in [
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (
            json!({"name": "X", "rate_per_minute": 0}),
            "rate_per_minute",
        ),
        (
            json!({"name": "X", "rate_per_minute": 5_000_000}),
            "rate_per_minute",
        ),
        (json!({"name": "X", "scopes": ["all"]}), "scopes"),
        (json!({}), "name"),
    ] {
        let res = create_key(&app.http, &app.address, body.clone()).await;
        assert_eq!(res.status(), 400, "{body}");
        let problem: Value = res.json().await.expect("problem");
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
    assert_eq!(revoke(&app.http, &app.address, "12345").await, 404);
    assert_eq!(revoke(&app.http, &app.address, "abc").await, 400);
}

#[tokio::test]
async fn anonymous_reads_beyond_the_limit_are_429_with_retry_after_and_ratelimit_headers() {
    let app = app_with_limits(5, 6000).await;
    let ip = "198.51.100.7";

    // Arrange: five reads, each saying what is left.
    for remaining in (0..5).rev() {
        let res = read(&app.http, &app.address, "/api/v1/services", ip, &[]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-limit").as_deref(), Some("5"));
        assert_eq!(
            header(&res, "ratelimit-remaining"),
            Some(remaining.to_string())
        );
        let reset: u64 = header(&res, "ratelimit-reset")
            .and_then(|v| v.parse().ok())
            .expect("RateLimit-Reset");
        assert!((1..=60).contains(&reset), "{reset}");
    }

    // Act: the sixth.
    let res = read(&app.http, &app.address, "/api/v1/trending", ip, &[]).await;

    // Assert: 429, a problem, when to retry, the headers, and CORS so pages can read it.
    assert_eq!(res.status(), 429);
    assert_eq!(
        header(&res, "content-type").as_deref(),
        Some("application/problem+json")
    );
    let retry: u64 = header(&res, "retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(header(&res, "ratelimit-limit").as_deref(), Some("5"));
    assert_eq!(header(&res, "ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(
        header(&res, "ratelimit-reset"),
        Some(retry.to_string()),
        "Retry-After is the end of the window"
    );
    assert_eq!(
        header(&res, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let exposed = header(&res, "access-control-expose-headers").unwrap_or_default();
    assert!(exposed.contains("RateLimit-Remaining") && exposed.contains("Retry-After"));
    let problem: Value = res.json().await.expect("problem");
    assert_eq!(problem["status"], 429);
    assert_eq!(problem["type"], "/problems/rate-limited");

    // Feeds and badges count too; another address does not share the count.
    for path in ["/feeds/incidents.atom", "/badge/netflix.svg"] {
        let res = read(&app.http, &app.address, path, ip, &[]).await;
        assert_eq!(res.status(), 429, "{path}");
    }
    let other = read(
        &app.http,
        &app.address,
        "/api/v1/services",
        "198.51.100.8",
        &[],
    )
    .await;
    assert_eq!(other.status(), 200);

    // Probes and reports are not read-limited; a preflight is not counted.
    for path in ["/healthz", "/readyz"] {
        let res = read(&app.http, &app.address, path, ip, &[]).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(header(&res, "ratelimit-limit").is_none(), "{path}");
    }
    let report = app
        .report_from(ip, &json!({"service": "netflix", "symptoms": ["login"]}))
        .await;
    assert_eq!(report.status(), 202);
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/services"))
        .header("x-forwarded-for", ip)
        .header("origin", "https://newsroom.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .expect("sent");
    assert_eq!(preflight.status(), 204);
    let allowed = header(&preflight, "access-control-allow-headers").unwrap_or_default();
    assert!(allowed.contains("X-Api-Key"), "{allowed}");

    // The counter is keyed by a hash of the address, never the address itself.
    let keys: Vec<String> = app.redis_dump().into_keys().collect();
    assert!(
        keys.iter().any(|k| k.contains("{r:a:")),
        "a read counter: {keys:?}"
    );
    assert!(
        keys.iter().all(|k| !k.contains("198.51.100")),
        "raw address in {keys:?}"
    );
}

#[tokio::test]
async fn a_304_still_says_where_the_client_stands() {
    let app = app_with_limits(5, 6000).await;
    let ip = "198.51.100.9";
    let first = read(&app.http, &app.address, "/api/v1/services/netflix", ip, &[]).await;
    let etag = header(&first, "etag").expect("ETag");
    let again = read(
        &app.http,
        &app.address,
        "/api/v1/services/netflix",
        ip,
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    assert_eq!(header(&again, "ratelimit-remaining").as_deref(), Some("3"));
}

#[tokio::test]
async fn an_api_key_lifts_the_limit_and_counts_on_its_own() {
    let app = app_with_limits(3, 50).await;
    let ip = "198.51.100.20";
    let (_, key) = new_key(&app.http, &app.address, json!({"name": "Newsroom"})).await;
    let (_, small) = new_key(
        &app.http,
        &app.address,
        json!({"name": "Student", "rate_per_minute": 4}),
    )
    .await;
    for _ in 0..3 {
        let res = read(&app.http, &app.address, "/api/v1/map", ip, &[]).await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(
        read(&app.http, &app.address, "/api/v1/map", ip, &[])
            .await
            .status(),
        429
    );

    // Act: the same address, with the key, as a bearer token or in X-Api-Key.
    let bearer = format!("Bearer {key}");
    for n in 0..20u64 {
        let headers: &[(&str, &str)] = if n % 2 == 0 {
            &[("authorization", &bearer)]
        } else {
            &[("x-api-key", &key)]
        };
        let res = read(&app.http, &app.address, "/api/v1/map", ip, headers).await;
        assert_eq!(res.status(), 200, "keyed read {n}");
        assert_eq!(header(&res, "ratelimit-limit").as_deref(), Some("50"));
        assert_eq!(
            header(&res, "ratelimit-remaining"),
            Some((50 - n - 1).to_string())
        );
    }

    // A key's own rate is its limit, and its 429 says it is the key's.
    for _ in 0..4 {
        let res = read(
            &app.http,
            &app.address,
            "/api/v1/map",
            ip,
            &[("x-api-key", &small)],
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-limit").as_deref(), Some("4"));
    }
    let res = read(
        &app.http,
        &app.address,
        "/api/v1/map",
        ip,
        &[("x-api-key", &small)],
    )
    .await;
    assert_eq!(res.status(), 429);
    let problem: Value = res.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("API key")),
        "{problem}"
    );

    // Its use is noted.
    let started = Instant::now();
    loop {
        let list = list_keys(&app.http, &app.address).await;
        if list["api_keys"][0]["last_used_at"].is_string() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "last_used_at never set: {list}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_revoked_or_unknown_key_is_401_naming_authorization() {
    let app = app_with_limits(100, 100).await;
    let ip = "198.51.100.30";
    let (id, key) = new_key(&app.http, &app.address, json!({"name": "Former partner"})).await;
    let bearer = format!("Bearer {key}");
    let ok = read(
        &app.http,
        &app.address,
        "/api/v1/trending",
        ip,
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(ok.status(), 200);

    // Act
    assert_eq!(revoke(&app.http, &app.address, &id.to_string()).await, 204);
    assert_eq!(
        revoke(&app.http, &app.address, &id.to_string()).await,
        204,
        "revoking twice is harmless"
    );

    // Assert
    let res = read(
        &app.http,
        &app.address,
        "/api/v1/trending",
        ip,
        &[("authorization", &bearer)],
    )
    .await;
    assert_eq!(res.status(), 401);
    assert_eq!(
        header(&res, "www-authenticate").as_deref(),
        Some("Bearer error=\"invalid_token\"")
    );
    assert!(
        header(&res, "ratelimit-remaining").is_some(),
        "counted against the address"
    );
    let problem: Value = res.json().await.expect("problem");
    assert_eq!(problem["field"], "authorization");
    assert_eq!(problem["type"], "/problems/invalid-api-key");
    let list = list_keys(&app.http, &app.address).await;
    assert_eq!(list["api_keys"][0]["revoked"], true);
    assert!(list["api_keys"][0]["revoked_at"].is_string());

    let unknown = format!("Bearer dw_{}", "A".repeat(32));
    for headers in [
        [("authorization", unknown.as_str())],
        [("authorization", "Bearer dw_tooshort")],
    ] {
        let res = read(&app.http, &app.address, "/badge/netflix.svg", ip, &headers).await;
        assert_eq!(res.status(), 401, "{headers:?}");
    }
    let res = read(
        &app.http,
        &app.address,
        "/api/v1/services",
        ip,
        &[("x-api-key", "nope")],
    )
    .await;
    assert_eq!(res.status(), 401);
    let problem: Value = res.json().await.expect("problem");
    assert_eq!(problem["field"], "x-api-key");
}

#[tokio::test]
async fn limits_and_keys_hold_across_two_nodes_sharing_postgres_and_redis() {
    let app = app_with_limits(5, 6000).await;
    let second = app.spawn_second_node().await;
    let ip = "198.51.100.40";

    // Arrange: three reads on one node, two on the other.
    for base in [&app.address, &app.address, &app.address, &second, &second] {
        let res = read(&app.http, base, "/api/v1/services", ip, &[]).await;
        assert_eq!(res.status(), 200, "{base}");
    }

    // Act / Assert: the sixth is refused on either node.
    for base in [&app.address, &second] {
        let res = read(&app.http, base, "/api/v1/services", ip, &[]).await;
        assert_eq!(res.status(), 429, "{base}");
    }

    // A key created through one node works on the other, and counts across both.
    let (id, key) = new_key(
        &app.http,
        &app.address,
        json!({"name": "Both", "rate_per_minute": 3}),
    )
    .await;
    for base in [&second, &app.address, &second] {
        let res = read(
            &app.http,
            base,
            "/api/v1/services",
            ip,
            &[("x-api-key", &key)],
        )
        .await;
        assert_eq!(res.status(), 200, "{base}");
    }
    let res = read(
        &app.http,
        &app.address,
        "/api/v1/services",
        ip,
        &[("x-api-key", &key)],
    )
    .await;
    assert_eq!(res.status(), 429);

    // Revoked through one node, it is refused by the other within its cache time (from an
    // address within its limit: a bad key counts against its address).
    let ip = "198.51.100.41";
    let (id2, key2) = new_key(&app.http, &app.address, json!({"name": "Revoked"})).await;
    let res = read(
        &app.http,
        &second,
        "/api/v1/services",
        ip,
        &[("x-api-key", &key2)],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(revoke(&app.http, &app.address, &id2.to_string()).await, 204);
    let started = Instant::now();
    loop {
        let res = read(
            &app.http,
            &second,
            "/api/v1/services",
            ip,
            &[("x-api-key", &key2)],
        )
        .await;
        if res.status() == 401 {
            break;
        }
        assert_eq!(res.status(), 200);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the other node still accepts a revoked key"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_ne!(id, id2);
}

#[tokio::test]
async fn the_embedded_stack_limits_reads_and_accepts_keys() {
    let dir = tempfile::tempdir().expect("dir");
    let config = Config {
        admin_token: Some(Secret::new(ADMIN_TOKEN)),
        trusted_proxies: downwatch::config::parse_networks("127.0.0.1").expect("nets"),
        read_limits: ReadLimits {
            anonymous_per_minute: 2,
            key_per_minute: 10,
        },
        run_detector: false,
        ..Config::new(
            Backend::Embedded,
            Secret::new("embedded-keys-secret-0123"),
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
    let ip = "198.51.100.50";

    for _ in 0..2 {
        let res = read(&http, &base, "/api/v1/services", ip, &[]).await;
        assert_eq!(res.status(), 200);
    }
    let res = read(&http, &base, "/api/v1/services", ip, &[]).await;
    assert_eq!(res.status(), 429);
    assert!(header(&res, "retry-after").is_some());

    let (id, key) = new_key(&http, &base, json!({"name": "Embedded"})).await;
    let res = read(&http, &base, "/api/v1/services", ip, &[("x-api-key", &key)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "ratelimit-limit").as_deref(), Some("10"));
    let list = list_keys(&http, &base).await;
    assert_eq!(list["api_keys"][0]["prefix"], &key[..8]);
    assert_eq!(revoke(&http, &base, &id.to_string()).await, 204);
    let res = read(
        &http,
        &base,
        "/api/v1/services",
        "198.51.100.51",
        &[("x-api-key", &key)],
    )
    .await;
    assert_eq!(res.status(), 401);
    // A bad key counts against its address: beyond the address's limit it is a 429.
    let res = read(&http, &base, "/api/v1/services", ip, &[("x-api-key", &key)]).await;
    assert_eq!(res.status(), 429);
}
