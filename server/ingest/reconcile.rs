//! Keeping Redis buckets equal to the Postgres log: the reconciler rebuilds minute buckets
//! whose update failed after their reports were committed, notices a Redis that lost its
//! buckets (restarted without persistence, flushed) and rebuilds the hot window, and
//! `rebuild` recomputes every bucket of a period (the `downwatch rebuild-buckets` command).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tracing::{info, warn};

use super::queue::touched_minutes;
use crate::config::REPAIR_SETTLE;
use crate::store::{
    minute_of, BucketStore, NewReport, ReportLog, ServiceMinute, StoreError, ALL_SERVICES,
};

/// Most noted minutes rebuilt in one pass.
const REPAIR_PASS: i64 = 500;

/// Rebuilds the noted minute buckets that have settled; returns how many were rebuilt.
pub async fn repair_once(
    log: &dyn ReportLog,
    buckets: &dyn BucketStore,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    repair_settled(log, buckets, now, REPAIR_SETTLE).await
}

/// [`repair_once`] with a settling period of `settle` (the end of a minute plus `settle`
/// must be past `now`).
pub async fn repair_settled(
    log: &dyn ReportLog,
    buckets: &dyn BucketStore,
    now: DateTime<Utc>,
    settle: Duration,
) -> Result<usize, StoreError> {
    let settle = TimeDelta::from_std(settle).unwrap_or(TimeDelta::MAX);
    let pending = log.pending_bucket_repairs(REPAIR_PASS).await?;
    let settled: Vec<_> = pending
        .into_iter()
        .filter(|m| m.minute + TimeDelta::minutes(1) + settle <= now)
        .collect();
    if settled.is_empty() {
        return Ok(0);
    }
    buckets.ping().await?;
    let mut aggregates: Vec<DateTime<Utc>> = Vec::new();
    for ServiceMinute { service, minute } in &settled {
        let reports = log
            .counted_between(*minute, *minute + TimeDelta::minutes(1), Some(service))
            .await?;
        buckets.rebuild(service, *minute, &reports).await?;
        if !aggregates.contains(minute) {
            aggregates.push(*minute);
        }
    }
    // The all-services buckets of those minutes, from every service's reports.
    for minute in aggregates {
        let reports = log
            .counted_between(minute, minute + TimeDelta::minutes(1), None)
            .await?;
        buckets.rebuild(ALL_SERVICES, minute, &reports).await?;
    }
    log.clear_bucket_repairs(&settled).await?;
    Ok(settled.len())
}

/// When the buckets were lost (see [`BucketStore::is_filled`]), notes every service-minute
/// of the hot window that has counted reports in the log for a rebuild, then marks the
/// buckets filled; returns how many minutes were noted. The notes are in Postgres, so a
/// crash after the mark loses no rebuild.
pub async fn note_lost_buckets(
    log: &dyn ReportLog,
    buckets: &dyn BucketStore,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    if buckets.is_filled().await? {
        return Ok(0);
    }
    let until = now + TimeDelta::minutes(1);
    let mut from = minute_of(now - TimeDelta::minutes(crate::store::HOT_WINDOW_MINUTES));
    let mut noted = 0;
    while from < until {
        let to = (from + TimeDelta::hours(1)).min(until);
        let minutes = touched_minutes(&log.counted_between(from, to, None).await?);
        log.note_bucket_repairs(&minutes).await?;
        noted += minutes.len();
        from = to;
    }
    buckets.mark_filled().await?;
    Ok(noted)
}

/// Every `every` until the process ends: notes lost buckets ([`note_lost_buckets`]), then
/// rebuilds the noted minutes that are `settle` past their end.
pub async fn run(
    log: Arc<dyn ReportLog>,
    buckets: Arc<dyn BucketStore>,
    every: Duration,
    settle: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match note_lost_buckets(log.as_ref(), buckets.as_ref(), Utc::now()).await {
            Ok(0) => {}
            Ok(n) => warn!(
                minutes = n,
                "the minute buckets were lost (Redis restarted or flushed): rebuilding the hot window from the report log"
            ),
            Err(e) => warn!(error = %e, "bucket check postponed"),
        }
        // A backlog (after a long Redis outage) is worked through without waiting a tick.
        loop {
            match repair_settled(log.as_ref(), buckets.as_ref(), Utc::now(), settle).await {
                Ok(0) => break,
                Ok(n) => {
                    info!(buckets = n, "rebuilt minute buckets from the report log");
                    if n < REPAIR_PASS as usize {
                        break;
                    }
                }
                Err(e) => {
                    warn!(error = %e, "bucket repair postponed");
                    break;
                }
            }
        }
    }
}

/// Recomputes the whole hot window from the log: what in-process buckets, which start empty,
/// need before a server reads them. Returns how many minutes were rebuilt.
pub async fn refill_hot_window(
    log: &dyn ReportLog,
    buckets: &dyn BucketStore,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    rebuild(
        log,
        buckets,
        now - TimeDelta::minutes(crate::store::HOT_WINDOW_MINUTES),
        now + TimeDelta::minutes(1),
        |_, _, _| {},
    )
    .await
}

/// Recomputes every minute bucket in `[since, until)` from the log, an hour at a time,
/// calling `progress(done_hours, total_hours, buckets_so_far)` after each hour. A rebuild of
/// the whole hot window marks the buckets filled, so no reconciler refills them again.
pub async fn rebuild(
    log: &dyn ReportLog,
    buckets: &dyn BucketStore,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    mut progress: impl FnMut(i64, i64, usize),
) -> Result<usize, StoreError> {
    let start = minute_of(since);
    let total_hours = ((until - start).num_minutes() + 59) / 60;
    let mut rebuilt = 0;
    let mut from = start;
    let mut done = 0;
    while from < until {
        let to = (from + TimeDelta::hours(1)).min(until);
        let reports = log.counted_between(from, to, None).await?;
        let mut by_bucket: BTreeMap<(String, DateTime<Utc>), Vec<NewReport>> = BTreeMap::new();
        for r in reports {
            by_bucket
                .entry((r.service.clone(), minute_of(r.received_at)))
                .or_default()
                .push(r);
        }
        let mut all: BTreeMap<DateTime<Utc>, Vec<NewReport>> = BTreeMap::new();
        for ((service, minute), reports) in &by_bucket {
            buckets.rebuild(service, *minute, reports).await?;
            all.entry(*minute)
                .or_default()
                .extend(reports.iter().cloned());
        }
        for (minute, reports) in &all {
            buckets.rebuild(ALL_SERVICES, *minute, reports).await?;
        }
        rebuilt += by_bucket.len();
        done += 1;
        progress(done, total_hours, rebuilt);
        from = to;
    }
    if since <= until - TimeDelta::minutes(crate::store::HOT_WINDOW_MINUTES) {
        buckets.mark_filled().await?;
    }
    Ok(rebuilt)
}
