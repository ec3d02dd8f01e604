//! The numbers behind detection, in one place: observation window, thresholds, hysteresis and
//! baseline memory. An incident records [`METHODOLOGY_VERSION`] so that a reader can tell
//! which rules flagged it.

use serde::Serialize;

/// Version of the detection method; bump it whenever a default below or a formula changes.
pub const METHODOLOGY_VERSION: &str = "dw-detect-1";

/// Three conditions that must all hold for a series to enter a state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Thresholds {
    /// Least surprise, as `-log10 P(X >= observed | expected)`: 6 means "one chance in a
    /// million of seeing this many reports by bad luck alone".
    pub min_neg_log10_p: f64,
    /// Least ratio of observed to expected reports in the window.
    pub min_ratio: f64,
    /// Least counted reports (distinct reporters, after flood damping) in the window.
    pub min_reporters: f64,
}

/// How detection decides; [`Default`] gives the published method.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectConfig {
    /// Observation window in minutes: reports are compared over the last this many minutes.
    pub window_minutes: u32,
    /// Thresholds to enter "possible problems".
    pub possible: Thresholds,
    /// Thresholds to enter (or escalate to) "problems".
    pub problems: Thresholds,
    /// A minute is calm when observed / expected is below this (or see
    /// [`leave_neg_log10_p`](Self::leave_neg_log10_p) and `possible.min_reporters / 2`).
    pub leave_ratio: f64,
    /// A minute is also calm when the surprise `-log10 p` is below this (3: chance explains
    /// it better than one time in a thousand): with few reports a ratio of 2 is ordinary
    /// noise and must not keep an incident open.
    pub leave_neg_log10_p: f64,
    /// An incident ends only after this many minutes of uninterrupted calm.
    pub calm_minutes: u32,
    /// How many days of past reports the baseline remembers.
    pub history_days: u32,
    /// Expected reports per minute assumed for a series with no history yet.
    pub prior_per_minute: f64,
    /// Floor on the expected count in a window, so that 2 reports against an expectation of
    /// 0.001 are not "a million times normal".
    pub min_expected_per_window: f64,
    /// Clamp (low, high) of the recent-level factor that lets the baseline follow growth.
    pub level_bounds: (f64, f64),
    /// Flood damping: most counted reports one subnet may contribute to a window.
    pub subnet_cap: f64,
    /// A series is not judged until its baseline has seen this many minutes: without any
    /// history a busy service would look like an outage of a quiet one.
    pub warmup_minutes: u32,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            window_minutes: 5,
            possible: Thresholds {
                min_neg_log10_p: 6.0,
                min_ratio: 3.0,
                min_reporters: 6.0,
            },
            problems: Thresholds {
                min_neg_log10_p: 10.0,
                min_ratio: 5.0,
                min_reporters: 15.0,
            },
            leave_ratio: 2.0,
            leave_neg_log10_p: 3.0,
            calm_minutes: 10,
            history_days: 28,
            prior_per_minute: 0.01,
            min_expected_per_window: 0.5,
            level_bounds: (0.5, 4.0),
            subnet_cap: 3.0,
            warmup_minutes: 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_thresholds_are_stricter_than_possible_ones() {
        let cfg = DetectConfig::default();
        assert!(cfg.problems.min_neg_log10_p > cfg.possible.min_neg_log10_p);
        assert!(cfg.problems.min_ratio > cfg.possible.min_ratio);
        assert!(cfg.problems.min_reporters > cfg.possible.min_reporters);
        assert!(cfg.leave_ratio < cfg.possible.min_ratio);
        assert!(cfg.level_bounds.0 <= 1.0 && 1.0 <= cfg.level_bounds.1);
    }
}
