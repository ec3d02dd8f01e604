//! API keys: stored by hash, found by hash, listed, revoked once, their use noted.

use chrono::TimeDelta;

use super::{at, db};
use crate::store::{ApiKeyStore, NewApiKey, StoreError};

fn new_key(n: u8, rate: Option<i32>) -> NewApiKey {
    NewApiKey {
        name: format!("Newsroom {n}"),
        prefix: format!("dw_abcd{n}"),
        key_hash: vec![n; 32],
        rate_per_minute: rate,
    }
}

#[tokio::test]
async fn keys_are_created_found_by_hash_and_listed_oldest_first() {
    let db = db();
    let first = db
        .store
        .create_api_key(&new_key(1, None))
        .await
        .expect("created");
    let second = db
        .store
        .create_api_key(&new_key(2, Some(120)))
        .await
        .expect("created");
    assert_eq!(first.name, "Newsroom 1");
    assert_eq!(second.rate_per_minute, Some(120));
    assert!(first.last_used_at.is_none() && first.revoked_at.is_none());
    assert_eq!(
        db.store.find_api_key(&[2; 32]).await.expect("found"),
        Some(second.clone())
    );
    assert_eq!(
        db.store.find_api_key(&[3; 32]).await.expect("looked up"),
        None
    );
    let all = db.store.list_api_keys().await.expect("listed");
    assert_eq!(all, vec![first, second]);
    assert!(matches!(
        db.store.create_api_key(&new_key(1, None)).await,
        Err(StoreError::Conflict)
    ));
}

#[tokio::test]
async fn revoking_keeps_the_first_time_and_unknown_ids_are_not_found() {
    let db = db();
    let key = db
        .store
        .create_api_key(&new_key(1, None))
        .await
        .expect("created");
    assert!(db.store.revoke_api_key(key.id).await.expect("revoked"));
    let revoked_at = db
        .store
        .find_api_key(&[1; 32])
        .await
        .expect("found")
        .and_then(|k| k.revoked_at)
        .expect("revoked");
    assert!(db
        .store
        .revoke_api_key(key.id)
        .await
        .expect("revoked again"));
    let again = db.store.find_api_key(&[1; 32]).await.expect("found");
    assert_eq!(again.and_then(|k| k.revoked_at), Some(revoked_at));
    assert!(!db
        .store
        .revoke_api_key(key.id + 1)
        .await
        .expect("looked up"));
}

#[tokio::test]
async fn use_is_noted_and_never_moves_back() {
    let db = db();
    let key = db
        .store
        .create_api_key(&new_key(1, None))
        .await
        .expect("created");
    db.store.touch_api_key(key.id, at(60)).await.expect("noted");
    db.store
        .touch_api_key(key.id, at(60) - TimeDelta::seconds(30))
        .await
        .expect("noted");
    let found = db.store.find_api_key(&[1; 32]).await.expect("found");
    assert_eq!(found.and_then(|k| k.last_used_at), Some(at(60)));
}
