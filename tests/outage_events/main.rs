//! Outage events in simulated worlds: seeded, deterministic, no database.
//!
//! Each world is a catalog of services with ordinary gamma-Poisson reports (worldwide or
//! Italian audiences spread over named networks), a few ordinary viral bursts, and the
//! failures a scenario adds. The real detector's score and state machine open and close each
//! service's incident; the outage grouper is called every minute with the services in
//! incident, as the detector's tick will call it (`world.rs`).
//!
//! Scenarios (issue 15): a CDN failure (12 services spiking within 3 minutes), with the
//! provider's own reports rising first or not at all; an ISP failure (one network, many
//! unrelated services); two unrelated outages at the same time; a busy ordinary hour (2,000
//! services, independent noise and ordinary incidents, three of them in the same minute).
//! Each asserts the grouping, the top cause and its confidence, and the delay from the
//! first member's incident to the event (< 2 minutes).
//!
//! Run with `cargo test --test outage_events -- --nocapture` to see the figures.

mod scenarios;
mod world;

use std::collections::HashMap;

use chrono::TimeDelta;
use downwatch::outage::{BackgroundRate, Grouper, GroupingConfig, ProviderStats};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use world::{italian, noon, worldwide, Service, Surge, World};

/// Services in the catalog world.
pub const CATALOG: usize = 300;
/// Index of each provider in the catalog world.
pub const CLOUDFLARE: usize = 0;
pub const AWS: usize = 1;
pub const GOOGLE_CLOUD: usize = 2;
pub const AKAMAI: usize = 3;

/// The catalog world: 300 services, 4 of them providers; 25 documented dependents of
/// Cloudflare (10–34), 60 of AWS (30–89, five of them on both), 30 of Google Cloud (90–119),
/// 10 of Akamai (120–129); services 250–279 are Italian; two ordinary viral bursts.
pub fn catalog_world(seed: u64, minutes: i64) -> World {
    let mut rng = StdRng::seed_from_u64(seed);
    let providers = ["cloudflare", "aws", "google-cloud", "akamai"];
    let services = (0..CATALOG)
        .map(|i| {
            let mut depends_on = Vec::new();
            for (p, range) in [(0, 10..35), (1, 30..90), (2, 90..120), (3, 120..130)] {
                if range.contains(&i) {
                    depends_on.push(providers[p].to_owned());
                }
            }
            let italian_service = (250..280).contains(&i);
            Service {
                slug: providers
                    .get(i)
                    .map_or_else(|| format!("svc-{i:03}"), |p| (*p).to_owned()),
                // 300 to 30,000 reports a day.
                base: rng.random_range(0.2f64.ln()..20f64.ln()).exp(),
                nets: if italian_service {
                    italian()
                } else {
                    worldwide()
                },
                home: italian_service.then_some("IT"),
                depends_on,
            }
        })
        .collect();
    World {
        start: noon(),
        services,
        surges: vec![burst(vec![150], 40), burst(vec![190], 70)],
        minutes,
        seed,
    }
}

/// An ordinary viral burst: one service, 4× for 8 minutes.
pub fn burst(services: Vec<usize>, start: i64) -> Surge {
    Surge {
        services,
        start,
        spread: 0,
        rise: 2,
        peak: 4.0,
        minutes: 8,
        isp: None,
    }
}

/// A failure: a sharp rise to `peak` times normal within a minute, for 40 minutes.
pub fn failure(services: Vec<usize>, start: i64, spread: i64, peak: f64) -> Surge {
    Surge {
        services,
        start,
        spread,
        rise: 1,
        peak,
        minutes: 40,
        isp: None,
    }
}

/// The background rate learnt from 28 days of ordinary incidents at `per_service_per_day`
/// over `services` services.
pub fn learnt_background(services: usize, per_service_per_day: f64, seed: u64) -> BackgroundRate {
    let mut rng = StdRng::seed_from_u64(seed);
    let from = noon() - TimeDelta::days(28);
    let count = (services as f64 * per_service_per_day * 28.0).round() as i64;
    let onsets: Vec<_> = (0..count)
        .map(|_| from + TimeDelta::minutes(rng.random_range(0..28 * 1440)))
        .collect();
    BackgroundRate::estimate(&onsets, from, noon(), services as f64)
}

/// The grouper the detector would run over `world`: dependency statistics of its catalog,
/// and the background of one incident per service per 30 days.
pub fn grouper_for(world: &World) -> Grouper {
    let mut dependents: HashMap<String, usize> = HashMap::new();
    for s in &world.services {
        for p in &s.depends_on {
            *dependents.entry(p.clone()).or_default() += 1;
        }
    }
    Grouper::new(
        GroupingConfig::default(),
        learnt_background(world.services.len(), 1.0 / 30.0, world.seed),
        ProviderStats::new(world.services.len(), dependents),
    )
}
