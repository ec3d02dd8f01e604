//! The abuse gate: per-reporter dedupe and per-address rate limit, shared by every node.

use async_trait::async_trait;

use super::StoreError;

/// One abuse-gate question: may this reporter, from this address, report this service now?
#[derive(Debug, Clone)]
pub struct GateCheck {
    /// Keyed hash of the client address (hex), for the per-address rate limit.
    pub address: String,
    /// Keyed hash of the reporter (hex), for the per-service dedupe window.
    pub reporter: String,
    pub service: String,
}

/// The abuse gate's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateOutcome {
    /// First report of this reporter for this service in the window: count it.
    Counted,
    /// A repeat within the window: log it, do not count it.
    Duplicate,
    /// Too many reports from this address: refuse, retry after this many seconds.
    RateLimited { retry_after_secs: u64 },
}

/// Limits applied by the abuse gate.
#[derive(Debug, Clone, Copy)]
pub struct GateLimits {
    pub dedupe_secs: u64,
    pub rate_limit: u64,
    pub rate_window_secs: u64,
}

/// Dedupe and rate-limit state shared by all processes.
#[async_trait]
pub trait AbuseGate: Send + Sync {
    /// Answers every check of a batch in one round trip.
    async fn check(
        &self,
        checks: &[GateCheck],
        limits: GateLimits,
    ) -> Result<Vec<GateOutcome>, StoreError>;
    /// Undoes what `check` recorded for reports that were finally not written.
    async fn release(&self, checks: &[(GateCheck, GateOutcome)]) -> Result<(), StoreError>;
}
