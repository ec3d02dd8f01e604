//! The detector's writes: open, escalate, update or resolve the incidents of one service, given
//! the scopes that have one now ([`super::scope`]), each with its evidence.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use tracing::info;

use super::evidence::evidence;
use super::score::Score;
use super::state::State;
use super::tick::{Detector, TickReport};
use crate::domain::{Scope, Severity};
use crate::store::{IncidentTick, LiveEvent, LiveEventKind, ServiceWindow, StoreError};

/// Minutes between two `updated` events of one incident.
const UPDATE_EVERY_MINUTES: i64 = 5;

impl Detector {
    /// Brings the stored incidents of `window.service` in line with `active`.
    pub(super) async fn write_incidents(
        &mut self,
        window: &ServiceWindow,
        minutes: &[DateTime<Utc>],
        at: DateTime<Utc>,
        active: &HashMap<Scope, State>,
        scores: &HashMap<Scope, Score>,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        let service = window.service.clone();
        let scopes: HashSet<Scope> = active
            .keys()
            .copied()
            .chain(self.open.keys().filter(|k| k.0 == service).map(|k| k.1))
            .collect();
        if scopes.is_empty() {
            return Ok(());
        }
        let asns: Vec<i32> = window
            .fields
            .keys()
            .filter_map(|f| f.strip_prefix("asn:").and_then(|a| a.parse().ok()))
            .collect();
        let orgs: HashMap<i32, String> = self.network_names(asns, at).await?;
        for scope in scopes {
            let key = (service.clone(), scope);
            let s = match scores.get(&scope) {
                Some(s) => *s,
                None => self.score_only(&key, window, minutes),
            };
            let tick = IncidentTick {
                service: service.clone(),
                scope,
                severity: active
                    .get(&scope)
                    .and_then(|s| s.severity())
                    .unwrap_or(Severity::PossibleProblems),
                at,
                observed: s.observed,
                expected: s.expected,
                score: s.anomaly,
                evidence: evidence(window, scope, &s, &self.cfg, &orgs),
            };
            match (active.get(&scope), self.open.get(&key).cloned()) {
                (Some(_), None) => {
                    let method = self.cfg.method.as_str();
                    let opened = self.store.open_incident(&tick, method).await?;
                    info!(service = %service, scope = %scope, incident = opened.id, severity = %tick.severity, "incident opened");
                    report.opened.push(opened.id);
                    report.events.push(incident_event(
                        LiveEventKind::IncidentOpened,
                        &tick,
                        opened.id,
                    ));
                    self.last_update.insert(opened.id, at);
                    self.open.insert(key, opened);
                }
                (Some(state), Some(open)) => {
                    let escalated =
                        *state == State::Problems && open.severity != Severity::Problems;
                    let last = self.last_update.get(&open.id).copied();
                    let event = escalated
                        || last.is_none_or(|l| at - l >= TimeDelta::minutes(UPDATE_EVERY_MINUTES));
                    self.store
                        .update_incident(open.id, &tick, escalated, event)
                        .await?;
                    if escalated {
                        info!(service = %service, scope = %scope, incident = open.id, "incident escalated");
                        report.escalated.push(open.id);
                        report.events.push(incident_event(
                            LiveEventKind::IncidentEscalated,
                            &tick,
                            open.id,
                        ));
                    }
                    if event {
                        self.last_update.insert(open.id, at);
                    }
                    if let Some(o) = self.open.get_mut(&key) {
                        if escalated {
                            o.severity = Severity::Problems;
                        }
                        o.peak_observed = o.peak_observed.max(s.observed);
                    }
                }
                (None, Some(open)) => {
                    self.store.resolve_incident(open.id, &tick).await?;
                    info!(service = %service, scope = %scope, incident = open.id, "incident resolved");
                    report.resolved.push(open.id);
                    let mut resolved =
                        incident_event(LiveEventKind::IncidentResolved, &tick, open.id);
                    resolved.state = State::Ok;
                    report.events.push(resolved);
                    self.open.remove(&key);
                    self.last_update.remove(&open.id);
                }
                (None, None) => {}
            }
        }
        Ok(())
    }
}

fn incident_event(kind: LiveEventKind, tick: &IncidentTick, id: i64) -> LiveEvent {
    LiveEvent {
        kind,
        service: tick.service.clone(),
        scope: tick.scope,
        incident_id: Some(id),
        state: tick.severity.into(),
        at: tick.at,
        outage_id: None,
        official: None,
    }
}
