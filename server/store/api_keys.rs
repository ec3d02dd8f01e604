//! API keys that raise a client's read rate limit.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// An API key as stored: never the key itself, only its SHA-256 (which stays in the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    /// Who the key is for, e.g. a newsroom.
    pub name: String,
    /// The key's first 8 characters (`dw_` and 5 more), to recognise it in a list.
    pub prefix: String,
    /// Reads per minute; `None` for the deployment's default.
    pub rate_per_minute: Option<i32>,
    pub created_at: DateTime<Utc>,
    /// When the key was last seen (to within a few seconds), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An API key to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub prefix: String,
    /// SHA-256 of the whole key.
    pub key_hash: Vec<u8>,
    pub rate_per_minute: Option<i32>,
}

/// The API keys that raise a client's read rate limit.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Stores a new key; `Conflict` if its hash exists.
    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKeyRecord, StoreError>;
    /// Every key, revoked ones included, oldest first.
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// The key whose SHA-256 is `key_hash`, revoked or not.
    async fn find_api_key(&self, key_hash: &[u8]) -> Result<Option<ApiKeyRecord>, StoreError>;
    /// Revokes a key (a second revocation keeps the first time); false when there is no such
    /// key.
    async fn revoke_api_key(&self, id: i64) -> Result<bool, StoreError>;
    /// Notes that a key was used at `at`.
    async fn touch_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError>;
}
