//! The read rate limit's counters, in process: the semantics of `redis::reads` (a window per
//! client from its first request; every request counts), under a lock of their own so that
//! reads never wait on the buckets. Expired windows are swept at most once a minute.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{after, secs_until, MemoryStore, SWEEP_EVERY};
use crate::store::{RateCounter, StoreError, WindowCount};

/// Each client's requests in its current window, and when the window ends.
#[derive(Default)]
pub(super) struct Counters {
    state: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    by_client: HashMap<String, (u64, DateTime<Utc>)>,
    next_sweep: Option<DateTime<Utc>>,
}

impl Counters {
    /// How many clients have a window in memory, expired or not (for tests of the sweep).
    #[cfg(test)]
    pub(super) fn tracked(&self) -> usize {
        crate::sync::lock(&self.state).by_client.len()
    }
}

impl Windows {
    fn sweep(&mut self, now: DateTime<Utc>) {
        if self.next_sweep.is_some_and(|next| now < next) {
            return;
        }
        self.by_client.retain(|_, (_, end)| *end > now);
        self.next_sweep = Some(now + SWEEP_EVERY);
    }
}

#[async_trait]
impl RateCounter for MemoryStore {
    async fn count_request(
        &self,
        client: &str,
        window_secs: u64,
    ) -> Result<WindowCount, StoreError> {
        let now = self.now();
        // Each update leaves the map consistent: a panic elsewhere cannot corrupt it.
        let mut windows = crate::sync::lock(&self.reads.state);
        windows.sweep(now);
        let window = windows
            .by_client
            .entry(client.to_owned())
            .or_insert((0, now));
        if window.1 <= now {
            *window = (0, after(now, window_secs));
        }
        window.0 += 1;
        Ok(WindowCount {
            count: window.0,
            resets_in_secs: secs_until(now, window.1).max(1),
        })
    }
}
