//! What only the SQLite store promises, on a temporary file: WAL and full sync, read-only
//! readers, a file that reopens with everything acknowledged, migrations that revert, the
//! on-disk format. The promises of every durable store are tested once for all backends in
//! `tests/store_conformance/`.

mod detector;
mod incidents;
mod retention;
mod rollups;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::SqliteStore;
use crate::catalog::Service;
use crate::store::{CatalogStore, NewReport, ReportLog, RollupStore, StoreError};

/// A store on a fresh file, deleted with it. Fields drop in order: the store first.
pub(super) struct Db {
    pub store: SqliteStore,
    pub dir: tempfile::TempDir,
}

pub(super) fn db() -> Db {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("data/downwatch.db")).expect("open");
    Db { store, dir }
}

/// 2026-12-01 10:00:00 UTC, on a quarter-hour boundary.
pub(super) fn at(secs_after: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_796_119_200 + secs_after, 0).expect("valid time")
}

pub(super) fn report(
    service: &str,
    secs_after: i64,
    reporter: u8,
    country: Option<&str>,
) -> NewReport {
    NewReport {
        received_at: at(secs_after) + TimeDelta::microseconds(123),
        service: service.into(),
        symptoms: vec!["login".into(), "app".into()],
        counted: true,
        reporter: vec![reporter; 32],
        subnet: vec![1, 2, 3, 4, 5, 6],
        country: country.map(Into::into),
        subdivision: None,
        city: Some("Milano".into()),
        lat: Some(45.5),
        lon: Some(9.2),
        asn: Some(3269),
        as_org: Some("Telecom Italia".into()),
        region_source: "geoip",
        platform: None,
        phrase: None,
    }
}

/// How many migrations `migrations_sqlite/` holds.
fn migration_count() -> usize {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::sqlite::Sqlite>::migrations(&super::MIGRATIONS)
        .expect("embedded migrations")
        .len()
}

fn service(slug: &str, name: &str) -> Service {
    Service {
        slug: slug.into(),
        name: name.into(),
        category: "streaming".into(),
        aliases: vec![format!("{slug}-alias")],
        url: None,
        country: Some("IT".into()),
        symptoms: vec!["login".into(), "app".into()],
        depends_on: Vec::new(),
        official_status: None,
    }
}

#[tokio::test]
async fn open_creates_the_directory_and_sets_wal_full_sync_and_foreign_keys() {
    let db = db();
    assert!(db.dir.path().join("data/downwatch.db").is_file());
    #[derive(QueryableByName)]
    struct Value {
        #[diesel(sql_type = Text)]
        v: String,
    }
    let mut conn = db.store.writer.lock().await;
    let mut pragma = |name: &str| -> String {
        diesel::sql_query(format!("SELECT CAST(({name}) AS TEXT) AS v"))
            .get_result::<Value>(&mut *conn)
            .expect(name)
            .v
    };
    assert_eq!(
        pragma("SELECT journal_mode FROM pragma_journal_mode"),
        "wal"
    );
    // 2 is FULL.
    assert_eq!(pragma("SELECT synchronous FROM pragma_synchronous"), "2");
    assert_eq!(pragma("SELECT foreign_keys FROM pragma_foreign_keys"), "1");
    assert_eq!(pragma("SELECT timeout FROM pragma_busy_timeout"), "5000");
}

#[tokio::test]
async fn readers_cannot_write() {
    let db = db();
    let denied = db
        .store
        .read(|conn| diesel::sql_query("DELETE FROM services").execute(conn))
        .await;
    assert!(
        matches!(denied, Err(StoreError::Failed { .. })),
        "{denied:?}"
    );
}

#[tokio::test]
async fn acknowledged_writes_survive_closing_and_reopening_the_file() {
    let db = db();
    let path = db.store.path().to_path_buf();
    let ids = db
        .store
        .append(&[
            report("netflix", 1, 1, Some("IT")),
            report("netflix", 2, 2, None),
        ])
        .await
        .expect("append");
    db.store
        .seed_services(&[service("netflix", "Netflix")])
        .await
        .expect("seed");
    db.store.roll_up(at(900)).await.expect("roll up");
    let Db { store, dir } = db;
    drop(store);

    let store = SqliteStore::open(&path).expect("reopen");
    let back = store
        .counted_between(at(0), at(60), None)
        .await
        .expect("read");
    assert_eq!(back.len(), 2);
    assert_eq!(back[0].country.as_deref(), Some("IT"));
    assert_eq!(store.list_services().await.expect("list").len(), 1);
    assert_eq!(store.roll_up(at(900)).await.expect("watermark kept"), None);
    let next = store
        .append(&[report("netflix", 3, 3, None)])
        .await
        .expect("append");
    assert_eq!(next, [ids[1] + 1]);
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n: N = store
        .read(|c| {
            diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations").get_result(c)
        })
        .await
        .expect("migrations");
    assert_eq!(n.n, migration_count() as i64, "migrations run once");
    drop(store);
    drop(dir);
}

#[tokio::test]
async fn every_migration_reverts_and_applies_again() {
    use diesel_migrations::MigrationHarness;
    let db = db();
    let mut conn = db.store.writer.lock().await;
    let reverted = conn
        .revert_all_migrations(super::MIGRATIONS)
        .expect("revert");
    assert_eq!(reverted.len(), migration_count());
    let applied = conn
        .run_pending_migrations(super::MIGRATIONS)
        .expect("apply");
    assert_eq!(applied.len(), migration_count());
}

#[tokio::test]
async fn times_stay_integer_microseconds_and_lists_json_text_on_disk() {
    let db = db();
    let written = report("netflix", 1, 1, Some("IT"));
    db.store
        .append(std::slice::from_ref(&written))
        .await
        .expect("append");
    #[derive(QueryableByName)]
    struct Stored {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = BigInt)]
        us: i64,
        #[diesel(sql_type = Text)]
        symptoms: String,
    }
    let stored: Stored = db
        .store
        .read(|conn| {
            diesel::sql_query(
                "SELECT typeof(received_at) AS kind, received_at AS us, symptoms FROM reports",
            )
            .get_result(conn)
        })
        .await
        .expect("raw row");
    assert_eq!(stored.kind, "integer");
    assert_eq!(stored.us, written.received_at.timestamp_micros());
    assert_eq!(stored.symptoms, r#"["login","app"]"#);

    // A row as a file written before reads back as it always did.
    let us = at(30).timestamp_micros() + 7;
    let sql = format!(
        "INSERT INTO reports (received_at, service, symptoms, counted, reporter, subnet, region_source)
         VALUES ({us}, 'netflix', '[\"video\"]', 1, x'01', x'02', 'form')"
    );
    db.store
        .write(move |conn| diesel::sql_query(sql).execute(conn))
        .await
        .expect("raw insert");
    let back = db
        .store
        .counted_between(at(30), at(31), None)
        .await
        .expect("read");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].received_at.timestamp_micros(), us);
    assert_eq!(back[0].symptoms, ["video"]);
    assert_eq!(back[0].region_source, "form");
}
