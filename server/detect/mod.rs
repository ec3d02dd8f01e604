//! Detection: is a service having an outage right now?
//!
//! Every minute, for every service (and every service in every country), Downwatch counts
//! the **reports** of the last 5 minutes (one per person per 15 minutes, with no single
//! network allowed to count for more than a few) and compares them with the number it
//! **expected** for that service at that time of day and day of the week. The expectation is
//! learnt from the previous weeks, leaving out past outages, and follows a service whose
//! audience grows or shrinks (see [`baseline`]).
//!
//! The comparison gives a **score** ([`score`](mod@score)): how many times more reports
//! than expected (the *ratio*), and how unlikely so many reports would be by chance alone,
//! written as `-log10 p` (6 means one chance in a million). A service is flagged **possible
//! problems** when the ratio is at least 3, the chance below one in a million, and at least 6
//! people reported; **problems** needs 5 times normal, one chance in 10 billion and 15 people.
//! All three conditions are needed: a big service is always "significantly" above normal by
//! a few percent, and a small one can triple with just 2 reports. An incident keeps its worst
//! level and ends only after 10 calm minutes in a row ([`state`]); a minute is calm when
//! reports are under twice normal, or few enough that chance explains them (better than one
//! chance in a thousand), or fewer than 3.
//!
//! What it cannot do: a service with a handful of reports a day has no outage visible within
//! minutes (20 times normal is still one report in 5 minutes), and a new series is not judged
//! before it has an hour of history.
//!
//! The same code runs on the server and in `downwatch replay`, which reads a CSV of counts
//! and writes the score and state of every row ([`replay()`]), so that any flag can be
//! checked.
//! The thresholds and constants are in [`config`], versioned by [`METHODOLOGY_VERSION`].

pub mod baseline;
pub mod config;
pub mod damping;
pub mod evidence;
pub mod leader;
pub mod replay;
#[cfg(test)]
mod replay_props;
pub mod score;
pub mod series;
pub mod state;
pub mod tick;

pub use baseline::{Baseline, Sample};
pub use config::{DetectConfig, Thresholds, METHODOLOGY_VERSION};
pub use damping::{damped_total, top_share};
pub use replay::{replay, ReplayError, ReplaySummary};
pub use score::{ln_poisson_upper_tail, score, Score};
pub use series::{SeriesDetector, Step};
pub use state::{State, Tracker, Transition};
