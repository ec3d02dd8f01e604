//! Webhooks in Postgres. Every node runs the delivery worker: queuing is idempotent (one row
//! per webhook and event, by a unique key) and a claim skips the rows another node has
//! locked, then leases them by moving `next_attempt_at`, so that a delivery is attempted by one
//! node at a time without holding a transaction open during the HTTP request.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use super::models::{ClaimRow, DeliveryRow, WebhookRow};
use super::schema::{incident_events, webhook_deliveries, webhooks};
use super::{db_error, PgStore};
use crate::store::{
    AttemptOutcome, DeliveryRecord, DeliveryStatus, DueDelivery, NewWebhook, NextStep, StoreError,
    WebhookRecord, WebhookStore,
};

/// Queues the events after each live webhook's `enqueued_through` (at most 1000 pairs a call,
/// oldest events first, so that each webhook's mark can move to the newest event taken).
/// Moving the mark past an id is safe because events commit in id order: only the detector
/// leader writes them, one statement at a time on its one connection.
const ENQUEUE: &str = "
    WITH fresh AS (
        SELECT w.id AS webhook_id, e.id AS event_id
        FROM webhooks w JOIN incident_events e ON e.id > w.enqueued_through
        WHERE w.disabled_at IS NULL
        ORDER BY e.id, w.id
        LIMIT 1000
    ), queued AS (
        INSERT INTO webhook_deliveries (webhook_id, event_id)
        SELECT webhook_id, event_id FROM fresh ORDER BY event_id, webhook_id
        ON CONFLICT (webhook_id, event_id) DO NOTHING
        RETURNING 1
    ), marked AS (
        UPDATE webhooks w SET enqueued_through = greatest(w.enqueued_through, f.last)
        FROM (SELECT webhook_id, max(event_id) AS last FROM fresh GROUP BY webhook_id) f
        WHERE w.id = f.webhook_id
        RETURNING 1
    )
    SELECT count(*) AS n FROM queued";

/// Leases up to $1 due deliveries for $2 seconds, skipping rows other nodes are claiming.
const CLAIM: &str = "
    WITH due AS (
        SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND w.disabled_at IS NULL
        ORDER BY d.next_attempt_at, d.id
        LIMIT $1
        FOR UPDATE OF d SKIP LOCKED
    ), claimed AS (
        UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $2)
        FROM due WHERE d.id = due.id
        RETURNING d.id, d.webhook_id, d.event_id, d.attempts
    )
    SELECT c.id, c.webhook_id, c.attempts, w.url, w.secret,
           e.id AS event_id, e.incident_id, i.service, i.scope, e.kind, e.state,
           e.observed, e.expected, e.score, e.at, i.methodology
    FROM claimed c
    JOIN webhooks w ON w.id = c.webhook_id
    JOIN incident_events e ON e.id = c.event_id
    JOIN incidents i ON i.id = e.incident_id
    ORDER BY c.id";

/// Records an attempt: one more, its answer, and what comes next ($4: the new status; $5:
/// seconds until the next attempt when it stays pending).
const RECORD: &str = "
    UPDATE webhook_deliveries SET
        attempts = attempts + 1,
        last_status_code = $2,
        last_error = $3,
        status = $4,
        next_attempt_at = CASE WHEN $4 = 'pending'
            THEN now() + make_interval(secs => $5) ELSE next_attempt_at END,
        delivered_at = CASE WHEN $4 = 'delivered' THEN now() END
    WHERE id = $1 AND status = 'pending'";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn create_webhook(&self, hook: &NewWebhook) -> Result<WebhookRecord, StoreError> {
        let mut conn = self.conn().await?;
        let row: WebhookRow = diesel::insert_into(webhooks::table)
            .values((
                webhooks::url.eq(&hook.url),
                webhooks::secret.eq(hook.secret.expose()),
                webhooks::description.eq(&hook.description),
                webhooks::enqueued_through.eq(diesel::dsl::sql::<BigInt>(
                    "(SELECT coalesce(max(id), 0) FROM incident_events)",
                )),
            ))
            .returning(WebhookRow::as_returning())
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(row.into())
    }

    async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<WebhookRow> = webhooks::table
            .select(WebhookRow::as_select())
            .order(webhooks::id)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(WebhookRecord::from).collect())
    }

    async fn disable_webhook(&self, id: i64) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let n = diesel::update(webhooks::table.find(id))
            .set(
                webhooks::disabled_at.eq(diesel::dsl::sql::<Nullable<Timestamptz>>(
                    "coalesce(disabled_at, now())",
                )),
            )
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::webhook_id.eq(id))
                .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str())),
        )
        .set((
            webhook_deliveries::status.eq(DeliveryStatus::Failed.as_str()),
            webhook_deliveries::last_error.eq("webhook deleted"),
        ))
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
        Ok(n == 1)
    }

    async fn list_deliveries(
        &self,
        webhook_id: i64,
        limit: i64,
    ) -> Result<Option<Vec<DeliveryRecord>>, StoreError> {
        let mut conn = self.conn().await?;
        let exists: bool = diesel::select(diesel::dsl::exists(webhooks::table.find(webhook_id)))
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
        if !exists {
            return Ok(None);
        }
        let rows: Vec<DeliveryRow> = webhook_deliveries::table
            .inner_join(incident_events::table)
            .filter(webhook_deliveries::webhook_id.eq(webhook_id))
            .order(webhook_deliveries::id.desc())
            .limit(limit)
            .select(DeliveryRow::as_select())
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        let deliveries = rows
            .into_iter()
            .map(DeliveryRecord::try_from)
            .collect::<Result<_, _>>()?;
        Ok(Some(deliveries))
    }

    async fn enqueue_deliveries(&self) -> Result<usize, StoreError> {
        let mut conn = self.conn().await?;
        let queued: Count = diesel::sql_query(ENQUEUE)
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(usize::try_from(queued.n).unwrap_or(0))
    }

    async fn claim_deliveries(
        &self,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ClaimRow> = diesel::sql_query(CLAIM)
            .bind::<BigInt, _>(limit)
            .bind::<Double, _>(lease.as_secs_f64())
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        rows.into_iter().map(DueDelivery::try_from).collect()
    }

    async fn record_attempt(&self, id: i64, outcome: &AttemptOutcome) -> Result<(), StoreError> {
        let retry_in = match outcome.next {
            NextStep::RetryIn(after) => after.as_secs_f64(),
            NextStep::Delivered | NextStep::GiveUp => 0.0,
        };
        let mut conn = self.conn().await?;
        diesel::sql_query(RECORD)
            .bind::<BigInt, _>(id)
            .bind::<Nullable<Integer>, _>(outcome.status_code)
            .bind::<Nullable<Text>, _>(outcome.error.as_deref())
            .bind::<Text, _>(outcome.next.status().as_str())
            .bind::<Double, _>(retry_in)
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let deleted = diesel::delete(
            webhook_deliveries::table
                .filter(webhook_deliveries::status.ne(DeliveryStatus::Pending.as_str()))
                .filter(webhook_deliveries::created_at.lt(before)),
        )
        .execute(&mut conn)
        .await
        .map_err(db_error)?;
        Ok(deleted as u64)
    }
}
