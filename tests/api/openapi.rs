//! The OpenAPI document: well formed, complete (every registered route is described, and
//! nothing else), and true — real answers, after real reports and a real incident, validate
//! against the schemas the document gives for them. And the `/api` page that renders it.
//!
//! What the schema check covers: each JSON body is validated with the `jsonschema` crate
//! (Draft 2020-12, which OpenAPI 3.1 schemas are) against the schema of that operation, status
//! and media type, `$ref`s resolved within the document; `type`, `required`, `properties`,
//! `items`, `enum`, `oneOf` and nullability (`["string", "null"]`), `minimum`/`maximum`, and the
//! `date-time` format (RFC 3339) are enforced. Objects are checked strictly: a property the
//! document does not declare fails (`additionalProperties: false` is added for the test), so a
//! response field the document misses (behind a `value_type` or a hand-written schema) is
//! caught. Not covered: event stream frames, CSV, Atom and SVG bodies (their media types are
//! checked, not their content).

use std::collections::{BTreeSet, HashSet};

use chrono::{TimeDelta, Utc};
use serde_json::{json, Value};

use crate::detect::{deployed_a_week_ago, detector, spread, surge, sustained_ticks};
use crate::helpers::{spawn_app, TestApp};

/// The route tables, read from the code that registers them: the JSON API's, and the site's
/// (whose feeds, badges and `/api` page are in the document too; its pages are not).
const ROUTES_SOURCES: [&str; 2] = [
    include_str!("../../server/http/mod.rs"),
    include_str!("../../server/web/mod.rs"),
];

async fn document(app: &TestApp) -> Value {
    let res = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("application/json"));
    res.json().await.expect("the document is JSON")
}

/// `(METHOD, full path)` of every route in the route table, scopes applied: each
/// `resource("…")` with the methods chained on it (`.get(…)`, `.post(…)`, …), and each
/// `.route("…", web::method()…)` (not the pages' `.route("…", read()…)`).
fn registered_routes(source: &str) -> Vec<(String, String)> {
    // Where an expression starting at `start` ends: at the `)` that closes its enclosing
    // parenthesis (or the end of the source).
    let end_of = |start: usize| {
        let mut depth = 0i32;
        for (i, c) in source[start..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth < 0 {
                        return start + i;
                    }
                }
                _ => {}
            }
        }
        source.len()
    };
    // Where each `.service(web::scope("…") …)` starts and ends, and its prefix.
    let mut scopes: Vec<(usize, usize, String)> = Vec::new();
    for (start, _) in source.match_indices(".service(") {
        let after = source[start + ".service(".len()..].trim_start();
        let Some(rest) = after.strip_prefix("web::scope(\"") else {
            continue;
        };
        let prefix = rest.split('"').next().unwrap_or("").to_owned();
        scopes.push((start, end_of(start + ".service(".len()), prefix));
    }
    let prefix_at = |at: usize| {
        scopes
            .iter()
            .find(|(s, e, _)| (*s..*e).contains(&at))
            .map_or("", |(_, _, p)| p.as_str())
    };
    let mut routes = Vec::new();
    for (at, _) in source.match_indices("resource(\"") {
        let rest = &source[at + "resource(\"".len()..];
        let path = rest.split('"').next().expect("a resource path literal");
        let chain = &source[at..end_of(at)];
        let methods = ["get", "post", "put", "delete", "patch"]
            .into_iter()
            .filter(|m| chain.contains(&format!(".{m}(")))
            .collect::<Vec<_>>();
        assert!(!methods.is_empty(), "no method on resource {path:?}");
        for method in methods {
            routes.push((method.to_uppercase(), format!("{}{path}", prefix_at(at))));
        }
    }
    for (at, _) in source.match_indices(".route(") {
        let mut parts = source[at + ".route(".len()..].splitn(3, '"');
        let path = parts.nth(1).expect("a route path literal");
        let after = parts.next().unwrap_or("");
        let Some(method) = after
            .trim_start_matches(',')
            .trim_start()
            .strip_prefix("web::")
            .and_then(|m| m.split("()").next())
        else {
            continue;
        };
        routes.push((method.to_uppercase(), format!("{}{path}", prefix_at(at))));
    }
    routes
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

/// Every `$ref` string anywhere in `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_describes_every_route() {
    let app = spawn_app().await;
    let doc = document(&app).await;

    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1.")),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "Downwatch API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let about = doc["info"]["description"].as_str().unwrap_or("");
    for needle in [
        "reports",
        "unique_reporters",
        downwatch::detect::METHODOLOGY_VERSION,
        "UTC",
        "application/problem+json",
        "ETag",
        "Access-Control-Allow-Origin",
        "text/csv",
    ] {
        assert!(about.contains(needle), "info.description lacks {needle:?}");
    }

    let routes: Vec<_> = ROUTES_SOURCES
        .into_iter()
        .flat_map(registered_routes)
        .collect();
    assert!(routes.len() >= 20, "the route table parsed: {routes:?}");
    let described: HashSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(m, p, _)| (m, p))
        .collect();
    let registered: HashSet<(String, String)> = routes.iter().cloned().collect();
    for route in &registered {
        assert!(
            described.contains(route),
            "{route:?} is not in the document"
        );
    }
    for op in &described {
        assert!(
            registered.contains(op),
            "{op:?} is documented but not routed"
        );
    }
    assert!(registered
        .iter()
        .any(|(m, p)| m == "GET" && p == "/api/v1/openapi.json"));

    let mut ids = HashSet::new();
    for (method, path, op) in operations(&doc) {
        let what = format!("{method} {path}");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{what} has no summary"
        );
        assert!(
            ids.insert(op["operationId"].as_str().unwrap_or("").to_owned()),
            "{what}: duplicate operationId"
        );
        let responses = op["responses"].as_object().expect("responses");
        assert!(!responses.is_empty(), "{what} has no responses");
        assert!(
            responses
                .keys()
                .any(|s| s.starts_with('2') || s.starts_with('3')),
            "{what} has no success response"
        );
        for (status, response) in responses {
            assert!(
                response["description"].is_string(),
                "{what} {status}: no description"
            );
            if status.starts_with('4') {
                let content = response["content"].as_object().expect("4xx content");
                assert_eq!(
                    content.keys().collect::<Vec<_>>(),
                    ["application/problem+json"],
                    "{what} {status}"
                );
                assert_eq!(
                    content["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{what} {status}"
                );
            }
        }
        // Every `{name}` of the path is a declared path parameter.
        let declared: BTreeSet<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let in_path: BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .collect();
        assert_eq!(declared, in_path, "{what}: path parameters");
    }

    let problem = &doc["components"]["schemas"]["Problem"];
    for field in ["type", "title", "status", "detail", "field"] {
        assert!(problem["properties"][field].is_object(), "Problem.{field}");
    }
    let mut all_refs = Vec::new();
    refs(&doc, &mut all_refs);
    for r in &all_refs {
        let pointer = r.strip_prefix('#').expect("only local references");
        assert!(doc.pointer(pointer).is_some(), "dangling {r}");
    }
    for (name, schema) in doc["components"]["schemas"].as_object().expect("schemas") {
        assert!(
            jsonschema::draft202012::meta::validate(schema).is_ok(),
            "schema {name} is not a valid JSON Schema 2020-12"
        );
    }
}

/// `schema` with every object made strict: undeclared properties fail.
fn strict(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let is_object_schema =
                map.get("properties").is_some_and(Value::is_object) && map.contains_key("type");
            if is_object_schema && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, v) in map.iter_mut() {
                if key == "properties" {
                    if let Value::Object(props) = v {
                        props.values_mut().for_each(strict);
                    }
                } else {
                    strict(v);
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(strict),
        _ => {}
    }
}

/// Checks answers against the schemas the document gives for them.
struct SchemaCheck {
    doc: Value,
    components: Value,
}

impl SchemaCheck {
    fn new(doc: Value) -> Self {
        let mut components = doc["components"].clone();
        strict(&mut components);
        Self { doc, components }
    }

    /// The schema for `method path` answering `status` as `media`.
    fn schema(&self, method: &str, path: &str, status: u16, media: &str) -> Value {
        let op = &self.doc["paths"][path][method.to_lowercase()];
        let response = &op["responses"][status.to_string()];
        let schema = &response["content"][media]["schema"];
        assert!(
            schema.is_object(),
            "{method} {path} documents no {media} body for {status}"
        );
        schema.clone()
    }

    /// Validation errors of `body` against the documented schema.
    fn errors(
        &self,
        method: &str,
        path: &str,
        status: u16,
        media: &str,
        body: &Value,
    ) -> Vec<String> {
        let mut root = self.schema(method, path, status, media);
        strict(&mut root);
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        root["components"] = self.components.clone();
        let validator = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("{method} {path} {status}: schema does not build: {e}"));
        validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// Asserts that `body` is valid for `method path` answering `status` as `media`.
    fn assert_valid(&self, method: &str, path: &str, status: u16, media: &str, body: &Value) {
        let errors = self.errors(method, path, status, media, body);
        assert!(
            errors.is_empty(),
            "{method} {path} {status} does not match the document:\n{}\nbody: {body:#}",
            errors.join("\n")
        );
    }
}

/// Sends a request and checks its answer against `template` (the documented path).
async fn check(
    app: &TestApp,
    schemas: &SchemaCheck,
    request: reqwest::RequestBuilder,
    template: &str,
    status: u16,
) -> Value {
    let built = request.build().expect("request");
    let method = built.method().as_str().to_owned();
    let url = built.url().to_string();
    let res = app.http.execute(built).await.expect("sent");
    assert_eq!(res.status().as_u16(), status, "{method} {url}");
    let media = res.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .to_owned();
    let body: Value = res.json().await.expect("a JSON body");
    schemas.assert_valid(&method, template, status, &media, &body);
    body
}

#[tokio::test]
async fn real_answers_validate_against_the_document() {
    let app = spawn_app().await;
    let schemas = SchemaCheck::new(document(&app).await);
    let get = |path: &str| app.http.get(app.url(path));

    // Arrange: a webhook whose receiver is not there (so that its deliveries wait for a
    // retry), real reports through the ingestion path, and incidents from the detector.
    let webhook = check(
        &app,
        &schemas,
        app.http
            .post(app.url("/api/v1/admin/webhooks"))
            .bearer_auth(crate::helpers::ADMIN_TOKEN)
            .json(&json!({"url": "http://127.0.0.1:9/nobody-listens"})),
        "/api/v1/admin/webhooks",
        201,
    )
    .await;
    deployed_a_week_ago(&app).await;
    let mut d = detector(&app).await;
    surge(&app, "netflix", "login", &spread(40)).await;
    surge(&app, "discord", "messaging", &spread(40)).await;
    let tick = sustained_ticks(&mut d).await;
    assert_eq!(tick.opened.len(), 2, "{tick:?}");

    // A report: 202 with its acknowledgement, and one with a region.
    let report = app
        .http
        .post(app.url("/api/v1/reports"))
        .header("x-forwarded-for", "81.56.200.1")
        .json(&json!({"service": "netflix", "symptoms": ["app"], "region": "IT-25"}));
    let ack = check(&app, &schemas, report, "/api/v1/reports", 202).await;
    assert_eq!(ack["counted"], true);

    // Problems: invalid input, unknown things.
    let bad = app
        .http
        .post(app.url("/api/v1/reports"))
        .json(&json!({"service": "netflix", "symptoms": "login"}));
    let problem = check(&app, &schemas, bad, "/api/v1/reports", 400).await;
    assert_eq!(problem["field"], "symptoms");
    let problem = check(
        &app,
        &schemas,
        get("/api/v1/incidents?status=bogus"),
        "/api/v1/incidents",
        400,
    )
    .await;
    assert_eq!(problem["field"], "status");
    check(
        &app,
        &schemas,
        get("/api/v1/services/no-such-service"),
        "/api/v1/services/{slug}",
        404,
    )
    .await;

    // The catalog.
    let list = check(
        &app,
        &schemas,
        get("/api/v1/services"),
        "/api/v1/services",
        200,
    )
    .await;
    let quiet = list["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["slug"].as_str())
        .find(|s| !["netflix", "discord", "wikipedia"].contains(s))
        .expect("a service without reports")
        .to_owned();
    check(
        &app,
        &schemas,
        get("/api/v1/services?q=net&category=streaming&limit=5"),
        "/api/v1/services",
        200,
    )
    .await;
    check(
        &app,
        &schemas,
        get("/api/v1/services/netflix"),
        "/api/v1/services/{slug}",
        200,
    )
    .await;

    // Status, with an incident open and without any report.
    let status = check(
        &app,
        &schemas,
        get("/api/v1/services/netflix/status"),
        "/api/v1/services/{slug}/status",
        200,
    )
    .await;
    assert_eq!(status["state"], "problems");
    assert_eq!(status["open_incidents"].as_array().map(Vec::len), Some(1));
    let calm = check(
        &app,
        &schemas,
        get(&format!("/api/v1/services/{quiet}/status")),
        "/api/v1/services/{slug}/status",
        200,
    )
    .await;
    assert!(calm["as_of"].is_null(), "the nulls are checked too");

    let trending = check(
        &app,
        &schemas,
        get("/api/v1/trending"),
        "/api/v1/trending",
        200,
    )
    .await;
    assert_eq!(trending["services"].as_array().map(Vec::len), Some(2));

    // Incidents: a page with a next cursor, the last page, one incident in full.
    let page = check(
        &app,
        &schemas,
        get("/api/v1/incidents?limit=1"),
        "/api/v1/incidents",
        200,
    )
    .await;
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let last = check(
        &app,
        &schemas,
        get(&format!("/api/v1/incidents?limit=1&cursor={cursor}")),
        "/api/v1/incidents",
        200,
    )
    .await;
    assert!(last["next_cursor"].is_null());
    let id = page["incidents"][0]["id"].as_i64().expect("id");
    let detail = check(
        &app,
        &schemas,
        get(&format!("/api/v1/incidents/{id}")),
        "/api/v1/incidents/{id}",
        200,
    )
    .await;
    assert!(detail["incident"]["evidence"]["top_symptoms"][0]["key"].is_string());
    assert!(detail["timeline"].as_array().is_some_and(|t| !t.is_empty()));

    // Series (minute buckets, global and one country), breakdowns, the map.
    let from = (Utc::now() - TimeDelta::minutes(10))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let series = check(
        &app,
        &schemas,
        get(&format!(
            "/api/v1/services/netflix/series?step=1m&from={from}"
        )),
        "/api/v1/services/{slug}/series",
        200,
    )
    .await;
    assert!(series["points"].as_array().is_some_and(|p| !p.is_empty()));
    check(
        &app,
        &schemas,
        get(&format!(
            "/api/v1/services/netflix/series?step=5m&country=it&from={from}"
        )),
        "/api/v1/services/{slug}/series",
        200,
    )
    .await;
    check(
        &app,
        &schemas,
        get("/api/v1/services/netflix/series?step=1h"),
        "/api/v1/services/{slug}/series",
        200,
    )
    .await;
    for by in ["symptom", "country", "subdivision", "asn"] {
        let breakdown = check(
            &app,
            &schemas,
            get(&format!("/api/v1/services/netflix/breakdown?by={by}")),
            "/api/v1/services/{slug}/breakdown",
            200,
        )
        .await;
        assert!(
            breakdown["breakdown"]
                .as_array()
                .is_some_and(|b| !b.is_empty()),
            "{by}"
        );
    }
    let map = check(&app, &schemas, get("/api/v1/map"), "/api/v1/map", 200).await;
    assert!(map["countries"].as_array().is_some_and(|c| !c.is_empty()));
    assert!(map["clusters"].as_array().is_some_and(|c| !c.is_empty()));
    check(
        &app,
        &schemas,
        get("/api/v1/map?service=netflix&window=15m"),
        "/api/v1/map",
        200,
    )
    .await;

    check(&app, &schemas, get("/readyz"), "/readyz", 200).await;

    // API keys: created (the key shown once), listed (never the key); a bad key on a read.
    let created = check(
        &app,
        &schemas,
        app.http
            .post(app.url("/api/v1/admin/api-keys"))
            .bearer_auth(crate::helpers::ADMIN_TOKEN)
            .json(&json!({"name": "Newsroom", "rate_per_minute": 100})),
        "/api/v1/admin/api-keys",
        201,
    )
    .await;
    let key = created["key"].as_str().expect("key").to_owned();
    check(
        &app,
        &schemas,
        get("/api/v1/admin/api-keys").bearer_auth(crate::helpers::ADMIN_TOKEN),
        "/api/v1/admin/api-keys",
        200,
    )
    .await;
    check(
        &app,
        &schemas,
        get("/api/v1/trending").bearer_auth(&key),
        "/api/v1/trending",
        200,
    )
    .await;
    let bad = check(
        &app,
        &schemas,
        get("/api/v1/trending").header("x-api-key", "dw_nope"),
        "/api/v1/trending",
        401,
    )
    .await;
    assert_eq!(bad["field"], "x-api-key");

    // Webhooks: listed (never the secret), a bad URL, the delivery log once attempted.
    check(
        &app,
        &schemas,
        get("/api/v1/admin/webhooks").bearer_auth(crate::helpers::ADMIN_TOKEN),
        "/api/v1/admin/webhooks",
        200,
    )
    .await;
    let problem = check(
        &app,
        &schemas,
        app.http
            .post(app.url("/api/v1/admin/webhooks"))
            .bearer_auth(crate::helpers::ADMIN_TOKEN)
            .json(&json!({"url": "gopher://example.org"})),
        "/api/v1/admin/webhooks",
        400,
    )
    .await;
    assert_eq!(problem["field"], "url");
    let log_path = format!("/api/v1/admin/webhooks/{}/deliveries", webhook["id"]);
    let mut log = Value::Null;
    for _ in 0..100 {
        log = check(
            &app,
            &schemas,
            get(&log_path).bearer_auth(crate::helpers::ADMIN_TOKEN),
            "/api/v1/admin/webhooks/{id}/deliveries",
            200,
        )
        .await;
        let attempted = log["deliveries"]
            .as_array()
            .is_some_and(|d| d.len() == 2 && d.iter().all(|d| d["attempts"] == 1));
        if attempted {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(log["deliveries"][0]["status"], "pending", "{log}");
    assert!(log["deliveries"][0]["last_error"].is_string(), "{log}");
    check(
        &app,
        &schemas,
        get("/api/v1/admin/webhooks/999999/deliveries").bearer_auth(crate::helpers::ADMIN_TOKEN),
        "/api/v1/admin/webhooks/{id}/deliveries",
        404,
    )
    .await;

    // The check itself bites: a missing field, a stray field, a wrong enum value, a bad time.
    let mut broken = detail.clone();
    broken["incident"]
        .as_object_mut()
        .expect("incident")
        .remove("methodology");
    let mut stray = status.clone();
    stray["users"] = json!(40);
    let mut off_enum = status.clone();
    off_enum["state"] = json!("on-fire");
    let mut bad_time = status.clone();
    bad_time["since"] = json!("yesterday");
    for (path, body) in [
        ("/api/v1/incidents/{id}", &broken),
        ("/api/v1/services/{slug}/status", &stray),
        ("/api/v1/services/{slug}/status", &off_enum),
        ("/api/v1/services/{slug}/status", &bad_time),
    ] {
        assert!(
            !schemas
                .errors("GET", path, 200, "application/json", body)
                .is_empty(),
            "a broken {path} body passed"
        );
    }
}

#[tokio::test]
async fn csv_and_other_media_types_are_the_documented_ones() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (path, template, accept) in [
        ("/api/v1/trending?format=csv", "/api/v1/trending", "*/*"),
        ("/api/v1/incidents", "/api/v1/incidents", "text/csv"),
        ("/feeds/incidents.atom", "/feeds/incidents.atom", "*/*"),
        ("/badge/netflix.svg", "/badge/{slug}.svg", "*/*"),
        ("/healthz", "/healthz", "*/*"),
        ("/api", "/api", "text/html"),
    ] {
        let res = app
            .http
            .get(app.url(path))
            .header("accept", accept)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 200, "{path}");
        let media = res.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .to_owned();
        assert!(
            doc["paths"][template]["get"]["responses"]["200"]["content"][&media].is_object(),
            "{path} answered {media}, which the document does not list"
        );
    }
}

#[tokio::test]
async fn the_api_page_is_html_that_lists_the_endpoints_and_needs_nothing_else() {
    let app = spawn_app().await;
    let res = app.http.get(app.url("/api")).send().await.expect("sent");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("text/html"));
    let page = res.text().await.expect("text");
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("name=\"viewport\""));
    assert!(page.contains("<code>/api/v1/incidents</code>"));
    assert!(page.contains("<code>/api/v1/services/{slug}/series</code>"));
    assert!(page.contains("curl -s &#39;http://127.0.0.1:"));
    assert!(page.contains("id=\"schema-Problem\""));
    assert!(page.contains("<main>") && page.contains("<nav"));
    for external in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!page.contains(external), "the page loads {external}");
    }
}

#[tokio::test]
async fn official_status_answers_validate_against_the_document() {
    use downwatch::catalog::{StatusKind, StatusSource};
    use downwatch::corroborate::record::{record_failure, record_snapshot};
    use downwatch::domain::{Scope, Severity};
    use downwatch::official::{
        Component, ComponentStatus, Impact, Indicator, OfficialUpdate, ParsedIncident, Snapshot,
        Stage,
    };
    use downwatch::store::{IncidentLink, IncidentTick, OfficialFilter};

    let app = spawn_app().await;
    let schemas = SchemaCheck::new(document(&app).await);
    let get = |path: &str| app.http.get(app.url(path));
    let now = Utc::now();
    let source = StatusSource {
        kind: StatusKind::Statuspage,
        url: "https://www.githubstatus.com/api/v2/summary.json".into(),
    };
    let posted = now - TimeDelta::minutes(10);
    let snapshot = Snapshot {
        indicator: Some(Indicator::Minor),
        components: vec![Component {
            name: "Actions".into(),
            status: ComponentStatus::PartialOutage,
        }],
        incidents: vec![ParsedIncident {
            external_id: "x1".into(),
            title: "Incident with Actions".into(),
            impact: Impact::Minor,
            stage: Stage::Investigating,
            url: Some("https://stspg.io/x1".into()),
            started_at: posted,
            resolved_at: None,
            components: vec!["Actions".into()],
            updates: vec![OfficialUpdate {
                stage: Stage::Investigating,
                posted_at: posted,
                body: "We are investigating.".into(),
            }],
        }],
        active_only: true,
    };
    let official = app.stores.official.as_ref();
    record_snapshot(official, "github", &source, &snapshot, now)
        .await
        .expect("record");
    record_failure(official, "discord", &source, "HTTP 500", now)
        .await
        .expect("record");
    let mut leader = app
        .stores
        .election
        .campaign()
        .await
        .expect("campaign")
        .expect("leader");
    let tick = IncidentTick {
        service: "github".into(),
        scope: Scope::Global,
        severity: Severity::Problems,
        at: now - TimeDelta::minutes(18),
        observed: 40.0,
        expected: 3.0,
        score: 0.99,
        evidence: json!({}),
    };
    let incident = leader
        .open_incident(&tick, "dw-detect-2")
        .await
        .expect("open")
        .id;
    let official_id = official
        .list_official(&OfficialFilter {
            service: Some("github".into()),
            since: None,
            limit: 1,
        })
        .await
        .expect("list")[0]
        .id;
    official
        .save_link(&IncidentLink {
            incident_id: incident,
            official_id,
            service: "github".into(),
            onset_at: tick.at,
            lead_minutes: 8,
            linked_at: now,
        })
        .await
        .expect("link");

    let path = "/api/v1/services/{slug}/official";
    let github = check(
        &app,
        &schemas,
        get("/api/v1/services/github/official"),
        path,
        200,
    )
    .await;
    assert_eq!(github["lead_minutes"], 8);
    let discord = check(
        &app,
        &schemas,
        get("/api/v1/services/discord/official"),
        path,
        200,
    )
    .await;
    assert_eq!(discord["state"], "unavailable");
    let none = check(
        &app,
        &schemas,
        get("/api/v1/services/netflix/official"),
        path,
        200,
    )
    .await;
    assert_eq!(none["state"], "no_source");
    check(
        &app,
        &schemas,
        get("/api/v1/services/nope/official"),
        path,
        404,
    )
    .await;
    let path = "/api/v1/services/{slug}/official/incidents";
    let list = check(
        &app,
        &schemas,
        get("/api/v1/services/github/official/incidents?days=7"),
        path,
        200,
    )
    .await;
    assert_eq!(list["incidents"][0]["updates"][0]["stage"], "investigating");
    check(
        &app,
        &schemas,
        get("/api/v1/services/github/official/incidents?days=91"),
        path,
        400,
    )
    .await;
    let path = "/api/v1/official/lead-times";
    let leads = check(
        &app,
        &schemas,
        get("/api/v1/official/lead-times"),
        path,
        200,
    )
    .await;
    assert_eq!(leads["lead_times"][0]["lead_minutes"], 8);
    let bad = check(
        &app,
        &schemas,
        get("/api/v1/official/lead-times?service=nope"),
        path,
        400,
    )
    .await;
    assert_eq!(bad["field"], "service");
}
