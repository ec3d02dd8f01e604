//! The status board's event log: ids from the clock (as `XADD *`), the cap, resuming after
//! ids Redis would accept, every blocked reader woken, concurrent publishers.

use std::time::Duration;

use super::super::board::{EVENTS_KEPT, READ_COUNT};
use super::super::MemoryStore;
use super::{at, TestClock, T0};
use crate::domain::{Scope, State};
use crate::store::{LiveEvent, LiveEventKind, LoggedEvent, StatusBoard, StoreError};

fn event(n: i64) -> LiveEvent {
    LiveEvent {
        kind: LiveEventKind::StateChanged,
        service: format!("service-{n}"),
        scope: Scope::Global,
        incident_id: Some(n),
        state: State::Problems,
        at: at(T0 + n),
        outage_id: None,
        official: None,
    }
}

/// The events of a read as `(id, event)` pairs.
fn pairs(events: Vec<LoggedEvent>) -> Vec<(String, LiveEvent)> {
    events.into_iter().map(|e| (e.id, e.event)).collect()
}

/// Every event kept, reading on after the last id of each read as the SSE hub does.
async fn read_all(store: &MemoryStore) -> Vec<(String, LiveEvent)> {
    let mut all = Vec::new();
    let mut last: Option<String> = None;
    loop {
        let page = store
            .events_after(last.as_deref(), Duration::ZERO)
            .await
            .expect("read");
        let Some(newest) = page.last() else {
            return all;
        };
        assert!(page.len() <= READ_COUNT);
        last = Some(newest.id.clone());
        all.extend(pairs(page));
    }
}

#[tokio::test]
async fn event_ids_are_stream_ids_increasing_within_a_millisecond_and_when_the_clock_steps_back() {
    let (store, clock) = TestClock::store(T0);
    assert_eq!(store.latest_event_id().await.expect("latest"), None);
    assert!(store
        .events_after(None, Duration::ZERO)
        .await
        .expect("empty")
        .is_empty());
    let ms = T0 * 1000;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(store.publish_event(&event(n)).await.expect("publish"));
    }
    clock.advance(1);
    ids.push(store.publish_event(&event(3)).await.expect("publish"));
    clock.advance(-5);
    ids.push(store.publish_event(&event(4)).await.expect("publish"));
    let expected = [
        format!("{ms}-0"),
        format!("{ms}-1"),
        format!("{ms}-2"),
        format!("{}-0", ms + 1000),
        format!("{}-1", ms + 1000),
    ];
    assert_eq!(ids, expected);
    assert_eq!(
        store.latest_event_id().await.expect("latest"),
        Some(expected[4].clone())
    );
    let all = pairs(store.events_after(None, Duration::ZERO).await.expect("all"));
    let expected: Vec<(String, LiveEvent)> = ids.iter().cloned().zip((0..5).map(event)).collect();
    assert_eq!(all, expected);
    // Clones share one board.
    let clone = store.clone();
    assert_eq!(
        clone.latest_event_id().await.expect("latest"),
        Some(ids[4].clone())
    );
}

#[tokio::test]
async fn the_log_keeps_the_newest_events_and_reads_them_in_pages() {
    let (store, _) = TestClock::store(T0);
    let extra = 57;
    let total = i64::try_from(EVENTS_KEPT).expect("fits") + extra;
    let mut ids = Vec::new();
    for n in 0..total {
        ids.push(store.publish_event(&event(n)).await.expect("publish"));
    }
    let first_page = store
        .events_after(None, Duration::ZERO)
        .await
        .expect("read");
    assert_eq!(first_page.len(), READ_COUNT);
    assert_eq!(
        first_page[0],
        LoggedEvent {
            id: ids[57].clone(),
            event: event(extra)
        }
    );
    let all = read_all(&store).await;
    assert_eq!(all.len(), EVENTS_KEPT);
    let kept: Vec<&String> = all.iter().map(|(id, _)| id).collect();
    let expected: Vec<&String> = ids.iter().skip(57).collect();
    assert_eq!(kept, expected);
    assert_eq!(
        all.last(),
        Some(&(ids[ids.len() - 1].clone(), event(total - 1)))
    );
    assert_eq!(
        store.latest_event_id().await.expect("latest"),
        ids.last().cloned()
    );
    // A reader resuming after a trimmed id gets what is still kept.
    let resumed = store
        .events_after(Some(&ids[3]), Duration::ZERO)
        .await
        .expect("read");
    assert_eq!(resumed[0].id, ids[57]);
}

#[tokio::test]
async fn a_reader_resumes_strictly_after_an_id() {
    let (store, clock) = TestClock::store(T0);
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(store.publish_event(&event(n)).await.expect("publish"));
        clock.advance(1);
    }
    let after = |id: &str| {
        let store = store.clone();
        let id = id.to_owned();
        async move {
            store
                .events_after(Some(&id), Duration::ZERO)
                .await
                .expect("read")
                .into_iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(after(&ids[1]).await, ids[2..]);
    assert!(after(&ids[3]).await.is_empty());
    assert_eq!(after("0-0").await, ids);
    // An id that was never given, and one without its sequence (sequence 0), as in Redis.
    let ms = T0 * 1000;
    assert_eq!(after(&format!("{ms}-7")).await, ids[1..]);
    assert_eq!(after(&format!("{}", ms + 1000)).await, ids[2..]);
    assert!(after(&format!("{}-0", ms + 60_000)).await.is_empty());
    for bad in [
        "",
        "abc",
        "12-",
        "-3",
        "1-2-3",
        "+1-0",
        "99999999999999999999999-0",
    ] {
        let refused = store.events_after(Some(bad), Duration::ZERO).await;
        assert!(
            matches!(refused, Err(StoreError::Failed { .. })),
            "{bad:?}: {refused:?}"
        );
    }
}

#[tokio::test]
async fn every_blocked_reader_wakes_up_and_one_waiting_for_a_later_id_keeps_waiting() {
    let store = MemoryStore::new();
    let (store_a, store_b) = (store.clone(), store.clone());
    let a = tokio::spawn(async move {
        store_a
            .events_after(None, Duration::from_secs(10))
            .await
            .expect("a")
    });
    let b = tokio::spawn(async move {
        store_b
            .events_after(None, Duration::from_secs(10))
            .await
            .expect("b")
    });
    // An id ahead of the log: the event below is not after it.
    let ahead = format!("{}-0", chrono::Utc::now().timestamp_millis() + 3_600_000);
    let store_c = store.clone();
    let c = tokio::spawn(async move {
        store_c
            .events_after(Some(&ahead), Duration::from_millis(300))
            .await
            .expect("c")
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let id = store.publish_event(&event(7)).await.expect("publish");
    assert_eq!(pairs(a.await.expect("a")), [(id.clone(), event(7))]);
    assert_eq!(pairs(b.await.expect("b")), [(id, event(7))]);
    assert!(c.await.expect("c").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_publishers_get_distinct_increasing_ids() {
    let store = MemoryStore::new();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..200 {
                ids.push(
                    store
                        .publish_event(&event(t * 1000 + n))
                        .await
                        .expect("publish"),
                );
            }
            ids
        }));
    }
    let mut published = 0;
    for task in tasks {
        published += task.await.expect("task").len();
    }
    let all = read_all(&store).await;
    assert_eq!(all.len(), published);
    let parse = |id: &str| {
        let (ms, seq) = id.split_once('-').expect("stream id");
        (
            ms.parse::<u64>().expect("ms"),
            seq.parse::<u64>().expect("seq"),
        )
    };
    assert!(all.windows(2).all(|w| parse(&w[0].0) < parse(&w[1].0)));
}
