//! Downwatch: a self-hostable, crowdsourced outage detector.
//!
//! A report enters at [`http`], goes through [`ingest`] (validation, [`geo`] lookup,
//! pseudonymisation, abuse gate, group commit) and lands in the [`store`]s: the Postgres
//! report log first, then the Redis minute buckets. [`detect`] compares the buckets with baselines and keeps incidents;
//! [`webhooks`] POSTs incident events to subscribers; [`catalog`] says what can be reported,
//! [`config`] and [`startup`] wire it all together, and [`cli`] is the `downwatch` command;
//! [`domain`] holds the words they all share (states, severities, scopes, the evidence
//! document).

pub mod app;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod corroborate;
#[cfg(feature = "demo")]
pub mod demo;
pub mod detect;
pub mod domain;
pub mod geo;
pub mod http;
pub mod ingest;
pub mod jobs;
pub mod metrics;
pub mod official;
pub mod openapi;
pub mod outage;
pub mod read;
pub mod secret;
pub mod startup;
pub mod store;
pub mod sync;
pub mod telemetry;
pub mod web;
pub mod webhooks;
