//! Choosing and opening the stores: Postgres + Redis (production) or SQLite + in-process
//! buckets (embedded), behind the same traits.

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use tracing::info;

use super::memory::MemoryStore;
use super::postgres::{run_migrations, PgElection, PgStore};
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
            (Some(database_url), Some(redis_url)) => Ok(Backend::Production { database_url, redis_url }),
            (None, None) => Ok(Backend::Embedded),
            (Some(_), None) => Err("DATABASE_URL is set but REDIS_URL is not: set both (Postgres + Redis) or neither (embedded storage)".into()),
            (None, Some(_)) => Err("REDIS_URL is set but DATABASE_URL is not: set both (Postgres + Redis) or neither (embedded storage)".into()),
        }
    }
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
            })
        }
    }
}
