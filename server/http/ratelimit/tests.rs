//! The read limiter's decisions, on the in-process counters and a key store in a vector.

use super::*;
use crate::secret::Secret;
use crate::store::memory::MemoryStore;
use crate::store::{ApiKeyRecord, NewApiKey, StoreError};
use actix_web::test::TestRequest;
use async_trait::async_trait;

/// Keys in a vector: enough to test the limiter without a database.
#[derive(Default)]
struct Keys(Mutex<Vec<(Vec<u8>, ApiKeyRecord)>>);

#[async_trait]
impl ApiKeyStore for Keys {
    async fn create_api_key(&self, key: &NewApiKey) -> Result<ApiKeyRecord, StoreError> {
        let mut keys = self.0.lock().expect("lock");
        let record = ApiKeyRecord {
            id: keys.len() as i64 + 1,
            name: key.name.clone(),
            prefix: key.prefix.clone(),
            rate_per_minute: key.rate_per_minute,
            created_at: Utc::now(),
            last_used_at: None,
            revoked_at: None,
        };
        keys.push((key.key_hash.clone(), record.clone()));
        Ok(record)
    }
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        Ok(self
            .0
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, r)| r.clone())
            .collect())
    }
    async fn find_api_key(&self, hash: &[u8]) -> Result<Option<ApiKeyRecord>, StoreError> {
        let keys = self.0.lock().expect("lock");
        Ok(keys.iter().find(|(h, _)| h == hash).map(|(_, r)| r.clone()))
    }
    async fn revoke_api_key(&self, id: i64) -> Result<bool, StoreError> {
        let mut keys = self.0.lock().expect("lock");
        let found = keys.iter_mut().find(|(_, r)| r.id == id);
        Ok(found
            .map(|(_, r)| r.revoked_at = Some(Utc::now()))
            .is_some())
    }
    async fn touch_api_key(&self, _: i64, _: chrono::DateTime<Utc>) -> Result<(), StoreError> {
        Ok(())
    }
}

fn limiter(anonymous: u64, keyed: u64) -> (ReadLimiter, Arc<Keys>) {
    let keys = Arc::new(Keys::default());
    let limiter = ReadLimiter::new(
        ReadLimits {
            anonymous_per_minute: anonymous,
            key_per_minute: keyed,
        },
        Hasher::new(Secret::new("test-secret")),
        Arc::new(MemoryStore::new()),
        keys.clone(),
    );
    (limiter, keys)
}

async fn new_key(keys: &Keys, rate: Option<i32>) -> (ApiKey, i64) {
    let key = ApiKey::generate();
    let record = keys
        .create_api_key(&NewApiKey {
            name: "test".into(),
            prefix: key.shown_prefix().into(),
            key_hash: key.hash().to_vec(),
            rate_per_minute: rate,
        })
        .await
        .expect("created");
    (key, record.id)
}

fn request(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
    let mut req = TestRequest::default().peer_addr(peer.parse().expect("addr"));
    for (name, value) in headers {
        req = req.insert_header((*name, *value));
    }
    req.to_http_request()
}

fn status(verdict: &Verdict) -> Option<u16> {
    match verdict {
        Verdict::Refused(e, _) => Some(actix_web::ResponseError::status_code(e).as_u16()),
        _ => None,
    }
}

#[tokio::test]
async fn addresses_are_limited_apart() {
    let (limiter, _) = limiter(2, 100);
    let a = request("203.0.113.1:1000", &[]);
    let b = request("203.0.113.2:1000", &[]);
    for remaining in [1, 0] {
        match limiter.admit(&a, &[]).await {
            Verdict::Allowed(q) => assert_eq!((q.limit, q.remaining), (2, remaining)),
            other => panic!("{other:?}"),
        }
    }
    let refused = limiter.admit(&a, &[]).await;
    assert_eq!(status(&refused), Some(429));
    assert!(matches!(
        refused,
        Verdict::Refused(_, Some(Quota { remaining: 0, .. }))
    ));
    assert!(matches!(limiter.admit(&b, &[]).await, Verdict::Allowed(_)));
}

#[tokio::test]
async fn a_key_counts_on_its_own_at_its_rate() {
    let (limiter, keys) = limiter(1, 100);
    let (default_rate, _) = new_key(&keys, None).await;
    let (own_rate, _) = new_key(&keys, Some(3)).await;
    let bearer = format!("Bearer {}", default_rate.expose());
    let req = request("203.0.113.1:1000", &[("authorization", &bearer)]);
    match limiter.admit(&req, &[]).await {
        Verdict::Allowed(q) => assert_eq!((q.limit, q.remaining), (100, 99)),
        other => panic!("{other:?}"),
    }
    let req = request("203.0.113.1:1000", &[("x-api-key", own_rate.expose())]);
    match limiter.admit(&req, &[]).await {
        Verdict::Allowed(q) => assert_eq!((q.limit, q.remaining), (3, 2)),
        other => panic!("{other:?}"),
    }
    // The address's own allowance is untouched by keyed reads.
    let anonymous = request("203.0.113.1:1000", &[]);
    assert!(matches!(
        limiter.admit(&anonymous, &[]).await,
        Verdict::Allowed(Quota { remaining: 0, .. })
    ));
}

#[tokio::test]
async fn bad_revoked_and_malformed_keys_are_401_naming_their_header() {
    let (limiter, keys) = limiter(100, 100);
    let (key, id) = new_key(&keys, None).await;
    let unknown = ApiKey::generate();
    for (header, value, named) in [
        (
            "authorization",
            format!("Bearer {}", unknown.expose()),
            "authorization",
        ),
        (
            "authorization",
            "bearer not-a-key".to_owned(),
            "authorization",
        ),
        ("x-api-key", "dw_short".to_owned(), "x-api-key"),
    ] {
        let verdict = limiter
            .admit(&request("203.0.113.1:1000", &[(header, &value)]), &[])
            .await;
        match verdict {
            Verdict::Refused(ApiError::BadApiKey { header }, Some(_)) => {
                assert_eq!(header, named)
            }
            other => panic!("{header}: {other:?}"),
        }
    }
    let req = request("203.0.113.1:1000", &[("x-api-key", key.expose())]);
    assert!(matches!(
        limiter.admit(&req, &[]).await,
        Verdict::Allowed(_)
    ));
    keys.revoke_api_key(id).await.expect("revoked");
    // Remembered for a while by this node, unless told.
    assert!(matches!(
        limiter.admit(&req, &[]).await,
        Verdict::Allowed(_)
    ));
    limiter.forget_key(id);
    assert_eq!(status(&limiter.admit(&req, &[]).await), Some(401));
}

#[tokio::test]
async fn guessing_keys_counts_against_the_address() {
    let (limiter, _) = limiter(2, 100);
    let guess = |n: usize| request("203.0.113.1:1000", &[("x-api-key", &format!("dw_{n:032}"))]);
    assert_eq!(status(&limiter.admit(&guess(1), &[]).await), Some(401));
    assert_eq!(status(&limiter.admit(&guess(2), &[]).await), Some(401));
    assert_eq!(status(&limiter.admit(&guess(3), &[]).await), Some(429));
}

#[tokio::test]
async fn a_limit_of_zero_is_no_limit_and_other_schemes_are_not_keys() {
    let (limiter, _) = limiter(0, 100);
    let basic = request(
        "203.0.113.1:1000",
        &[("authorization", "Basic dXNlcjpwYXNz")],
    );
    for _ in 0..5 {
        assert!(matches!(
            limiter.admit(&basic, &[]).await,
            Verdict::Unlimited
        ));
    }
}
