//! Retention on the embedded stack: raw reports of days older than the retention period are
//! deleted, but only once the rollups are verified to hold every counted report of that day
//! (the same rule as Postgres' dropped partitions). Rollups and incidents are kept.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use tracing::{info, warn};

use super::rollups::watermark;
use super::schema::{reports, rollups};
use super::{micros, SqliteStore};
use crate::store::{Expired, StoreError};

const DAY_MICROS: i64 = 86_400_000_000;

#[derive(diesel::QueryableByName)]
struct Day {
    #[diesel(sql_type = BigInt)]
    day: i64,
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
        let keep_from = micros(keep_from);
        self.write(move |conn| {
            let days: Vec<Day> = diesel::sql_query(
                "SELECT DISTINCT received_at / 86400000000 AS day FROM reports
                 WHERE received_at < ? ORDER BY 1",
            )
            .bind::<BigInt, _>(keep_from)
            .load(conn)?;
            let done = watermark(conn)?;
            let mut outcomes = Vec::new();
            for Day { day } in days {
                let (start, end) = (day * DAY_MICROS, (day + 1) * DAY_MICROS);
                let Some(date) = chrono::DateTime::from_timestamp_micros(start).map(|t| t.date_naive())
                else {
                    continue;
                };
                if done.is_none_or(|w| w < end) {
                    outcomes.push(Expired::Kept {
                        day: date,
                        reason: "not rolled up yet".into(),
                    });
                    continue;
                }
                let logged: i64 = reports::table
                    .filter(reports::received_at.ge(start))
                    .filter(reports::received_at.lt(end))
                    .filter(reports::counted.eq(true))
                    .count()
                    .get_result(conn)?;
                let rolled: Option<i64> = rollups::table
                    .filter(rollups::symptom.eq("*"))
                    .filter(rollups::bucket.ge(start))
                    .filter(rollups::bucket.lt(end))
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
                        .filter(reports::received_at.ge(start))
                        .filter(reports::received_at.lt(end)),
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
