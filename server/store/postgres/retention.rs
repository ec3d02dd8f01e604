//! Retention: daily partitions of the raw report log older than the retention period are
//! dropped, but only once the rollups are verified to hold every counted report of that day.
//! Rollups and incidents are kept.

use chrono::{NaiveDate, TimeDelta};
use diesel::sql_types::{BigInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use tracing::{info, warn};

use super::{db_error, PgStore};
use crate::store::{Expired, RollupStore, StoreError};

#[derive(diesel::QueryableByName)]
struct Partition {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl PgStore {
    /// Drops the daily report partitions of days before `keep_from` whose rollups are complete.
    pub(super) async fn drop_expired_partitions(
        &self,
        keep_from: NaiveDate,
    ) -> Result<Vec<Expired>, StoreError> {
        let mut conn = self.conn().await?;
        let partitions: Vec<Partition> = diesel::sql_query(
            "SELECT c.relname::text AS name FROM pg_inherits i
             JOIN pg_class c ON c.oid = i.inhrelid
             JOIN pg_class p ON p.oid = i.inhparent
             WHERE p.relname = 'reports' AND c.relname LIKE 'reports_p%'
             ORDER BY 1",
        )
        .load(&mut conn)
        .await
        .map_err(db_error)?;
        drop(conn);
        let watermark = self.watermark().await?;
        let mut outcomes = Vec::new();
        for p in partitions {
            let Some(day) = p
                .name
                .strip_prefix("reports_p")
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok())
            else {
                continue;
            };
            if day >= keep_from {
                continue;
            }
            let start = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
            let Some(start) = start else { continue };
            let end = start + TimeDelta::days(1);
            if watermark.is_none_or(|w| w < end) {
                outcomes.push(Expired::Kept {
                    day,
                    reason: "not rolled up yet".into(),
                });
                continue;
            }
            let mut conn = self.conn().await?;
            let logged: Count = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM \"{}\" WHERE counted",
                p.name
            ))
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
            let rolled: Count = diesel::sql_query(
                "SELECT coalesce(sum(reports), 0)::bigint AS n FROM rollups
                 WHERE symptom = '*' AND bucket >= $1 AND bucket < $2",
            )
            .bind::<Timestamptz, _>(start)
            .bind::<Timestamptz, _>(end)
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
            if logged.n != rolled.n {
                warn!(partition = %p.name, logged = logged.n, rolled_up = rolled.n, "expired partition kept: rollups incomplete");
                outcomes.push(Expired::Kept {
                    day,
                    reason: format!(
                        "{} counted reports logged, {} rolled up",
                        logged.n, rolled.n
                    ),
                });
                continue;
            }
            diesel::sql_query(format!("DROP TABLE \"{}\"", p.name))
                .execute(&mut conn)
                .await
                .map_err(db_error)?;
            info!(partition = %p.name, reports = logged.n, "expired report partition dropped; its rollups remain");
            outcomes.push(Expired::Dropped { day });
        }
        Ok(outcomes)
    }
}
