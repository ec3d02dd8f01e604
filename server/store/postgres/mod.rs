//! Postgres implementation of the durable stores, through diesel-async (pure-Rust
//! tokio-postgres, no libpq) and a deadpool connection pool.

mod api_keys;
mod catalog;
pub mod detector;
mod election;
mod incidents;
pub mod models;
mod official;
mod outages;
mod replica;
mod replica_reads;
mod reports;
mod retention;
mod rollups;
pub mod schema;
mod webhooks;

pub use election::PgElection;
pub use replica::ReplicaReads;

use std::time::Duration;

use deadpool::Runtime;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::StoreError;

/// The migrations in `migrations/`, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

const STORE: &str = "postgres";

/// The advisory lock key taken while migrating ("dw-migra" in ASCII).
const MIGRATION_LOCK: i64 = 0x64_77_2d_6d_69_67_72_61;

/// The Postgres store: report log and catalog.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool<AsyncPgConnection>,
}

impl PgStore {
    /// Builds a pool of at most `max_size` connections; connections are opened lazily.
    pub fn new(database_url: &str, max_size: usize) -> Result<Self, StoreError> {
        Self::with_timeout(database_url, max_size, Duration::from_secs(5))
    }

    /// [`PgStore::new`] giving up on a connection (waiting for one, opening one, checking
    /// one) after `timeout`.
    pub fn with_timeout(
        database_url: &str,
        max_size: usize,
        timeout: Duration,
    ) -> Result<Self, StoreError> {
        let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(database_url);
        let pool = Pool::builder(manager)
            .max_size(max_size)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .build()
            .map_err(|e| StoreError::Failed {
                store: STORE,
                reason: e.to_string(),
            })?;
        Ok(Self { pool })
    }

    async fn conn(&self) -> Result<Object<AsyncPgConnection>, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Unavailable {
            store: STORE,
            reason: e.to_string(),
        })
    }
}

/// Runs the pending migrations; returns the versions applied.
pub async fn run_migrations(database_url: &str) -> Result<Vec<String>, StoreError> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || {
        use diesel::Connection;
        let mut conn =
            AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url).map_err(|e| {
                StoreError::Unavailable {
                    store: STORE,
                    reason: e.to_string(),
                }
            })?;
        // Several nodes starting together on a fresh database must not race: one migrates,
        // the others wait and then find nothing pending.
        let lock = |conn: &mut AsyncConnectionWrapper<AsyncPgConnection>, sql: &str| {
            diesel::RunQueryDsl::execute(
                diesel::sql_query(sql).bind::<diesel::sql_types::BigInt, _>(MIGRATION_LOCK),
                conn,
            )
            .map_err(|e| StoreError::Failed {
                store: STORE,
                reason: format!("migration lock: {e}"),
            })
        };
        lock(&mut conn, "SELECT pg_advisory_lock($1)")?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map(|v| v.iter().map(|v| v.to_string()).collect())
            .map_err(|e| StoreError::Failed {
                store: STORE,
                reason: format!("migration failed: {e}"),
            });
        lock(&mut conn, "SELECT pg_advisory_unlock($1)")?;
        applied
    })
    .await
    .map_err(|e| StoreError::Failed {
        store: STORE,
        reason: e.to_string(),
    })?
}

/// Maps a diesel error: lost connections are `Unavailable`, unique violations `Conflict`.
fn db_error(e: diesel::result::Error) -> StoreError {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => StoreError::Conflict,
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
            StoreError::Unavailable {
                store: STORE,
                reason: info.message().to_owned(),
            }
        }
        other => StoreError::Failed {
            store: STORE,
            reason: other.to_string(),
        },
    }
}
