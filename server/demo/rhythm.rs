//! When people report: a seeded random source, the daily and weekly rhythm of a service's
//! audience in local time, and Poisson counts drawn from it.
//!
//! Everything random in the demo comes from [`Rng`], so a `--seed` repeats the same history.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// A small, fast, seeded random source (SplitMix64): good enough for synthetic traffic, and
/// deterministic per seed (the crate has no `rand` dependency).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// A new source for one purpose (`stream`), independent of the others of this seed.
    pub fn derive(seed: u64, stream: u64) -> Self {
        Self::new(mix(seed ^ mix(stream.wrapping_add(0x9E37_79B9))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            // Multiply-shift: unbiased enough for n far below 2^64.
            ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An index drawn with the given (non-negative) weights; 0 when they are all zero.
    pub fn weighted(&mut self, weights: impl Iterator<Item = f64> + Clone) -> usize {
        let total: f64 = weights.clone().sum();
        let mut x = self.unit() * total;
        let mut last = 0;
        for (i, w) in weights.enumerate() {
            if w > 0.0 {
                last = i;
                if x < w {
                    return i;
                }
                x -= w;
            }
        }
        last
    }

    /// A Poisson-distributed count with mean `lambda`.
    pub fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda.is_nan() || lambda <= 0.0 {
            return 0;
        }
        if lambda > 40.0 {
            // Normal approximation (Box–Muller); exact enough for counts this large.
            let (u1, u2) = (self.unit().max(f64::MIN_POSITIVE), self.unit());
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            return (lambda + z * lambda.sqrt()).round().max(0.0) as u64;
        }
        // Knuth: multiply uniforms until the product falls under e^-lambda.
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.unit();
        while p > limit {
            k += 1;
            p *= self.unit();
        }
        k
    }

    /// 16 random bytes (the demo's stand-in for reporter and subnet pseudonyms).
    pub fn bytes16(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(&self.next_u64().to_le_bytes());
        out.extend_from_slice(&self.next_u64().to_le_bytes());
        out
    }
}

/// SplitMix64's finaliser: a good 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The shape of a service's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// Streaming, social, games, messaging: quiet nights, busiest in the evening, weekends up.
    Leisure,
    /// Chatbots, mail, banks, office tools: busiest in working hours, weekends down.
    Work,
}

/// Relative activity at each local hour (interpolated in between), before normalisation.
const LEISURE_HOURS: [f64; 24] = [
    0.75, 0.50, 0.33, 0.24, 0.20, 0.22, 0.35, 0.60, 0.85, 0.95, 1.00, 1.05, 1.15, 1.15, 1.10, 1.10,
    1.15, 1.25, 1.40, 1.60, 1.80, 1.85, 1.60, 1.15,
];
const WORK_HOURS: [f64; 24] = [
    0.35, 0.22, 0.15, 0.12, 0.12, 0.15, 0.30, 0.70, 1.25, 1.60, 1.70, 1.70, 1.55, 1.55, 1.65, 1.60,
    1.50, 1.35, 1.20, 1.15, 1.15, 1.10, 0.90, 0.60,
];
/// Relative activity per local weekday, Monday first.
const LEISURE_DAYS: [f64; 7] = [0.95, 0.95, 0.97, 0.98, 1.02, 1.08, 1.05];
const WORK_DAYS: [f64; 7] = [1.08, 1.08, 1.07, 1.06, 1.02, 0.82, 0.80];

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// A service's audience in one time zone: how busy it is at any moment, relative to its
/// weekly average (which is 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rhythm {
    pub profile: Profile,
    /// Local time minus UTC, in minutes (no daylight saving: this is a demo).
    pub utc_offset_minutes: i32,
}

impl Rhythm {
    pub fn new(profile: Profile, utc_offset_minutes: i32) -> Self {
        Self {
            profile,
            utc_offset_minutes,
        }
    }

    /// Activity at `t` relative to the weekly average: below 1 at night, above in the peak.
    pub fn factor(&self, t: DateTime<Utc>) -> f64 {
        let (hours, days) = match self.profile {
            Profile::Leisure => (&LEISURE_HOURS, &LEISURE_DAYS),
            Profile::Work => (&WORK_HOURS, &WORK_DAYS),
        };
        let local = t + chrono::TimeDelta::minutes(i64::from(self.utc_offset_minutes));
        let minute =
            f64::from(local.hour() * 60 + local.minute()) + f64::from(local.second()) / 60.0;
        let hour = (minute / 60.0).floor() as usize % 24;
        let frac = minute / 60.0 - (minute / 60.0).floor();
        let daily = hours[hour] * (1.0 - frac) + hours[(hour + 1) % 24] * frac;
        let weekly = days[local.weekday().num_days_from_monday() as usize];
        (daily / mean(hours)) * (weekly / mean(days))
    }

    /// Reports per minute over `minutes` minutes from `from`, for a service averaging
    /// `mean_per_minute`: the rhythm times Poisson noise, drawn from `rng`.
    pub fn counts(
        &self,
        mean_per_minute: f64,
        from: DateTime<Utc>,
        minutes: usize,
        rng: &mut Rng,
    ) -> Vec<u64> {
        (0..minutes)
            .map(|i| {
                let t = from + chrono::TimeDelta::minutes(i as i64);
                rng.poisson(mean_per_minute * self.factor(t))
            })
            .collect()
    }
}

/// A service's level on one day relative to its average (0.9 to 1.1): some days are busier
/// than others. The same for a seed, service and day, in the backfill and live.
pub fn day_level(seed: u64, service: usize, t: DateTime<Utc>) -> f64 {
    let day = t.timestamp().div_euclid(86_400) as u64;
    let mut rng = Rng::derive(seed, (service as u64) << 32 ^ day);
    0.9 + 0.2 * rng.unit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_means_are_right() {
        let mut rng = Rng::new(1);
        for lambda in [0.05, 0.7, 5.0, 90.0] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| rng.poisson(lambda)).sum();
            let mean = sum as f64 / f64::from(n);
            assert!(
                (mean - lambda).abs() < 0.05 * lambda + 0.01,
                "{lambda}: {mean}"
            );
        }
    }

    #[test]
    fn the_rhythm_averages_one_over_a_week() {
        let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        for profile in [Profile::Leisure, Profile::Work] {
            let r = Rhythm::new(profile, 60);
            let total: f64 = (0..7 * 24 * 60)
                .map(|m| r.factor(start + chrono::TimeDelta::minutes(m)))
                .sum();
            let avg = total / f64::from(7 * 24 * 60);
            assert!((avg - 1.0).abs() < 0.02, "{profile:?}: {avg}");
        }
    }

    #[test]
    fn weighted_picks_follow_weights() {
        let mut rng = Rng::new(3);
        let weights = [0.0, 3.0, 1.0];
        let mut seen = [0; 3];
        for _ in 0..4000 {
            seen[rng.weighted(weights.iter().copied())] += 1;
        }
        assert_eq!(seen[0], 0);
        assert!(seen[1] > 2 * seen[2], "{seen:?}");
    }
}
