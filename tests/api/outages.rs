//! Outage events end to end, on both stacks: services that depend on one provider spike
//! together, the detector's leader opens their incidents and groups them into one event named
//! after the provider, the event is stored, survives a change of leader under the same id,
//! and the API lists it, ranks it, filters it, gives it as CSV and links it from its incidents.

use std::sync::Arc;

use chrono::TimeDelta;
use serde_json::{json, Value};

use downwatch::catalog::CatalogCache;
use downwatch::detect::config::DetectConfig;
use downwatch::detect::tick::Detector;
use downwatch::outage::CauseKind;
use downwatch::secret::Secret;
use downwatch::store::{IncidentEventKind, NewWebhook, OutageFilter};

use crate::detect::{deployed_a_week_ago, next_minute, surge};
use crate::helpers::{TestApp, ADMIN_TOKEN};

const MEMBERS: [&str; 5] = ["netflix", "spotify", "discord", "chatgpt", "paypal"];

/// `n` addresses of the GeoIP fixture's networks, distinct for each `offset`.
fn addresses(offset: u32, n: u32) -> Vec<String> {
    (0..n)
        .map(|i| {
            let k = offset * n + i;
            match i % 4 {
                0 => format!("81.56.{k}.1"),
                1 => format!("86.128.{k}.1"),
                2 => format!("2a01:e0a:{:x}::1", k + 1),
                _ => format!("2600:1700:{:x}::1", k + 1),
            }
        })
        .collect()
}

/// Says through the admin API that `service` depends on Cloudflare.
async fn depends_on_cloudflare(app: &TestApp, service: &str) {
    let url = app.url(&format!("/api/v1/services/{service}"));
    let mut body: Value = app
        .http
        .get(&url)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let body = body.as_object_mut().expect("a service");
    body.insert("depends_on".into(), json!(["cloudflare"]));
    let res = app
        .http
        .put(&url)
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
}

/// The detector of the app's deployment, reading the catalog as it is now; campaigns until
/// the previous leader's claim is gone.
async fn leader(app: &TestApp) -> Detector {
    let catalog = Arc::new(CatalogCache::default());
    catalog.replace(app.stores.catalog.list_services().await.expect("catalog"));
    for _ in 0..100 {
        if let Some(session) = app.stores.election.campaign().await.expect("campaign") {
            let mut d = Detector::new(
                DetectConfig::default(),
                session,
                app.stores.buckets.clone(),
                app.stores.rollups.clone(),
                app.stores.board.clone(),
            )
            .with_catalog(catalog);
            d.resume().await.expect("resume");
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no leadership");
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.expect("sent")
}

crate::both_stacks! {
    async fn services_of_one_provider_failing_together_are_one_event_named_after_it(app) {
        deployed_a_week_ago(app).await;
        for s in MEMBERS {
            depends_on_cloudflare(app, s).await;
        }
        // A webhook, to receive the event's news (the webhook job is not what delivers here: the
        // test reads the outbox itself).
        let hook = app
            .stores
            .webhooks
            .create_webhook(&NewWebhook {
                url: "https://receiver.example/hook".into(),
                secret: Secret::new("whsec_test_secret_of_some_length"),
                description: None,
            })
            .await
            .expect("webhook");
        let mut d = leader(app).await;
        for (k, s) in MEMBERS.iter().enumerate() {
            surge(app, s, "login", &addresses(k as u32, 40)).await;
        }

        // The incidents open at the first tick; the event follows within two minutes.
        let first = next_minute();
        let mut at = first;
        let mut opened_at = None;
        for _ in 0..4 {
            let report = d.tick(at).await.expect("tick");
            if opened_at.is_none() && d.open_outages().next().is_some() {
                opened_at = Some(at);
                assert!(!report.outages.is_empty());
                assert!(report.events.iter().any(|e| e.outage_id.is_some()));
            }
            at += TimeDelta::minutes(1);
        }
        let opened_at = opened_at.expect("an outage event opened");
        assert!(opened_at - first < TimeDelta::minutes(2), "event after {}", opened_at - first);
        let event = d.open_outages().next().expect("event").clone();
        let mut members: Vec<&str> = event.members.iter().map(|m| m.service.as_str()).collect();
        members.sort();
        let mut expected = MEMBERS.to_vec();
        expected.sort();
        assert_eq!(members, expected);
        let top = event.top_cause().expect("a likely cause");
        assert_eq!(top.cause, CauseKind::Provider { slug: "cloudflare".into() });
        assert!(top.confidence >= 0.5 && top.confidence <= 0.95, "{}", top.confidence);

        // A new leader takes over: the same event, under the same id, saved once.
        drop(d);
        let mut d = leader(app).await;
        assert_eq!(d.open_outages().map(|e| e.id).collect::<Vec<_>>(), vec![event.id]);
        d.tick(at).await.expect("tick");
        let stored = app
            .stores
            .outages
            .list_outages(&OutageFilter { limit: 10, ..Default::default() })
            .await
            .expect("list");
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].event.id, event.id);

        // The event's news is in its first member's timeline, and so in the webhook outbox
        // (the app's own webhook job may have queued it first).
        app.stores.webhooks.enqueue_deliveries().await.expect("enqueue");
        let log = app
            .stores
            .webhooks
            .list_deliveries(hook.id, 1000)
            .await
            .expect("deliveries")
            .expect("the webhook");
        let opened: Vec<_> = log
            .iter()
            .filter(|d| d.kind == IncidentEventKind::OutageOpened)
            .collect();
        assert_eq!(opened.len(), 1, "one outage-opened delivery: {log:?}");
        assert_eq!(opened[0].incident_id, event.id);

        // The API.
        let list: Value = get(app, "/api/v1/outages").await.json().await.expect("json");
        let listed = &list["outages"][0];
        assert_eq!(listed["id"], event.id);
        assert_eq!(listed["status"], "open");
        assert_eq!(listed["cause"]["cause"]["kind"], "provider");
        assert_eq!(listed["cause"]["cause"]["slug"], "cloudflare");
        assert_eq!(listed["services"].as_array().map(Vec::len), Some(5));
        let url = listed["url"].as_str().expect("url").to_owned();
        let one: Value = get(app, &url).await.json().await.expect("json");
        let first: Value = get(app, &format!("/api/v1/incidents/{}", event.id))
            .await
            .json()
            .await
            .expect("json");
        let kinds: Vec<&str> = first["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert!(kinds.contains(&"outage-opened"), "{kinds:?}");
        assert_eq!(one["outage"]["id"], event.id);
        assert_eq!(one["incidents"].as_array().map(Vec::len), Some(5));
        let incident_url = one["incidents"][0].as_str().expect("incident url").to_owned();
        let incident: Value = get(app, &incident_url).await.json().await.expect("json");
        assert_eq!(incident["links"]["outage"], url);

        let year = event.start.format("%Y").to_string();
        for query in [
            format!("provider=cloudflare&sort=rank&year={year}"),
            "category=ai".to_owned(),
            "service=discord&status=open".to_owned(),
        ] {
            let found: Value = get(app, &format!("/api/v1/outages?{query}"))
                .await
                .json()
                .await
                .expect("json");
            assert_eq!(found["outages"].as_array().map(Vec::len), Some(1), "{query}");
        }
        for query in ["provider=aws", "status=resolved", "country=JP", "category=bank"] {
            let found: Value = get(app, &format!("/api/v1/outages?{query}"))
                .await
                .json()
                .await
                .expect("json");
            assert_eq!(found["outages"], json!([]), "{query}");
        }
        let csv = get(app, "/api/v1/outages?format=csv").await.text().await.expect("csv");
        let mut lines = csv.lines();
        assert!(lines.next().is_some_and(|h| h.starts_with("id,status,started_at")));
        assert!(lines.next().is_some_and(|row| row.contains("provider,cloudflare")), "{csv}");
        let members_csv = get(app, &format!("{url}?format=csv")).await.text().await.expect("csv");
        assert_eq!(members_csv.lines().count(), 6, "{members_csv}");

        // The pages.
        let page = |path: String| async move {
            let res = get(app, &path).await;
            assert_eq!(res.status(), 200, "{path}");
            res.text().await.expect("html")
        };
        let home = page("/".into()).await;
        assert!(home.contains("Wider outages now") && home.contains("Cloudflare?"), "home");
        assert!(home.contains(&format!("href=\"/outages/{}\"", event.id)), "home links the event");
        let archive = page(format!("/outages?year={year}&provider=cloudflare")).await;
        assert!(archive.contains("Cloudflare?") && archive.contains("5 services with problems"));
        let none = page("/outages?category=bank".into()).await;
        assert!(none.contains("No outage matches"), "empty archive");
        let detail = page(format!("/outages/{}", event.id)).await;
        assert!(detail.contains("Probably a problem at Cloudflare"), "cause in words");
        assert!(detail.contains("depend on it"), "the shared dependency as a reason");
        for s in MEMBERS {
            assert!(detail.contains(&format!("href=\"/s/{s}\"")), "member {s}");
        }
        let service = page("/s/netflix".into()).await;
        assert!(service.contains("Part of a wider outage"), "service page");
        assert!(service.contains("Probably a problem at Cloudflare, not only at Netflix"));
        let incident_id = event.members.iter().find(|m| m.service == "spotify").expect("spotify").incident_id;
        let incident_page = page(format!("/incidents/{incident_id}")).await;
        assert!(incident_page.contains("not only at Spotify"), "incident page");
        assert_eq!(get(app, "/outages/999999").await.status(), 404);
        let feed = page("/feeds/outages.atom".into()).await;
        assert!(feed.contains(&format!("tag:downwatch,2026:outage:{}", event.id)), "{feed}");
        assert!(feed.contains("Outage of 5 services, probably a problem at Cloudflare"), "{feed}");
    }
}

crate::both_stacks! {
    async fn bad_outage_queries_are_refused_naming_the_parameter(app) {
        for (query, field) in [
            ("provider=no-such-service", "provider"),
            ("service=no-such-service", "service"),
            ("category=weather", "category"),
            ("country=XYZ", "country"),
            ("sort=biggest", "sort"),
            ("status=gone", "status"),
            ("year=2026&from=2026-01-01", "year"),
            ("limit=0", "limit"),
            ("sort=rank&cursor=r1_2", "cursor"),
            ("cursor=garbage", "cursor"),
        ] {
            let res = get(app, &format!("/api/v1/outages?{query}")).await;
            assert_eq!(res.status(), 400, "{query}");
            assert_eq!(
                res.headers()["content-type"],
                "application/problem+json",
                "{query}"
            );
            let problem: Value = res.json().await.expect("json");
            assert_eq!(problem["field"], field, "{query}");
        }
        for path in ["/api/v1/outages/12345", "/api/v1/outages/abc"] {
            let res = get(app, path).await;
            assert!(res.status() == 404 || res.status() == 400, "{path}");
        }
        let empty: Value = get(app, "/api/v1/outages").await.json().await.expect("json");
        assert_eq!(empty, json!({"outages": [], "next_cursor": null}));
        let csv = get(app, "/api/v1/outages?format=csv").await.text().await.expect("csv");
        assert_eq!(csv.lines().count(), 1, "a header row only");
    }
}
