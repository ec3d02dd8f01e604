//! Retention on the embedded stack: an expired day of raw reports is deleted once its rollups
//! hold it, and not before; newer days stay.

use chrono::TimeDelta;
use diesel::prelude::*;

use super::super::schema::reports;
use super::{at, db, report};
use crate::store::{Expired, ReportLog, RollupStore};

#[tokio::test]
async fn an_expired_day_is_deleted_only_once_its_rollups_hold_it() {
    let db = db();
    let day = at(0).date_naive();
    let next_day = at(0) + TimeDelta::days(1);
    let mut uncounted = report("netflix", 200, 2, Some("IT"));
    uncounted.counted = false;
    db.store
        .append(&[
            report("netflix", 100, 1, Some("IT")),
            uncounted,
            report("spotify", 300, 3, None),
        ])
        .await
        .expect("append");
    let mut kept = report("netflix", 0, 4, Some("IT"));
    kept.received_at = next_day + TimeDelta::hours(1);
    db.store.append(&[kept]).await.expect("append");
    let keep_from = next_day.date_naive();

    let outcome = db.store.expire_reports(keep_from).await.expect("retention");
    assert!(
        matches!(&outcome[..], [Expired::Kept { day: d, .. }] if *d == day),
        "not rolled up yet: {outcome:?}"
    );

    db.store
        .roll_up(next_day + TimeDelta::hours(2))
        .await
        .expect("roll up");
    let outcome = db.store.expire_reports(keep_from).await.expect("retention");
    assert_eq!(outcome, vec![Expired::Dropped { day }]);
    let left: i64 = db
        .store
        .read(|conn| reports::table.count().get_result(conn))
        .await
        .expect("count");
    assert_eq!(left, 1, "only the newer day's report is left");
    assert!(db
        .store
        .expire_reports(keep_from)
        .await
        .expect("again")
        .is_empty());
}
