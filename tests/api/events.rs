//! Live events over SSE, fed by the detector through the shared event log, with resume.

use std::time::Duration;

use crate::detect::{deployed_a_week_ago, detector, next_minute, spread, surge};
use crate::helpers::{spawn_app, TestApp};

/// Reads the event stream until `until` appears in it (or 10 s pass).
async fn read_until(res: &mut reqwest::Response, until: &str) -> String {
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !text.contains(until) {
        let chunk = tokio::time::timeout_at(deadline, res.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {until:?} within 10 s; got {text:?}"))
            .expect("stream")
            .expect("stream still open");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

async fn connect(app: &TestApp, last_event_id: Option<&str>) -> reqwest::Response {
    let mut req = app.http.get(app.url("/api/v1/events"));
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    let res = req.send().await.expect("connected");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    res
}

#[tokio::test]
async fn incidents_reach_sse_clients_and_a_reconnect_resumes_where_it_left() {
    let app = spawn_app().await;
    deployed_a_week_ago(&app).await;
    let mut live = connect(&app, None).await;
    read_until(&mut live, "retry:").await;
    // Give the hub a moment to be following the log.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut d = detector(&app).await;
    surge(&app, "chatgpt", "login", &spread(40)).await;
    d.tick(next_minute()).await.expect("tick");
    let text = read_until(&mut live, "event: incident-opened").await;
    assert!(text.contains("event: state-changed"), "{text}");
    assert!(text.contains("\"service\":\"chatgpt\""), "{text}");

    // Resume after the state change: the incident is replayed from the log at once.
    let first_id = text
        .lines()
        .find_map(|l| l.strip_prefix("id: "))
        .expect("an event id")
        .to_owned();
    let mut resumed = connect(&app, Some(&first_id)).await;
    let replay = read_until(&mut resumed, "event: incident-opened").await;
    assert!(
        !replay.contains(&format!("id: {first_id}\n")),
        "the acknowledged event is not repeated"
    );
}

#[tokio::test]
async fn bad_event_parameters_are_problems() {
    let app = spawn_app().await;
    let res = app
        .http
        .get(app.url("/api/v1/events"))
        .header("last-event-id", "garbage")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 400);
    let res = app
        .http
        .get(app.url("/api/v1/events?service=nope-nope"))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 400);
}
