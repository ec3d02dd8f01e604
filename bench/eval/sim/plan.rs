//! What happens to a simulated service over a run: outages and their shape, viral bursts,
//! a holiday, a level shift and missing hours, drawn from a seeded generator.

use chrono::{Duration, Timelike};
use rand::rngs::Xoshiro256PlusPlus;
use rand::RngExt;

use super::{start, Service, MINUTES_PER_DAY, OUTAGE_END_RATIO, WARMUP_DAYS};

/// The shape of an outage, in minutes since its onset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    /// Minute index (from [`start`]) of the onset.
    pub onset: i64,
    /// Minutes to reach 6 times normal (1–3).
    pub rise: i64,
    /// Peak multiple of normal (10–100).
    pub peak: f64,
    /// Minutes from onset to the peak (15–60).
    pub to_peak: i64,
    /// Time constant of the tail, in minutes.
    pub tail: f64,
    /// A second wave: (minutes after onset, peak multiple).
    pub second: Option<(i64, f64)>,
}

impl Outage {
    /// Multiple of normal `i` minutes after the onset (1 outside the outage).
    pub fn multiplier(&self, i: i64) -> f64 {
        if i < 0 {
            return 1.0;
        }
        let first = if i < self.rise {
            1.0 + 5.0 * (i + 1) as f64 / self.rise as f64
        } else if i <= self.to_peak {
            let progress = (i + 1 - self.rise) as f64 / (self.to_peak + 1 - self.rise) as f64;
            6.0 * (self.peak / 6.0).powf(progress)
        } else {
            1.0 + (self.peak - 1.0) * (-((i - self.to_peak) as f64) / self.tail).exp()
        };
        let second = self.second.map_or(0.0, |(at, peak)| {
            let j = i - at;
            if j < 0 {
                0.0
            } else if j < 10 {
                (peak - 1.0) * (j + 1) as f64 / 10.0
            } else {
                (peak - 1.0) * (-((j - 10) as f64) / self.tail).exp()
            }
        });
        first + second
    }

    /// Minutes from onset until the shape is back under 1.5× after its last peak.
    pub fn minutes(&self) -> i64 {
        let last_peak = self.second.map_or(self.to_peak, |(at, _)| at + 10);
        (last_peak..last_peak + 3 * MINUTES_PER_DAY)
            .find(|&i| self.multiplier(i) < OUTAGE_END_RATIO)
            .unwrap_or(last_peak + 3 * MINUTES_PER_DAY)
    }
}

/// A viral "is X down?" burst: `factor` times normal for `minutes`, nothing down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Burst {
    pub start: i64,
    pub minutes: i64,
    pub factor: f64,
}

/// A permanent change of level reached over `ramp` minutes (also used for holidays).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shift {
    pub start: i64,
    pub ramp: i64,
    pub factor: f64,
}

impl Shift {
    fn at(&self, m: i64) -> f64 {
        let progress = ((m - self.start) as f64 / self.ramp.max(1) as f64).clamp(0.0, 1.0);
        1.0 + (self.factor - 1.0) * progress
    }
}

/// What happens to a service over the run, in minute indices from [`start`].
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub days: u32,
    pub outages: Vec<Outage>,
    pub bursts: Vec<Burst>,
    /// Two weeks at a lower level: the lull, then its end (a shift back).
    pub holiday: Option<(Shift, Shift)>,
    pub shift: Option<Shift>,
    /// Missing rows: (first minute, length).
    pub gaps: Vec<(i64, i64)>,
}

impl Plan {
    /// One to three outages after the warm-up, a few bursts a month, maybe a holiday and a
    /// level shift, and a few missing hours away from the events.
    pub fn random(service: &Service, days: u32, rng: &mut Xoshiro256PlusPlus) -> Self {
        let total = i64::from(days) * MINUTES_PER_DAY;
        let warm = i64::from(WARMUP_DAYS) * MINUTES_PER_DAY;
        let mut plan = Plan {
            days,
            ..Plan::default()
        };
        let wanted = rng.random_range(1..=3);
        for _ in 0..200 {
            if plan.outages.len() == wanted || total - MINUTES_PER_DAY <= warm {
                break;
            }
            let o = Outage {
                onset: rng.random_range(warm..total - MINUTES_PER_DAY),
                rise: rng.random_range(1..=3),
                peak: rng.random_range(10f64.ln()..100f64.ln()).exp(),
                to_peak: rng.random_range(15..=60),
                tail: rng.random_range(30.0..90.0),
                second: None,
            };
            let o = Outage {
                second: rng.random_bool(0.3).then(|| {
                    (
                        o.to_peak + rng.random_range(60..=180),
                        1.0 + (o.peak - 1.0) * rng.random_range(0.2..0.6),
                    )
                }),
                ..o
            };
            let apart = plan
                .outages
                .iter()
                .all(|p| (p.onset - o.onset).abs() >= 4 * MINUTES_PER_DAY);
            if apart && o.onset + o.minutes() < total {
                plan.outages.push(o);
            }
        }
        plan.outages.sort_by_key(|o| o.onset);
        let busy = |plan: &Plan, from: i64, to: i64, margin: i64| {
            plan.outages
                .iter()
                .any(|o| from < o.onset + o.minutes() + margin && o.onset - margin < to)
                || plan
                    .bursts
                    .iter()
                    .any(|b| from < b.start + b.minutes + margin && b.start - margin < to)
                || plan
                    .gaps
                    .iter()
                    .any(|&(g, len)| from < g + len + margin && g - margin < to)
        };
        let wanted = (f64::from(days) / 30.0 * rng.random_range(2.0..4.0)).round() as usize;
        for _ in 0..50 * wanted {
            if plan.bursts.len() == wanted {
                break;
            }
            let b = Burst {
                start: rng.random_range(MINUTES_PER_DAY..total - 60),
                minutes: rng.random_range(5..=15),
                factor: rng.random_range(2.0..5.0),
            };
            // Viral posts spread while the audience is awake.
            let hour = (start() + Duration::minutes(b.start))
                .with_timezone(&service.tz)
                .hour();
            if (8..23).contains(&hour) && !busy(&plan, b.start, b.start + b.minutes, 120) {
                plan.bursts.push(b);
            }
        }
        plan.bursts.sort_by_key(|b| b.start);
        if days > WARMUP_DAYS + 28 && rng.random_bool(0.5) {
            let from = rng.random_range(i64::from(WARMUP_DAYS + 7)..i64::from(days) - 21);
            let level = rng.random_range(0.4..0.6);
            let lull = Shift {
                start: from * MINUTES_PER_DAY + rng.random_range(0..MINUTES_PER_DAY),
                ramp: 360,
                factor: level,
            };
            let back = Shift {
                start: lull.start + 14 * MINUTES_PER_DAY,
                ramp: 360,
                factor: 1.0 / level,
            };
            plan.holiday = Some((lull, back));
        }
        if days > WARMUP_DAYS + 10 && rng.random_bool(0.5) {
            plan.shift = Some(Shift {
                start: rng.random_range(warm + 3 * MINUTES_PER_DAY..total - 7 * MINUTES_PER_DAY),
                ramp: rng.random_range(180..=MINUTES_PER_DAY),
                factor: if rng.random_bool(0.5) { 2.0 } else { 0.5 },
            });
        }
        let wanted = (f64::from(days) / 90.0 * rng.random_range(2.0..5.0)).ceil() as usize;
        for _ in 0..50 * wanted {
            if plan.gaps.len() == wanted {
                break;
            }
            let len = rng.random_range(60..=360);
            let g = rng.random_range(MINUTES_PER_DAY..total - len);
            if !busy(&plan, g, g + len, 120) {
                plan.gaps.push((g, len));
            }
        }
        plan.gaps.sort_unstable();
        plan
    }

    /// Holiday and level-shift multiple of the normal rate at minute `m`.
    pub fn level(&self, m: i64) -> f64 {
        let holiday = self
            .holiday
            .map_or(1.0, |(lull, back)| lull.at(m) * back.at(m));
        holiday * self.shift.map_or(1.0, |s| s.at(m))
    }

    /// The least multiple of normal the events impose at minute `m` (0 when none); `ends`
    /// holds each outage's last minute of influence.
    pub(super) fn floor(&self, m: i64, ends: &[i64]) -> f64 {
        let outage = self
            .outages
            .iter()
            .zip(ends)
            .filter(|(o, &end)| (o.onset..end).contains(&m))
            .map(|(o, _)| o.multiplier(m - o.onset))
            .fold(0.0, f64::max);
        let burst = self
            .bursts
            .iter()
            .filter(|b| (b.start..b.start + b.minutes).contains(&m))
            .map(|b| b.factor)
            .fold(0.0, f64::max);
        outage.max(burst)
    }

    pub(super) fn in_gap(&self, m: i64) -> bool {
        self.gaps.iter().any(|&(g, len)| (g..g + len).contains(&m))
    }
}
