//! Choosing and opening the stores: Postgres + Redis (production) or SQLite + in-process
//! buckets (embedded), behind the same traits.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use tracing::info;

use super::memory::MemoryStore;
use super::postgres::{run_migrations, PgElection, PgStore, ReplicaReads};
use super::redis::RedisStore;
use super::sqlite::{SqliteElection, SqliteStore};
use super::{
    AbuseGate, ApiKeyStore, BucketStore, CatalogStore, IncidentReader, LeaderElection,
    OfficialStore, OutageReader, RateCounter, ReportLog, RollupStore, StatusBoard, StoreError,
    WebhookStore,
};

/// Where Downwatch keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `DATABASE_URL` (Postgres) and `REDIS_URL` (Redis): production, several processes.
    Production {
        database_url: String,
        redis_url: String,
        /// `DATABASE_READ_URL`: a streaming replica of `database_url` that the request
        /// handlers read history from (see [`Stores::readers`]).
        read_replica: Option<ReadReplica>,
    },
    /// Neither set: SQLite in the data directory and in-process buckets; one process.
    Embedded,
}

impl Backend {
    /// From the two optional URLs: both or neither.
    pub fn from_urls(
        database_url: Option<String>,
        redis_url: Option<String>,
    ) -> Result<Self, String> {
        match (database_url.filter(|u| !u.is_empty()), redis_url.filter(|u| !u.is_empty())) {
            (Some(database_url), Some(redis_url)) => Ok(Backend::Production { database_url, redis_url, read_replica: None }),
            (None, None) => Ok(Backend::Embedded),
            (Some(_), None) => Err("DATABASE_URL is set but REDIS_URL is not: set both (Postgres + Redis) or neither (embedded storage)".into()),
            (None, Some(_)) => Err("REDIS_URL is set but DATABASE_URL is not: set both (Postgres + Redis) or neither (embedded storage)".into()),
        }
    }

    /// The same backend reading history from the replica at `url` (when given and not
    /// empty), falling back to the primary while the replica lags more than `max_lag`.
    pub fn with_read_replica(self, url: Option<String>, max_lag: Duration) -> Result<Self, String> {
        let Some(url) = url.filter(|u| !u.is_empty()) else {
            return Ok(self);
        };
        match self {
            Backend::Production { database_url, redis_url, .. } => Ok(Backend::Production {
                database_url,
                redis_url,
                read_replica: Some(ReadReplica { url, max_lag }),
            }),
            Backend::Embedded => Err("DATABASE_READ_URL is set but DATABASE_URL is not: a read replica needs the Postgres + Redis stack".into()),
        }
    }
}

/// A Postgres streaming replica that serves the read path's history (`DATABASE_READ_URL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadReplica {
    /// Its connection URL.
    pub url: String,
    /// `DOWNWATCH_READ_MAX_LAG`: reads go to the primary while the replica is further behind.
    pub max_lag: Duration,
}

/// Where and how to open the stores.
#[derive(Debug, Clone, Copy)]
pub struct Location<'a> {
    pub backend: &'a Backend,
    /// The embedded database lives here (`downwatch.sqlite3`).
    pub data_dir: &'a Path,
    /// The prefix of every Redis key of the deployment.
    pub redis_prefix: &'a str,
    /// Postgres connections in the pool.
    pub db_pool_size: usize,
}

/// Every store a process needs, as trait objects.
#[derive(Clone)]
pub struct Stores {
    pub log: Arc<dyn ReportLog>,
    pub catalog: Arc<dyn CatalogStore>,
    pub rollups: Arc<dyn RollupStore>,
    pub incidents: Arc<dyn IncidentReader>,
    pub outages: Arc<dyn OutageReader>,
    pub gate: Arc<dyn AbuseGate>,
    pub buckets: Arc<dyn BucketStore>,
    pub board: Arc<dyn StatusBoard>,
    pub election: Arc<dyn LeaderElection>,
    /// API keys (durable).
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Webhooks and their delivery log (durable).
    pub webhooks: Arc<dyn WebhookStore>,
    /// Official status pages: sources, incidents, links (durable).
    pub official: Arc<dyn OfficialStore>,
    /// The read rate limit's counters (hot, shared by every node).
    pub read_counter: Arc<dyn RateCounter>,
    /// With a read replica: the stores of [`Stores::readers`].
    replica_reads: Option<Arc<ReplicaReads>>,
}

impl Stores {
    /// The stores the request handlers use. Without a read replica, these stores. With one,
    /// incidents, outages, rollups, official status and phrases are read from the replica
    /// while it is reachable and within its lag bound, else from the primary; every write
    /// (and the report log's other reads) goes to the primary. Background jobs, the detector
    /// and ingest keep the primary's stores.
    pub fn readers(&self) -> Stores {
        match &self.replica_reads {
            None => self.clone(),
            Some(reads) => Stores {
                log: reads.clone(),
                rollups: reads.clone(),
                incidents: reads.clone(),
                outages: reads.clone(),
                official: reads.clone(),
                ..self.clone()
            },
        }
    }
}

/// Which store failed to open.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("Postgres: {0}")]
    Postgres(StoreError),
    #[error("Redis: {0}")]
    Redis(StoreError),
    #[error("embedded storage: {0}")]
    Embedded(StoreError),
}

/// Opens the stores `at` names, migrating the database first. The embedded buckets start
/// empty: a server refills them from the report log before it serves.
pub async fn open(at: &Location<'_>) -> Result<Stores, OpenError> {
    match at.backend {
        Backend::Production {
            database_url,
            redis_url,
            read_replica,
        } => {
            let applied = run_migrations(database_url)
                .await
                .map_err(OpenError::Postgres)?;
            if !applied.is_empty() {
                info!(migrations = applied.len(), "database schema migrated");
            }
            let pg =
                Arc::new(PgStore::new(database_url, at.db_pool_size).map_err(OpenError::Postgres)?);
            let redis = Arc::new(
                RedisStore::connect(redis_url, at.redis_prefix)
                    .await
                    .map_err(OpenError::Redis)?,
            );
            let today = Utc::now().date_naive();
            pg.ensure_partitions(today - TimeDelta::days(1), 4)
                .await
                .map_err(OpenError::Postgres)?;
            info!("storage: Postgres (report log, rollups, incidents) and Redis (buckets, abuse gate, live events)");
            let replica_reads = match read_replica {
                None => None,
                Some(replica) => Some(
                    ReplicaReads::open(pg.clone(), &replica.url, at.db_pool_size, replica.max_lag)
                        .await
                        .map_err(OpenError::Postgres)?,
                ),
            };
            Ok(Stores {
                log: pg.clone(),
                catalog: pg.clone(),
                rollups: pg.clone(),
                incidents: pg.clone(),
                outages: pg.clone(),
                api_keys: pg.clone(),
                webhooks: pg.clone(),
                official: pg.clone(),
                read_counter: redis.clone(),
                gate: redis.clone(),
                buckets: redis.clone(),
                board: redis,
                election: Arc::new(PgElection {
                    database_url: database_url.clone(),
                }),
                replica_reads,
            })
        }
        Backend::Embedded => {
            let path = at.data_dir.join("downwatch.sqlite3");
            let open_path = path.clone();
            let sqlite = tokio::task::spawn_blocking(move || SqliteStore::open(&open_path))
                .await
                .map_err(|e| {
                    OpenError::Embedded(StoreError::Failed {
                        store: "sqlite",
                        reason: e.to_string(),
                    })
                })?
                .map_err(OpenError::Embedded)?;
            let memory = Arc::new(MemoryStore::new());
            let sqlite = Arc::new(sqlite);
            info!(
                file = %path.display(),
                "storage: embedded (SQLite file and in-process buckets; one process only). Set DATABASE_URL and REDIS_URL for Postgres + Redis"
            );
            Ok(Stores {
                log: sqlite.clone(),
                catalog: sqlite.clone(),
                rollups: sqlite.clone(),
                incidents: sqlite.clone(),
                outages: sqlite.clone(),
                api_keys: sqlite.clone(),
                webhooks: sqlite.clone(),
                official: sqlite.clone(),
                read_counter: memory.clone(),
                gate: memory.clone(),
                buckets: memory.clone(),
                board: memory,
                election: Arc::new(SqliteElection {
                    store: sqlite.as_ref().clone(),
                }),
                replica_reads: None,
            })
        }
    }
}
