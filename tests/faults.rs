//! Fault tests: the real `downwatch` binary under steady report load while its stores fail,
//! against a throwaway Postgres (initdb + pg_ctl, fsync off) and a throwaway redis-server that
//! each test starts, stops and kills itself, on free loopback ports. The load client records
//! the id of every report acknowledged with 202; afterwards each acknowledged id must be in
//! Postgres exactly once. Each test prints one line:
//! `<fault>: sent=… acknowledged=… found=… lost=0 duplicated=0 …`
//! (`cargo test --test faults -- --nocapture` shows them; `docs/reliability.md` keeps them).
//!
//! Needs `redis-server` and the Postgres server binaries (`initdb`, `pg_ctl`, `postgres`,
//! under /usr/lib/postgresql/*/bin or on PATH); without them the tests fail saying what to
//! install (`scripts/test` installs them).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{json, Value};

/// How long each store stays down.
const OUTAGE: Duration = Duration::from_secs(10);
/// The service every report is about.
const SERVICE: &str = "netflix";

// --- throwaway servers --------------------------------------------------------------------------

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Sends `signal` (`-KILL`, `-TERM`) to one process we started.
fn signal(child: &Child, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
}

/// A redis-server of our own, nothing kept on disk.
struct Redis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl Redis {
    fn start() -> Self {
        let found = Command::new("redis-server")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "redis-server not found: install it (apt-get install redis-server; scripts/test does)"
        );
        let mut redis = Redis {
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        };
        redis.restart();
        redis
    }

    /// Starts (again) on the same port, empty.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        wait_for(Duration::from_secs(10), "redis-server to listen", || {
            port_open(self.port)
        });
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(&child, "-KILL");
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Postgres cluster of our own in a temp dir, fsync off; run as the `postgres` OS user
/// when we are root (initdb and postgres refuse to run as root).
struct Postgres {
    bindir: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl Postgres {
    fn bindir() -> PathBuf {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path().join("bin"))
                    .collect()
            })
            .unwrap_or_default();
        // Newest version first (numeric: 16 before 9.6).
        dirs.sort_by_key(|d| {
            let version = d
                .parent()
                .and_then(Path::file_name)
                .and_then(|v| v.to_str())
                .and_then(|v| v.split('.').next())
                .and_then(|v| v.parse::<u32>().ok());
            std::cmp::Reverse(version.unwrap_or(0))
        });
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        dirs.into_iter()
            .find(|d| {
                ["initdb", "pg_ctl", "postgres"]
                    .iter()
                    .all(|b| d.join(b).is_file())
            })
            .unwrap_or_else(|| {
                panic!(
                    "Postgres server binaries (initdb, pg_ctl, postgres) not found under \
                     /usr/lib/postgresql/*/bin or on PATH: install them \
                     (apt-get install postgresql; scripts/test does)"
                )
            })
    }

    fn start() -> Self {
        let bindir = Self::bindir();
        let as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("downwatch-faults-pg.")
            .tempdir_in("/tmp")
            .expect("temp dir")
            .keep();
        let pg = Postgres {
            bindir,
            dir,
            port: free_port(),
            as_postgres,
        };
        if as_postgres {
            let owned = Command::new("chown")
                .arg("postgres:")
                .arg(&pg.dir)
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                owned,
                "cannot give {} to the postgres OS user (does it exist? apt-get install postgresql creates it)",
                pg.dir.display()
            );
        }
        pg.run(
            "initdb",
            &["-D", "data", "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        );
        pg.restart();
        pg
    }

    /// Runs one of the server binaries in the cluster's dir, as its owner; panics on failure.
    fn run(&self, binary: &str, args: &[&str]) {
        let program = self.bindir.join(binary);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        assert!(
            out.status.success(),
            "{binary} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn restart(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            self.port,
            self.dir.display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D", "data", "-l", "log", "-w", "-t", "30", "-o", &options, "start",
            ],
        );
    }

    /// Stops at once, as a crash would (no shutdown checkpoint).
    fn stop(&self) {
        self.run("pg_ctl", &["-D", "data", "-m", "immediate", "-w", "stop"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.dir.join("data/postmaster.pid").exists() {
            let program = self.bindir.join("pg_ctl");
            let mut command = if self.as_postgres {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(&program);
                c
            } else {
                Command::new(&program)
            };
            let _ = command
                .args(["-D", "data", "-m", "immediate", "-w", "stop"])
                .current_dir(&self.dir)
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The real binary, on a port of its own.
struct Downwatch {
    port: u16,
    env: Vec<(&'static str, String)>,
    log: PathBuf,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl Downwatch {
    async fn start(pg: &Postgres, redis: &Redis) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let env = vec![
            ("DATABASE_URL", pg.url()),
            ("REDIS_URL", redis.url()),
            ("DOWNWATCH_LISTEN", format!("127.0.0.1:{port}")),
            ("DOWNWATCH_TRUSTED_PROXIES", "127.0.0.1".to_owned()),
            ("DOWNWATCH_SECRET", "faults-test-secret-0123".to_owned()),
            ("DOWNWATCH_RATE_LIMIT", "1000000".to_owned()),
            ("DOWNWATCH_READ_RATE_LIMIT", "0".to_owned()),
            // Rebuild lost buckets within seconds, not a minute.
            ("DOWNWATCH_REPAIR_EVERY", "1s".to_owned()),
            ("DOWNWATCH_REPAIR_SETTLE", "2s".to_owned()),
            ("DOWNWATCH_WEBHOOK_POLL", "5s".to_owned()),
            ("RUST_LOG", "warn".to_owned()),
        ];
        let mut dw = Downwatch {
            port,
            env,
            log: dir.path().join("downwatch.log"),
            child: None,
            _dir: dir,
        };
        dw.restart().await;
        dw
    }

    async fn restart(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_downwatch"))
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start downwatch");
        self.child = Some(child);
        let ready = poll_until(Duration::from_secs(30), || async {
            get(&self.base(), "/readyz").await.0 == 200
        })
        .await;
        assert!(
            ready,
            "downwatch did not become ready:\n{}",
            self.log_tail()
        );
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            signal(&child, "-KILL");
            let _ = child.wait();
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Downwatch {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_for(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn poll_until<F, Fut>(limit: Duration, mut ok: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if ok().await {
            return true;
        }
        if start.elapsed() >= limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client")
}

/// Status and JSON body of a GET (status 0 when the server does not answer).
async fn get(base: &str, path: &str) -> (u16, Value) {
    match http().get(format!("{base}{path}")).send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            (status, res.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

// --- the load ---------------------------------------------------------------------------------

/// What the load client saw.
#[derive(Debug, Default)]
struct Tally {
    sent: u64,
    acked: Vec<i64>,
    /// 503 answers, and how many of them carried Retry-After.
    unavailable: u64,
    retry_after: u64,
    /// Any other status, and requests that got no answer (server down, killed).
    other: u64,
    no_answer: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.sent += other.sent;
        self.acked.extend(other.acked);
        self.unavailable += other.unavailable;
        self.retry_after += other.retry_after;
        self.other += other.other;
        self.no_answer += other.no_answer;
    }
}

/// Steady report load from `WORKERS` clients, each request from an address (hence a
/// reporter) of its own, until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<Tally>>,
}

const WORKERS: usize = 6;

impl Load {
    fn start(base: String) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicU32::new(1));
        let workers = (0..WORKERS)
            .map(|_| {
                let (stop, next, base) = (stop.clone(), next.clone(), base.clone());
                tokio::spawn(async move {
                    let http = http();
                    let mut tally = Tally::default();
                    while !AtomicBool::load(&stop, Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let ip = format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255);
                        tally.sent += 1;
                        let res = http
                            .post(format!("{base}/api/v1/reports"))
                            .header("x-forwarded-for", ip)
                            .json(&json!({"service": SERVICE, "symptoms": ["login"]}))
                            .send()
                            .await;
                        match res {
                            Ok(res) if res.status() == 202 => {
                                let ack: Value = res.json().await.unwrap_or(Value::Null);
                                let id = ack["id"].as_i64().expect("a 202 carries the report id");
                                tally.acked.push(id);
                            }
                            Ok(res) if res.status() == 503 => {
                                tally.unavailable += 1;
                                if res.headers().contains_key("retry-after") {
                                    tally.retry_after += 1;
                                }
                                tokio::time::sleep(Duration::from_millis(20)).await;
                            }
                            Ok(_) => tally.other += 1,
                            Err(_) => {
                                tally.no_answer += 1;
                                tokio::time::sleep(Duration::from_millis(20)).await;
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        Load { stop, workers }
    }

    async fn finish(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        let mut total = Tally::default();
        for worker in self.workers {
            total.add(worker.await.expect("load worker"));
        }
        total
    }
}

// --- what Postgres holds ------------------------------------------------------------------------

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct PerMinute {
    #[diesel(sql_type = BigInt)]
    minute: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn connect(pg: &Postgres) -> AsyncPgConnection {
    AsyncPgConnection::establish(&pg.url())
        .await
        .expect("connect to the throwaway Postgres")
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// Checks every acknowledged report against the log; returns `(found, duplicated)`: acked ids
/// present in `reports`, plus ids acknowledged twice and reporters (one per request) with more
/// than one row.
async fn audit(pg: &Postgres, tally: &Tally) -> (i64, i64) {
    let mut conn = connect(pg).await;
    let distinct: HashSet<i64> = tally.acked.iter().copied().collect();
    let mut found = 0;
    let ids: Vec<i64> = distinct.iter().copied().collect();
    for chunk in ids.chunks(5000) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        found += count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM reports WHERE id IN ({list})"),
        )
        .await;
    }
    let twice = count(
        &mut conn,
        "SELECT count(*) AS n FROM (SELECT reporter FROM reports GROUP BY reporter HAVING count(*) > 1) d",
    )
    .await;
    let duplicated = (tally.acked.len() - distinct.len()) as i64 + twice;
    (found, duplicated)
}

fn report(fault: &str, tally: &Tally, found: i64, duplicated: i64, extra: &str) {
    println!(
        "{fault}: sent={} acknowledged={} found={found} lost={} duplicated={duplicated} \
         unavailable_503={} (with Retry-After: {}) no_answer={} other={}{extra}",
        tally.sent,
        tally.acked.len(),
        tally.acked.len() as i64 - found,
        tally.unavailable,
        tally.retry_after,
        tally.no_answer,
        tally.other,
    );
}

/// Counted reports per minute (epoch minute) of `SERVICE`: from the log, and from the Redis
/// minute buckets.
async fn log_minutes(pg: &Postgres) -> BTreeMap<i64, i64> {
    let mut conn = connect(pg).await;
    let rows: Vec<PerMinute> = diesel::sql_query(format!(
        "SELECT (extract(epoch FROM date_trunc('minute', received_at)) / 60)::bigint AS minute,
                count(*) AS n
         FROM reports WHERE counted AND service = '{SERVICE}' GROUP BY 1"
    ))
    .load(&mut conn)
    .await
    .expect("per-minute counts");
    rows.into_iter().map(|r| (r.minute, r.n)).collect()
}

fn bucket_minutes(redis: &Redis) -> BTreeMap<i64, i64> {
    let mut conn = redis::Client::open(redis.url())
        .and_then(|c| c.get_connection())
        .expect("connect to the throwaway Redis");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("dw:{{s:{SERVICE}}}:m:*"))
        .query(&mut conn)
        .expect("keys");
    keys.into_iter()
        .filter_map(|key| {
            let minute = key.rsplit(':').next()?.parse().ok()?;
            let total: Option<i64> = redis::cmd("HGET")
                .arg(&key)
                .arg("total")
                .query(&mut conn)
                .ok()?;
            Some((minute, total.unwrap_or(0)))
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

// --- the faults ---------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_killed_for_ten_seconds_loses_nothing_and_the_buckets_are_rebuilt() {
    let pg = Postgres::start();
    let mut redis = Redis::start();
    let dw = Downwatch::start(&pg, &redis).await;
    let started = Instant::now();
    let load = Load::start(dw.base());
    tokio::time::sleep(Duration::from_secs(2)).await;

    redis.kill();
    tokio::time::sleep(OUTAGE).await;
    redis.restart();
    let back = Utc::now();
    let ready = poll_until(Duration::from_secs(20), || async {
        get(&dw.base(), "/readyz").await.0 == 200
    })
    .await;
    assert!(ready, "readyz recovers:\n{}", dw.log_tail());
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tally = load.finish().await;

    let (found, duplicated) = audit(&pg, &tally).await;
    // The buckets equal the log once the last loaded minute has settled (at most a minute).
    let settling = Instant::now();
    let (log, buckets, equal) = loop {
        let (log, buckets) = (log_minutes(&pg).await, bucket_minutes(&redis));
        if log == buckets || settling.elapsed() > Duration::from_secs(75) {
            let equal = log == buckets;
            break (log, buckets, equal);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // The detector ticked again after Redis came back.
    let resumed = poll_until(Duration::from_secs(70), || async {
        let (_, status) = get(&dw.base(), &format!("/api/v1/services/{SERVICE}/status")).await;
        status["as_of"]
            .as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .is_some_and(|t| t > back)
    })
    .await;
    let in_log: i64 = log.values().sum();
    report(
        "redis_down",
        &tally,
        found,
        duplicated,
        &format!(
            " minutes={} counted_in_log={in_log} counted_in_buckets={} detector_resumed={resumed} secs={}",
            log.len(),
            buckets.values().sum::<i64>(),
            started.elapsed().as_secs()
        ),
    );
    assert!(!tally.acked.is_empty(), "reports were acknowledged");
    assert!(
        tally.unavailable > 0,
        "reports were refused while Redis was down"
    );
    assert_eq!(
        tally.retry_after, tally.unavailable,
        "every 503 says when to retry"
    );
    assert_eq!(
        found,
        tally.acked.len() as i64,
        "every acknowledged report is in Postgres"
    );
    assert_eq!(duplicated, 0);
    assert!(
        equal,
        "minute buckets equal the log: log {log:?} buckets {buckets:?}"
    );
    assert!(resumed, "the detector resumes:\n{}", dw.log_tail());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_for_ten_seconds_answers_503_and_acknowledges_only_commits() {
    let pg = Postgres::start();
    let redis = Redis::start();
    let dw = Downwatch::start(&pg, &redis).await;
    let started = Instant::now();
    let load = Load::start(dw.base());
    tokio::time::sleep(Duration::from_secs(2)).await;

    pg.stop();
    tokio::time::sleep(OUTAGE).await;
    pg.restart();
    let ready = poll_until(Duration::from_secs(30), || async {
        get(&dw.base(), "/readyz").await.0 == 200
    })
    .await;
    assert!(ready, "readyz recovers:\n{}", dw.log_tail());
    // Acknowledgements resume without restarting Downwatch.
    let probe = http()
        .post(format!("{}/api/v1/reports", dw.base()))
        .header("x-forwarded-for", "192.0.2.1")
        .json(&json!({"service": SERVICE, "symptoms": ["login"]}))
        .send()
        .await
        .expect("probe answered");
    let probe_status = probe.status().as_u16();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut tally = load.finish().await;
    if probe_status == 202 {
        let ack: Value = probe.json().await.unwrap_or(Value::Null);
        tally.acked.extend(ack["id"].as_i64());
    }

    let (found, duplicated) = audit(&pg, &tally).await;
    report(
        "postgres_down",
        &tally,
        found,
        duplicated,
        &format!(
            " probe_after_restart={probe_status} secs={}",
            started.elapsed().as_secs()
        ),
    );
    assert!(
        tally.unavailable > 0,
        "reports were refused while Postgres was down"
    );
    assert_eq!(
        tally.retry_after, tally.unavailable,
        "every 503 says when to retry"
    );
    assert_eq!(
        probe_status, 202,
        "a report is acknowledged again after the restart"
    );
    assert_eq!(
        found,
        tally.acked.len() as i64,
        "every acknowledged report is in Postgres"
    );
    assert_eq!(duplicated, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downwatch_killed_mid_load_keeps_every_acknowledged_report_exactly_once() {
    let pg = Postgres::start();
    let redis = Redis::start();
    let mut dw = Downwatch::start(&pg, &redis).await;
    let started = Instant::now();
    let load = Load::start(dw.base());
    tokio::time::sleep(Duration::from_secs(3)).await;

    dw.kill();
    tokio::time::sleep(Duration::from_secs(1)).await;
    dw.restart().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tally = load.finish().await;

    let (found, duplicated) = audit(&pg, &tally).await;
    let rows = count(&mut connect(&pg).await, "SELECT count(*) AS n FROM reports").await;
    report(
        "downwatch_sigkill",
        &tally,
        found,
        duplicated,
        &format!(" rows={rows} secs={}", started.elapsed().as_secs()),
    );
    assert!(tally.no_answer > 0, "the kill cut requests off");
    assert_eq!(
        found,
        tally.acked.len() as i64,
        "every acknowledged report is in Postgres"
    );
    assert_eq!(duplicated, 0, "no report is in Postgres twice");
    assert!(
        rows >= found,
        "rows beyond the acknowledged ones were committed but not acknowledged before the kill"
    );
}
