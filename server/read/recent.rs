//! The summed counters of a recent window (the last hour for the map and the service page,
//! up to a day for breakdowns).
//!
//! Each read used to fetch every minute hash of the window — 60 for an hour, 1,440 for a day
//! — and parsing them was most of what the map of every service cost (`bench/read`). All but
//! the last minutes of a window have settled, and the same for every reader within a minute:
//! their sum is kept for that minute, and only the last minutes are read each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::store::{minute_of, BucketStore, StoreError, ALL_SERVICES};
use crate::sync::lock;

/// The last `window` minutes up to now, the current (partial) minute included: readers want
/// the freshest reports.
pub fn window_minutes(now: DateTime<Utc>, window: i64) -> Vec<DateTime<Utc>> {
    let end = minute_of(now);
    (0..window)
        .rev()
        .map(|i| end - TimeDelta::minutes(i))
        .collect()
}

/// Minutes this recent are read on every request: reports land in their minute's bucket
/// right after their commit, so only the last moments of a minute can still change.
const FRESH_MINUTES: i64 = 2;

/// Sums kept at most (services being looked at × windows, for the current minute).
const ENTRIES: usize = 512;

/// (service or [`ALL_SERVICES`], first minute, end minute): the settled part of a window.
type Key = (String, DateTime<Utc>, DateTime<Utc>);

type Counters = Arc<HashMap<String, i64>>;

/// The summed counters of the settled minutes of the windows being read.
#[derive(Default)]
pub struct SettledCounters {
    entries: Mutex<HashMap<Key, Counters>>,
}

impl SettledCounters {
    fn get(&self, key: &Key) -> Option<Counters> {
        lock(&self.entries).get(key).cloned()
    }

    fn keep(&self, key: Key, counters: Counters) {
        let mut entries = lock(&self.entries);
        if entries.len() >= ENTRIES {
            // Windows that ended before this one first; everything if that is not enough.
            entries.retain(|(_, _, end), _| *end >= key.2);
            if entries.len() >= ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, counters);
    }
}

/// Summed counters of `service` (or of every service) over `minutes` (consecutive, oldest
/// first, as [`window_minutes`] gives them), the settled ones from `settled` when it has them.
pub async fn counters(
    buckets: &dyn BucketStore,
    settled: &SettledCounters,
    service: Option<&str>,
    minutes: &[DateTime<Utc>],
) -> Result<HashMap<String, i64>, StoreError> {
    let service = service.unwrap_or(ALL_SERVICES).to_owned();
    let fresh_from = minute_of(Utc::now()) - TimeDelta::minutes(FRESH_MINUTES);
    let split = minutes.partition_point(|m| *m < fresh_from);
    let (old, fresh) = minutes.split_at(split);
    let (Some(first), Some(last)) = (old.first(), old.last()) else {
        return read(buckets, &service, minutes).await;
    };
    let key = (service.clone(), *first, *last + TimeDelta::minutes(1));
    let (kept, mut fields) = match settled.get(&key) {
        Some(kept) => (kept, read(buckets, &service, fresh).await?),
        None => {
            let (old, fresh) =
                tokio::try_join!(read(buckets, &service, old), read(buckets, &service, fresh))?;
            let old = Arc::new(old);
            settled.keep(key, old.clone());
            (old, fresh)
        }
    };
    for (field, n) in kept.iter() {
        *fields.entry(field.clone()).or_default() += n;
    }
    Ok(fields)
}

async fn read(
    buckets: &dyn BucketStore,
    service: &str,
    minutes: &[DateTime<Utc>],
) -> Result<HashMap<String, i64>, StoreError> {
    if minutes.is_empty() {
        return Ok(HashMap::new());
    }
    buckets.summed_fields(service, minutes).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::tests::report as stored;
    use crate::store::memory::MemoryStore;
    use crate::store::NewReport;

    fn report(at: DateTime<Utc>, n: u8) -> NewReport {
        stored("netflix", at.timestamp(), n, Some("IT"))
    }

    #[tokio::test]
    async fn settled_minutes_are_summed_once_a_minute_and_recent_ones_read_every_time() {
        let buckets = MemoryStore::new();
        let settled = SettledCounters::default();
        let now = Utc::now();
        // Close to the end of a minute the window could move under the test: wait it out.
        if now.timestamp().rem_euclid(60) > 55 {
            tokio::time::sleep(std::time::Duration::from_secs(6)).await;
        }
        let now = Utc::now();
        let window = window_minutes(now, 60);
        let old = now - TimeDelta::minutes(30);
        buckets
            .apply(&[report(old, 1), report(old, 2), report(now, 3)])
            .await
            .expect("apply");
        let total = |f: &HashMap<String, i64>| f.get("total").copied().unwrap_or(0);
        let first = counters(&buckets, &settled, Some("netflix"), &window)
            .await
            .expect("counters");
        assert_eq!(total(&first), 3);
        assert_eq!(first.get("cc:IT"), Some(&3));

        // Within the minute, a late write to a settled minute is not read again…
        buckets.apply(&[report(old, 4)]).await.expect("apply");
        // …but the last minutes are.
        buckets.apply(&[report(now, 5)]).await.expect("apply");
        let again = counters(&buckets, &settled, Some("netflix"), &window)
            .await
            .expect("counters");
        assert_eq!(total(&again), 4);
        // Another window (or service, or minute) is summed afresh.
        let wider = counters(
            &buckets,
            &settled,
            Some("netflix"),
            &window_minutes(now, 90),
        )
        .await
        .expect("counters");
        assert_eq!(total(&wider), 5);
        let all = counters(&buckets, &settled, None, &window)
            .await
            .expect("counters");
        assert_eq!(total(&all), 5);
    }
}
