//! The read rate limit's counters: a fixed window per client from its first request, every
//! request counted, the time left never zero, expired windows swept.

use super::{TestClock, T0};
use crate::store::{RateCounter, WindowCount};

#[tokio::test]
async fn requests_count_up_within_the_window_and_start_afresh_after_it() {
    let (store, clock) = TestClock::store(T0);
    for n in 1..=3 {
        let hit = store.count_request("a:ff", 60).await.expect("counted");
        assert_eq!(
            hit,
            WindowCount {
                count: n,
                resets_in_secs: 60
            }
        );
    }
    clock.advance(45);
    let hit = store.count_request("a:ff", 60).await.expect("counted");
    assert_eq!(hit.count, 4);
    assert_eq!(
        hit.resets_in_secs, 15,
        "the window started with the first request"
    );
    clock.advance(15);
    let hit = store.count_request("a:ff", 60).await.expect("counted");
    assert_eq!(
        hit,
        WindowCount {
            count: 1,
            resets_in_secs: 60
        },
        "a new window"
    );
}

#[tokio::test]
async fn clients_are_counted_apart() {
    let (store, clock) = TestClock::store(T0);
    store.count_request("a:ff", 60).await.expect("counted");
    store.count_request("a:ff", 60).await.expect("counted");
    clock.advance(10);
    let other = store.count_request("k:1", 60).await.expect("counted");
    assert_eq!(
        other,
        WindowCount {
            count: 1,
            resets_in_secs: 60
        }
    );
    let first = store.count_request("a:ff", 60).await.expect("counted");
    assert_eq!(
        first,
        WindowCount {
            count: 3,
            resets_in_secs: 50
        }
    );
}

#[tokio::test]
async fn the_time_left_is_never_zero() {
    let (store, clock) = TestClock::store(T0);
    store.count_request("a:ff", 1).await.expect("counted");
    let hit = store.count_request("a:ff", 1).await.expect("counted");
    assert_eq!(hit.resets_in_secs, 1);
    clock.advance(1);
    assert_eq!(
        store.count_request("a:ff", 1).await.expect("counted").count,
        1
    );
}

#[tokio::test]
async fn expired_windows_are_swept() {
    let (store, clock) = TestClock::store(T0);
    for i in 0..100 {
        store
            .count_request(&format!("a:{i}"), 60)
            .await
            .expect("counted");
    }
    assert_eq!(store.reads.tracked(), 100);
    clock.advance(61);
    store.count_request("a:new", 60).await.expect("counted");
    assert_eq!(store.reads.tracked(), 1, "only the live window is kept");
}
