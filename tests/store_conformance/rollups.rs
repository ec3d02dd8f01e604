//! Rollups: incremental behind the watermark, as a rebuild but for unique reporters; history,
//! quarter totals and typical levels read from them.

use downwatch::store::{CountryLevel, Period, QuarterTotal, RollupRow};

use crate::backends::Durable;
use crate::fixtures::{at, report};

durable_tests!(
    rollups_are_incremental_behind_the_watermark_and_equal_a_rebuild,
    typical_by_country_averages_the_same_window_on_previous_days,
);

/// Typical levels as `(country, typical)` pairs, by country.
fn levels(levels: Vec<CountryLevel>) -> Vec<(String, f64)> {
    let mut pairs: Vec<(String, f64)> =
        levels.into_iter().map(|l| (l.country, l.typical)).collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    pairs
}

/// Rollups in a stable order: the contract does not order countries within a bucket.
fn sorted(mut rows: Vec<RollupRow>) -> Vec<RollupRow> {
    rows.sort_by(|a, b| {
        (&a.service, a.bucket, &a.country).cmp(&(&b.service, b.bucket, &b.country))
    });
    rows
}

fn row(bucket_secs: i64, country: &str, reports: i32, unique_reporters: i32) -> RollupRow {
    RollupRow {
        service: "netflix".into(),
        bucket: at(bucket_secs),
        country: country.into(),
        reports,
        unique_reporters,
    }
}

async fn rollups_are_incremental_behind_the_watermark_and_equal_a_rebuild(db: Durable) {
    assert_eq!(db.rollups.roll_up(at(0)).await.expect("nothing"), None);
    let mut one_symptom = report("netflix", 900 + 60, 3, Some("IT"));
    one_symptom.symptoms = vec!["login".into()];
    let mut uncounted = report("netflix", 70, 4, Some("IT"));
    uncounted.counted = false;
    db.log
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
    let first = db.rollups.roll_up(at(150)).await.expect("roll up");
    let expected = Period {
        from: at(0),
        to: at(150),
    };
    assert_eq!(first, Some(expected));
    let second = db.rollups.roll_up(at(1800)).await.expect("roll up");
    let expected = Period {
        from: at(150),
        to: at(1800),
    };
    assert_eq!(second, Some(expected));
    assert_eq!(
        db.rollups.roll_up(at(1800)).await.expect("up to date"),
        None
    );
    assert_eq!(
        db.rollups.watermark().await.expect("watermark"),
        Some(at(1800))
    );

    let history = db
        .rollups
        .history(None, at(0), at(1800))
        .await
        .expect("history");
    // IT at 10:00: two reports of one reporter, in two periods, so 1 + 1 unique.
    assert_eq!(
        sorted(history),
        [row(0, "IT", 2, 2), row(0, "ZZ", 1, 1), row(900, "IT", 1, 1)]
    );
    let totals = db
        .rollups
        .quarter_totals("netflix", None, at(0), at(1800))
        .await
        .expect("totals");
    let total = |secs, reports, unique_reporters| QuarterTotal {
        quarter: at(secs),
        reports,
        unique_reporters,
    };
    assert_eq!(totals, [total(0, 3, 3), total(900, 1, 1)]);
    let italy = db
        .rollups
        .quarter_totals("netflix", Some("IT"), at(900), at(1800))
        .await
        .expect("totals");
    assert_eq!(italy, [total(900, 1, 1)]);

    // A rebuild counts each reporter once per bucket; everything else is the same. Its rows:
    // per service, bucket and country, one for all symptoms and one per symptom.
    assert_eq!(db.rollups.rebuild_rollups(at(0)).await.expect("rebuild"), 8);
    let rebuilt = db
        .rollups
        .history(None, at(0), at(1800))
        .await
        .expect("history");
    assert_eq!(
        sorted(rebuilt),
        [row(0, "IT", 2, 1), row(0, "ZZ", 1, 1), row(900, "IT", 1, 1)]
    );
    let some = ["spotify".to_owned(), "netflix".to_owned()];
    let only = db
        .rollups
        .history(Some(&some), at(900), at(1800))
        .await
        .expect("history");
    assert_eq!(only, [row(900, "IT", 1, 1)]);
    assert!(db
        .rollups
        .history(Some(&[]), at(0), at(1800))
        .await
        .expect("history")
        .is_empty());
}

async fn typical_by_country_averages_the_same_window_on_previous_days(db: Durable) {
    assert_eq!(db.rollups.watermark().await.expect("watermark"), None);
    assert_eq!(db.rollups.history_start().await.expect("start"), None);
    const DAY: i64 = 86_400;
    db.log
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
    db.rollups.roll_up(at(0)).await.expect("roll up");
    assert_eq!(
        db.rollups.watermark().await.expect("watermark"),
        Some(at(0))
    );
    assert_eq!(
        db.rollups.history_start().await.expect("start"),
        Some(at(-3 * DAY - 900))
    );
    // History covers 3 days: the sums are divided by 3.
    let typical = db
        .rollups
        .typical_by_country(Some("netflix"), at(0), 60)
        .await
        .expect("typical");
    assert_eq!(
        levels(typical),
        [("FR".to_owned(), 1.0 / 3.0), ("IT".to_owned(), 1.0)]
    );
    let all = db
        .rollups
        .typical_by_country(None, at(0), 60)
        .await
        .expect("typical");
    assert_eq!(
        levels(all),
        [("FR".to_owned(), 1.0 / 3.0), ("IT".to_owned(), 4.0 / 3.0)]
    );
    let none = db
        .rollups
        .typical_by_country(Some("steam"), at(0), 60)
        .await
        .expect("typical");
    assert!(none.is_empty());
}
