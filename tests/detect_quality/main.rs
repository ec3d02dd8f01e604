//! Detection quality on simulated services: seeded, deterministic, no database.
//!
//! Two worlds. The **Poisson world** (the first tests): each service gets Poisson reports,
//! minute by minute, around a daily rhythm (night trough at 04:00 at 20% of the 20:00 peak)
//! and a weekly one (weekends 30% busier, an hour later). Every simulation starts on a Monday
//! with an empty detector; the first 14 days are warm-up.
//!
//! The **bursty world** (`bench/eval/sim.rs`, the world `bench/quality` runs, here shorter and
//! with fewer services): gamma-Poisson counts, self-exciting reports, local time with DST,
//! viral bursts, holidays, level shifts, missing hours and outages shaped like real ones,
//! judged with the metrics of `bench/eval/metrics.rs` against the targets of issue 13.
//! The metrics, the simulation, the baselines and the real-set loader also have their own
//! unit tests, which run here.
//!
//! The real labelled set (`bench/data/real`) is judged here too, every method in one run.
//!
//! Run with `cargo test --test detect_quality -- --nocapture` to see the figures.

#[allow(dead_code)]
#[path = "../../bench/eval/baselines.rs"]
mod baselines;
#[allow(dead_code)]
#[path = "../../bench/eval/methods.rs"]
mod methods;
#[allow(dead_code)]
#[path = "../../bench/eval/metrics.rs"]
mod metrics;
#[allow(dead_code)]
#[path = "../../bench/eval/real.rs"]
mod real;
#[allow(dead_code)]
#[path = "../../bench/eval/series.rs"]
mod series;
#[allow(dead_code)]
#[path = "../../bench/eval/sim.rs"]
mod sim;

mod bursty;
mod poisson;
mod real_set;
