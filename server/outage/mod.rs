//! Outage events: incidents of different services that began together beyond chance, and
//! their likely causes ("probably Cloudflare", "probably Telecom Italia (AS3269), not
//! Netflix").
//!
//! A pure engine, with no I/O: the detector's leader gives it, every minute, the services in
//! incident ([`Candidate`]: recent minutes of observed and expected reports, onset, the
//! providers the catalog names, the network and countries its reports come from) and gets
//! back what changed ([`EventChange`]) from a [`Grouper`] that keeps open events between
//! minutes. Storing events, linking incidents to them and showing them is the caller's.
//!
//! **Grouping** ([`grouping`], [`grouper`]): incidents whose onsets fall within 3 minutes of
//! each other and whose shapes correlate (the minute-by-minute excess over normal,
//! `ln(observed+1) − ln(expected+1)`, Pearson ≥ 0.5) form a group; a group holding two
//! distinct causes is split; a group is an **event** when at least 3 onsets in its window
//! would happen by chance with probability ≤ 1e-5 (≤ 1e-7 when no cause can be named),
//! given how often incidents open at an ordinary time ([`BackgroundRate`], learnt from past
//! onsets) and how many services are active. Later incidents join an open event when its likely cause explains them, or when
//! their onset and shape follow it.
//!
//! **Causes** ([`causes`]): a provider most members depend on (weighed against how common
//! that dependency is in the catalog, [`deps`]), its own reports rising first, one network
//! or one country carrying most members' reports — each with a confidence (≤ 0.95) and its
//! reasons as numbers ([`Reason`]).
//!
//! **Idempotent across failover**: an event's id is the incident id of its first member; a
//! new leader [`Grouper::resume`]s the open events from the store, or regroups the same open
//! incidents into the same ids.
//!
//! Every threshold, with the reason for its value, is in [`GroupingConfig`]; the method in
//! words, with its limits, is in `docs/detection.md`.

pub mod background;
pub mod causes;
pub mod config;
pub mod deps;
pub mod grouper;
pub mod grouping;
pub mod shape;
mod tracked;
pub mod types;

#[cfg(test)]
mod tests;

pub use background::BackgroundRate;
pub use config::GroupingConfig;
pub use deps::ProviderStats;
pub use grouper::Grouper;
pub use types::{
    Candidate, CauseKind, CountryShare, EventChange, LikelyCause, Member, MinuteSeries,
    NetworkShare, OutageEvent, Reason, Severity,
};
