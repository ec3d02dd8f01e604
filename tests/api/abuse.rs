//! Brigading: thousands of reports for one service from one /24, rotating addresses within it
//! and user agents, sent through two nodes of one deployment, while another service has a
//! real outage reported from many networks and countries. The rate limit holds across the
//! nodes, flood damping keeps the brigade from opening an incident, and the real outage is
//! still detected.

use futures_util::StreamExt;
use serde_json::json;

use downwatch::store::IncidentFilter;

use crate::detect::{deployed_a_week_ago, detector, next_minute, spread, surge};
use crate::helpers::spawn_app;

/// Addresses in the brigade's /24, and reports each sends (more than the rate limit of 30).
const ADDRESSES: u32 = 100;
const PER_ADDRESS: u32 = 40;

#[tokio::test]
async fn a_brigade_from_one_subnet_opens_nothing_while_a_real_outage_is_detected() {
    let app = spawn_app().await;
    let nodes = [app.address.clone(), app.spawn_second_node().await];
    deployed_a_week_ago(&app).await;
    let mut d = detector(&app).await;
    let limit = app.config.gate.rate_limit;
    assert!(
        u64::from(PER_ADDRESS) > limit,
        "the brigade exceeds the rate limit"
    );

    let statuses: Vec<u16> = futures_util::stream::iter(0..ADDRESSES * PER_ADDRESS)
        .map(|n| {
            let (http, node) = (app.http.clone(), nodes[n as usize % 2].clone());
            async move {
                http.post(format!("{node}/api/v1/reports"))
                    .header(
                        "x-forwarded-for",
                        format!("81.56.250.{}", 1 + n % ADDRESSES),
                    )
                    .header("user-agent", format!("Mozilla/5.0 (brigade {n})"))
                    .json(&json!({"service": "chatgpt", "symptoms": ["login"]}))
                    .send()
                    .await
                    .expect("answered")
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let accepted = statuses.iter().filter(|s| **s == 202).count() as u64;
    let limited = statuses.iter().filter(|s| **s == 429).count() as u64;

    surge(&app, "netflix", "login", &spread(40)).await;
    let counted = app.recent_sum(Some("chatgpt"), "total").await;
    let report = d.tick(next_minute()).await.expect("tick");
    let incidents = app
        .stores
        .incidents
        .list_incidents(&IncidentFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("incidents");
    let brigaded = incidents.iter().filter(|i| i.service == "chatgpt").count();
    let detected = incidents.iter().filter(|i| i.service == "netflix").count();
    println!(
        "brigade: sent={} accepted={accepted} rate_limited={limited} other={} counted_in_buckets={counted} \
         incidents_brigaded={brigaded} incidents_real_outage={detected} opened={:?}",
        statuses.len(),
        statuses.len() as u64 - accepted - limited,
        report.opened,
    );
    assert_eq!(
        accepted,
        u64::from(ADDRESSES) * limit,
        "each address gets exactly its rate limit, across both nodes"
    );
    assert_eq!(accepted + limited, statuses.len() as u64, "the rest is 429");
    assert_eq!(
        counted, accepted as i64,
        "rotating user agents make every accepted report count in the buckets"
    );
    assert_eq!(
        brigaded, 0,
        "flood damping: no incident for the brigaded service"
    );
    assert_eq!(detected, 1, "the real outage is detected: {report:?}");
}
