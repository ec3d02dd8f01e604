//! API keys: stored by hash, found by hash, listed, revoked once, their use noted.

use chrono::TimeDelta;
use downwatch::store::{NewApiKey, StoreError};

use crate::backends::Durable;
use crate::fixtures::at;

durable_tests!(
    keys_are_created_found_by_hash_and_listed_oldest_first,
    revoking_keeps_the_first_time_and_unknown_ids_are_not_found,
    use_is_noted_and_never_moves_back,
);

fn new_key(n: u8, rate: Option<i32>) -> NewApiKey {
    NewApiKey {
        name: format!("Newsroom {n}"),
        prefix: format!("dw_abcd{n}"),
        key_hash: vec![n; 32],
        rate_per_minute: rate,
    }
}

async fn keys_are_created_found_by_hash_and_listed_oldest_first(db: Durable) {
    let first = db
        .api_keys
        .create_api_key(&new_key(1, None))
        .await
        .expect("created");
    let second = db
        .api_keys
        .create_api_key(&new_key(2, Some(120)))
        .await
        .expect("created");
    assert_eq!(
        (first.name.as_str(), first.prefix.as_str()),
        ("Newsroom 1", "dw_abcd1")
    );
    assert_eq!(second.rate_per_minute, Some(120));
    assert!(first.last_used_at.is_none() && first.revoked_at.is_none());
    let now = chrono::Utc::now();
    assert!(first.created_at <= now && first.created_at > now - TimeDelta::minutes(5));
    assert_eq!(
        db.api_keys.find_api_key(&[2; 32]).await.expect("found"),
        Some(second.clone())
    );
    assert_eq!(
        db.api_keys.find_api_key(&[3; 32]).await.expect("looked up"),
        None
    );
    let all = db.api_keys.list_api_keys().await.expect("listed");
    assert_eq!(all, vec![first, second]);
    assert!(matches!(
        db.api_keys.create_api_key(&new_key(1, None)).await,
        Err(StoreError::Conflict)
    ));
}

async fn revoking_keeps_the_first_time_and_unknown_ids_are_not_found(db: Durable) {
    let key = db
        .api_keys
        .create_api_key(&new_key(1, None))
        .await
        .expect("created");
    assert!(db.api_keys.revoke_api_key(key.id).await.expect("revoked"));
    let revoked_at = db
        .api_keys
        .find_api_key(&[1; 32])
        .await
        .expect("found")
        .and_then(|k| k.revoked_at)
        .expect("revoked");
    assert!(db
        .api_keys
        .revoke_api_key(key.id)
        .await
        .expect("revoked again"));
    let again = db.api_keys.find_api_key(&[1; 32]).await.expect("found");
    assert_eq!(again.and_then(|k| k.revoked_at), Some(revoked_at));
    assert!(!db
        .api_keys
        .revoke_api_key(key.id + 1)
        .await
        .expect("looked up"));
}

async fn use_is_noted_and_never_moves_back(db: Durable) {
    let key = db
        .api_keys
        .create_api_key(&new_key(1, None))
        .await
        .expect("created");
    db.api_keys
        .touch_api_key(key.id, at(60))
        .await
        .expect("noted");
    db.api_keys
        .touch_api_key(key.id, at(60) - TimeDelta::seconds(30))
        .await
        .expect("noted");
    let found = db.api_keys.find_api_key(&[1; 32]).await.expect("found");
    assert_eq!(found.and_then(|k| k.last_used_at), Some(at(60)));
}
