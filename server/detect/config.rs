//! The numbers behind detection, in one place: observation window, thresholds, hysteresis and
//! baseline memory. An incident records [`METHODOLOGY_VERSION`] so that a reader can tell
//! which rules flagged it.

use serde::{Deserialize, Serialize};

/// Version of the detection method new incidents record: the default [`Method`].
pub const METHODOLOGY_VERSION: &str = Method::DwDetect2.as_str();

/// A published detection method. `dw-detect-1` is kept so that its figures can be printed
/// beside the current method's (`bench/quality`) and old incidents re-checked with `replay`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Poisson tail + ratio + reporters over one window (until December 2026).
    #[serde(rename = "dw-detect-1")]
    DwDetect1,
    /// Overdispersed (negative binomial) noise learnt per series, a confident lower bound on
    /// the ratio, and a surge that must persist before it is called "problems".
    #[serde(rename = "dw-detect-2")]
    DwDetect2,
}

impl Method {
    /// The name incidents record.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::DwDetect1 => "dw-detect-1",
            Method::DwDetect2 => "dw-detect-2",
        }
    }
}

/// The conditions that must all hold for a series to enter a state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Least surprise, as `-log10 P(X >= observed | expected)` under the noise model: 6 means
    /// "one chance in a million of seeing this many reports by bad luck alone".
    pub min_neg_log10_p: f64,
    /// Least ratio of observed to expected reports in the window.
    pub min_ratio: f64,
    /// Least counted reports (distinct reporters, after flood damping) in the window.
    pub min_reporters: f64,
    /// Least ratio that the reports show with confidence [`DetectConfig::confidence`]
    /// (`dw-detect-2`; 0 disables): the lower end of what the true ratio could be.
    pub min_ratio_low: f64,
    /// Minutes in a row the conditions must hold before the state is entered (`dw-detect-2`;
    /// 1 = at once): a one-window burst is not an outage.
    ///
    /// A table of thresholds in a configuration file names all five fields: a partial one
    /// would silently take 0 and 1 for the others, so it is refused instead.
    pub sustain_minutes: u32,
}

/// How detection decides; [`Default`] gives the published method, [`DetectConfig::for_method`]
/// any published one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    /// Which published method the noise model and score follow.
    pub method: Method,
    /// Observation window in minutes: reports are compared over the last this many minutes.
    pub window_minutes: u32,
    /// Thresholds to enter "possible problems".
    pub possible: Thresholds,
    /// Thresholds to enter (or escalate to) "problems" quickly: a surge confidently beyond
    /// what an ordinary burst reaches.
    pub problems: Thresholds,
    /// A second way into "problems" (`dw-detect-2`): a smaller surge that holds longer than a
    /// viral burst does. `None` disables it.
    pub problems_held: Option<Thresholds>,
    /// A minute is calm when observed / expected is below this (or see
    /// [`leave_neg_log10_p`](Self::leave_neg_log10_p) and `possible.min_reporters / 2`).
    pub leave_ratio: f64,
    /// A minute is also calm when the surprise `-log10 p` is below this: chance explains it.
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
    /// Overdispersion `α` assumed before a series has shown its own (variance of a window's
    /// count = `μ (1 + α μ)`), and the value sparse series are shrunk towards.
    pub dispersion_prior: f64,
    /// Weight of that prior, in windows of one expected report (`Σ μ²` of evidence).
    pub dispersion_prior_weight: f64,
    /// Half-life of the dispersion's memory, in days.
    pub dispersion_half_life_days: f64,
    /// Confidence of the ratio's lower bound (`min_ratio_low`), e.g. 0.99.
    pub confidence: f64,
    /// Buckets of a non-ok episode are kept out of the baseline for at most this many hours;
    /// past that the new level is learnt (a lasting change is not an outage forever).
    pub exclude_hours: u32,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self::for_method(Method::DwDetect2)
    }
}

impl DetectConfig {
    /// The published configuration of `method`.
    pub fn for_method(method: Method) -> Self {
        let v1 = Self {
            method: Method::DwDetect1,
            window_minutes: 5,
            possible: Thresholds {
                min_neg_log10_p: 6.0,
                min_ratio: 3.0,
                min_reporters: 6.0,
                min_ratio_low: 0.0,
                sustain_minutes: 1,
            },
            problems: Thresholds {
                min_neg_log10_p: 10.0,
                min_ratio: 5.0,
                min_reporters: 15.0,
                min_ratio_low: 0.0,
                sustain_minutes: 1,
            },
            problems_held: None,
            leave_ratio: 2.0,
            leave_neg_log10_p: 3.0,
            calm_minutes: 10,
            history_days: 28,
            prior_per_minute: 0.01,
            min_expected_per_window: 0.5,
            level_bounds: (0.5, 4.0),
            subnet_cap: 3.0,
            warmup_minutes: 60,
            dispersion_prior: 0.0,
            dispersion_prior_weight: 0.0,
            dispersion_half_life_days: 7.0,
            confidence: 0.99,
            exclude_hours: 6,
        };
        match method {
            Method::DwDetect1 => v1,
            // Chosen on bench/quality (docs/detection.md has the figures): a 3-minute window
            // answers sooner than 5; 95% confidence and a confident ratio of 3.5 keep viral
            // bursts (2–5×) out of "problems" while outages rising past 6× get in.
            Method::DwDetect2 => Self {
                method,
                window_minutes: 3,
                possible: Thresholds {
                    min_neg_log10_p: 5.0,
                    min_ratio: 3.0,
                    min_reporters: 6.0,
                    min_ratio_low: 2.0,
                    sustain_minutes: 1,
                },
                problems: Thresholds {
                    min_neg_log10_p: 6.0,
                    min_ratio: 5.0,
                    min_reporters: 15.0,
                    min_ratio_low: 3.5,
                    sustain_minutes: 2,
                },
                problems_held: Some(Thresholds {
                    min_neg_log10_p: 6.0,
                    min_ratio: 4.0,
                    min_reporters: 15.0,
                    min_ratio_low: 2.5,
                    sustain_minutes: 12,
                }),
                leave_neg_log10_p: 2.0,
                dispersion_prior: 0.1,
                dispersion_prior_weight: 200.0,
                confidence: 0.95,
                ..v1
            },
        }
    }
}

#[cfg(test)]
mod config_file_tests {
    use super::*;

    #[test]
    fn a_file_overrides_some_fields_and_keeps_the_rest() {
        let cfg = DetectConfig::from_toml("window_minutes = 10\n[possible]\nmin_neg_log10_p = 5.0\nmin_ratio = 2.5\nmin_reporters = 4.0\nmin_ratio_low = 1.5\nsustain_minutes = 1\n").expect("valid");
        assert_eq!(cfg.possible.min_ratio_low, 1.5);
        let partial = DetectConfig::from_toml(
            "[possible]\nmin_neg_log10_p = 5.0\nmin_ratio = 2.5\nmin_reporters = 4.0\n",
        );
        assert!(partial.is_err_and(|e| e.contains("min_ratio_low")));
        let v1 = DetectConfig::from_toml("method = \"dw-detect-1\"").expect("valid");
        assert_eq!(v1, DetectConfig::for_method(Method::DwDetect1));
        let v1_wider = DetectConfig::from_toml("method = \"dw-detect-1\"\nwindow_minutes = 10")
            .expect("valid");
        assert_eq!(v1_wider.problems, v1.problems);
        assert_eq!(v1_wider.window_minutes, 10);
        assert_eq!(cfg.window_minutes, 10);
        assert_eq!(cfg.possible.min_ratio, 2.5);
        assert_eq!(cfg.problems, DetectConfig::default().problems);
        assert!(DetectConfig::from_toml("window_minutes = 0").is_err());
        assert!(DetectConfig::from_toml("windw_minutes = 5").is_err());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_thresholds_are_stricter_than_possible_ones() {
        for method in [Method::DwDetect1, Method::DwDetect2] {
            let cfg = DetectConfig::for_method(method);
            assert_eq!(cfg.method, method);
            assert!(cfg.validate().is_ok());
            assert!(cfg.problems.min_ratio_low >= cfg.possible.min_ratio_low);
            assert!(cfg.problems.sustain_minutes >= cfg.possible.sustain_minutes);
        }
        let cfg = DetectConfig::default();
        assert_eq!(METHODOLOGY_VERSION, "dw-detect-2");
        assert!(cfg.problems.min_neg_log10_p > cfg.possible.min_neg_log10_p);
        assert!(cfg.problems.min_ratio > cfg.possible.min_ratio);
        assert!(cfg.problems.min_reporters > cfg.possible.min_reporters);
        assert!(cfg.leave_ratio < cfg.possible.min_ratio);
        assert!(cfg.level_bounds.0 <= 1.0 && 1.0 <= cfg.level_bounds.1);
    }
}

impl DetectConfig {
    /// Reads a TOML file of overrides (any field of [`DetectConfig`]; the rest keep their
    /// defaults) and checks that the numbers make sense.
    ///
    /// Fields not named keep the defaults of the file's `method` (the current method when it
    /// names none), so that `method = "dw-detect-1"` alone runs exactly the previous method.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        // Parsed once as given, for the errors (line, unknown or missing field) …
        let named: DetectConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        // … then laid over the defaults of its method.
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut merged =
            serde_json::to_value(Self::for_method(named.method)).map_err(|e| e.to_string())?;
        for (key, value) in table {
            merged[key.as_str()] = serde_json::to_value(value).map_err(|e| e.to_string())?;
        }
        let cfg: DetectConfig = serde_json::from_value(merged).map_err(|e| e.to_string())?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Says what is wrong with a configuration, if anything.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("possible.min_ratio", self.possible.min_ratio),
            ("problems.min_ratio", self.problems.min_ratio),
            ("leave_ratio", self.leave_ratio),
            ("min_expected_per_window", self.min_expected_per_window),
            ("prior_per_minute", self.prior_per_minute),
            ("subnet_cap", self.subnet_cap),
            ("dispersion_half_life_days", self.dispersion_half_life_days),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("{name} must be a positive number"));
        }
        let non_negative = [
            ("dispersion_prior", self.dispersion_prior),
            ("dispersion_prior_weight", self.dispersion_prior_weight),
            ("possible.min_ratio_low", self.possible.min_ratio_low),
            ("problems.min_ratio_low", self.problems.min_ratio_low),
        ];
        if let Some((name, _)) = non_negative
            .iter()
            .find(|(_, v)| !(v.is_finite() && *v >= 0.0))
        {
            return Err(format!("{name} must be a number >= 0"));
        }
        if !(self.confidence > 0.5 && self.confidence < 1.0) {
            return Err("confidence must be between 0.5 and 1 (e.g. 0.99)".into());
        }
        if [self.possible.sustain_minutes, self.problems.sustain_minutes]
            .iter()
            .any(|m| *m == 0 || *m > 60)
        {
            return Err("sustain_minutes must be 1 to 60".into());
        }
        if self.window_minutes == 0 || self.window_minutes > 60 {
            return Err("window_minutes must be 1 to 60".into());
        }
        if self.history_days == 0 || self.history_days > 365 {
            return Err("history_days must be 1 to 365".into());
        }
        if !(self.level_bounds.0 > 0.0 && self.level_bounds.0 <= 1.0 && self.level_bounds.1 >= 1.0)
        {
            return Err("level_bounds must be (low <= 1, high >= 1) with low > 0".into());
        }
        Ok(())
    }
}
