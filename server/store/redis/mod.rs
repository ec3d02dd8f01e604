//! Redis implementation of the hot stores: abuse gate, minute buckets and status board, on
//! one Redis server or a Redis Cluster (`REDIS_URL=redis+cluster://host:port,host:port,...`).
//!
//! In a cluster every key of one service shares the hash tag `{s:<slug>}` and the gate keys of
//! one address share `{a:<hash>}` (see [`keys`]), so each multi-key command and each
//! `MULTI`/`EXEC` stays on one slot; pipelines spanning services are split by slot in
//! [`conn`]. The status hash, the event stream and the active-services set are single keys.

mod board;
mod buckets;
mod conn;
mod gate;
pub mod keys;
mod reads;
mod series_cache;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder};
use redis::AsyncConnectionConfig;

use super::StoreError;
use conn::RedisConn;
pub use conn::{RedisTarget, CLUSTER_SCHEME};
use keys::Keys;

const STORE: &str = "redis";

/// How long minute buckets are kept: the hot window plus a margin.
pub const BUCKET_TTL_SECS: i64 = 26 * 3600;

/// Connection and per-command timeouts of the shared connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest a blocking read may wait; its connection times out a little later.
pub(crate) const MAX_BLOCK: Duration = Duration::from_secs(60);
const BLOCKING_RESPONSE_TIMEOUT: Duration = Duration::from_secs(65);

/// Idle blocking-read connections kept for reuse.
const BLOCKING_IDLE_KEPT: usize = 4;

/// The Redis store. Cloning is cheap: clones share one multiplexed connection (per node).
#[derive(Clone)]
pub struct RedisStore {
    conn: RedisConn,
    blocking: Arc<Blocking>,
    keys: Keys,
    gate_script: redis::Script,
    release_script: redis::Script,
    /// Settled minutes of the series being read (see [`series_cache`]).
    series: Arc<series_cache::SeriesCache>,
}

/// Connections for blocking reads (`XREAD BLOCK`), which must not stall the shared one.
struct Blocking {
    opener: Opener,
    idle: Mutex<Vec<RedisConn>>,
}

/// Opens blocking-read connections (with a response timeout longer than [`MAX_BLOCK`]).
enum Opener {
    Single(redis::Client),
    Cluster(Box<ClusterClient>),
}

impl RedisStore {
    /// Connects to `url` — `redis://…` for one server, `redis+cluster://host:port,…` for a
    /// Redis Cluster; every key is prefixed with `prefix` (empty in production).
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let failed = |reason: String| StoreError::Failed {
            store: STORE,
            reason,
        };
        let (conn, opener) = match RedisTarget::parse(url).map_err(failed)? {
            RedisTarget::Single(url) => {
                let client = redis::Client::open(url).map_err(|e| failed(e.to_string()))?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_number_of_retries(2)
                    .set_max_delay(Duration::from_secs(1));
                let conn = ConnectionManager::new_with_config(client.clone(), config)
                    .await
                    .map_err(redis_error)?;
                (RedisConn::Managed(conn), Opener::Single(client))
            }
            RedisTarget::Cluster(nodes) => {
                if prefix.contains(['{', '}']) {
                    return Err(failed(
                        "the Redis key prefix must not contain { or } with a Redis Cluster: it would change the keys' hash tags".into(),
                    ));
                }
                let builder = || {
                    ClusterClientBuilder::new(nodes.clone())
                        .connection_timeout(CONNECT_TIMEOUT)
                        .retries(2)
                        .min_retry_wait(50)
                        .max_retry_wait(1000)
                };
                let client = builder()
                    .response_timeout(RESPONSE_TIMEOUT)
                    .build()
                    .map_err(|e| failed(e.to_string()))?;
                let blocking = builder()
                    .response_timeout(BLOCKING_RESPONSE_TIMEOUT)
                    .build()
                    .map_err(|e| failed(e.to_string()))?;
                let conn = client.get_async_connection().await.map_err(redis_error)?;
                tracing::info!(
                    seed_nodes = nodes.len(),
                    "Redis: using a Redis Cluster (keys spread over its slots by service)"
                );
                (
                    RedisConn::Cluster(conn),
                    Opener::Cluster(Box::new(blocking)),
                )
            }
        };
        Ok(Self {
            conn,
            blocking: Arc::new(Blocking {
                opener,
                idle: Mutex::new(Vec::new()),
            }),
            keys: Keys::new(prefix),
            gate_script: redis::Script::new(gate::GATE_SCRIPT),
            release_script: redis::Script::new(gate::RELEASE_SCRIPT),
            series: Arc::default(),
        })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Whether this store talks to a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.conn, RedisConn::Cluster(_))
    }

    /// A connection for a blocking read: an idle one, or a new one.
    async fn blocking_conn(&self) -> Result<RedisConn, StoreError> {
        let idle = self
            .blocking
            .idle
            .lock()
            .map(|mut v| v.pop())
            .unwrap_or(None);
        if let Some(conn) = idle {
            return Ok(conn);
        }
        match &self.blocking.opener {
            Opener::Single(client) => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(BLOCKING_RESPONSE_TIMEOUT));
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map(RedisConn::Direct)
                    .map_err(redis_error)
            }
            Opener::Cluster(client) => client
                .get_async_connection()
                .await
                .map(RedisConn::Cluster)
                .map_err(redis_error),
        }
    }

    /// Gives back a blocking-read connection that worked, for the next read.
    fn reuse_blocking_conn(&self, conn: RedisConn) {
        if let Ok(mut idle) = self.blocking.idle.lock() {
            if idle.len() < BLOCKING_IDLE_KEPT {
                idle.push(conn);
            }
        }
    }
}

fn redis_error(e: redis::RedisError) -> StoreError {
    if e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_cluster_error()
        || e.kind() == redis::ErrorKind::ClusterConnectionNotFound
    {
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
