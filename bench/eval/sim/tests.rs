//! Unit tests of the simulated world: the noise model, self-excitation, local time, and
//! events and gaps landing where they are labelled.

use super::*;

/// A service with no rhythm: `per_minute` all day, every day.
fn flat(per_minute: f64, dispersion: f64, branching: f64) -> Service {
    Service {
        name: "sim/flat".into(),
        per_day: per_minute * MINUTES_PER_DAY as f64,
        dispersion,
        branching,
        kernel_minutes: 3.0,
        tz: Tz::UTC,
        peak_hour: 20.0,
        trough: 1.0,
        weekend: 1.0,
        seed: 7,
    }
}

fn quiet(days: u32) -> Plan {
    Plan {
        days,
        ..Plan::default()
    }
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (mean, x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n)
}

#[test]
fn counts_are_negative_binomial_with_variance_mu_plus_mu_squared_over_k() {
    let s = simulate(&flat(10.0, 5.0, 0.0), &quiet(20));
    let (mean, var) = mean_var(&s.counts);
    assert!((mean - 10.0).abs() < 0.1, "mean {mean}");
    // 10 + 100/5 = 30, three times a Poisson count's variance.
    assert!((var - 30.0).abs() < 1.5, "variance {var}");
}

#[test]
fn self_excitation_keeps_the_mean_and_makes_minutes_follow_each_other() {
    let lag1 = |x: &[f64]| {
        let (mean, var) = mean_var(x);
        let cov = x
            .windows(2)
            .map(|w| (w[0] - mean) * (w[1] - mean))
            .sum::<f64>();
        cov / (x.len() - 1) as f64 / var
    };
    let plain = simulate(&flat(10.0, 50.0, 0.0), &quiet(10));
    let excited = simulate(&flat(10.0, 50.0, 0.5), &quiet(10));
    assert!(lag1(&plain.counts).abs() < 0.02, "{}", lag1(&plain.counts));
    assert!(lag1(&excited.counts) > 0.1, "{}", lag1(&excited.counts));
    assert!((mean_var(&excited.counts).0 - 10.0).abs() < 0.3);
}

#[test]
fn the_daily_rhythm_keeps_local_time_across_dst() {
    let rome = Service {
        tz: Tz::Europe__Rome,
        trough: 0.2,
        ..flat(1.0, 10.0, 0.0)
    };
    let at = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .expect("date")
            .with_timezone(&Utc)
    };
    // 13:00 in Rome on two Mondays: 12:00 UTC in winter, 11:00 UTC in summer.
    let rhythm = |s: &str| rome.rhythm(at(s), rome.shape_mean());
    let winter = rhythm("2026-03-23T12:00:00Z");
    assert!((winter - rhythm("2026-03-30T11:00:00Z")).abs() < 1e-12);
    assert!((winter - rhythm("2026-03-30T12:00:00Z")).abs() > 1e-3);
}

#[test]
fn bursts_and_outages_land_where_labelled() {
    for (service, plan) in world(&[10_000.0], 3, 60, 5) {
        let s = simulate(&service, &plan);
        let minute = |at: DateTime<Utc>| (at - start()).num_minutes() as usize;
        let ratio = |from: usize, to: usize| {
            s.counts[from..to].iter().sum::<f64>() / s.normal[from..to].iter().sum::<f64>()
        };
        assert!(!plan.outages.is_empty() && !plan.bursts.is_empty());
        let mut bursts = plan.bursts.iter();
        let mut relative = Vec::new();
        for e in &s.series.events {
            let (a, b) = (minute(e.start), minute(e.end));
            match e.kind {
                EventKind::Burst => {
                    let burst = bursts.next().expect("a planned burst");
                    assert_eq!((a as i64, (b - a) as i64), (burst.start, burst.minutes));
                    let r = ratio(a, b);
                    assert!(r > 1.3, "{}: burst at {} is {r}x", service.name, e.start);
                    relative.push(r / burst.factor);
                }
                EventKind::Outage => {
                    assert!(e.start >= s.series.eval_from);
                    let cross = minute(e.five_x.expect("crossed 5x"));
                    assert!(
                        cross - a <= 3,
                        "{}: 5x after {} min",
                        service.name,
                        cross - a
                    );
                    assert!(
                        ratio(a, a + 60) > 5.0,
                        "{}: first hour {}x",
                        service.name,
                        ratio(a, a + 60)
                    );
                    assert!(
                        ratio(b, b + 60) < 2.0,
                        "{}: after the label {}x",
                        service.name,
                        ratio(b, b + 60)
                    );
                }
            }
        }
        let (mean, _) = mean_var(&relative);
        assert!(
            (0.85..1.15).contains(&mean),
            "{}: bursts at {mean} of their factor",
            service.name
        );
        // Away from events, the level is normal.
        let busy = |m: usize| {
            s.series
                .events
                .iter()
                .any(|e| (minute(e.start)..minute(e.end) + 120).contains(&m))
        };
        let quiet: Vec<usize> = (0..s.counts.len()).filter(|&m| !busy(m)).collect();
        let r = quiet.iter().map(|&m| s.counts[m]).sum::<f64>()
            / quiet.iter().map(|&m| s.normal[m]).sum::<f64>();
        assert!((r - 1.0).abs() < 0.05, "{}: {r}", service.name);
    }
}

#[test]
fn gaps_are_missing_rows_not_zeros() {
    let (service, plan) = world(&[1_000.0], 1, 60, 3).remove(0);
    let s = simulate(&service, &plan);
    let missing: i64 = plan.gaps.iter().map(|g| g.1).sum();
    assert!(missing >= 60);
    assert_eq!(s.series.rows.len() as i64, 60 * MINUTES_PER_DAY - missing);
    assert!(s.series.rows.iter().all(|r| r.1.is_some()));
    for &(g, len) in &plan.gaps {
        let (from, to) = (
            start() + Duration::minutes(g),
            start() + Duration::minutes(g + len),
        );
        assert!(!s.series.rows.iter().any(|r| r.0 >= from && r.0 < to));
    }
}

#[test]
fn the_world_is_the_same_for_the_same_seed() {
    let a = world(&[300.0], 2, 30, 9);
    let b = world(&[300.0], 2, 30, 9);
    for ((sa, pa), (sb, pb)) in a.iter().zip(&b) {
        assert_eq!(simulate(sa, pa).counts, simulate(sb, pb).counts);
    }
    let c = world(&[300.0], 2, 30, 10);
    assert_ne!(
        simulate(&a[0].0, &a[0].1).counts,
        simulate(&c[0].0, &c[0].1).counts
    );
}
