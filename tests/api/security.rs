//! Security headers on the pages, and no reporter address in the logs.

use serde_json::json;

use crate::helpers::{spawn_app, LogCapture};

#[tokio::test]
async fn pages_carry_a_strict_csp_and_may_not_be_framed() {
    let app = spawn_app().await;

    for path in ["/", "/s/netflix", "/map"] {
        let res = app.http.get(app.url(path)).send().await.expect("sent");
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        let csp = h["content-security-policy"].to_str().expect("ascii");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("object-src 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
}

#[tokio::test]
async fn the_embeddable_chart_may_be_framed_anywhere() {
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/embed/chart/netflix"))
        .send()
        .await
        .expect("sent");

    assert_eq!(res.status(), 200);
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().expect("ascii");
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(
        !h.contains_key("x-frame-options"),
        "X-Frame-Options would forbid the iframe"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn reporter_addresses_never_reach_the_logs() {
    // Distinctive addresses no other test uses, IPv4 and IPv6.
    let addresses = ["198.18.47.211", "198.18.203.9", "2001:db8:4711:beef::42"];
    let capture = LogCapture::start();
    let app = spawn_app().await;

    for ip in addresses {
        // Accepted, repeated (deduplicated), invalid, unknown service and a form post.
        let ok = app
            .report_from(ip, &json!({"service": "netflix", "symptoms": ["login"]}))
            .await;
        assert_eq!(ok.status(), 202, "{ip}");
        let again = app
            .report_from(ip, &json!({"service": "netflix", "symptoms": ["login"]}))
            .await;
        assert_eq!(again.status(), 202, "{ip}");
        let bad = app
            .report_from(ip, &json!({"service": "netflix", "symptoms": ["nope"]}))
            .await;
        assert_eq!(bad.status(), 400, "{ip}");
        let unknown = app
            .report_from(ip, &json!({"service": "no-such", "symptoms": ["login"]}))
            .await;
        assert_eq!(unknown.status(), 404, "{ip}");
        let form = app
            .http
            .post(app.url("/report"))
            .header("x-forwarded-for", ip)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("service=netflix&symptoms=app")
            .send()
            .await
            .expect("sent");
        assert_eq!(form.status(), 303, "{ip}");
        let read = app
            .http
            .get(app.url("/api/v1/services/netflix"))
            .header("x-forwarded-for", ip)
            .send()
            .await
            .expect("sent");
        assert_eq!(read.status(), 200, "{ip}");
    }

    let logs = capture.text();
    assert!(
        logs.contains("/api/v1/reports"),
        "the capture saw the requests: {logs}"
    );
    for ip in addresses {
        assert!(!logs.contains(ip), "{ip} is in the logs:\n{logs}");
    }
    // Nor in a shortened IPv6 form or as the /64 the gate may key on.
    assert!(!logs.contains("2001:db8:4711"), "{logs}");
}
