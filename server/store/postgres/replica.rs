//! Reading history from a Postgres streaming replica (`DATABASE_READ_URL`) with a bounded
//! lag: [`ReplicaReads`] sends a read to the replica while a check of at most a second ago
//! says the replica has replayed everything the primary had written `max_lag` ago, and to
//! the primary otherwise (replica unreachable, lagging, or a read on it failed). Writes
//! always go to the primary ([`super::replica_reads`] says which call is which).
//!
//! The lag is measured in time, not bytes, and without trusting the replica's clock or
//! its last replayed transaction's timestamp (which stands still while the primary is
//! idle): every check notes the primary's WAL position with the time it was read, then asks
//! the replica how far it has replayed; the replica is fresh as of the newest noted position
//! it has reached.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Bool, Nullable};
use diesel::QueryableByName;
use tracing::{info, warn};

use super::{db_error, PgStore};
use crate::metrics::metrics;
use crate::store::StoreError;

/// A check that takes longer than this counts as the replica (or primary) not answering.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// The replica's pool gives up on a connection this fast, so that a replica that went away
/// costs a read one second before it falls back, not five.
const REPLICA_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The read stores of a deployment with a read replica: see the module documentation.
pub struct ReplicaReads {
    pub(super) primary: Arc<PgStore>,
    pub(super) replica: PgStore,
    health: Health,
}

/// Which server answered a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Replica,
    Primary,
}

impl Target {
    fn label(self) -> &'static str {
        match self {
            Target::Replica => "replica",
            Target::Primary => "primary",
        }
    }
}

/// What the checks know about the replica; read by every request without a query.
struct Health {
    max_lag: Duration,
    every: Duration,
    epoch: Instant,
    /// Nanoseconds after `epoch` of the newest primary position the replica has replayed
    /// (0: none yet).
    fresh_as_of: AtomicU64,
    /// Whether the last check (or read) reached the replica.
    reachable: AtomicBool,
    /// The last decision logged: 0 none yet, 1 replica, 2 primary.
    serving: AtomicU8,
    samples: Mutex<Samples>,
}

impl ReplicaReads {
    /// Opens a pool on the replica at `url` beside `primary`, checks the replica once and
    /// then about every second (a quarter of `max_lag` when that is shorter) for as long as
    /// the returned stores are in use.
    pub async fn open(
        primary: Arc<PgStore>,
        url: &str,
        pool_size: usize,
        max_lag: Duration,
    ) -> Result<Arc<Self>, StoreError> {
        let replica = PgStore::with_timeout(url, pool_size, REPLICA_CONNECT_TIMEOUT)?;
        let every = (max_lag / 4).clamp(Duration::from_millis(50), Duration::from_secs(1));
        let reads = Arc::new(Self {
            primary,
            replica,
            health: Health {
                max_lag,
                every,
                epoch: Instant::now(),
                fresh_as_of: AtomicU64::new(0),
                reachable: AtomicBool::new(false),
                serving: AtomicU8::new(0),
                samples: Mutex::new(Samples::default()),
            },
        });
        reads.check().await;
        tokio::spawn(watch(Arc::downgrade(&reads), every));
        info!(
            max_lag_ms = max_lag.as_millis() as u64,
            "storage: history reads from the read replica (DATABASE_READ_URL) while it is within the lag bound"
        );
        Ok(reads)
    }

    /// Runs `read` on the replica when it is fit to answer, else (or when that fails) on
    /// the primary, and counts which one answered.
    pub(super) async fn read<'a, T, F, Fut>(&'a self, read: F) -> Result<T, StoreError>
    where
        F: Fn(&'a PgStore) -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>> + 'a,
    {
        if self.health.replica_fit() {
            match read(&self.replica).await {
                Ok(value) => {
                    count(Target::Replica);
                    return Ok(value);
                }
                Err(e) => {
                    // A query cancelled by a recovery conflict, a lost connection: the
                    // primary answers this one; a replica that cannot be reached is
                    // avoided until a check reaches it again.
                    if e.is_unavailable() {
                        self.health.reachable.store(false, Ordering::Relaxed);
                        self.health.decide(Some(&e));
                    }
                    metrics().store_error("postgres-replica", "read");
                }
            }
        }
        count(Target::Primary);
        read(self.primary.as_ref()).await
    }

    /// One check: the primary's WAL position now, then how far the replica has replayed.
    async fn check(&self) {
        let started = Instant::now();
        let at = self.health.nanos(started);
        if let Ok(Ok(lsn)) = tokio::time::timeout(CHECK_TIMEOUT, self.primary.wal_position()).await
        {
            self.health.lock_samples().note(at, lsn);
        }
        let replay = tokio::time::timeout(CHECK_TIMEOUT, self.replica.replay_position()).await;
        let error = match replay {
            Ok(Ok(replay)) => {
                self.health.reachable.store(true, Ordering::Relaxed);
                // Not in recovery: the "replica" is a primary itself (promoted, or
                // misconfigured), as fresh as it gets.
                let fresh = match (replay.in_recovery, replay.lsn) {
                    (false, _) => Some(at),
                    (true, Some(lsn)) => self.health.lock_samples().fresh_as_of(lsn),
                    (true, None) => None,
                };
                if let Some(fresh) = fresh {
                    self.health.fresh_as_of.fetch_max(fresh, Ordering::Relaxed);
                }
                None
            }
            Ok(Err(e)) => Some(e),
            Err(_) => Some(StoreError::Unavailable {
                store: "postgres-replica",
                reason: format!("no answer within {} s", CHECK_TIMEOUT.as_secs()),
            }),
        };
        if error.is_some() {
            self.health.reachable.store(false, Ordering::Relaxed);
        }
        let keep = self.health.max_lag + 4 * self.health.every;
        self.health
            .lock_samples()
            .forget_before(at.saturating_sub(keep.as_nanos() as u64));
        let lag = self.health.lag();
        metrics()
            .replica_lag_seconds
            .set(lag.map_or(f64::INFINITY, |l| l.as_secs_f64()));
        self.health.decide(error.as_ref());
    }
}

/// Checks the replica every `every` until its stores are dropped.
async fn watch(reads: Weak<ReplicaReads>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(reads) = reads.upgrade() else {
            return;
        };
        reads.check().await;
    }
}

fn count(target: Target) {
    metrics()
        .db_reads
        .with_label_values(&[target.label()])
        .inc();
}

impl Health {
    fn nanos(&self, t: Instant) -> u64 {
        // At least 1: 0 means "never fresh".
        (t.duration_since(self.epoch).as_nanos() as u64).max(1)
    }

    fn lock_samples(&self) -> std::sync::MutexGuard<'_, Samples> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.samples.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How far behind the primary the replica is now, if it was ever seen caught up.
    fn lag(&self) -> Option<Duration> {
        let fresh = self.fresh_as_of.load(Ordering::Relaxed);
        (fresh != 0).then(|| Duration::from_nanos(self.nanos(Instant::now()).saturating_sub(fresh)))
    }

    /// Whether a read may go to the replica now: reachable and within the lag bound.
    fn replica_fit(&self) -> bool {
        self.reachable.load(Ordering::Relaxed) && self.lag().is_some_and(|l| l <= self.max_lag)
    }

    /// Logs a change of where reads go: WARN when they leave the replica, INFO when back.
    fn decide(&self, error: Option<&StoreError>) {
        let fit = self.replica_fit();
        let now = if fit { 1 } else { 2 };
        let before = self.serving.swap(now, Ordering::Relaxed);
        if before == now {
            return;
        }
        let lag_ms = self.lag().map(|l| l.as_millis() as u64);
        let max_lag_ms = self.max_lag.as_millis() as u64;
        match (fit, error) {
            (true, _) if before == 0 => info!(lag_ms, "reads: served by the read replica"),
            (true, _) => info!(lag_ms, "reads: served by the read replica again"),
            (false, Some(e)) => warn!(
                error = %e,
                "reads: the read replica cannot be reached; reading from the primary"
            ),
            (false, None) => warn!(
                lag_ms,
                max_lag_ms,
                "reads: the read replica lags more than DOWNWATCH_READ_MAX_LAG; reading from the primary"
            ),
        }
    }
}

/// The primary's WAL positions as noted at each check, oldest first.
#[derive(Debug, Default)]
struct Samples(VecDeque<(u64, u64)>);

impl Samples {
    /// Notes that the primary had written up to `lsn` at `at`.
    fn note(&mut self, at: u64, lsn: u64) {
        self.0.push_back((at, lsn));
    }

    /// The time of the newest position a replica that replayed up to `replayed` has
    /// reached: it holds everything committed on the primary before then.
    fn fresh_as_of(&self, replayed: u64) -> Option<u64> {
        self.0
            .iter()
            .rev()
            .find(|(_, lsn)| *lsn <= replayed)
            .map(|(at, _)| *at)
    }

    /// Forgets the positions noted before `at`, keeping the newest one.
    fn forget_before(&mut self, at: u64) {
        while self.0.len() > 1 && self.0.front().is_some_and(|(t, _)| *t < at) {
            self.0.pop_front();
        }
    }
}

#[derive(QueryableByName)]
struct WalPosition {
    #[diesel(sql_type = BigInt)]
    lsn: i64,
}

#[derive(QueryableByName)]
struct ReplayPosition {
    #[diesel(sql_type = Bool)]
    in_recovery: bool,
    #[diesel(sql_type = Nullable<BigInt>)]
    lsn: Option<i64>,
}

/// How far a server has replayed, as bytes of WAL.
struct Replay {
    in_recovery: bool,
    lsn: Option<u64>,
}

impl PgStore {
    /// The primary's current WAL write position, in bytes. A commit acknowledged by the
    /// primary (with `synchronous_commit` on) ends at or before it.
    async fn wal_position(&self) -> Result<u64, StoreError> {
        // Here only: its `load` would shadow the atomics' above.
        use diesel_async::RunQueryDsl;
        let mut conn = self.conn().await?;
        let row: WalPosition =
            diesel::sql_query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS lsn")
                .get_result(&mut conn)
                .await
                .map_err(db_error)?;
        Ok(row.lsn.max(0) as u64)
    }

    /// Whether this server is a standby, and up to where it has replayed the WAL.
    async fn replay_position(&self) -> Result<Replay, StoreError> {
        use diesel_async::RunQueryDsl;
        let mut conn = self.conn().await?;
        let row: ReplayPosition = diesel::sql_query(
            "SELECT pg_is_in_recovery() AS in_recovery, \
             (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint AS lsn",
        )
        .get_result(&mut conn)
        .await
        .map_err(db_error)?;
        Ok(Replay {
            in_recovery: row.in_recovery,
            lsn: row.lsn.map(|l| l.max(0) as u64),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_is_fresh_as_of_the_newest_primary_position_it_replayed() {
        let mut samples = Samples::default();
        samples.note(10, 100);
        samples.note(20, 150);
        samples.note(30, 150);
        samples.note(40, 300);
        assert_eq!(samples.fresh_as_of(99), None, "behind every noted position");
        assert_eq!(samples.fresh_as_of(100), Some(10));
        assert_eq!(
            samples.fresh_as_of(200),
            Some(30),
            "an idle primary: newest at 150"
        );
        assert_eq!(samples.fresh_as_of(300), Some(40));
        assert_eq!(samples.fresh_as_of(u64::MAX), Some(40));
    }

    #[test]
    fn old_positions_are_forgotten_but_the_newest_is_kept() {
        let mut samples = Samples::default();
        samples.note(10, 100);
        samples.note(20, 200);
        samples.forget_before(15);
        assert_eq!(samples.fresh_as_of(100), None);
        assert_eq!(samples.fresh_as_of(200), Some(20));
        samples.forget_before(1_000);
        assert_eq!(samples.fresh_as_of(200), Some(20), "the newest stays");
    }
}
