//! Bad input gets a clear problem naming the field, and changes nothing anywhere.

use serde_json::Value;

use crate::geoip_fixture::MILAN_V4;
use crate::helpers::{spawn_app, TestApp};

struct Case {
    name: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
    status: u16,
    kind: &'static str,
    field: &'static str,
}

fn json_case(
    name: &'static str,
    body: &str,
    status: u16,
    kind: &'static str,
    field: &'static str,
) -> Case {
    Case {
        name,
        content_type: "application/json",
        body: body.as_bytes().to_vec(),
        status,
        kind,
        field,
    }
}

fn cases() -> Vec<Case> {
    let mut cases = vec![
        json_case(
            "unknown service",
            r#"{"service":"no-such-service","symptoms":["login"]}"#,
            404,
            "not-found",
            "",
        ),
        json_case(
            "malformed slug",
            r#"{"service":"Not A Slug","symptoms":["login"]}"#,
            400,
            "invalid-request",
            "service",
        ),
        json_case(
            "unknown symptom",
            r#"{"service":"netflix","symptoms":["teleportation"]}"#,
            400,
            "invalid-request",
            "symptoms",
        ),
        json_case(
            "symptom not allowed for the service",
            r#"{"service":"netflix","symptoms":["atm"]}"#,
            400,
            "invalid-request",
            "symptoms",
        ),
        json_case(
            "too many symptoms",
            r#"{"service":"netflix","symptoms":["login","app","website","tv"]}"#,
            400,
            "invalid-request",
            "symptoms",
        ),
        json_case(
            "no symptoms",
            r#"{"service":"netflix","symptoms":[]}"#,
            400,
            "invalid-request",
            "symptoms",
        ),
        json_case(
            "symptoms not a list",
            r#"{"service":"netflix","symptoms":"login"}"#,
            400,
            "invalid-request",
            "symptoms",
        ),
        json_case(
            "symptom not a string",
            r#"{"service":"netflix","symptoms":[7]}"#,
            400,
            "invalid-request",
            "symptoms[0]",
        ),
        json_case(
            "malformed region",
            r#"{"service":"netflix","symptoms":["login"],"region":"Italy"}"#,
            400,
            "invalid-request",
            "region",
        ),
        json_case(
            "unknown country",
            r#"{"service":"netflix","symptoms":["login"],"region":"XX"}"#,
            400,
            "invalid-request",
            "region",
        ),
        json_case(
            "malformed subdivision",
            r#"{"service":"netflix","symptoms":["login"],"region":"IT-LONG"}"#,
            400,
            "invalid-request",
            "region",
        ),
        json_case(
            "missing service",
            r#"{"symptoms":["login"]}"#,
            400,
            "invalid-request",
            "service",
        ),
        json_case(
            "unknown field",
            r#"{"service":"netflix","symptoms":["login"],"user":"me"}"#,
            400,
            "invalid-request",
            "user",
        ),
        json_case(
            "not JSON",
            r#"{"service": netflix"#,
            400,
            "invalid-request",
            "body",
        ),
        json_case(
            "JSON but not an object",
            "[1,2]",
            400,
            "invalid-request",
            "body",
        ),
        Case {
            name: "wrong content type",
            content_type: "text/plain",
            body: br#"{"service":"netflix","symptoms":["login"]}"#.to_vec(),
            status: 415,
            kind: "unsupported-media-type",
            field: "content-type",
        },
        Case {
            name: "invalid UTF-8",
            content_type: "application/json",
            body: b"{\"service\":\"netfl\xff\xfeix\",\"symptoms\":[\"login\"]}".to_vec(),
            status: 400,
            kind: "invalid-request",
            // The bytes that are not UTF-8 are in the service's slug.
            field: "service",
        },
    ];
    let mut huge = br#"{"service":"netflix","symptoms":["login"],"region":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'A', 5000));
    huge.extend(br#""}"#);
    cases.push(Case {
        name: "oversized body",
        content_type: "application/json",
        body: huge,
        status: 413,
        kind: "payload-too-large",
        field: "body",
    });
    cases
}

async fn assert_nothing_changed(app: &TestApp) {
    assert_eq!(app.count("SELECT count(*) AS n FROM reports").await, 0);
    // The reconciler's "buckets filled" marker is written at start, not by a request.
    let mut keys = app.redis_dump();
    keys.retain(|k, _| !k.ends_with("dw:filled"));
    assert!(
        keys.is_empty(),
        "Redis changed: {:?}",
        keys.keys().collect::<Vec<_>>()
    );
}

crate::both_stacks! {
    async fn every_malformed_report_is_a_problem_naming_its_field_and_changes_nothing(app) {
        for case in cases() {
            let res = app
                .http
                .post(app.url("/api/v1/reports"))
                .header("x-forwarded-for", MILAN_V4)
                .header("content-type", case.content_type)
                .body(case.body)
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status().as_u16(), case.status, "{}", case.name);
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{}",
                case.name
            );
            let problem: Value = res.json().await.expect("problem json");
            assert_eq!(
                problem["type"],
                format!("/problems/{}", case.kind),
                "{}",
                case.name
            );
            assert_eq!(problem["status"], case.status, "{}", case.name);
            assert!(
                problem["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "{}",
                case.name
            );
            if case.field.is_empty() {
                assert!(problem.get("field").is_none(), "{}", case.name);
            } else {
                assert_eq!(problem["field"], case.field, "{}: {problem}", case.name);
            }
        }
        assert_nothing_changed(app).await;
    }

    async fn malformed_form_reports_are_problems_too(app) {
        for (body, status, field) in [
            ("service=netflix", 400, Some("symptoms")),
            (
                "service=netflix&symptoms=login&region=Narnia",
                400,
                Some("region"),
            ),
            ("service=nope-nope&symptoms=login", 404, None),
        ] {
            let res = app
                .http
                .post(app.url("/report"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status().as_u16(), status, "{body}");
            let problem: Value = res.json().await.expect("json");
            if let Some(field) = field {
                assert_eq!(problem["field"], field, "{body}");
            }
        }
        let json_to_form = app
            .http
            .post(app.url("/report"))
            .json(&serde_json::json!({"service": "netflix", "symptoms": ["login"]}))
            .send()
            .await
            .expect("sent");
        assert_eq!(json_to_form.status(), 415);
        assert_nothing_changed(app).await;
    }
}

#[tokio::test]
async fn a_json_key_without_a_name_is_blamed_on_the_body() {
    let app = spawn_app().await;

    let res = app
        .report_from(
            "81.56.10.20",
            &serde_json::json!({"service": "netflix", "symptoms": ["login"], "": 1}),
        )
        .await;

    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["field"], "body", "{body}");
}
