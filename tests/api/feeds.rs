//! Atom feeds of incidents and the SVG status badge, over incidents the detector opened.

use serde_json::{json, Value};

use crate::detect::{deployed_a_week_ago, detector, spread, surge, sustained_ticks};
use crate::helpers::{spawn_app, TestApp, ADMIN_TOKEN};

/// Status, content type, `Cache-Control` and body of a GET.
async fn fetch(app: &TestApp, path: &str) -> (u16, String, String, String) {
    let res = app.http.get(app.url(path)).send().await.expect("sent");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (kind, cache) = (header("content-type"), header("cache-control"));
    let status = res.status().as_u16();
    (status, kind, cache, res.text().await.expect("text"))
}

/// The feed's entries, after the minimal checks that it is an Atom document.
async fn feed_entries(app: &TestApp, path: &str) -> Vec<String> {
    let (status, kind, _, body) = fetch(app, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    assert_eq!(kind, "application/atom+xml; charset=utf-8");
    assert!(body.starts_with("<?xml"), "{body}");
    assert!(body.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(body.trim_end().ends_with("</feed>"));
    for tag in ["<id>", "<title type=\"text\">", "<updated>"] {
        assert!(body.contains(tag), "a feed has {tag}");
    }
    assert!(body.contains(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        app.url(path)
    )));
    assert_eq!(
        body.matches("<entry>").count(),
        body.matches("</entry>").count()
    );
    body.split("<entry>")
        .skip(1)
        .map(|e| e.split("</entry>").next().unwrap_or("").to_owned())
        .collect()
}

/// A fresh deployment with a week of history and a global incident at Netflix.
async fn netflix_incident(app: &TestApp) -> i64 {
    deployed_a_week_ago(app).await;
    let mut d = detector(app).await;
    surge(app, "netflix", "login", &spread(40)).await;
    let report = sustained_ticks(&mut d).await;
    assert_eq!(report.opened.len(), 1, "{report:?}");
    let list: Value = app
        .http
        .get(app.url("/api/v1/incidents?service=netflix"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    list["incidents"][0]["id"].as_i64().expect("incident id")
}

fn assert_is_problem_404(status: u16, kind: &str, body: &str) {
    assert_eq!(status, 404, "{body}");
    assert_eq!(kind, "application/problem+json");
    let problem: Value = serde_json::from_str(body).expect("problem json");
    assert_eq!(problem["status"], 404);
}

#[tokio::test]
async fn a_badge_escapes_the_service_name() {
    let app = spawn_app().await;
    let res = app
        .http
        .post(app.url("/api/v1/services"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"slug": "dolce-gabbana", "name": "Dolce & Gabbana", "category": "shopping"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201, "{:?}", res.text().await);

    let (status, _, _, svg) = fetch(&app, "/badge/dolce-gabbana.svg").await;
    assert_eq!(status, 200);
    assert!(
        svg.contains("<title>Dolce &amp; Gabbana: no problems</title>"),
        "{svg}"
    );
    assert!(svg.contains("aria-label=\"Dolce &amp; Gabbana: no problems\""));
    assert!(!svg.contains("Dolce & "), "no bare ampersand");
}

crate::both_stacks! {
    async fn the_feed_of_a_fresh_deployment_is_valid_and_empty(app) {
        assert!(feed_entries(app, "/feeds/incidents.atom").await.is_empty());
        assert!(feed_entries(app, "/feeds/services/netflix.atom")
            .await
            .is_empty());
    }

    async fn an_incident_appears_in_the_global_feed_and_its_service_feed_only(app) {
        let id = netflix_incident(app).await;

        for path in ["/feeds/incidents.atom", "/feeds/services/netflix.atom"] {
            let entries = feed_entries(app, path).await;
            assert_eq!(entries.len(), 1, "{path}");
            let entry = &entries[0];
            assert!(entry.contains(&format!("<id>tag:downwatch,2026:incident:{id}</id>")));
            assert!(entry.contains("<title type=\"text\">Problems at Netflix</title>"));
            assert!(entry.contains(&format!(
                "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
                app.url(&format!("/incidents/{id}"))
            )));
            assert!(entry.contains(&format!(
                "<link rel=\"related\" type=\"application/json\" href=\"{}\"/>",
                app.url(&format!("/api/v1/incidents/{id}"))
            )));
            assert!(entry.contains("<published>") && entry.contains("<updated>"));
            let summary = entry
                .split("<summary type=\"text\">")
                .nth(1)
                .and_then(|s| s.split("</summary>").next())
                .expect("a summary");
            assert!(
                summary.starts_with("User reports indicate problems at Netflix since "),
                "{summary}"
            );
            assert!(
                summary.contains("40 reports in 3 minutes against "),
                "{summary}"
            );
            assert!(summary.contains("(methodology dw-detect-2)"), "{summary}");
            assert!(!summary.contains("users") && !summary.contains("outage"));
        }

        assert!(feed_entries(app, "/feeds/services/spotify.atom")
            .await
            .is_empty());
    }

    async fn an_unknown_service_has_neither_feed_nor_badge(app) {
        for path in [
            "/feeds/services/no-such-service.atom",
            "/badge/no-such-service.svg",
        ] {
            let (status, kind, _, body) = fetch(app, path).await;
            assert_is_problem_404(status, &kind, &body);
        }
    }

    async fn the_badge_says_no_problems_before_and_problems_during_an_incident(app) {
        let (status, kind, cache, before) = fetch(app, "/badge/netflix.svg").await;
        assert_eq!(status, 200);
        assert!(kind.starts_with("image/svg+xml"), "{kind}");
        assert_eq!(cache, "public, max-age=60");
        assert!(before.starts_with("<svg"), "{before}");
        assert!(before.trim_end().ends_with("</svg>"));
        assert!(before.contains("role=\"img\""));
        assert!(before.contains("aria-label=\"Netflix: no problems\""));
        assert!(before.contains("<title>Netflix: no problems</title>"));
        assert!(before.contains("fill=\"#2e7d32\""));

        netflix_incident(app).await;
        let (_, _, _, after) = fetch(app, "/badge/netflix.svg").await;
        assert!(
            after.contains("<title>Netflix: problems</title>"),
            "{after}"
        );
        assert!(after.contains("fill=\"#c62828\""));
        assert!(!after.contains("#2e7d32"));
    }
}
