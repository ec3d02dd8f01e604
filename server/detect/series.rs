//! One series, bucket by bucket: score the last few minutes against the baseline, step the
//! state machine, then teach the baseline. The server and `downwatch replay` both drive
//! detection through [`SeriesDetector::observe`], so a replayed CSV gives the same decisions.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::baseline::{Baseline, Sample};
use super::config::DetectConfig;
use super::score::{score, Score};
use super::state::{State, Tracker, Transition};

/// A bucket in the observation window, with the expectation it had when it arrived.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    start: DateTime<Utc>,
    minutes: u32,
    value: f64,
    expected: f64,
}

/// The decision taken at the end of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    /// End of the bucket: the moment the decision is about.
    pub at: DateTime<Utc>,
    /// Reports in the observation window.
    pub observed: f64,
    /// Expected reports in the same window, before the `min_expected_per_window` floor.
    pub expected: f64,
    pub score: Score,
    /// State after this bucket.
    pub state: State,
    pub transition: Option<Transition>,
}

/// Detection for one series (a service, or a service in one country).
#[derive(Debug, Clone)]
pub struct SeriesDetector {
    baseline: Baseline,
    tracker: Tracker,
    window: VecDeque<Bucket>,
    cfg: DetectConfig,
}

impl SeriesDetector {
    /// A detector with an empty baseline.
    pub fn new(cfg: DetectConfig) -> Self {
        Self {
            baseline: Baseline::new(&cfg),
            tracker: Tracker::new(),
            window: VecDeque::new(),
            cfg,
        }
    }

    /// A detector resuming from a persisted tracker and a baseline rebuilt from rollups.
    pub fn resume(cfg: DetectConfig, baseline: Baseline, tracker: Tracker) -> Self {
        Self {
            baseline,
            tracker,
            window: VecDeque::new(),
            cfg,
        }
    }

    /// Feeds one bucket of `minutes` length starting at `start` with `value` reports; returns
    /// the decision at the bucket's end. The baseline used is learnt only from earlier
    /// buckets (no look-ahead); the bucket is pushed into the baseline after scoring, flagged
    /// anomalous when the resulting state is not ok. A negative or non-finite value counts
    /// as 0, a zero length as one minute.
    pub fn observe(&mut self, start: DateTime<Utc>, minutes: u32, value: f64) -> Step {
        let minutes = minutes.max(1);
        let value = if value.is_finite() && value > 0.0 {
            value
        } else {
            0.0
        };
        let at = start + Duration::minutes(i64::from(minutes));
        let expected = self.baseline.expected_per_minute(start) * f64::from(minutes);

        let span = Duration::minutes(i64::from(self.cfg.window_minutes.max(minutes)));
        let cutoff = at - span;
        // Keep earlier buckets that end by `start` and start within the span.
        self.window.retain(|b| {
            b.start >= cutoff && b.start + Duration::minutes(i64::from(b.minutes)) <= start
        });
        self.window.push_back(Bucket {
            start,
            minutes,
            value,
            expected,
        });
        let (observed, window_expected) = self
            .window
            .iter()
            .fold((0.0, 0.0), |(o, e), b| (o + b.value, e + b.expected));

        let score = score(observed, window_expected, &self.cfg);
        let warm = self.baseline.minutes_of_history() >= u64::from(self.cfg.warmup_minutes);
        let transition = if warm {
            self.tracker.step(at, &score, &self.cfg)
        } else {
            None
        };
        let state = self.tracker.state;
        self.baseline.push(&Sample {
            start,
            minutes,
            value,
            anomalous: state != State::Ok,
        });
        Step {
            at,
            observed,
            expected: window_expected,
            score,
            state,
            transition,
        }
    }

    /// What this series normally gets.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// Where this series stands.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// The configuration in use.
    pub fn config(&self) -> &DetectConfig {
        &self.cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
            .single()
            .expect("valid")
    }

    /// Two days at a steady `per_minute`, one-minute buckets.
    fn warmed(per_minute: f64) -> (SeriesDetector, DateTime<Utc>) {
        let mut d = SeriesDetector::new(DetectConfig::default());
        let mut t = t0();
        for _ in 0..2 * 1440 {
            let step = d.observe(t, 1, per_minute);
            assert_eq!(step.state, State::Ok);
            t += Duration::minutes(1);
        }
        (d, t)
    }

    #[test]
    fn window_sums_the_last_five_minutes() {
        let (mut d, t) = warmed(2.0);
        let mut last = None;
        for i in 0..7 {
            last = Some(d.observe(t + Duration::minutes(i), 1, 2.0));
        }
        let step = last.expect("observed");
        assert_eq!(step.observed, 10.0);
        assert!((step.expected - 10.0).abs() < 0.01, "{}", step.expected);
        assert_eq!(step.at, t + Duration::minutes(7));
    }

    #[test]
    fn an_outage_opens_and_then_closes_an_incident() {
        let (mut d, mut t) = warmed(2.0);
        let mut transitions = Vec::new();
        for i in 0..60 {
            let value = if (5..25).contains(&i) { 40.0 } else { 2.0 };
            transitions.extend(d.observe(t, 1, value).transition);
            t += Duration::minutes(1);
        }
        let states: Vec<_> = transitions.iter().map(|x| x.to).collect();
        assert!(states.contains(&State::Problems), "{transitions:?}");
        assert_eq!(states.last(), Some(&State::Ok));
        // The outage did not become normal.
        assert!(d.baseline().expected_per_minute(t) < 2.5);
    }

    #[test]
    fn a_new_series_is_not_judged_during_warm_up() {
        let mut d = SeriesDetector::new(DetectConfig::default());
        let step = d.observe(t0(), 1, 500.0);
        assert_eq!(step.state, State::Ok);
        assert!(step.score.anomaly > 0.9);
    }

    #[test]
    fn buckets_longer_than_the_window_are_scored_alone() {
        let (mut d, t) = warmed(1.0);
        d.observe(t, 15, 15.0);
        let step = d.observe(t + Duration::minutes(15), 15, 15.0);
        assert_eq!(step.observed, 15.0);
    }
}
