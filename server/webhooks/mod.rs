//! Webhook deliveries. The detector's incident events are the outbox: every node runs
//! [`run`], which at each poll queues a delivery of every new event to every live webhook
//! (idempotent: one row per webhook and event), claims the deliveries that are due (one node
//! at a time each, see [`WebhookStore::claim_deliveries`]), POSTs them signed (see
//! [`signature`]) and records the outcome: delivered on a 2xx, otherwise retried with a
//! doubling backoff until [`WebhookConfig::max_attempts`], then failed. A delivery is made at
//! least once: a node that dies mid-request leaves its claim to expire and another retries.

pub mod signature;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::Serialize;
use tracing::{debug, info, warn};

use crate::config::WebhookConfig;
use crate::domain::{Scope, State};
use crate::metrics::metrics;
use crate::store::{
    AttemptOutcome, DueDelivery, IncidentEventKind, NextStep, StoreError, WebhookEvent,
    WebhookStore,
};

/// Deliveries claimed (and attempted concurrently) at once.
const BATCH: i64 = 32;
/// Longest error text kept in the delivery log, in characters.
const MAX_ERROR_CHARS: usize = 300;

/// The JSON body of a delivery: one incident event.
#[derive(Debug, Serialize)]
pub struct EventPayload<'a> {
    /// The event's id, also in `Downwatch-Event-Id`: the same for every attempt, so that a
    /// receiver can drop a repeat.
    pub event_id: i64,
    /// `opened`, `escalated`, `updated` or `resolved`; for an outage event (incidents of
    /// several services grouped, recorded on its first member's incident), `outage-opened`,
    /// `outage-grew`, `outage-updated` or `outage-resolved`.
    pub kind: IncidentEventKind,
    /// When the detector recorded the event (UTC).
    pub at: DateTime<Utc>,
    pub incident_id: i64,
    /// The service's slug.
    pub service: &'a str,
    /// `global`, or the country code the incident is about.
    pub scope: Scope,
    /// The incident's state then: `possible-problems` or `problems`.
    pub state: State,
    /// Counted reports in the observation window.
    pub observed: f64,
    /// Reports expected in that window.
    pub expected: f64,
    pub score: f64,
    /// The detection method's version, e.g. `dw-detect-1`.
    pub methodology: &'a str,
    /// Where the incident's details are (for an outage event, the event's), relative to this
    /// Downwatch.
    pub link: String,
    /// The outage event, for `outage-*` kinds (its id is its first member's incident id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outage_id: Option<i64>,
}

impl<'a> From<&'a WebhookEvent> for EventPayload<'a> {
    fn from(e: &'a WebhookEvent) -> Self {
        EventPayload {
            event_id: e.id,
            kind: e.kind,
            at: e.at,
            incident_id: e.incident_id,
            service: &e.service,
            scope: e.scope,
            state: e.state,
            observed: e.observed,
            expected: e.expected,
            score: e.score,
            methodology: &e.methodology,
            link: if e.kind.is_outage() {
                format!("/api/v1/outages/{}", e.incident_id)
            } else {
                format!("/api/v1/incidents/{}", e.incident_id)
            },
            outage_id: e.kind.is_outage().then_some(e.incident_id),
        }
    }
}

/// Runs forever: every `cfg.poll`, queues new events and attempts the deliveries due.
pub async fn run(store: Arc<dyn WebhookStore>, cfg: WebhookConfig) {
    let client = match reqwest::Client::builder()
        .timeout(cfg.timeout)
        .connect_timeout(cfg.timeout)
        // A redirect is an answer, not a delivery: it would also lead anywhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("Downwatch-Webhooks/", env!("CARGO_PKG_VERSION")))
        // Receivers are checked against the bundled Mozilla roots only, as before the
        // system's CAs were compiled in for `geoip fetch`.
        .tls_built_in_native_certs(false)
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            warn!(error = %e, "cannot build the webhook HTTP client: no webhook deliveries");
            return;
        }
    };
    let mut tick = tokio::time::interval(cfg.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Not at start-up, which is busy enough: a few minutes in, then every hour.
    let mut next_prune = Instant::now() + FIRST_PRUNE_AFTER;
    loop {
        tick.tick().await;
        if let Err(e) = poll(store.as_ref(), &client, &cfg).await {
            metrics().store_error(store_name(&e), "webhooks");
            warn!(error = %e, "webhook deliveries paused until the next poll");
        }
        if Instant::now() >= next_prune {
            next_prune = Instant::now() + PRUNE_EVERY;
            prune(store.as_ref(), cfg.log_days).await;
        }
    }
}

/// When a node first trims the delivery log, and how often after that.
const FIRST_PRUNE_AFTER: Duration = Duration::from_secs(300);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes the finished deliveries older than `log_days` days.
pub async fn prune(store: &dyn WebhookStore, log_days: u32) {
    let before = Utc::now() - chrono::TimeDelta::days(i64::from(log_days));
    match store.prune_deliveries(before).await {
        Ok(0) => {}
        Ok(n) => info!(
            deliveries = n,
            days = log_days,
            "webhook delivery log trimmed"
        ),
        Err(e) => {
            metrics().store_error(store_name(&e), "webhooks");
            warn!(error = %e, "could not trim the webhook delivery log");
        }
    }
}

fn store_name(e: &StoreError) -> &'static str {
    match e {
        StoreError::Unavailable { store, .. } | StoreError::Failed { store, .. } => store,
        StoreError::Conflict => "webhooks",
    }
}

/// One poll: queue, then claim and attempt batches until none is due.
async fn poll(
    store: &dyn WebhookStore,
    client: &reqwest::Client,
    cfg: &WebhookConfig,
) -> Result<(), StoreError> {
    let queued = store.enqueue_deliveries().await?;
    if queued > 0 {
        debug!(deliveries = queued, "webhook deliveries queued");
    }
    // The claim outlives the longest attempt, with room for recording it.
    let lease = cfg.timeout.saturating_mul(2) + Duration::from_secs(30);
    loop {
        let due = store.claim_deliveries(BATCH, lease).await?;
        let attempts = join_all(due.iter().map(|d| attempt(client, d, cfg))).await;
        for (delivery, outcome) in due.iter().zip(&attempts) {
            store.record_attempt(delivery.id, outcome).await?;
            note(delivery, outcome);
        }
        if (due.len() as i64) < BATCH {
            return Ok(());
        }
    }
}

/// Logs and counts an attempt's outcome.
fn note(d: &DueDelivery, outcome: &AttemptOutcome) {
    let label = match outcome.next {
        NextStep::Delivered => "delivered",
        NextStep::RetryIn(_) => "retry",
        NextStep::GiveUp => "failed",
    };
    metrics()
        .webhook_deliveries
        .with_label_values(&[label])
        .inc();
    let attempt = d.attempts + 1;
    match outcome.next {
        NextStep::Delivered => debug!(
            webhook = d.webhook_id,
            delivery = d.id,
            event = d.event.id,
            attempt,
            "webhook delivered"
        ),
        NextStep::RetryIn(after) => info!(
            webhook = d.webhook_id,
            delivery = d.id,
            event = d.event.id,
            attempt,
            retry_in_s = after.as_secs_f64(),
            error = outcome.error.as_deref().unwrap_or(""),
            "webhook delivery failed; will retry"
        ),
        NextStep::GiveUp => warn!(
            webhook = d.webhook_id,
            delivery = d.id,
            event = d.event.id,
            attempt,
            error = outcome.error.as_deref().unwrap_or(""),
            "webhook delivery failed; giving up"
        ),
    }
}

/// POSTs one delivery and says what comes next.
async fn attempt(client: &reqwest::Client, d: &DueDelivery, cfg: &WebhookConfig) -> AttemptOutcome {
    let failure = |status_code: Option<i32>, error: String| {
        let failures = u32::try_from(d.attempts).unwrap_or(0).saturating_add(1);
        AttemptOutcome {
            status_code,
            error: Some(bounded(&error)),
            next: if failures >= cfg.max_attempts {
                NextStep::GiveUp
            } else {
                NextStep::RetryIn(cfg.backoff(failures))
            },
        }
    };
    // Checked when the webhook was created; checked again rather than trusted.
    let url = match signature::check_url(&d.url) {
        Ok(url) => url,
        Err(why) => {
            return AttemptOutcome {
                status_code: None,
                error: Some(bounded(&format!("not delivered: the URL {why}"))),
                next: NextStep::GiveUp,
            }
        }
    };
    let body = match serde_json::to_vec(&EventPayload::from(&d.event)) {
        Ok(body) => body,
        Err(e) => return failure(None, format!("cannot encode the event: {e}")),
    };
    let timestamp = Utc::now().timestamp();
    let sent = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Downwatch-Event-Id", d.event.id.to_string())
        .header("Downwatch-Timestamp", timestamp.to_string())
        .header(
            "Downwatch-Signature",
            signature::sign(&d.secret, timestamp, &body),
        )
        .body(body)
        .send()
        .await;
    match sent {
        Ok(res) if res.status().is_success() => AttemptOutcome {
            status_code: Some(i32::from(res.status().as_u16())),
            error: None,
            next: NextStep::Delivered,
        },
        Ok(res) => failure(
            Some(i32::from(res.status().as_u16())),
            format!("the receiver answered {}", res.status()),
        ),
        Err(e) => failure(None, describe(&e)),
    }
}

/// An HTTP client error with its causes ("error sending request: … : connection refused").
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer within the timeout".into();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// At most [`MAX_ERROR_CHARS`] characters of `text`.
fn bounded(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_CHARS) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_names_the_incident_and_links_to_it() {
        let event = WebhookEvent {
            id: 42,
            incident_id: 7,
            service: "netflix".into(),
            scope: "IT".parse().expect("a scope"),
            kind: IncidentEventKind::Opened,
            state: State::Problems,
            observed: 40.0,
            expected: 0.5,
            score: 12.5,
            at: DateTime::from_timestamp(1_796_119_200, 0).expect("time"),
            methodology: "dw-detect-1".into(),
        };
        let json = serde_json::to_value(EventPayload::from(&event)).expect("json");
        assert_eq!(
            json,
            serde_json::json!({
                "event_id": 42, "kind": "opened", "at": "2026-12-01T10:00:00Z",
                "incident_id": 7, "service": "netflix", "scope": "IT", "state": "problems",
                "observed": 40.0, "expected": 0.5, "score": 12.5,
                "methodology": "dw-detect-1", "link": "/api/v1/incidents/7"
            })
        );
    }

    #[test]
    fn an_outage_event_links_to_the_outage() {
        let event = WebhookEvent {
            id: 43,
            incident_id: 7,
            service: "netflix".into(),
            scope: "global".parse().expect("a scope"),
            kind: IncidentEventKind::OutageOpened,
            state: State::Problems,
            observed: 300.0,
            expected: 3.0,
            score: 0.8,
            at: DateTime::from_timestamp(1_796_119_200, 0).expect("time"),
            methodology: "dw-detect-2".into(),
        };
        let json = serde_json::to_value(EventPayload::from(&event)).expect("json");
        assert_eq!(json["kind"], "outage-opened");
        assert_eq!(json["outage_id"], 7);
        assert_eq!(json["link"], "/api/v1/outages/7");
    }

    #[test]
    fn errors_are_bounded() {
        assert_eq!(bounded("short"), "short");
        let long = "é".repeat(1000);
        assert_eq!(bounded(&long).chars().count(), MAX_ERROR_CHARS + 1);
    }
}
