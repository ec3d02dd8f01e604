//! What the in-process hot store does with time, on a hand-moved clock: windows and markers
//! that end, buckets that expire and are swept, event ids from the clock. What it promises as
//! every hot store does (and Redis with it) is tested in `tests/store_conformance/`. The abuse
//! gate here, the minute buckets in `buckets`, the status board in `board`, the read rate
//! limit's counters in `reads`.

mod board;
mod buckets;
mod reads;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::MemoryStore;
use crate::store::{AbuseGate, GateCheck, GateLimits, GateOutcome, NewReport};

/// A hand-moved clock, in seconds since the epoch.
#[derive(Clone)]
struct TestClock(Arc<AtomicI64>);

impl TestClock {
    fn store(start: i64) -> (MemoryStore, TestClock) {
        let clock = TestClock(Arc::new(AtomicI64::new(start)));
        let read = clock.clone();
        let store = MemoryStore::with_clock(Arc::new(move || {
            DateTime::from_timestamp(read.0.load(Ordering::SeqCst), 0).expect("valid time")
        }));
        (store, clock)
    }

    fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

/// 2026-12-01 10:00:00 UTC.
const T0: i64 = 1_796_119_200;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).expect("valid time")
}

fn check(address: &str, service: &str, reporter: &str) -> GateCheck {
    GateCheck {
        address: address.into(),
        reporter: reporter.into(),
        service: service.into(),
    }
}

const LIMITS: GateLimits = GateLimits {
    dedupe_secs: 900,
    rate_limit: 3,
    rate_window_secs: 3600,
};

/// A counted report of `service` at `secs` (Unix time), for the in-process stores' tests.
pub(crate) fn report(service: &str, secs: i64, reporter: u8, country: Option<&str>) -> NewReport {
    NewReport {
        received_at: at(secs),
        service: service.into(),
        symptoms: vec!["login".into(), "app".into()],
        counted: true,
        reporter: vec![reporter; 32],
        subnet: vec![1, 2, 3, 4, 5, 6, 7, 8],
        country: country.map(Into::into),
        subdivision: country.map(|c| format!("{c}-25")),
        city: None,
        lat: None,
        lon: None,
        asn: Some(3269),
        as_org: None,
        region_source: "geoip",
        platform: None,
        phrase: None,
    }
}

#[tokio::test]
async fn the_dedupe_marker_expires_after_its_window() {
    let (store, clock) = TestClock::store(T0);
    let c = [check("a1", "netflix", "r1")];
    let limits = GateLimits {
        rate_limit: 100,
        ..LIMITS
    };
    assert_eq!(
        store.check(&c, limits).await.expect("check"),
        [GateOutcome::Counted]
    );
    clock.advance(899);
    assert_eq!(
        store.check(&c, limits).await.expect("check"),
        [GateOutcome::Duplicate]
    );
    clock.advance(1);
    assert_eq!(
        store.check(&c, limits).await.expect("check"),
        [GateOutcome::Counted]
    );
}

#[tokio::test]
async fn an_address_over_its_limit_is_refused_with_the_remaining_window_and_nothing_changes() {
    let (store, clock) = TestClock::store(T0);
    for s in ["netflix", "spotify", "whatsapp"] {
        assert_eq!(
            store
                .check(&[check("a1", s, "r1")], LIMITS)
                .await
                .expect("check"),
            [GateOutcome::Counted]
        );
    }
    let steam = [check("a1", "steam", "r1")];
    assert_eq!(
        store.check(&steam, LIMITS).await.expect("check"),
        [GateOutcome::RateLimited {
            retry_after_secs: 3600
        }]
    );
    clock.advance(600);
    assert_eq!(
        store.check(&steam, LIMITS).await.expect("check"),
        [GateOutcome::RateLimited {
            retry_after_secs: 3000
        }]
    );
    // Another address is not affected.
    assert_eq!(
        store
            .check(&[check("a2", "steam", "r2")], LIMITS)
            .await
            .expect("check"),
        [GateOutcome::Counted]
    );
    // The window is fixed from the first report: it ends, and the refusals left no marker.
    clock.advance(3000);
    assert_eq!(
        store.check(&steam, LIMITS).await.expect("check"),
        [GateOutcome::Counted]
    );
}
