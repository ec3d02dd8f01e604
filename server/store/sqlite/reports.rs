//! The append-only report log and the bucket-repair list in SQLite.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use super::models::{NewReportRow, ReportRow};
use super::schema::{bucket_repairs, reports};
use diesel::sql_types::{BigInt, Text};

use super::types::{Micros, UnixMicros};
use super::SqliteStore;
use crate::store::rows::{PhraseRow, ReportersRow};
use crate::store::{
    Expired, NewReport, PhraseCount, Phrases, ReportLog, ServiceMinute, StoreError,
};

diesel::define_sql_function! {
    /// The rowid of the last row this connection inserted.
    fn last_insert_rowid() -> BigInt;
}

#[async_trait]
impl ReportLog for SqliteStore {
    async fn append(&self, batch: &[NewReport]) -> Result<Vec<i64>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<NewReportRow> = batch.iter().map(NewReportRow::from).collect();
        // One transaction, one INSERT per row: SQLite does not promise that the rows of a
        // multi-row INSERT … RETURNING come back in VALUES order, last_insert_rowid() does.
        self.write(move |conn| {
            let mut ids = Vec::with_capacity(rows.len());
            for row in &rows {
                diesel::insert_into(reports::table)
                    .values(row)
                    .execute(conn)?;
                ids.push(diesel::select(last_insert_rowid()).get_result(conn)?);
            }
            Ok(ids)
        })
        .await
    }

    async fn counted_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        service: Option<&str>,
    ) -> Result<Vec<NewReport>, StoreError> {
        let service = service.map(str::to_owned);
        let rows: Vec<ReportRow> = self
            .read(move |conn| {
                let mut query = reports::table
                    .filter(reports::received_at.ge(Micros(from)))
                    .filter(reports::received_at.lt(Micros(to)))
                    .filter(reports::counted.eq(true))
                    .select(ReportRow::as_select())
                    .order((reports::received_at, reports::id))
                    .into_boxed();
                if let Some(service) = service {
                    query = query.filter(reports::service.eq(service));
                }
                query.load(conn)
            })
            .await?;
        rows.into_iter().map(NewReport::try_from).collect()
    }

    /// SQLite has no partitions: nothing to do.
    async fn ensure_partitions(&self, _first: NaiveDate, _days: i32) -> Result<(), StoreError> {
        Ok(())
    }

    async fn expire_reports(&self, keep_from: NaiveDate) -> Result<Vec<Expired>, StoreError> {
        self.delete_expired_reports(keep_from).await
    }

    async fn note_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError> {
        if minutes.is_empty() {
            return Ok(());
        }
        let rows = minutes.to_vec();
        let noted_at = Utc::now();
        self.write(move |conn| {
            for row in &rows {
                diesel::insert_into(bucket_repairs::table)
                    .values((
                        bucket_repairs::service.eq(&row.service),
                        bucket_repairs::minute.eq(Micros(row.minute)),
                        bucket_repairs::noted_at.eq(Micros(noted_at)),
                    ))
                    .on_conflict_do_nothing()
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn pending_bucket_repairs(&self, limit: i64) -> Result<Vec<ServiceMinute>, StoreError> {
        let rows: Vec<(String, DateTime<Utc>)> = self
            .read(move |conn| {
                bucket_repairs::table
                    .select((bucket_repairs::service, bucket_repairs::minute))
                    .order(bucket_repairs::minute)
                    .limit(limit)
                    .load(conn)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(service, minute)| ServiceMinute { service, minute })
            .collect())
    }

    async fn clear_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError> {
        if minutes.is_empty() {
            return Ok(());
        }
        let rows = minutes.to_vec();
        self.write(move |conn| {
            for row in &rows {
                diesel::delete(bucket_repairs::table.find((&row.service, Micros(row.minute))))
                    .execute(conn)?;
            }
            Ok(())
        })
        .await
    }

    async fn top_phrases(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        min_reporters: i64,
        limit: i64,
    ) -> Result<Phrases, StoreError> {
        let service = service.to_owned();
        let (rows, total) = self
            .read(move |conn| {
                // The threshold is applied in SQL: a rarer phrase never leaves the database.
                let rows: Vec<PhraseRow> = diesel::sql_query(
                    "SELECT phrase, count(DISTINCT reporter) AS reporters FROM reports
                     WHERE service = ?1 AND received_at >= ?2 AND received_at < ?3
                       AND phrase IS NOT NULL
                     GROUP BY phrase HAVING count(DISTINCT reporter) >= ?4
                     ORDER BY 2 DESC, 1 LIMIT ?5",
                )
                .bind::<Text, _>(&service)
                .bind::<UnixMicros, _>(from)
                .bind::<UnixMicros, _>(to)
                .bind::<BigInt, _>(min_reporters)
                .bind::<BigInt, _>(limit)
                .load(conn)?;
                let total: ReportersRow = diesel::sql_query(
                    "SELECT count(DISTINCT reporter) AS reporters FROM reports
                     WHERE service = ?1 AND received_at >= ?2 AND received_at < ?3
                       AND phrase IS NOT NULL",
                )
                .bind::<Text, _>(&service)
                .bind::<UnixMicros, _>(from)
                .bind::<UnixMicros, _>(to)
                .get_result(conn)?;
                Ok((rows, total))
            })
            .await?;
        Ok(Phrases {
            phrases: rows.into_iter().map(PhraseCount::from).collect(),
            reporters: total.reporters,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| diesel::sql_query("SELECT 1").execute(conn))
            .await?;
        Ok(())
    }
}
