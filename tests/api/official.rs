//! Official status next to the crowd, against a fake status server on loopback
//! (`official_fake`): what the poller stores from every format and every failure, what the
//! API and the pages show, how a Downwatch incident is linked with its lead time, and that a
//! broken source never stops reports or the detector. Both stacks; nothing leaves 127.0.0.1.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use downwatch::catalog::{CatalogCache, StatusKind, StatusSource};
use downwatch::corroborate::poll::Poller;
use downwatch::corroborate::PollSettings;
use downwatch::domain::{Scope, Severity, State};
use downwatch::official::{OfficialState, Stage};
use downwatch::store::{IncidentTick, LiveEventKind, OfficialFilter, ServiceStatus};

use crate::helpers::{TestApp, ADMIN_TOKEN};
use crate::official_fake::{FakeStatus, STAGES};

/// The seed services whose sources point at the fake, with the path and kind each gets.
const SOURCES: &[(&str, &str, StatusKind)] = &[
    ("github", "/sp/api/v2/summary.json", StatusKind::Statuspage),
    (
        "cloudflare",
        "/ok/api/v2/summary.json",
        StatusKind::Statuspage,
    ),
    (
        "discord",
        "/slow/api/v2/summary.json",
        StatusKind::Statuspage,
    ),
    (
        "reddit",
        "/fail/api/v2/summary.json",
        StatusKind::Statuspage,
    ),
    (
        "zoom",
        "/garbage/api/v2/summary.json",
        StatusKind::Statuspage,
    ),
    (
        "atlassian",
        "/moved/api/v2/summary.json",
        StatusKind::Statuspage,
    ),
    ("dropbox", "/huge.json", StatusKind::Gcp),
    ("aws", "/aws.rss", StatusKind::Feed),
    ("google-cloud", "/gcp.json", StatusKind::Gcp),
    ("twilio", "/instatus.json", StatusKind::Instatus),
];

/// A poller over the app's stores whose catalog sends every source to the fake (and no
/// other service has one: nothing is polled beyond loopback).
async fn poller(app: &TestApp, fake: &FakeStatus) -> Poller {
    let mut services = app.stores.catalog.list_services().await.expect("catalog");
    for s in &mut services {
        s.official_status =
            SOURCES
                .iter()
                .find(|(slug, _, _)| *slug == s.slug)
                .map(|(_, path, kind)| StatusSource {
                    kind: *kind,
                    url: fake.url(path),
                });
    }
    let catalog = Arc::new(CatalogCache::default());
    catalog.replace(services);
    let settings = PollSettings {
        enabled: true,
        every: Duration::from_secs(60),
        timeout: Duration::from_secs(1),
        max_bytes: 256 << 10,
        allow_private: true,
    };
    Poller::new(
        settings,
        catalog,
        app.stores.official.clone(),
        app.stores.incidents.clone(),
        app.stores.board.clone(),
    )
    .expect("poller")
}

/// Downwatch's incident of `service`: "problems" from `onset`.
async fn crowd_incident(app: &TestApp, service: &str, onset: DateTime<Utc>) -> i64 {
    let mut leader = app
        .stores
        .election
        .campaign()
        .await
        .expect("campaign")
        .expect("leader");
    let tick = IncidentTick {
        service: service.into(),
        scope: Scope::Global,
        severity: Severity::Problems,
        at: onset,
        observed: 40.0,
        expected: 3.0,
        score: 0.99,
        evidence: json!({"observed": 40.0}),
    };
    leader
        .open_incident(&tick, "dw-detect-2")
        .await
        .expect("open")
        .id
}

async fn get_json(app: &TestApp, path: &str) -> Value {
    let res = app.http.get(app.url(path)).send().await.expect("sent");
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.expect("json")
}

async fn page(app: &TestApp, path: &str) -> String {
    let res = app
        .http
        .get(app.url(path))
        .header("accept-language", "en")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.expect("body")
}

/// Second-precision now, so that stored times compare exactly.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("now")
}

crate::both_stacks! {
    async fn official_status_is_polled_stored_shown_and_linked_and_broken_sources_harm_nothing(app) {
        let t0 = now();
        // The crowd saw it at t0 − 18 min; the company first posted at t0 − 10 min.
        let onset = t0 - TimeDelta::minutes(18);
        let fake = FakeStatus::start(t0 - TimeDelta::minutes(10));
        let incident = crowd_incident(app, "github", onset).await;
        let mut poller = poller(app, &fake).await;

        assert_eq!(poller.round(t0).await, SOURCES.len());
        let official = app.stores.official.clone();
        let health = |slug: &'static str| {
            let official = official.clone();
            async move { official.get_source(slug).await.expect("get").expect(slug) }
        };
        // Good sources of every format.
        for slug in ["github", "cloudflare", "aws", "google-cloud", "twilio"] {
            let h = health(slug).await;
            assert_eq!(h.unavailable_since, None, "{slug}: {:?}", h.error);
            assert_eq!(h.ok_at, Some(t0), "{slug}");
        }
        assert!(health("cloudflare").await.components.iter().any(|c| c.name == "CDN"), "UTF-16 read");
        // Every failure is "unavailable since", with its reason.
        for (slug, words) in [
            ("discord", "timed out"),
            ("reddit", "HTTP 500"),
            ("zoom", "JSON"),
            ("atlassian", "redirect"),
            ("dropbox", "larger than"),
        ] {
            let h = health(slug).await;
            assert_eq!(h.unavailable_since, Some(t0), "{slug}");
            let error = h.error.unwrap_or_default();
            assert!(error.contains(words), "{slug}: {error}");
        }
        assert_eq!(fake.answered("/moved/api/v2/summary.json", 302), 1, "asked once, not followed");

        // Stored, linked and shown: investigating, 8 minutes after the crowd.
        let view = get_json(app, "/api/v1/services/github/official").await;
        assert_eq!(view["state"], "issues", "{view}");
        assert_eq!(view["lead_minutes"], 8, "{view}");
        assert_eq!(view["open_incidents"][0]["stage"], "investigating");
        assert_eq!(view["record"]["crowd_incidents"], 1);
        assert_eq!(view["record"]["acknowledged"], 1);
        assert_eq!(view["record"]["median_lead_minutes"], 8.0);
        let body = page(app, "/s/github").await;
        assert!(body.contains("status page:"), "{body}");
        assert!(body.contains("<strong>Partial outage</strong> — Actions"), "{body}");
        assert!(body.contains("8 minutes after reports rose"), "{body}");
        let body = page(app, "/s/discord").await;
        assert!(body.contains("Official status unavailable since"), "{body}");
        let failing = get_json(app, "/api/v1/services/reddit/official").await;
        assert_eq!(failing["state"], "unavailable");
        assert!(failing["unavailable_since"].is_string());
        let none = get_json(app, "/api/v1/services/netflix/official").await;
        assert_eq!(none["state"], "no_source");

        // Unchanged: the poller asks with the ETag and is told 304.
        let mut t = t0;
        t += TimeDelta::minutes(3);
        poller.round(t).await;
        assert!(fake.answered("/sp/api/v2/summary.json", 304) >= 1);
        assert_eq!(health("github").await.ok_at, Some(t));

        // Identified → monitoring → resolved.
        for stage in 1..STAGES.len() {
            fake.fake.stage.store(stage, Ordering::SeqCst);
            t += TimeDelta::minutes(3);
            poller.round(t).await;
        }
        let stored = app
            .stores
            .official
            .list_official(&OfficialFilter {
                service: Some("github".into()),
                since: None,
                limit: 10,
            })
            .await
            .expect("list");
        assert_eq!(stored.len(), 1);
        let stages: Vec<Stage> = stored[0].updates.iter().map(|u| u.stage).collect();
        assert_eq!(
            stages,
            [Stage::Investigating, Stage::Identified, Stage::Monitoring, Stage::Resolved]
        );
        assert_eq!(stored[0].first_posted_at, t0 - TimeDelta::minutes(10));
        assert_eq!(stored[0].resolved_at, Some(t0 + TimeDelta::minutes(5)));
        let changes = app
            .stores
            .official
            .list_component_changes("github", t0 - TimeDelta::hours(1))
            .await
            .expect("changes");
        let actions: Vec<String> = changes
            .iter()
            .filter(|c| c.component == "Actions")
            .map(|c| c.status.to_string())
            .collect();
        assert_eq!(actions, ["partial_outage", "degraded_performance", "operational"]);
        let view = get_json(app, "/api/v1/services/github/official").await;
        assert_eq!(view["state"], "operational", "{view}");
        // Each change of what the official page says was a live event (SSE).
        let events = app
            .stores
            .board
            .events_after(None, Duration::ZERO)
            .await
            .expect("events");
        let github: Vec<String> = events
            .iter()
            .filter(|e| e.event.service == "github" && e.event.kind == LiveEventKind::OfficialChanged)
            .filter_map(|e| e.event.official.map(|o| format!("{o:?}")))
            .collect();
        assert_eq!(github, ["Issues", "Operational"], "{events:?}");
        assert!(events.iter().any(|e| e.event.service == "discord"
            && e.event.official == Some(OfficialState::Unavailable)));
        // The incident page: both timelines, the official posts marked on the chart.
        let body = page(app, &format!("/incidents/{incident}")).await;
        let official = body.split("id=\"official-timeline\"").nth(1).unwrap_or_default();
        assert!(official.contains("status page said"), "{body}");
        assert!(official.contains("first posted 8 minutes after reports rose."), "{body}");
        for stage in ["Investigating", "Identified", "Monitoring", "Resolved"] {
            assert!(official.contains(&format!("<td>{stage}</td>")), "{stage}: {body}");
        }
        assert!(body.contains("data-marks=\""), "{body}");

        // Lead times, JSON and CSV; official incidents as CSV.
        let leads = get_json(app, "/api/v1/official/lead-times?service=github").await;
        assert_eq!(leads["lead_times"][0]["incident_id"], incident);
        assert_eq!(leads["lead_times"][0]["lead_minutes"], 8);
        let csv = app
            .http
            .get(app.url("/api/v1/official/lead-times?format=csv"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("body");
        assert!(csv.starts_with("incident_id,service,onset_at"), "{csv}");
        assert!(csv.contains(",8,/api/v1/incidents/"), "{csv}");
        let csv = app
            .http
            .get(app.url("/api/v1/services/github/official/incidents?format=csv"))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("body");
        assert!(csv.contains("Degraded performance for Actions,minor,resolved"), "{csv}");

        // Home: problems the official page does not admit.
        app.stores
            .board
            .publish_statuses(&[ServiceStatus {
                service: "cloudflare".into(),
                state: State::Problems,
                since: Some(t0),
                reports: 40,
                expected: 3.0,
                ratio: 13.0,
                score: 0.99,
                window_minutes: 5,
                at: Utc::now(),
                open_incidents: Vec::new(),
            }])
            .await
            .expect("publish");
        let body = page(app, "/").await;
        let section = body.split("id=\"unacknowledged\"").nth(1).unwrap_or_default();
        assert!(section.contains("href=\"/s/cloudflare\""), "{body}");

        // The broken sources broke nothing: reports are still taken.
        let res = app
            .report_from("10.9.0.1", &json!({"service": "discord", "symptoms": ["login"]}))
            .await;
        assert_eq!(res.status(), 202);
    }

    async fn official_sources_are_set_through_the_admin_api_and_checked_field_by_field(app) {
        let put = |body: Value| {
            app.http
                .put(app.url("/api/v1/services/github"))
                .bearer_auth(ADMIN_TOKEN)
                .json(&body)
                .send()
        };
        let base = json!({"name": "GitHub", "category": "cloud"});
        for (source, field) in [
            (json!({"kind": "teapot", "url": "https://a.example/x"}), "official_status.kind"),
            (json!({"kind": "feed", "url": "http://a.example/x"}), "official_status.url"),
            (json!({"kind": "feed", "url": "https://"}), "official_status.url"),
        ] {
            let mut body = base.clone();
            body["official_status"] = source;
            let res = put(body).await.expect("sent");
            assert_eq!(res.status(), 400);
            assert_eq!(res.headers()["content-type"], "application/problem+json");
            let problem: Value = res.json().await.expect("json");
            assert_eq!(problem["field"], field, "{problem}");
        }
        let mut body = base.clone();
        body["official_status"] = json!({"kind": "atom", "url": "https://status.example.org/feed.atom"});
        let res = put(body).await.expect("sent");
        assert_eq!(res.status(), 200);
        let service = get_json(app, "/api/v1/services/github").await;
        assert_eq!(service["official_status"], json!({"kind": "feed", "url": "https://status.example.org/feed.atom"}));
        let res = put(base).await.expect("sent");
        assert_eq!(res.status(), 200);
        let service = get_json(app, "/api/v1/services/github").await;
        assert_eq!(service["official_status"], Value::Null);
    }
}
