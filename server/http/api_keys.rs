//! `/api/v1/admin/api-keys`: the keys that raise a client's read rate limit (see
//! [`super::ratelimit`]). An admin creates one per newsroom or researcher; the key is shown
//! once, in the answer to its creation, and only its SHA-256 is stored. Lookups are by that
//! hash (an index lookup by equality): comparing a presented key with stored ones in constant
//! time is moot, as nothing about a stored key is learnt from how long a lookup of another
//! hash takes. The keys are random (192 bits), so an unsalted hash cannot be brute-forced.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::info;
use utoipa::ToSchema;

use super::body::read_json;
use super::problem::{ApiError, Problem};
use super::ratelimit::ReadLimiter;
use super::responses::{AdminErrors, JsonBodyErrors, StoreUnavailable};
use super::services::require_admin;
use crate::app::AppState;
use crate::store::{ApiKeyRecord, NewApiKey};

/// What every key starts with, so that people (and secret scanners) recognise one.
pub const KEY_PREFIX: &str = "dw_";
/// Random characters after the prefix: 6 bits each.
const KEY_RANDOM_CHARS: usize = 32;
/// Characters of a key that lists show, to tell keys apart.
const SHOWN_CHARS: usize = 8;
/// The URL-safe base64 alphabet: 64 characters, so a random byte's low 6 bits pick one evenly.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// The highest rate a key may be given.
const MAX_RATE_PER_MINUTE: i32 = 1_000_000;
/// The longest name a key may have, in characters.
const MAX_NAME_CHARS: usize = 100;

/// An API key as clients send it: `dw_` and 32 characters of the URL-safe base64 alphabet.
/// Deliberately not `Debug`: a key must not end up in a log.
pub struct ApiKey(String);

impl ApiKey {
    /// A new random key (192 bits, from the operating system's generator through UUIDs v4).
    pub fn generate() -> Self {
        // Byte 6 of a UUID v4 carries its version in bits the alphabet would use; every other
        // byte has 6 random low bits (byte 8 keeps its variant in the top two).
        let random = std::iter::repeat_with(|| uuid::Uuid::new_v4().into_bytes()).flat_map(|b| {
            b.into_iter()
                .enumerate()
                .filter(|(i, _)| *i != 6)
                .map(|(_, b)| b)
        });
        let mut key = String::with_capacity(KEY_PREFIX.len() + KEY_RANDOM_CHARS);
        key.push_str(KEY_PREFIX);
        key.extend(
            random
                .take(KEY_RANDOM_CHARS)
                .map(|b| char::from(ALPHABET[usize::from(b & 63)])),
        );
        Self(key)
    }

    /// A key as a client sent it, if it has the shape of one.
    pub fn parse(text: &str) -> Option<Self> {
        let random = text.strip_prefix(KEY_PREFIX)?;
        (random.len() == KEY_RANDOM_CHARS && random.bytes().all(|b| ALPHABET.contains(&b)))
            .then(|| Self(text.to_owned()))
    }

    /// The SHA-256 of the key: what is stored and looked up.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }

    /// The first 8 characters, which lists show.
    pub fn shown_prefix(&self) -> &str {
        &self.0[..SHOWN_CHARS]
    }

    /// The key itself: only for the answer to its creation.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The body of a key's creation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Newsroom X", "rate_per_minute": 12000}))]
struct NewApiKeyBody {
    /// Who the key is for, 1 to 100 characters.
    name: String,
    /// Reads per minute allowed with this key, 1 to 1000000; the deployment's default
    /// (`DOWNWATCH_KEY_RATE_LIMIT`, 6000 unless changed) when absent.
    #[schema(minimum = 1, maximum = 1_000_000)]
    rate_per_minute: Option<i64>,
}

/// A new API key: the only answer that ever shows the key.
#[derive(Serialize, ToSchema)]
pub struct CreatedApiKeyResponse {
    id: i64,
    /// The key: store it now, it is not shown again. Send it as `Authorization: Bearer <key>`
    /// or `X-Api-Key: <key>`.
    #[schema(example = "dw_Xq3v9LrT0aB-c_2mN8pQ7sWk1yZ4eF6h")]
    key: String,
    name: String,
    /// The key's first 8 characters, as lists show them.
    prefix: String,
    /// Reads per minute allowed with this key (0: no limit).
    rate_per_minute: u64,
    created_at: DateTime<Utc>,
}

/// An API key as listed: never the key itself.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyResponse {
    id: i64,
    name: String,
    /// The key's first 8 characters, to tell keys apart.
    prefix: String,
    /// Reads per minute allowed with this key (0: no limit).
    rate_per_minute: u64,
    created_at: DateTime<Utc>,
    /// When the key was last used (to within about 10 seconds); null if never.
    last_used_at: Option<DateTime<Utc>>,
    /// Whether the key was revoked (it is then refused with 401).
    revoked: bool,
    revoked_at: Option<DateTime<Utc>>,
}

/// Every API key of the deployment, oldest first, revoked ones included.
#[derive(Serialize, ToSchema)]
pub struct ApiKeyListResponse {
    api_keys: Vec<ApiKeyResponse>,
}

/// Reads per minute a key allows: its own rate, or the deployment's default.
fn effective_rate(record: &ApiKeyRecord, state: &AppState) -> u64 {
    record
        .rate_per_minute
        .and_then(|r| u64::try_from(r).ok())
        .unwrap_or(state.config.read_limits.key_per_minute)
}

/// Create an API key (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. The answer is the only
/// time the key is shown: Downwatch keeps only its SHA-256.
#[utoipa::path(
    post,
    path = "/api/v1/admin/api-keys",
    tag = "api-keys",
    request_body(content = NewApiKeyBody, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created; the key is in `key`, shown this once.",
            body = CreatedApiKeyResponse),
        (status = 400, description = "The body is invalid; `field` names the culprit.",
            body = Problem, content_type = "application/problem+json"),
        AdminErrors,
        JsonBodyErrors,
        StoreUnavailable,
    )
)]
pub async fn create_api_key(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let body: NewApiKeyBody = read_json(&req, payload).await?;
    let name = body.name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "name",
            format!("must be 1 to {MAX_NAME_CHARS} characters, without control characters"),
        ));
    }
    let rate_per_minute = body
        .rate_per_minute
        .map(|r| {
            i32::try_from(r)
                .ok()
                .filter(|r| (1..=MAX_RATE_PER_MINUTE).contains(r))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "rate_per_minute",
                        format!("must be 1 to {MAX_RATE_PER_MINUTE}"),
                    )
                })
        })
        .transpose()?;
    let key = ApiKey::generate();
    let record = state
        .stores
        .api_keys
        .create_api_key(&NewApiKey {
            name: name.to_owned(),
            prefix: key.shown_prefix().to_owned(),
            key_hash: key.hash().to_vec(),
            rate_per_minute,
        })
        .await?;
    info!(api_key = record.id, prefix = %record.prefix, "API key created");
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedApiKeyResponse {
            id: record.id,
            key: key.expose().to_owned(),
            rate_per_minute: effective_rate(&record, &state),
            name: record.name,
            prefix: record.prefix,
            created_at: record.created_at,
        }))
}

/// List the API keys (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. Shows each key's first 8
/// characters, never the key.
#[utoipa::path(
    get,
    path = "/api/v1/admin/api-keys",
    tag = "api-keys",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Every key, oldest first.", body = ApiKeyListResponse),
        AdminErrors,
        StoreUnavailable,
    )
)]
pub async fn list_api_keys(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let api_keys = state
        .stores
        .api_keys
        .list_api_keys()
        .await?
        .into_iter()
        .map(|r| ApiKeyResponse {
            rate_per_minute: effective_rate(&r, &state),
            revoked: r.revoked_at.is_some(),
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApiKeyListResponse { api_keys }))
}

/// Revoke an API key (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. The key is refused with
/// 401 at once on this node and within 10 seconds on every other; it stays in the list,
/// marked revoked. Revoking a revoked key changes nothing.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/api-keys/{id}",
    tag = "api-keys",
    params(("id" = i64, Path, description = "The key's id.")),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "The id is not a number.", body = Problem,
            content_type = "application/problem+json"),
        AdminErrors,
        (status = 404, description = "No key has this id.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn revoke_api_key(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
    reads: web::Data<ReadLimiter>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", "must be an API key's numeric id"))?;
    if !state.stores.api_keys.revoke_api_key(id).await? {
        return Err(ApiError::NotFound {
            what: format!("API key {id}"),
        });
    }
    reads.forget_key(id);
    info!(api_key = id, "API key revoked");
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_dw_and_32_url_safe_characters_and_differ() {
        let a = ApiKey::generate();
        let b = ApiKey::generate();
        assert_eq!(a.expose().len(), 35);
        assert!(a.expose().starts_with("dw_"));
        assert!(a.expose()[3..]
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a.expose(), b.expose());
        assert_eq!(a.shown_prefix(), &a.expose()[..8]);
        assert!(ApiKey::parse(a.expose()).is_some());
    }

    #[test]
    fn generated_keys_use_the_whole_alphabet() {
        // 200 keys are 6400 characters: every one of the 64 turns up unless some bit is fixed.
        let seen: std::collections::HashSet<u8> = (0..200)
            .flat_map(|_| ApiKey::generate().expose()[3..].bytes().collect::<Vec<_>>())
            .collect();
        assert_eq!(seen.len(), 64);
    }

    #[test]
    fn only_key_shaped_text_parses() {
        let good = format!("dw_{}", "a".repeat(32));
        assert!(ApiKey::parse(&good).is_some());
        for bad in [
            "".to_owned(),
            "dw_".to_owned(),
            format!("dw_{}", "a".repeat(31)),
            format!("dw_{}", "a".repeat(33)),
            format!("xx_{}", "a".repeat(32)),
            format!("dw_{}=", "a".repeat(31)),
            format!("dw_{}é", "a".repeat(30)),
        ] {
            assert!(ApiKey::parse(&bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_whole_key() {
        let key = ApiKey::parse(&format!("dw_{}", "a".repeat(32))).expect("parses");
        assert_eq!(
            hex::encode(key.hash()),
            hex::encode(Sha256::digest(format!("dw_{}", "a".repeat(32))))
        );
    }
}
