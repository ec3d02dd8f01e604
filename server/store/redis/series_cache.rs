//! Settled minute counters of the series being read, kept by each node.
//!
//! A day of a service at 1 m is 1,440 minute hashes; reading a counter of each was most of
//! what a series answer cost (`bench/read`), Redis's share alone about a third of the
//! machine. A minute's counters stop changing soon after it ends, except when the minute is
//! rebuilt from the report log (after Redis lost writes, or by `rebuild-buckets`), and every
//! rebuild bumps its service's *generation* key. So a node keeps the counters of settled
//! minutes, and each read fetches only the generation and the recent minutes: when the
//! generation moved, the cached minutes are dropped and everything is read again.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Minutes this recent are always read: reports are written to the buckets right after their
/// commit, so a minute can still grow for a moment after it ends (a slow commit, a node's
/// clock a little behind). Ten minutes is far more than that.
pub(super) const UNSETTLED_MINUTES: i64 = 10;

/// Entries are read again from scratch at least this often, whatever the generation says.
const MAX_AGE: Duration = Duration::from_secs(3600);

/// (service, field) series kept at most (~12 KiB each for a day of minutes).
const ENTRIES: usize = 1024;

/// Minutes kept per entry: the hot window and a little more.
const MINUTES_KEPT: usize = 26 * 60;

/// The settled counters of one (service, field), for a run of consecutive minutes.
struct Entry {
    /// The service's rebuild generation when the counters were read (none: never rebuilt).
    generation: Option<i64>,
    /// Minute index (Unix minutes) of `counts[0]`.
    first: i64,
    counts: Vec<i64>,
    loaded: Instant,
}

impl Entry {
    fn get(&self, minute: i64) -> Option<i64> {
        let i = usize::try_from(minute - self.first).ok()?;
        self.counts.get(i).copied()
    }
}

/// What the cache knows of a read.
pub(super) struct Known {
    /// The generation the cached counters were read at: a read that finds another one must
    /// not use them.
    pub generation: Option<i64>,
    /// Per minute asked for, its cached counter.
    pub counts: Vec<Option<i64>>,
}

#[derive(Default)]
pub(super) struct SeriesCache {
    entries: Mutex<HashMap<(String, String), Entry>>,
}

impl SeriesCache {
    /// The cached counters of `minutes` (Unix minute indexes) settled before `settled`, or
    /// none when nothing usable is kept.
    pub fn lookup(
        &self,
        service: &str,
        field: &str,
        minutes: &[i64],
        settled: i64,
    ) -> Option<Known> {
        let entries = self.lock();
        let entry = entries.get(&(service.to_owned(), field.to_owned()))?;
        if entry.loaded.elapsed() > MAX_AGE {
            return None;
        }
        Some(Known {
            generation: entry.generation,
            counts: minutes
                .iter()
                .map(|&m| if m < settled { entry.get(m) } else { None })
                .collect(),
        })
    }

    /// Keeps the counters of the consecutive minutes among `minutes` settled before
    /// `settled`, read at `generation`, joined to what is kept when the runs meet.
    pub fn keep(
        &self,
        service: &str,
        field: &str,
        generation: Option<i64>,
        minutes: &[i64],
        counts: &[i64],
        settled: i64,
    ) {
        let Some(&first) = minutes.first() else {
            return;
        };
        // Only a run of consecutive minutes is kept (the read side asks for nothing else).
        let run = minutes
            .iter()
            .enumerate()
            .take_while(|&(i, &m)| m == first + i as i64 && m < settled)
            .count();
        if run == 0 {
            return;
        }
        let mut entries = self.lock();
        let key = (service.to_owned(), field.to_owned());
        let mut entry = match entries.remove(&key) {
            Some(old) if old.generation == generation && old.loaded.elapsed() <= MAX_AGE => old,
            _ => Entry {
                generation,
                first,
                counts: Vec::new(),
                loaded: Instant::now(),
            },
        };
        let (old_start, old_end) = (entry.first, entry.first + entry.counts.len() as i64);
        let (new_start, new_end) = (first, first + run as i64);
        if entry.counts.is_empty() || new_start > old_end || new_end < old_start {
            // Apart from what is kept: keep the new run instead.
            entry.first = new_start;
            entry.counts = counts[..run].to_vec();
        } else {
            let start = old_start.min(new_start);
            let end = old_end.max(new_end);
            let mut joined = vec![0; (end - start) as usize];
            for (i, n) in entry.counts.iter().enumerate() {
                joined[(old_start - start) as usize + i] = *n;
            }
            joined[(new_start - start) as usize..(new_end - start) as usize]
                .copy_from_slice(&counts[..run]);
            entry.first = start;
            entry.counts = joined;
        }
        if entry.counts.len() > MINUTES_KEPT {
            let drop = entry.counts.len() - MINUTES_KEPT;
            entry.counts.drain(..drop);
            entry.first += drop as i64;
        }
        if entries.len() >= ENTRIES {
            entries.clear();
        }
        entries.insert(key, entry);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(String, String), Entry>> {
        crate::sync::lock(&self.entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(a: i64, b: i64) -> Vec<i64> {
        (a..b).collect()
    }

    #[test]
    fn keeps_only_settled_minutes_and_answers_them() {
        let cache = SeriesCache::default();
        let minutes = range(100, 110);
        let counts: Vec<i64> = minutes.iter().map(|m| m * 2).collect();
        cache.keep("s", "total", Some(3), &minutes, &counts, 106);
        let known = cache
            .lookup("s", "total", &range(98, 110), 108)
            .expect("kept");
        assert_eq!(known.generation, Some(3));
        let mut want = vec![None, None];
        want.extend((100..106).map(|m| Some(m * 2)));
        want.extend([None; 4]);
        assert_eq!(known.counts, want);
        assert!(cache.lookup("s", "cc:IT", &minutes, 108).is_none());
        assert!(cache.lookup("t", "total", &minutes, 108).is_none());
    }

    #[test]
    fn joins_runs_that_meet_and_replaces_runs_apart() {
        let cache = SeriesCache::default();
        cache.keep("s", "total", None, &range(100, 105), &[1; 5], 200);
        cache.keep("s", "total", None, &range(105, 108), &[2; 3], 200);
        let known = cache
            .lookup("s", "total", &range(100, 108), 200)
            .expect("kept");
        assert_eq!(
            known.counts,
            [1, 1, 1, 1, 1, 2, 2, 2].map(Some).to_vec(),
            "joined"
        );
        cache.keep("s", "total", None, &range(150, 152), &[7; 2], 200);
        let known = cache
            .lookup("s", "total", &range(100, 152), 200)
            .expect("kept");
        assert_eq!(known.counts.iter().flatten().count(), 2, "replaced");
    }

    #[test]
    fn another_generation_starts_afresh() {
        let cache = SeriesCache::default();
        cache.keep("s", "total", None, &range(100, 105), &[1; 5], 200);
        cache.keep("s", "total", Some(1), &range(103, 105), &[9; 2], 200);
        let known = cache
            .lookup("s", "total", &range(100, 105), 200)
            .expect("kept");
        assert_eq!(known.generation, Some(1));
        assert_eq!(known.counts, vec![None, None, None, Some(9), Some(9)]);
    }

    #[test]
    fn keeps_at_most_the_hot_window() {
        let cache = SeriesCache::default();
        let minutes = range(0, 2000);
        cache.keep("s", "total", None, &minutes, &minutes, 5000);
        let known = cache.lookup("s", "total", &minutes, 5000).expect("kept");
        let kept: Vec<i64> = known.counts.iter().flatten().copied().collect();
        assert_eq!(kept.len(), MINUTES_KEPT);
        assert_eq!(kept.first(), Some(&(2000 - MINUTES_KEPT as i64)));
    }
}
