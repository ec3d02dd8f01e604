//! How a service (or one of its series) is doing, and how bad an incident is.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::words;

/// How a series, or a whole service, is doing: the state of the detector's state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(
    as = ServiceState,
    description = "What the detector says about a service: `ok`, `possible-problems` or `problems`."
)]
pub enum State {
    Ok,
    PossibleProblems,
    Problems,
}

words!(State, "state", {
    Ok = "ok",
    PossibleProblems = "possible-problems",
    Problems = "problems",
});

impl State {
    /// The severity of an incident in this state; none when ok.
    pub fn severity(self) -> Option<Severity> {
        match self {
            State::Ok => None,
            State::PossibleProblems => Some(Severity::PossibleProblems),
            State::Problems => Some(Severity::Problems),
        }
    }
}

/// How bad an incident is (or was at its worst): `possible-problems` or `problems`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    PossibleProblems,
    Problems,
}

words!(Severity, "severity", {
    PossibleProblems = "possible-problems",
    Problems = "problems",
});

impl From<Severity> for State {
    fn from(s: Severity) -> Self {
        match s {
            Severity::PossibleProblems => State::PossibleProblems,
            Severity::Problems => State::Problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assert_words_round_trip;

    #[test]
    fn states_and_severities_are_their_words_everywhere() {
        assert_words_round_trip(State::ALL);
        assert_words_round_trip(Severity::ALL);
        assert_eq!(State::WORDS, ["ok", "possible-problems", "problems"]);
        assert_eq!(Severity::WORDS, ["possible-problems", "problems"]);
    }

    #[test]
    fn a_severity_is_the_state_of_the_same_name() {
        for s in Severity::ALL {
            assert_eq!(State::from(*s).as_str(), s.as_str());
            assert_eq!(State::from(*s).severity(), Some(*s));
        }
        assert_eq!(State::Ok.severity(), None);
    }
}
