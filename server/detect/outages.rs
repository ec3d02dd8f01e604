//! Outage events at the detector's tick: after the incidents of a minute are written, the
//! services in incident become [`Candidate`]s for the [`Grouper`] (their last half hour of
//! reports against normal, the providers the catalog names, the network and countries their
//! reports come from), and what the grouper decides is saved (an upsert: idempotent across a
//! change of leader) and published as live events.
//!
//! How often incidents open at an ordinary time (the [`BackgroundRate`] grouping is judged
//! against) is learnt from the last four weeks of incidents, again every six hours.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use tracing::{info, warn};

use super::tick::{Detector, TickReport};
use crate::catalog::CatalogCache;
use crate::domain::{Scope, Severity as IncidentSeverity};
use crate::outage::{
    BackgroundRate, Candidate, CountryShare, EventChange, Grouper, GroupingConfig, MinuteSeries,
    NetworkShare, ProviderStats, Severity,
};
use crate::store::{
    IncidentEventKind, LiveEvent, LiveEventKind, OpenIncident, ServiceWindow, StoreError,
};

/// Minutes of reports each candidate brings (its onset and what came before it).
const SERIES_MINUTES: i64 = 30;
/// How far back incident onsets teach the background rate.
const BACKGROUND_DAYS: i64 = 28;
/// How often the background rate and the dependency statistics are learnt again.
const RELEARN_EVERY: TimeDelta = TimeDelta::hours(6);
/// Shares of a service's reports below which a network or country is not named.
const MIN_SHARE: f64 = 0.05;

/// What the detector keeps for grouping between ticks.
pub struct Outages {
    grouper: Grouper,
    catalog: Option<Arc<CatalogCache>>,
    learnt_at: Option<DateTime<Utc>>,
    catalog_size: usize,
}

impl Outages {
    pub fn new(catalog: Option<Arc<CatalogCache>>) -> Self {
        Self {
            grouper: Grouper::new(
                GroupingConfig::default(),
                BackgroundRate::default(),
                ProviderStats::default(),
            ),
            catalog,
            learnt_at: None,
            catalog_size: 0,
        }
    }

    /// The open events (for tests and logs).
    pub fn grouper(&self) -> &Grouper {
        &self.grouper
    }
}

impl Detector {
    /// Takes over the open events from the store (after becoming leader).
    pub(super) async fn resume_outages(&mut self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let open = self.store.open_outages().await?;
        self.outages.grouper.resume(now, open);
        Ok(())
    }

    /// Groups the services in incident at `at` into outage events; saves and publishes what
    /// changed.
    pub(super) async fn group_outages(
        &mut self,
        at: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        self.relearn_outages(at, report.services).await?;
        let candidates = self.candidates(at).await?;
        let changes = self
            .outages
            .grouper
            .observe(at, report.services, &candidates);
        for change in &changes {
            let event = change.event();
            self.store.save_outage(event, at).await?;
            let (kind, logged) = match change {
                EventChange::Opened { .. } => {
                    (LiveEventKind::OutageOpened, IncidentEventKind::OutageOpened)
                }
                EventChange::Grew { .. } => {
                    (LiveEventKind::OutageGrew, IncidentEventKind::OutageGrew)
                }
                EventChange::Updated { .. } => (
                    LiveEventKind::OutageUpdated,
                    IncidentEventKind::OutageUpdated,
                ),
                EventChange::Closed { .. } => (
                    LiveEventKind::OutageResolved,
                    IncidentEventKind::OutageResolved,
                ),
            };
            self.store.log_outage_change(event, logged, at).await?;
            if matches!(change, EventChange::Opened { .. }) {
                info!(
                    outage = event.id,
                    members = event.members.len(),
                    cause = ?event.top_cause().map(|c| &c.cause),
                    "outage event opened"
                );
            }
            let first = event.members.first();
            report.events.push(LiveEvent {
                kind,
                service: first.map(|m| m.service.clone()).unwrap_or_default(),
                scope: Scope::Global,
                incident_id: first.map(|m| m.incident_id),
                state: crate::domain::State::Problems,
                at,
                outage_id: Some(event.id),
                official: None,
            });
            report.outages.push(event.id);
        }
        Ok(())
    }

    /// Learns the background rate of onsets and the catalog's dependency statistics again
    /// when due (or when the catalog changed size).
    async fn relearn_outages(
        &mut self,
        at: DateTime<Utc>,
        active: usize,
    ) -> Result<(), StoreError> {
        let due = self
            .outages
            .learnt_at
            .is_none_or(|t| at - t >= RELEARN_EVERY);
        // The catalog is copied only when its statistics are relearnt, not every tick.
        let size = self.outages.catalog.as_ref().map_or(0, |c| c.len());
        if size != self.outages.catalog_size || due {
            let catalog = self
                .outages
                .catalog
                .as_ref()
                .map(|c| c.all())
                .unwrap_or_default();
            self.outages.catalog_size = catalog.len();
            let stats = ProviderStats::from_catalog(catalog.iter().map(|s| s.as_ref()));
            self.outages.grouper.set_provider_stats(stats);
        }
        if !due {
            return Ok(());
        }
        self.outages.learnt_at = Some(at);
        let from = at - TimeDelta::days(BACKGROUND_DAYS);
        let periods = self.store.incident_periods(from).await?;
        // One onset per service and minute, whatever its scopes.
        let onsets: HashSet<(String, DateTime<Utc>)> = periods
            .into_iter()
            .map(|p| (p.service, crate::store::minute_of(p.started_at)))
            .collect();
        let onsets: Vec<DateTime<Utc>> = onsets.into_iter().map(|(_, t)| t).collect();
        let first = self.history_start.unwrap_or(from).max(from);
        let rate = BackgroundRate::estimate(&onsets, first, at, active.max(1) as f64);
        self.outages.grouper.set_background(rate);
        Ok(())
    }

    /// One candidate per service in incident: its global incident, else its earliest
    /// country incident.
    async fn candidates(&mut self, at: DateTime<Utc>) -> Result<Vec<Candidate>, StoreError> {
        let mut chosen: HashMap<String, OpenIncident> = HashMap::new();
        for incident in self.open.values() {
            let better = chosen.get(&incident.service).is_none_or(|c| {
                (!c.scope.is_global() && incident.scope.is_global())
                    || (c.scope.is_global() == incident.scope.is_global()
                        && (incident.started_at, incident.id) < (c.started_at, c.id))
            });
            if better {
                chosen.insert(incident.service.clone(), incident.clone());
            }
        }
        if chosen.is_empty() {
            return Ok(Vec::new());
        }
        let end = crate::store::minute_of(at);
        let minutes: Vec<DateTime<Utc>> = (1..=SERIES_MINUTES)
            .rev()
            .map(|i| end - TimeDelta::minutes(i))
            .collect();
        let mut services: Vec<String> = chosen.keys().cloned().collect();
        services.sort();
        let windows = self.buckets.windows(&services, &minutes).await?;
        let asns: HashSet<i32> = windows
            .iter()
            .flat_map(|w| w.fields.keys())
            .filter_map(|f| f.strip_prefix("asn:").and_then(|a| a.parse().ok()))
            .collect();
        let orgs = match self.network_names(asns, at).await {
            Ok(orgs) => orgs,
            Err(e) => {
                warn!(error = %e, "cannot name networks for outage events");
                HashMap::new()
            }
        };
        let mut out = Vec::with_capacity(windows.len());
        for window in &windows {
            let Some(incident) = chosen.get(&window.service) else {
                continue;
            };
            out.push(self.candidate(window, incident, &minutes, &orgs));
        }
        Ok(out)
    }

    fn candidate(
        &mut self,
        window: &ServiceWindow,
        incident: &OpenIncident,
        minutes: &[DateTime<Utc>],
        orgs: &HashMap<i32, String>,
    ) -> Candidate {
        let series = self.series_mut(&(window.service.clone(), Scope::Global));
        let expected = minutes.iter().map(|m| series.expected(*m, 1)).collect();
        let observed = window.per_minute.iter().map(|n| *n as f64).collect();
        let service = self
            .outages
            .catalog
            .as_ref()
            .and_then(|c| c.get(&window.service));
        let countries = shares(window, "cc:");
        let network = shares(window, "asn:").into_iter().next().and_then(|top| {
            let asn: u32 = top.0.parse().ok()?;
            Some(NetworkShare {
                asn,
                org: i32::try_from(asn)
                    .ok()
                    .and_then(|a| orgs.get(&a).cloned())
                    .unwrap_or_default(),
                country: countries
                    .first()
                    .filter(|c| c.1 >= 0.5)
                    .map(|c| c.0.clone()),
                share: top.1,
            })
        });
        Candidate {
            service: window.service.clone(),
            incident_id: incident.id,
            onset: incident.started_at,
            severity: match incident.severity {
                IncidentSeverity::Problems => Severity::Problems,
                IncidentSeverity::PossibleProblems => Severity::PossibleProblems,
            },
            series: MinuteSeries {
                start: minutes.first().copied().unwrap_or(incident.started_at),
                observed,
                expected,
            },
            depends_on: service
                .as_ref()
                .map(|s| s.depends_on.clone())
                .unwrap_or_default(),
            network,
            countries: countries
                .into_iter()
                .map(|(code, share)| CountryShare { code, share })
                .collect(),
            home_country: service.and_then(|s| s.country.clone()),
        }
    }
}

/// The `prefix:*` counters of a window as shares of their sum, largest first, those of at
/// least [`MIN_SHARE`] (`ZZ`, an unknown country, left out).
fn shares(window: &ServiceWindow, prefix: &str) -> Vec<(String, f64)> {
    let rows: Vec<(&str, i64)> = window
        .fields
        .iter()
        .filter_map(|(f, n)| f.strip_prefix(prefix).map(|k| (k, *n)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let total: i64 = rows.iter().map(|(_, n)| n).sum();
    let mut out: Vec<(String, f64)> = rows
        .into_iter()
        .filter(|(k, _)| *k != "ZZ")
        .map(|(k, n)| (k.to_owned(), n as f64 / total.max(1) as f64))
        .filter(|(_, s)| *s >= MIN_SHARE)
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}
