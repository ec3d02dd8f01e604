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

/// A stored word (`column` of `store`) as its type: a value none of the type's words fails
/// the read with [`StoreError::Failed`] naming the column and the value.
pub fn parse_stored<T>(store: &'static str, column: &str, raw: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    raw.parse().map_err(|e| StoreError::Failed {
        store,
        reason: format!("{column}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Scope, State};

    #[test]
    fn an_unknown_stored_word_is_a_failed_read_naming_it() {
        let state: Result<State, _> = parse_stored("sqlite", "incidents.severity", "problems");
        assert_eq!(state.ok(), Some(State::Problems));
        let err =
            parse_stored::<State>("sqlite", "incidents.severity", "meltdown").expect_err("refused");
        assert!(matches!(
            err,
            StoreError::Failed {
                store: "sqlite",
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "sqlite error: incidents.severity: unknown state \"meltdown\" \
             (expected one of: ok, possible-problems, problems)"
        );
        let err =
            parse_stored::<Scope>("postgres", "incidents.scope", "Mars").expect_err("refused");
        assert!(err.to_string().contains("\"Mars\""), "{err}");
    }
}
