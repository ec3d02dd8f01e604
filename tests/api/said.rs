//! What people saw: a report's platform is counted and shown; its message becomes a phrase
//! that is published only once k distinct reporters sent it, and never a person's own words.

use serde_json::{json, Value};

use crate::helpers::{LogCapture, TestApp};

/// A report of ChatGPT from the reporter at `ip` (each address is another reporter).
async fn report(app: &TestApp, ip: &str, extra: Value) -> Value {
    let mut body = json!({"service": "chatgpt", "symptoms": ["login"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let res = app.report_from(ip, &body).await;
    assert_eq!(res.status(), 202, "{body}");
    res.json().await.expect("ack")
}

async fn phrases(app: &TestApp, service: &str) -> Value {
    let res = app
        .http
        .get(app.url(&format!("/api/v1/services/{service}/phrases?window=1h")))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

async fn page(app: &TestApp, path: &str) -> String {
    let res = app.http.get(app.url(path)).send().await.expect("sent");
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.expect("html")
}

crate::both_stacks! {
    async fn a_platform_is_acknowledged_counted_and_broken_down(app) {
        let ack = report(app, "81.2.69.1", json!({"platform": "ios"})).await;
        assert_eq!(ack["platform"], "ios");
        report(app, "81.2.69.2", json!({"platform": "IOS"})).await;
        report(app, "81.2.69.3", json!({"platform": "web"})).await;
        let none = report(app, "81.2.69.4", json!({})).await;
        assert!(none["platform"].is_null());

        let res = app
            .http
            .get(app.url("/api/v1/services/chatgpt/breakdown?by=platform&window=1h"))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 200);
        let breakdown: Value = res.json().await.expect("json");
        assert_eq!(breakdown["by"], "platform");
        assert_eq!(breakdown["reports"], 4);
        assert_eq!(breakdown["breakdown"][0]["key"], "ios");
        assert_eq!(breakdown["breakdown"][0]["reports"], 2);
        assert_eq!(breakdown["breakdown"][1]["key"], "web");

        let html = page(app, "/s/chatgpt").await;
        assert!(html.contains("iPhone/iPad app"), "the platform is shown");
        assert!(html.contains(r#"name="platform" value="smart-tv""#), "the form offers it");
    }

    async fn a_phrase_surfaces_only_once_k_reporters_sent_it_and_a_phone_number_never(app) {
        let capture = LogCapture::start();
        let variants = [
            "Something went wrong",
            "something went wrong.",
            "\"Something went wrong!\"",
            "SOMETHING WENT WRONG",
        ];
        for (i, text) in variants.iter().enumerate() {
            report(app, &format!("81.2.69.{}", 10 + i), json!({"message": text})).await;
        }
        // One person's own words, a phone number and an e-mail address.
        report(app, "81.2.69.20", json!({"message": "Call Giulia at +39 333 123 4567"})).await;
        report(app, "81.2.69.21", json!({"message": "my cat walked on the keyboard"})).await;
        report(app, "81.2.69.22", json!({"message": "mail mario.rossi@example.com"})).await;

        let below = phrases(app, "chatgpt").await;
        assert_eq!(below["min_reporters"], 5);
        assert_eq!(below["reporters"], 7);
        assert_eq!(below["phrases"], json!([]), "four reporters are not enough");

        // The fifth reporter: now it is many people's words (once the answer kept for a few
        // seconds, for pages read by many at once, is renewed).
        report(app, "81.2.69.30", json!({"message": "Something went wrong"})).await;
        tokio::time::sleep(downwatch::read::phrases::PHRASE_TTL).await;
        let found = phrases(app, "chatgpt").await;
        assert_eq!(found["phrases"].as_array().map(Vec::len), Some(1), "{found}");
        assert_eq!(found["phrases"][0]["phrase"], "something went wrong");
        assert_eq!(found["phrases"][0]["reporters"], 5);
        assert_eq!(found["phrases"][0]["share"], 0.625);

        let html = page(app, "/s/chatgpt").await;
        assert!(html.contains("something went wrong"), "shown on the service page");
        let csv = app
            .http
            .get(app.url("/api/v1/services/chatgpt/phrases?format=csv"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("csv");
        assert_eq!(csv.lines().next(), Some("phrase,reporters,share"));

        // Nothing of the rare messages anywhere: not in answers, pages, the store or the logs.
        let stored = app
            .count("SELECT count(*) AS n FROM reports WHERE phrase IS NOT NULL")
            .await;
        assert_eq!(stored, 8);
        for leak in ["333 123", "+39", "giulia", "Giulia", "keyboard", "mario", "rossi@"] {
            assert!(!found.to_string().contains(leak), "{leak} in the API");
            assert!(!html.contains(leak), "{leak} on the page");
            assert!(!capture.text().contains(leak), "{leak} logged");
        }
        let raw = app
            .count("SELECT count(*) AS n FROM reports WHERE phrase LIKE '%333%' OR phrase LIKE '%@%' OR phrase <> lower(phrase)")
            .await;
        assert_eq!(raw, 0, "only normalised phrases are stored");
        assert!(!capture.text().contains("went wrong"), "messages are never logged");
        // Other services see none of it.
        assert_eq!(phrases(app, "claude").await["reporters"], 0);
    }

    async fn bad_platforms_and_messages_are_problems_naming_them_and_change_nothing(app) {
        let json_cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("unknown platform", br#"{"service":"chatgpt","symptoms":["login"],"platform":"ipad"}"#.to_vec(), "platform"),
            ("platform not a string", br#"{"service":"chatgpt","symptoms":["login"],"platform":3}"#.to_vec(), "platform"),
            ("message too long", format!(r#"{{"service":"chatgpt","symptoms":["login"],"message":"{}"}}"#, "x".repeat(81)).into_bytes(), "message"),
            ("escaped control character", br#"{"service":"chatgpt","symptoms":["login"],"message":"bell\u0007"}"#.to_vec(), "message"),
            ("raw control character", b"{\"service\":\"chatgpt\",\"symptoms\":[\"login\"],\"message\":\"two\x01\"}".to_vec(), "message"),
            ("lone surrogate", br#"{"service":"chatgpt","symptoms":["login"],"message":"\ud800"}"#.to_vec(), "message"),
            ("invalid UTF-8", b"{\"service\":\"chatgpt\",\"symptoms\":[\"login\"],\"message\":\"bad \xff\xfe\"}".to_vec(), "message"),
            ("message not a string", br#"{"service":"chatgpt","symptoms":["login"],"message":["a"]}"#.to_vec(), "message"),
        ];
        for (name, body, field) in json_cases {
            let res = app
                .http
                .post(app.url("/api/v1/reports"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status(), 400, "{name}");
            assert_eq!(res.headers()["content-type"], "application/problem+json", "{name}");
            let problem: Value = res.json().await.expect("problem");
            assert_eq!(problem["field"], field, "{name}: {problem}");
        }
        for (body, field) in [
            ("service=chatgpt&symptoms=login&platform=ipad", "platform"),
            ("service=chatgpt&symptoms=login&message=bad%FF", "message"),
            ("service=chatgpt&symptoms=login&message=a%0Ab", "message"),
        ] {
            let res = app
                .http
                .post(app.url("/report"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("sent");
            assert_eq!(res.status(), 400, "{body}");
            let problem: Value = res.json().await.expect("problem");
            assert_eq!(problem["field"], field, "{body}");
        }
        assert_eq!(app.count("SELECT count(*) AS n FROM reports").await, 0);
        assert_eq!(app.recent_sum(Some("chatgpt"), "total").await, 0);
    }

    async fn the_form_sends_platform_and_message(app) {
        let res = app
            .http
            .post(app.url("/report"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", "81.2.69.40")
            .body("service=chatgpt&symptoms=login&platform=android&message=Error+503")
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 303);
        assert_eq!(app.recent_sum(Some("chatgpt"), "pf:android").await, 1);
        assert_eq!(
            app.count("SELECT count(*) AS n FROM reports WHERE phrase = 'error #'").await,
            1
        );
        // A browser without JavaScript is sent back to the page with a word about it.
        let refused = app
            .http
            .post(app.url("/report"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .header("x-forwarded-for", "81.2.69.41")
            .body(format!("service=chatgpt&symptoms=login&message={}", "x".repeat(81)))
            .send()
            .await
            .expect("sent");
        assert_eq!(refused.status(), 303);
        assert_eq!(refused.headers()["location"], "/s/chatgpt?reported=message");
        let html = page(app, "/s/chatgpt?reported=message&lang=de").await;
        assert!(html.contains("Bildschirmtext auf 80 Zeichen"), "told in German");
    }
}
