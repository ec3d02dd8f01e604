//! SQLite implementation of the durable stores, for the embedded stack: one database file in
//! WAL mode, through diesel's synchronous `SqliteConnection` run on tokio's blocking pool.
//!
//! Connections: SQLite serialises writers anyway, so every write goes through one writer
//! connection behind an async mutex (waiters queue without holding a blocking thread) and runs
//! in an `IMMEDIATE` transaction; reads go through a small pool of read-only connections,
//! which WAL lets run alongside the writer on their own snapshot. Durability: `synchronous =
//! FULL` in WAL mode syncs the log at every commit, so a commit that returned survives a power
//! loss — what "nothing acknowledged is lost" needs (`NORMAL` may lose the last commits).
//!
//! The embedded stack is single-process: the detector leader is an in-process claim (see
//! [`detector::SqliteLeader`]) and the hot stores live in this process's memory.

mod api_keys;
mod catalog;
pub mod detector;
mod election;
mod incidents;
mod models;
mod official;
mod outages;
mod reports;
mod retention;
mod rollups;
pub mod schema;
#[cfg(test)]
mod tests;
pub mod types;
mod webhooks;

pub use election::SqliteElection;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, Pool, PoolError, RecycleResult};
use deadpool::Runtime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::QueryResult;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use tokio::sync::Mutex;
use tracing::info;

use super::StoreError;

/// The migrations in `migrations_sqlite/`, embedded in the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations_sqlite");

const STORE: &str = "sqlite";

/// Read-only connections kept for concurrent reads.
const READERS: usize = 4;

/// How long a statement waits for a lock held by another connection before failing.
const BUSY_TIMEOUT_MS: u32 = 5000;

/// The SQLite store: report log, catalog, rollups and the detector's tables.
/// Cloning is cheap: clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    /// The canonical path of the database file: identifies the database in this process.
    path: Arc<Path>,
    writer: Arc<Mutex<SqliteConnection>>,
    readers: Pool<Readers>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating it and its directory if needed) the database at `path`, switches it to
    /// WAL mode and runs the pending migrations. Blocks while doing so: call it at start-up.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| failed(format!("{}: {e}", dir.display())))?;
        }
        let url = path
            .to_str()
            .ok_or_else(|| failed(format!("{}: not valid UTF-8", path.display())))?
            .to_owned();
        let mut writer = connect(&url, false)?;
        // Migrations run with foreign keys off, as SQLite's procedure for rebuilding a table
        // asks: dropping the old table must not delete the rows that reference it.
        writer
            .batch_execute("PRAGMA foreign_keys = OFF;")
            .map_err(db_error)?;
        let applied: Vec<String> = writer
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| failed(format!("migration failed: {e}")))?
            .iter()
            .map(ToString::to_string)
            .collect();
        writer
            .batch_execute("PRAGMA foreign_keys = ON;")
            .map_err(db_error)?;
        if !applied.is_empty() {
            info!(path = %path.display(), migrations = ?applied, "sqlite migrations applied");
        }
        let canonical: PathBuf =
            std::fs::canonicalize(path).map_err(|e| failed(format!("{}: {e}", path.display())))?;
        let readers = Pool::builder(Readers { url })
            .max_size(READERS)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(5)))
            .create_timeout(Some(Duration::from_secs(5)))
            .build()
            .map_err(|e| failed(e.to_string()))?;
        Ok(Self {
            path: canonical.into(),
            writer: Arc::new(Mutex::new(writer)),
            readers,
        })
    }

    /// The canonical path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one `IMMEDIATE` transaction on the writer connection.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    {
        let mut conn = self.writer.clone().lock_owned().await;
        // The guard moves into the blocking task: if this future is dropped, the transaction
        // still ends (commit or rollback) before anyone else can write.
        tokio::task::spawn_blocking(move || conn.immediate_transaction(f))
            .await
            .map_err(|e| failed(e.to_string()))?
            .map_err(db_error)
    }

    /// Runs `f` on a read-only connection.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> QueryResult<T> + Send + 'static,
    {
        let mut conn: Object<Readers> = self.readers.get().await.map_err(pool_error)?;
        tokio::task::spawn_blocking(move || f(&mut conn))
            .await
            .map_err(|e| failed(e.to_string()))?
            .map_err(db_error)
    }
}

/// Opens one connection and sets it up: WAL and full sync for the writer, read-only readers.
fn connect(url: &str, read_only: bool) -> Result<SqliteConnection, StoreError> {
    let mut conn = SqliteConnection::establish(url).map_err(|e| StoreError::Unavailable {
        store: STORE,
        reason: e.to_string(),
    })?;
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;"
    ))
    .map_err(db_error)?;
    if read_only {
        conn.batch_execute("PRAGMA query_only = ON;")
            .map_err(db_error)?;
        return Ok(conn);
    }
    #[derive(QueryableByName)]
    struct JournalMode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mode: JournalMode = diesel::sql_query("PRAGMA journal_mode = WAL")
        .get_result(&mut conn)
        .map_err(db_error)?;
    if !mode.journal_mode.eq_ignore_ascii_case("wal") {
        return Err(failed(format!(
            "cannot use WAL mode (journal mode is {})",
            mode.journal_mode
        )));
    }
    conn.batch_execute("PRAGMA synchronous = FULL;")
        .map_err(db_error)?;
    Ok(conn)
}

/// Creates the read-only connections of the pool.
struct Readers {
    url: String,
}

impl managed::Manager for Readers {
    type Type = SqliteConnection;
    type Error = StoreError;

    async fn create(&self) -> Result<SqliteConnection, StoreError> {
        let url = self.url.clone();
        tokio::task::spawn_blocking(move || connect(&url, true))
            .await
            .map_err(|e| failed(e.to_string()))?
    }

    async fn recycle(&self, _: &mut SqliteConnection, _: &Metrics) -> RecycleResult<StoreError> {
        Ok(())
    }
}

fn pool_error(e: PoolError<StoreError>) -> StoreError {
    match e {
        PoolError::Backend(e) => e,
        other => StoreError::Unavailable {
            store: STORE,
            reason: other.to_string(),
        },
    }
}

fn failed(reason: String) -> StoreError {
    StoreError::Failed {
        store: STORE,
        reason,
    }
}

/// Maps a diesel error: unique violations are `Conflict`; a lock held past the busy timeout
/// or a lost connection is `Unavailable` (retry later).
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
        Error::DatabaseError(_, info)
            if info.message().contains("database is locked")
                || info.message().contains("database is busy") =>
        {
            StoreError::Unavailable {
                store: STORE,
                reason: info.message().to_owned(),
            }
        }
        other => failed(other.to_string()),
    }
}
