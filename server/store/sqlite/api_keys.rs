//! API keys in SQLite: only their SHA-256 is stored, and looked up by equality.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::models::ApiKeyRow;
use super::schema::api_keys;
use super::types::Micros;
use super::SqliteStore;
use crate::store::{ApiKeyRecord, ApiKeyStore, NewApiKey, StoreError};

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKeyRecord, StoreError> {
        let key = key.clone();
        let now = Utc::now();
        let row: ApiKeyRow = self
            .write(move |conn| {
                diesel::insert_into(api_keys::table)
                    .values((
                        api_keys::name.eq(&key.name),
                        api_keys::prefix.eq(&key.prefix),
                        api_keys::key_hash.eq(&key.key_hash),
                        api_keys::rate_per_minute.eq(key.rate_per_minute),
                        api_keys::created_at.eq(Micros(now)),
                    ))
                    .execute(conn)?;
                // No RETURNING in this diesel build for SQLite: read it back, in the same
                // transaction, by its unique hash.
                api_keys::table
                    .filter(api_keys::key_hash.eq(&key.key_hash))
                    .select(ApiKeyRow::as_select())
                    .get_result(conn)
            })
            .await?;
        Ok(row.into())
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows: Vec<ApiKeyRow> = self
            .read(|conn| {
                api_keys::table
                    .select(ApiKeyRow::as_select())
                    .order(api_keys::id)
                    .load(conn)
            })
            .await?;
        Ok(rows.into_iter().map(ApiKeyRecord::from).collect())
    }

    async fn find_api_key(&self, key_hash: &[u8]) -> Result<Option<ApiKeyRecord>, StoreError> {
        let key_hash = key_hash.to_vec();
        let row: Option<ApiKeyRow> = self
            .read(move |conn| {
                api_keys::table
                    .filter(api_keys::key_hash.eq(key_hash))
                    .select(ApiKeyRow::as_select())
                    .first(conn)
                    .optional()
            })
            .await?;
        Ok(row.map(ApiKeyRecord::from))
    }

    async fn revoke_api_key(&self, id: i64) -> Result<bool, StoreError> {
        let now = Utc::now();
        self.write(move |conn| {
            let exists = diesel::select(diesel::dsl::exists(api_keys::table.find(id)))
                .get_result::<bool>(conn)?;
            diesel::update(
                api_keys::table
                    .find(id)
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set(api_keys::revoked_at.eq(Micros(now)))
            .execute(conn)?;
            Ok(exists)
        })
        .await
    }

    async fn touch_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(move |conn| {
            let older = api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(Micros(at)));
            diesel::update(api_keys::table.find(id).filter(older))
                .set(api_keys::last_used_at.eq(Micros(at)))
                .execute(conn)
        })
        .await?;
        Ok(())
    }
}
