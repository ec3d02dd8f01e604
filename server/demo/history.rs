//! Turning the backfilled past outages into incidents: the real detector, ticked minute by
//! minute over each outage as if it were happening, on scratch minute buckets rebuilt from the
//! report log for that period. The incidents, their evidence and timelines are then exactly
//! what the detector would have recorded live.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tracing::warn;

use super::outages::Outage;
use crate::catalog::CatalogCache;
use crate::detect::config::DetectConfig;
use crate::detect::tick::Detector;
use crate::ingest::reconcile;
use crate::store::memory::MemoryStore;
use crate::store::Stores;
use crate::store::{minute_of, BucketStore, StatusBoard, StoreError};

/// Ticks before an outage, for the detector to settle.
const LEAD: TimeDelta = TimeDelta::minutes(10);
/// Most ticks after an outage while waiting for its incidents to resolve.
const TAIL: TimeDelta = TimeDelta::hours(2);

/// Runs the detector over each of `outages`; returns how many incidents it opened.
pub async fn replay(
    stores: &Stores,
    cfg: &DetectConfig,
    outages: &[Outage],
) -> Result<usize, StoreError> {
    if outages.is_empty() {
        return Ok(0);
    }
    let Some(session) = stores.election.campaign().await? else {
        warn!("another process leads the detector: the past outages stay without incidents");
        return Ok(0);
    };
    // The scratch buckets live on the replay's clock, so that their expiry follows it.
    let clock = Arc::new(AtomicI64::new(0));
    let read = clock.clone();
    let scratch = Arc::new(MemoryStore::with_clock(Arc::new(move || {
        DateTime::from_timestamp(read.load(Ordering::Relaxed), 0).unwrap_or_default()
    })));
    let buckets: Arc<dyn BucketStore> = scratch.clone();
    let board: Arc<dyn StatusBoard> = scratch;
    let catalog = Arc::new(CatalogCache::default());
    catalog.replace(stores.catalog.list_services().await?);
    let mut detector = Detector::new(
        cfg.clone(),
        session,
        buckets.clone(),
        stores.rollups.clone(),
        board,
    )
    .with_catalog(catalog);
    detector.resume().await?;

    let mut sorted: Vec<&Outage> = outages.iter().collect();
    sorted.sort_by_key(|o| o.start);
    let now = Utc::now();
    let mut opened = 0;
    for outage in sorted {
        let first = minute_of(outage.start) - LEAD;
        let last = (outage.end + TAIL).min(minute_of(now));
        clock.store(first.timestamp(), Ordering::Relaxed);
        let window = i64::from(cfg.window_minutes);
        reconcile::rebuild(
            stores.log.as_ref(),
            buckets.as_ref(),
            first - TimeDelta::minutes(window + 1),
            last,
            |_, _, _| {},
        )
        .await?;
        let mut open: i64 = 0;
        let mut t = first;
        while t < last {
            clock.store(t.timestamp(), Ordering::Relaxed);
            // The leader ticks two seconds into each minute.
            let report = detector.tick(t + TimeDelta::seconds(2)).await?;
            opened += report.opened.len();
            open += report.opened.len() as i64 - report.resolved.len() as i64;
            if t > outage.end && open <= 0 {
                break;
            }
            t += TimeDelta::minutes(1);
        }
    }
    Ok(opened)
}
