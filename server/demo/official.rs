//! The demo's official status page for its chatbot: no request leaves the machine, so the
//! demo tells the stores what a real status page would have said — "Operational" at first,
//! then, during each scripted ChatGPT outage, a partial outage posted 8 minutes after the
//! reports rose, identified, and resolved 5 minutes after the outage ends — through the same
//! code a poll uses ([`record_snapshot`], [`link_service`]). The service page then shows the
//! official line with its lead time, as it would in production.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;
use tracing::warn;

use super::outages::{live_cycle, span, Outage, CYCLE_MINUTES};
use super::population::Population;
use crate::corroborate::link::link_service;
use crate::corroborate::record::record_snapshot;
use crate::official::{
    Component, ComponentStatus, Impact, Indicator, OfficialUpdate, ParsedIncident, Snapshot, Stage,
};
use crate::store::Stores;

/// The service whose official page the demo plays.
const SLUG: &str = "chatgpt";

/// Posts the chatbot's official status every 20 s until `stop` turns true.
pub async fn run(
    pop: Population,
    stores: Stores,
    t0: DateTime<Utc>,
    speed: f64,
    mut stop: watch::Receiver<bool>,
) {
    let source = match stores.catalog.list_services().await {
        Ok(all) => all
            .into_iter()
            .find(|s| s.slug == SLUG)
            .and_then(|s| s.official_status),
        Err(e) => {
            warn!(error = %e, "demo: cannot read the catalog");
            None
        }
    };
    let (Some(index), Some(source)) = (pop.index_of(SLUG), source) else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_secs(20));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
        let now = Utc::now();
        let cycles = ((now - t0).num_milliseconds()
            / span(CYCLE_MINUTES, speed).num_milliseconds().max(1))
        .max(0);
        let outages: Vec<Outage> = (0..=cycles)
            .flat_map(|k| live_cycle(&pop, t0, speed, k))
            .filter(|o| o.effects.iter().any(|e| e.service == index))
            .collect();
        let snapshot = snapshot(&outages, now, speed);
        let official = stores.official.as_ref();
        if let Err(e) = record_snapshot(official, SLUG, &source, &snapshot, now).await {
            warn!(error = %e, "demo: cannot store the official status");
            continue;
        }
        if let Err(e) = link_service(stores.incidents.as_ref(), official, SLUG, now).await {
            warn!(error = %e, "demo: cannot link incidents to official ones");
        }
    }
}

/// What the chatbot's status page says at `now`, given its outages.
fn snapshot(outages: &[Outage], now: DateTime<Utc>, speed: f64) -> Snapshot {
    let mut incidents = Vec::new();
    for (k, o) in outages.iter().enumerate() {
        let posts = [
            (
                o.start + span(8, speed),
                Stage::Investigating,
                "We are investigating elevated error rates for ChatGPT.",
            ),
            (
                o.start + span(25, speed),
                Stage::Identified,
                "The issue has been identified and a fix is being implemented.",
            ),
            (
                o.end + span(5, speed),
                Stage::Resolved,
                "This incident has been resolved.",
            ),
        ];
        let updates: Vec<OfficialUpdate> = posts
            .iter()
            .filter(|(at, _, _)| *at <= now)
            .map(|(at, stage, body)| OfficialUpdate {
                stage: *stage,
                posted_at: *at,
                body: (*body).to_owned(),
            })
            .collect();
        let Some(last) = updates.last() else {
            continue;
        };
        incidents.push(ParsedIncident {
            external_id: format!("demo-{}-{k}", o.start.timestamp()),
            title: "Elevated error rates for ChatGPT".into(),
            impact: Impact::Minor,
            stage: last.stage,
            url: None,
            started_at: updates[0].posted_at - TimeDelta::minutes(1),
            resolved_at: last.stage.is_over().then_some(last.posted_at),
            components: vec!["ChatGPT".into()],
            updates,
        });
    }
    let open = incidents.iter().any(|i| i.resolved_at.is_none());
    Snapshot {
        indicator: Some(if open {
            Indicator::Minor
        } else {
            Indicator::None
        }),
        components: vec![
            Component {
                name: "ChatGPT".into(),
                status: if open {
                    ComponentStatus::PartialOutage
                } else {
                    ComponentStatus::Operational
                },
            },
            Component {
                name: "API".into(),
                status: ComponentStatus::Operational,
            },
        ],
        incidents,
        active_only: false,
    }
}
