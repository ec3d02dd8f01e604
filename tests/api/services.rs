use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, TestOptions, ADMIN_TOKEN};

#[tokio::test]
async fn the_catalog_is_seeded_with_well_known_services() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/api/v1/services?limit=500"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert!(body["total"].as_u64().unwrap_or(0) >= 150);
    assert_eq!(
        body["services"].as_array().map(Vec::len),
        body["total"].as_u64().map(|n| n as usize)
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM services").await as u64,
        body["total"].as_u64().unwrap_or(0)
    );
}

fn new_service() -> Value {
    json!({
        "slug": "acme-cloud",
        "name": "Acme Cloud",
        "category": "cloud",
        "aliases": ["acme"],
        "url": "https://acme.example/",
        "country": "it"
    })
}

#[tokio::test]
async fn without_a_configured_token_the_admin_api_is_off() {
    let app = spawn_app_with(TestOptions {
        admin_token: None,
        ..TestOptions::default()
    })
    .await;
    let res = app
        .http
        .post(app.url("/api/v1/services"))
        .bearer_auth("anything")
        .json(&new_service())
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 403);
}

crate::both_stacks! {
    async fn services_are_searched_by_name_and_alias_and_filtered_by_category(app) {
        let search = |q: &'static str| {
            let app = &app;
            async move {
                let body: Value = app
                    .http
                    .get(app.url("/api/v1/services"))
                    .query(&[("q", q)])
                    .send()
                    .await
                    .expect("sent")
                    .json()
                    .await
                    .expect("json");
                body["services"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|s| s["slug"].as_str().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default()
            }
        };
        assert!(search("Netflix").await.contains(&"netflix".to_owned()));
        assert!(search("whats app").await.contains(&"whatsapp".to_owned()));

        let banks: Value = app
            .http
            .get(app.url("/api/v1/services?category=bank&limit=500"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        let banks = banks["services"].as_array().expect("list");
        assert!(banks.len() > 20);
        assert!(banks.iter().all(|s| s["category"] == "bank"));
    }

    async fn bad_list_parameters_name_the_parameter(app) {
        for (query, field) in [
            ("category=nope", "category"),
            ("limit=0", "limit"),
            ("limit=abc", "limit"),
        ] {
            let res = app
                .http
                .get(app.url(&format!("/api/v1/services?{query}")))
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status(), 400, "{query}");
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            let body: Value = res.json().await.expect("json");
            assert_eq!(body["field"], field, "{query}");
        }
    }

    async fn one_service_by_slug_or_a_404_problem(app) {
        let res = app
            .http
            .get(app.url("/api/v1/services/netflix"))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["name"], "Netflix");
        assert!(body["symptoms"].as_array().is_some_and(|s| !s.is_empty()));
        let res = app
            .http
            .get(app.url("/api/v1/services/no-such-thing"))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 404);
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }

    async fn admins_create_and_update_services_and_reports_follow(app) {
        let res = app
            .http
            .post(app.url("/api/v1/services"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&new_service())
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 201);
        assert_eq!(res.headers()["location"], "/api/v1/services/acme-cloud");
        let created: Value = res.json().await.expect("json");
        assert_eq!(created["country"], "IT");
        assert!(created["symptoms"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("api"))));

        let again = app
            .http
            .post(app.url("/api/v1/services"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&new_service())
            .send()
            .await
            .expect("sent");
        assert_eq!(again.status(), 409);

        let mut update = new_service();
        update["name"] = json!("Acme Cloud Platform");
        update["symptoms"] = json!(["api", "login"]);
        let res = app
            .http
            .put(app.url("/api/v1/services/acme-cloud"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&update)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 200);
        let got: Value = app
            .http
            .get(app.url("/api/v1/services/acme-cloud"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        assert_eq!(got["name"], "Acme Cloud Platform");

        let report = app
            .report_from(
                "81.56.1.1",
                &json!({"service": "acme-cloud", "symptoms": ["api"]}),
            )
            .await;
        assert_eq!(report.status(), 202);
        let refused = app
            .report_from(
                "81.56.1.2",
                &json!({"service": "acme-cloud", "symptoms": ["website"]}),
            )
            .await;
        assert_eq!(
            refused.status(),
            400,
            "website is no longer a symptom of acme-cloud"
        );
    }

    async fn service_admin_needs_the_token(app) {
        let none = app
            .http
            .post(app.url("/api/v1/services"))
            .json(&new_service())
            .send()
            .await
            .expect("sent");
        assert_eq!(none.status(), 401);
        assert_eq!(none.headers()["content-type"], "application/problem+json");
        let wrong = app
            .http
            .post(app.url("/api/v1/services"))
            .bearer_auth("not-the-token")
            .json(&new_service())
            .send()
            .await
            .expect("sent");
        assert_eq!(wrong.status(), 401);
        let update = app
            .http
            .put(app.url("/api/v1/services/netflix"))
            .json(&new_service())
            .send()
            .await
            .expect("sent");
        assert_eq!(update.status(), 401);
        assert_eq!(
            app.count("SELECT count(*) AS n FROM services WHERE slug = 'acme-cloud'")
                .await,
            0
        );
    }

    async fn invalid_services_are_refused_field_by_field(app) {
        let cases = [
            ("slug", json!("Bad Slug")),
            ("name", json!("")),
            ("category", json!("nope")),
            ("url", json!("ftp://x")),
            ("country", json!("XX")),
            ("symptoms", json!(["teleportation"])),
            ("aliases", json!([""])),
        ];
        for (field, value) in cases {
            let mut body = new_service();
            body[field] = value;
            let res = app
                .http
                .post(app.url("/api/v1/services"))
                .bearer_auth(ADMIN_TOKEN)
                .json(&body)
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status(), 400, "{field}");
            let problem: Value = res.json().await.expect("json");
            assert_eq!(problem["field"], field);
        }
        assert_eq!(
            app.count("SELECT count(*) AS n FROM services WHERE slug = 'acme-cloud'")
                .await,
            0
        );
    }
}
