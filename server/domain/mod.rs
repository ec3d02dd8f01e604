//! The words Downwatch's parts share, as types: how a service is doing ([`State`]), how bad
//! an incident is ([`Severity`]), where it is ([`Scope`]) and where a reporter saw it ([`Platform`]). The detector decides them, the
//! stores keep them (as text in the databases, as JSON on the status board) and the API shows
//! them, always as the same strings (`ok`, `possible-problems`, `global`, `IT`, …); and the
//! [`Evidence`] document the detector writes for every incident.
//!
//! This module depends on nothing else in the crate, so that [`crate::store`] and
//! [`crate::detect`] can both use it. Words only one part owns live with that part (an
//! incident's status and event kinds in [`crate::store`], for instance), built with the same
//! [`words!`] macro.

mod evidence;
mod platform;
mod scope;
mod state;

pub use evidence::{
    Evidence, EvidenceThresholds, NetworkShare, Share, StateThresholds, SubnetEvidence,
};
pub use platform::Platform;
pub use scope::{BadScope, CountryCode, Scope};
pub use state::{Severity, State};

/// A word that is none of its set's: a value stored by a foreign or newer writer, or a typo.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?} (expected one of: {})", .expected.join(", "))]
pub struct UnknownWord {
    /// What the word should have been, e.g. `state`.
    pub what: &'static str,
    /// The word given (at most 40 characters of it).
    pub value: String,
    /// The words of the set.
    pub expected: &'static [&'static str],
}

impl UnknownWord {
    /// The error for `value`, which is not one of `expected`.
    pub fn new(what: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        Self {
            what,
            value: value.chars().take(40).collect(),
            expected,
        }
    }
}

/// `ALL`, `WORDS`, `as_str`, [`std::fmt::Display`] and [`std::str::FromStr`] (failing with
/// [`UnknownWord`]) for a fieldless enum, given the word of each variant. The enum derives
/// its serde (and utoipa) names itself; the round-trip tests check that they are these words.
macro_rules! words {
    ($ty:ident, $what:literal, { $($variant:ident = $word:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// Every value's word, in order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];

            /// The value's word, as the API, the stores and CSV files spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $word),+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::domain::UnknownWord;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($word => Ok($ty::$variant),)+
                    other => Err($crate::domain::UnknownWord::new($what, other, $ty::WORDS)),
                }
            }
        }
    };
}
pub(crate) use words;

/// Checks that every value of a [`words!`] enum is its word in JSON and parses back, and that
/// an unknown word is refused.
#[cfg(test)]
pub(crate) fn assert_words_round_trip<T>(all: &[T])
where
    T: Copy
        + std::fmt::Debug
        + std::fmt::Display
        + PartialEq
        + serde::Serialize
        + serde::de::DeserializeOwned
        + std::str::FromStr<Err = UnknownWord>,
{
    for &value in all {
        let word = value.to_string();
        assert_eq!(word.parse::<T>(), Ok(value), "{word} parses back");
        let json = serde_json::to_string(&value).expect("serializes");
        assert_eq!(json, format!("\"{word}\""), "{value:?} is its word in JSON");
        let back: T = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, value);
    }
    let err = "no-such-word".parse::<T>().expect_err("refused");
    assert_eq!(err.value, "no-such-word");
    assert!(serde_json::from_str::<T>("\"no-such-word\"").is_err());
}
