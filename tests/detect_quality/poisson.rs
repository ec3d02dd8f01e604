//! The Poisson world: steady services with a daily and weekly rhythm, one outage.

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
