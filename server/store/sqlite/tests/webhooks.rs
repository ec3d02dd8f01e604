//! Webhooks: queued once per webhook and event, only events after the webhook's creation,
//! claimed under a lease, retried, delivered or failed, and logged.

use std::time::Duration;

use serde_json::json;

use super::super::detector::SqliteLeader;
use super::{at, db};
use crate::domain::{Scope, Severity};
use crate::secret::Secret;
use crate::store::{
    AttemptOutcome, DeliveryStatus, DetectorStore, IncidentTick, NewWebhook, NextStep, WebhookStore,
};

fn tick(service: &str, secs_after: i64) -> IncidentTick {
    IncidentTick {
        service: service.into(),
        scope: Scope::Global,
        severity: Severity::Problems,
        at: at(secs_after),
        observed: 30.0,
        expected: 1.5,
        score: 0.99,
        evidence: json!({}),
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

#[tokio::test]
async fn each_event_is_queued_once_for_the_webhooks_that_existed_before_it() {
    let db = db();
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    leader
        .open_incident(&tick("netflix", 0), "v1")
        .await
        .expect("open");
    let first = db.store.create_webhook(&hook(1)).await.expect("created");
    assert_eq!(first.description.as_deref(), Some("Newsroom"));
    assert!(first.disabled_at.is_none());
    assert_eq!(db.store.enqueue_deliveries().await.expect("queued"), 0);

    let open = leader
        .open_incident(&tick("discord", 60), "v1")
        .await
        .expect("open");
    let second = db.store.create_webhook(&hook(2)).await.expect("created");
    leader
        .resolve_incident(open.id, &tick("discord", 600))
        .await
        .expect("resolve");
    assert_eq!(db.store.enqueue_deliveries().await.expect("queued"), 3);
    assert_eq!(db.store.enqueue_deliveries().await.expect("queued"), 0);

    let kinds = |log: Vec<crate::store::DeliveryRecord>| -> Vec<&str> {
        log.into_iter().map(|d| d.kind.as_str()).collect()
    };
    let log = db.store.list_deliveries(first.id, 10).await.expect("log");
    assert_eq!(kinds(log.expect("exists")), ["resolved", "opened"]);
    let log = db.store.list_deliveries(second.id, 10).await.expect("log");
    assert_eq!(kinds(log.expect("exists")), ["resolved"]);
    let log = db.store.list_deliveries(first.id, 1).await.expect("log");
    assert_eq!(log.map(|l| l.len()), Some(1));
    assert_eq!(
        db.store
            .list_deliveries(second.id + 1, 10)
            .await
            .expect("log"),
        None
    );
    assert_eq!(
        db.store.list_webhooks().await.expect("listed"),
        vec![first, second]
    );
}

#[tokio::test]
async fn a_claimed_delivery_is_leased_retried_and_delivered() {
    let db = db();
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    let webhook = db.store.create_webhook(&hook(1)).await.expect("created");
    let open = leader
        .open_incident(&tick("netflix", 0), "dw-detect-1")
        .await
        .expect("open");
    db.store.enqueue_deliveries().await.expect("queued");

    let due = db.store.claim_deliveries(10, LEASE).await.expect("claimed");
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
        db.store
            .claim_deliveries(10, LEASE)
            .await
            .expect("claimed")
            .is_empty(),
        "leased"
    );

    db.store
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
    let log = db.store.list_deliveries(webhook.id, 10).await.expect("log");
    let pending = &log.expect("exists")[0];
    assert_eq!((pending.status.as_str(), pending.attempts), ("pending", 1));
    assert_eq!(pending.last_status_code, Some(503));
    assert!(pending.next_attempt_at.is_some());

    let again = db.store.claim_deliveries(10, LEASE).await.expect("claimed");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    db.store
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
    db.store
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
    let log = db.store.list_deliveries(webhook.id, 10).await.expect("log");
    let done = &log.expect("exists")[0];
    assert_eq!((done.status.as_str(), done.attempts), ("delivered", 2));
    assert_eq!(
        (done.last_status_code, done.last_error.as_deref()),
        (Some(200), None)
    );
    assert!(done.delivered_at.is_some() && done.next_attempt_at.is_none());
    assert!(db
        .store
        .claim_deliveries(10, LEASE)
        .await
        .expect("claimed")
        .is_empty());
}

#[tokio::test]
async fn deleting_a_webhook_fails_its_pending_deliveries_and_queues_no_more() {
    let db = db();
    let mut leader = SqliteLeader::try_acquire(&db.store).expect("leader");
    let webhook = db.store.create_webhook(&hook(1)).await.expect("created");
    leader
        .open_incident(&tick("netflix", 0), "v1")
        .await
        .expect("open");
    db.store.enqueue_deliveries().await.expect("queued");
    assert!(db.store.disable_webhook(webhook.id).await.expect("deleted"));
    assert!(db.store.disable_webhook(webhook.id).await.expect("again"));
    assert!(!db
        .store
        .disable_webhook(webhook.id + 1)
        .await
        .expect("none"));
    leader
        .open_incident(&tick("discord", 60), "v1")
        .await
        .expect("open");
    assert_eq!(db.store.enqueue_deliveries().await.expect("queued"), 0);
    assert!(db
        .store
        .claim_deliveries(10, LEASE)
        .await
        .expect("claimed")
        .is_empty());
    let log = db.store.list_deliveries(webhook.id, 10).await.expect("log");
    let failed = &log.expect("exists")[0];
    assert_eq!(failed.status, DeliveryStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("webhook deleted"));
    let listed = db.store.list_webhooks().await.expect("listed");
    assert!(listed[0].disabled_at.is_some());
}
