//! The two simple baselines every Downwatch figure is compared with, run on the same buckets
//! and with the same incident semantics, so that a difference is about the judgement.
//!
//! Choices, the same for both unless said:
//! - **Observation**: the sum of the buckets of the last 5 minutes (Downwatch's observation
//!   window; one bucket when buckets are 5 minutes or longer), from the shared bucketing
//!   (`series::buckets`: repeats summed, gaps skipped).
//! - **History**: the observations of the trailing day (1,440 minutes, the current one
//!   excluded), all of them — alarms included, as in the textbook forms (leaving alarms out
//!   would freeze the history at a level shift). Nothing is scored before an hour of history.
//! - **Windowed Gaussian**: `z = (x − mean) / σ` over the history; alarm at `z ≥ 4`.
//! - **Rolling median/MAD**: robust `z = (x − median) / (1.4826 · MAD)`; when the MAD is 0 (a
//!   sparse series is mostly zeros) the scale is `1.2533 ×` the mean absolute deviation from
//!   the median, the usual fallback; alarm at `z ≥ 5`.
//! - **Scale floor**: σ and the robust scale are at least one unit of the data (the smallest
//!   positive bucket value or step between buckets seen; one report for counts), since a
//!   count cannot move by less.
//! - **Incidents**: an incident ("problems") opens after 2 consecutive alarming buckets (no
//!   gap between them); it closes after 10 calm minutes in a row, a bucket being calm when its
//!   z is under half the threshold (Downwatch likewise leaves at a lower bar than it enters).
//!   There is no "possible problems" level.
//! - **Score** for the ranking figures: z (0 while warming up).
//!
//! Thresholds are the usual ones for these methods (4σ; 5 robust σ for the heavier-tailed
//! MAD), not tuned on the evaluation.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use downwatch::detect::State;

use super::series::{mins, Bucket, Decision};

/// Which statistic a baseline uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gaussian,
    Mad,
}

/// A baseline and its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    pub name: &'static str,
    pub kind: Kind,
    /// z at or above which a bucket alarms.
    pub threshold: f64,
    pub window_minutes: i64,
    pub history_minutes: i64,
    pub min_history_minutes: i64,
    /// Consecutive alarming buckets that open an incident.
    pub open_after: u32,
    pub calm_minutes: i64,
}

/// Trailing mean/σ z-score, alarm at 4.
pub fn gaussian() -> Baseline {
    Baseline {
        name: "gauss-z4",
        kind: Kind::Gaussian,
        threshold: 4.0,
        window_minutes: 5,
        history_minutes: 1440,
        min_history_minutes: 60,
        open_after: 2,
        calm_minutes: 10,
    }
}

/// Rolling median/MAD robust z-score, alarm at 5.
pub fn mad() -> Baseline {
    Baseline {
        name: "mad-z5",
        kind: Kind::Mad,
        threshold: 5.0,
        ..gaussian()
    }
}

/// The trailing observations and the statistics kept over them.
struct History {
    items: VecDeque<(DateTime<Utc>, f64)>,
    sum: f64,
    sum_sq: f64,
    /// The same values in order (robust baseline only).
    sorted: Vec<f64>,
    keep_sorted: bool,
    pushes: u64,
}

impl History {
    fn push(&mut self, at: DateTime<Utc>, x: f64) {
        self.items.push_back((at, x));
        self.sum += x;
        self.sum_sq += x * x;
        if self.keep_sorted {
            let i = self.sorted.partition_point(|&v| v < x);
            self.sorted.insert(i, x);
        }
        self.pushes += 1;
        if self.pushes.is_multiple_of(4096) {
            // Running sums drift; start them again from the values.
            self.sum = self.items.iter().map(|i| i.1).sum();
            self.sum_sq = self.items.iter().map(|i| i.1 * i.1).sum();
        }
    }

    fn expire(&mut self, before: DateTime<Utc>) {
        while let Some(&(at, x)) = self.items.front() {
            if at >= before {
                break;
            }
            self.items.pop_front();
            self.sum -= x;
            self.sum_sq -= x * x;
            if self.keep_sorted {
                let i = self.sorted.partition_point(|&v| v < x);
                self.sorted
                    .remove(i.min(self.sorted.len().saturating_sub(1)));
            }
        }
    }

    fn mean_sd(&self) -> (f64, f64) {
        let n = self.items.len() as f64;
        let mean = self.sum / n;
        (mean, (self.sum_sq / n - mean * mean).max(0.0).sqrt())
    }

    fn median_scale(&self) -> (f64, f64) {
        let s = &self.sorted;
        let n = s.len();
        let median = if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        };
        // Distances from the median, in order: walk outwards from it on both sides.
        let split = s.partition_point(|&v| v < median);
        let (mut lo, mut hi) = (split, split);
        let mut nth = |k: usize| {
            let mut d = 0.0;
            for _ in 0..k {
                let left = (lo > 0).then(|| median - s[lo - 1]);
                let right = (hi < n).then(|| s[hi] - median);
                d = match (left, right) {
                    (Some(l), Some(r)) if l <= r => {
                        lo -= 1;
                        l
                    }
                    (Some(l), None) => {
                        lo -= 1;
                        l
                    }
                    (_, Some(r)) => {
                        hi += 1;
                        r
                    }
                    (None, None) => d,
                };
            }
            d
        };
        let mad = if n % 2 == 1 {
            nth(n / 2 + 1)
        } else {
            let a = nth(n / 2);
            (a + nth(1)) / 2.0
        };
        let scale = if mad > 0.0 {
            1.4826 * mad
        } else {
            1.2533 * s.iter().map(|v| (v - median).abs()).sum::<f64>() / n as f64
        };
        (median, scale)
    }
}

/// Runs a baseline over buckets of `bucket_minutes`; one decision per bucket.
pub fn run(b: &Baseline, buckets: &[Bucket], bucket_minutes: u32) -> Vec<Decision> {
    let len = mins(i64::from(bucket_minutes.max(1)));
    let span = mins(b.window_minutes).max(len);
    let mut window: VecDeque<Bucket> = VecDeque::new();
    let mut history = History {
        items: VecDeque::new(),
        sum: 0.0,
        sum_sq: 0.0,
        sorted: Vec::new(),
        keep_sorted: b.kind == Kind::Mad,
        pushes: 0,
    };
    let mut first: Option<DateTime<Utc>> = None;
    let mut unit = f64::INFINITY;
    let mut state = State::Ok;
    let (mut streak, mut previous, mut calm_since) = (0, None, None);
    let mut out = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let at = bucket.start + len;
        let step = window
            .back()
            .map_or(0.0, |w| (bucket.value - w.value).abs());
        for v in [bucket.value, step] {
            if v > 0.0 {
                unit = unit.min(v);
            }
        }
        window.retain(|w| w.start >= at - span);
        window.push_back(*bucket);
        let x: f64 = window.iter().map(|w| w.value.max(0.0)).sum();
        history.expire(at - mins(b.history_minutes));
        let since = *first.get_or_insert(bucket.start);
        let warm = at - since >= mins(b.min_history_minutes) && history.items.len() >= 2;
        let z = if warm {
            let floor = if unit.is_finite() { unit } else { 1.0 };
            let (centre, scale) = match b.kind {
                Kind::Gaussian => history.mean_sd(),
                Kind::Mad => history.median_scale(),
            };
            (x - centre) / scale.max(floor)
        } else {
            0.0
        };
        let adjacent = previous == Some(bucket.start);
        previous = Some(at);
        if state == State::Ok {
            streak = if z >= b.threshold {
                if adjacent {
                    streak + 1
                } else {
                    1
                }
            } else {
                0
            };
            if streak >= b.open_after {
                state = State::Problems;
                calm_since = None;
            }
        } else if z < b.threshold / 2.0 {
            let since = *calm_since.get_or_insert(at);
            if at - since >= mins(b.calm_minutes) {
                state = State::Ok;
                streak = 0;
            }
        } else {
            calm_since = None;
        }
        out.push(Decision {
            at,
            score: z,
            state,
        });
        history.push(at, x);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn minutes(values: &[f64]) -> Vec<Bucket> {
        let t0 = Utc
            .with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
            .single()
            .expect("date");
        values
            .iter()
            .enumerate()
            .map(|(i, &value)| Bucket {
                start: t0 + mins(i as i64),
                value,
            })
            .collect()
    }

    fn series(level: f64, surge: f64) -> Vec<f64> {
        (0..600)
            .map(|i| {
                let noise = [0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0][i % 7];
                let base = level + noise;
                if (400..420).contains(&i) {
                    base * surge
                } else {
                    base
                }
            })
            .collect()
    }

    #[test]
    fn both_baselines_open_on_a_surge_and_close_after_it() {
        for b in [gaussian(), mad()] {
            let d = run(&b, &minutes(&series(20.0, 10.0)), 1);
            let problems: Vec<usize> = (0..d.len())
                .filter(|&i| d[i].state == State::Problems)
                .collect();
            assert!(
                problems.first().is_some_and(|&i| (400..405).contains(&i)),
                "{}: {problems:?}",
                b.name
            );
            assert!(
                problems.last().is_some_and(|&i| i < 450),
                "{}: {problems:?}",
                b.name
            );
        }
    }

    #[test]
    fn steady_noise_raises_nothing() {
        for b in [gaussian(), mad()] {
            let d = run(&b, &minutes(&series(20.0, 1.0)), 1);
            assert!(d.iter().all(|d| d.state == State::Ok), "{}", b.name);
        }
    }

    #[test]
    fn the_robust_scale_is_the_mad_of_the_history() {
        let mut h = History {
            items: VecDeque::new(),
            sum: 0.0,
            sum_sq: 0.0,
            sorted: Vec::new(),
            keep_sorted: true,
            pushes: 0,
        };
        let t = Utc.timestamp_opt(0, 0).single().expect("epoch");
        for v in [1.0, 2.0, 3.0, 4.0, 100.0] {
            h.push(t, v);
        }
        let (median, scale) = h.median_scale();
        assert_eq!(median, 3.0);
        // Distances 2, 1, 0, 1, 97: MAD 1.
        assert!((scale - 1.4826).abs() < 1e-9, "{scale}");
        h.push(t, 5.0);
        let (median, scale) = h.median_scale();
        assert_eq!(median, 3.5);
        // Distances 2.5, 1.5, 0.5, 0.5, 1.5, 96.5: MAD 1.5.
        assert!((scale - 1.4826 * 1.5).abs() < 1e-9, "{scale}");
    }
}
