//! `GET /metrics`: Prometheus text with requests, report outcomes and group commits.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn metrics_count_requests_reports_and_batches() {
    let app = spawn_app().await;
    let ok = app
        .report_from(
            "81.56.3.3",
            &json!({"service": "netflix", "symptoms": ["login"]}),
        )
        .await;
    assert_eq!(ok.status(), 202);
    let bad = app
        .report_from(
            "81.56.3.4",
            &json!({"service": "netflix", "symptoms": ["atm"]}),
        )
        .await;
    assert_eq!(bad.status(), 400);

    let res = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/plain"));
    let text = res.text().await.expect("text");
    for needle in [
        "downwatch_http_requests_total{method=\"POST\",route=\"/api/v1/reports\",status=\"202\"}",
        "downwatch_http_requests_total{method=\"POST\",route=\"/api/v1/reports\",status=\"400\"}",
        "downwatch_http_request_duration_seconds_bucket{route=\"/api/v1/reports\"",
        "downwatch_reports_total{outcome=\"counted\"}",
        "downwatch_reports_total{outcome=\"invalid\"}",
        "downwatch_ingest_batch_size_bucket",
        "downwatch_ingest_commit_seconds_count",
        "downwatch_ingest_queue_depth",
    ] {
        assert!(text.contains(needle), "missing {needle}");
    }
    assert!(!text.contains("81.56.3.3"), "no address in metrics");
}
