//! Webhooks and their delivery log: the incident events are the outbox.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{IncidentEventKind, StoreError};
use crate::config::Secret;
use crate::domain::{words, Scope, State};

/// A webhook as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    pub id: i64,
    /// Where incident events are POSTed (http or https).
    pub url: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When the webhook was deleted: it receives nothing since.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// A webhook to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    pub url: String,
    /// The HMAC key its deliveries are signed with.
    pub secret: Secret,
    pub description: Option<String>,
}

/// One incident event as a webhook receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    /// The event's id (unique, growing).
    pub id: i64,
    pub incident_id: i64,
    pub service: String,
    pub scope: Scope,
    pub kind: IncidentEventKind,
    /// The incident's state at the event (`possible-problems` or `problems`).
    pub state: State,
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
    pub at: DateTime<Utc>,
    /// The detection method's version that flagged the incident.
    pub methodology: String,
}

/// A delivery claimed for an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DueDelivery {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    pub secret: Secret,
    /// Attempts made before this one.
    pub attempts: i32,
    pub event: WebhookEvent,
}

/// What happens to a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// The receiver took it (2xx): done.
    Delivered,
    /// Try again after this long.
    RetryIn(std::time::Duration),
    /// No more attempts: the delivery failed.
    GiveUp,
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// Why the attempt failed (bounded in length), if it did.
    pub error: Option<String>,
    pub next: NextStep,
}

/// Where a webhook delivery stands: `pending` (being attempted or waiting for its next
/// attempt), `delivered` (a 2xx answer) or `failed` (no attempt left, or the webhook was
/// deleted).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

words!(DeliveryStatus, "delivery status", {
    Pending = "pending",
    Delivered = "delivered",
    Failed = "failed",
});

impl NextStep {
    /// The delivery's status after an attempt with this outcome.
    pub fn status(self) -> DeliveryStatus {
        match self {
            NextStep::Delivered => DeliveryStatus::Delivered,
            NextStep::RetryIn(_) => DeliveryStatus::Pending,
            NextStep::GiveUp => DeliveryStatus::Failed,
        }
    }
}

/// One entry of a webhook's delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: i64,
    pub event_id: i64,
    pub incident_id: i64,
    /// The event's kind.
    pub kind: IncidentEventKind,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Webhooks and their deliveries: the incident events are the outbox; every node
/// queues and attempts deliveries, and the stores make sure each is made by one at a time.
#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Registers a webhook; it receives the incident events recorded from now on.
    async fn create_webhook(&self, hook: &NewWebhook) -> Result<WebhookRecord, StoreError>;
    /// Every webhook, deleted ones included, oldest first.
    async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError>;
    /// Deletes a webhook: it gets no new deliveries and its pending ones fail; it stays
    /// listed, with its delivery log. False when there is no such webhook.
    async fn disable_webhook(&self, id: i64) -> Result<bool, StoreError>;
    /// The newest `limit` deliveries to a webhook, newest first; `None` when there is no
    /// such webhook.
    async fn list_deliveries(
        &self,
        webhook_id: i64,
        limit: i64,
    ) -> Result<Option<Vec<DeliveryRecord>>, StoreError>;
    /// Queues a delivery to every live webhook of every incident event recorded since the
    /// last call; safe to call from several nodes at once. Returns how many were queued.
    async fn enqueue_deliveries(&self) -> Result<usize, StoreError>;
    /// Claims up to `limit` pending deliveries that are due, the oldest due first, for
    /// `lease`: no claim returns them again before it ends (or an attempt is recorded).
    async fn claim_deliveries(
        &self,
        limit: i64,
        lease: std::time::Duration,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// Records the outcome of an attempt at a claimed delivery (nothing if it is no longer
    /// pending, e.g. its webhook was deleted meanwhile).
    async fn record_attempt(&self, id: i64, outcome: &AttemptOutcome) -> Result<(), StoreError>;
    /// Deletes the finished (delivered or failed) deliveries queued before `before`: the
    /// delivery log is kept for a while, not for ever. Returns how many were deleted.
    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assert_words_round_trip;

    #[test]
    fn delivery_statuses_are_their_words_everywhere() {
        assert_words_round_trip(DeliveryStatus::ALL);
        assert_eq!(DeliveryStatus::WORDS, ["pending", "delivered", "failed"]);
        let retry = NextStep::RetryIn(std::time::Duration::from_secs(1));
        assert_eq!(retry.status(), DeliveryStatus::Pending);
        assert_eq!(NextStep::GiveUp.status(), DeliveryStatus::Failed);
    }
}
