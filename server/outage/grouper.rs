//! The incremental engine the detector's leader calls every minute: [`Grouper::observe`]
//! takes the services in incident now and says which events opened, grew, changed or
//! closed. Open events are kept between calls; an event closes when its last member
//! resolves.
//!
//! Each minute, in order:
//! 1. members' incidents are brought up to date (new minutes of reports, severity) or marked
//!    resolved when no longer in incident; an event whose members all resolved closes;
//! 2. incidents explained by an open event's likely cause (confidence ≥ 0.5) join it when
//!    they opened at most `join_minutes` after its last onset — or, for the provider named as
//!    the cause, up to `provider_lead_minutes` before its start;
//! 3. incidents whose onset is close to a member's (and within `max_span_minutes` of the
//!    event's start) and whose shape follows the event's (the median of the members' shapes)
//!    join it, when nothing else explains them;
//! 4. the remaining recent incidents may form new events ([`super::grouping`]);
//! 5. incidents left over that have a provider or a network of their own, which the event
//!    does not share, join by onset and shape as in 3 once they have waited `hold_minutes`:
//!    time for a second outage starting at the same time to form its own event;
//! 6. causes are ranked again, and changes reported.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::background::BackgroundRate;
use super::causes::{explains, Profile};
use super::config::GroupingConfig;
use super::deps::ProviderStats;
use super::grouping::{self, Context, Prepared};
use super::shape::correlation;
use super::tracked::Tracked;
use super::types::{minutes, Candidate, EventChange, OutageEvent};

/// Groups incidents into outage events, minute after minute.
#[derive(Debug, Clone)]
pub struct Grouper {
    cfg: GroupingConfig,
    background: BackgroundRate,
    stats: ProviderStats,
    events: Vec<Tracked>,
}

impl Grouper {
    /// A grouper with no open event.
    pub fn new(cfg: GroupingConfig, background: BackgroundRate, stats: ProviderStats) -> Self {
        Self {
            cfg,
            background,
            stats,
            events: Vec::new(),
        }
    }

    /// Replaces the background rate (relearnt from history now and then).
    pub fn set_background(&mut self, background: BackgroundRate) {
        self.background = background;
    }

    /// Replaces the dependency statistics (after the catalog changed).
    pub fn set_provider_stats(&mut self, stats: ProviderStats) {
        self.stats = stats;
    }

    /// Takes over open events from the store after becoming leader, so that they keep their
    /// ids and members. Closed events (with an `end`) are ignored.
    pub fn resume(&mut self, now: DateTime<Utc>, events: impl IntoIterator<Item = OutageEvent>) {
        for event in events {
            if event.end.is_none() && !self.events.iter().any(|t| t.event.id == event.id) {
                self.events.push(Tracked::resume(now, event));
            }
        }
    }

    /// The open events.
    pub fn open_events(&self) -> impl Iterator<Item = &OutageEvent> {
        self.events.iter().map(|t| &t.event)
    }

    /// The open event an incident belongs to.
    pub fn event_of(&self, incident_id: i64) -> Option<&OutageEvent> {
        self.open_events().find(|e| e.has_incident(incident_id))
    }

    /// One minute: `candidates` are the services in incident now (one per service: further
    /// incidents of a service are ignored), `active_services` how many services the detector
    /// judges. Returns what changed.
    pub fn observe(
        &mut self,
        now: DateTime<Utc>,
        active_services: usize,
        candidates: &[Candidate],
    ) -> Vec<EventChange> {
        let members: HashSet<i64> = self
            .events
            .iter()
            .flat_map(|t| t.event.members.iter().map(|m| m.incident_id))
            .collect();
        let prepared = prepare(candidates, &members);
        let rises = self.provider_rises(&prepared);
        let mut changes = self.update_members(now, &prepared);

        let mut free: Vec<usize> = (0..prepared.len())
            .filter(|&i| !members.contains(&prepared[i].candidate.incident_id))
            .collect();
        for t in &mut self.events {
            free.retain(|&i| {
                let joins = joins_by_cause(t, &prepared[i], &self.cfg);
                if joins {
                    t.add(now, &prepared[i]);
                    t.added_now.push(prepared[i].candidate.incident_id);
                }
                !joins
            });
        }

        self.grow_by_timing(now, &prepared, &mut free, false);

        let horizon = now - minutes(self.cfg.formation_minutes);
        let pool: Vec<&Prepared<'_>> = free
            .iter()
            .map(|&i| &prepared[i])
            .filter(|p| p.onset() >= horizon)
            .collect();
        let ctx = Context {
            cfg: &self.cfg,
            background: self.background,
            active_services,
            stats: &self.stats,
            provider_rises: &rises,
        };
        let mut formed = HashSet::new();
        for group in grouping::form(&pool, &ctx) {
            let members: Vec<&Prepared<'_>> = group.iter().map(|&g| pool[g]).collect();
            formed.extend(members.iter().map(|p| p.candidate.incident_id));
            if let Some(t) = Tracked::open(now, &members) {
                self.events.push(t);
            }
        }
        free.retain(|&i| !formed.contains(&prepared[i].candidate.incident_id));
        self.grow_by_timing(now, &prepared, &mut free, true);

        for t in &mut self.events {
            t.recount();
            t.rerank(&rises, &self.stats, &self.cfg);
            let event = t.event.clone();
            if t.opened_now {
                t.news(now, &self.cfg, true);
                changes.push(EventChange::Opened { event });
            } else if !t.added_now.is_empty() {
                t.news(now, &self.cfg, true);
                let added = std::mem::take(&mut t.added_now);
                changes.push(EventChange::Grew { event, added });
            } else if t.news(now, &self.cfg, t.resolved_now) {
                changes.push(EventChange::Updated { event });
            }
            t.opened_now = false;
            t.added_now.clear();
            t.resolved_now = false;
        }
        changes
    }

    /// Adds the `free` incidents whose onset and shape follow an open event — those that
    /// nothing else explains, or (`held`) those whose own provider or network has had
    /// `hold_minutes` to show a second outage.
    fn grow_by_timing(
        &mut self,
        now: DateTime<Utc>,
        prepared: &[Prepared<'_>],
        free: &mut Vec<usize>,
        held: bool,
    ) {
        for t in &mut self.events {
            let Some(reference) = t.reference(&self.cfg) else {
                continue;
            };
            free.retain(|&i| {
                let p = &prepared[i];
                let ready = if held {
                    now - p.onset() >= minutes(self.cfg.hold_minutes)
                } else {
                    compatible(t, &p.profile, &self.cfg)
                };
                let joins = ready && follows(t, &reference, p, &self.cfg);
                if joins {
                    t.add(now, p);
                    t.added_now.push(p.candidate.incident_id);
                }
                !joins
            });
        }
    }

    /// Brings members up to date; closes (and drops) events whose members all resolved.
    fn update_members(
        &mut self,
        now: DateTime<Utc>,
        prepared: &[Prepared<'_>],
    ) -> Vec<EventChange> {
        let index: HashMap<i64, usize> = prepared
            .iter()
            .enumerate()
            .map(|(i, p)| (p.candidate.incident_id, i))
            .collect();
        let mut closed = Vec::new();
        for t in &mut self.events {
            for m in 0..t.event.members.len() {
                if t.event.members[m].resolved.is_some() {
                    continue;
                }
                match index.get(&t.event.members[m].incident_id) {
                    Some(&i) => t.refresh(m, &prepared[i]),
                    None => t.resolve(m, now),
                }
            }
        }
        self.events.retain_mut(|t| {
            if !t.is_over() {
                return true;
            }
            t.event.end = Some(now);
            t.recount();
            closed.push(EventChange::Closed {
                event: t.event.clone(),
            });
            false
        });
        closed
    }

    /// When the reports of each provider in incident rose.
    fn provider_rises(&self, prepared: &[Prepared<'_>]) -> HashMap<String, DateTime<Utc>> {
        let mut rises = HashMap::new();
        for p in prepared {
            if self.stats.is_provider(&p.candidate.service) {
                rises.insert(p.candidate.service.clone(), p.profile.rise);
            }
        }
        rises
    }
}

/// One prepared candidate per service: an incident already in an event first, then the
/// earliest onset.
fn prepare<'a>(candidates: &'a [Candidate], members: &HashSet<i64>) -> Vec<Prepared<'a>> {
    let mut order: Vec<&Candidate> = candidates.iter().collect();
    order.sort_by_key(|c| (!members.contains(&c.incident_id), c.onset, c.incident_id));
    let mut seen = HashSet::new();
    order
        .into_iter()
        .filter(|c| seen.insert(c.service.as_str()))
        .map(Prepared::new)
        .collect()
}

/// Whether an incident joins `t` because the event's likely cause explains it.
fn joins_by_cause(t: &Tracked, p: &Prepared<'_>, cfg: &GroupingConfig) -> bool {
    let Some(top) = t.event.top_cause() else {
        return false;
    };
    if top.confidence < cfg.join_confidence || !explains(&top.cause, &p.profile, cfg) {
        return false;
    }
    let is_provider =
        matches!(&top.cause, super::CauseKind::Provider { slug } if *slug == p.candidate.service);
    let lead = if is_provider {
        cfg.provider_lead_minutes
    } else {
        cfg.onset_gap_minutes
    };
    p.onset() >= t.event.start - minutes(lead)
        && p.onset() <= t.last_onset + minutes(cfg.join_minutes)
}

/// Whether an incident's onset is close to a member's, within `max_span_minutes` of the
/// event's start (so that ordinary incidents cannot chain onto an event for ever), and its
/// shape follows the event's.
fn follows(
    t: &Tracked,
    reference: &(DateTime<Utc>, Vec<f64>),
    p: &Prepared<'_>,
    cfg: &GroupingConfig,
) -> bool {
    let close = (p.onset() - t.event.start).num_minutes() <= cfg.max_span_minutes
        && t.event
            .members
            .iter()
            .any(|m| (p.onset() - m.onset).num_minutes().abs() <= cfg.onset_gap_minutes);
    let (from, shape) = reference;
    let to = *from + minutes(shape.len() as i64);
    close
        && p.shape
            .slice(*from, to)
            .and_then(|s| correlation(s, shape))
            .is_some_and(|r| r >= cfg.min_correlation)
}

/// Whether nothing but the event explains a member: it has no documented provider, or shares
/// one with a quarter of the members; its reports are not concentrated on a network, or on
/// one a quarter of the members share; or the event's likely cause explains it.
fn compatible(t: &Tracked, p: &Profile, cfg: &GroupingConfig) -> bool {
    if t.event
        .top_cause()
        .is_some_and(|c| explains(&c.cause, p, cfg))
    {
        return true;
    }
    let enough = cfg.split_overlap * t.profiles.len() as f64;
    let shared = |pred: &dyn Fn(&Profile) -> bool| {
        t.profiles.iter().filter(|q| pred(q)).count() as f64 >= enough
    };
    let providers_ok = p.depends_on.is_empty()
        || p.depends_on
            .iter()
            .any(|d| shared(&|q| q.service == *d || q.depends_on.contains(d)));
    let network_ok = match p.network.as_ref().filter(|n| n.share >= cfg.network_share) {
        None => true,
        Some(net) => shared(&|q| {
            q.network
                .as_ref()
                .is_some_and(|n| n.asn == net.asn && n.share >= cfg.network_share)
        }),
    };
    providers_ok && network_ok
}
