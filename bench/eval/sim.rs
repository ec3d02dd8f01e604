//! The simulated world of `bench/quality` and tests/detect_quality/: seeded, deterministic
//! services whose report counts are as awkward as real ones, with labelled outages and viral
//! bursts. It owns the world's shape (sizes, rhythms, events) and its minute-by-minute
//! rendering into a [`LabelledSeries`].
//!
//! Each minute of a service:
//! - the **normal rate** μ: reports/day spread by a daily rhythm in the audience's local time
//!   (UTC, Europe/Rome or America/New_York, so the rhythm moves by an hour in UTC at DST
//!   changes) and a weekly one (weekends busier or quieter, an hour later), times a holiday
//!   lull (two weeks at 40–60%) and a permanent level shift (×2 or ×½ within a day) when the
//!   plan has them — neither is an event: nothing should fire;
//! - **self-excitation** (Hawkes-like): the intensity is `(1 − n)·μ + n·E`, where `E` is an
//!   exponentially weighted average of the last minutes' counts (kernel of 1.5–4 minutes) and
//!   `n` the branching ratio (0.2–0.5), so every report raises the rate for a few minutes and
//!   the mean stays μ;
//! - **events** set a floor on the intensity: a viral burst (label `Burst`) holds it at 2–5×
//!   μ for 5–15 minutes; an outage (label `Outage`) follows its shape (steep rise to 6× within
//!   1–3 minutes, peak 10–100× 15–60 minutes after onset, exponential tail over hours,
//!   sometimes a second wave); its label ends when the shape falls back under 1.5×;
//! - **gamma-Poisson noise**: the count is Poisson(intensity · G) with G ~ Gamma(k, 1/k), so
//!   a minute's variance is μ + μ²/k (negative binomial, k from 2 to 50 by service);
//! - **gaps**: missing hours are absent rows, not zeros.

use std::f64::consts::PI;

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Gamma, Poisson};

use super::series::{Event, EventKind, LabelledSeries};

#[path = "sim/plan.rs"]
pub mod plan;
pub use plan::Plan;

/// Services' sizes in reports per average weekday.
pub const SIZES: [f64; 7] = [
    100.0, 300.0, 1_000.0, 3_000.0, 10_000.0, 30_000.0, 100_000.0,
];
/// Days before anything is judged (and before any outage).
pub const WARMUP_DAYS: u32 = 14;
const MINUTES_PER_DAY: i64 = 1440;
/// Audience time zones, by replica: replica r of a size lives in `ZONES[r % 3]`.
const ZONES: [(Tz, &str); 3] = [
    (Tz::UTC, "utc"),
    (Tz::Europe__Rome, "rome"),
    (Tz::America__New_York, "nyc"),
];
/// The outage label ends when its shape is back under this multiple of normal.
const OUTAGE_END_RATIO: f64 = 1.5;

/// The first simulated minute: Monday 16 February 2026, 00:00 UTC, so that a run of 45 days
/// or more crosses New York's DST change (8 March) and 90 days Rome's too (29 March).
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 2, 16, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// A simulated service: who its audience is and how its reports behave.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// Reports on an average weekday before holidays and level shifts.
    pub per_day: f64,
    /// Negative binomial size k of a minute's count: variance μ + μ²/k.
    pub dispersion: f64,
    /// Branching ratio n of the self-excitation (0 = none).
    pub branching: f64,
    /// Mean lag, in minutes, of the reports a report triggers.
    pub kernel_minutes: f64,
    /// The audience's time zone.
    pub tz: Tz,
    /// Local hour of the daily peak (the trough is at 04:00).
    pub peak_hour: f64,
    /// Trough level as a fraction of the peak (1 = no daily rhythm).
    pub trough: f64,
    /// Saturday and Sunday level relative to weekdays.
    pub weekend: f64,
    /// Seed of the minute-by-minute noise.
    pub seed: u64,
}

/// A rendered service: the labelled series and what was behind it, minute by minute (the
/// tests read what `bench/quality` does not).
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct SimSeries {
    pub series: LabelledSeries,
    /// Normal rate μ of each minute (holidays and shifts included).
    pub normal: Vec<f64>,
    /// Reports of each minute (gaps included: they are only left out of the rows).
    pub counts: Vec<f64>,
}

/// Short name of a size: 100, 300, 1k, …, 100k.
pub fn size_name(per_day: f64) -> String {
    if per_day >= 1_000.0 {
        format!("{}k", (per_day / 1_000.0).round())
    } else {
        format!("{}", per_day.round())
    }
}

/// The world: `replicas` services of each size, each with its own seeded traits and plan.
pub fn world(sizes: &[f64], replicas: u32, days: u32, seed: u64) -> Vec<(Service, Plan)> {
    let mut out = Vec::new();
    for (i, &per_day) in sizes.iter().enumerate() {
        for r in 0..replicas {
            let id = seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add((i as u64) << 16 | u64::from(r));
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(id);
            let (tz, zone) = ZONES[r as usize % ZONES.len()];
            let name = format!("sim/{}-{zone}-s{}", size_name(per_day), r + 1);
            let service = Service::random(name, per_day, tz, &mut rng);
            let plan = Plan::random(&service, days, &mut rng);
            out.push((service, plan));
        }
    }
    out
}

impl Service {
    /// A service of `per_day` reports with traits drawn from `rng`.
    pub fn random(name: String, per_day: f64, tz: Tz, rng: &mut Xoshiro256PlusPlus) -> Self {
        Self {
            name,
            per_day,
            // Log-uniform 2–50.
            dispersion: (rng.random_range(2f64.ln()..50f64.ln())).exp(),
            branching: rng.random_range(0.2..0.5),
            kernel_minutes: rng.random_range(1.5..4.0),
            tz,
            peak_hour: rng.random_range(13.0..21.0),
            trough: rng.random_range(0.1..0.35),
            weekend: rng.random_range(0.6..1.4),
            seed: rng.random(),
        }
    }

    /// Reports per minute at `at` before holidays, shifts and events, given the mean of the
    /// daily shape ([`Self::shape_mean`], computed once per service).
    pub fn rhythm(&self, at: DateTime<Utc>, shape_mean: f64) -> f64 {
        let local = at.with_timezone(&self.tz);
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0
            - if weekend { 1.0 } else { 0.0 };
        let factor = if weekend { self.weekend } else { 1.0 };
        self.per_day / MINUTES_PER_DAY as f64 * self.shape(hour) / shape_mean * factor
    }

    /// Daily shape: `trough` at 04:00 rising to 1 at `peak_hour`, falling back (raised cosine).
    fn shape(&self, hour: f64) -> f64 {
        let rise = (self.peak_hour - 4.0).clamp(1.0, 23.0);
        let h = (hour - 4.0).rem_euclid(24.0);
        let phase = if h < rise {
            PI * h / rise
        } else {
            PI + PI * (h - rise) / (24.0 - rise)
        };
        self.trough + (1.0 - self.trough) * (1.0 - phase.cos()) / 2.0
    }

    /// The daily shape's mean over a day.
    pub fn shape_mean(&self) -> f64 {
        (0..MINUTES_PER_DAY)
            .map(|m| self.shape(m as f64 / 60.0))
            .sum::<f64>()
            / MINUTES_PER_DAY as f64
    }
}

/// Renders a service's plan minute by minute into a labelled series of one-minute rows.
pub fn simulate(service: &Service, plan: &Plan) -> SimSeries {
    let total = i64::from(plan.days) * MINUTES_PER_DAY;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(service.seed);
    let k = service.dispersion.max(1e-3);
    let noise = Gamma::new(k, 1.0 / k).ok();
    let n = service.branching.clamp(0.0, 0.95);
    let decay = (-1.0 / service.kernel_minutes.max(0.1)).exp();
    let t0 = start();
    let shape_mean = service.shape_mean();
    let (mut normal, mut counts, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    let mut five_x = vec![None; plan.outages.len()];
    let mut excitation = None;
    // The tail keeps its (tiny) excess for a day past the label.
    let ends: Vec<i64> = plan
        .outages
        .iter()
        .map(|o| o.onset + o.minutes() + MINUTES_PER_DAY)
        .collect();
    for m in 0..total {
        let at = t0 + Duration::minutes(m);
        let mu = service.rhythm(at, shape_mean) * plan.level(m);
        let e = *excitation.get_or_insert(mu);
        let intensity = ((1.0 - n) * mu + n * e).max(plan.floor(m, &ends) * mu);
        let mean = intensity * noise.map_or(1.0, |g| g.sample(&mut rng));
        let count = Poisson::new(mean).map_or(0.0, |p| p.sample(&mut rng));
        excitation = Some(decay * e + (1.0 - decay) * count);
        for (cross, o) in five_x.iter_mut().zip(&plan.outages) {
            if cross.is_none() && m >= o.onset && intensity >= 5.0 * mu {
                *cross = Some(at);
            }
        }
        normal.push(mu);
        counts.push(count);
        if !plan.in_gap(m) {
            rows.push((at, Some(count)));
        }
    }
    let mut events: Vec<Event> = plan
        .outages
        .iter()
        .zip(five_x)
        .map(|(o, cross)| Event {
            start: t0 + Duration::minutes(o.onset),
            end: t0 + Duration::minutes(o.onset + o.minutes()),
            kind: EventKind::Outage,
            five_x: cross,
        })
        .chain(plan.bursts.iter().map(|b| Event {
            start: t0 + Duration::minutes(b.start),
            end: t0 + Duration::minutes(b.start + b.minutes),
            kind: EventKind::Burst,
            five_x: None,
        }))
        .collect();
    events.sort_by_key(|e| e.start);
    SimSeries {
        series: LabelledSeries {
            name: service.name.clone(),
            rows,
            bucket_minutes: 1,
            events,
            eval_from: t0 + Duration::days(i64::from(WARMUP_DAYS)),
            per_day: Some(service.per_day),
        },
        normal,
        counts,
    }
}

#[cfg(test)]
#[path = "sim/tests.rs"]
mod tests;
