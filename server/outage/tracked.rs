//! One open event and the bookkeeping behind its numbers: reports per minute (for the peak)
//! and per country, each member's last counted minute, profile and shape, and what was last
//! published about it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::causes::{self, Profile};
use super::config::GroupingConfig;
use super::deps::ProviderStats;
use super::grouping::Prepared;
use super::shape::{median_shape, Shape};
use super::types::{minutes, CauseKind, CountryShare, Member, OutageEvent, Severity};

/// Countries under this share of an event's reports are not listed.
const MIN_COUNTRY_SHARE: f64 = 0.02;
/// Most countries listed.
const MAX_COUNTRIES: usize = 10;
/// A move of the top cause's confidence by this much is news.
const CONFIDENCE_STEP: f64 = 0.1;

/// An open event with its bookkeeping.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub event: OutageEvent,
    /// Parallel to `event.members`.
    pub profiles: Vec<Profile>,
    /// The latest shape of each open member (`None` once resolved, or not seen since a resume).
    pub shapes: Vec<Option<Shape>>,
    counted_to: Vec<DateTime<Utc>>,
    totals: BTreeMap<DateTime<Utc>, f64>,
    /// Reports normal for the members, per minute (the same minutes as `totals`).
    expected: BTreeMap<DateTime<Utc>, f64>,
    by_country: BTreeMap<String, f64>,
    /// The latest onset of a member.
    pub last_onset: DateTime<Utc>,
    published_at: DateTime<Utc>,
    published_top: Option<(CauseKind, f64)>,
    published_numbers: (usize, f64),
    /// Incidents that joined during the current tick.
    pub added_now: Vec<i64>,
    /// Whether a member resolved during the current tick.
    pub resolved_now: bool,
    /// Whether the event opened during the current tick.
    pub opened_now: bool,
}

impl Tracked {
    /// A new event of `members` (at least one), opened at `now`.
    pub fn open(now: DateTime<Utc>, members: &[&Prepared<'_>]) -> Option<Self> {
        let first = members
            .iter()
            .min_by_key(|p| (p.onset(), p.candidate.incident_id))?;
        let mut t = Self::empty(first.candidate.incident_id, first.onset(), now);
        for p in members {
            t.add(now, p);
        }
        Some(t)
    }

    /// An event restored from the store after a change of leader: minutes before `now` are
    /// taken as counted; members are profiled again when next seen.
    pub fn resume(now: DateTime<Utc>, event: OutageEvent) -> Self {
        let profiles = event
            .members
            .iter()
            .map(|m| Profile {
                service: m.service.clone(),
                depends_on: Vec::new(),
                network: None,
                countries: Vec::new(),
                home_country: None,
                rise: m.onset,
                weight: 0.0,
            })
            .collect();
        let n = event.members.len();
        let last_onset = event.members.iter().map(|m| m.onset).max();
        Self {
            profiles,
            shapes: vec![None; n],
            counted_to: vec![now; n],
            totals: BTreeMap::from([(event.peak_at, event.peak_reports)]),
            expected: BTreeMap::from([(event.peak_at, event.peak_expected)]),
            by_country: BTreeMap::new(),
            last_onset: last_onset.unwrap_or(event.start),
            published_at: now,
            published_top: None,
            published_numbers: (n, event.reports),
            added_now: Vec::new(),
            resolved_now: false,
            opened_now: false,
            event,
        }
    }

    fn empty(id: i64, start: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            event: OutageEvent {
                id,
                members: Vec::new(),
                start,
                peak_at: start,
                peak_reports: 0.0,
                peak_expected: 0.0,
                end: None,
                reports: 0.0,
                countries: Vec::new(),
                causes: Vec::new(),
            },
            profiles: Vec::new(),
            shapes: Vec::new(),
            counted_to: Vec::new(),
            totals: BTreeMap::new(),
            expected: BTreeMap::new(),
            by_country: BTreeMap::new(),
            last_onset: start,
            published_at: now,
            published_top: None,
            published_numbers: (0, 0.0),
            added_now: Vec::new(),
            resolved_now: false,
            opened_now: true,
        }
    }

    /// Adds a member.
    pub fn add(&mut self, now: DateTime<Utc>, p: &Prepared<'_>) {
        let c = p.candidate;
        self.event.members.push(Member {
            service: c.service.clone(),
            incident_id: c.incident_id,
            onset: c.onset,
            joined: now,
            resolved: None,
            severity: c.severity,
            reports: 0.0,
        });
        self.profiles.push(p.profile.clone());
        self.shapes.push(None);
        // Reports count from the minute the member's reports rose.
        self.counted_to.push(p.profile.rise);
        self.event.start = self.event.start.min(c.onset);
        self.last_onset = self.last_onset.max(c.onset);
        self.refresh(self.event.members.len() - 1, p);
    }

    /// Takes in what a member's candidate says this tick: new minutes, severity, the latest
    /// shares of its reports.
    pub fn refresh(&mut self, m: usize, p: &Prepared<'_>) {
        let c = p.candidate;
        let series = &c.series;
        for i in 0..series.len() {
            let minute = series.minute(i);
            if minute < self.counted_to[m] {
                continue;
            }
            let n = series.observed[i].max(0.0);
            *self.totals.entry(minute).or_default() += n;
            *self.expected.entry(minute).or_default() += series.expected[i].max(0.0);
            self.event.members[m].reports += n;
            for share in &c.countries {
                *self.by_country.entry(share.code.clone()).or_default() += n * share.share;
            }
        }
        self.counted_to[m] = self.counted_to[m].max(series.end());
        let member = &mut self.event.members[m];
        if c.severity == Severity::Problems {
            member.severity = Severity::Problems;
        }
        self.profiles[m].update(c);
        self.shapes[m] = Some(p.shape.clone());
    }

    /// Marks a member resolved.
    pub fn resolve(&mut self, m: usize, now: DateTime<Utc>) {
        self.event.members[m].resolved = Some(now);
        self.shapes[m] = None;
        self.resolved_now = true;
    }

    /// Whether every member has resolved.
    pub fn is_over(&self) -> bool {
        self.event.open_members().next().is_none()
    }

    /// Recomputes the totals, peak and countries of the event.
    pub fn recount(&mut self) {
        let e = &mut self.event;
        e.reports = e.members.iter().map(|m| m.reports).sum();
        if let Some((at, n)) = self
            .totals
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
        {
            e.peak_at = *at;
            e.peak_reports = *n;
            e.peak_expected = self.expected.get(at).copied().unwrap_or_default();
        }
        let total = e.reports.max(f64::MIN_POSITIVE);
        let mut countries: Vec<CountryShare> = self
            .by_country
            .iter()
            .map(|(code, n)| CountryShare {
                code: code.clone(),
                share: n / total,
            })
            .filter(|c| c.share >= MIN_COUNTRY_SHARE)
            .collect();
        countries.sort_by(|a, b| b.share.total_cmp(&a.share).then(a.code.cmp(&b.code)));
        countries.truncate(MAX_COUNTRIES);
        e.countries = countries;
    }

    /// Ranks the event's likely causes again.
    pub fn rerank(
        &mut self,
        rises: &HashMap<String, DateTime<Utc>>,
        stats: &ProviderStats,
        cfg: &GroupingConfig,
    ) {
        // A provider that is a member keeps the rise it had, after its incident resolved too.
        let mut rises = rises.clone();
        for p in self
            .profiles
            .iter()
            .filter(|p| stats.is_provider(&p.service))
        {
            rises.insert(p.service.clone(), p.rise);
        }
        let profiles: Vec<&Profile> = self.profiles.iter().collect();
        self.event.causes = causes::rank(&profiles, &rises, stats, cfg)
            .into_iter()
            .map(|r| r.cause)
            .collect();
    }

    /// The median shape of the open members from `pre_onset_minutes` before the event's
    /// start (or the latest first minute of their series) to the end of their series, with
    /// the first minute of that window.
    pub fn reference(&self, cfg: &GroupingConfig) -> Option<(DateTime<Utc>, Vec<f64>)> {
        let open: Vec<&Shape> = self.shapes.iter().flatten().collect();
        let covered_from = open.iter().map(|s| s.start).max()?;
        let to = open.iter().map(|s| s.end()).min()?;
        let from = (self.event.start - minutes(cfg.pre_onset_minutes)).max(covered_from);
        median_shape(open, from, to).map(|m| (from, m))
    }

    /// Whether the event changed enough since it was last published to be published again:
    /// its top cause changed or moved by 0.1, or its numbers changed and the last publication
    /// is `update_every_minutes` old. Records the publication when it says yes.
    pub fn news(&mut self, now: DateTime<Utc>, cfg: &GroupingConfig, forced: bool) -> bool {
        let top = self
            .event
            .top_cause()
            .map(|c| (c.cause.clone(), c.confidence));
        let cause_moved = match (&top, &self.published_top) {
            (Some((a, ca)), Some((b, cb))) => a != b || (ca - cb).abs() >= CONFIDENCE_STEP,
            (None, None) => false,
            _ => true,
        };
        let numbers = (self.event.members.len(), self.event.reports);
        let due = numbers != self.published_numbers
            && (now - self.published_at).num_minutes() >= cfg.update_every_minutes;
        if forced || cause_moved || due {
            self.published_at = now;
            self.published_top = top;
            self.published_numbers = numbers;
            true
        } else {
            false
        }
    }
}
