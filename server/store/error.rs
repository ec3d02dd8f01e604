//! Why a store call failed: the one error type every seam returns.

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or did not answer: the caller should retry later.
    #[error("{store} unavailable: {reason}")]
    Unavailable { store: &'static str, reason: String },
    /// The store answered with an error.
    #[error("{store} error: {reason}")]
    Failed { store: &'static str, reason: String },
    /// A unique key already exists.
    #[error("already exists")]
    Conflict,
}

impl StoreError {
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable { .. })
    }
}
