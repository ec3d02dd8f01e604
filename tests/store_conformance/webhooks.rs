//! Webhooks: queued once per webhook and event, only events after the webhook's creation,
//! claimed under a lease, retried, delivered or failed, and logged.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use downwatch::domain::Severity;
use downwatch::secret::Secret;
use downwatch::store::{
    AttemptOutcome, DeliveryRecord, DeliveryStatus, IncidentTick, NewWebhook, NextStep,
};

use crate::backends::Durable;
use crate::fixtures::at;

durable_tests!(
    each_event_is_queued_once_for_the_webhooks_that_existed_before_it,
    a_claimed_delivery_is_leased_retried_and_delivered,
    a_delivery_given_up_fails_and_finished_ones_are_pruned,
    deleting_a_webhook_fails_its_pending_deliveries_and_queues_no_more,
);

fn tick(service: &str, secs_after: i64) -> IncidentTick {
    IncidentTick {
        severity: Severity::Problems,
        observed: 30.0,
        expected: 1.5,
        score: 0.99,
        evidence: serde_json::json!({}),
        ..crate::fixtures::tick(service, "global", secs_after, 30.0)
    }
}

fn hook(n: u8) -> NewWebhook {
    NewWebhook {
        url: format!("https://example.org/hook/{n}"),
        secret: Secret::new(format!("whsec_{n}")),
        description: (n == 1).then(|| "Newsroom".to_owned()),
    }
}

const LEASE: Duration = Duration::from_secs(60);

async fn each_event_is_queued_once_for_the_webhooks_that_existed_before_it(db: Durable) {
    let mut leader = db.leader().await;
    leader
        .open_incident(&tick("netflix", 0), "v1")
        .await
        .expect("open");
    let first = db.webhooks.create_webhook(&hook(1)).await.expect("created");
    assert_eq!(first.description.as_deref(), Some("Newsroom"));
    assert!(first.disabled_at.is_none());
    assert_eq!(db.webhooks.enqueue_deliveries().await.expect("queued"), 0);

    let open = leader
        .open_incident(&tick("discord", 60), "v1")
        .await
        .expect("open");
    let second = db.webhooks.create_webhook(&hook(2)).await.expect("created");
    leader
        .resolve_incident(open.id, &tick("discord", 600))
        .await
        .expect("resolve");
    assert_eq!(db.webhooks.enqueue_deliveries().await.expect("queued"), 3);
    assert_eq!(db.webhooks.enqueue_deliveries().await.expect("queued"), 0);

    let kinds = |log: Vec<DeliveryRecord>| -> Vec<&str> {
        log.into_iter().map(|d| d.kind.as_str()).collect()
    };
    let log = db
        .webhooks
        .list_deliveries(first.id, 10)
        .await
        .expect("log");
    assert_eq!(kinds(log.expect("exists")), ["resolved", "opened"]);
    let log = db
        .webhooks
        .list_deliveries(second.id, 10)
        .await
        .expect("log");
    assert_eq!(kinds(log.expect("exists")), ["resolved"]);
    let log = db.webhooks.list_deliveries(first.id, 1).await.expect("log");
    assert_eq!(log.map(|l| l.len()), Some(1));
    assert_eq!(
        db.webhooks
            .list_deliveries(second.id + 1, 10)
            .await
            .expect("log"),
        None
    );
    assert_eq!(
        db.webhooks.list_webhooks().await.expect("listed"),
        vec![first, second]
    );
}

async fn a_claimed_delivery_is_leased_retried_and_delivered(db: Durable) {
    let mut leader = db.leader().await;
    let webhook = db.webhooks.create_webhook(&hook(1)).await.expect("created");
    let open = leader
        .open_incident(&tick("netflix", 0), "dw-detect-1")
        .await
        .expect("open");
    db.webhooks.enqueue_deliveries().await.expect("queued");

    let due = db
        .webhooks
        .claim_deliveries(10, LEASE)
        .await
        .expect("claimed");
    assert_eq!(due.len(), 1);
    let d = &due[0];
    assert_eq!(
        (d.webhook_id, d.attempts, d.url.as_str()),
        (webhook.id, 0, "https://example.org/hook/1")
    );
    assert_eq!(d.secret.expose(), "whsec_1");
    assert_eq!(d.event.incident_id, open.id);
    assert_eq!(
        (
            d.event.service.as_str(),
            d.event.kind.as_str(),
            d.event.state.as_str()
        ),
        ("netflix", "opened", "problems")
    );
    assert_eq!(d.event.methodology, "dw-detect-1");
    assert_eq!(d.event.at, at(0));
    assert!(
        db.webhooks
            .claim_deliveries(10, LEASE)
            .await
            .expect("claimed")
            .is_empty(),
        "leased"
    );

    db.webhooks
        .record_attempt(
            d.id,
            &AttemptOutcome {
                status_code: Some(503),
                error: Some("the receiver answered 503".into()),
                next: NextStep::RetryIn(Duration::ZERO),
            },
        )
        .await
        .expect("recorded");
    let log = db
        .webhooks
        .list_deliveries(webhook.id, 10)
        .await
        .expect("log");
    let pending = &log.expect("exists")[0];
    assert_eq!((pending.status.as_str(), pending.attempts), ("pending", 1));
    assert_eq!(pending.last_status_code, Some(503));
    assert!(pending.next_attempt_at.is_some());

    let again = db
        .webhooks
        .claim_deliveries(10, LEASE)
        .await
        .expect("claimed");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    db.webhooks
        .record_attempt(
            d.id,
            &AttemptOutcome {
                status_code: Some(200),
                error: None,
                next: NextStep::Delivered,
            },
        )
        .await
        .expect("recorded");
    // A late outcome for a settled delivery changes nothing.
    db.webhooks
        .record_attempt(
            d.id,
            &AttemptOutcome {
                status_code: None,
                error: Some("late".into()),
                next: NextStep::GiveUp,
            },
        )
        .await
        .expect("recorded");
    let log = db
        .webhooks
        .list_deliveries(webhook.id, 10)
        .await
        .expect("log");
    let done = &log.expect("exists")[0];
    assert_eq!((done.status.as_str(), done.attempts), ("delivered", 2));
    assert_eq!(
        (done.last_status_code, done.last_error.as_deref()),
        (Some(200), None)
    );
    assert!(done.delivered_at.is_some() && done.next_attempt_at.is_none());
    assert!(db
        .webhooks
        .claim_deliveries(10, LEASE)
        .await
        .expect("claimed")
        .is_empty());
}

async fn deleting_a_webhook_fails_its_pending_deliveries_and_queues_no_more(db: Durable) {
    let mut leader = db.leader().await;
    let webhook = db.webhooks.create_webhook(&hook(1)).await.expect("created");
    leader
        .open_incident(&tick("netflix", 0), "v1")
        .await
        .expect("open");
    db.webhooks.enqueue_deliveries().await.expect("queued");
    assert!(db
        .webhooks
        .disable_webhook(webhook.id)
        .await
        .expect("deleted"));
    assert!(db
        .webhooks
        .disable_webhook(webhook.id)
        .await
        .expect("again"));
    assert!(!db
        .webhooks
        .disable_webhook(webhook.id + 1)
        .await
        .expect("none"));
    leader
        .open_incident(&tick("discord", 60), "v1")
        .await
        .expect("open");
    assert_eq!(db.webhooks.enqueue_deliveries().await.expect("queued"), 0);
    assert!(db
        .webhooks
        .claim_deliveries(10, LEASE)
        .await
        .expect("claimed")
        .is_empty());
    let log = db
        .webhooks
        .list_deliveries(webhook.id, 10)
        .await
        .expect("log");
    let failed = &log.expect("exists")[0];
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("webhook deleted"));
    let listed = db.webhooks.list_webhooks().await.expect("listed");
    assert!(listed[0].disabled_at.is_some());
}

async fn a_delivery_given_up_fails_and_finished_ones_are_pruned(db: Durable) {
    let mut leader = db.leader().await;
    let webhook = db.webhooks.create_webhook(&hook(2)).await.expect("created");
    assert_eq!(webhook.description, None);
    leader
        .open_incident(&tick("netflix", 0), "v1")
        .await
        .expect("open");
    leader
        .open_incident(&tick("discord", 60), "v1")
        .await
        .expect("open");
    assert_eq!(db.webhooks.enqueue_deliveries().await.expect("queued"), 2);
    let due = db
        .webhooks
        .claim_deliveries(1, LEASE)
        .await
        .expect("claimed");
    assert_eq!(due.len(), 1, "at most the limit");
    assert_eq!(due[0].event.service, "netflix", "the oldest due first");
    db.webhooks
        .record_attempt(
            due[0].id,
            &AttemptOutcome {
                status_code: None,
                error: Some("connection refused".into()),
                next: NextStep::GiveUp,
            },
        )
        .await
        .expect("recorded");
    let log = db
        .webhooks
        .list_deliveries(webhook.id, 10)
        .await
        .expect("log");
    let log = log.expect("exists");
    let failed = log.iter().find(|d| d.id == due[0].id).expect("listed");
    assert_eq!((failed.status.as_str(), failed.attempts), ("failed", 1));
    assert_eq!(failed.last_error.as_deref(), Some("connection refused"));
    assert!(failed.next_attempt_at.is_none() && failed.delivered_at.is_none());
    let now = Utc::now();
    assert!(failed.created_at <= now && failed.created_at > now - TimeDelta::minutes(5));

    // Pruning takes the finished deliveries queued before the cut-off, never pending ones.
    let past = now - TimeDelta::hours(1);
    assert_eq!(db.webhooks.prune_deliveries(past).await.expect("pruned"), 0);
    let later = now + TimeDelta::hours(1);
    assert_eq!(
        db.webhooks.prune_deliveries(later).await.expect("pruned"),
        1
    );
    let log = db
        .webhooks
        .list_deliveries(webhook.id, 10)
        .await
        .expect("log");
    let left: Vec<DeliveryStatus> = log.expect("exists").into_iter().map(|d| d.status).collect();
    assert_eq!(left, [DeliveryStatus::Pending]);
}
