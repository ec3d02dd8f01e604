//! The poller: on the node holding the lease, every few seconds, polls each official status
//! source that is due (at most [`PARALLEL`] at a time), stores what it says or that it failed,
//! and links the service's incidents. A source is polled every `every` with jitter; failures
//! back off exponentially (up to [`MAX_BACKOFF`]). Nothing here can stop ingestion or the
//! detector: it is a task of its own, and every error ends as a log line and a source shown
//! as unavailable.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use tracing::{debug, info, warn};

use super::fetch::{FetchError, Fetched, Fetcher, Validators};
use super::link::link_service;
use super::record::{record_failure, record_snapshot, record_unchanged};
use super::view::official_view;
use super::{PollSettings, MAX_BACKOFF};
use crate::catalog::{CatalogCache, StatusKind, StatusSource};
use crate::domain::{Scope, State};
use crate::official::OfficialState;
use crate::official::{decode, history_url, merge_history, parse_main, statuspage, ParseError};
use crate::store::{IncidentReader, LiveEvent, LiveEventKind, OfficialStore, StatusBoard};

/// How often the poller looks for due sources.
const TICK: Duration = Duration::from_secs(5);
/// How long the lease lasts without renewal.
const LEASE: TimeDelta = TimeDelta::seconds(60);
/// Sources polled at once.
pub const PARALLEL: usize = 4;

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
enum PollError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// One source's schedule and validators, in this node's memory.
#[derive(Debug, Clone)]
struct Slot {
    source: StatusSource,
    next_at: DateTime<Utc>,
    failures: u32,
    main: Validators,
    history: Validators,
}

/// The poller's state.
pub struct Poller {
    settings: PollSettings,
    fetcher: Fetcher,
    holder: String,
    catalog: Arc<CatalogCache>,
    official: Arc<dyn OfficialStore>,
    incidents: Arc<dyn IncidentReader>,
    board: Arc<dyn StatusBoard>,
    slots: HashMap<String, Slot>,
}

/// What one poll came to.
struct Outcome {
    service: String,
    ok: bool,
    main: Validators,
    history: Validators,
}

impl Poller {
    /// A poller; fails only when the HTTP client cannot be built.
    pub fn new(
        settings: PollSettings,
        catalog: Arc<CatalogCache>,
        official: Arc<dyn OfficialStore>,
        incidents: Arc<dyn IncidentReader>,
        board: Arc<dyn StatusBoard>,
    ) -> Result<Self, FetchError> {
        Ok(Self {
            fetcher: Fetcher::new(&settings)?,
            settings,
            holder: uuid::Uuid::new_v4().to_string(),
            catalog,
            official,
            incidents,
            board,
            slots: HashMap::new(),
        })
    }

    /// One round at `now`: takes or renews the lease and polls the due sources; returns how
    /// many were polled (none when another node holds the lease).
    pub async fn round(&mut self, now: DateTime<Utc>) -> usize {
        match self.official.take_lease(&self.holder, now, LEASE).await {
            Ok(true) => {}
            Ok(false) => {
                // Another node polls: start afresh should this one take over.
                self.slots.clear();
                return 0;
            }
            Err(e) => {
                warn!(error = %e, "official status: cannot take the poller lease");
                return 0;
            }
        }
        self.sync_sources(now);
        let due: Vec<(String, Slot)> = self
            .slots
            .iter()
            .filter(|(_, s)| s.next_at <= now)
            .map(|(k, s)| (k.clone(), s.clone()))
            .collect();
        let polled = due.len();
        let outcomes: Vec<Outcome> = futures_util::stream::iter(due)
            .map(|(service, slot)| self.poll_one(service, slot, now))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        for outcome in outcomes {
            let every = self.settings.every;
            if let Some(slot) = self.slots.get_mut(&outcome.service) {
                if outcome.ok {
                    slot.failures = 0;
                    slot.main = outcome.main;
                    slot.history = outcome.history;
                } else {
                    slot.failures = slot.failures.saturating_add(1);
                }
                slot.next_at = now + jittered(wait(every, slot.failures));
            }
        }
        polled
    }

    /// Follows the catalog: a new or changed source is polled at once, a removed one dropped.
    fn sync_sources(&mut self, now: DateTime<Utc>) {
        let sources: HashMap<String, StatusSource> = self
            .catalog
            .all()
            .iter()
            .filter_map(|s| Some((s.slug.clone(), s.official_status.clone()?)))
            .collect();
        self.slots
            .retain(|k, slot| sources.get(k) == Some(&slot.source));
        for (service, source) in sources {
            self.slots.entry(service).or_insert_with(|| Slot {
                source,
                next_at: now,
                failures: 0,
                main: Validators::default(),
                history: Validators::default(),
            });
        }
    }

    async fn poll_one(&self, service: String, slot: Slot, now: DateTime<Utc>) -> Outcome {
        let before = self.official_state(&service, &slot.source, now).await;
        let outcome = self.poll_and_store(service, slot.clone(), now).await;
        let after = self
            .official_state(&outcome.service, &slot.source, now)
            .await;
        if let (Some(before), Some(after)) = (before, after) {
            if before != after {
                self.announce(&outcome.service, after, now).await;
            }
        }
        outcome
    }

    /// What the official page of `service` says, as shown; none when it cannot be read.
    async fn official_state(
        &self,
        service: &str,
        source: &StatusSource,
        now: DateTime<Utc>,
    ) -> Option<OfficialState> {
        official_view(self.official.as_ref(), service, source, now)
            .await
            .ok()
            .map(|v| v.state)
    }

    /// Tells the live event log (SSE) that `service`'s official page now says `state`.
    async fn announce(&self, service: &str, state: OfficialState, now: DateTime<Utc>) {
        let crowd = match self.board.status(service).await {
            Ok(status) => status.map_or(State::Ok, |s| s.state),
            Err(_) => State::Ok,
        };
        let event = LiveEvent {
            kind: LiveEventKind::OfficialChanged,
            service: service.to_owned(),
            scope: Scope::Global,
            incident_id: None,
            state: crowd,
            at: now,
            official: Some(state),
            outage_id: None,
        };
        if let Err(e) = self.board.publish_event(&event).await {
            warn!(service = %service, error = %e, "official status: cannot publish the change");
        }
    }

    async fn poll_and_store(&self, service: String, slot: Slot, now: DateTime<Utc>) -> Outcome {
        let store = self.official.as_ref();
        let source = &slot.source;
        let (ok, main, history) = match self.fetch_snapshot(source, &slot).await {
            Ok((Some(snapshot), main, history)) => {
                let stored = record_snapshot(store, &service, source, &snapshot, now).await;
                (stored.map_err(|e| e.to_string()), main, history)
            }
            Ok((None, main, history)) => {
                let stored = record_unchanged(store, &service, source, now).await;
                (stored.map_err(|e| e.to_string()), main, history)
            }
            Err(e) => {
                info!(service = %service, url = %source.url, error = %e, "official status unavailable");
                if let Err(store_error) =
                    record_failure(store, &service, source, &e.to_string(), now).await
                {
                    warn!(service = %service, error = %store_error, "official status: cannot store a failure");
                }
                return Outcome {
                    service,
                    ok: false,
                    main: slot.main,
                    history: slot.history,
                };
            }
        };
        if let Err(e) = &ok {
            warn!(service = %service, error = %e, "official status: cannot store a poll");
        }
        match link_service(self.incidents.as_ref(), store, &service, now).await {
            Ok(links) if !links.is_empty() => {
                debug!(service = %service, links = links.len(), "incidents linked to official ones");
            }
            Ok(_) => {}
            Err(e) => {
                warn!(service = %service, error = %e, "official status: cannot link incidents")
            }
        }
        Outcome {
            service,
            ok: ok.is_ok(),
            main,
            history,
        }
    }

    /// The source's snapshot (none when unchanged since the last poll) and new validators.
    async fn fetch_snapshot(
        &self,
        source: &StatusSource,
        slot: &Slot,
    ) -> Result<(Option<crate::official::Snapshot>, Validators, Validators), PollError> {
        let cap = self.settings.max_bytes;
        let (bytes, main) = match self.fetcher.fetch(&source.url, &slot.main).await? {
            Fetched::NotModified => return Ok((None, slot.main.clone(), slot.history.clone())),
            Fetched::Body { bytes, validators } => (bytes, validators),
        };
        let text = decode(&bytes, cap)?;
        let mut snapshot = parse_main(source.kind, &text, Utc::now())?;
        let mut history = slot.history.clone();
        if let (StatusKind::Statuspage, Some(url)) =
            (source.kind, history_url(source.kind, &source.url))
        {
            // The history is a bonus: without it the summary still tells what is open now.
            match self.fetcher.fetch(&url, &slot.history).await {
                Ok(Fetched::Body { bytes, validators }) => {
                    let parsed = decode(&bytes, cap)
                        .map_err(PollError::from)
                        .and_then(|t| statuspage::incidents(&t).map_err(PollError::from));
                    match parsed {
                        Ok(incidents) => {
                            snapshot = merge_history(snapshot, incidents);
                            history = validators;
                        }
                        Err(e) => debug!(url = %url, error = %e, "incident history unreadable"),
                    }
                }
                Ok(Fetched::NotModified) => {}
                Err(e) => debug!(url = %url, error = %e, "incident history unavailable"),
            }
        }
        Ok((Some(snapshot), main, history))
    }
}

/// The wait before the next poll after `failures` failures in a row: `every`, doubled per
/// failure, at most [`MAX_BACKOFF`].
pub fn wait(every: Duration, failures: u32) -> Duration {
    every
        .saturating_mul(1 << failures.min(16))
        .min(MAX_BACKOFF.max(every))
}

/// `d` give or take a fifth, at random.
fn jittered(d: Duration) -> TimeDelta {
    let fraction = (uuid::Uuid::new_v4().as_u128() % 1000) as f64 / 1000.0;
    let factor = 0.8 + 0.4 * fraction;
    TimeDelta::from_std(d.mul_f64(factor)).unwrap_or(TimeDelta::minutes(5))
}

/// Runs forever when `settings.enabled`: a poller round every few seconds.
pub async fn run(
    settings: PollSettings,
    catalog: Arc<CatalogCache>,
    official: Arc<dyn OfficialStore>,
    incidents: Arc<dyn IncidentReader>,
    board: Arc<dyn StatusBoard>,
) {
    if !settings.enabled {
        info!("official status polling is off (DOWNWATCH_STATUS_POLL)");
        return;
    }
    let mut poller = match Poller::new(settings, catalog, official, incidents, board) {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, "official status polling cannot start");
            return;
        }
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        poller.round(Utc::now()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap() {
        let every = Duration::from_secs(120);
        assert_eq!(wait(every, 0), every);
        assert_eq!(wait(every, 1), Duration::from_secs(240));
        assert_eq!(wait(every, 3), Duration::from_secs(960));
        assert_eq!(wait(every, 40), MAX_BACKOFF);
        for _ in 0..100 {
            let j = jittered(every).num_milliseconds();
            assert!((96_000..=144_000).contains(&j), "{j}");
        }
    }
}
