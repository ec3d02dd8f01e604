//! The per-series state machine: ok → possible problems → problems → ok, with hysteresis so
//! that one noisy minute neither opens nor closes an incident.
//!
//! A series enters a state when all of that state's thresholds have held for that state's
//! `sustain_minutes` in a row (`dw-detect-2` asks two minutes for problems: a one-window
//! burst reaches possible problems at most). It never steps down from
//! problems to possible problems (an incident keeps its peak severity); it returns to ok only
//! after `calm_minutes` of uninterrupted calm.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::config::DetectConfig;
use super::score::Score;
pub use crate::domain::State;

/// A change of state, stamped with the end of the minute that caused it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: State,
    pub to: State,
    pub at: DateTime<Utc>,
}

/// The state of one series and the clocks that drive its hysteresis; small enough to persist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tracker {
    pub state: State,
    /// When the current state was entered (`None` for a series that has always been ok).
    pub since: Option<DateTime<Utc>>,
    /// First decision of the current run of calm minutes while not ok.
    pub calm_since: Option<DateTime<Utc>>,
    /// When the series last left ok (the start of the current episode, while not ok).
    #[serde(default)]
    pub episode_since: Option<DateTime<Utc>>,
    /// Minutes in a row that met the "possible problems" thresholds.
    #[serde(default)]
    pub possible_run: u32,
    /// Minutes in a row that met the "problems" thresholds.
    #[serde(default)]
    pub problems_run: u32,
    /// Minutes in a row that met the held-surge thresholds (`problems_held`).
    #[serde(default)]
    pub held_run: u32,
}

impl Default for Tracker {
    fn default() -> Self {
        Self::new()
    }
}

impl Tracker {
    /// A series that is ok.
    pub fn new() -> Self {
        Self {
            state: State::Ok,
            since: None,
            calm_since: None,
            episode_since: None,
            possible_run: 0,
            problems_run: 0,
            held_run: 0,
        }
    }

    /// Takes the decision for the window ending at `at`; returns the transition, if any.
    pub fn step(
        &mut self,
        at: DateTime<Utc>,
        score: &Score,
        cfg: &DetectConfig,
    ) -> Option<Transition> {
        let run = |met: bool, run: u32| if met { run.saturating_add(1) } else { 0 };
        self.problems_run = run(score.meets(&cfg.problems), self.problems_run);
        self.possible_run = run(score.meets(&cfg.possible), self.possible_run);
        let held = cfg.problems_held.as_ref();
        self.held_run = run(held.is_some_and(|t| score.meets(t)), self.held_run);
        let held = held.is_some_and(|t| self.held_run >= t.sustain_minutes.max(1));
        let next = if held || self.problems_run >= cfg.problems.sustain_minutes.max(1) {
            State::Problems
        } else if self.state == State::Ok
            && self.possible_run >= cfg.possible.sustain_minutes.max(1)
        {
            State::PossibleProblems
        } else if self.state != State::Ok && self.calm_long_enough(at, score, cfg) {
            State::Ok
        } else {
            self.state
        };
        if next == self.state {
            return None;
        }
        let from = self.state;
        if from == State::Ok {
            self.episode_since = Some(at);
        }
        self.state = next;
        self.since = Some(at);
        self.calm_since = None;
        Some(Transition { from, to: next, at })
    }

    /// When the current episode (the time since the series left ok) started.
    pub fn episode_start(&self) -> Option<DateTime<Utc>> {
        self.episode_since.or(self.since)
    }

    /// Updates the calm clock and says whether calm has lasted `calm_minutes`.
    fn calm_long_enough(&mut self, at: DateTime<Utc>, score: &Score, cfg: &DetectConfig) -> bool {
        let calm = score.ratio < cfg.leave_ratio
            || score.neg_log10_p < cfg.leave_neg_log10_p
            || score.observed < cfg.possible.min_reporters / 2.0;
        if !calm {
            self.calm_since = None;
            return false;
        }
        let since = *self.calm_since.get_or_insert(at);
        at - since >= Duration::minutes(i64::from(cfg.calm_minutes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::score::score;
    use chrono::TimeZone;

    fn minute(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 14, 0, 0)
            .single()
            .expect("valid")
            + Duration::minutes(m)
    }

    /// Drives a tracker with one observed count per minute against an expectation of 4, with
    /// Poisson noise (dispersion 0).
    fn run(counts: &[f64]) -> (Tracker, Vec<Transition>) {
        run_with(&DetectConfig::default(), counts)
    }

    fn run_with(cfg: &DetectConfig, counts: &[f64]) -> (Tracker, Vec<Transition>) {
        let mut t = Tracker::new();
        let mut out = Vec::new();
        for (i, &c) in counts.iter().enumerate() {
            out.extend(t.step(minute(i as i64), &score(c, 4.0, 0.0, cfg), cfg));
        }
        (t, out)
    }

    #[test]
    fn one_surging_window_reaches_possible_problems_at_most() {
        let (t, out) = run(&[80.0, 4.0, 4.0]);
        assert_eq!(t.state, State::PossibleProblems, "{out:?}");
        let (t, _) = run(&[80.0, 80.0]);
        assert_eq!(t.state, State::Problems);
        let v1 = DetectConfig::for_method(crate::detect::config::Method::DwDetect1);
        let (t, _) = run_with(&v1, &[80.0]);
        assert_eq!(t.state, State::Problems, "dw-detect-1 needed one window");
    }

    #[test]
    fn normal_minutes_stay_ok() {
        let (t, out) = run(&[4.0, 6.0, 3.0, 9.0, 2.0]);
        assert_eq!(t.state, State::Ok);
        assert!(out.is_empty());
    }

    #[test]
    fn moderate_surge_is_possible_problems_then_escalates_and_never_steps_down() {
        let (t, out) = run(&[18.0, 60.0, 60.0, 18.0, 18.0]);
        assert_eq!(t.state, State::Problems);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].from, out[0].to),
            (State::Ok, State::PossibleProblems)
        );
        assert_eq!(
            (out[1].from, out[1].to),
            (State::PossibleProblems, State::Problems)
        );
    }

    #[test]
    fn returns_to_ok_only_after_ten_calm_minutes() {
        let mut counts = vec![60.0, 60.0];
        counts.extend([4.0; 10]);
        let (t, _) = run(&counts);
        assert_eq!(
            t.state,
            State::Problems,
            "ten calm decisions span nine minutes"
        );
        counts.push(4.0);
        let (t, out) = run(&counts);
        assert_eq!(t.state, State::Ok);
        assert_eq!(out.last().map(|x| x.at), Some(minute(12)));
    }

    #[test]
    fn a_non_calm_minute_restarts_the_calm_clock() {
        let mut counts = vec![60.0, 60.0];
        counts.extend([4.0; 8]);
        counts.push(14.0); // ratio 3.5 and p < 1%: not calm, yet below the entry thresholds
        counts.extend([4.0; 8]);
        let (t, _) = run(&counts);
        assert_eq!(t.state, State::Problems);
        assert!(t.calm_since.is_some());
    }
}
