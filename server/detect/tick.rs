//! The detector at work: every minute, for every active service and every service × country
//! with enough history, compare the last window of minute buckets with the baseline, step the
//! state machines, and open, escalate, update or resolve incidents.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tracing::{debug, info};

use super::baseline::{push_quarters, Baseline};
use super::config::{DetectConfig, METHODOLOGY_VERSION};
use super::damping::damped_total;
use super::evidence::{evidence, scoped_reports, scoped_subnets};
use super::score::{score, Score};
use super::state::{State, Tracker};
use crate::store::{
    minute_of, quarter_of, BucketStore, DetectorStore, IncidentTick, LiveEvent, OpenIncident,
    RollupStore, ServiceStatus, ServiceWindow, StatusBoard, StoreError,
};

/// The series of one service: `global`, or one country.
pub type SeriesKey = (String, String);

/// Share of a global surge's excess above which it is attributed to one country.
const ONE_COUNTRY_SHARE: f64 = 0.8;
/// A country gets its own series once its history holds this many counted reports.
const COUNTRY_MIN_HISTORY_REPORTS: i64 = 50;
/// How long an active service stays on the detector's list after its last report.
const ACTIVE_FOR: TimeDelta = TimeDelta::hours(2);
/// Samples of an incident's first hours are kept out of the baseline; past this, the new
/// level is learnt, so that a lasting change of volume cannot keep an incident open forever.
const EXCLUDE_INCIDENT_FOR: TimeDelta = TimeDelta::hours(6);
/// Minutes between two `updated` events of one incident.
const UPDATE_EVERY_MINUTES: i64 = 5;

/// What one tick did, for logs, tests and benchmarks.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct TickReport {
    pub services: usize,
    pub series: usize,
    pub opened: Vec<i64>,
    pub escalated: Vec<i64>,
    pub resolved: Vec<i64>,
    pub transitions: usize,
    /// What the tick tells readers: one status per service, events of what changed.
    pub statuses: Vec<ServiceStatus>,
    pub events: Vec<LiveEvent>,
}

struct Series {
    baseline: Baseline,
    tracker: Tracker,
}

/// The detector state a leader keeps between ticks.
pub struct Detector {
    cfg: DetectConfig,
    store: Box<dyn DetectorStore>,
    buckets: Arc<dyn BucketStore>,
    rollups: Arc<dyn RollupStore>,
    board: Arc<dyn StatusBoard>,
    series: HashMap<SeriesKey, Series>,
    /// The country scopes with a series, per service.
    countries: HashMap<String, Vec<String>>,
    open: HashMap<SeriesKey, OpenIncident>,
    /// Baselines hold the rollups of every quarter before this.
    learnt_to: Option<DateTime<Utc>>,
    /// The first quarter of history Downwatch has (its deployment, or `history_days` ago):
    /// a series without reports since then was quiet, not unknown.
    history_start: Option<DateTime<Utc>>,
    last_update: HashMap<i64, DateTime<Utc>>,
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
            open: HashMap::new(),
            learnt_to: None,
            history_start: None,
            last_update: HashMap::new(),
        }
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
        for (service, scope, tracker) in self.store.load_trackers().await? {
            if let Ok(tracker) = serde_json::from_value::<Tracker>(tracker) {
                self.series_mut(&(service, scope)).tracker = tracker;
            }
        }
        for incident in self.store.open_incidents().await? {
            self.open
                .insert((incident.service.clone(), incident.scope.clone()), incident);
        }
        Ok(())
    }

    /// The series of `key`; a new one has been quiet since the history started.
    fn series_mut(&mut self, key: &SeriesKey) -> &mut Series {
        let cfg = &self.cfg;
        let (start, end) = (self.history_start, self.learnt_to);
        if key.1 != "global" && !self.series.contains_key(key) {
            self.countries
                .entry(key.0.clone())
                .or_default()
                .push(key.1.clone());
        }
        self.series.entry(key.clone()).or_insert_with(|| {
            let mut baseline = Baseline::new(cfg);
            if let (Some(start), Some(end)) = (start, end) {
                push_quiet(&mut baseline, start, end);
            }
            Series {
                baseline,
                tracker: Tracker::new(),
            }
        })
    }

    /// Feeds the baselines with every complete quarter of rollups not learnt yet.
    pub async fn learn(&mut self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        // Only quarters the rollups hold completely (they lag the clock by a minute).
        let to = quarter_of(now - TimeDelta::minutes(2));
        let from = match self.learnt_to {
            Some(t) if t >= to => return Ok(0),
            Some(t) => t,
            None => to - TimeDelta::days(i64::from(self.cfg.history_days)),
        };
        let rows = self.rollups.history(None, from, to).await?;
        if self.history_start.is_none() {
            match rows.iter().map(|r| r.bucket).min() {
                Some(first) => self.history_start = Some(first),
                // No history at all yet: wait for the first rollups.
                None => return Ok(0),
            }
        }
        let start = self.history_start.unwrap_or(from).max(from);
        let periods = self.store.incident_periods(from).await?;
        let in_incident = |service: &str, scope: &str, t: DateTime<Utc>| {
            periods.iter().any(|(s, sc, begin, end)| {
                let end = end.map_or(*begin + EXCLUDE_INCIDENT_FOR, |e| {
                    e.min(*begin + EXCLUDE_INCIDENT_FOR)
                });
                s == service
                    && (sc == scope || sc == "global")
                    && t + TimeDelta::minutes(15) > *begin
                    && t < end
            })
        };
        // Per series, the counted reports of each quarter (absent quarters had none).
        let mut per_series: HashMap<SeriesKey, HashMap<DateTime<Utc>, i64>> = HashMap::new();
        let mut country_volume: HashMap<SeriesKey, i64> = HashMap::new();
        for row in &rows {
            let n = i64::from(row.reports);
            *per_series
                .entry((row.service.clone(), "global".into()))
                .or_default()
                .entry(row.bucket)
                .or_default() += n;
            if row.country != "ZZ" {
                let key = (row.service.clone(), row.country.clone());
                *per_series
                    .entry(key.clone())
                    .or_default()
                    .entry(row.bucket)
                    .or_default() += n;
                *country_volume.entry(key).or_default() += n;
            }
        }
        let mut learnt = 0;
        let mut fed: HashSet<SeriesKey> = HashSet::with_capacity(per_series.len());
        for (key, quarters) in per_series {
            let known = self.series.contains_key(&key);
            let enough = key.1 == "global"
                || country_volume.get(&key).copied().unwrap_or(0) >= COUNTRY_MIN_HISTORY_REPORTS;
            if !known && !enough {
                continue;
            }
            let series = self.series_mut(&key);
            push_quarters(
                &mut series.baseline,
                start,
                to,
                |t| quarters.get(&t).copied().unwrap_or(0) as f64,
                |t| in_incident(&key.0, &key.1, t),
            );
            learnt += 1;
            fed.insert(key);
        }
        // Known series without reports in the period still learn that it was quiet.
        let quiet: Vec<SeriesKey> = self
            .series
            .keys()
            .filter(|k| !fed.contains(*k))
            .cloned()
            .collect();
        for key in quiet {
            push_quiet(&mut self.series_mut(&key).baseline, start, to);
        }
        self.learnt_to = Some(to);
        Ok(learnt)
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
            if series.tracker.state != State::Ok {
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
        let mut changed: Vec<(String, String, serde_json::Value)> = Vec::new();
        for window in &windows {
            self.evaluate(window, &minutes, at, &mut report, &mut changed)
                .await?;
        }
        if !changed.is_empty() {
            self.store.save_trackers(&changed, at).await?;
        }
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

    fn score_series(
        &mut self,
        key: &SeriesKey,
        window: &ServiceWindow,
        minutes: &[DateTime<Utc>],
    ) -> Score {
        let cap = self.cfg.subnet_cap;
        let observed = damped_total(scoped_subnets(window, &key.1), cap);
        let series = self.series_mut(key);
        let expected: f64 = minutes
            .iter()
            .map(|m| series.baseline.expected_per_minute(*m))
            .sum();
        score(observed, expected, &self.cfg)
    }

    async fn evaluate(
        &mut self,
        window: &ServiceWindow,
        minutes: &[DateTime<Utc>],
        at: DateTime<Utc>,
        report: &mut TickReport,
        changed: &mut Vec<(String, String, serde_json::Value)>,
    ) -> Result<(), StoreError> {
        let service = window.service.clone();
        // The series to score: global, and each country that has a baseline of its own or
        // is in a non-ok state.
        let mut keys: Vec<SeriesKey> = vec![(service.clone(), "global".to_owned())];
        if let Some(countries) = self.countries.get(&service) {
            keys.extend(countries.iter().map(|c| (service.clone(), c.clone())));
        }
        let mut scores: HashMap<String, Score> = HashMap::new();
        for key in &keys {
            let s = self.score_series(key, window, minutes);
            let cfg = self.cfg.clone();
            let series = self.series_mut(key);
            // A series is judged once it has enough history to say what is normal.
            if series.baseline.minutes_of_history() < u64::from(cfg.warmup_minutes) {
                report.series += 1;
                scores.insert(key.1.clone(), s);
                continue;
            }
            let before = series.tracker.clone();
            if let Some(t) = series.tracker.step(at, &s, &cfg) {
                report.transitions += 1;
                report.events.push(LiveEvent {
                    kind: "state-changed".into(),
                    service: key.0.clone(),
                    scope: key.1.clone(),
                    incident_id: None,
                    state: t.to.as_str().into(),
                    at,
                });
                info!(service = %key.0, scope = %key.1, from = ?before.state, to = ?series.tracker.state, "state changed");
            }
            if series.tracker != before {
                if let Ok(json) = serde_json::to_value(&series.tracker) {
                    changed.push((key.0.clone(), key.1.clone(), json));
                }
            }
            report.series += 1;
            scores.insert(key.1.clone(), s);
        }

        // Which scopes have an incident now.
        let state_of = |d: &Self, scope: &str| {
            d.series
                .get(&(service.clone(), scope.to_owned()))
                .map_or(State::Ok, |s| s.tracker.state)
        };
        let global_state = state_of(self, "global");
        let global_excess = scores
            .get("global")
            .map_or(0.0, |s| (s.observed - s.expected).max(0.0));
        let min_reporters = self.cfg.possible.min_reporters;
        let attributed = if global_state != State::Ok {
            let total = scoped_reports(window, "global").max(1) as f64;
            window
                .fields
                .iter()
                .filter_map(|(f, n)| f.strip_prefix("cc:").map(|c| (c.to_owned(), *n as f64)))
                // One country carries the surge, with enough reports of its own to say so.
                .filter(|(_, n)| {
                    *n >= min_reporters && *n >= ONE_COUNTRY_SHARE * total.max(global_excess)
                })
                .map(|(c, _)| c)
                .next()
        } else {
            None
        };
        // While the service is not ok, an open incident keeps its scope: re-deciding it every
        // minute would close and reopen incidents around the one-country threshold, and in
        // the calm minutes before the state returns to ok.
        let open_scope = {
            let mut open: Vec<&String> = self
                .open
                .keys()
                .filter(|k| k.0 == service)
                .map(|k| &k.1)
                .collect();
            open.sort_by_key(|s| *s != "global");
            open.first().map(|s| (*s).clone())
        };
        let mut active: HashMap<String, State> = HashMap::new();
        match (&open_scope, &attributed, global_state) {
            (_, _, State::Ok) => {}
            (Some(scope), _, s) if scope == "global" => {
                active.insert("global".into(), s);
            }
            (Some(c), _, s) => {
                active.insert(c.clone(), worse(s, state_of(self, c)));
            }
            (None, None, s) => {
                active.insert("global".into(), s);
            }
            (None, Some(c), s) => {
                active.insert(c.clone(), worse(s, state_of(self, c)));
            }
        }
        if global_state == State::Ok {
            for key in keys.iter().filter(|k| k.1 != "global") {
                let s = state_of(self, &key.1);
                if s != State::Ok {
                    active.insert(key.1.clone(), s);
                }
            }
        }

        // Apply: open / escalate / update / resolve.
        let scopes: HashSet<String> = active
            .keys()
            .cloned()
            .chain(
                self.open
                    .keys()
                    .filter(|k| k.0 == service)
                    .map(|k| k.1.clone()),
            )
            .collect();
        let mut orgs: Option<HashMap<i32, String>> = None;
        for scope in scopes {
            let key = (service.clone(), scope.clone());
            let s = match scores.get(&scope) {
                Some(s) => *s,
                None => self.score_series(&key, window, minutes),
            };
            if orgs.is_none() {
                let asns: Vec<i32> = window
                    .fields
                    .keys()
                    .filter_map(|f| f.strip_prefix("asn:").and_then(|a| a.parse().ok()))
                    .collect();
                orgs = Some(self.store.as_orgs(&asns).await?.into_iter().collect());
            }
            let tick = IncidentTick {
                service: service.clone(),
                scope: scope.clone(),
                severity: active
                    .get(&scope)
                    .copied()
                    .unwrap_or(State::PossibleProblems)
                    .as_str()
                    .to_owned(),
                at,
                observed: s.observed,
                expected: s.expected,
                score: s.anomaly,
                evidence: evidence(
                    window,
                    &scope,
                    &s,
                    &self.cfg,
                    orgs.as_ref().unwrap_or(&HashMap::new()),
                ),
            };
            match (active.get(&scope), self.open.get(&key).cloned()) {
                (Some(_), None) => {
                    let opened = self.store.open_incident(&tick, METHODOLOGY_VERSION).await?;
                    info!(service = %service, scope = %scope, incident = opened.id, severity = %tick.severity, "incident opened");
                    report.opened.push(opened.id);
                    report
                        .events
                        .push(incident_event("incident-opened", &tick, opened.id));
                    self.last_update.insert(opened.id, at);
                    self.open.insert(key, opened);
                }
                (Some(state), Some(open)) => {
                    let escalated = *state == State::Problems && open.severity != "problems";
                    let last = self.last_update.get(&open.id).copied();
                    let event = escalated
                        || last.is_none_or(|l| at - l >= TimeDelta::minutes(UPDATE_EVERY_MINUTES));
                    self.store
                        .update_incident(open.id, &tick, escalated, event)
                        .await?;
                    if escalated {
                        info!(service = %service, scope = %scope, incident = open.id, "incident escalated");
                        report.escalated.push(open.id);
                        report
                            .events
                            .push(incident_event("incident-escalated", &tick, open.id));
                    }
                    if event {
                        self.last_update.insert(open.id, at);
                    }
                    if let Some(o) = self.open.get_mut(&key) {
                        if escalated {
                            o.severity = "problems".into();
                        }
                        o.peak_observed = o.peak_observed.max(s.observed);
                    }
                }
                (None, Some(open)) => {
                    self.store.resolve_incident(open.id, &tick).await?;
                    info!(service = %service, scope = %scope, incident = open.id, "incident resolved");
                    report.resolved.push(open.id);
                    let mut resolved = incident_event("incident-resolved", &tick, open.id);
                    resolved.state = State::Ok.as_str().into();
                    report.events.push(resolved);
                    self.open.remove(&key);
                    self.last_update.remove(&open.id);
                }
                (None, None) => {}
            }
        }

        let global = scores
            .get("global")
            .copied()
            .unwrap_or_else(|| score(0.0, 0.0, &self.cfg));
        let tracker = self
            .series
            .get(&(service.clone(), "global".to_owned()))
            .map(|s| s.tracker.clone())
            .unwrap_or_default();
        report.statuses.push(ServiceStatus {
            service: service.clone(),
            state: tracker.state.as_str().into(),
            since: tracker.since,
            reports: scoped_reports(window, "global"),
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

/// The more severe of two states.
fn worse(a: State, b: State) -> State {
    let rank = |s: State| match s {
        State::Ok => 0,
        State::PossibleProblems => 1,
        State::Problems => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

/// Teaches `baseline` that `[from, to)` had no reports.
fn push_quiet(baseline: &mut Baseline, from: DateTime<Utc>, to: DateTime<Utc>) {
    push_quarters(baseline, from, to, |_| 0.0, |_| false);
}

fn incident_event(kind: &str, tick: &IncidentTick, id: i64) -> LiveEvent {
    LiveEvent {
        kind: kind.into(),
        service: tick.service.clone(),
        scope: tick.scope.clone(),
        incident_id: Some(id),
        state: tick.severity.clone(),
        at: tick.at,
    }
}
