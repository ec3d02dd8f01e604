//! Webhooks in SQLite: the semantics of `postgres::webhooks` in one process. Writes are
//! serialised anyway, so a claim is a plain transaction; the worker's polls look on a reader
//! first and take the writer only when there is something to queue or to claim.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;

use super::models::{ClaimRow, DeliveryRow, WebhookRow};
use super::schema::{incident_events, incidents, webhook_deliveries, webhooks};
use super::types::Micros;
use super::SqliteStore;
use crate::store::{
    AttemptOutcome, DeliveryRecord, DeliveryStatus, DueDelivery, NewWebhook, NextStep, StoreError,
    WebhookRecord, WebhookStore,
};

/// Most events queued per webhook in one call.
const ENQUEUE_BATCH: i64 = 1000;

/// `d` after `t`, or the latest time there is.
fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(d)
        .ok()
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, hook: &NewWebhook) -> Result<WebhookRecord, StoreError> {
        let hook = hook.clone();
        let now = Utc::now();
        let row: WebhookRow = self
            .write(move |conn| {
                let newest: Option<i64> = incident_events::table
                    .select(diesel::dsl::max(incident_events::id))
                    .get_result(conn)?;
                diesel::insert_into(webhooks::table)
                    .values((
                        webhooks::url.eq(&hook.url),
                        webhooks::secret.eq(hook.secret.expose()),
                        webhooks::description.eq(&hook.description),
                        webhooks::created_at.eq(Micros(now)),
                        webhooks::enqueued_through.eq(newest.unwrap_or(0)),
                    ))
                    .execute(conn)?;
                let id: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                    "last_insert_rowid()",
                ))
                .get_result(conn)?;
                webhooks::table
                    .find(id)
                    .select(WebhookRow::as_select())
                    .get_result(conn)
            })
            .await?;
        Ok(row.into())
    }

    async fn list_webhooks(&self) -> Result<Vec<WebhookRecord>, StoreError> {
        let rows: Vec<WebhookRow> = self
            .read(|conn| {
                webhooks::table
                    .select(WebhookRow::as_select())
                    .order(webhooks::id)
                    .load(conn)
            })
            .await?;
        Ok(rows.into_iter().map(WebhookRecord::from).collect())
    }

    async fn disable_webhook(&self, id: i64) -> Result<bool, StoreError> {
        let now = Utc::now();
        self.write(move |conn| {
            let exists = diesel::select(diesel::dsl::exists(webhooks::table.find(id)))
                .get_result::<bool>(conn)?;
            diesel::update(
                webhooks::table
                    .find(id)
                    .filter(webhooks::disabled_at.is_null()),
            )
            .set(webhooks::disabled_at.eq(Micros(now)))
            .execute(conn)?;
            diesel::update(
                webhook_deliveries::table
                    .filter(webhook_deliveries::webhook_id.eq(id))
                    .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str())),
            )
            .set((
                webhook_deliveries::status.eq(DeliveryStatus::Failed.as_str()),
                webhook_deliveries::last_error.eq("webhook deleted"),
            ))
            .execute(conn)?;
            Ok(exists)
        })
        .await
    }

    async fn list_deliveries(
        &self,
        webhook_id: i64,
        limit: i64,
    ) -> Result<Option<Vec<DeliveryRecord>>, StoreError> {
        let rows: Option<Vec<DeliveryRow>> = self
            .read(move |conn| {
                let exists = diesel::select(diesel::dsl::exists(webhooks::table.find(webhook_id)))
                    .get_result::<bool>(conn)?;
                if !exists {
                    return Ok(None);
                }
                webhook_deliveries::table
                    .inner_join(incident_events::table)
                    .filter(webhook_deliveries::webhook_id.eq(webhook_id))
                    .order(webhook_deliveries::id.desc())
                    .limit(limit)
                    .select(DeliveryRow::as_select())
                    .load(conn)
                    .map(Some)
            })
            .await?;
        rows.map(|rows| rows.into_iter().map(DeliveryRecord::try_from).collect())
            .transpose()
    }

    async fn enqueue_deliveries(&self) -> Result<usize, StoreError> {
        let behind = webhooks::table
            .inner_join(
                incident_events::table.on(incident_events::id.gt(webhooks::enqueued_through)),
            )
            .filter(webhooks::disabled_at.is_null());
        let pending: bool = self
            .read(move |conn| diesel::select(diesel::dsl::exists(behind)).get_result(conn))
            .await?;
        if !pending {
            return Ok(0);
        }
        let now = Utc::now();
        self.write(move |conn| {
            let hooks: Vec<(i64, i64)> = webhooks::table
                .filter(webhooks::disabled_at.is_null())
                .select((webhooks::id, webhooks::enqueued_through))
                .load(conn)?;
            let mut queued = 0;
            for (hook, through) in hooks {
                let events: Vec<i64> = incident_events::table
                    .filter(incident_events::id.gt(through))
                    .order(incident_events::id)
                    .limit(ENQUEUE_BATCH)
                    .select(incident_events::id)
                    .load(conn)?;
                let Some(&last) = events.last() else {
                    continue;
                };
                for event in events {
                    queued += diesel::insert_into(webhook_deliveries::table)
                        .values((
                            webhook_deliveries::webhook_id.eq(hook),
                            webhook_deliveries::event_id.eq(event),
                            webhook_deliveries::next_attempt_at.eq(Micros(now)),
                            webhook_deliveries::created_at.eq(Micros(now)),
                        ))
                        .on_conflict((webhook_deliveries::webhook_id, webhook_deliveries::event_id))
                        .do_nothing()
                        .execute(conn)?;
                }
                diesel::update(webhooks::table.find(hook))
                    .set(webhooks::enqueued_through.eq(last))
                    .execute(conn)?;
            }
            Ok(queued)
        })
        .await
    }

    async fn claim_deliveries(
        &self,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = Utc::now();
        let due = move || {
            webhook_deliveries::table
                .inner_join(webhooks::table)
                .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str()))
                .filter(webhook_deliveries::next_attempt_at.le(Micros(now)))
                .filter(webhooks::disabled_at.is_null())
        };
        let any: bool = self
            .read(move |conn| diesel::select(diesel::dsl::exists(due())).get_result(conn))
            .await?;
        if !any {
            return Ok(Vec::new());
        }
        let until = later(now, lease);
        let rows: Vec<ClaimRow> = self
            .write(move |conn| {
                let ids: Vec<i64> = due()
                    .order((webhook_deliveries::next_attempt_at, webhook_deliveries::id))
                    .limit(limit)
                    .select(webhook_deliveries::id)
                    .load(conn)?;
                diesel::update(
                    webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)),
                )
                .set(webhook_deliveries::next_attempt_at.eq(Micros(until)))
                .execute(conn)?;
                webhook_deliveries::table
                    .inner_join(webhooks::table)
                    .inner_join(incident_events::table.inner_join(incidents::table))
                    .filter(webhook_deliveries::id.eq_any(&ids))
                    .order(webhook_deliveries::id)
                    .select(ClaimRow::as_select())
                    .load(conn)
            })
            .await?;
        rows.into_iter().map(DueDelivery::try_from).collect()
    }

    async fn record_attempt(&self, id: i64, outcome: &AttemptOutcome) -> Result<(), StoreError> {
        let now = Utc::now();
        let status = outcome.next.status();
        let next_at = match outcome.next {
            NextStep::RetryIn(after) => later(now, after),
            NextStep::Delivered | NextStep::GiveUp => now,
        };
        let outcome = outcome.clone();
        self.write(move |conn| {
            diesel::update(
                webhook_deliveries::table
                    .find(id)
                    .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending.as_str())),
            )
            .set((
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::last_status_code.eq(outcome.status_code),
                webhook_deliveries::last_error.eq(outcome.error),
                webhook_deliveries::status.eq(status.as_str()),
                webhook_deliveries::next_attempt_at.eq(Micros(next_at)),
                webhook_deliveries::delivered_at
                    .eq((status == DeliveryStatus::Delivered).then_some(Micros(now))),
            ))
            .execute(conn)
        })
        .await?;
        Ok(())
    }

    async fn prune_deliveries(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let deleted = self
            .write(move |conn| {
                diesel::delete(
                    webhook_deliveries::table
                        .filter(webhook_deliveries::status.ne(DeliveryStatus::Pending.as_str()))
                        .filter(webhook_deliveries::created_at.lt(Micros(before))),
                )
                .execute(conn)
            })
            .await?;
        Ok(deleted as u64)
    }
}
