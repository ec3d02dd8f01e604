//! The read replica (`DATABASE_READ_URL`) against a real Postgres streaming replica:
//! `scripts/test` starts a throwaway primary and a `pg_basebackup -R` standby of it
//! (scripts/lib/replica.sh) and names them in `DOWNWATCH_TEST_PRIMARY_URL`,
//! `DOWNWATCH_TEST_REPLICA_URL` and `DOWNWATCH_TEST_REPLICA_CTL` (a script that stops and
//! starts the standby). Without them the test says so and passes.
//!
//! Its own binary: the `downwatch_db_reads_total` counters it reads are process-wide.

#[path = "common/throwaway.rs"]
mod throwaway;

use std::net::TcpListener;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeDelta, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;

use downwatch::config::{Backend, Config, IngestConfig, ReadLimits, ReadReplica};
use downwatch::domain::{Scope, Severity};
use downwatch::metrics::metrics;
use downwatch::secret::Secret;
use downwatch::startup::Application;
use downwatch::store::{IncidentTick, Stores};

use throwaway::{redis_url, with_database, TestPrefix};

/// The lag bound of the test: long enough for a read right after replay stops to still go
/// to the replica on a busy machine, short enough to wait out.
const MAX_LAG: Duration = Duration::from_secs(3);

struct Pair {
    primary: String,
    replica: String,
    ctl: String,
}

impl Pair {
    fn from_env() -> Option<Self> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Some(Self {
            primary: var("DOWNWATCH_TEST_PRIMARY_URL")?,
            replica: var("DOWNWATCH_TEST_REPLICA_URL")?,
            ctl: var("DOWNWATCH_TEST_REPLICA_CTL")?,
        })
    }

    fn standby(&self, action: &str) {
        let status = std::process::Command::new(&self.ctl)
            .arg(action)
            .status()
            .unwrap_or_else(|e| panic!("{} {action}: {e}", self.ctl));
        assert!(status.success(), "{} {action}: {status}", self.ctl);
    }
}

async fn connect(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"))
}

async fn sql(url: &str, statement: &str) {
    diesel::sql_query(statement)
        .execute(&mut connect(url).await)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

/// The reads answered by each server so far: (replica, primary).
fn reads() -> (u64, u64) {
    let m = &metrics().db_reads;
    (
        m.with_label_values(&["replica"]).get(),
        m.with_label_values(&["primary"]).get(),
    )
}

struct App {
    address: String,
    stores: Stores,
    http: reqwest::Client,
}

impl App {
    async fn start(primary: &str, replica: &str, prefix: &str) -> Self {
        let dir = std::env::temp_dir();
        let backend = Backend::Production {
            database_url: primary.to_owned(),
            redis_url: redis_url(),
            read_replica: Some(ReadReplica {
                url: replica.to_owned(),
                max_lag: MAX_LAG,
            }),
        };
        let config = Config {
            redis_prefix: prefix.to_owned(),
            ingest: IngestConfig {
                db_pool_size: 4,
                ..IngestConfig::default()
            },
            read_limits: ReadLimits {
                anonymous_per_minute: 0,
                key_per_minute: 0,
            },
            run_detector: false,
            ..Config::new(backend, Secret::new("test-secret-0123456789"), dir)
        }
        .validate()
        .expect("valid config");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let app = Application::build(config, listener)
            .await
            .expect("application starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let stores = app.stores();
        tokio::spawn(app.run_until_stopped());
        Self {
            address,
            stores,
            http: reqwest::Client::new(),
        }
    }

    /// `GET /api/v1/incidents/{id}`'s status, and which server answered its read.
    async fn incident(&self, id: i64) -> (u16, &'static str) {
        let before = reads();
        let status = self
            .http
            .get(format!("{}/api/v1/incidents/{id}", self.address))
            .send()
            .await
            .expect("sent")
            .status()
            .as_u16();
        let after = reads();
        let served = match (after.0 - before.0, after.1 - before.1) {
            (0, 0) => "nobody",
            (_, 0) => "replica",
            (0, _) => "primary",
            _ => "both",
        };
        (status, served)
    }

    /// Opens an incident of `service` as the detector does: through the leader's store,
    /// on the primary.
    async fn open_incident(&self, service: &str) -> i64 {
        let mut leader = self
            .stores
            .election
            .campaign()
            .await
            .expect("campaign")
            .expect("leader");
        let tick = IncidentTick {
            service: service.into(),
            scope: Scope::Global,
            severity: Severity::Problems,
            at: Utc::now(),
            observed: 40.0,
            expected: 3.0,
            score: 0.99,
            evidence: json!({"observed": 40.0}),
        };
        leader.open_incident(&tick, "test").await.expect("open").id
    }
}

/// Downwatch's log lines (info and up) since the test started.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    let _ = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter("downwatch=info")
        .with_writer(|| LogWriter)
        .try_init();
}

/// How many captured log lines contain `text`.
fn logged(text: &str) -> usize {
    let log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    String::from_utf8_lossy(&log)
        .lines()
        .filter(|l| l.contains(text))
        .count()
}

const LAGS: &str =
    "WARN downwatch::store::postgres::replica: reads: the read replica lags more than";
const DOWN: &str =
    "WARN downwatch::store::postgres::replica: reads: the read replica cannot be reached";
const BACK: &str =
    "INFO downwatch::store::postgres::replica: reads: served by the read replica again";

/// Polls `check` every 100 ms until it is true or `within` passed.
async fn eventually(within: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_is_read_from_the_replica_and_from_the_primary_when_it_lags_or_is_down() {
    let Some(pair) = Pair::from_env() else {
        eprintln!(
            "SKIPPED: no read replica to test against. scripts/test starts one (scripts/lib/replica.sh) \
             and sets DOWNWATCH_TEST_PRIMARY_URL, DOWNWATCH_TEST_REPLICA_URL and DOWNWATCH_TEST_REPLICA_CTL"
        );
        return;
    };
    let started = Instant::now();
    capture_logs();
    // A database of its own on the pair; the standby replays its creation.
    let name = format!("dwreplica_{}", uuid::Uuid::new_v4().simple());
    sql(&pair.primary, &format!("CREATE DATABASE \"{name}\"")).await;
    let primary = with_database(&pair.primary, &name);
    let replica = with_database(&pair.replica, &name);
    assert!(
        eventually(Duration::from_secs(10), async || {
            AsyncPgConnection::establish(&replica).await.is_ok()
        })
        .await,
        "the standby never replayed CREATE DATABASE"
    );
    let prefix = TestPrefix::create();
    let app = App::start(&primary, &replica, &prefix.prefix).await;

    // (1) A caught-up replica serves the read path: an incident just opened on the primary
    // shows on the API as soon as the standby has replayed it, and the replica answered.
    let first = app.open_incident("github").await;
    assert!(
        eventually(Duration::from_secs(10), async || {
            app.incident(first).await == (200, "replica")
        })
        .await,
        "the replica never served incident {first}: {:?}",
        app.incident(first).await
    );

    // With replay paused, an incident opened now exists on the primary only: within the lag
    // bound the replica still answers, and does not know it.
    sql(&replica, "SELECT pg_wal_replay_pause()").await;
    let paused_at = Instant::now();
    let second = app.open_incident("discord").await;
    let stale = app.incident(second).await;
    if paused_at.elapsed() < MAX_LAG / 2 {
        assert_eq!(stale, (404, "replica"), "read within the bound");
    } else {
        eprintln!("the machine is slow: not checking the read right after the pause");
    }

    // (2) Paused for longer than the bound: reads go to the primary and see the new incident.
    tokio::time::sleep(MAX_LAG.saturating_sub(paused_at.elapsed()) + Duration::from_secs(1)).await;
    assert_eq!(app.incident(second).await, (200, "primary"));
    assert!(metrics().replica_lag_seconds.get() > MAX_LAG.as_secs_f64());
    assert_eq!(
        logged(LAGS),
        1,
        "one WARN however many checks found it lagging"
    );

    // Replay resumed: the replica catches up and serves again.
    sql(&replica, "SELECT pg_wal_replay_resume()").await;
    assert!(
        eventually(Duration::from_secs(10), async || {
            app.incident(second).await == (200, "replica")
        })
        .await,
        "the replica did not serve again after catching up"
    );
    assert_eq!(logged(BACK), 1, "one INFO when reads are back");

    // (4) Writes through the very stores the handlers read with go to the primary: each of
    // these would fail on a hot standby ("cannot execute … in a read-only transaction").
    let readers = app.stores.readers();
    let (replica_reads, _) = reads();
    let far_day = NaiveDate::from_ymd_opt(2040, 1, 1).expect("date");
    readers
        .log
        .ensure_partitions(far_day, 1)
        .await
        .expect("partition created on the primary");
    readers
        .rollups
        .roll_up(Utc::now())
        .await
        .expect("rolled up");
    assert!(readers
        .official
        .take_lease("replica-test", Utc::now(), TimeDelta::seconds(30))
        .await
        .expect("lease taken"));
    let report = app
        .http
        .post(format!("{}/api/v1/reports", app.address))
        .header("user-agent", "downwatch-tests")
        .json(&json!({"service": "reddit", "symptoms": ["login"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(report.status(), 202, "a report is acknowledged");
    assert_eq!(
        reads().0,
        replica_reads,
        "no write was counted as a replica read"
    );
    let mut conn = connect(&primary).await;
    let partitions: Vec<Count> =
        diesel::sql_query("SELECT count(*) AS n FROM pg_class WHERE relname = 'reports_p20400101'")
            .load(&mut conn)
            .await
            .expect("catalog");
    assert_eq!(partitions[0].n, 1, "the partition is on the primary");

    // (3) The standby stopped: reads still succeed, from the primary.
    pair.standby("stop");
    let third = app.open_incident("netflix").await;
    let down = app.incident(third).await;
    assert_eq!(down, (200, "primary"), "with the standby down");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(app.incident(third).await, (200, "primary"), "still down");
    assert_eq!(logged(DOWN), 1, "one WARN while it is down");
    pair.standby("start");
    assert!(
        eventually(Duration::from_secs(10), async || logged(BACK) == 2).await,
        "reads did not come back to the restarted standby"
    );

    sql(
        &pair.primary,
        &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
    )
    .await;
    if std::env::var_os("TEST_LOG").is_some() {
        let log = LOG.lock().unwrap_or_else(|e| e.into_inner());
        eprintln!("{}", String::from_utf8_lossy(&log));
    }
    eprintln!(
        "replica test passed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
