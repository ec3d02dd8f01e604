//! The read rate limit's counters: a fixed window per client from its first request, every
//! request counted, the time left never zero.

use downwatch::store::WindowCount;

use crate::backends::Hot;

hot_tests!(
    requests_count_up_within_the_window_of_the_first,
    clients_are_counted_apart,
);

async fn requests_count_up_within_the_window_of_the_first(hot: Hot) {
    for n in 1..=3 {
        let WindowCount {
            count,
            resets_in_secs,
        } = hot.rate.count_request("a:ff", 60).await.expect("counted");
        assert_eq!(count, n);
        assert!((58..=60).contains(&resets_in_secs), "{resets_in_secs}");
    }
    // A window of a second still has a second left.
    let hit = hot.rate.count_request("a:ee", 1).await.expect("counted");
    assert_eq!(
        hit,
        WindowCount {
            count: 1,
            resets_in_secs: 1
        }
    );
}

async fn clients_are_counted_apart(hot: Hot) {
    for _ in 0..3 {
        hot.rate.count_request("a:01", 60).await.expect("counted");
    }
    let other = hot.rate.count_request("k:7", 60).await.expect("counted");
    assert_eq!(other.count, 1);
    let again = hot.rate.count_request("a:01", 60).await.expect("counted");
    assert_eq!(again.count, 4);
}
