//! Polling is cheap (ETag, 304, Cache-Control) and reads are open to other origins (CORS).

crate::both_stacks! {
    async fn a_repeated_read_with_its_etag_is_a_bodiless_304(app) {
        let first = app
            .http
            .get(app.url("/api/v1/services/netflix"))
            .send()
            .await
            .expect("sent");
        assert_eq!(first.status(), 200);
        let etag = first.headers()["etag"].to_str().expect("ascii").to_owned();
        assert!(etag.starts_with("W/\""));
        assert_eq!(first.headers()["cache-control"], "public, max-age=300");
        assert_eq!(first.headers()["access-control-allow-origin"], "*");

        let again = app
            .http
            .get(app.url("/api/v1/services/netflix"))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status(), 304);
        assert_eq!(again.headers()["etag"], etag.as_str());
        assert!(again.bytes().await.expect("body").is_empty());

        let changed = app
            .http
            .get(app.url("/api/v1/services/spotify"))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("sent");
        assert_eq!(changed.status(), 200, "another resource, another tag");
        let status = app
            .http
            .get(app.url("/api/v1/trending"))
            .send()
            .await
            .expect("sent");
        assert_eq!(status.headers()["cache-control"], "public, max-age=5");
    }

    async fn reads_are_open_to_other_origins_and_writes_are_not_cached(app) {
        let preflight = app
            .http
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/incidents"))
            .header("origin", "https://newsroom.example")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .expect("sent");
        assert_eq!(preflight.status(), 204);
        assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
        assert!(preflight.headers()["access-control-allow-methods"]
            .to_str()
            .expect("ascii")
            .contains("GET"));

        let problem = app
            .http
            .get(app.url("/api/v1/incidents?limit=0"))
            .send()
            .await
            .expect("sent");
        assert_eq!(problem.status(), 400);
        assert_eq!(problem.headers()["access-control-allow-origin"], "*");
        assert!(problem.headers().get("etag").is_none());

        let post = app
            .report_from(
                "81.56.1.1",
                &serde_json::json!({"service": "netflix", "symptoms": ["login"]}),
            )
            .await;
        assert_eq!(post.status(), 202);
        assert!(post.headers().get("etag").is_none());
        assert!(post.headers().get("access-control-allow-origin").is_none());
    }
}
