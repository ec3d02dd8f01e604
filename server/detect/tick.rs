//! The detector at work: every minute, for every active service and every service × country
//! with enough history, judge the last window of minute buckets with that series'
//! [`SeriesDetector`] (the same engine `replay` runs), decide which scopes have an incident
//! ([`super::scope`]), then open, escalate, update or resolve them ([`super::incidents`]).
//! What the series know of the past (baselines from rollups, clocks, pooled dispersion) is
//! learnt in [`super::learn`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use tracing::{debug, info};

use super::config::DetectConfig;
use super::damping::damped_total;
use super::evidence::{scoped_reports, scoped_subnets};
use super::networks::NetworkNames;
use super::outages::Outages;
use super::scope::{active_scopes, ScopeInputs};
use super::score::{score, Score};
use super::series::SeriesDetector;
use super::state::{State, Tracker};
use crate::catalog::CatalogCache;
use crate::domain::{CountryCode, Scope};
use crate::store::{
    minute_of, BucketStore, DetectorStore, LiveEvent, LiveEventKind, OpenIncident, RollupStore,
    SavedTracker, ServiceStatus, ServiceWindow, StatusBoard, StoreError,
};

/// The series of one service: `global`, or one country.
pub type SeriesKey = (String, Scope);

/// How long an active service stays on the detector's list after its last report.
const ACTIVE_FOR: TimeDelta = TimeDelta::hours(2);

/// What one tick did, for logs, tests and benchmarks.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TickReport {
    pub services: usize,
    pub series: usize,
    pub opened: Vec<i64>,
    pub escalated: Vec<i64>,
    pub resolved: Vec<i64>,
    pub transitions: usize,
    /// Outage events that opened, grew, changed or ended.
    pub outages: Vec<i64>,
    /// How long grouping into outage events took (reads and writes included).
    pub grouping: std::time::Duration,
    /// What the tick tells readers: one status per service, events of what changed.
    pub statuses: Vec<ServiceStatus>,
    pub events: Vec<LiveEvent>,
}

/// The detector state a leader keeps between ticks.
pub struct Detector {
    pub(super) cfg: DetectConfig,
    pub(super) store: Box<dyn DetectorStore>,
    pub(super) buckets: Arc<dyn BucketStore>,
    pub(super) rollups: Arc<dyn RollupStore>,
    board: Arc<dyn StatusBoard>,
    pub(super) series: HashMap<SeriesKey, SeriesDetector>,
    /// The countries with a series, per service.
    pub(super) countries: HashMap<String, Vec<CountryCode>>,
    /// The clock of a service whose audience is mostly one country (others: UTC).
    pub(super) zones: HashMap<String, Tz>,
    pub(super) open: HashMap<SeriesKey, OpenIncident>,
    /// Baselines hold the rollups of every quarter before this.
    pub(super) learnt_to: Option<DateTime<Utc>>,
    /// The first quarter of history Downwatch has (its deployment, or `history_days` ago):
    /// a series without reports since then was quiet, not unknown.
    pub(super) history_start: Option<DateTime<Utc>>,
    pub(super) last_update: HashMap<i64, DateTime<Utc>>,
    /// Incidents of several services grouped into outage events.
    pub(super) outages: Outages,
    /// Network names, remembered between ticks.
    pub(super) networks: NetworkNames,
}

impl Detector {
    pub fn new(
        cfg: DetectConfig,
        store: Box<dyn DetectorStore>,
        buckets: Arc<dyn BucketStore>,
        rollups: Arc<dyn RollupStore>,
        board: Arc<dyn StatusBoard>,
    ) -> Self {
        Self {
            cfg,
            store,
            buckets,
            rollups,
            board,
            series: HashMap::new(),
            countries: HashMap::new(),
            zones: HashMap::new(),
            open: HashMap::new(),
            learnt_to: None,
            history_start: None,
            last_update: HashMap::new(),
            outages: Outages::new(None),
            networks: NetworkNames::default(),
        }
    }

    /// Names the catalog the outage grouper reads providers and home countries from
    /// (without it, no provider can be named as a cause).
    pub fn with_catalog(mut self, catalog: Arc<CatalogCache>) -> Self {
        self.outages = Outages::new(Some(catalog));
        self
    }

    /// The open outage events.
    pub fn open_outages(&self) -> impl Iterator<Item = &crate::outage::OutageEvent> {
        self.outages.grouper().open_events()
    }

    pub fn config(&self) -> &DetectConfig {
        &self.cfg
    }

    /// How many incidents are open.
    pub fn open_incidents(&self) -> usize {
        self.open.len()
    }

    /// Whether the store still holds the leadership.
    pub async fn still_leader(&mut self) -> bool {
        self.store.still_leader().await
    }

    /// Loads saved state machines and open incidents (after becoming leader).
    pub async fn resume(&mut self) -> Result<(), StoreError> {
        for saved in self.store.load_trackers().await? {
            if let Ok(tracker) = serde_json::from_value::<Tracker>(saved.state) {
                self.series_mut(&(saved.service, saved.scope))
                    .set_tracker(tracker);
            }
        }
        for incident in self.store.open_incidents().await? {
            self.open
                .insert((incident.service.clone(), incident.scope), incident);
        }
        self.resume_outages(Utc::now()).await
    }

    /// One tick for the window of minutes ending with the minute before `now`.
    pub async fn tick(&mut self, now: DateTime<Utc>) -> Result<TickReport, StoreError> {
        self.learn(now).await?;
        let end = minute_of(now) - TimeDelta::minutes(1);
        let minutes: Vec<DateTime<Utc>> = (0..i64::from(self.cfg.window_minutes.max(1)))
            .rev()
            .map(|i| end - TimeDelta::minutes(i))
            .collect();
        let at = end + TimeDelta::minutes(1);

        let mut services: HashSet<String> = self
            .buckets
            .active_services(now - ACTIVE_FOR)
            .await?
            .into_iter()
            .collect();
        for (key, series) in &self.series {
            if series.tracker().state != State::Ok {
                services.insert(key.0.clone());
            }
        }
        services.extend(self.open.keys().map(|k| k.0.clone()));
        let mut services: Vec<String> = services.into_iter().collect();
        services.sort();
        let windows = self.buckets.windows(&services, &minutes).await?;

        let mut report = TickReport {
            services: windows.len(),
            ..TickReport::default()
        };
        let mut changed: Vec<SavedTracker> = Vec::new();
        for window in &windows {
            self.evaluate(window, &minutes, at, &mut report, &mut changed)
                .await?;
        }
        if !changed.is_empty() {
            self.store.save_trackers(&changed, at).await?;
        }
        let grouping = std::time::Instant::now();
        self.group_outages(at, &mut report).await?;
        report.grouping = grouping.elapsed();
        self.board.publish_statuses(&report.statuses).await?;
        for event in &report.events {
            self.board.publish_event(event).await?;
        }
        debug!(
            services = report.services,
            series = report.series,
            "detector tick"
        );
        Ok(report)
    }

    /// The window of one series: counted reports after flood damping, and the expectation.
    fn window_of(
        &mut self,
        key: &SeriesKey,
        window: &ServiceWindow,
        minutes: &[DateTime<Utc>],
    ) -> (f64, f64) {
        let observed = damped_total(scoped_subnets(window, key.1), self.cfg.subnet_cap);
        let series = self.series_mut(key);
        let expected = minutes.iter().map(|m| series.expected(*m, 1)).sum();
        (observed, expected)
    }

    /// The score of a series without judging it (a scope with no series of its own).
    pub(super) fn score_only(
        &mut self,
        key: &SeriesKey,
        window: &ServiceWindow,
        minutes: &[DateTime<Utc>],
    ) -> Score {
        let (observed, expected) = self.window_of(key, window, minutes);
        let dispersion = self.series_mut(key).dispersion();
        score(observed, expected, dispersion, &self.cfg)
    }

    /// The state of one of `service`'s series (ok when it has none).
    pub(super) fn state_of(&self, service: &str, scope: Scope) -> State {
        self.series
            .get(&(service.to_owned(), scope))
            .map_or(State::Ok, |s| s.tracker().state)
    }

    /// Judges every series of one service (global, and each country with a baseline of its
    /// own): scores them and steps their state machines.
    fn judge_service(
        &mut self,
        window: &ServiceWindow,
        minutes: &[DateTime<Utc>],
        at: DateTime<Utc>,
        report: &mut TickReport,
        changed: &mut Vec<SavedTracker>,
    ) -> HashMap<Scope, Score> {
        let service = &window.service;
        let mut keys: Vec<SeriesKey> = vec![(service.clone(), Scope::Global)];
        if let Some(countries) = self.countries.get(service) {
            keys.extend(
                countries
                    .iter()
                    .map(|c| (service.clone(), Scope::Country(*c))),
            );
        }
        let mut scores = HashMap::with_capacity(keys.len());
        for key in keys {
            let (observed, expected) = self.window_of(&key, window, minutes);
            let series = self.series_mut(&key);
            let before = series.tracker().clone();
            let judged = series.judge(at, observed, expected);
            if let Some(t) = judged.transition {
                report.transitions += 1;
                report.events.push(LiveEvent {
                    kind: LiveEventKind::StateChanged,
                    service: key.0.clone(),
                    scope: key.1,
                    incident_id: None,
                    state: t.to,
                    at,
                    outage_id: None,
                    official: None,
                });
                info!(service = %key.0, scope = %key.1, from = ?t.from, to = ?t.to, "state changed");
            }
            if *series.tracker() != before {
                if let Ok(json) = serde_json::to_value(series.tracker()) {
                    changed.push(SavedTracker {
                        service: key.0.clone(),
                        scope: key.1,
                        state: json,
                    });
                }
            }
            report.series += 1;
            scores.insert(key.1, judged.score);
        }
        scores
    }

    /// One service at one tick: judge its series, decide which scopes have an incident, write
    /// the incidents, and say how the service is doing.
    async fn evaluate(
        &mut self,
        window: &ServiceWindow,
        minutes: &[DateTime<Utc>],
        at: DateTime<Utc>,
        report: &mut TickReport,
        changed: &mut Vec<SavedTracker>,
    ) -> Result<(), StoreError> {
        let service = window.service.clone();
        let scores = self.judge_service(window, minutes, at, report, changed);
        let countries: Vec<(CountryCode, State)> = self
            .countries
            .get(&service)
            .map(|cs| {
                cs.iter()
                    .map(|c| (*c, self.state_of(&service, Scope::Country(*c))))
                    .collect()
            })
            .unwrap_or_default();
        let open_scopes: Vec<Scope> = self
            .open
            .keys()
            .filter(|k| k.0 == service)
            .map(|k| k.1)
            .collect();
        let active = active_scopes(&ScopeInputs {
            window,
            global_state: self.state_of(&service, Scope::Global),
            global_score: scores.get(&Scope::Global),
            countries: &countries,
            open_scopes: &open_scopes,
            min_reporters: self.cfg.possible.min_reporters,
        });
        self.write_incidents(window, minutes, at, &active, &scores, report)
            .await?;

        let global = scores
            .get(&Scope::Global)
            .copied()
            .unwrap_or_else(|| score(0.0, 0.0, self.cfg.dispersion_prior, &self.cfg));
        let tracker = self
            .series
            .get(&(service.clone(), Scope::Global))
            .map(|s| s.tracker().clone())
            .unwrap_or_default();
        report.statuses.push(ServiceStatus {
            service: service.clone(),
            state: tracker.state,
            since: tracker.since,
            reports: scoped_reports(window, Scope::Global),
            expected: global.expected,
            ratio: global.ratio,
            score: global.anomaly,
            window_minutes: self.cfg.window_minutes,
            at,
            open_incidents: self
                .open
                .iter()
                .filter(|(k, _)| k.0 == service)
                .map(|(_, o)| o.id)
                .collect(),
        });
        Ok(())
    }
}
