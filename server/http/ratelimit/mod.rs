//! The read rate limit: GET and HEAD of `/api/`, `/feeds/` and `/badge/` (what
//! [`is_public_read`] names; not the reports, which have the abuse gate, nor the probes or
//! the admin API) count against a per-minute limit of their client, shared by every node
//! through the hot store's counters.
//!
//! The client is the API key sent as `X-Api-Key` or `Authorization: Bearer` (counted per key,
//! at the key's rate), or else the address, as for reports (a trusted proxy's
//! `X-Forwarded-For` believed), known only by its daily keyed hash. A malformed, unknown or
//! revoked key is refused with 401, and counts against its address, so that guessing keys is
//! throttled like anonymous reading. Every limited answer carries `RateLimit-Limit`,
//! `RateLimit-Remaining` and `RateLimit-Reset`; beyond the limit it is a 429 with
//! `Retry-After` (seconds to the end of the window).
//!
//! Keys are looked up by hash and remembered for [`KEY_CACHE_TTL`], so a revocation reaches
//! other nodes within that time (this node forgets the key at once), and `last_used_at` is
//! written at most once per that time per node. When the counters cannot be reached, reads
//! are let through unlimited (a warning logged, the error counted in the metrics): the limit
//! protects the service, it is not worth an outage of its own. A key that cannot be looked up
//! is a 503.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest};
use chrono::Utc;
use ipnet::IpNet;
use tracing::{debug, warn};

use super::api_keys::ApiKey;
use super::caching::is_public_read;
use super::client::client_of;
use super::problem::ApiError;
use crate::app::AppState;
use crate::config::ReadLimits;
use crate::ingest::privacy::Hasher;
use crate::store::{ApiKeyStore, RateCounter};

/// The length of a client's window: limits are per minute.
const WINDOW_SECS: u64 = 60;

/// How long a key lookup is remembered by a node.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(10);

/// Most key lookups remembered; beyond, the expired ones go, and if none has, all.
const KEY_CACHE_MAX: usize = 10_000;

/// Least seconds between two warnings that the counters are unavailable.
const WARN_EVERY_SECS: i64 = 60;

/// The `RateLimit-*` headers of every limited answer (draft-ietf-httpapi-ratelimit-headers):
/// the limit, what is left of it, and seconds until the window ends.
pub const RATELIMIT_HEADERS: [&str; 3] =
    ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"];

/// Where a client stands in its window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the window ends.
    pub reset_secs: u64,
}

impl Quota {
    fn write(&self, headers: &mut HeaderMap) {
        let values = [self.limit, self.remaining, self.reset_secs];
        for (name, value) in RATELIMIT_HEADERS.into_iter().zip(values) {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
    }
}

/// What to do with one read.
#[derive(Debug)]
pub enum Verdict {
    /// Serve it; no limit applies (a limit of 0, or the counters are unavailable).
    Unlimited,
    /// Serve it, and say where the client stands.
    Allowed(Quota),
    /// Refuse it: 401, 429 or 503 (with the client's standing, when it was counted).
    Refused(ApiError, Option<Quota>),
}

/// A key as a node remembers it: `None` when unknown or revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Grant {
    id: i64,
    rate_per_minute: Option<i32>,
}

struct Remembered {
    grant: Option<Grant>,
    until: Instant,
}

/// Decides, per read, whether it is within its client's limit.
pub struct ReadLimiter {
    limits: ReadLimits,
    hasher: Hasher,
    counter: Arc<dyn RateCounter>,
    keys: Arc<dyn ApiKeyStore>,
    cache: Mutex<HashMap<[u8; 32], Remembered>>,
    /// When the counters were last reported unavailable (Unix seconds).
    last_warning: AtomicI64,
}

impl ReadLimiter {
    pub fn new(
        limits: ReadLimits,
        hasher: Hasher,
        counter: Arc<dyn RateCounter>,
        keys: Arc<dyn ApiKeyStore>,
    ) -> Self {
        Self {
            limits,
            hasher,
            counter,
            keys,
            cache: Mutex::new(HashMap::new()),
            last_warning: AtomicI64::new(i64::MIN),
        }
    }

    /// Counts one read of `req` and says whether to serve it.
    pub async fn admit(&self, req: &HttpRequest, trusted_proxies: &[IpNet]) -> Verdict {
        let Some((header, text)) = presented_key(req) else {
            return self.count(self.anonymous(req, trusted_proxies), None).await;
        };
        let grant = match ApiKey::parse(text) {
            Some(key) => match self.grant(&key).await {
                Ok(grant) => grant,
                Err(e) => {
                    crate::metrics::metrics().store_error("api_keys", "find");
                    return Verdict::Refused(e.into(), None);
                }
            },
            None => None,
        };
        match grant {
            Some(grant) => {
                let limit = grant
                    .rate_per_minute
                    .and_then(|r| u64::try_from(r).ok())
                    .unwrap_or(self.limits.key_per_minute);
                self.count(Client::Key(grant.id, limit), None).await
            }
            // The attempt counts against the address; the answer is 401 unless that is over
            // its limit too.
            None => {
                let bad = ApiError::BadApiKey { header };
                self.count(self.anonymous(req, trusted_proxies), Some(bad))
                    .await
            }
        }
    }

    /// Forgets what this node remembers of key `id` (after its revocation).
    pub fn forget_key(&self, id: i64) {
        self.lock()
            .retain(|_, r| r.grant.is_none_or(|g| g.id != id));
    }

    fn anonymous(&self, req: &HttpRequest, trusted_proxies: &[IpNet]) -> Client {
        let address = client_of(req, trusted_proxies).map_or_else(
            || "unknown".to_owned(),
            |c| self.hasher.address(c.ip, Utc::now().date_naive()),
        );
        Client::Address(address, self.limits.anonymous_per_minute)
    }

    /// Counts one request of `client`; refuses it with 429 beyond the limit, or else with
    /// `refusal` if given.
    async fn count(&self, client: Client, refusal: Option<ApiError>) -> Verdict {
        let (id, limit, keyed) = match client {
            Client::Address(hash, limit) => (format!("a:{hash}"), limit, false),
            Client::Key(id, limit) => (format!("k:{id}"), limit, true),
        };
        if limit == 0 {
            return refusal.map_or(Verdict::Unlimited, |e| Verdict::Refused(e, None));
        }
        let hit = match self.counter.count_request(&id, WINDOW_SECS).await {
            Ok(hit) => hit,
            Err(e) => {
                crate::metrics::metrics().store_error("read_counter", "count");
                self.warn_unavailable(&e);
                return refusal.map_or(Verdict::Unlimited, |e| Verdict::Refused(e, None));
            }
        };
        let quota = Quota {
            limit,
            remaining: limit.saturating_sub(hit.count),
            reset_secs: hit.resets_in_secs,
        };
        if hit.count > limit {
            let error = ApiError::TooManyReads {
                retry_after_secs: hit.resets_in_secs,
                limit,
                keyed,
            };
            return Verdict::Refused(error, Some(quota));
        }
        match refusal {
            Some(e) => Verdict::Refused(e, Some(quota)),
            None => Verdict::Allowed(quota),
        }
    }

    /// The key's grant, remembered or looked up (and then its use noted).
    async fn grant(&self, key: &ApiKey) -> Result<Option<Grant>, crate::store::StoreError> {
        let hash = key.hash();
        let now = Instant::now();
        if let Some(r) = self.lock().get(&hash).filter(|r| r.until > now) {
            return Ok(r.grant);
        }
        let grant = self
            .keys
            .find_api_key(&hash)
            .await?
            .filter(|r| r.revoked_at.is_none())
            .map(|r| Grant {
                id: r.id,
                rate_per_minute: r.rate_per_minute,
            });
        if let Some(g) = grant {
            let keys = self.keys.clone();
            tokio::spawn(async move {
                if let Err(e) = keys.touch_api_key(g.id, Utc::now()).await {
                    debug!(api_key = g.id, error = %e, "could not note an API key's use");
                }
            });
        }
        let mut cache = self.lock();
        if cache.len() >= KEY_CACHE_MAX {
            cache.retain(|_, r| r.until > now);
            if cache.len() >= KEY_CACHE_MAX {
                cache.clear();
            }
        }
        cache.insert(
            hash,
            Remembered {
                grant,
                until: now + KEY_CACHE_TTL,
            },
        );
        Ok(grant)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Remembered>> {
        crate::sync::lock(&self.cache)
    }

    fn warn_unavailable(&self, e: &crate::store::StoreError) {
        let now = Utc::now().timestamp();
        let last = self.last_warning.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= WARN_EVERY_SECS
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            warn!(error = %e, "read rate limit not applied: its counters are unavailable");
        }
    }
}

/// Who a read is counted against, and its limit per minute.
enum Client {
    /// The keyed hash of an address.
    Address(String, u64),
    /// An API key's id.
    Key(i64, u64),
}

/// The API key a request presents, with the header it came in: `X-Api-Key`, or else an
/// `Authorization: Bearer` token. Other `Authorization` schemes are not keys.
fn presented_key(req: &HttpRequest) -> Option<(&'static str, &str)> {
    if let Some(v) = req.headers().get("x-api-key") {
        return Some(("x-api-key", v.to_str().unwrap_or("").trim()));
    }
    let auth = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| ("authorization", token.trim()))
}

/// The middleware: counts every public read and refuses those beyond their client's limit.
pub async fn limit_reads(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let is_read = req.method() == Method::GET || req.method() == Method::HEAD;
    let (state, reads) = match (
        req.app_data::<web::Data<AppState>>(),
        req.app_data::<web::Data<ReadLimiter>>(),
    ) {
        (Some(state), Some(reads)) if is_read && is_public_read(req.path()) => {
            (state.clone(), reads.clone())
        }
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    match reads
        .admit(req.request(), &state.config.trusted_proxies)
        .await
    {
        Verdict::Unlimited => Ok(next.call(req).await?.map_into_boxed_body()),
        Verdict::Allowed(quota) => {
            let mut res = next.call(req).await?.map_into_boxed_body();
            quota.write(res.headers_mut());
            Ok(res)
        }
        Verdict::Refused(error, quota) => {
            let mut res = req.error_response(error);
            if let Some(quota) = quota {
                quota.write(res.headers_mut());
            }
            Ok(res)
        }
    }
}

#[cfg(test)]
mod tests;
