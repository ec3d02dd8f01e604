//! How surprising an observed count is, given the expected count: the Poisson tail
//! probability, the ratio, and a 0–1 anomaly score for charts and CSV output.
//!
//! The special functions are written out here (Lanczos log-gamma, series and continued
//! fraction for the incomplete gamma function) so that the method has no hidden dependency.

use serde::Serialize;

use super::config::{DetectConfig, Thresholds};

/// Smallest expectation ever used, whatever the configuration, so that logs stay finite.
const MIN_LAMBDA: f64 = 1e-9;
/// Relative precision of the series and continued fraction.
const EPS: f64 = 1e-15;
/// Iteration cap; enough for counts up to ~1e9 (the terms decay within a few √k steps).
const MAX_ITER: usize = 200_000;
/// Above this expectation the band uses a normal approximation instead of summing terms.
const BAND_EXACT_MAX: f64 = 200.0;
/// The 95% point of the standard normal distribution.
const Z95: f64 = 1.644_853_626_951_472_2;

/// How an observed count compares with its expectation over the same window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// Counted reports in the window (may be decimal after flood damping).
    pub observed: f64,
    /// Expected reports in the window, after the floor `min_expected_per_window`.
    pub expected: f64,
    /// `observed / expected`.
    pub ratio: f64,
    /// Surprise: `-log10 P(X >= observed)` for a Poisson count `X` of mean `expected`.
    pub neg_log10_p: f64,
    /// 0 when nothing unusual, 1 when every "problems" threshold is met: the least advanced
    /// of the three criteria (surprise, ratio, reporters) towards its "problems" threshold.
    pub anomaly: f64,
}

impl Score {
    /// True when all three thresholds hold.
    pub fn meets(&self, t: &Thresholds) -> bool {
        self.neg_log10_p >= t.min_neg_log10_p
            && self.ratio >= t.min_ratio
            && self.observed >= t.min_reporters
    }
}

/// Compares an observed count (may be decimal after damping) with the expected count over
/// the same window.
pub fn score(observed: f64, expected: f64, cfg: &DetectConfig) -> Score {
    let observed = if observed.is_finite() && observed > 0.0 {
        observed
    } else {
        0.0
    };
    let expected = expected.max(cfg.min_expected_per_window).max(MIN_LAMBDA);
    let ratio = observed / expected;
    let neg_log10_p =
        (-ln_poisson_upper_tail(observed, expected) / std::f64::consts::LN_10).clamp(0.0, f64::MAX);
    let anomaly = if observed <= expected {
        0.0
    } else {
        let t = &cfg.problems;
        let progress = |value: f64, threshold: f64| {
            if threshold > 0.0 {
                value / threshold
            } else {
                1.0
            }
        };
        progress(neg_log10_p, t.min_neg_log10_p)
            .min(progress(ratio - 1.0, t.min_ratio - 1.0))
            .min(progress(observed, t.min_reporters))
            .clamp(0.0, 1.0)
    };
    Score {
        observed,
        expected,
        ratio,
        neg_log10_p,
        anomaly,
    }
}

/// Poisson upper tail ln P(X >= k | λ) for real k ≥ 0 (regularized lower incomplete gamma
/// P(k, λ); exactly 0 for k ≤ 0), accurate in log space far below 1e-300.
pub fn ln_poisson_upper_tail(k: f64, lambda: f64) -> f64 {
    if k.is_nan() || k <= 0.0 || lambda == f64::INFINITY {
        return 0.0;
    }
    if lambda.is_nan() || lambda <= 0.0 || k == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    // Both branches share the prefactor x^a e^-x / Γ(a).
    let ln_prefix = k * lambda.ln() - lambda - ln_gamma(k);
    if lambda < k + 1.0 {
        ln_prefix + lower_gamma_series(k, lambda).ln()
    } else {
        let ln_q = ln_prefix + upper_gamma_fraction(k, lambda).ln();
        (-ln_q.exp()).ln_1p()
    }
}

/// The 5% and 95% quantiles of a Poisson count of mean `lambda`.
pub fn poisson_band(lambda: f64) -> (f64, f64) {
    if lambda.is_nan() || lambda <= 0.0 {
        return (0.0, 0.0);
    }
    if lambda > BAND_EXACT_MAX {
        // Normal approximation with the first skewness correction (Cornish–Fisher).
        let at = |z: f64| {
            (lambda + z * lambda.sqrt() + (z * z - 1.0) / 6.0)
                .round()
                .max(0.0)
        };
        return (at(-Z95), at(Z95));
    }
    let (mut k, mut pmf) = (0.0, (-lambda).exp());
    let mut cdf = pmf;
    let mut low = None;
    loop {
        if low.is_none() && cdf >= 0.05 {
            low = Some(k);
        }
        if cdf >= 0.95 {
            return (low.unwrap_or(k), k);
        }
        k += 1.0;
        pmf *= lambda / k;
        cdf += pmf;
    }
}

/// Σ x^n / (a (a+1) … (a+n)), so that P(a, x) = prefix · sum; converges fast for x < a + 1.
fn lower_gamma_series(a: f64, x: f64) -> f64 {
    let mut term = 1.0 / a;
    let mut sum = term;
    let mut n = a;
    for _ in 0..MAX_ITER {
        n += 1.0;
        term *= x / n;
        sum += term;
        if term < sum * EPS {
            break;
        }
    }
    sum
}

/// Continued fraction (modified Lentz) for Q(a, x) / prefix, for x ≥ a + 1.
fn upper_gamma_fraction(a: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..=MAX_ITER {
        let i = i as f64;
        let an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, nine terms: about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ln P(X >= k) for integer k by summing the probability mass directly.
    fn direct_ln_tail(k: u32, lambda: f64) -> f64 {
        let ln_fact: f64 = (1..=k).map(|i| f64::from(i).ln()).sum();
        let ln_first = f64::from(k) * lambda.ln() - lambda - ln_fact;
        let (mut term, mut sum, mut n) = (1.0, 1.0, f64::from(k));
        while term > 1e-18 {
            n += 1.0;
            term *= lambda / n;
            sum += term;
        }
        ln_first + f64::ln(sum)
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-300)
    }

    #[test]
    fn ten_or_more_with_mean_two_is_about_4_65e_minus_5() {
        let p = ln_poisson_upper_tail(10.0, 2.0).exp();
        assert!(close(p, 4.649_807e-5, 1e-5), "{p}");
    }

    #[test]
    fn at_least_one_is_one_minus_e_to_the_minus_lambda() {
        for lambda in [1e-6, 0.01, 0.5, 1.0, 3.0, 30.0] {
            let p = ln_poisson_upper_tail(1.0, lambda).exp();
            assert!(close(p, -f64::exp_m1(-lambda), 1e-12), "{lambda}: {p}");
        }
    }

    #[test]
    fn tails_match_direct_summation_on_both_branches() {
        for (k, lambda) in [
            (3, 0.5),
            (7, 7.0),
            (8, 7.5),
            (20, 30.0),
            (60, 40.0),
            (1000, 900.0),
        ] {
            let got = ln_poisson_upper_tail(f64::from(k), lambda);
            let want = direct_ln_tail(k, lambda);
            assert!(close(got, want, 1e-9), "k={k} λ={lambda}: {got} vs {want}");
        }
    }

    #[test]
    fn far_tails_stay_finite_and_accurate() {
        let got = ln_poisson_upper_tail(500.0, 10.0);
        assert!(got.is_finite() && got < -1400.0, "{got}");
        assert!(close(got, direct_ln_tail(500, 10.0), 1e-10));
        assert!(ln_poisson_upper_tail(1e6, 10.0).is_finite());
        assert!(ln_poisson_upper_tail(20.0, 1e-9).is_finite());
    }

    #[test]
    fn tail_is_zero_for_nothing_and_decreases_with_k() {
        assert_eq!(ln_poisson_upper_tail(0.0, 3.0), 0.0);
        assert_eq!(ln_poisson_upper_tail(-2.0, 3.0), 0.0);
        assert_eq!(ln_poisson_upper_tail(f64::NAN, 3.0), 0.0);
        let mut last = 0.0;
        for i in 1..200 {
            let v = ln_poisson_upper_tail(f64::from(i) * 0.25, 4.0);
            assert!(
                v <= last + 1e-12,
                "not decreasing at k={}",
                f64::from(i) * 0.25
            );
            last = v;
        }
    }

    #[test]
    fn score_floors_expected_and_is_zero_below_expectation() {
        let cfg = DetectConfig::default();
        let s = score(2.0, 0.001, &cfg);
        assert_eq!(s.expected, cfg.min_expected_per_window);
        assert_eq!(s.ratio, 4.0);
        let calm = score(3.0, 5.0, &cfg);
        assert_eq!(calm.anomaly, 0.0);
        let nan = score(f64::NAN, 5.0, &cfg);
        assert_eq!(nan.observed, 0.0);
    }

    #[test]
    fn anomaly_reaches_one_exactly_when_problems_thresholds_hold() {
        let cfg = DetectConfig::default();
        let big = score(100.0, 5.0, &cfg);
        assert!(big.meets(&cfg.problems));
        assert_eq!(big.anomaly, 1.0);
        let mild = score(12.0, 4.0, &cfg);
        assert!(!mild.meets(&cfg.problems));
        assert!(mild.anomaly > 0.0 && mild.anomaly < 1.0);
        // Many reports but only 20% above normal: highly significant, yet not an outage.
        let busy = score(12_000.0, 10_000.0, &cfg);
        assert!(busy.neg_log10_p > 10.0 && busy.anomaly < 0.1);
    }

    #[test]
    fn band_holds_the_expectation() {
        assert_eq!(poisson_band(0.0), (0.0, 0.0));
        assert_eq!(poisson_band(0.1), (0.0, 1.0));
        let (lo, hi) = poisson_band(10.0);
        assert_eq!((lo, hi), (5.0, 15.0));
        let (lo, hi) = poisson_band(10_000.0);
        assert!(lo < 10_000.0 && hi > 10_000.0 && (hi - lo - 329.0).abs() < 3.0);
    }
}
