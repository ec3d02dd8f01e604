//! Minute buckets expire after 26 hours and are swept away; clones share one state.

use chrono::Utc;

use super::super::MemoryStore;
use super::{at, check, report, TestClock, LIMITS, T0};
use crate::store::{AbuseGate, BucketStore};

#[tokio::test]
async fn buckets_expire_after_26_hours_and_are_swept_away() {
    let (store, clock) = TestClock::store(T0);
    store
        .apply(&[report("netflix", T0, 1, Some("IT"))])
        .await
        .expect("apply");
    store
        .check(&[check("a1", "netflix", "r1")], LIMITS)
        .await
        .expect("check");
    clock.advance(26 * 3600 - 1);
    assert_eq!(
        store.minute("netflix", at(T0)).await.expect("minute").total,
        1
    );
    clock.advance(1);
    assert_eq!(
        store.minute("netflix", at(T0)).await.expect("minute").total,
        0
    );
    let w = store
        .windows(&["netflix".into()], &[at(T0)])
        .await
        .expect("windows");
    assert_eq!(w[0].unique_reporters, 0);
    assert!(w[0].subnets.is_empty());
    // The next batch sweeps the expired bucket and gate keys out of memory.
    store
        .apply(&[report("spotify", T0 + 26 * 3600, 2, None)])
        .await
        .expect("apply");
    let state = store.lock();
    // The new spotify minute and its all-services twin.
    assert_eq!(state.minutes.len(), 2);
    assert!(state.rate.is_empty());
    assert!(state.dedupe.is_empty());
}

#[tokio::test]
async fn an_expired_bucket_starts_afresh_when_written_before_the_sweep() {
    let (store, clock) = TestClock::store(T0);
    store
        .apply(&[report("netflix", T0, 1, None)])
        .await
        .expect("apply");
    clock.advance(26 * 3600 - 10);
    // Sweeps now (nothing has expired yet), so the next sweep is a minute away.
    store.apply(&[]).await.expect("apply");
    clock.advance(20);
    let late = report("netflix", T0 + 2, 2, None);
    store
        .apply(std::slice::from_ref(&late))
        .await
        .expect("apply");
    let bucket = store.minute("netflix", at(T0)).await.expect("minute");
    assert_eq!((bucket.total, bucket.unique_reporters), (1, 1));
}

#[tokio::test]
async fn clones_share_one_state_and_ping_answers() {
    let (store, _) = TestClock::store(T0);
    let other = store.clone();
    other
        .apply(&[report("netflix", T0, 1, None)])
        .await
        .expect("apply");
    assert_eq!(
        store.minute("netflix", at(T0)).await.expect("minute").total,
        1
    );
    store.ping().await.expect("ping");
    assert_eq!(
        MemoryStore::new()
            .minute("x", Utc::now())
            .await
            .expect("minute")
            .total,
        0
    );
}
