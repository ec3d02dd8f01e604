//! Request counters shared by every node, for the read rate limit.

use async_trait::async_trait;

use super::StoreError;

/// One request counted in its client's fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    /// Requests of the client in the current window, this one included.
    pub count: u64,
    /// Whole seconds until the window ends (at least 1).
    pub resets_in_secs: u64,
}

/// Request counters shared by every node, for the read rate limit.
#[async_trait]
pub trait RateCounter: Send + Sync {
    /// Counts one request of `client` in one round trip. The client's window starts with its
    /// first request and lasts `window_secs`; every request in it counts, refused ones too.
    async fn count_request(
        &self,
        client: &str,
        window_secs: u64,
    ) -> Result<WindowCount, StoreError>;
}
