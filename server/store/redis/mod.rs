//! Redis implementation of the hot stores: abuse gate and minute buckets.

mod board;
mod buckets;
mod gate;
pub mod keys;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::StoreError;
use keys::Keys;

const STORE: &str = "redis";

/// How long minute buckets are kept: the hot window plus a margin.
pub const BUCKET_TTL_SECS: i64 = 26 * 3600;

/// The Redis store. Cloning is cheap: the connection manager multiplexes one connection.
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    conn: ConnectionManager,
    keys: Keys,
    gate_script: redis::Script,
    release_script: redis::Script,
}

impl RedisStore {
    /// Connects to `url`; every key is prefixed with `prefix` (empty in production).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url).map_err(|e| StoreError::Failed {
            store: STORE,
            reason: e.to_string(),
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let conn = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(redis_error)?;
        Ok(Self {
            client,
            conn,
            keys: Keys::new(prefix),
            gate_script: redis::Script::new(gate::GATE_SCRIPT),
            release_script: redis::Script::new(gate::RELEASE_SCRIPT),
        })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }
}

fn redis_error(e: redis::RedisError) -> StoreError {
    if e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() {
        StoreError::Unavailable {
            store: STORE,
            reason: e.to_string(),
        }
    } else {
        StoreError::Failed {
            store: STORE,
            reason: e.to_string(),
        }
    }
}
