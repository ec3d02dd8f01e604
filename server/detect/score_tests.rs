use super::*;
use crate::detect::config::Method;

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
}

#[test]
fn poisson_tail_of_ten_or_more_with_mean_two_is_about_4_65e_minus_5() {
    let p = ln_upper_tail(10.0, 2.0, 0.0).exp();
    assert!(close(p, 4.649_807e-5, 1e-5), "{p}");
}

#[test]
fn negative_binomial_tail_matches_direct_summation() {
    // NB(mean 4, α 0.5): r = 2, P(X = x) = C(x+1, x) (1/3)^2 (2/3)^x.
    let (r, q): (f64, f64) = (2.0, 4.0 / 6.0);
    let pmf = |x: f64| (x + 1.0) * (1.0 - q).powf(r) * q.powf(x);
    let below: f64 = (0..10).map(|x| pmf(f64::from(x))).sum();
    let got = ln_upper_tail(10.0, 4.0, 0.5).exp();
    assert!(close(got, 1.0 - below, 1e-9), "{got} vs {}", 1.0 - below);
}

#[test]
fn overdispersion_makes_the_same_count_less_surprising() {
    let poisson = ln_upper_tail(60.0, 10.0, 0.0);
    let bursty = ln_upper_tail(60.0, 10.0, 0.3);
    assert!(bursty > poisson + 10.0, "{bursty} vs {poisson}");
    assert_eq!(ln_upper_tail(0.0, 3.0, 0.2), 0.0);
    assert_eq!(ln_upper_tail(f64::NAN, 3.0, 0.2), 0.0);
}

#[test]
fn tails_decrease_with_k() {
    for alpha in [0.0, 0.05, 1.0] {
        let mut last = 0.0;
        for i in 1..200 {
            let v = ln_upper_tail(f64::from(i) * 0.25, 4.0, alpha);
            assert!(v <= last + 1e-12, "α {alpha}: not decreasing at {i}");
            last = v;
        }
    }
}

#[test]
fn surprise_is_capped_and_said_in_words() {
    let cfg = DetectConfig::default();
    let s = score(5_000.0, 10.0, 0.01, &cfg);
    assert_eq!(s.neg_log10_p, MAX_SURPRISE);
    assert_eq!(s.surprise_words(), "far more than chance explains");
    assert_eq!(Surprise::of(0.5).words(), "within normal variation");
}

#[test]
fn the_confident_ratio_is_below_the_ratio_and_rises_with_evidence() {
    let cfg = DetectConfig::default();
    let few = score(10.0, 1.0, 0.05, &cfg);
    let many = score(1_000.0, 100.0, 0.05, &cfg);
    assert!(few.ratio_low < few.ratio && many.ratio_low < many.ratio);
    assert!(many.ratio_low > few.ratio_low, "{many:?} {few:?}");
    // Large counts are limited by the dispersion, not by their number.
    let huge_noisy = score(100_000.0, 10_000.0, 0.2, &cfg);
    assert!(huge_noisy.ratio_low < 6.0, "{huge_noisy:?}");
}

#[test]
fn anomaly_ranks_an_outage_above_a_burst_and_is_low_when_calm() {
    let cfg = DetectConfig::default();
    let calm = score(12.0, 10.0, 0.05, &cfg);
    let doubled = score(20.0, 10.0, 0.05, &cfg);
    let burst = score(30.0, 10.0, 0.05, &cfg);
    let outage = score(200.0, 10.0, 0.05, &cfg);
    assert!(calm.anomaly < 0.01, "{calm:?}");
    assert!(doubled.anomaly < 0.05, "{doubled:?}");
    // Three times normal from 30 reports: the true ratio may well be 3.5 or more.
    assert!(
        burst.anomaly > doubled.anomaly && burst.anomaly < 0.5,
        "{burst:?}"
    );
    assert!(outage.anomaly > 0.99, "{outage:?}");
}

#[test]
fn score_floors_expected_and_reads_nothing_into_nonsense() {
    let cfg = DetectConfig::default();
    let s = score(2.0, 0.001, 0.1, &cfg);
    assert_eq!(s.expected, cfg.min_expected_per_window);
    assert_eq!(s.ratio, 4.0);
    let nan = score(f64::NAN, 5.0, f64::NAN, &cfg);
    assert_eq!(nan.observed, 0.0);
    assert!(nan.anomaly < 1e-4, "{nan:?}");
    assert_eq!(nan.dispersion, cfg.dispersion_prior);
}

#[test]
fn dw_detect_1_is_the_poisson_progress_score() {
    let cfg = DetectConfig::for_method(Method::DwDetect1);
    let big = score(100.0, 5.0, 0.3, &cfg);
    assert_eq!((big.anomaly, big.dispersion), (1.0, 0.0));
    assert!(big.meets(&cfg.problems));
    let busy = score(12_000.0, 10_000.0, 0.0, &cfg);
    assert!(busy.neg_log10_p > 10.0 && busy.anomaly < 0.1);
}

#[test]
fn band_holds_the_expectation() {
    assert_eq!(poisson_band(0.0), (0.0, 0.0));
    assert_eq!(poisson_band(0.1), (0.0, 1.0));
    assert_eq!(poisson_band(10.0), (5.0, 15.0));
    let (lo, hi) = poisson_band(10_000.0);
    assert!(lo < 10_000.0 && hi > 10_000.0 && (hi - lo - 329.0).abs() < 3.0);
}
