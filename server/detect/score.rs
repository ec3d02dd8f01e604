//! How surprising an observed count is, given the expected count and how noisy the series is.
//!
//! Report counts are **overdispersed**: one viral post brings a burst, reports excite more
//! reports, so a window's count varies far more than a Poisson count of the same mean. The
//! noise model of `dw-detect-2` is the negative binomial with variance `μ (1 + α μ)`, the
//! dispersion `α` learnt per series ([`super::dispersion`]). From it come:
//! - the **surprise** `-log10 P(X ≥ observed)`: how often chance alone gives this many;
//! - the **confident ratio** `ratio_low`: the true ratio is at least this much with the
//!   configured confidence (a quasi-Poisson posterior of the rate: the count is worth
//!   `observed / (1 + α · observed)` Poisson reports of evidence);
//! - the **anomaly score**, the confidence that the true ratio reaches the "problems" ratio:
//!   a probability, so that a burst at 3× scores low and an outage at 20× scores near 1.
//!
//! `dw-detect-1` (kept for comparison) used the Poisson tail and a 0–1 progress score.
//! Distributions and special functions come from `statrs`.

use serde::Serialize;
use statrs::distribution::{DiscreteCDF, Poisson};
use statrs::function::beta::beta_reg;
use statrs::function::erf::erf_inv;
use statrs::function::gamma::{gamma_lr, gamma_ur};

use super::config::{DetectConfig, Method, Thresholds};

/// Smallest expectation ever used, whatever the configuration, so that logs stay finite.
const MIN_LAMBDA: f64 = 1e-9;
/// The surprise is never stated beyond this (one chance in 10^12): past it, a model fitted to
/// a few weeks of one series cannot back the digits, so it is "far more than chance explains".
pub const MAX_SURPRISE: f64 = 12.0;

/// How an observed count compares with its expectation over the same window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// Counted reports in the window (may be decimal after flood damping).
    pub observed: f64,
    /// Expected reports in the window, after the floor `min_expected_per_window`.
    pub expected: f64,
    /// `observed / expected`.
    pub ratio: f64,
    /// The true ratio is at least this with the configured confidence (`dw-detect-1`: the
    /// ratio itself).
    pub ratio_low: f64,
    /// Surprise: `-log10 P(X >= observed)` under the noise model, at most [`MAX_SURPRISE`].
    pub neg_log10_p: f64,
    /// The overdispersion `α` the score used (0 = Poisson).
    pub dispersion: f64,
    /// `dw-detect-2`: the confidence (0–1) that the true ratio is at least the "problems"
    /// ratio. `dw-detect-1`: the least advanced of its three criteria towards "problems".
    pub anomaly: f64,
}

impl Score {
    /// True when every threshold of `t` holds for this window alone.
    pub fn meets(&self, t: &Thresholds) -> bool {
        self.neg_log10_p >= t.min_neg_log10_p
            && self.ratio >= t.min_ratio
            && self.observed >= t.min_reporters
            && self.ratio_low >= t.min_ratio_low
    }

    /// The surprise in words, as people read it (never a p-value the model cannot back).
    pub fn surprise_words(&self) -> &'static str {
        Surprise::of(self.neg_log10_p).words()
    }
}

/// How surprising a window is, in the steps people can read; [`Surprise::words`] is what a
/// journalist may quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surprise {
    /// At or past 10^-9: far more than chance explains (no digits the model cannot back).
    Far,
    /// Past one chance in a million.
    OneInMillion,
    /// Past one chance in ten thousand.
    OneInTenThousand,
    /// Past one chance in a hundred.
    Unusual,
    /// Chance explains it.
    Normal,
}

impl Surprise {
    /// The step of a surprise `-log10 p`.
    pub fn of(neg_log10_p: f64) -> Self {
        match neg_log10_p {
            s if s >= 9.0 => Surprise::Far,
            s if s >= 6.0 => Surprise::OneInMillion,
            s if s >= 4.0 => Surprise::OneInTenThousand,
            s if s >= 2.0 => Surprise::Unusual,
            _ => Surprise::Normal,
        }
    }

    /// In English, for the API.
    pub fn words(self) -> &'static str {
        match self {
            Surprise::Far => "far more than chance explains",
            Surprise::OneInMillion => "less than one chance in a million by chance alone",
            Surprise::OneInTenThousand => "less than one chance in ten thousand by chance alone",
            Surprise::Unusual => "unusual, but chance could explain it",
            Surprise::Normal => "within normal variation",
        }
    }

    /// The key of its translation in the pages' message files (`incident.surprise_*`).
    pub fn key(self) -> &'static str {
        match self {
            Surprise::Far => "incident.surprise_far",
            Surprise::OneInMillion => "incident.surprise_million",
            Surprise::OneInTenThousand => "incident.surprise_ten_thousand",
            Surprise::Unusual => "incident.surprise_unusual",
            Surprise::Normal => "incident.surprise_normal",
        }
    }
}

/// Compares an observed count (may be decimal after damping) with the expected count over
/// the same window, for a series of overdispersion `dispersion`.
pub fn score(observed: f64, expected: f64, dispersion: f64, cfg: &DetectConfig) -> Score {
    let observed = if observed.is_finite() && observed > 0.0 {
        observed
    } else {
        0.0
    };
    let expected = expected.max(cfg.min_expected_per_window).max(MIN_LAMBDA);
    let ratio = observed / expected;
    let dispersion = match cfg.method {
        Method::DwDetect1 => 0.0,
        Method::DwDetect2 if dispersion.is_finite() => dispersion.max(0.0),
        Method::DwDetect2 => cfg.dispersion_prior,
    };
    let raw = -ln_upper_tail(observed, expected, dispersion) / std::f64::consts::LN_10;
    // A NaN (from absurd inputs) reads as no surprise.
    let neg_log10_p = if raw.is_nan() {
        0.0
    } else {
        raw.clamp(0.0, MAX_SURPRISE)
    };
    let (ratio_low, anomaly) = match cfg.method {
        Method::DwDetect1 => (ratio, progress_v1(observed, ratio, neg_log10_p, cfg)),
        Method::DwDetect2 => {
            let evidence = Evidence::new(observed, expected, dispersion);
            (
                evidence.ratio_at_least(cfg.confidence),
                evidence.confidence_above(cfg.problems.min_ratio_low.max(1.0)),
            )
        }
    };
    Score {
        observed,
        expected,
        ratio,
        ratio_low,
        neg_log10_p,
        dispersion,
        anomaly,
    }
}

/// `dw-detect-1`'s score: the least advanced criterion towards its "problems" threshold.
fn progress_v1(observed: f64, ratio: f64, neg_log10_p: f64, cfg: &DetectConfig) -> f64 {
    if ratio <= 1.0 {
        return 0.0;
    }
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
}

/// What a window's count says about the true rate, under a quasi-Poisson posterior: the
/// count is worth `observed / φ` Poisson reports with `φ = 1 + α · observed`, and the
/// expectation is scaled alike; the rate's posterior is then Gamma(n + ½, 1) (Jeffreys).
struct Evidence {
    /// Effective reports.
    n: f64,
    /// Effective expectation.
    e: f64,
}

impl Evidence {
    fn new(observed: f64, expected: f64, dispersion: f64) -> Self {
        let phi = 1.0 + dispersion * observed.max(expected);
        Self {
            n: observed / phi,
            e: expected / phi,
        }
    }

    /// P(true ratio ≥ `ratio` | the count).
    fn confidence_above(&self, ratio: f64) -> f64 {
        let p = gamma_ur(self.n + 0.5, ratio * self.e);
        if p.is_finite() {
            p.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// The ratio the true ratio exceeds with probability `confidence` (Wilson–Hilferty
    /// quantile of the Gamma posterior).
    fn ratio_at_least(&self, confidence: f64) -> f64 {
        let a = self.n + 0.5;
        let z = std::f64::consts::SQRT_2 * erf_inv(2.0 * confidence - 1.0);
        let c = 1.0 / (9.0 * a);
        let q = a * (1.0 - c - z * c.sqrt()).max(0.0).powi(3);
        (q / self.e).max(0.0)
    }
}

/// ln P(X ≥ k) for real k ≥ 0: negative binomial of mean `mean` and overdispersion `alpha`
/// (Poisson when `alpha` is 0), continuous in `k` through the regularized incomplete beta and
/// gamma functions; 0 for k ≤ 0.
pub fn ln_upper_tail(k: f64, mean: f64, alpha: f64) -> f64 {
    if k.is_nan() || k <= 0.0 || mean == f64::INFINITY {
        return 0.0;
    }
    if mean.is_nan() || mean <= 0.0 || k == f64::INFINITY {
        return f64::NEG_INFINITY;
    }
    let p = if alpha > 1e-9 {
        // NB with size r = 1/α and success probability r / (r + μ): P(X ≥ k) = I_{1-p}(k, r).
        let r = 1.0 / alpha;
        beta_reg(k, r, mean / (r + mean))
    } else {
        gamma_lr(k, mean)
    };
    if p > 0.0 {
        p.ln()
    } else {
        // Beyond double precision: far past MAX_SURPRISE anyway.
        -1000.0
    }
}

/// The 5% and 95% quantiles of a Poisson count of mean `lambda` (0 and 0 for no mean).
pub fn poisson_band(lambda: f64) -> (f64, f64) {
    match Poisson::new(lambda) {
        Ok(d) => (d.inverse_cdf(0.05) as f64, d.inverse_cdf(0.95) as f64),
        Err(_) => (0.0, 0.0),
    }
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
