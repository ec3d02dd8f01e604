//! Retention: an expired day of raw reports goes once its rollups hold it, and not before;
//! newer days stay.

use chrono::TimeDelta;
use downwatch::store::Expired;

use crate::backends::Durable;
use crate::fixtures::{at, report};

durable_tests!(an_expired_day_is_removed_only_once_its_rollups_hold_it);

async fn an_expired_day_is_removed_only_once_its_rollups_hold_it(db: Durable) {
    let day = at(0).date_naive();
    let next_day = at(0) + TimeDelta::days(1);
    db.log.ensure_partitions(day, 2).await.expect("partitions");
    let mut uncounted = report("netflix", 200, 2, Some("IT"));
    uncounted.counted = false;
    db.log
        .append(&[
            report("netflix", 100, 1, Some("IT")),
            uncounted,
            report("spotify", 300, 3, None),
        ])
        .await
        .expect("append");
    let mut kept = report("netflix", 0, 4, Some("IT"));
    kept.received_at = next_day + TimeDelta::hours(1);
    db.log
        .append(std::slice::from_ref(&kept))
        .await
        .expect("append");
    let keep_from = next_day.date_naive();

    let outcome = db.log.expire_reports(keep_from).await.expect("retention");
    assert!(
        matches!(&outcome[..], [Expired::Kept { day: d, .. }] if *d == day),
        "not rolled up yet: {outcome:?}"
    );

    db.rollups
        .roll_up(next_day + TimeDelta::hours(2))
        .await
        .expect("roll up");
    let outcome = db.log.expire_reports(keep_from).await.expect("retention");
    assert_eq!(outcome, vec![Expired::Dropped { day }]);
    let left = db
        .log
        .counted_between(at(0), next_day + TimeDelta::days(1), None)
        .await
        .expect("read");
    assert_eq!(left, [kept], "only the newer day's report is left");
    assert!(db
        .log
        .expire_reports(keep_from)
        .await
        .expect("again")
        .is_empty());
    // The rollups of the expired day remain.
    let history = db
        .rollups
        .history(None, at(0), next_day)
        .await
        .expect("history");
    assert_eq!(history.len(), 2, "{history:?}");
}
