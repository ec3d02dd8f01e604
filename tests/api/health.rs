use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_and_readyz_reports_both_stores() {
    let app = spawn_app().await;
    let health = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(health.status(), 200);
    let ready = app.http.get(app.url("/readyz")).send().await.expect("sent");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["backend"], "postgres+redis");
    assert_eq!(body["report_log"], "ok");
    assert_eq!(body["buckets"], "ok");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_problems() {
    let app = spawn_app().await;
    let missing = app
        .http
        .get(app.url("/api/v1/nothing"))
        .send()
        .await
        .expect("sent");
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let wrong = app
        .http
        .delete(app.url("/api/v1/reports"))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 405);
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    // Any path of the route table with a method it does not serve is a 405; a path below
    // one of them is not in the table, so it is a 404 whatever the method.
    for (method, path, status) in [
        ("POST", "/api/v1/incidents", 405),
        ("HEAD", "/api/v1/openapi.json", 405),
        ("GET", "/api/v1/admin/api-keys/1", 405),
        ("GET", "/api/v1/services/netflix/status/extra", 404),
        ("POST", "/api/v1/admin/api-keys/1/x", 404),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let res = app
            .http
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), status, "{method} {path}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app
        .http
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.headers()["x-request-id"].len(), 32);
}
