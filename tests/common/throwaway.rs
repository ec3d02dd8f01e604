//! Throwaway services for the integration tests: the test Postgres and Redis (from
//! `DOWNWATCH_TEST_DATABASE_URL` / `DOWNWATCH_TEST_REDIS_URL`, which `scripts/test` sets, else
//! `DATABASE_URL` / `REDIS_URL`, else the local defaults), a database of a test's own and a
//! Redis key prefix of its own, both removed when the test ends. Included by each test binary
//! that needs them (`#[path = "../common/throwaway.rs"] mod throwaway;`).

#![allow(dead_code)]

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use downwatch::store::redis::RedisTarget;

/// The Postgres server the tests use (a maintenance database on it).
pub fn admin_database_url() -> String {
    std::env::var("DOWNWATCH_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// The Redis the tests use: `redis://…`, or `redis+cluster://host:port,…` for a Redis Cluster.
pub fn redis_url() -> String {
    std::env::var("DOWNWATCH_TEST_REDIS_URL")
        .or_else(|_| std::env::var("REDIS_URL"))
        .unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A blocking connection to the test Redis, for looking at keys directly. On a cluster it is
/// the cluster client's: `KEYS` (and a `DEL` of many keys) goes to every master and the answers
/// are combined; a one-key command goes to the node holding the key.
pub struct TestRedis(Box<dyn redis::ConnectionLike>);

impl redis::ConnectionLike for TestRedis {
    fn req_packed_command(&mut self, cmd: &[u8]) -> redis::RedisResult<redis::Value> {
        self.0.req_packed_command(cmd)
    }

    fn req_packed_commands(
        &mut self,
        cmd: &[u8],
        offset: usize,
        count: usize,
    ) -> redis::RedisResult<Vec<redis::Value>> {
        self.0.req_packed_commands(cmd, offset, count)
    }

    fn req_command(&mut self, cmd: &redis::Cmd) -> redis::RedisResult<redis::Value> {
        self.0.req_command(cmd)
    }

    fn get_db(&self) -> i64 {
        self.0.get_db()
    }

    fn check_connection(&mut self) -> bool {
        self.0.check_connection()
    }

    fn is_open(&self) -> bool {
        self.0.is_open()
    }
}

pub fn try_redis_connection() -> redis::RedisResult<TestRedis> {
    let target = RedisTarget::parse(&redis_url()).map_err(|e| {
        redis::RedisError::from((redis::ErrorKind::InvalidClientConfig, "bad Redis URL", e))
    })?;
    Ok(TestRedis(match target {
        RedisTarget::Single(url) => Box::new(redis::Client::open(url)?.get_connection()?),
        RedisTarget::Cluster(nodes) => {
            Box::new(redis::cluster::ClusterClient::new(nodes)?.get_connection()?)
        }
    }))
}

/// [`try_redis_connection`], panicking when Redis does not answer.
pub fn redis_connection() -> TestRedis {
    try_redis_connection().unwrap_or_else(|e| panic!("cannot reach the test Redis: {e}"))
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(i) => &base[..authority_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// A database of its own on the test Postgres, and a Redis key prefix of its own; both are
/// removed on drop, even when the test panics.
pub struct TestDb {
    pub database_url: String,
    pub db_name: String,
    pub prefix: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let db_name = format!("dwtest_{id}");
        let admin_url = admin_database_url();
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .unwrap_or_else(|e| {
                panic!("cannot reach the test Postgres at {admin_url}: {e} (run scripts/test)")
            });
        diesel::sql_query(format!("CREATE DATABASE \"{db_name}\""))
            .execute(&mut admin)
            .await
            .expect("create test database");
        Self {
            database_url: with_database(&admin_url, &db_name),
            db_name,
            prefix: test_prefix(&id),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let db_name = self.db_name.clone();
        let prefix = self.prefix.clone();
        // Cleanup must not depend on the test's runtime, which may be shutting down.
        let cleanup = std::thread::spawn(move || {
            delete_prefix(&prefix);
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut admin) = AsyncPgConnection::establish(&admin_database_url()).await {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{db_name}\" WITH (FORCE)"
                    ))
                    .execute(&mut admin)
                    .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// A Redis key prefix of its own (and no database), its keys deleted on drop.
pub struct TestPrefix {
    pub prefix: String,
}

impl TestPrefix {
    pub fn create() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        Self {
            prefix: test_prefix(&id),
        }
    }
}

impl Drop for TestPrefix {
    fn drop(&mut self) {
        let prefix = self.prefix.clone();
        let _ = std::thread::spawn(move || delete_prefix(&prefix)).join();
    }
}

/// A test's key prefix: no `{` or `}`, which would change the hash tags on a Redis Cluster.
fn test_prefix(id: &str) -> String {
    format!("t{}:", &id[..12])
}

/// Deletes every key under `prefix` on the test Redis, if it answers.
fn delete_prefix(prefix: &str) {
    if let Ok(mut conn) = try_redis_connection() {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query(&mut conn)
            .unwrap_or_default();
        for chunk in keys.chunks(500) {
            let _: Result<i64, _> = redis::cmd("DEL").arg(chunk).query(&mut conn);
        }
    }
}
