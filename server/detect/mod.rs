//! Detection: is a service having an outage right now?
//!
//! Every minute, for every service (and every service in every country), Downwatch counts
//! the **reports** of the last 3 minutes (one per person per 15 minutes, with no single
//! network allowed to count for more than a few) and compares them with the number it
//! **expected** for that service at that time of day and day of the week. The expectation is
//! learnt from the previous weeks, leaving out past outages, and follows a service whose
//! audience grows or shrinks (see [`baseline`]).
//!
//! The comparison ([`score`](mod@score)) uses the series' own noise: report counts are
//! bursty, so each series learns its **dispersion** ([`dispersion`]) and a window is judged
//! under a negative binomial model. It gives the *ratio* to normal, the ratio the reports show
//! with 95% confidence (*confident ratio*), and the *surprise* `-log10 p`, capped and said in
//! words. **Possible problems** needs a confident ratio of 2, one chance in 100,000 and 6
//! reporters; **problems** a confident ratio of 3.5 (ratio 5), one chance in a million and 15
//! reporters for 2 minutes in a row, or a confident ratio of 2.5 held for 12 minutes, so that
//! a one-window burst is not an outage. An incident
//! keeps its worst level and ends only after 10 calm minutes in a row ([`state`]).
//!
//! What it cannot do: a service with a handful of reports a day has no outage visible within
//! minutes (20 times normal is still one report in 3 minutes), and a new series is not judged
//! before it has an hour of history.
//!
//! The same engine ([`SeriesDetector`]) runs on the server ([`tick`]: scoring and state per
//! series, then [`scope`] attribution and incident writes) and in `downwatch replay`, which
//! reads a CSV of counts and writes the score and state of every row ([`replay()`]), so that
//! any flag can be checked. Country series follow local time ([`zones`]).
//! The thresholds and constants are in [`config`], versioned by [`METHODOLOGY_VERSION`].
//!
//! After the incidents of a tick, [`outages`] groups the services in incident into outage
//! events with likely causes (the engine is [`crate::outage`]).

pub mod baseline;
pub mod config;
pub mod damping;
pub mod dispersion;
pub mod evidence;
pub mod incidents;
pub mod leader;
pub mod learn;
pub mod networks;
pub mod outages;
pub mod replay;
#[cfg(test)]
mod replay_props;
pub mod scope;
pub mod score;
pub mod series;
pub mod state;
pub mod tick;
pub mod zones;

pub use baseline::{Baseline, Sample};
pub use config::{DetectConfig, Method, Thresholds, METHODOLOGY_VERSION};
pub use damping::{damped_total, top_share};
pub use replay::{
    infer_bucket_minutes, replay, replay_rows, replay_with, ReplayError, ReplayOptions,
    ReplaySummary, RowDecision,
};
pub use score::{ln_upper_tail, score, Score, Surprise, MAX_SURPRISE};
pub use series::{Judgement, SeriesDetector, Step};
pub use state::{State, Tracker, Transition};
