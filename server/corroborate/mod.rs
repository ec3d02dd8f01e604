//! Official status next to the crowd: the poller that reads each service's official status
//! source ([`poll`]: one node at a time, under a lease), what a poll stores ([`record`]), and
//! the links between Downwatch's incidents and official ones with the lead time, and each
//! source's 90-day record ([`link`]). `docs/status-pages.md` tells the whole story.

pub mod fetch;
pub mod link;
pub mod poll;
pub mod record;
pub mod view;

use std::time::Duration;

/// How (and whether) official status sources are polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSettings {
    /// `DOWNWATCH_STATUS_POLL`: whether this node polls at all (one node at a time does).
    pub enabled: bool,
    /// `DOWNWATCH_STATUS_EVERY`: the interval per source, 1 to 5 minutes; each poll is
    /// jittered by up to a fifth of it, and failures back off from it.
    pub every: Duration,
    /// `DOWNWATCH_STATUS_TIMEOUT`: how long one request may take.
    pub timeout: Duration,
    /// `DOWNWATCH_STATUS_MAX_BYTES`: the largest document read.
    pub max_bytes: usize,
    /// `DOWNWATCH_STATUS_ALLOW_PRIVATE`: allow sources on private and loopback addresses and
    /// plain http (tests, a local mirror); off by default.
    pub allow_private: bool,
}

/// The shortest interval per source.
pub const MIN_EVERY: Duration = Duration::from_secs(60);
/// The longest interval per source.
pub const MAX_EVERY: Duration = Duration::from_secs(300);
/// The longest wait after failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30 * 60);

impl Default for PollSettings {
    /// Off; every 2 minutes, 10 s to answer, 8 MiB at most, public https only.
    fn default() -> Self {
        Self {
            enabled: false,
            every: Duration::from_secs(120),
            timeout: Duration::from_secs(10),
            max_bytes: 8 << 20,
            allow_private: false,
        }
    }
}
