//! 15-minute rollups of counted reports, maintained incrementally behind a watermark.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::models::HistoryRow;
use super::schema::{reports, rollup_watermark, rollups};
use super::types::{Micros, UnixMicros};
use super::SqliteStore;
use crate::store::rows::{PlatformTotalRow, TypicalRow};
use crate::store::{
    quarter_of, CountryLevel, Period, PlatformTotal, RollupRow, RollupStore, StoreError,
};

/// Adds the counted reports of `[?1, ?2)` to the rollups: one row per service, bucket and
/// country for all symptoms ('*'), and one per symptom. Buckets are aligned on the epoch,
/// as `date_bin('15 minutes', …, '2000-01-01')` is in Postgres.
const ADD_PERIOD: &str = r#"
WITH r AS (
    SELECT service,
           received_at - (((received_at % 900000000) + 900000000) % 900000000) AS bucket,
           coalesce(country, 'ZZ') AS country,
           symptoms,
           reporter
    FROM reports
    WHERE counted AND received_at >= ? AND received_at < ?
), agg AS (
    SELECT service, bucket, country, '*' AS symptom,
           count(*) AS reports, count(DISTINCT reporter) AS uniq
    FROM r GROUP BY 1, 2, 3
    UNION ALL
    SELECT service, bucket, country, s.value,
           count(*), count(DISTINCT reporter)
    FROM r, json_each(r.symptoms) AS s GROUP BY 1, 2, 3, 4
)
INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
SELECT service, bucket, country, symptom, reports, uniq FROM agg WHERE true
ON CONFLICT (service, bucket, country, symptom) DO UPDATE
SET reports = rollups.reports + excluded.reports,
    unique_reporters = rollups.unique_reporters + excluded.unique_reporters
"#;

// `WHERE true` above: without it SQLite would read `ON CONFLICT` as a join constraint.

/// The typical counted reports per country in the `?3` minutes before `?2`: the same window
/// of time on each of the previous 7 days, averaged over the days that history covers (at
/// least 1, at most 7); of service `?1`, or of all when NULL. As in Postgres.
const TYPICAL_BY_COUNTRY: &str = r#"
WITH days AS (
    SELECT min(7, max(1, (?2 - min(bucket)) / 86400000000)) AS n FROM rollups
)
SELECT country, CAST(sum(reports) AS REAL) / (SELECT n FROM days) AS expected
FROM rollups
WHERE symptom = '*' AND (?1 IS NULL OR service = ?1)
  AND bucket >= ?2 - 7 * 86400000000 - ?3 * 60000000
  AND bucket < ?2 - 86400000000 + 60000000
  AND CAST(round((?2 - bucket) / 1000000.0) AS INTEGER) % 86400 BETWEEN 1 AND ?3 * 60
GROUP BY country
"#;

/// Adds the counted reports of `[?1, ?2)` to `rollup_platforms`: one row per service,
/// bucket and platform ('unknown' when the report named none).
const ADD_PLATFORMS: &str = r#"
INSERT INTO rollup_platforms (service, bucket, platform, reports, unique_reporters)
SELECT service,
       received_at - (((received_at % 900000000) + 900000000) % 900000000),
       coalesce(platform, 'unknown'),
       count(*), count(DISTINCT reporter)
FROM reports
WHERE counted AND received_at >= ? AND received_at < ?
GROUP BY 1, 2, 3
ON CONFLICT (service, bucket, platform) DO UPDATE
SET reports = rollup_platforms.reports + excluded.reports,
    unique_reporters = rollup_platforms.unique_reporters + excluded.unique_reporters
"#;

/// Rolls up `[from, to)`: the rollups, then the platforms; the number of rollup rows.
fn add_period(
    conn: &mut SqliteConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<usize> {
    let rows = diesel::sql_query(ADD_PERIOD)
        .bind::<UnixMicros, _>(from)
        .bind::<UnixMicros, _>(to)
        .execute(conn)?;
    diesel::sql_query(ADD_PLATFORMS)
        .bind::<UnixMicros, _>(from)
        .bind::<UnixMicros, _>(to)
        .execute(conn)?;
    Ok(rows)
}

pub(super) fn watermark(conn: &mut SqliteConnection) -> QueryResult<Option<DateTime<Utc>>> {
    rollup_watermark::table
        .select(rollup_watermark::done_to)
        .first(conn)
        .optional()
}

#[async_trait]
impl RollupStore for SqliteStore {
    async fn roll_up(&self, to: DateTime<Utc>) -> Result<Option<Period>, StoreError> {
        // The IMMEDIATE transaction holds the write lock: no concurrent roll-up can interleave.
        self.write(move |conn| {
            let from = match watermark(conn)? {
                Some(d) => d,
                None => {
                    let first: Option<DateTime<Utc>> = reports::table
                        .select(diesel::dsl::min(reports::received_at))
                        .first(conn)?;
                    quarter_of(first.unwrap_or(to))
                }
            };
            if from >= to {
                return Ok(None);
            }
            add_period(conn, from, to)?;
            diesel::insert_into(rollup_watermark::table)
                .values((
                    rollup_watermark::id.eq(1),
                    rollup_watermark::done_to.eq(Micros(to)),
                ))
                .on_conflict(rollup_watermark::id)
                .do_update()
                .set(rollup_watermark::done_to.eq(Micros(to)))
                .execute(conn)?;
            Ok(Some(Period { from, to }))
        })
        .await
    }

    async fn rebuild_rollups(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let from = quarter_of(since);
        self.write(move |conn| {
            let Some(to) = watermark(conn)? else {
                return Ok(0);
            };
            diesel::delete(rollups::table.filter(rollups::bucket.ge(Micros(from))))
                .execute(conn)?;
            diesel::sql_query("DELETE FROM rollup_platforms WHERE bucket >= ?")
                .bind::<UnixMicros, _>(from)
                .execute(conn)?;
            // Hour by hour keeps each statement's temporary b-trees small.
            let mut rows = 0u64;
            let mut start = from;
            while start < to {
                let end = start
                    .checked_add_signed(TimeDelta::hours(1))
                    .map_or(to, |end| end.min(to));
                rows += add_period(conn, start, end)? as u64;
                start = end;
            }
            Ok(rows)
        })
        .await
    }

    async fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(watermark).await
    }

    async fn history_start(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        self.read(|conn| {
            rollups::table
                .select(diesel::dsl::min(rollups::bucket))
                .first(conn)
        })
        .await
    }

    async fn typical_by_country(
        &self,
        service: Option<&str>,
        at: DateTime<Utc>,
        window_minutes: i64,
    ) -> Result<Vec<CountryLevel>, StoreError> {
        let service = service.map(str::to_owned);
        let rows: Vec<TypicalRow> = self
            .read(move |conn| {
                diesel::sql_query(TYPICAL_BY_COUNTRY)
                    .bind::<Nullable<Text>, _>(service)
                    .bind::<UnixMicros, _>(at)
                    .bind::<BigInt, _>(window_minutes)
                    .load(conn)
            })
            .await?;
        Ok(rows.into_iter().map(CountryLevel::from).collect())
    }

    async fn platform_totals(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PlatformTotal>, StoreError> {
        let service = service.to_owned();
        let rows: Vec<PlatformTotalRow> = self
            .read(move |conn| {
                diesel::sql_query(
                    "SELECT platform, CAST(sum(reports) AS INTEGER) AS reports
                     FROM rollup_platforms WHERE service = ? AND bucket >= ? AND bucket < ?
                     GROUP BY platform ORDER BY 2 DESC, 1",
                )
                .bind::<Text, _>(service)
                .bind::<UnixMicros, _>(from)
                .bind::<UnixMicros, _>(to)
                .load(conn)
            })
            .await?;
        rows.into_iter().map(|r| r.parse(super::STORE)).collect()
    }

    async fn history(
        &self,
        services: Option<&[String]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RollupRow>, StoreError> {
        // One JSON parameter for the list: no limit on the number of services.
        let services = services.map(|s| serde_json::Value::from(s.to_vec()).to_string());
        let rows: Vec<HistoryRow> = self
            .read(move |conn| {
                let columns = "SELECT service, bucket, country, reports, unique_reporters \
                               FROM rollups WHERE symptom = '*' AND bucket >= ? AND bucket < ?";
                let order = "ORDER BY service, bucket, country";
                match services {
                    Some(list) => diesel::sql_query(format!(
                        "{columns} AND service IN (SELECT value FROM json_each(?)) {order}"
                    ))
                    .bind::<UnixMicros, _>(from)
                    .bind::<UnixMicros, _>(to)
                    .bind::<Text, _>(list)
                    .load(conn),
                    None => diesel::sql_query(format!("{columns} {order}"))
                        .bind::<UnixMicros, _>(from)
                        .bind::<UnixMicros, _>(to)
                        .load(conn),
                }
            })
            .await?;
        Ok(rows.into_iter().map(RollupRow::from).collect())
    }
}
