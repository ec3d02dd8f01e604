//! How noisy one series is: the overdispersion `α` of its window counts, learnt from the
//! series' own history.
//!
//! With `μ` the expected count of a window and `o` the count seen, a negative binomial count
//! has `E[(o − μ)²] = μ + α μ²`, so `α ≈ Σ((o − μ)² − μ) / Σ μ²` over calm windows. The
//! estimate is made robust and honest in three ways:
//! - only calm windows teach it (the series ok, the baseline warm): an outage or a burst the
//!   detector is already flagging is not "normal noise";
//! - each squared residual is **winsorised** at 3 standard deviations of the current model,
//!   and one window weighs at most a twentieth of the prior, so one wild window (or the first
//!   minutes of a surge that is not yet flagged) moves it by a bounded amount;
//! - it is **shrunk** towards a prior (the pooled value) by `prior_weight` units of `μ²`, so
//!   a sparse series (small μ, little evidence) keeps the prior, while a busy one learns its
//!   own within hours. Old evidence fades with a half-life of days, so it follows change.

use serde::{Deserialize, Serialize};

/// Standard deviations at which a residual is winsorised.
const CLIP_SD: f64 = 3.0;
/// Most weight one window carries, as a fraction of the prior's weight.
const MAX_WINDOW_SHARE: f64 = 0.05;
/// The estimate never goes past this (a series noisier than that is one long burst).
const MAX_ALPHA: f64 = 5.0;

/// The running estimate; small enough to persist beside a series' state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispersion {
    /// Σ w ((o − μ)² − μ) / μ², winsorised.
    num: f64,
    /// Σ w, with w = min(μ², a twentieth of the prior's weight).
    den: f64,
}

impl Default for Dispersion {
    fn default() -> Self {
        Self::new()
    }
}

impl Dispersion {
    /// No evidence yet: the prior rules.
    pub const fn new() -> Self {
        Self { num: 0.0, den: 0.0 }
    }

    /// The estimate of `α`, shrunk towards `prior` with weight `prior_weight`.
    pub fn alpha(&self, prior: f64, prior_weight: f64) -> f64 {
        let den = self.den + prior_weight;
        if den <= 0.0 {
            return prior.max(0.0);
        }
        let alpha = (self.num + prior * prior_weight) / den;
        if alpha.is_finite() {
            alpha.clamp(0.0, MAX_ALPHA)
        } else {
            prior.max(0.0)
        }
    }

    /// How much evidence the estimate holds, in units of `μ²` (at most a twentieth of the
    /// prior's weight per window).
    pub fn weight(&self) -> f64 {
        self.den
    }

    /// Learns from one calm window: `observed` reports against `expected`; `decay` (0–1]
    /// is how much of the old evidence survives this window.
    pub fn learn(&mut self, observed: f64, expected: f64, decay: f64, prior: f64, weight: f64) {
        if !(observed.is_finite() && expected.is_finite() && expected > 0.0 && observed >= 0.0) {
            return;
        }
        let alpha = self.alpha(prior, weight);
        let sd = (expected * (1.0 + alpha * expected)).sqrt();
        let square = expected * expected;
        if !(sd.is_finite() && square.is_finite()) {
            return;
        }
        let residual = (observed - expected).clamp(-CLIP_SD * sd, CLIP_SD * sd);
        let decay = decay.clamp(0.0, 1.0);
        let w = square.min((MAX_WINDOW_SHARE * weight).max(f64::MIN_POSITIVE));
        self.num = self.num * decay + w * (residual * residual - expected) / square;
        self.den = self.den * decay + w;
    }

    /// The per-window decay for a memory of `half_life_minutes`, learning once a minute.
    pub fn decay_per_minute(half_life_minutes: f64) -> f64 {
        if half_life_minutes > 0.0 {
            0.5_f64.powf(1.0 / half_life_minutes)
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};
    use rand_distr::{Distribution, Gamma, Poisson};

    /// Gamma–Poisson counts of mean `mean` and overdispersion `alpha`.
    fn learn_from(alpha: f64, mean: f64, windows: usize, seed: u64) -> f64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let gamma = Gamma::new(1.0 / alpha, alpha * mean).expect("valid gamma");
        let mut d = Dispersion::new();
        let decay = Dispersion::decay_per_minute(7.0 * 1440.0);
        for _ in 0..windows {
            let rate: f64 = gamma.sample(&mut rng);
            let count: f64 = Poisson::new(rate.max(1e-9))
                .expect("valid")
                .sample(&mut rng);
            d.learn(count, mean, decay, 0.1, 200.0);
        }
        d.alpha(0.1, 200.0)
    }

    #[test]
    fn a_busy_series_learns_its_own_dispersion() {
        for (alpha, mean) in [(0.02, 300.0), (0.2, 50.0), (0.5, 40.0)] {
            let got = learn_from(alpha, mean, 5_000, 7);
            assert!(
                (got - alpha).abs() < 0.35 * alpha,
                "α {alpha} at μ {mean}: {got}"
            );
        }
    }

    #[test]
    fn a_sparse_series_keeps_the_prior() {
        // 300 windows of 0.5 expected reports are 75 units of evidence against the prior's 200.
        let got = learn_from(2.0, 0.5, 300, 3);
        assert!(got < 1.0 && (got - 0.1).abs() < 0.6, "{got}");
    }

    #[test]
    fn one_wild_window_moves_it_a_bounded_amount() {
        let mut d = Dispersion::new();
        for _ in 0..2_000 {
            d.learn(100.0, 100.0, 1.0, 0.05, 200.0);
        }
        let before = d.alpha(0.05, 200.0);
        d.learn(100_000.0, 100.0, 1.0, 0.05, 200.0);
        let after = d.alpha(0.05, 200.0);
        assert!(after - before < 0.01, "{before} -> {after}");
        // Nor does one surging window of a series with little evidence yet.
        let mut fresh = Dispersion::new();
        fresh.learn(90.0, 19.0, 1.0, 0.1, 200.0);
        let once = fresh.alpha(0.1, 200.0);
        assert!(once < 0.2, "{once}");
        d.learn(f64::NAN, 100.0, 1.0, 0.05, 200.0);
        assert_eq!(d.alpha(0.05, 200.0), after);
    }
}
