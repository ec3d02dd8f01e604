//! What the evaluation measures: a method's decisions over one labelled series turned into
//! figures (outages caught and how fast, false incidents, bursts that became incidents, time
//! to resolve, how well the score ranks), and those figures summed over a set.
//!
//! Definitions (times are decision times, the end of the bucket decided):
//! - an **incident** opens when the state enters "problems" and closes when it is back to ok;
//!   a **possible** alarm is an entry from ok into "possible problems";
//! - an outage is **caught** when an incident opens inside `[start − 5 min, end]`; its
//!   **delay** is from the labelled start (and, simulated, from the 5× crossing) to that
//!   opening; its **resolve** time is from the labelled end to the close of the last incident
//!   opened in that window (negative: closed before the label ends);
//! - a **false incident** opens outside every outage's `[start − 5 min, end + 60 min]` (the
//!   tail); a burst **reached problems** when an incident opened in `[start, end + 5 min]`;
//! - **AUC**: per bucket, the method's score against "inside a labelled outage" (buckets of the
//!   5 minutes before and 60 after an outage left out), ties counted half;
//! - **onset score**: the highest score within 3 minutes (or a bucket) of the 5× crossing (of
//!   the labelled start for real series); **burst peak**: the highest score during a burst
//!   and the 5 minutes after it.

use chrono::{DateTime, Utc};
use downwatch::detect::State;

use super::series::{mins, minutes, Decision, EventKind, LabelledSeries};

/// Grace before a labelled start, and the tail after its end that is not a false alarm.
const EARLY_MINUTES: i64 = 5;
const TAIL_MINUTES: i64 = 60;
/// The targets: services from this many reports a day…
pub const BIG_PER_DAY: f64 = 1_000.0;
/// …catch an outage within this many minutes of its 5× crossing…
pub const FAST_MINUTES: i64 = 3;
/// …and viral bursts up to this long never reach "problems".
pub const SHORT_BURST_MINUTES: i64 = 10;

/// What became of one labelled outage.
#[derive(Debug, Clone, PartialEq)]
pub struct OutageResult {
    pub caught: bool,
    pub delay: Option<i64>,
    /// From the 5× crossing (simulated outages).
    pub delay_5x: Option<i64>,
    pub resolve: Option<i64>,
    pub onset_score: Option<f64>,
    /// The service gets at least [`BIG_PER_DAY`] reports a day.
    pub big: bool,
}

/// What became of one viral burst.
#[derive(Debug, Clone, PartialEq)]
pub struct BurstResult {
    pub minutes: i64,
    pub reached_problems: bool,
    pub peak_score: Option<f64>,
}

/// One method on one series.
#[derive(Debug, Clone, Default)]
pub struct SeriesMetrics {
    pub outages: Vec<OutageResult>,
    pub bursts: Vec<BurstResult>,
    pub false_incidents: usize,
    pub false_possible: usize,
    pub weeks: f64,
    pub auc: Option<f64>,
    /// (score, inside an outage) per judged bucket, for the pooled AUC.
    pub scored: Vec<(f32, bool)>,
}

impl SeriesMetrics {
    /// Labelled outages caught.
    pub fn caught(&self) -> usize {
        self.outages.iter().filter(|o| o.caught).count()
    }

    /// False incidents per 90 days of this series.
    pub fn false_per_90_days(&self) -> f64 {
        per(self.false_incidents, self.weeks * 7.0 / 90.0)
    }
}

fn per(count: usize, unit: f64) -> f64 {
    if unit > 0.0 {
        count as f64 / unit
    } else {
        0.0
    }
}

/// An incident: when it opened, and when it closed (`None`: still open at the end).
pub type Incident = (DateTime<Utc>, Option<DateTime<Utc>>);

/// Incidents and possible alarms (entries into "possible problems"), from the decisions.
pub fn incidents(decisions: &[Decision]) -> (Vec<Incident>, Vec<DateTime<Utc>>) {
    let (mut open, mut possible) = (Vec::new(), Vec::new());
    let mut previous = State::Ok;
    for d in decisions {
        match (previous, d.state) {
            (State::Problems, State::Problems) => {}
            (_, State::Problems) => open.push((d.at, None)),
            (State::Problems, State::Ok) => {
                if let Some(last) = open.last_mut() {
                    last.1 = Some(d.at);
                }
            }
            (State::Ok, State::PossibleProblems) => possible.push(d.at),
            _ => {}
        }
        previous = d.state;
    }
    (open, possible)
}

/// Scores a method's decisions over one labelled series.
pub fn evaluate(series: &LabelledSeries, decisions: &[Decision]) -> SeriesMetrics {
    let (opened, possible) = incidents(decisions);
    let max_score = |from: DateTime<Utc>, to: DateTime<Utc>| {
        decisions
            .iter()
            .filter(|d| d.at > from && d.at <= to)
            .map(|d| d.score)
            .reduce(f64::max)
    };
    let big = series.per_day.is_some_and(|p| p >= BIG_PER_DAY);
    let bucket = i64::from(series.bucket_minutes.max(1));
    let outages = series
        .judged(EventKind::Outage)
        .map(|o| {
            let inside: Vec<_> = opened
                .iter()
                .filter(|(at, _)| *at >= o.start - mins(EARLY_MINUTES) && *at <= o.end)
                .collect();
            let first = inside.first().map(|i| i.0);
            let anchor = o.five_x.unwrap_or(o.start);
            OutageResult {
                caught: first.is_some(),
                delay: first.map(|at| minutes(o.start, at)),
                delay_5x: first.zip(o.five_x).map(|(at, x)| minutes(x, at)),
                resolve: inside.last().and_then(|i| i.1).map(|c| minutes(o.end, c)),
                onset_score: max_score(anchor, anchor + mins(FAST_MINUTES.max(bucket))),
                big,
            }
        })
        .collect();
    let bursts = series
        .judged(EventKind::Burst)
        .map(|b| {
            let until = b.end + mins(EARLY_MINUTES);
            BurstResult {
                minutes: b.minutes(),
                reached_problems: opened.iter().any(|(at, _)| *at >= b.start && *at <= until),
                peak_score: max_score(b.start, until),
            }
        })
        .collect();
    let outage_windows: Vec<_> = series
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Outage)
        .map(|e| {
            (
                e.start - mins(EARLY_MINUTES),
                e.end,
                e.end + mins(TAIL_MINUTES),
            )
        })
        .collect();
    let excused = |at: DateTime<Utc>| outage_windows.iter().any(|&(s, _, t)| at >= s && at <= t);
    let judged = |at: &DateTime<Utc>| *at >= series.eval_from;
    let scored: Vec<(f32, bool)> = decisions
        .iter()
        .filter(|d| judged(&d.at))
        .filter_map(|d| {
            let start = d.at - mins(bucket);
            let inside = outage_windows
                .iter()
                .any(|&(s, e, _)| start >= s + mins(EARLY_MINUTES) && start < e);
            let near = outage_windows
                .iter()
                .any(|&(s, _, t)| start >= s && start < t);
            (inside || !near).then_some((d.score as f32, inside))
        })
        .collect();
    SeriesMetrics {
        outages,
        bursts,
        false_incidents: opened
            .iter()
            .filter(|(at, _)| judged(at) && !excused(*at))
            .count(),
        false_possible: possible
            .iter()
            .filter(|at| judged(at) && !excused(**at))
            .count(),
        weeks: series.judged_weeks(),
        auc: auc(&mut scored.clone()),
        scored,
    }
}

/// Area under the ROC curve of `score` for telling positives from negatives (Mann–Whitney,
/// ties counted half); `None` without both classes.
pub fn auc(scored: &mut [(f32, bool)]) -> Option<f64> {
    scored.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let positives = scored.iter().filter(|s| s.1).count() as f64;
    let negatives = scored.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // Sum of the positives' ranks (1-based, ties given their average rank).
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < scored.len() {
        let j = i + scored[i..]
            .iter()
            .take_while(|s| s.0 == scored[i].0)
            .count();
        let average_rank = (i + 1 + j) as f64 / 2.0;
        rank_sum += average_rank * scored[i..j].iter().filter(|s| s.1).count() as f64;
        i = j;
    }
    Some((rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives))
}

/// Median of some values (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// One method over a whole set.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub series: usize,
    pub outages: usize,
    pub caught: usize,
    pub delays: Vec<f64>,
    pub delays_5x: Vec<f64>,
    /// Outages of services from [`BIG_PER_DAY`]: all, and caught within [`FAST_MINUTES`] of 5×.
    pub big_outages: usize,
    pub big_fast: usize,
    pub false_incidents: usize,
    pub false_possible: usize,
    pub weeks: f64,
    /// The highest rate of false incidents per 90 days of any one series.
    pub worst_false_per_90_days: f64,
    pub bursts: usize,
    pub bursts_reached: usize,
    pub short_bursts: usize,
    pub short_bursts_reached: usize,
    pub resolves: Vec<f64>,
    pub auc: Option<f64>,
    pub onset_scores: Vec<f64>,
    pub burst_peaks: Vec<f64>,
}

impl Summary {
    /// Adds up one method's figures over the series of a set.
    pub fn of<'a>(all: impl IntoIterator<Item = &'a SeriesMetrics>) -> Self {
        let mut s = Summary::default();
        let mut scored = Vec::new();
        for m in all {
            s.series += 1;
            s.outages += m.outages.len();
            s.caught += m.caught();
            for o in &m.outages {
                s.delays.extend(o.delay.map(|d| d as f64));
                s.delays_5x.extend(o.delay_5x.map(|d| d as f64));
                s.resolves.extend(o.resolve.map(|d| d as f64));
                s.onset_scores.extend(o.onset_score);
                if o.big {
                    s.big_outages += 1;
                    s.big_fast += usize::from(o.delay_5x.is_some_and(|d| d <= FAST_MINUTES));
                }
            }
            for b in &m.bursts {
                s.bursts += 1;
                s.bursts_reached += usize::from(b.reached_problems);
                if b.minutes <= SHORT_BURST_MINUTES {
                    s.short_bursts += 1;
                    s.short_bursts_reached += usize::from(b.reached_problems);
                }
                s.burst_peaks.extend(b.peak_score);
            }
            s.false_incidents += m.false_incidents;
            s.false_possible += m.false_possible;
            s.weeks += m.weeks;
            s.worst_false_per_90_days = s.worst_false_per_90_days.max(m.false_per_90_days());
            scored.extend_from_slice(&m.scored);
        }
        s.auc = auc(&mut scored);
        s
    }

    /// False incidents per series-week.
    pub fn false_per_week(&self) -> f64 {
        per(self.false_incidents, self.weeks)
    }

    /// Possible-problems entries outside outages per series-week.
    pub fn possible_per_week(&self) -> f64 {
        per(self.false_possible, self.weeks)
    }

    /// False incidents per series per 90 days, over the whole set.
    pub fn false_per_90_days(&self) -> f64 {
        per(self.false_incidents, self.weeks * 7.0 / 90.0)
    }

    /// How often an outage's onset scores above a burst's peak (ties half): AUC of onsets
    /// against bursts.
    pub fn onset_over_burst(&self) -> Option<f64> {
        let mut scored: Vec<(f32, bool)> = self
            .onset_scores
            .iter()
            .map(|&s| (s as f32, true))
            .chain(self.burst_peaks.iter().map(|&s| (s as f32, false)))
            .collect();
        auc(&mut scored)
    }
}

#[cfg(test)]
#[path = "metrics/tests.rs"]
mod tests;
