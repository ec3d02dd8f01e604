//! Hostile clients: a request head dribbled in byte by byte (cut off after the 5 s
//! `REQUEST_HEAD_TIMEOUT`), a huge header, bodies over the cap. Each is cut off or refused, and the server goes on serving everyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{spawn_app, TestApp};

/// What the server sends back on a raw connection before closing it (or `limit` passing).
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let started = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

async fn still_serves(app: &TestApp) {
    let res = app
        .http
        .get(app.url("/api/v1/services/netflix"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(res.status(), 200, "the server goes on serving");
}

#[tokio::test]
async fn a_client_dribbling_its_request_head_is_cut_off() {
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://").to_owned();

    let (answer, elapsed) = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        let mut writer = stream.try_clone().expect("clone");
        // One byte every 250 ms: the head would take a minute to arrive.
        let dribble = std::thread::spawn(move || {
            let head = format!(
                "GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Slow: {}\r\n\r\n",
                "a".repeat(240)
            );
            for byte in head.bytes() {
                if writer.write_all(&[byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(250));
            }
        });
        let result = read_until_closed(&mut stream, Duration::from_secs(9));
        drop(stream);
        let _ = dribble.join();
        result
    })
    .await
    .expect("client thread");

    assert!(
        elapsed < Duration::from_secs(9),
        "the connection was still open after {elapsed:?}"
    );
    assert!(
        elapsed >= Duration::from_secs(3),
        "cut off after {elapsed:?}, before the head timeout"
    );
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "a slow head gets a 408 or nothing: {answer:?}"
    );
    still_serves(&app).await;
}

#[tokio::test]
async fn a_64_kib_header_is_refused_and_the_server_keeps_serving() {
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/api/v1/services/netflix"))
        .header("x-huge", "a".repeat(64 * 1024))
        .send()
        .await
        .expect("an answer");

    assert_eq!(res.status(), 431);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.expect("json");
    assert_eq!(problem["type"], "/problems/headers-too-large");
    still_serves(&app).await;
}

#[tokio::test]
async fn a_body_over_the_cap_gets_413_problem_json() {
    let app = spawn_app().await;
    let body = serde_json::json!({
        "service": "netflix",
        "symptoms": ["login"],
        "region": "a".repeat(8 * 1024),
    });

    let res = app.report_from("81.56.10.20", &body).await;

    assert_eq!(res.status(), 413);
    assert_eq!(
        res.headers()["content-type"],
        "application/problem+json",
        "413 is a problem"
    );
    let problem: Value = res.json().await.expect("json");
    assert_eq!(problem["status"], 413);
    assert_eq!(app.count("SELECT count(*) AS n FROM reports").await, 0);
    still_serves(&app).await;
}

#[tokio::test]
async fn a_chunked_body_over_the_cap_gets_413_without_a_content_length() {
    let app = spawn_app().await;
    let addr = app.address.trim_start_matches("http://").to_owned();

    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(&addr).expect("connect");
        let head = format!(
            "POST /api/v1/reports HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("head");
        let chunk = "a".repeat(1024);
        for _ in 0..16 {
            let sent = write!(stream, "{:x}\r\n{chunk}\r\n", chunk.len());
            if sent.is_err() {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        read_until_closed(&mut stream, Duration::from_secs(10)).0
    })
    .await
    .expect("client thread");

    assert!(answer.starts_with("HTTP/1.1 413"), "answer: {answer:?}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "answer: {answer:?}"
    );
    still_serves(&app).await;
}
