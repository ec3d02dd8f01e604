//! The append-only report log and the bucket-repair list in Postgres.

mod append;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use super::models::ReportRow;
use super::schema::{bucket_repairs, reports};
use super::{db_error, PgStore};
use crate::store::rows::{PhraseRow, ReportersRow};
use crate::store::{
    Expired, NewReport, PhraseCount, Phrases, ReportLog, ServiceMinute, StoreError,
};
use append::AppendBatch;

#[async_trait]
impl ReportLog for PgStore {
    async fn append(&self, batch: &[NewReport]) -> Result<Vec<i64>, StoreError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.conn().await?;
        // One INSERT is one statement, hence atomic: the whole batch or nothing. Its rows
        // take their ids in the batch's order (see `append`); sorted, the ids are in that
        // order whatever order RETURNING lists them in.
        let mut ids: Vec<i64> = AppendBatch::new(batch)
            .get_results(&mut conn)
            .await
            .map_err(db_error)?;
        ids.sort_unstable();
        Ok(ids)
    }

    async fn counted_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        service: Option<&str>,
    ) -> Result<Vec<NewReport>, StoreError> {
        let mut conn = self.conn().await?;
        let mut query = reports::table
            .filter(reports::received_at.ge(from))
            .filter(reports::received_at.lt(to))
            .filter(reports::counted.eq(true))
            .select(ReportRow::as_select())
            .order((reports::received_at, reports::id))
            .into_boxed();
        if let Some(service) = service {
            query = query.filter(reports::service.eq(service.to_owned()));
        }
        let rows: Vec<ReportRow> = query.load(&mut conn).await.map_err(db_error)?;
        rows.into_iter().map(NewReport::try_from).collect()
    }

    async fn ensure_partitions(&self, first: NaiveDate, days: i32) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT downwatch_ensure_report_partitions($1, $2)")
            .bind::<Date, _>(first)
            .bind::<Integer, _>(days)
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn expire_reports(&self, keep_from: NaiveDate) -> Result<Vec<Expired>, StoreError> {
        self.drop_expired_partitions(keep_from).await
    }

    async fn note_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError> {
        if minutes.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn().await?;
        let rows: Vec<_> = minutes
            .iter()
            .map(|m| {
                (
                    bucket_repairs::service.eq(&m.service),
                    bucket_repairs::minute.eq(m.minute),
                )
            })
            .collect();
        diesel::insert_into(bucket_repairs::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    async fn pending_bucket_repairs(&self, limit: i64) -> Result<Vec<ServiceMinute>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<(String, DateTime<Utc>)> = bucket_repairs::table
            .select((bucket_repairs::service, bucket_repairs::minute))
            .order(bucket_repairs::minute)
            .limit(limit)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(rows
            .into_iter()
            .map(|(service, minute)| ServiceMinute { service, minute })
            .collect())
    }

    async fn clear_bucket_repairs(&self, minutes: &[ServiceMinute]) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        for m in minutes {
            diesel::delete(bucket_repairs::table.find((&m.service, m.minute)))
                .execute(&mut conn)
                .await
                .map_err(db_error)?;
        }
        Ok(())
    }

    async fn top_phrases(
        &self,
        service: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        min_reporters: i64,
        limit: i64,
    ) -> Result<Phrases, StoreError> {
        let mut conn = self.conn().await?;
        // The threshold is applied in SQL: a rarer phrase never leaves the database.
        let rows: Vec<PhraseRow> = diesel::sql_query(
            "SELECT phrase, count(DISTINCT reporter) AS reporters FROM reports
             WHERE service = $1 AND received_at >= $2 AND received_at < $3
               AND phrase IS NOT NULL
             GROUP BY phrase HAVING count(DISTINCT reporter) >= $4
             ORDER BY 2 DESC, 1 LIMIT $5",
        )
        .bind::<Text, _>(service)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .bind::<BigInt, _>(min_reporters)
        .bind::<BigInt, _>(limit)
        .load(&mut conn)
        .await
        .map_err(db_error)?;
        let total: ReportersRow = diesel::sql_query(
            "SELECT count(DISTINCT reporter) AS reporters FROM reports
             WHERE service = $1 AND received_at >= $2 AND received_at < $3
               AND phrase IS NOT NULL",
        )
        .bind::<Text, _>(service)
        .bind::<Timestamptz, _>(from)
        .bind::<Timestamptz, _>(to)
        .get_result(&mut conn)
        .await
        .map_err(db_error)?;
        Ok(Phrases {
            phrases: rows.into_iter().map(PhraseCount::from).collect(),
            reporters: total.reporters,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
