//! API keys in Postgres: only their SHA-256 is stored, and looked up by equality.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::models::ApiKeyRow;
use super::schema::api_keys;
use super::{db_error, PgStore};
use crate::store::{ApiKeyRecord, ApiKeyStore, NewApiKey, StoreError};

#[async_trait]
impl ApiKeyStore for PgStore {
    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKeyRecord, StoreError> {
        let mut conn = self.conn().await?;
        let row: ApiKeyRow = diesel::insert_into(api_keys::table)
            .values((
                api_keys::name.eq(&key.name),
                api_keys::prefix.eq(&key.prefix),
                api_keys::key_hash.eq(&key.key_hash),
                api_keys::rate_per_minute.eq(key.rate_per_minute),
            ))
            .returning(ApiKeyRow::as_returning())
            .get_result(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(row.into())
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let mut conn = self.conn().await?;
        let rows: Vec<ApiKeyRow> = api_keys::table
            .select(ApiKeyRow::as_select())
            .order(api_keys::id)
            .load(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(rows.into_iter().map(ApiKeyRecord::from).collect())
    }

    async fn find_api_key(&self, key_hash: &[u8]) -> Result<Option<ApiKeyRecord>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<ApiKeyRow> = api_keys::table
            .filter(api_keys::key_hash.eq(key_hash))
            .select(ApiKeyRow::as_select())
            .first(&mut conn)
            .await
            .optional()
            .map_err(db_error)?;
        Ok(row.map(ApiKeyRecord::from))
    }

    async fn revoke_api_key(&self, id: i64) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let n = diesel::update(api_keys::table.find(id))
            .set(api_keys::revoked_at.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
            >("coalesce(revoked_at, now())")))
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(n == 1)
    }

    async fn touch_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        // Nodes touch a key concurrently: never move the time backwards.
        let older = api_keys::last_used_at
            .is_null()
            .or(api_keys::last_used_at.lt(at));
        diesel::update(api_keys::table.find(id).filter(older))
            .set(api_keys::last_used_at.eq(at))
            .execute(&mut conn)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
