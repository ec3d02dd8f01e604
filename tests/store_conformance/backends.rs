//! The backends under test, each on storage of its own: [`Durable`] (SQLite or Postgres) and
//! [`Hot`] (memory or Redis), their stores as the traits the application holds.

use std::sync::Arc;

use downwatch::store::memory::MemoryStore;
use downwatch::store::postgres::{run_migrations, PgElection, PgStore};
use downwatch::store::redis::RedisStore;
use downwatch::store::sqlite::{SqliteElection, SqliteStore};
use downwatch::store::{
    AbuseGate, ApiKeyStore, BucketStore, CatalogStore, DetectorStore, IncidentReader,
    LeaderElection, OfficialStore, OutageReader, RateCounter, ReportLog, RollupStore, StatusBoard,
    WebhookStore,
};

use crate::throwaway::{redis_url, TestDb, TestPrefix};

/// The durable stores of one backend, on a database of their own.
pub struct Durable {
    pub log: Arc<dyn ReportLog>,
    pub catalog: Arc<dyn CatalogStore>,
    pub rollups: Arc<dyn RollupStore>,
    pub incidents: Arc<dyn IncidentReader>,
    pub outages: Arc<dyn OutageReader>,
    pub api_keys: Arc<dyn ApiKeyStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub official: Arc<dyn OfficialStore>,
    pub election: Arc<dyn LeaderElection>,
    // Last: the database goes after every handle on it.
    _storage: Storage,
}

/// Where a backend's data lives; removed on drop.
enum Storage {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres(#[allow(dead_code)] TestDb),
    Memory,
    Redis(#[allow(dead_code)] TestPrefix),
}

impl Durable {
    /// SQLite in a file of a fresh temp dir.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("downwatch.sqlite3");
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
            .await
            .expect("open task")
            .expect("open SQLite");
        let election = Arc::new(SqliteElection {
            store: store.clone(),
        });
        let store = Arc::new(store);
        Self {
            log: store.clone(),
            catalog: store.clone(),
            rollups: store.clone(),
            incidents: store.clone(),
            outages: store.clone(),
            api_keys: store.clone(),
            webhooks: store.clone(),
            official: store,
            election,
            _storage: Storage::Sqlite(dir),
        }
    }

    /// Postgres in a fresh, migrated database of the test Postgres.
    pub async fn postgres() -> Self {
        let db = TestDb::create().await;
        run_migrations(&db.database_url).await.expect("migrate");
        let store = Arc::new(PgStore::new(&db.database_url, 8).expect("pool"));
        Self {
            log: store.clone(),
            catalog: store.clone(),
            rollups: store.clone(),
            incidents: store.clone(),
            outages: store.clone(),
            api_keys: store.clone(),
            webhooks: store.clone(),
            official: store,
            election: Arc::new(PgElection {
                database_url: db.database_url.clone(),
            }),
            _storage: Storage::Postgres(db),
        }
    }

    /// The detector's store, after winning the election (nobody else campaigns).
    pub async fn leader(&self) -> Box<dyn DetectorStore> {
        self.election
            .campaign()
            .await
            .expect("campaign")
            .expect("no other leader")
    }
}

/// The hot stores of one backend, under a key space of their own.
pub struct Hot {
    pub gate: Arc<dyn AbuseGate>,
    pub buckets: Arc<dyn BucketStore>,
    pub board: Arc<dyn StatusBoard>,
    pub rate: Arc<dyn RateCounter>,
    _storage: Storage,
}

impl Hot {
    /// The in-process store, on the system clock.
    pub fn memory() -> Self {
        let store = Arc::new(MemoryStore::new());
        Self {
            gate: store.clone(),
            buckets: store.clone(),
            board: store.clone(),
            rate: store,
            _storage: Storage::Memory,
        }
    }

    /// The test Redis (or Redis Cluster), under a key prefix of its own.
    pub async fn redis() -> Self {
        let prefix = TestPrefix::create();
        let store = Arc::new(
            RedisStore::connect(&redis_url(), &prefix.prefix)
                .await
                .unwrap_or_else(|e| panic!("cannot reach the test Redis: {e} (run scripts/test)")),
        );
        Self {
            gate: store.clone(),
            buckets: store.clone(),
            board: store.clone(),
            rate: store,
            _storage: Storage::Redis(prefix),
        }
    }
}
