//! Choosing and opening the stores: Postgres + Redis (production) or SQLite + in-process
//! buckets (embedded), behind the same traits.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use tracing::info;

use super::memory::MemoryStore;
use super::postgres::{run_migrations, PgElection, PgStore};
use super::redis::RedisStore;
use super::sqlite::{SqliteElection, SqliteStore};
use super::{
    AbuseGate, ApiKeyStore, BucketStore, CatalogStore, IncidentReader, LeaderElection, RateCounter,
    ReportLog, RollupStore, StatusBoard, StoreError, WebhookStore,
};
use crate::config::{Backend, Config};
use crate::ingest::reconcile;

/// Every store a process needs, as trait objects.
#[derive(Clone)]
pub struct Stores {
    pub log: Arc<dyn ReportLog>,
    pub catalog: Arc<dyn CatalogStore>,
    pub rollups: Arc<dyn RollupStore>,
    pub incidents: Arc<dyn IncidentReader>,
    pub gate: Arc<dyn AbuseGate>,
    pub buckets: Arc<dyn BucketStore>,
    pub board: Arc<dyn StatusBoard>,
    pub election: Arc<dyn LeaderElection>,
    /// API keys (durable).
    pub api_keys: Arc<dyn ApiKeyStore>,
    /// Webhooks and their delivery log (durable).
    pub webhooks: Arc<dyn WebhookStore>,
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

/// Opens the stores `config` names, migrating the database first.
pub async fn open(config: &Config) -> Result<Stores, OpenError> {
    match &config.backend {
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
            let pg = Arc::new(
                PgStore::new(database_url, config.ingest.db_pool_size)
                    .map_err(OpenError::Postgres)?,
            );
            let redis = Arc::new(
                RedisStore::connect(redis_url, &config.redis_prefix)
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
                api_keys: pg.clone(),
                webhooks: pg.clone(),
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
            let path = config.data_dir.join("downwatch.sqlite3");
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
            // The in-process buckets start empty: rebuild the hot window from the log.
            let now = Utc::now();
            let rebuilt = reconcile::rebuild(
                sqlite.as_ref(),
                memory.as_ref(),
                now - TimeDelta::minutes(crate::read::HOT_WINDOW_MINUTES),
                now + TimeDelta::minutes(1),
                |_, _, _| {},
            )
            .await
            .map_err(OpenError::Embedded)?;
            info!(
                file = %path.display(),
                rebuilt_minutes = rebuilt,
                "storage: embedded (SQLite file and in-process buckets; one process only). Set DATABASE_URL and REDIS_URL for Postgres + Redis"
            );
            Ok(Stores {
                log: sqlite.clone(),
                catalog: sqlite.clone(),
                rollups: sqlite.clone(),
                incidents: sqlite.clone(),
                api_keys: sqlite.clone(),
                webhooks: sqlite.clone(),
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
