//! Pages and hot reads come from the read cache: built once and the same bytes for every
//! reader, yet never older than the detector's last tick plus a second or two, nor older than
//! the cache's max age.

use std::time::{Duration, Instant};

use downwatch::domain::State;
use downwatch::store::ServiceStatus;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Stack, TestApp, TestOptions};

async fn app_keeping_for(stack: Stack, seconds: u64) -> TestApp {
    spawn_app_with(TestOptions {
        stack,
        config: Box::new(move |c| c.read_cache = Duration::from_secs(seconds)),
        ..TestOptions::default()
    })
    .await
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(app.url(path))
        .header("accept-language", "en")
        .send()
        .await
        .expect("sent")
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()["etag"].to_str().expect("ascii").to_owned()
}

/// What the leader does at the end of a tick: Netflix has problems.
async fn tick_with_problems(app: &TestApp) {
    let now = chrono::Utc::now();
    app.stores
        .board
        .publish_statuses(&[ServiceStatus {
            service: "netflix".into(),
            state: State::Problems,
            since: Some(now - chrono::TimeDelta::minutes(3)),
            reports: 480,
            expected: 12.0,
            ratio: 40.0,
            score: 0.99,
            window_minutes: 15,
            at: now,
            open_incidents: vec![],
        }])
        .await
        .expect("published");
}

async fn kept_until_the_next_tick(stack: Stack) {
    let app = app_keeping_for(stack, 30).await;
    // The minute turning also renews every answer: start over if it turned mid-way.
    let mut attempts = 0;
    let (page_tag, status_tag) = loop {
        attempts += 1;
        let minute = chrono::Utc::now().timestamp() / 60;
        let page = get(&app, "/s/netflix").await;
        assert_eq!(page.status(), 200);
        assert_eq!(page.headers()["cache-control"], "public, max-age=30");
        let vary = page.headers()["vary"].to_str().expect("ascii").to_owned();
        assert!(
            vary.contains("Accept-Language") && vary.contains("Cookie"),
            "{vary}"
        );
        let page_tag = etag(&page);
        assert!(page.text().await.expect("body").contains("banner state-ok"));
        let status = get(&app, "/api/v1/services/netflix/status").await;
        let status_tag = etag(&status);
        assert_eq!(status.headers()["cache-control"], "public, max-age=30");

        // Reports arrive between two ticks: readers keep the answers built before them.
        for i in 0..3 {
            let body = json!({"service": "netflix", "symptoms": ["login"]});
            let res = app.report_from(&format!("81.56.2.{i}"), &body).await;
            assert_eq!(res.status(), 202);
        }
        let again = get(&app, "/s/netflix").await;
        let again_tag = etag(&again);
        let cached = app
            .http
            .get(app.url("/s/netflix"))
            .header("accept-language", "en")
            .header("if-none-match", &page_tag)
            .send()
            .await
            .expect("sent");
        if chrono::Utc::now().timestamp() / 60 != minute && attempts < 3 {
            continue;
        }
        assert_eq!(again_tag, page_tag, "the page is built once per tick");
        assert_eq!(cached.status(), 304);
        assert!(cached.bytes().await.expect("body").is_empty());
        break (page_tag, status_tag);
    };

    // The leader ticks: within about a second every reader sees it.
    tick_with_problems(&app).await;
    let ticked = Instant::now();
    loop {
        let page = get(&app, "/s/netflix").await;
        let tag = etag(&page);
        let body = page.text().await.expect("body");
        let status: Value = get(&app, "/api/v1/services/netflix/status")
            .await
            .json()
            .await
            .expect("json");
        if body.contains("banner state-problems") && status["state"] == "problems" {
            assert_ne!(tag, page_tag);
            break;
        }
        assert!(
            ticked.elapsed() < Duration::from_secs(4),
            "still the answers from before the tick after 4 s (status {status})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = get(&app, "/api/v1/services/netflix/status").await;
    assert_ne!(etag(&status), status_tag);
}

#[tokio::test]
async fn answers_are_kept_until_the_next_tick_postgres_redis() {
    kept_until_the_next_tick(Stack::Production).await;
}

#[tokio::test]
async fn answers_are_kept_until_the_next_tick_embedded() {
    kept_until_the_next_tick(Stack::Embedded).await;
}

#[tokio::test]
async fn an_answer_is_never_older_than_the_max_age() {
    let app = app_keeping_for(Stack::Production, 1).await;
    let sum = |v: &Value| -> i64 {
        v["points"]
            .as_array()
            .expect("points")
            .iter()
            .map(|p| p["reports"].as_i64().expect("reports"))
            .sum()
    };
    let path = "/api/v1/services/netflix/series?step=1m";
    let before: Value = get(&app, path).await.json().await.expect("json");
    assert_eq!(sum(&before), 0);
    for i in 0..2 {
        let body = json!({"service": "netflix", "symptoms": ["login"]});
        assert_eq!(
            app.report_from(&format!("81.56.3.{i}"), &body)
                .await
                .status(),
            202
        );
    }
    // No tick: only the max age renews the answer.
    let sent = Instant::now();
    loop {
        let now: Value = get(&app, path).await.json().await.expect("json");
        if sum(&now) == 2 {
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(3),
            "stale after 3 s: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn each_language_and_note_has_its_own_page_and_gzip_is_the_same_page() {
    let app = app_keeping_for(Stack::Production, 30).await;
    let english = get(&app, "/s/netflix").await;
    let italian = app
        .http
        .get(app.url("/s/netflix"))
        .header("accept-language", "it-IT,it;q=0.9")
        .send()
        .await
        .expect("sent");
    assert_ne!(etag(&english), etag(&italian));
    let english = english.text().await.expect("body");
    assert!(english.contains("<html lang=\"en\""));
    assert!(italian
        .text()
        .await
        .expect("body")
        .contains("<html lang=\"it\""));

    // The note after a report is the reader's alone, and only on its own variant.
    let thanks = get(&app, "/s/netflix?reported=thanks").await;
    assert_eq!(thanks.headers()["cache-control"], "private, no-cache");
    let note = "<p class=\"notice ok\" role=\"status\">Thank you";
    assert!(thanks.text().await.expect("body").contains(note));
    assert!(!get(&app, "/s/netflix")
        .await
        .text()
        .await
        .expect("body")
        .contains(note));

    // Gzipped once, for readers that take it: the same page.
    let gzipped = app
        .http
        .get(app.url("/s/netflix"))
        .header("accept-language", "en")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("sent");
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    let bytes = gzipped.bytes().await.expect("body");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
        .expect("gzip");
    assert_eq!(text, english);

    // A search is the reader's own: built for it, never kept.
    let search = get(&app, "/?q=netf").await;
    assert_eq!(search.status(), 200);
    assert!(search.headers().get("etag").is_none());
}
