//! How often incidents open at an ordinary time: the background against which a cluster of
//! onsets is judged, and the Poisson test of a cluster.
//!
//! The rate is onsets per minute per active service, learnt from past onsets. Past outage
//! events would inflate it (and make the next one look ordinary), so onsets are counted in
//! 10-minute bins and each bin is capped at what an ordinary bin reaches (the 99.9% Poisson
//! quantile of the mean bin). A prior of one incident per service per 30 days, worth one day
//! of history, keeps a young server from a rate of zero.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use statrs::distribution::{Discrete, DiscreteCDF, Poisson};

/// Prior rate: one incident per service per 30 days, per minute.
const PRIOR_PER_MINUTE: f64 = 1.0 / (30.0 * 1440.0);
/// The prior is worth this many minutes of history (one day).
const PRIOR_MINUTES: f64 = 1440.0;
/// Bin width when capping past bursts of onsets.
const BIN_MINUTES: i64 = 10;
/// An ordinary bin stays under this quantile of the mean bin's Poisson count.
const CAP_QUANTILE: f64 = 0.999;

/// Incident onsets per minute per active service at an ordinary time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BackgroundRate(f64);

impl Default for BackgroundRate {
    /// The prior alone: one incident per service per 30 days.
    fn default() -> Self {
        Self(PRIOR_PER_MINUTE)
    }
}

impl BackgroundRate {
    /// A rate given directly (onsets per minute per active service); negative or non-finite
    /// values give the prior.
    pub fn per_minute(rate: f64) -> Self {
        if rate.is_finite() && rate > 0.0 {
            Self(rate)
        } else {
            Self::default()
        }
    }

    /// The rate learnt from the incident `onsets` seen between `from` and `to`, while about
    /// `active_services` services were active on average. Bursts of onsets (past events)
    /// are capped; onsets outside `[from, to)` are ignored.
    pub fn estimate(
        onsets: &[DateTime<Utc>],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        active_services: f64,
    ) -> Self {
        let span = (to - from).num_minutes();
        if span <= 0 || !(active_services.is_finite() && active_services > 0.0) {
            return Self::default();
        }
        let bins = ((span + BIN_MINUTES - 1) / BIN_MINUTES) as usize;
        let mut counts = vec![0u64; bins];
        for onset in onsets {
            let at = (*onset - from).num_minutes();
            if (0..span).contains(&at) {
                counts[(at / BIN_MINUTES) as usize] += 1;
            }
        }
        let raw: u64 = counts.iter().sum();
        let cap = ordinary_cap(raw as f64 / bins as f64);
        let kept: u64 = counts.iter().map(|c| (*c).min(cap)).sum();
        let exposure = span as f64 * active_services;
        let prior_exposure = PRIOR_MINUTES * active_services;
        Self::per_minute(
            (kept as f64 + PRIOR_PER_MINUTE * prior_exposure) / (exposure + prior_exposure),
        )
    }

    /// Onsets per minute per active service.
    pub fn value(self) -> f64 {
        self.0
    }

    /// The chance of at least `count` onsets among `active_services` services within
    /// `window_minutes`, at this rate (Poisson upper tail).
    pub fn chance_of(self, count: usize, active_services: usize, window_minutes: i64) -> f64 {
        let mean = self.0 * active_services.max(1) as f64 * window_minutes.max(1) as f64;
        poisson_at_least(mean, count as u64)
    }
}

/// `P(X ≥ k)` for `X ~ Poisson(mean)`.
pub fn poisson_at_least(mean: f64, k: u64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    match Poisson::new(mean.max(1e-12)) {
        Ok(p) => p.sf(k - 1),
        Err(_) => 1.0,
    }
}

/// The most onsets an ordinary bin holds when bins average `mean`.
fn ordinary_cap(mean: f64) -> u64 {
    let Ok(p) = Poisson::new(mean.max(1e-9)) else {
        return 1;
    };
    let mut k = 0u64;
    let mut cdf = p.pmf(0);
    while cdf < CAP_QUANTILE && k < 10_000 {
        k += 1;
        cdf += p.pmf(k);
    }
    k.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn the_rate_is_learnt_from_ordinary_onsets_and_ignores_a_past_event() {
        let from = t0();
        let to = from + chrono::TimeDelta::days(28);
        // 300 services, one incident each per 30 days: 280 onsets in 28 days, spread evenly.
        let ordinary: Vec<_> = (0..280)
            .map(|i| from + chrono::TimeDelta::minutes(i * 144 + 7))
            .collect();
        let calm = BackgroundRate::estimate(&ordinary, from, to, 300.0).value();
        let expected = 280.0 / (28.0 * 1440.0 * 300.0);
        assert!((calm / expected - 1.0).abs() < 0.05, "{calm} vs {expected}");
        // The same history with a past event of 40 onsets in one minute.
        let mut with_event = ordinary.clone();
        with_event.extend((0..40).map(|_| from + chrono::TimeDelta::days(3)));
        let learnt = BackgroundRate::estimate(&with_event, from, to, 300.0).value();
        assert!(
            learnt / calm < 1.02,
            "a past event moved the rate {calm} → {learnt}"
        );
    }

    #[test]
    fn without_history_the_prior_rules_and_the_tail_is_poisson() {
        let none = BackgroundRate::estimate(&[], t0(), t0(), 100.0);
        assert_eq!(none, BackgroundRate::default());
        // 300 services, 3 minutes, the prior: mean 0.0208; three onsets ≈ 1.5e-6.
        let p = BackgroundRate::default().chance_of(3, 300, 3);
        assert!(p > 1e-6 && p < 2e-6, "{p}");
        assert_eq!(BackgroundRate::default().chance_of(0, 300, 3), 1.0);
    }
}
