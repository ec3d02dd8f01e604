//! The scenarios of issue 15, each judged on what a journalist would read: one event or
//! several, who is in it, what it is named after, how sure, how soon. Each `check_*` runs a
//! scenario with a seed and lists the criteria it missed; the tests run one seed each, and
//! `figures_over_seeds` (ignored: `--ignored`) runs 20 of each and prints how many passed.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use downwatch::outage::{CauseKind, Grouper, GroupingConfig, OutageEvent, ProviderStats, Reason};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use super::world::{italian, noon, worldwide, Run, Service, Surge, World};
use super::{burst, catalog_world, failure, grouper_for, learnt_background, CLOUDFLARE};

/// A scenario's figures in one line, and the criteria it missed.
#[derive(Debug, Default)]
pub struct Verdict {
    pub summary: String,
    pub missed: Vec<String>,
}

impl Verdict {
    fn require(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.missed.push(what.into());
        }
    }

    fn assert_passed(&self) {
        println!("{}", self.summary);
        assert!(
            self.missed.is_empty(),
            "{}: missed {:?}",
            self.summary,
            self.missed
        );
    }
}

/// How one outage of a run was grouped.
struct Outcome<'a> {
    event: &'a OutageEvent,
    opened_at: DateTime<Utc>,
    /// Incidents of the failing services (opened after the failure began).
    failing: usize,
    /// … of which in the event.
    grouped: usize,
    /// Members that are neither failing services nor the provider.
    intruders: usize,
    /// Minutes from the first failing service's incident in the event to the event.
    delay: i64,
    /// Minutes from the third (the fewest an event has) to the event.
    after_third: i64,
}

impl<'a> Outcome<'a> {
    /// The event holding most incidents of `services` opened from minute `from`.
    fn of(
        run: &'a Run,
        world: &World,
        services: &[usize],
        provider: Option<usize>,
        from: i64,
    ) -> Option<Self> {
        let since = world.minute(from);
        let incidents: Vec<_> = run
            .incidents_of(services)
            .into_iter()
            .filter(|i| i.onset >= since)
            .collect();
        let last = run.last_state();
        let (opened_at, event) = run
            .opened()
            .iter()
            .map(|(at, e)| (*at, last[&e.id]))
            .max_by_key(|(_, e)| incidents.iter().filter(|i| e.has_incident(i.id)).count())?;
        let known: Vec<&str> = services
            .iter()
            .chain(provider.iter())
            .map(|&i| world.services[i].slug.as_str())
            .collect();
        // The first of the failing services' incidents in the event (the provider's own,
        // which rose earlier by design, does not count: alone it is no event).
        let mut onsets: Vec<DateTime<Utc>> = incidents
            .iter()
            .filter(|i| event.has_incident(i.id))
            .map(|i| i.onset)
            .collect();
        onsets.sort();
        let first = *onsets.first()?;
        let third = *onsets.get(2).unwrap_or(&first);
        Some(Self {
            event,
            opened_at,
            failing: incidents.len(),
            grouped: incidents
                .iter()
                .filter(|i| event.has_incident(i.id))
                .count(),
            intruders: event
                .members
                .iter()
                .filter(|m| !known.contains(&m.service.as_str()))
                .count(),
            delay: (opened_at - first).num_minutes(),
            after_third: (opened_at - third).num_minutes(),
        })
    }

    fn top(&self) -> Option<(&CauseKind, f64)> {
        self.event.top_cause().map(|c| (&c.cause, c.confidence))
    }

    fn summary(&self, name: &str) -> String {
        format!(
            "{name}: event {} opened {} ({} min after the first failing member's incident, \
             {} after the third), {}/{} failing incidents grouped, {} other members, top cause {:?}",
            self.event.id,
            self.opened_at.format("%H:%M"),
            self.delay,
            self.after_third,
            self.grouped,
            self.failing,
            self.intruders,
            self.top(),
        )
    }

    /// The criteria every scenario shares: most failing incidents grouped, few others, the
    /// top cause and its confidence, the delay.
    fn judge(
        &self,
        v: &mut Verdict,
        min_grouped: f64,
        max_intruders: usize,
        cause: &dyn Fn(&CauseKind) -> bool,
        min_confidence: f64,
    ) {
        v.require(
            self.grouped as f64 >= min_grouped * self.failing as f64,
            format!("grouped {}/{}", self.grouped, self.failing),
        );
        v.require(
            self.intruders <= max_intruders,
            format!("{} intruders", self.intruders),
        );
        let top = self.top();
        v.require(
            top.is_some_and(|(c, _)| cause(c)),
            format!("top cause {top:?}"),
        );
        v.require(
            top.is_some_and(|(_, conf)| conf >= min_confidence),
            format!("confidence {top:?} < {min_confidence}"),
        );
        v.require(self.delay < 2, format!("delay {} min", self.delay));
    }
}

fn is_provider(slug: &'static str) -> impl Fn(&CauseKind) -> bool {
    move |c| matches!(c, CauseKind::Provider { slug: s } if s == slug)
}

/// A CDN failure: 10 documented dependents of Cloudflare and 2 undocumented services spike
/// within 3 minutes; with `provider_first`, Cloudflare's own reports rise 2 minutes before.
pub fn check_cdn(seed: u64, provider_first: bool) -> Verdict {
    let mut world = catalog_world(seed, 100);
    let failing: Vec<usize> = (10..20).chain([200, 201]).collect();
    if provider_first {
        world.surges.push(failure(vec![CLOUDFLARE], 43, 0, 20.0));
    }
    world.surges.push(failure(failing.clone(), 45, 2, 25.0));
    let run = world.run(&mut grouper_for(&world));
    let mut v = Verdict::default();
    let name = if provider_first {
        "CDN failure, the CDN's reports first"
    } else {
        "CDN failure, no reports about the CDN"
    };
    let Some(o) = Outcome::of(&run, &world, &failing, Some(CLOUDFLARE), 45) else {
        v.summary = format!("{name}: no event");
        v.missed.push("no event".into());
        return v;
    };
    v.summary = o.summary(name);
    v.require(
        run.opened().len() == 1,
        format!("{} events", run.opened().len()),
    );
    let min_confidence = if provider_first { 0.85 } else { 0.6 };
    o.judge(&mut v, 0.9, 1, &is_provider("cloudflare"), min_confidence);
    if provider_first {
        let lead = o.event.causes.first().is_some_and(|c| {
            c.reasons.iter().any(
                |r| matches!(r, Reason::ProviderOwnReports { lead_minutes } if *lead_minutes >= 1),
            )
        });
        v.require(lead, "no lead of the provider's own reports");
        let member = o.event.members.iter().any(|m| m.service == "cloudflare");
        v.require(member, "the provider's incident is not a member");
    }
    v
}

/// An ISP failure: Telecom Italia (AS3269) fails; 8 Italian services and 4 worldwide ones,
/// with no provider in common, get reports mostly from its customers.
pub fn check_isp(seed: u64) -> Verdict {
    let mut world = catalog_world(seed, 100);
    let failing: Vec<usize> = (250..258).chain(160..164).collect();
    world.surges.push(Surge {
        isp: Some(3269),
        rise: 2,
        ..failure(failing.clone(), 45, 2, 6.0)
    });
    let run = world.run(&mut grouper_for(&world));
    let mut v = Verdict::default();
    let Some(o) = Outcome::of(&run, &world, &failing, None, 45) else {
        v.summary = "ISP failure: no event".into();
        v.missed.push("no event".into());
        return v;
    };
    v.summary = o.summary("ISP failure");
    v.require(
        run.opened().len() == 1,
        format!("{} events", run.opened().len()),
    );
    let isp = |c: &CauseKind| matches!(c, CauseKind::Network { asn: 3269, org, .. } if org == "Telecom Italia");
    o.judge(&mut v, 0.8, 1, &isp, 0.7);
    v.require(
        o.event.countries.first().is_some_and(|c| c.code == "IT"),
        "Italy is not the first country",
    );
    v
}

/// Two unrelated outages at the same time: 8 Cloudflare-only dependents and 2 undocumented
/// services in a sharp step; two minutes later, 8 AWS-only dependents and 2 undocumented
/// services in a 6-minute ramp.
pub fn check_two(seed: u64) -> Verdict {
    let mut world = catalog_world(seed, 100);
    let cdn: Vec<usize> = (10..18).chain([200, 201]).collect();
    world.surges.push(failure(cdn.clone(), 45, 2, 25.0));
    let cloud: Vec<usize> = (40..48).chain([210, 211]).collect();
    world.surges.push(Surge {
        rise: 6,
        ..failure(cloud.clone(), 47, 3, 12.0)
    });
    let run = world.run(&mut grouper_for(&world));
    let mut v = Verdict::default();
    let (Some(a), Some(b)) = (
        Outcome::of(&run, &world, &cdn, None, 45),
        Outcome::of(&run, &world, &cloud, None, 47),
    ) else {
        v.summary = "two outages: an outage without event".into();
        v.missed.push("no event".into());
        return v;
    };
    v.summary = format!(
        "{}\n{}",
        a.summary("two outages, the CDN's"),
        b.summary("two outages, the cloud's")
    );
    v.require(
        run.opened().len() == 2,
        format!("{} events", run.opened().len()),
    );
    v.require(a.event.id != b.event.id, "one event");
    a.judge(&mut v, 0.75, 2, &is_provider("cloudflare"), 0.5);
    b.judge(&mut v, 0.75, 2, &is_provider("aws"), 0.5);
    v
}

/// A busy ordinary hour: 2,000 services (a fifth Italian), no provider; 8 services failing
/// alone at random times, 3 more in the same minute, 6 viral bursts. The background is
/// learnt from a history of about ten ordinary incidents an hour.
pub fn check_busy(seed: u64) -> Verdict {
    let mut rng = StdRng::seed_from_u64(seed);
    let services: Vec<Service> = (0..2000)
        .map(|i| Service {
            slug: format!("svc-{i:04}"),
            base: rng.random_range(0.2f64.ln()..20f64.ln()).exp(),
            nets: if i % 5 == 0 { italian() } else { worldwide() },
            home: (i % 5 == 0).then_some("IT"),
            depends_on: Vec::new(),
        })
        .collect();
    let mut surges: Vec<Surge> = (0..8)
        .map(|_| {
            failure(
                vec![rng.random_range(0..2000)],
                rng.random_range(32..95),
                0,
                8.0,
            )
        })
        .collect();
    let same_minute: Vec<usize> = (0..3).map(|_| rng.random_range(0..2000)).collect();
    surges.push(failure(same_minute, 60, 0, 8.0));
    surges.extend((0..6).map(|_| burst(vec![rng.random_range(0..2000)], rng.random_range(32..95))));
    let world = World {
        start: noon(),
        services,
        surges,
        minutes: 100,
        seed,
    };
    let mut grouper = Grouper::new(
        GroupingConfig::default(),
        learnt_background(2000, 0.12, seed),
        ProviderStats::new(2000, HashMap::new()),
    );
    let run = world.run(&mut grouper);
    let mut v = Verdict {
        summary: format!(
            "busy hour: {} incidents opened, {} events",
            run.incidents.len(),
            run.opened().len()
        ),
        ..Verdict::default()
    };
    v.require(run.incidents.len() >= 10, "the hour is not busy");
    v.require(run.opened().is_empty(), format!("{:?}", run.opened()));
    v
}

#[test]
fn a_cdn_failure_whose_own_reports_rose_first_is_one_event_named_after_it() {
    check_cdn(11, true).assert_passed();
}

#[test]
fn a_cdn_failure_without_reports_about_the_cdn_is_still_named_after_it() {
    check_cdn(11, false).assert_passed();
}

#[test]
fn an_isp_failure_across_unrelated_services_is_named_after_the_network() {
    check_isp(12).assert_passed();
}

#[test]
fn two_unrelated_outages_at_the_same_time_stay_two_events() {
    check_two(13).assert_passed();
}

#[test]
fn a_busy_ordinary_hour_makes_no_event() {
    check_busy(14).assert_passed();
}

#[test]
#[ignore = "20 worlds per scenario, ~1 minute: run with --ignored --nocapture for the figures"]
fn figures_over_seeds() {
    type Check = Box<dyn Fn(u64) -> Verdict>;
    let scenarios: Vec<(&str, Check)> = vec![
        ("CDN, its reports first", Box::new(|s| check_cdn(s, true))),
        (
            "CDN, no reports about it",
            Box::new(|s| check_cdn(s, false)),
        ),
        ("ISP", Box::new(check_isp)),
        ("two outages", Box::new(check_two)),
        ("busy hour", Box::new(check_busy)),
    ];
    for (name, check) in scenarios {
        let verdicts: Vec<(u64, Verdict)> = (100..120).map(|s| (s, check(s))).collect();
        let passed = verdicts.iter().filter(|(_, v)| v.missed.is_empty()).count();
        println!("{name}: {passed}/20 seeds meet every criterion");
        for (seed, v) in verdicts.iter().filter(|(_, v)| !v.missed.is_empty()) {
            println!(
                "  seed {seed} missed {:?} — {}",
                v.missed,
                v.summary.replace('\n', " | ")
            );
        }
    }
}
