//! Retention on the embedded stack deletes every raw report of an expired day, the uncounted
//! ones too (which no reader sees); the rest of its promise is in `tests/store_conformance/`.

use chrono::TimeDelta;
use diesel::prelude::*;

use super::super::schema::reports;
use super::{at, db, report};
use crate::store::{Expired, ReportLog, RollupStore};

#[tokio::test]
async fn an_expired_day_leaves_no_raw_report_behind() {
    let db = db();
    let day = at(0).date_naive();
    let next_day = at(0) + TimeDelta::days(1);
    let mut uncounted = report("netflix", 200, 2, Some("IT"));
    uncounted.counted = false;
    let mut kept = report("netflix", 0, 4, Some("IT"));
    kept.received_at = next_day + TimeDelta::hours(1);
    db.store
        .append(&[report("netflix", 100, 1, Some("IT")), uncounted, kept])
        .await
        .expect("append");
    db.store
        .roll_up(next_day + TimeDelta::hours(2))
        .await
        .expect("roll up");
    let outcome = db
        .store
        .expire_reports(next_day.date_naive())
        .await
        .expect("retention");
    assert_eq!(outcome, vec![Expired::Dropped { day }]);
    let left: i64 = db
        .store
        .read(|conn| reports::table.count().get_result(conn))
        .await
        .expect("count");
    assert_eq!(left, 1, "only the newer day's report is left");
}
