//! The journalists' read API over data that came through the ingestion path and the detector.

use std::collections::HashSet;

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

use downwatch::domain::{Scope, Severity};
use downwatch::store::postgres::detector::PgLeader;
use downwatch::store::{DetectorStore, IncidentFilter, IncidentTick, StoreError};

use crate::detect::{deployed_a_week_ago, detector, spread, surge, sustained_ticks};
use crate::helpers::{spawn_app, TestApp};

async fn get(app: &TestApp, path: &str) -> (u16, Value) {
    let res = app.http.get(app.url(path)).send().await.expect("sent");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn get_text(app: &TestApp, path: &str, accept: &str) -> (u16, String, String) {
    let res = app
        .http
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .expect("sent");
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, kind, res.text().await.expect("text"))
}

/// Three services with an open incident each.
async fn three_incidents(app: &TestApp) {
    deployed_a_week_ago(app).await;
    let mut d = detector(app).await;
    for (service, symptom) in [
        ("chatgpt", "login"),
        ("netflix", "login"),
        ("discord", "messaging"),
    ] {
        surge(app, service, symptom, &spread(40)).await;
    }
    let report = sustained_ticks(&mut d).await;
    assert_eq!(report.opened.len(), 3, "{report:?}");
}

crate::both_stacks! {
    async fn status_says_ok_before_and_problems_during_a_surge(app) {
        let (code, before) = get(app, "/api/v1/services/chatgpt/status").await;
        assert_eq!(code, 200);
        assert_eq!(before["state"], "ok");
        assert_eq!(before["reports"], 0);
        assert_eq!(before["open_incidents"], serde_json::json!([]));

        three_incidents(app).await;
        let (_, during) = get(app, "/api/v1/services/chatgpt/status").await;
        assert_eq!(during["state"], "problems");
        assert_eq!(during["reports"], 40);
        assert!(during["expected"].as_f64().is_some_and(|e| e < 5.0));
        let url = during["open_incidents"][0]["url"]
            .as_str()
            .expect("incident url");
        let (code, detail) = get(app, url).await;
        assert_eq!(code, 200);
        assert_eq!(detail["incident"]["service"], "chatgpt");

        let (code, _) = get(app, "/api/v1/services/no-such-service/status").await;
        assert_eq!(code, 404);
    }

    async fn trending_puts_services_in_trouble_first_in_json_and_csv(app) {
        three_incidents(app).await;
        let (code, body) = get(app, "/api/v1/trending").await;
        assert_eq!(code, 200);
        let services = body["services"].as_array().expect("list");
        assert_eq!(services.len(), 3);
        assert!(services
            .iter()
            .all(|s| s["state"] == "problems" && s["reports"] == 40));

        let (code, kind, csv) = get_text(app, "/api/v1/trending", "text/csv").await;
        assert_eq!(code, 200);
        assert!(kind.starts_with("text/csv"));
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("service,name,category,state,reports,expected,ratio,score,as_of")
        );
        assert_eq!(lines.count(), 3);
    }

    async fn incidents_are_listed_newest_first_with_stable_cursor_pages(app) {
        three_incidents(app).await;
        let (code, first) = get(app, "/api/v1/incidents?limit=2").await;
        assert_eq!(code, 200);
        let page1 = first["incidents"].as_array().expect("list").clone();
        assert_eq!(page1.len(), 2);
        let cursor = first["next_cursor"].as_str().expect("a next page");
        let (_, second) = get(app, &format!("/api/v1/incidents?limit=2&cursor={cursor}")).await;
        let page2 = second["incidents"].as_array().expect("list").clone();
        assert_eq!(page2.len(), 1);
        assert!(second["next_cursor"].is_null());
        let ids: HashSet<i64> = page1
            .iter()
            .chain(&page2)
            .filter_map(|i| i["id"].as_i64())
            .collect();
        assert_eq!(ids.len(), 3, "no incident twice, none missing");

        let (_, netflix) = get(app, "/api/v1/incidents?service=netflix&status=open").await;
        assert_eq!(netflix["incidents"].as_array().map(Vec::len), Some(1));
        let (_, resolved) = get(app, "/api/v1/incidents?status=resolved").await;
        assert_eq!(resolved["incidents"].as_array().map(Vec::len), Some(0));
        let (_, italy) = get(app, "/api/v1/incidents?country=it").await;
        assert_eq!(
            italy["incidents"].as_array().map(Vec::len),
            Some(0),
            "these are global"
        );

        let (code, kind, csv) = get_text(app, "/api/v1/incidents?format=csv", "*/*").await;
        assert_eq!(code, 200);
        assert!(kind.starts_with("text/csv"));
        assert!(csv.starts_with("id,service,scope,status,severity,started_at"));
        assert_eq!(csv.lines().count(), 4);
        let (_, _, empty) = get_text(app, "/api/v1/incidents?status=resolved&format=csv", "*/*").await;
        assert_eq!(
            empty.lines().count(),
            1,
            "an empty CSV still has its header"
        );
    }

    async fn an_incident_has_its_evidence_timeline_and_methodology(app) {
        three_incidents(app).await;
        let (_, list) = get(app, "/api/v1/incidents?service=discord").await;
        let id = list["incidents"][0]["id"].as_i64().expect("id");
        let (code, body) = get(app, &format!("/api/v1/incidents/{id}")).await;
        assert_eq!(code, 200);
        let incident = &body["incident"];
        assert_eq!(incident["methodology"], "dw-detect-2");
        assert_eq!(incident["evidence"]["top_symptoms"][0]["key"], "messaging");
        assert!(incident["peak_reports"].as_f64().is_some_and(|r| r > 30.0));
        assert_eq!(body["timeline"][0]["kind"], "opened");
        assert_eq!(body["service_name"], "Discord");
        let (code, kind, csv) =
            get_text(app, &format!("/api/v1/incidents/{id}?format=csv"), "*/*").await;
        assert_eq!(code, 200, "{csv}");
        assert!(kind.starts_with("text/csv"));
        assert!(csv.starts_with("at,kind,state,reports,expected,score"));
    }

    async fn bad_read_parameters_are_problems_naming_the_parameter(app) {
        for (path, status, field) in [
            ("/api/v1/incidents?status=bogus", 400, "status"),
            ("/api/v1/incidents?country=XX", 400, "country"),
            (
                "/api/v1/incidents?from=2026-11-27&to=2026-11-26",
                400,
                "from",
            ),
            ("/api/v1/incidents?from=yesterday", 400, "from"),
            ("/api/v1/incidents?cursor=nonsense", 400, "cursor"),
            ("/api/v1/incidents?limit=0", 400, "limit"),
            ("/api/v1/incidents?service=nope-nope", 400, "service"),
            ("/api/v1/incidents?format=xml", 400, "format"),
            ("/api/v1/incidents?colour=red", 400, "colour"),
            ("/api/v1/incidents/abc", 400, "id"),
            ("/api/v1/trending?limit=1000", 400, "limit"),
        ] {
            let res = app.http.get(app.url(path)).send().await.expect("sent");
            assert_eq!(res.status().as_u16(), status, "{path}");
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{path}"
            );
            let body: Value = res.json().await.expect("json");
            assert_eq!(body["field"], field, "{path}");
        }
        let (code, _) = get(app, "/api/v1/incidents/999999").await;
        assert_eq!(code, 404);
    }
}

#[tokio::test]
async fn a_query_parameter_without_a_name_is_blamed_on_the_query() {
    let app = spawn_app().await;

    // Found by the property tests: `=` is an unknown parameter called "", and the problem
    // named an empty field.
    for path in [
        "/api/v1/services?=",
        "/api/v1/incidents?=1",
        "/api/v1/services/netflix/series?=",
    ] {
        let (status, body) = get(&app, path).await;

        assert_eq!(status, 400, "{path}");
        assert_eq!(body["field"], "query", "{path}: {body}");
    }
}

#[tokio::test]
async fn a_stored_word_the_types_do_not_know_is_a_clean_error_not_a_panic() {
    let app = spawn_app().await;
    let mut leader = PgLeader::try_acquire(&app.database_url)
        .await
        .expect("campaign")
        .expect("leader");
    let tick = IncidentTick {
        service: "netflix".into(),
        scope: Scope::Global,
        severity: Severity::Problems,
        at: Utc::now(),
        observed: 12.0,
        expected: 1.5,
        score: 0.9,
        evidence: json!({}),
    };
    let id = leader
        .open_incident(&tick, "dw-detect-2")
        .await
        .expect("open")
        .id;
    let (code, _) = get(&app, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(code, 200);

    // Written by something else than this version of Downwatch.
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .expect("connect");
    diesel::sql_query("UPDATE incidents SET scope = 'Atlantis'")
        .execute(&mut conn)
        .await
        .expect("corrupted");
    let err = app
        .stores
        .incidents
        .list_incidents(&IncidentFilter {
            limit: 10,
            ..IncidentFilter::default()
        })
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            StoreError::Failed {
                store: "postgres",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("incidents.scope: unknown scope \"Atlantis\""),
        "{err}"
    );
    let (code, body) = get(&app, "/api/v1/incidents").await;
    assert_eq!(code, 500, "{body}");
    assert!(!body.to_string().contains("Atlantis"), "opaque: {body}");
}
