//! One series, bucket by bucket: score the last few minutes against the baseline and the
//! series' own noise, step the state machine, then teach the baseline and the noise model.
//!
//! This is the one engine: the server's detector ([`super::tick`]) keeps a
//! [`SeriesDetector`] per series and calls [`SeriesDetector::judge`] with the window it read
//! from the buckets; `downwatch replay` calls [`SeriesDetector::observe`], which keeps the
//! window itself and then calls the same `judge`. A replayed CSV gives the same decisions.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::baseline::{Baseline, Sample};
use super::config::DetectConfig;
use super::dispersion::Dispersion;
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

/// A decision on one window: its score, and the state it leaves the series in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judgement {
    pub score: Score,
    pub state: State,
    pub transition: Option<Transition>,
}

/// Detection for one series (a service, or a service in one country).
#[derive(Debug, Clone)]
pub struct SeriesDetector {
    baseline: Baseline,
    tracker: Tracker,
    dispersion: Dispersion,
    window: VecDeque<Bucket>,
    cfg: DetectConfig,
    /// How much of the dispersion's evidence survives one minute.
    decay: f64,
    /// The dispersion a series with little evidence of its own is shrunk towards: the
    /// configured prior, or the value pooled over the server's busy series.
    pooled: f64,
}

impl SeriesDetector {
    /// A detector with an empty baseline, on UTC time of day.
    pub fn new(cfg: DetectConfig) -> Self {
        Self::in_zone(cfg, None)
    }

    /// A detector whose time of day is local time in `zone` (a country's series).
    pub fn in_zone(cfg: DetectConfig, zone: Option<Tz>) -> Self {
        let baseline = Baseline::in_zone(&cfg, zone);
        Self::resume(cfg, baseline, Tracker::new())
    }

    /// A detector resuming from a persisted tracker and a baseline rebuilt from rollups.
    pub fn resume(cfg: DetectConfig, baseline: Baseline, tracker: Tracker) -> Self {
        let decay = Dispersion::decay_per_minute(cfg.dispersion_half_life_days * 1440.0);
        Self {
            baseline,
            tracker,
            dispersion: Dispersion::new(),
            window: VecDeque::new(),
            pooled: cfg.dispersion_prior,
            cfg,
            decay,
        }
    }

    /// Expected reports over the `minutes` starting at `start`.
    pub fn expected(&self, start: DateTime<Utc>, minutes: u32) -> f64 {
        self.baseline.expected_per_minute(start) * f64::from(minutes)
    }

    /// The overdispersion this series' windows are judged with.
    pub fn dispersion(&self) -> f64 {
        self.dispersion
            .alpha(self.pooled, self.cfg.dispersion_prior_weight)
    }

    /// Whether the series has learnt its dispersion mostly from its own windows.
    pub fn knows_its_dispersion(&self) -> bool {
        self.dispersion.weight() >= self.cfg.dispersion_prior_weight
    }

    /// Sets the value a sparse series' dispersion is shrunk towards.
    pub fn set_pooled_dispersion(&mut self, alpha: f64) {
        if alpha.is_finite() && alpha >= 0.0 {
            self.pooled = alpha;
        }
    }

    /// Whether the series has seen enough history to be judged.
    pub fn is_warm(&self) -> bool {
        self.baseline.minutes_of_history() >= u64::from(self.cfg.warmup_minutes)
    }

    /// Judges the window ending at `at`: `observed` reports against `expected`. Steps the
    /// state machine once the series is warm, and lets a calm window teach the noise model.
    pub fn judge(&mut self, at: DateTime<Utc>, observed: f64, expected: f64) -> Judgement {
        let score = score(observed, expected, self.dispersion(), &self.cfg);
        if !self.is_warm() {
            return Judgement {
                score,
                state: self.tracker.state,
                transition: None,
            };
        }
        let was_ok = self.tracker.state == State::Ok;
        let transition = self.tracker.step(at, &score, &self.cfg);
        // Only windows of a calm series with a meaningful expectation teach the noise: with
        // less than one expected report the count says little about the variance, and the
        // prior (the pooled value) is kept.
        if was_ok && self.tracker.state == State::Ok && expected >= 1.0 {
            self.dispersion.learn(
                score.observed,
                expected,
                self.decay,
                self.pooled,
                self.cfg.dispersion_prior_weight,
            );
        }
        Judgement {
            score,
            state: self.tracker.state,
            transition,
        }
    }

    /// Whether a bucket starting at `at` is kept out of the baseline: the series is not ok,
    /// and its episode started less than `exclude_hours` ago (past that, the new level is
    /// learnt, so that a lasting change is followed rather than flagged for ever).
    pub fn excludes(&self, at: DateTime<Utc>) -> bool {
        self.tracker.state != State::Ok
            && self
                .tracker
                .episode_start()
                .is_none_or(|since| at - since < Duration::hours(i64::from(self.cfg.exclude_hours)))
    }

    /// Feeds one bucket of `minutes` length starting at `start` with `value` reports; returns
    /// the decision at the bucket's end. The baseline used is learnt only from earlier
    /// buckets (no look-ahead); the bucket is pushed into the baseline after scoring, left
    /// out when the series is in an episode ([`Self::excludes`]). A negative or non-finite
    /// value counts as 0, a zero length as one minute.
    pub fn observe(&mut self, start: DateTime<Utc>, minutes: u32, value: f64) -> Step {
        let minutes = minutes.max(1);
        let value = if value.is_finite() && value > 0.0 {
            value
        } else {
            0.0
        };
        let at = start + Duration::minutes(i64::from(minutes));
        let expected = self.expected(start, minutes);

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

        let judgement = self.judge(at, observed, window_expected);
        let anomalous = self.excludes(start);
        self.baseline.push(&Sample {
            start,
            minutes,
            value,
            anomalous,
        });
        Step {
            at,
            observed,
            expected: window_expected,
            score: judgement.score,
            state: judgement.state,
            transition: judgement.transition,
        }
    }

    /// What this series normally gets.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// The baseline, to teach it history in bulk (the server's rollups).
    pub fn baseline_mut(&mut self) -> &mut Baseline {
        &mut self.baseline
    }

    /// Where this series stands.
    pub fn tracker(&self) -> &Tracker {
        &self.tracker
    }

    /// Replaces the state (after a leader resumes from the saved trackers).
    pub fn set_tracker(&mut self, tracker: Tracker) {
        self.tracker = tracker;
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
    fn window_sums_the_last_window_minutes() {
        let (mut d, t) = warmed(2.0);
        let window = f64::from(d.config().window_minutes);
        let mut last = None;
        for i in 0..7 {
            last = Some(d.observe(t + Duration::minutes(i), 1, 2.0));
        }
        let step = last.expect("observed");
        assert_eq!(step.observed, 2.0 * window);
        assert!(
            (step.expected - 2.0 * window).abs() < 0.01,
            "{}",
            step.expected
        );
        assert_eq!(step.at, t + Duration::minutes(7));
    }

    #[test]
    fn an_outage_opens_and_then_closes_an_incident() {
        let (mut d, mut t) = warmed(2.0);
        let mut transitions = Vec::new();
        for i in 0..60 {
            let value = if (5..25).contains(&i) { 60.0 } else { 2.0 };
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
    fn a_sparse_series_takes_the_pooled_dispersion_and_a_busy_one_its_own() {
        let mut sparse = SeriesDetector::new(DetectConfig::default());
        sparse.set_pooled_dispersion(0.4);
        assert!((sparse.dispersion() - 0.4).abs() < 1e-12);
        assert!(!sparse.knows_its_dispersion());
        // A steady series (Poisson-like counts of 20 a minute) learns a dispersion near 0.
        let (mut busy, _) = warmed(20.0);
        busy.set_pooled_dispersion(0.4);
        assert!(busy.knows_its_dispersion());
        assert!(busy.dispersion() < 0.05, "{}", busy.dispersion());
    }

    #[test]
    fn a_permanent_doubling_is_learnt_within_hours() {
        let (mut d, mut t) = warmed(20.0);
        let mut last = None;
        for _ in 0..12 * 60 {
            last = Some(d.observe(t, 1, 40.0));
            t += Duration::minutes(1);
        }
        let step = last.expect("observed");
        assert_eq!(step.state, State::Ok, "{step:?}");
        assert!(d.baseline().expected_per_minute(t) > 30.0);
    }

    #[test]
    fn buckets_longer_than_the_window_are_scored_alone() {
        let (mut d, t) = warmed(1.0);
        d.observe(t, 15, 15.0);
        let step = d.observe(t + Duration::minutes(15), 15, 15.0);
        assert_eq!(step.observed, 15.0);
    }
}
