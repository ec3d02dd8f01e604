//! `bench/outage`'s engine: how long `Grouper::observe` takes per detector tick with many
//! active services, ordinary incidents and one very large outage event. No server, no
//! database: candidates are built in memory (outside the timed calls), as the detector's
//! tick would pass them. Prints its figures.
//!
//! Environment: `BENCH_SERVICES` (active services, default 10000), `BENCH_ORDINARY` (services
//! in an ordinary incident at any time, default 100), `BENCH_MEMBERS` (services failing in
//! the big event, default 500), `BENCH_TICKS` (default 60).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use downwatch::outage::{
    BackgroundRate, Candidate, CountryShare, EventChange, Grouper, GroupingConfig, MinuteSeries,
    NetworkShare, ProviderStats, Severity,
};

/// Minutes of series per candidate.
const SERIES: i64 = 30;
/// The big event starts at this tick.
const EVENT_TICK: i64 = 20;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One service in the bench: its level, when its surge starts and ends (minutes), its
/// providers.
struct Svc {
    slug: String,
    base: f64,
    rise: i64,
    end: i64,
    peak: f64,
    depends_on: Vec<String>,
    incident: i64,
}

impl Svc {
    fn candidate(&self, t0: DateTime<Utc>, now: i64, rng: &mut StdRng) -> Option<Candidate> {
        let onset = self.rise + 2;
        if now < onset || now >= self.end {
            return None;
        }
        let start = now - SERIES;
        let observed = (start..now)
            .map(|m| {
                let level = if m >= self.rise {
                    self.base * self.peak
                } else {
                    self.base
                };
                (level * rng.random_range(0.7..1.3)).round()
            })
            .collect();
        Some(Candidate {
            service: self.slug.clone(),
            incident_id: self.incident,
            onset: t0 + TimeDelta::minutes(onset),
            severity: Severity::Problems,
            series: MinuteSeries {
                start: t0 + TimeDelta::minutes(start),
                observed,
                expected: vec![self.base; SERIES as usize],
            },
            depends_on: self.depends_on.clone(),
            network: Some(NetworkShare {
                asn: 7922,
                org: "Comcast".into(),
                country: Some("US".into()),
                share: 0.12,
            }),
            countries: vec![CountryShare {
                code: "US".into(),
                share: 0.3,
            }],
            home_country: None,
        })
    }
}

fn main() {
    let services = env_or("BENCH_SERVICES", 10_000);
    let ordinary = env_or("BENCH_ORDINARY", 100);
    let members = env_or("BENCH_MEMBERS", 500).min(services);
    let ticks = env_or("BENCH_TICKS", 60) as i64;
    let mut rng = StdRng::seed_from_u64(7);
    let t0 = Utc
        .with_ymd_and_hms(2026, 12, 7, 12, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);

    // Ordinary incidents: `ordinary` in incident at any time, 40 minutes each, onsets
    // spread evenly; 8% of services depend on "cdn", 20% on "cloud".
    let mut svcs: Vec<Svc> = Vec::new();
    let mut dependents: HashMap<String, usize> = HashMap::new();
    for i in 0..services {
        let mut depends_on = Vec::new();
        if i < members || rng.random_bool(0.03) {
            depends_on.push("cdn".to_owned());
        }
        if rng.random_bool(0.2) {
            depends_on.push("cloud".to_owned());
        }
        for d in &depends_on {
            *dependents.entry(d.clone()).or_default() += 1;
        }
        let in_event = i < members;
        let rise = if in_event {
            EVENT_TICK + rng.random_range(0..3)
        } else {
            // Ordinary: enough onsets to keep `ordinary` open at once (incidents of 40 min).
            let per_minute = ordinary as f64 / 40.0;
            let slot = (i - members) as f64 / per_minute;
            -40 + slot.round() as i64
        };
        svcs.push(Svc {
            slug: format!("svc-{i:05}"),
            base: rng.random_range(0.2f64.ln()..20f64.ln()).exp(),
            rise,
            end: rise + 40 + if in_event { 200 } else { 0 },
            peak: rng.random_range(5.0..40.0),
            depends_on,
            incident: 10_000 + i as i64,
        });
    }
    // The background the detector would have learnt from such days: `ordinary` incidents of
    // 40 minutes open at any time.
    let background = BackgroundRate::per_minute(ordinary as f64 / 40.0 / services as f64);
    let mut grouper = Grouper::new(
        GroupingConfig::default(),
        background,
        ProviderStats::new(services, dependents),
    );

    let mut times = Vec::new();
    let mut opened_at = None;
    let mut events = 0;
    let mut largest = 0;
    let mut candidates_max = 0;
    for now in 0..ticks {
        let candidates: Vec<Candidate> = svcs
            .iter()
            .filter_map(|s| s.candidate(t0, now, &mut rng))
            .collect();
        candidates_max = candidates_max.max(candidates.len());
        let started = Instant::now();
        let changes = grouper.observe(t0 + TimeDelta::minutes(now), services, &candidates);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        times.push((now, ms, candidates.len()));
        for c in &changes {
            if matches!(c, EventChange::Opened { .. }) {
                events += 1;
                if c.event().members.len() > 50 {
                    opened_at.get_or_insert(now);
                }
            }
            largest = largest.max(c.event().members.len());
        }
    }
    let mut sorted: Vec<f64> = times.iter().map(|t| t.1).collect();
    sorted.sort_by(f64::total_cmp);
    let pct = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    let worst = times
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .copied()
        .unwrap_or((0, 0.0, 0));
    println!("active       {services} services, {ordinary} in an ordinary incident at any time, {members} failing in one event");
    println!("ticks        {ticks} (the event starts at tick {EVENT_TICK}), up to {candidates_max} services in incident per tick");
    println!(
        "events       {events} opened; the big one at tick {}, largest {} members",
        opened_at.map_or("never".into(), |t| t.to_string()),
        largest
    );
    println!(
        "observe      median {:.2} ms, p90 {:.2} ms, max {:.2} ms (tick {}, {} candidates) — target: well under 1,000 ms",
        pct(0.5),
        pct(0.9),
        worst.1,
        worst.0,
        worst.2
    );
}
