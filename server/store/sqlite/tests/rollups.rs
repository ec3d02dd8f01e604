//! The rows SQLite's own rollup SQL writes: one for all symptoms and one per symptom (read
//! from its JSON list), incremental or rebuilt; what readers see of them is tested for every
//! backend in `tests/store_conformance/`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::super::schema::rollups;
use super::super::SqliteStore;
use super::{at, db, report};
use crate::store::{ReportLog, RollupStore};

type RollupTuple = (String, DateTime<Utc>, String, String, i32, i32);

async fn all_rollups(store: &SqliteStore) -> Vec<RollupTuple> {
    store
        .read(|conn| {
            rollups::table
                .order((
                    rollups::service,
                    rollups::bucket,
                    rollups::country,
                    rollups::symptom,
                ))
                .load(conn)
        })
        .await
        .expect("rollups")
}

#[tokio::test]
async fn each_bucket_has_a_row_for_all_symptoms_and_one_per_symptom() {
    let db = db();
    let mut one_symptom = report("netflix", 900 + 60, 3, Some("IT"));
    one_symptom.symptoms = vec!["login".into()];
    db.store
        .append(&[
            report("netflix", 100, 1, Some("IT")),
            report("netflix", 200, 1, Some("IT")),
            report("netflix", 300, 2, None),
            one_symptom,
        ])
        .await
        .expect("append");
    db.store.roll_up(at(150)).await.expect("roll up");
    db.store.roll_up(at(1800)).await.expect("roll up");
    let incremental = all_rollups(&db.store).await;
    let symptoms: Vec<&str> = incremental.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(
        symptoms,
        ["*", "app", "login", "*", "app", "login", "*", "login"]
    );
    assert_eq!(
        incremental[1],
        ("netflix".into(), at(0), "IT".into(), "app".into(), 2, 2)
    );

    // A rebuild counts each reporter once per bucket; everything else is the same.
    assert_eq!(db.store.rebuild_rollups(at(0)).await.expect("rebuild"), 8);
    let rebuilt = all_rollups(&db.store).await;
    let fix = |mut rows: Vec<RollupTuple>| {
        rows.iter_mut().for_each(|r| r.5 = r.5.min(1));
        rows
    };
    assert_eq!(fix(rebuilt.clone()), fix(incremental));
    assert_eq!(
        rebuilt[0],
        ("netflix".into(), at(0), "IT".into(), "*".into(), 2, 1)
    );
}
