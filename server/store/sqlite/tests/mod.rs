//! The SQLite store keeps the promises of the Postgres one, on a temporary file.

mod api_keys;
mod detector;
mod incidents;
mod retention;
mod rollups;
mod webhooks;

use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::SqliteStore;
use crate::catalog::Service;
use crate::store::{CatalogStore, NewReport, ReportLog, RollupStore, ServiceMinute, StoreError};

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
async fn append_returns_ids_in_order_and_counted_between_reads_them_back() {
    let db = db();
    assert!(db.store.append(&[]).await.expect("empty").is_empty());
    let mut repeat = report("netflix", 20, 1, Some("IT"));
    repeat.counted = false;
    let batch = vec![
        report("netflix", 30, 1, Some("IT")),
        report("spotify", 10, 2, None),
        repeat,
        report("netflix", 5, 3, None),
    ];
    let ids = db.store.append(&batch).await.expect("append");
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
    let more = db.store.append(&batch[..1]).await.expect("append");
    assert_eq!(more, [ids[3] + 1]);

    let all = db
        .store
        .counted_between(at(0), at(60), None)
        .await
        .expect("read");
    let times: Vec<_> = all.iter().map(|r| r.received_at).collect();
    assert_eq!(
        times,
        [
            batch[3].received_at,
            batch[1].received_at,
            batch[0].received_at,
            batch[0].received_at
        ]
    );
    // Everything comes back as written, to the microsecond.
    assert_eq!(all[2], batch[0]);
    let netflix = db
        .store
        .counted_between(at(5), at(30), Some("netflix"))
        .await
        .expect("read");
    // [from, to): the report at 5 s is in, those at 30 s are out.
    assert_eq!(netflix, [batch[3].clone()]);
    db.store
        .ensure_partitions(at(0).date_naive(), 3)
        .await
        .expect("no-op");
    db.store.ping().await.expect("ping");
}

#[tokio::test]
async fn bucket_repairs_are_noted_once_listed_oldest_first_and_cleared() {
    let db = db();
    let minutes = vec![
        ServiceMinute {
            service: "netflix".to_owned(),
            minute: at(120),
        },
        ServiceMinute {
            service: "spotify".to_owned(),
            minute: at(60),
        },
    ];
    db.store.note_bucket_repairs(&minutes).await.expect("note");
    db.store
        .note_bucket_repairs(&minutes[..1])
        .await
        .expect("note again");
    let pending = db.store.pending_bucket_repairs(10).await.expect("pending");
    assert_eq!(pending, [minutes[1].clone(), minutes[0].clone()]);
    assert_eq!(
        db.store
            .pending_bucket_repairs(1)
            .await
            .expect("pending")
            .len(),
        1
    );
    db.store
        .clear_bucket_repairs(&minutes[1..])
        .await
        .expect("clear");
    let pending = db.store.pending_bucket_repairs(10).await.expect("pending");
    assert_eq!(pending, [minutes[0].clone()]);
}

#[tokio::test]
async fn the_catalog_is_seeded_once_created_without_duplicates_and_updated() {
    let db = db();
    let seed = [service("spotify", "Spotify"), service("netflix", "Netflix")];
    assert_eq!(db.store.seed_services(&seed).await.expect("seed"), 2);
    assert_eq!(db.store.seed_services(&seed).await.expect("seed again"), 0);
    let listed = db.store.list_services().await.expect("list");
    assert_eq!(listed, [seed[1].clone(), seed[0].clone()]);

    let steam = service("steam", "Steam");
    db.store.create_service(&steam).await.expect("create");
    let again = db.store.create_service(&steam).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");

    let mut renamed = steam.clone();
    renamed.name = "Steam (Valve)".into();
    renamed.aliases = vec!["valve".into(), "steampowered".into()];
    assert!(db.store.update_service(&renamed).await.expect("update"));
    assert!(!db
        .store
        .update_service(&service("nope", "Nope"))
        .await
        .expect("update"));
    let listed = db.store.list_services().await.expect("list");
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[2], renamed);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_each_get_consecutive_ids_and_all_land() {
    let db = db();
    let mut tasks = Vec::new();
    for b in 0..40u8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let batch: Vec<NewReport> = (0..25)
                .map(|i| report("netflix", i64::from(i), b, None))
                .collect();
            let ids = store.append(&batch).await.expect("append");
            // Reads run alongside the writes.
            store
                .counted_between(at(0), at(60), None)
                .await
                .expect("read");
            ids
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let ids = task.await.expect("task");
        assert!(ids.windows(2).all(|w| w[1] == w[0] + 1), "{ids:?}");
        all.extend(ids);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), 1000);
    let back = db
        .store
        .counted_between(at(0), at(60), None)
        .await
        .expect("read");
    assert_eq!(back.len(), 1000);
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
