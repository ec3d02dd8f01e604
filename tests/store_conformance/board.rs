//! The status board: statuses replaced per service, ticks counted; the live event log read
//! in order, resumed strictly after an id, and waited on.

use std::time::{Duration, Instant};

use downwatch::domain::{Scope, State};
use downwatch::store::{LiveEvent, LiveEventKind, LoggedEvent, ServiceStatus, StoreError};

use crate::backends::Hot;
use crate::fixtures::at;

hot_tests!(
    statuses_are_replaced_per_service_and_the_others_kept,
    events_are_logged_in_order_with_increasing_ids,
    a_reader_resumes_strictly_after_an_id,
    a_blocked_reader_wakes_up_when_an_event_is_published,
    a_blocked_read_with_nothing_new_times_out_empty,
);

fn status(service: &str, state: &str, reports: i64) -> ServiceStatus {
    let state: State = state.parse().expect("a state");
    ServiceStatus {
        service: service.into(),
        state,
        since: (state != State::Ok).then(|| at(-600)),
        reports,
        expected: 3.0,
        ratio: reports as f64 / 3.0,
        score: 0.5,
        window_minutes: 15,
        at: at(0),
        open_incidents: vec![7],
    }
}

fn event(n: i64) -> LiveEvent {
    LiveEvent {
        kind: LiveEventKind::StateChanged,
        service: format!("service-{n}"),
        scope: Scope::Global,
        incident_id: Some(n),
        state: State::Problems,
        at: at(n),
        outage_id: None,
        official: None,
    }
}

/// The events of a read as `(id, event)` pairs.
fn pairs(events: Vec<LoggedEvent>) -> Vec<(String, LiveEvent)> {
    events.into_iter().map(|e| (e.id, e.event)).collect()
}

async fn statuses_are_replaced_per_service_and_the_others_kept(hot: Hot) {
    assert_eq!(hot.board.status("netflix").await.expect("status"), None);
    assert_eq!(hot.board.tick_count().await.expect("ticks"), 0);
    assert!(hot.board.statuses().await.expect("statuses").is_empty());
    hot.board
        .publish_statuses(&[
            status("spotify", "ok", 1),
            status("netflix", "problems", 40),
        ])
        .await
        .expect("publish");
    hot.board
        .publish_statuses(&[status("netflix", "possible-problems", 12)])
        .await
        .expect("publish");
    assert_eq!(
        hot.board.status("netflix").await.expect("status"),
        Some(status("netflix", "possible-problems", 12))
    );
    let mut all = hot.board.statuses().await.expect("statuses");
    all.sort_by(|a, b| a.service.cmp(&b.service));
    assert_eq!(
        all,
        [
            status("netflix", "possible-problems", 12),
            status("spotify", "ok", 1)
        ]
    );
    hot.board.publish_statuses(&[]).await.expect("nothing");
    assert_eq!(hot.board.statuses().await.expect("statuses").len(), 2);
    // Every publication is a tick, even one with nothing to say.
    assert_eq!(hot.board.tick_count().await.expect("ticks"), 3);
}

async fn events_are_logged_in_order_with_increasing_ids(hot: Hot) {
    assert_eq!(hot.board.latest_event_id().await.expect("latest"), None);
    let empty = hot.board.events_after(None, Duration::ZERO).await;
    assert!(empty.expect("empty").is_empty());
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(hot.board.publish_event(&event(n)).await.expect("publish"));
    }
    let parse = |id: &str| {
        let (ms, seq) = id.split_once('-').expect("a stream id: <ms>-<seq>");
        let ms: u64 = ms.parse().expect("ms");
        let seq: u64 = seq.parse().expect("seq");
        (ms, seq)
    };
    assert!(
        ids.windows(2).all(|w| parse(&w[0]) < parse(&w[1])),
        "{ids:?}"
    );
    assert_eq!(
        hot.board.latest_event_id().await.expect("latest"),
        ids.last().cloned()
    );
    let all = hot.board.events_after(None, Duration::ZERO).await;
    let expected: Vec<(String, LiveEvent)> = ids.iter().cloned().zip((0..5).map(event)).collect();
    assert_eq!(pairs(all.expect("all")), expected);
}

async fn a_reader_resumes_strictly_after_an_id(hot: Hot) {
    let mut ids = Vec::new();
    for n in 0..4 {
        ids.push(hot.board.publish_event(&event(n)).await.expect("publish"));
    }
    let after = |id: &str| {
        let (board, id) = (hot.board.clone(), id.to_owned());
        async move {
            let read = board.events_after(Some(&id), Duration::ZERO).await;
            read.expect("read")
                .into_iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(after(&ids[1]).await, ids[2..]);
    assert!(after(&ids[3]).await.is_empty());
    assert_eq!(after("0-0").await, ids);
    let refused = hot.board.events_after(Some("abc"), Duration::ZERO).await;
    assert!(
        matches!(refused, Err(StoreError::Failed { .. })),
        "{refused:?}"
    );
}

async fn a_blocked_reader_wakes_up_when_an_event_is_published(hot: Hot) {
    let first = hot.board.publish_event(&event(0)).await.expect("publish");
    let publisher = hot.board.clone();
    let task = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        publisher.publish_event(&event(1)).await.expect("publish")
    });
    let started = Instant::now();
    let got = hot
        .board
        .events_after(Some(&first), Duration::from_secs(10))
        .await
        .expect("read");
    let waited = started.elapsed();
    let second = task.await.expect("publisher");
    assert_eq!(pairs(got), [(second, event(1))]);
    assert!(waited >= Duration::from_millis(150), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}

async fn a_blocked_read_with_nothing_new_times_out_empty(hot: Hot) {
    // An empty log times out as well.
    let got = hot
        .board
        .events_after(None, Duration::from_millis(100))
        .await
        .expect("read");
    assert!(got.is_empty());
    let last = hot.board.publish_event(&event(0)).await.expect("publish");
    let started = Instant::now();
    let got = hot
        .board
        .events_after(Some(&last), Duration::from_millis(300))
        .await
        .expect("read");
    let waited = started.elapsed();
    assert!(got.is_empty(), "{got:?}");
    assert!(waited >= Duration::from_millis(250), "{waited:?}");
    assert!(waited < Duration::from_secs(5), "{waited:?}");
}
