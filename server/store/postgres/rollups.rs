//! 15-minute rollups of counted reports, maintained incrementally behind a watermark.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::models::HistoryRow;
use super::schema::{rollup_watermark, rollups};
use super::{db_error, PgStore};
use crate::store::rows::{PlatformTotalRow, TypicalRow};
use crate::store::{
    quarter_of, CountryLevel, Period, PlatformTotal, QuarterTotal, RollupRow, RollupStore,
    StoreError,
};

/// Adds the counted reports of `[$1, $2)` to the rollups: one row per service, bucket and
/// country for all symptoms ('*'), and one per symptom.
const ADD_PERIOD: &str = r#"
WITH r AS (
    SELECT service,
           date_bin('15 minutes', received_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
           coalesce(country, 'ZZ') AS country,
           symptoms,
           reporter
    FROM reports
    WHERE counted AND received_at >= $1 AND received_at < $2
), agg AS (
    SELECT service, bucket, country, '*' AS symptom,
           count(*)::int AS reports, count(DISTINCT reporter)::int AS uniq
    FROM r GROUP BY 1, 2, 3
    UNION ALL
    SELECT service, bucket, country, s,
           count(*)::int, count(DISTINCT reporter)::int
    FROM r, unnest(symptoms) AS s GROUP BY 1, 2, 3, 4
)
INSERT INTO rollups (service, bucket, country, symptom, reports, unique_reporters)
SELECT service, bucket, country, symptom, reports, uniq FROM agg
ON CONFLICT (service, bucket, country, symptom) DO UPDATE
SET reports = rollups.reports + excluded.reports,
    unique_reporters = rollups.unique_reporters + excluded.unique_reporters
"#;

/// Adds the counted reports of `[$1, $2)` to `rollup_platforms`: one row per service,
/// bucket and platform ('unknown' when the report named none).
const ADD_PLATFORMS: &str = r#"
INSERT INTO rollup_platforms (service, bucket, platform, reports, unique_reporters)
SELECT service,
       date_bin('15 minutes', received_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
       coalesce(platform, 'unknown'),
       count(*)::int, count(DISTINCT reporter)::int
FROM reports
WHERE counted AND received_at >= $1 AND received_at < $2
GROUP BY 1, 2, 3
ON CONFLICT (service, bucket, platform) DO UPDATE
SET reports = rollup_platforms.reports + excluded.reports,
    unique_reporters = rollup_platforms.unique_reporters + excluded.unique_reporters
"#;

/// Rolls up `[from, to)`: the rollups, then the platforms; the number of rollup rows.
async fn add_period(
    conn: &mut AsyncPgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<usize> {
    let rows = diesel::sql_query(ADD_PERIOD)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .execute(conn)
        .await?;
    diesel::sql_query(ADD_PLATFORMS)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .execute(conn)
        .await?;
    Ok(rows)
}

#[derive(QueryableByName)]
struct Earliest {
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
    earliest: Option<DateTime<Utc>>,
}

#[async_trait]
impl RollupStore for PgStore {
    async fn roll_up(&self, to: DateTime<Utc>) -> Result<Option<Period>, StoreError> {
        let mut conn = self.conn().await?;
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            let done: Option<DateTime<Utc>> = rollup_watermark::table
                .select(rollup_watermark::done_to)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let from = match done {
                Some(d) => d,
                None => {
                    let first: Earliest =
                        diesel::sql_query("SELECT min(received_at) AS earliest FROM reports")
                            .get_result(conn)
                            .await?;
                    quarter_of(first.earliest.unwrap_or(to))
                }
            };
            if from >= to {
                return Ok(None);
            }
            add_period(conn, from, to).await?;
            diesel::insert_into(rollup_watermark::table)
                .values((
                    rollup_watermark::id.eq(true),
                    rollup_watermark::done_to.eq(to),
                ))
                .on_conflict(rollup_watermark::id)
                .do_update()
                .set(rollup_watermark::done_to.eq(to))
                .execute(conn)
                .await?;
            Ok(Some(Period { from, to }))
        })
        .await
        .map_err(db_error)
    }

    async fn rebuild_rollups(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut conn = self.conn().await?;
        let from = quarter_of(since);
        conn.transaction::<_, diesel::result::Error, _>(async move |conn| {
            let done: Option<DateTime<Utc>> = rollup_watermark::table
                .select(rollup_watermark::done_to)
                .for_update()
                .first(conn)
                .await
                .optional()?;
            let Some(to) = done else {
                return Ok(0);
            };
            diesel::delete(rollups::table.filter(rollups::bucket.ge(from)))
                .execute(conn)
                .await?;
            diesel::sql_query("DELETE FROM rollup_platforms WHERE bucket >= $1")
                .bind::<Timestamptz, _>(from)
                .execute(conn)
                .await?;
            // Hour by hour keeps each statement's memory small.
            let mut rows = 0u64;
            let mut start = from;
            while start < to {
                let end = (start + TimeDelta::hours(1)).min(to);
                rows += add_period(conn, start, end).await? as u64;
                start = end;
            }
            Ok(rows)
        })
        .await
        .map_err(db_error)
    }

    async fn watermark(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut conn = self.conn().await?;
        rollup_watermark::table
            .select(rollup_watermark::done_to)
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_error)
    }

    async fn history_start(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut conn = self.conn().await?;
        rollups::table
            .select(diesel::dsl::min(rollups::bucket))
            .first(&mut conn)
            .await
            .map_err(db_error)
    }

    async fn typical_by_country(
        &self,
        service: Option<&str>,
        at: DateTime<Utc>,
        window_minutes: i64,
    ) -> Result<Vec<CountryLevel>, StoreError> {
        let mut conn = self.conn().await?;
        // The same window of time on each of the previous 7 days, averaged over the days
        // that history covers.
        // The condition on `mod(…)` alone makes Postgres read every row of the six days;
        // the same windows as bucket ranges (implied by it: a second's margin for the
        // rounding) let it read only those through the bucket index.
        let windows = (0..=7)
            .map(|d| {
                format!(
                    "(bucket >= $2 - interval '{d} days' - make_interval(mins => $3::int) - interval '1 second' \
                      AND bucket <= $2 - interval '{d} days' + interval '1 second')"
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ");
        let rows: Vec<TypicalRow> = diesel::sql_query(format!(
            "WITH days AS (
                 SELECT LEAST(7, GREATEST(1, floor(extract(epoch FROM ($2 - min(bucket))) / 86400)))::float8 AS n
                 FROM rollups)
             SELECT country, sum(reports)::float8 / (SELECT n FROM days) AS expected
             FROM rollups
             WHERE symptom = '*' AND ($1::text IS NULL OR service = $1)
               AND bucket >= $2 - interval '7 days' - make_interval(mins => $3::int)
               AND bucket < $2 - interval '1 day' + interval '1 minute'
               AND mod(extract(epoch FROM ($2 - bucket))::bigint, 86400) BETWEEN 1 AND $3 * 60
               AND ({WINDOWS})
             GROUP BY country",
            WINDOWS = windows
        ))
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(service)
        .bind::<Timestamptz, _>(at)
        .bind::<diesel::sql_types::BigInt, _>(window_minutes)
        .load(&mut conn)
        .await
        .map_err(db_error)?;
        Ok(rows.into_iter().map(CountryLevel::from).collect())
    }

    async fn history(
        &self,
        services: Option<&[String]>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RollupRow>, StoreError> {
        let mut conn = self.conn().await?;
        let mut query = rollups::table
            .filter(rollups::symptom.eq("*"))
            .filter(rollups::bucket.ge(from))
            .filter(rollups::bucket.lt(to))
            .select(HistoryRow::as_select())
            .order((rollups::service, rollups::bucket))
            .into_boxed();
        if let Some(services) = services {
            query = query.filter(rollups::service.eq_any(services.to_vec()));
        }
        let rows: Vec<HistoryRow> = query.load(&mut conn).await.map_err(db_error)?;
        Ok(rows.into_iter().map(RollupRow::from).collect())
    }

    async fn platform_totals(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<PlatformTotal>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<PlatformTotalRow> = diesel::sql_query(
            "SELECT platform, sum(reports)::bigint AS reports FROM rollup_platforms
             WHERE service = $1 AND bucket >= $2 AND bucket < $3
             GROUP BY platform ORDER BY 2 DESC, 1",
        )
        .bind::<diesel::sql_types::Text, _>(service)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .load(&mut conn)
        .await
        .map_err(db_error)?;
        rows.into_iter().map(|r| r.parse(super::STORE)).collect()
    }

    async fn quarter_totals(
        &self,
        service: &str,
        country: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QuarterTotal>, StoreError> {
        let mut conn = self.conn().await?;
        // Summed here rather than in the caller: a big service has a row per country per
        // quarter (bench/read: 21,504 rows for four weeks, 2,688 once summed).
        let mut query = rollups::table
            .filter(rollups::service.eq(service))
            .filter(rollups::symptom.eq("*"))
            .filter(rollups::bucket.ge(from))
            .filter(rollups::bucket.lt(to))
            .group_by(rollups::bucket)
            .select((
                rollups::bucket,
                diesel::dsl::sum(rollups::reports),
                diesel::dsl::sum(rollups::unique_reporters),
            ))
            .order(rollups::bucket)
            .into_boxed();
        if let Some(country) = country {
            query = query.filter(rollups::country.eq(country.to_owned()));
        }
        let rows: Vec<(DateTime<Utc>, Option<i64>, Option<i64>)> =
            query.load(&mut conn).await.map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(quarter, reports, unique)| QuarterTotal {
                quarter,
                reports: reports.unwrap_or(0),
                unique_reporters: unique.unwrap_or(0),
            })
            .collect())
    }
}
