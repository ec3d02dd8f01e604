//! The status board: the detector's last word per service (a hash) and the live event log
//! (a capped stream, so that a client reconnecting with `Last-Event-ID` misses nothing that
//! is still kept — plain pub/sub would lose what happened while it was away).

use std::time::Duration;

use async_trait::async_trait;

use super::{redis_error, RedisStore, MAX_BLOCK, STORE};
use crate::store::{LiveEvent, LoggedEvent, ServiceStatus, StatusBoard, StoreError};

/// Events kept for late readers (approximately).
const EVENTS_KEPT: usize = 10_000;

fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Failed {
        store: STORE,
        reason: format!("bad JSON in Redis: {e}"),
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Failed {
        store: STORE,
        reason: e.to_string(),
    })
}

#[async_trait]
impl StatusBoard for RedisStore {
    async fn publish_statuses(&self, statuses: &[ServiceStatus]) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        for chunk in statuses.chunks(1000) {
            let mut items = Vec::with_capacity(chunk.len());
            for s in chunk {
                items.push((s.service.clone(), encode(s)?));
            }
            redis::cmd("HSET")
                .arg(self.keys.status())
                .arg(items)
                .query_async::<()>(&mut conn)
                .await
                .map_err(redis_error)?;
        }
        redis::cmd("INCR")
            .arg(self.keys.ticks())
            .query_async::<()>(&mut conn)
            .await
            .map_err(redis_error)
    }

    async fn tick_count(&self) -> Result<u64, StoreError> {
        let mut conn = self.conn.clone();
        let count: Option<u64> = redis::cmd("GET")
            .arg(self.keys.ticks())
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        Ok(count.unwrap_or(0))
    }

    async fn status(&self, service: &str) -> Result<Option<ServiceStatus>, StoreError> {
        let mut conn = self.conn.clone();
        let text: Option<String> = redis::cmd("HGET")
            .arg(self.keys.status())
            .arg(service)
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        text.as_deref().map(decode).transpose()
    }

    async fn statuses(&self) -> Result<Vec<ServiceStatus>, StoreError> {
        let mut conn = self.conn.clone();
        let all: Vec<(String, String)> = redis::cmd("HGETALL")
            .arg(self.keys.status())
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        all.iter().map(|(_, text)| decode(text)).collect()
    }

    async fn latest_event_id(&self) -> Result<Option<String>, StoreError> {
        let mut conn = self.conn.clone();
        let newest: Vec<(String, Vec<(String, String)>)> = redis::cmd("XREVRANGE")
            .arg(self.keys.events())
            .arg("+")
            .arg("-")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        Ok(newest.into_iter().next().map(|(id, _)| id))
    }

    async fn publish_event(&self, event: &LiveEvent) -> Result<String, StoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("XADD")
            .arg(self.keys.events())
            .arg("MAXLEN")
            .arg("~")
            .arg(EVENTS_KEPT)
            .arg("*")
            .arg("event")
            .arg(encode(event)?)
            .query_async(&mut conn)
            .await
            .map_err(redis_error)
    }

    async fn events_after(
        &self,
        after: Option<&str>,
        block: Duration,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let block = block.min(MAX_BLOCK);
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT").arg(500);
        if !block.is_zero() {
            cmd.arg("BLOCK").arg(block.as_millis() as u64);
        }
        cmd.arg("STREAMS")
            .arg(self.keys.events())
            .arg(after.unwrap_or("0-0"));
        type Reply = Option<Vec<(String, Vec<(String, Vec<(String, String)>)>)>>;
        let reply: Reply = if block.is_zero() {
            let mut conn = self.conn.clone();
            cmd.query_async(&mut conn).await.map_err(redis_error)?
        } else {
            // A blocking read needs a connection of its own (one per node in a cluster):
            // the shared one must not stall, and its response timeout is shorter than `block`.
            let mut conn = self.blocking_conn().await?;
            let reply = cmd.query_async(&mut conn).await.map_err(redis_error)?;
            self.reuse_blocking_conn(conn);
            reply
        };
        let mut events = Vec::new();
        for (_, entries) in reply.unwrap_or_default() {
            for (id, fields) in entries {
                if let Some((_, text)) = fields.iter().find(|(k, _)| k == "event") {
                    events.push(LoggedEvent {
                        id,
                        event: decode(text)?,
                    });
                }
            }
        }
        Ok(events)
    }
}
