//! Rollups: incremental behind the watermark, equal to a rebuild; typical levels.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::super::schema::rollups;
use super::super::SqliteStore;
use super::{at, db, report};
use crate::store::{CountryLevel, Period, ReportLog, RollupRow, RollupStore};

/// Typical levels as `(country, typical)` pairs.
fn levels(levels: Vec<CountryLevel>) -> Vec<(String, f64)> {
    levels.into_iter().map(|l| (l.country, l.typical)).collect()
}

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
async fn rollups_are_incremental_behind_the_watermark_and_equal_a_rebuild() {
    let db = db();
    assert_eq!(db.store.roll_up(at(0)).await.expect("nothing"), None);
    let mut one_symptom = report("netflix", 900 + 60, 3, Some("IT"));
    one_symptom.symptoms = vec!["login".into()];
    let mut uncounted = report("netflix", 70, 4, Some("IT"));
    uncounted.counted = false;
    db.store
        .append(&[
            report("netflix", 100, 1, Some("IT")),
            report("netflix", 200, 1, Some("IT")),
            report("netflix", 300, 2, None),
            uncounted,
            one_symptom,
        ])
        .await
        .expect("append");
    // Starts at the quarter of the first report: to 10:02:30 first, then on to 10:30.
    let first = db.store.roll_up(at(150)).await.expect("roll up");
    assert_eq!(
        first,
        Some(Period {
            from: at(0),
            to: at(150)
        })
    );
    let second = db.store.roll_up(at(1800)).await.expect("roll up");
    assert_eq!(
        second,
        Some(Period {
            from: at(150),
            to: at(1800)
        })
    );
    assert_eq!(db.store.roll_up(at(1800)).await.expect("up to date"), None);

    let history = db
        .store
        .history(None, at(0), at(1800))
        .await
        .expect("history");
    let row = |bucket, country: &str, reports, unique_reporters| RollupRow {
        service: "netflix".into(),
        bucket,
        country: country.into(),
        reports,
        unique_reporters,
    };
    // IT at 10:00: two reports of one reporter, in two periods, so 1 + 1 unique (as Postgres).
    assert_eq!(
        history,
        [
            row(at(0), "IT", 2, 2),
            row(at(0), "ZZ", 1, 1),
            row(at(900), "IT", 1, 1)
        ]
    );
    let incremental = all_rollups(&db.store).await;
    let symptoms: Vec<&str> = incremental.iter().map(|r| r.3.as_str()).collect();
    assert_eq!(
        symptoms,
        ["*", "app", "login", "*", "app", "login", "*", "login"]
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
    let some = ["spotify".to_owned(), "netflix".to_owned()];
    let only = db
        .store
        .history(Some(&some), at(900), at(1800))
        .await
        .expect("history");
    assert_eq!(only, [row(at(900), "IT", 1, 1)]);
    assert!(db
        .store
        .history(Some(&[]), at(0), at(1800))
        .await
        .expect("history")
        .is_empty());
}

#[tokio::test]
async fn typical_by_country_averages_the_same_window_on_previous_days() {
    let db = db();
    assert_eq!(db.store.watermark().await.expect("watermark"), None);
    assert_eq!(db.store.history_start().await.expect("start"), None);
    const DAY: i64 = 86_400;
    db.store
        .append(&[
            // In the hour before 10:00 on previous days.
            report("netflix", -DAY - 1800, 1, Some("IT")),
            report("netflix", -2 * DAY - 2700, 2, Some("IT")),
            report("netflix", -2 * DAY - 2600, 3, Some("IT")),
            report("netflix", -3 * DAY - 900, 4, Some("FR")),
            // Outside the window: at 10:00 itself, and before 09:00.
            report("netflix", -DAY, 5, Some("IT")),
            report("netflix", -DAY - 4500, 6, Some("IT")),
            report("spotify", -DAY - 1800, 7, Some("IT")),
        ])
        .await
        .expect("append");
    db.store.roll_up(at(0)).await.expect("roll up");
    assert_eq!(db.store.watermark().await.expect("watermark"), Some(at(0)));
    assert_eq!(
        db.store.history_start().await.expect("start"),
        Some(at(-3 * DAY - 900))
    );
    // History covers 3 days: the sums are divided by 3.
    let typical = db
        .store
        .typical_by_country(Some("netflix"), at(0), 60)
        .await
        .expect("typical");
    let mut typical = levels(typical);
    typical.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        typical,
        [("FR".to_owned(), 1.0 / 3.0), ("IT".to_owned(), 1.0)]
    );
    let all = db
        .store
        .typical_by_country(None, at(0), 60)
        .await
        .expect("typical");
    let mut all = levels(all);
    all.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        all,
        [("FR".to_owned(), 1.0 / 3.0), ("IT".to_owned(), 4.0 / 3.0)]
    );
    let none = db
        .store
        .typical_by_country(Some("steam"), at(0), 60)
        .await
        .expect("typical");
    assert!(none.is_empty());
}
