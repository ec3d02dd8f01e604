//! API keys in SQLite: only their SHA-256 is stored, and looked up by equality.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::api_keys;
use super::{from_micros, micros, now_micros, SqliteStore};
use crate::store::{ApiKeyRecord, ApiKeyStore, NewApiKey, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::sqlite::Sqlite))]
struct ApiKeyRow {
    id: i64,
    name: String,
    prefix: String,
    rate_per_minute: Option<i32>,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl TryFrom<ApiKeyRow> for ApiKeyRecord {
    type Error = StoreError;

    fn try_from(r: ApiKeyRow) -> Result<Self, StoreError> {
        Ok(ApiKeyRecord {
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            rate_per_minute: r.rate_per_minute,
            created_at: from_micros(r.created_at)?,
            last_used_at: r.last_used_at.map(from_micros).transpose()?,
            revoked_at: r.revoked_at.map(from_micros).transpose()?,
        })
    }
}

#[async_trait]
impl ApiKeyStore for SqliteStore {
    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKeyRecord, StoreError> {
        let key = key.clone();
        let now = now_micros();
        let row: ApiKeyRow = self
            .write(move |conn| {
                diesel::insert_into(api_keys::table)
                    .values((
                        api_keys::name.eq(&key.name),
                        api_keys::prefix.eq(&key.prefix),
                        api_keys::key_hash.eq(&key.key_hash),
                        api_keys::rate_per_minute.eq(key.rate_per_minute),
                        api_keys::created_at.eq(now),
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
        row.try_into()
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
        rows.into_iter().map(ApiKeyRecord::try_from).collect()
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
        row.map(ApiKeyRecord::try_from).transpose()
    }

    async fn revoke_api_key(&self, id: i64) -> Result<bool, StoreError> {
        let now = now_micros();
        self.write(move |conn| {
            let exists = diesel::select(diesel::dsl::exists(api_keys::table.find(id)))
                .get_result::<bool>(conn)?;
            diesel::update(
                api_keys::table
                    .find(id)
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set(api_keys::revoked_at.eq(now))
            .execute(conn)?;
            Ok(exists)
        })
        .await
    }

    async fn touch_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError> {
        let at = micros(at);
        self.write(move |conn| {
            let older = api_keys::last_used_at
                .is_null()
                .or(api_keys::last_used_at.lt(at));
            diesel::update(api_keys::table.find(id).filter(older))
                .set(api_keys::last_used_at.eq(at))
                .execute(conn)
        })
        .await?;
        Ok(())
    }
}
