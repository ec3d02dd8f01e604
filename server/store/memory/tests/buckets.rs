//! Minute buckets, windows, the all-services aggregate, rebuilds and expiry.

use chrono::Utc;

use super::super::MemoryStore;
use super::{at, check, report, TestClock, LIMITS, T0};
use crate::store::{minute_of, AbuseGate, BucketStore, ALL_SERVICES};

#[tokio::test]
async fn apply_fills_every_field_of_the_minute_bucket() {
    let (store, _) = TestClock::store(T0);
    let mut repeat = report("netflix", T0 + 5, 1, Some("IT"));
    repeat.counted = false;
    let reports = [
        report("netflix", T0 + 1, 1, Some("IT")),
        report("netflix", T0 + 2, 2, None),
        repeat,
    ];
    store.apply(&reports).await.expect("apply");
    let bucket = store.minute("netflix", at(T0 + 30)).await.expect("minute");
    assert_eq!(bucket.total, 2);
    assert_eq!(bucket.unique_reporters, 2);
    let expected = [
        ("asn:3269", 2),
        ("cc:IT", 1),
        ("sd:IT-25", 1),
        ("sym:app", 2),
        ("sym:login", 2),
    ];
    let expected: Vec<(String, i64)> = expected.iter().map(|(f, n)| (f.to_string(), *n)).collect();
    assert_eq!(bucket.fields, expected);
    assert_eq!(
        store
            .minute("netflix", at(T0 + 60))
            .await
            .expect("minute")
            .total,
        0
    );
    assert_eq!(
        store.minute("spotify", at(T0)).await.expect("minute").total,
        0
    );
}

#[tokio::test]
async fn windows_sum_minutes_union_reporters_and_count_subnets() {
    let (store, _) = TestClock::store(T0);
    store
        .apply(&[
            report("netflix", T0, 1, Some("IT")),
            report("netflix", T0 + 60, 1, Some("IT")),
            report("netflix", T0 + 61, 2, None),
            report("spotify", T0, 3, Some("GB")),
        ])
        .await
        .expect("apply");
    let minutes = [at(T0 - 60), at(T0), at(T0 + 60)];
    let services = ["netflix".to_owned(), "steam".to_owned()];
    let windows = store.windows(&services, &minutes).await.expect("windows");
    assert_eq!(windows.len(), 2);
    let netflix = &windows[0];
    assert_eq!(netflix.service, "netflix");
    assert_eq!(netflix.per_minute, [0, 1, 2]);
    assert_eq!(netflix.unique_reporters, 2);
    assert_eq!(netflix.fields.get("total"), Some(&3));
    assert_eq!(netflix.fields.get("cc:IT"), Some(&2));
    assert_eq!(netflix.subnets.get("IT:010203040506"), Some(&2));
    assert_eq!(netflix.subnets.get("ZZ:010203040506"), Some(&1));
    assert_eq!(netflix.subnets.len(), 2);
    assert_eq!(windows[1].service, "steam");
    assert_eq!(windows[1].per_minute, [0, 0, 0]);
    assert_eq!(windows[1].unique_reporters, 0);
}

#[tokio::test]
async fn rebuild_replaces_exactly_one_minute() {
    let (store, _) = TestClock::store(T0);
    store
        .apply(&[
            report("netflix", T0, 1, Some("IT")),
            report("netflix", T0 + 1, 2, Some("IT")),
            report("netflix", T0 + 60, 3, Some("IT")),
        ])
        .await
        .expect("apply");
    let truth = [
        report("netflix", T0 + 5, 4, None),
        // Not this service-minute: ignored.
        report("netflix", T0 + 60, 5, None),
        report("spotify", T0, 6, None),
    ];
    store
        .rebuild("netflix", at(T0), &truth)
        .await
        .expect("rebuild");
    let minutes = [at(T0)];
    let w = store
        .windows(&["netflix".into()], &minutes)
        .await
        .expect("windows");
    assert_eq!(w[0].per_minute, [1]);
    assert_eq!(w[0].unique_reporters, 1);
    assert_eq!(w[0].fields.get("cc:IT"), None);
    assert_eq!(w[0].subnets.len(), 1);
    assert_eq!(w[0].subnets.get("ZZ:010203040506"), Some(&1));
    let next = store.minute("netflix", at(T0 + 60)).await.expect("minute");
    assert_eq!((next.total, next.unique_reporters), (1, 1));
    assert_eq!(
        store.minute("spotify", at(T0)).await.expect("minute").total,
        0
    );
    // Rebuilding with nothing empties the minute.
    store
        .rebuild("netflix", at(T0), &[])
        .await
        .expect("rebuild");
    assert_eq!(
        store.minute("netflix", at(T0)).await.expect("minute").total,
        0
    );
}

#[tokio::test]
async fn the_all_services_bucket_adds_up_every_service_and_is_rebuilt_on_its_own() {
    let (store, _) = TestClock::store(T0);
    let mut located = report("netflix", T0, 1, Some("IT"));
    (located.lat, located.lon) = (Some(45.46), Some(9.19));
    store
        .apply(&[located, report("spotify", T0 + 1, 2, None)])
        .await
        .expect("apply");
    let all = store.minute(ALL_SERVICES, at(T0)).await.expect("minute");
    assert_eq!((all.total, all.unique_reporters), (2, 0));
    assert!(all.fields.contains(&("sym:login".into(), 2)));
    assert!(all.fields.contains(&("pt:45.5,9.2".into(), 1)));
    let netflix = store.minute("netflix", at(T0)).await.expect("minute");
    assert!(netflix.fields.contains(&("pt:45.5,9.2".into(), 1)));
    // Rebuilding one service leaves the aggregate alone…
    store
        .rebuild("netflix", at(T0), &[])
        .await
        .expect("rebuild");
    assert_eq!(
        store
            .minute(ALL_SERVICES, at(T0))
            .await
            .expect("minute")
            .total,
        2
    );
    // …which is rebuilt from every service's reports of its minute, and only it.
    let truth = [
        report("spotify", T0 + 1, 2, None),
        report("steam", T0 + 2, 3, None),
        report("steam", T0 + 60, 3, None),
    ];
    store
        .rebuild(ALL_SERVICES, at(T0), &truth)
        .await
        .expect("rebuild");
    let all = store.minute(ALL_SERVICES, at(T0)).await.expect("minute");
    assert_eq!(all.total, 2);
    assert!(!all.fields.iter().any(|(f, _)| f.starts_with("pt:")));
    assert_eq!(
        store.minute("steam", at(T0)).await.expect("minute").total,
        0
    );
    let active = store.active_services(at(T0)).await.expect("active");
    assert_eq!(active, ["netflix", "spotify"]);
}

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
async fn active_services_are_those_with_a_counted_report_since() {
    let (store, _) = TestClock::store(T0);
    let mut uncounted = report("steam", T0 + 100, 9, None);
    uncounted.counted = false;
    store
        .apply(&[
            report("spotify", T0 + 50, 1, None),
            report("netflix", T0 + 10, 2, None),
            report("netflix", T0 + 90, 3, None),
            uncounted,
        ])
        .await
        .expect("apply");
    let active = store.active_services(at(T0 + 20)).await.expect("active");
    assert_eq!(active, ["spotify", "netflix"]);
    // Rebuilding an older minute does not make a service look less recent.
    let old = report("netflix", T0 - 600, 4, None);
    store
        .rebuild("netflix", minute_of(old.received_at), &[old])
        .await
        .expect("rebuild");
    assert_eq!(
        store.active_services(at(T0 + 60)).await.expect("active"),
        ["netflix"]
    );
    assert!(store
        .active_services(at(T0 + 91))
        .await
        .expect("active")
        .is_empty());
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
