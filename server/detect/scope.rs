//! Where an incident is: which scopes of a service (`global`, or a country) have one now,
//! given the states of its series. A pure decision, so that it can be tested on its own.
//!
//! - When the service as a whole is not ok and one country carries the surge (at least 80%
//!   of the reports, and enough reports of its own), the incident is that country's;
//!   otherwise it is global.
//! - While the service is not ok, an open incident keeps its scope: re-deciding it every
//!   minute would close and reopen incidents around the one-country threshold.
//! - When the service as a whole is ok, a country that is not ok has an incident of its own.

use std::collections::HashMap;

use super::score::Score;
use super::state::State;
use crate::domain::{CountryCode, Scope};
use crate::store::ServiceWindow;

/// Share of a global surge's excess above which it is attributed to one country.
pub const ONE_COUNTRY_SHARE: f64 = 0.8;

/// What the decision needs to know about one service.
pub struct ScopeInputs<'a> {
    pub window: &'a ServiceWindow,
    pub global_state: State,
    pub global_score: Option<&'a Score>,
    /// The countries with a series of their own, and their states.
    pub countries: &'a [(CountryCode, State)],
    /// Scopes with an open incident.
    pub open_scopes: &'a [Scope],
    /// Reports a country needs in the window to carry a surge alone.
    pub min_reporters: f64,
}

/// The scopes that have an incident now, with the severity each should have.
pub fn active_scopes(inputs: &ScopeInputs<'_>) -> HashMap<Scope, State> {
    let state_of = |country: CountryCode| {
        inputs
            .countries
            .iter()
            .find(|(c, _)| *c == country)
            .map_or(State::Ok, |(_, s)| *s)
    };
    let mut active = HashMap::new();
    let global = inputs.global_state;
    if global == State::Ok {
        for (country, state) in inputs.countries {
            if *state != State::Ok {
                active.insert(Scope::Country(*country), *state);
            }
        }
        return active;
    }
    // Global first, then countries by code.
    let open_scope = inputs.open_scopes.iter().min().copied();
    let country = match open_scope {
        Some(Scope::Global) => None,
        Some(Scope::Country(c)) => Some(c),
        None => one_country(inputs),
    };
    let (scope, state) = match country {
        Some(c) => (Scope::Country(c), worse(global, state_of(c))),
        None => (Scope::Global, global),
    };
    active.insert(scope, state);
    active
}

/// The country that carries a global surge, if one does.
fn one_country(inputs: &ScopeInputs<'_>) -> Option<CountryCode> {
    let window = inputs.window;
    let total = window.per_minute.iter().sum::<i64>().max(1) as f64;
    let excess = inputs
        .global_score
        .map_or(0.0, |s| (s.observed - s.expected).max(0.0));
    window
        .fields
        .iter()
        .filter_map(|(f, n)| f.strip_prefix("cc:").map(|c| (c, *n as f64)))
        .filter(|(_, n)| *n >= inputs.min_reporters && *n >= ONE_COUNTRY_SHARE * total.max(excess))
        .filter_map(|(c, _)| CountryCode::parse(c))
        .min()
}

/// The more severe of two states.
pub fn worse(a: State, b: State) -> State {
    let rank = |s: State| match s {
        State::Ok => 0,
        State::PossibleProblems => 1,
        State::Problems => 2,
    };
    if rank(a) >= rank(b) {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(total: i64, countries: &[(&str, i64)]) -> ServiceWindow {
        ServiceWindow {
            service: "svc".into(),
            per_minute: vec![total],
            unique_reporters: total,
            fields: countries
                .iter()
                .map(|(c, n)| (format!("cc:{c}"), *n))
                .collect(),
            subnets: HashMap::new(),
        }
    }

    fn country(code: &str) -> CountryCode {
        CountryCode::parse(code).expect("a country code")
    }

    fn scope(code: &str) -> Scope {
        code.parse().expect("a scope")
    }

    fn decide(
        w: &ServiceWindow,
        global: State,
        countries: &[(CountryCode, State)],
        open: &[Scope],
    ) -> HashMap<Scope, State> {
        active_scopes(&ScopeInputs {
            window: w,
            global_state: global,
            global_score: None,
            countries,
            open_scopes: open,
            min_reporters: 6.0,
        })
    }

    #[test]
    fn a_surge_carried_by_one_country_is_that_countrys() {
        let w = window(100, &[("IT", 90), ("FR", 10)]);
        let got = decide(&w, State::Problems, &[], &[]);
        assert_eq!(got, HashMap::from([(scope("IT"), State::Problems)]));
        let spread = window(100, &[("IT", 50), ("FR", 50)]);
        let got = decide(&spread, State::PossibleProblems, &[], &[]);
        assert_eq!(
            got,
            HashMap::from([(Scope::Global, State::PossibleProblems)])
        );
    }

    #[test]
    fn an_open_incident_keeps_its_scope_and_countries_alone_get_their_own() {
        let w = window(100, &[("IT", 50), ("FR", 50)]);
        let got = decide(&w, State::Problems, &[], &[scope("IT")]);
        assert_eq!(got, HashMap::from([(scope("IT"), State::Problems)]));
        let countries = [(country("FR"), State::PossibleProblems)];
        let got = decide(&w, State::Ok, &countries, &[]);
        assert_eq!(got, HashMap::from([(scope("FR"), State::PossibleProblems)]));
        assert!(decide(&w, State::Ok, &[], &[Scope::Global]).is_empty());
        let both = [scope("IT"), Scope::Global];
        let got = decide(&w, State::Problems, &[], &both);
        assert_eq!(got, HashMap::from([(Scope::Global, State::Problems)]));
    }
}
