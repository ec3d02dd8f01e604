//! Retention on the embedded stack: raw reports of days older than the retention period are
//! deleted, but only once the rollups are verified to hold every counted report of that day
//! (the same rule as Postgres' dropped partitions). Rollups and incidents are kept.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tracing::{info, warn};

use super::rollups::watermark;
use super::schema::{reports, rollups};
use super::types::{Micros, UnixMicros};
use super::SqliteStore;
use crate::store::{Expired, StoreError};

#[derive(diesel::QueryableByName)]
struct Day {
    #[diesel(sql_type = BigInt)]
    day: i64,
}

/// The start of a day counted from the Unix epoch.
fn day_start(day: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(day.checked_mul(86_400)?, 0)
}

impl SqliteStore {
    /// Deletes the raw reports of the days before `keep_from` whose rollups are complete.
    pub(super) async fn delete_expired_reports(
        &self,
        keep_from: NaiveDate,
    ) -> Result<Vec<Expired>, StoreError> {
        let Some(keep_from) = keep_from.and_hms_opt(0, 0, 0).map(|t| t.and_utc()) else {
            return Ok(Vec::new());
        };
        self.write(move |conn| {
            let days: Vec<Day> = diesel::sql_query(
                "SELECT DISTINCT received_at / 86400000000 AS day FROM reports
                 WHERE received_at < ? ORDER BY 1",
            )
            .bind::<UnixMicros, _>(keep_from)
            .load(conn)?;
            let done = watermark(conn)?;
            let mut outcomes = Vec::new();
            for Day { day } in days {
                let (Some(start), Some(end)) = (day_start(day), day_start(day + 1)) else {
                    continue;
                };
                let date = start.date_naive();
                if done.is_none_or(|w| w < end) {
                    outcomes.push(Expired::Kept {
                        day: date,
                        reason: "not rolled up yet".into(),
                    });
                    continue;
                }
                let logged: i64 = reports::table
                    .filter(reports::received_at.ge(Micros(start)))
                    .filter(reports::received_at.lt(Micros(end)))
                    .filter(reports::counted.eq(true))
                    .count()
                    .get_result(conn)?;
                let rolled: Option<i64> = rollups::table
                    .filter(rollups::symptom.eq("*"))
                    .filter(rollups::bucket.ge(Micros(start)))
                    .filter(rollups::bucket.lt(Micros(end)))
                    .select(diesel::dsl::sum(rollups::reports))
                    .first(conn)?;
                let rolled = rolled.unwrap_or(0);
                if logged != rolled {
                    warn!(%date, logged, rolled_up = rolled, "expired reports kept: rollups incomplete");
                    outcomes.push(Expired::Kept {
                        day: date,
                        reason: format!("{logged} counted reports logged, {rolled} rolled up"),
                    });
                    continue;
                }
                let deleted = diesel::delete(
                    reports::table
                        .filter(reports::received_at.ge(Micros(start)))
                        .filter(reports::received_at.lt(Micros(end))),
                )
                .execute(conn)?;
                info!(%date, reports = deleted, "expired reports deleted; their rollups remain");
                outcomes.push(Expired::Dropped { day: date });
            }
            Ok(outcomes)
        })
        .await
    }
}
