//! The status board in this process's memory: the semantics of `redis::board`.
//!
//! Statuses are a map by service (the Redis hash); events are a log capped at `EVENTS_KEPT`
//! (the Redis stream) whose ids are `<unix ms>-<seq>`, strictly increasing even within one
//! millisecond or when the clock steps back, as `XADD *` makes them. A blocked
//! `events_after` waits on a `Notify` that `publish_event` wakes; the std mutex guarding the
//! state is never held across an await.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio::time::Instant;

use super::MemoryStore;
use crate::store::{LiveEvent, LoggedEvent, ServiceStatus, StatusBoard, StoreError};

const STORE: &str = "memory";

/// Events kept for late readers (Redis trims to about as many; this trims exactly).
pub(super) const EVENTS_KEPT: usize = 10_000;

/// Most events one `events_after` returns (the `COUNT` of the Redis `XREAD`): a reader far
/// behind reads again after the last id it got.
pub(super) const READ_COUNT: usize = 500;

/// A stream id: milliseconds since the epoch, then a sequence within the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct EventId {
    ms: u64,
    seq: u64,
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

impl EventId {
    /// Parses `<ms>-<seq>`, or `<ms>` alone (sequence 0), as Redis reads an `XREAD` id.
    fn parse(id: &str) -> Result<Self, StoreError> {
        let number = |s: &str| {
            (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        let parsed = match id.split_once('-') {
            Some((ms, seq)) => number(ms).zip(number(seq)),
            None => number(id).map(|ms| (ms, 0)),
        };
        parsed
            .map(|(ms, seq)| EventId { ms, seq })
            .ok_or_else(|| StoreError::Failed {
                store: STORE,
                reason: format!("invalid stream ID {id:?}"),
            })
    }

    /// The id of an event added at `now_ms` after `last`: greater than `last` whatever the
    /// clock says (as `XADD *`), `None` only once every id is used.
    fn next(last: Option<EventId>, now_ms: u64) -> Option<EventId> {
        match last {
            Some(last) if now_ms <= last.ms => match last.seq.checked_add(1) {
                Some(seq) => Some(EventId { ms: last.ms, seq }),
                None => last.ms.checked_add(1).map(|ms| EventId { ms, seq: 0 }),
            },
            _ => Some(EventId { ms: now_ms, seq: 0 }),
        }
    }
}

/// The board: state behind a std mutex, and a wake-up for blocked readers.
#[derive(Default)]
pub(super) struct Board {
    state: Mutex<BoardState>,
    published: Notify,
}

#[derive(Default)]
struct BoardState {
    /// Each service's latest status (sorted by service, so `statuses` reads in a stable order).
    statuses: BTreeMap<String, ServiceStatus>,
    /// The kept events, oldest first (so in increasing id order).
    events: VecDeque<(EventId, LiveEvent)>,
    /// The id of the last event added: ids keep increasing even if the log were emptied.
    last_id: Option<EventId>,
    /// Ticks that published statuses.
    ticks: u64,
}

impl Board {
    fn lock(&self) -> MutexGuard<'_, BoardState> {
        // Every update leaves the state consistent: a panic while holding the lock is harmless.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl BoardState {
    /// Up to `READ_COUNT` kept events with an id greater than `after` (all when `None`).
    fn after(&self, after: Option<EventId>) -> Vec<LoggedEvent> {
        let start = after.map_or(0, |a| self.events.partition_point(|(id, _)| *id <= a));
        self.events
            .iter()
            .skip(start)
            .take(READ_COUNT)
            .map(|(id, e)| LoggedEvent {
                id: id.to_string(),
                event: e.clone(),
            })
            .collect()
    }
}

#[async_trait]
impl StatusBoard for MemoryStore {
    async fn publish_statuses(&self, statuses: &[ServiceStatus]) -> Result<(), StoreError> {
        let mut board = self.board.lock();
        for s in statuses {
            board.statuses.insert(s.service.clone(), s.clone());
        }
        board.ticks += 1;
        Ok(())
    }

    async fn tick_count(&self) -> Result<u64, StoreError> {
        Ok(self.board.lock().ticks)
    }

    async fn status(&self, service: &str) -> Result<Option<ServiceStatus>, StoreError> {
        Ok(self.board.lock().statuses.get(service).cloned())
    }

    async fn statuses(&self) -> Result<Vec<ServiceStatus>, StoreError> {
        Ok(self.board.lock().statuses.values().cloned().collect())
    }

    async fn latest_event_id(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .board
            .lock()
            .events
            .back()
            .map(|(id, _)| id.to_string()))
    }

    async fn publish_event(&self, event: &LiveEvent) -> Result<String, StoreError> {
        let now_ms = u64::try_from(self.now().timestamp_millis()).unwrap_or(0);
        let id = {
            let mut board = self.board.lock();
            let id = EventId::next(board.last_id, now_ms).ok_or_else(|| StoreError::Failed {
                store: STORE,
                reason: "the event log has used every id".into(),
            })?;
            board.last_id = Some(id);
            board.events.push_back((id, event.clone()));
            while board.events.len() > EVENTS_KEPT {
                board.events.pop_front();
            }
            id
        };
        // Wakes every reader waiting in `events_after`, after the event is in the log.
        self.board.published.notify_waiters();
        Ok(id.to_string())
    }

    async fn events_after(
        &self,
        after: Option<&str>,
        block: Duration,
    ) -> Result<Vec<LoggedEvent>, StoreError> {
        let after = after.map(EventId::parse).transpose()?;
        // No deadline when `block` is too long to add to the clock: wait until an event comes.
        let deadline = Instant::now().checked_add(block);
        loop {
            // Created before the log is read: `notify_waiters` reaches a `Notified` from its
            // creation on, so an event published between the read and the wait is not missed.
            let published = self.board.published.notified();
            let events = self.board.lock().after(after);
            if !events.is_empty() || block.is_zero() {
                return Ok(events);
            }
            match deadline {
                Some(deadline) => {
                    if tokio::time::timeout_at(deadline, published).await.is_err() {
                        return Ok(Vec::new());
                    }
                }
                None => published.await,
            }
        }
    }
}
