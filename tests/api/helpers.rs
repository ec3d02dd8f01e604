//! `spawn_app()`: a real Downwatch on 127.0.0.1:0 against real Postgres and Redis, with its
//! own database (dropped afterwards) and its own Redis key prefix (deleted afterwards).
//! `spawn_app_with(TestOptions { stack: Stack::Embedded, .. })`: the same on the embedded
//! stack (SQLite and in-process buckets in a temp dir), and [`both_stacks!`] runs one test
//! body on each.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use downwatch::config::{Backend, Config, IngestConfig, ReadLimits};
use downwatch::secret::Secret;
use downwatch::startup::Application;
use downwatch::store::postgres::PgStore;
use downwatch::store::redis::RedisStore;

use crate::geoip_fixture::{write_geoip_fixture, GeoFixture};

#[path = "../common/throwaway.rs"]
mod throwaway;
pub use throwaway::*;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Read limits high enough that no test but those of the limit meets them.
pub const TEST_READ_LIMITS: ReadLimits = ReadLimits {
    anonymous_per_minute: 1_000_000,
    key_per_minute: 1_000_000,
};

/// Which storage a test app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// Postgres + Redis (the default).
    Production,
    /// SQLite + in-process buckets in the test's temp dir.
    Embedded,
}

pub struct TestApp {
    pub address: String,
    pub stack: Stack,
    /// The app's own stores, whatever the stack: what a test reads behind the API when it must
    /// work on both stacks.
    pub stores: downwatch::store::Stores,
    pub http: reqwest::Client,
    pub database_url: String,
    pub prefix: String,
    /// Direct handles on the Postgres database and Redis prefix of a `Stack::Production` app
    /// (on the embedded stack they point at an unused database and prefix).
    pub pg: PgStore,
    pub redis: RedisStore,
    pub geo: GeoFixture,
    /// The configuration the app started with.
    pub config: Config,
    _dir: tempfile::TempDir,
    // Last: dropped after everything that uses it.
    _db: TestDb,
}

/// Options a test may change before the app starts.
pub struct TestOptions {
    pub stack: Stack,
    pub trusted_proxies: &'static str,
    pub geoip: bool,
    pub admin_token: Option<&'static str>,
    pub config: Box<dyn FnOnce(&mut Config)>,
}

impl Default for TestOptions {
    fn default() -> Self {
        Self {
            stack: Stack::Production,
            trusted_proxies: "127.0.0.1,::1",
            geoip: true,
            admin_token: Some(ADMIN_TOKEN),
            config: Box::new(|_| {}),
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(TestOptions::default()).await
}

pub async fn spawn_app_with(options: TestOptions) -> TestApp {
    init_tracing();
    let db = TestDb::create().await;
    let database_url = db.database_url.clone();
    let prefix = db.prefix.clone();

    let dir = tempfile::tempdir().expect("temp dir");
    let geo = write_geoip_fixture(dir.path());
    let backend = match options.stack {
        Stack::Production => Backend::Production {
            database_url: database_url.clone(),
            redis_url: redis_url(),
            read_replica: None,
        },
        Stack::Embedded => Backend::Embedded,
    };
    let mut config = Config {
        redis_prefix: prefix.clone(),
        admin_token: options.admin_token.map(Secret::new),
        trusted_proxies: downwatch::config::parse_networks(options.trusted_proxies)
            .expect("trusted proxies"),
        geoip_city_db: options.geoip.then(|| geo.city_db.clone()),
        geoip_asn_db: options.geoip.then(|| geo.asn_db.clone()),
        ingest: IngestConfig {
            db_pool_size: 8,
            ..IngestConfig::default()
        },
        // Tests read much faster than anyone should; `api_keys` tests the limits.
        read_limits: TEST_READ_LIMITS,
        // Tests drive the detector tick by tick.
        run_detector: false,
        ..Config::new(
            backend,
            Secret::new("test-secret-0123456789"),
            dir.path().to_owned(),
        )
    };
    (options.config)(&mut config);
    let config = config.validate().expect("valid config");

    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::build(config.clone(), listener)
        .await
        .expect("application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let stores = app.stores();
    tokio::spawn(app.run_until_stopped());

    let pg = PgStore::new(&database_url, 2).expect("pg store");
    let redis = RedisStore::connect(&redis_url(), &prefix)
        .await
        .expect("redis store");
    TestApp {
        address,
        stack: options.stack,
        stores,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("http client"),
        database_url,
        prefix,
        pg,
        redis,
        geo,
        config,
        _dir: dir,
        _db: db,
    }
}

/// Installs the test binary's tracing subscriber once: the app's usual output on stderr when
/// `TEST_LOG` is set, plus a [`LogCapture`] layer that records every event (all levels of
/// Downwatch's own, debug and up of its libraries) while a capture is running.
fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::Layer;

    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        let stderr = std::env::var_os("TEST_LOG").is_some().then(|| {
            tracing_subscriber::fmt::layer()
                .with_target(false)
                .with_test_writer()
                .with_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
        });
        let capture = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(|| CaptureWriter)
            .with_filter(tracing_subscriber::filter::filter_fn(|meta| {
                AtomicUsize::load(&CAPTURES, Ordering::SeqCst) > 0
                    && (meta.target().starts_with("downwatch")
                        || *meta.level() <= tracing::Level::DEBUG)
            }));
        let _ = tracing_subscriber::registry()
            .with(stderr)
            .with(capture)
            .try_init();
    });
}

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Captures running now; events are recorded only while there is one.
static CAPTURES: AtomicUsize = AtomicUsize::new(0);
/// Everything logged while a capture ran (by any test in this binary: a capture sees more,
/// never less, than its own app logged).
static CAPTURED: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct CaptureWriter;

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Records the log output (every level of Downwatch's own events, debug and up of its
/// libraries) from [`LogCapture::start`] until [`LogCapture::text`].
pub struct LogCapture {
    from: usize,
}

impl LogCapture {
    pub fn start() -> Self {
        init_tracing();
        CAPTURES.fetch_add(1, Ordering::SeqCst);
        let from = CAPTURED.lock().unwrap_or_else(|e| e.into_inner()).len();
        Self { from }
    }

    /// What was logged since the capture started.
    pub fn text(&self) -> String {
        let all = CAPTURED.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&all[self.from..]).into_owned()
    }
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        if CAPTURES.fetch_sub(1, Ordering::SeqCst) == 1 {
            CAPTURED.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}

/// Runs a query returning one bigint column named `n` on the database at `url`.
/// A connection of the test's own to an embedded app's SQLite file. It waits for the app's
/// writes (its background tasks write at any time) instead of failing with "database is
/// locked".
fn open_sqlite(path: &std::path::Path) -> diesel::SqliteConnection {
    use diesel::Connection;
    let mut conn =
        diesel::SqliteConnection::establish(&path.to_string_lossy()).expect("open the SQLite file");
    diesel::connection::SimpleConnection::batch_execute(&mut conn, "PRAGMA busy_timeout = 10000")
        .expect("busy timeout");
    conn
}

pub async fn count_in(url: &str, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .expect("connect to test database");
    let row: N = diesel::sql_query(sql)
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("query {sql}: {e}"));
    row.n
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Starts another node of the same deployment (same configuration: same database, Redis
    /// prefix and secret) on its own port; returns its base URL. It stops with the test.
    pub async fn spawn_second_node(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let app = Application::build(self.config.clone(), listener)
            .await
            .expect("second node starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        address
    }

    /// Posts a JSON report as if forwarded for `client_ip` by the trusted local proxy.
    pub async fn report_from(&self, client_ip: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/reports"))
            .header("x-forwarded-for", client_ip)
            .header("user-agent", "downwatch-tests")
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// A direct connection to this test's database.
    pub async fn db(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.database_url)
            .await
            .expect("connect to test database")
    }

    /// Runs a query returning one bigint column named `n`, on the app's durable store (its
    /// Postgres database, or its SQLite file on the embedded stack).
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        match self.stack {
            Stack::Production => count_in(&self.database_url, sql).await,
            Stack::Embedded => self.row::<N>(sql).await.n,
        }
    }

    /// Runs statements on the SQLite file of an embedded app.
    pub async fn execute_sqlite(&self, sql: &str) {
        assert_eq!(
            self.stack,
            Stack::Embedded,
            "only the embedded stack has a SQLite file"
        );
        let path = self.config.data_dir.join("downwatch.sqlite3");
        let sql = sql.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut conn = open_sqlite(&path);
            diesel::connection::SimpleConnection::batch_execute(&mut conn, &sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        })
        .await
        .expect("statement task");
    }

    /// Runs a query returning one row, on the app's durable store whatever the stack (so keep
    /// the SQL to what Postgres and SQLite both understand).
    pub async fn row<T>(&self, sql: &str) -> T
    where
        T: diesel::QueryableByName<diesel::pg::Pg>
            + diesel::QueryableByName<diesel::sqlite::Sqlite>
            + Send
            + 'static,
    {
        match self.stack {
            Stack::Production => {
                let mut conn = self.db().await;
                diesel_async::RunQueryDsl::get_result(diesel::sql_query(sql), &mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("query {sql}: {e}"))
            }
            Stack::Embedded => {
                let path = self.config.data_dir.join("downwatch.sqlite3");
                let sql = sql.to_owned();
                tokio::task::spawn_blocking(move || {
                    let mut conn = open_sqlite(&path);
                    diesel::RunQueryDsl::get_result(diesel::sql_query(&sql), &mut conn)
                        .unwrap_or_else(|e| panic!("query {sql}: {e}"))
                })
                .await
                .expect("query task")
            }
        }
    }

    /// Every key under this test's prefix, with a text dump of its value.
    pub fn redis_dump(&self) -> HashMap<String, String> {
        let mut conn = redis_connection();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut conn)
            .expect("keys");
        keys.into_iter()
            .map(|k| {
                let kind: String = redis::cmd("TYPE").arg(&k).query(&mut conn).expect("type");
                let value = match kind.as_str() {
                    "hash" => {
                        let mut h: Vec<(String, String)> = redis::cmd("HGETALL")
                            .arg(&k)
                            .query(&mut conn)
                            .expect("hgetall");
                        h.sort();
                        format!("{h:?}")
                    }
                    "zset" => {
                        let z: Vec<String> = redis::cmd("ZRANGE")
                            .arg(&k)
                            .arg(0)
                            .arg(-1)
                            .query(&mut conn)
                            .expect("zrange");
                        format!("{z:?}")
                    }
                    _ => {
                        let v: Option<Vec<u8>> =
                            redis::cmd("GET").arg(&k).query(&mut conn).unwrap_or(None);
                        String::from_utf8_lossy(&v.unwrap_or_default()).into_owned()
                    }
                };
                (k, value)
            })
            .collect()
    }

    /// Sum of a field over every minute bucket of `service` (all services when `None`).
    /// A bucket counter summed over the last two hours, read through the app's own bucket
    /// store (so on either stack).
    pub async fn recent_sum(&self, service: Option<&str>, field: &str) -> i64 {
        let minutes = downwatch::read::recent::window_minutes(chrono::Utc::now(), 120);
        let key = service.unwrap_or(downwatch::store::ALL_SERVICES).to_owned();
        let windows = self
            .stores
            .buckets
            .windows(&[key], &minutes)
            .await
            .expect("bucket windows");
        windows
            .into_iter()
            .next()
            .and_then(|w| w.fields.get(field).copied())
            .unwrap_or(0)
    }

    /// A bucket counter summed over every minute key in Redis (`Stack::Production` only).
    pub fn bucket_sum(&self, service: Option<&str>, field: &str) -> i64 {
        let mut conn = redis_connection();
        let pattern = match service {
            Some(s) => format!("{}dw:{{s:{s}}}:m:*", self.prefix),
            None => format!("{}dw:{{s:*}}:m:*", self.prefix),
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(pattern)
            .query(&mut conn)
            .expect("keys");
        // The all-services aggregate would count every report twice.
        let keys: Vec<String> = keys.into_iter().filter(|k| !k.contains("{s:*}")).collect();
        keys.iter()
            .map(|k| {
                let v: Option<i64> = redis::cmd("HGET")
                    .arg(k)
                    .arg(field)
                    .query(&mut conn)
                    .expect("hget");
                v.unwrap_or(0)
            })
            .sum()
    }
}

#[test]
fn database_names_are_swapped_in_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h:1/db?sslmode=disable", "x"),
        "postgres://u:p@h:1/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
}

/// Runs each test body on both stacks: `mod name { postgres_redis, embedded }`.
///
/// ```ignore
/// both_stacks! {
///     async fn a_report_is_counted(app) { … }
/// }
/// ```
#[macro_export]
macro_rules! both_stacks {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        $(
            $(#[$meta])*
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                async fn body($app: &$crate::helpers::TestApp) $body

                #[tokio::test]
                async fn postgres_redis() {
                    body(&$crate::helpers::spawn_app().await).await
                }

                #[tokio::test]
                async fn embedded() {
                    let options = $crate::helpers::TestOptions {
                        stack: $crate::helpers::Stack::Embedded,
                        ..Default::default()
                    };
                    body(&$crate::helpers::spawn_app_with(options).await).await
                }
            }
        )*
    };
}
