//! Where an incident (or a series) is: the whole world, or one country.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A country code: two ASCII capital letters, the shape of ISO 3166-1 alpha-2 (whether the
/// code is assigned is the catalog's call, see `catalog::countries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// `raw` if it is two ASCII capital letters.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.as_bytes() {
            &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some(Self([a, b])),
            _ => None,
        }
    }

    /// The code, e.g. `IT`.
    pub fn as_str(&self) -> &str {
        // Two ASCII letters, checked by `parse`.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an incident is: `global` (the whole service) or one country, written as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// The whole service, every country.
    Global,
    /// One country.
    Country(CountryCode),
}

impl Scope {
    /// `global`, or the country code.
    pub fn as_str(&self) -> &str {
        match self {
            Scope::Global => "global",
            Scope::Country(c) => c.as_str(),
        }
    }

    /// The country, unless global.
    pub fn country(self) -> Option<CountryCode> {
        match self {
            Scope::Global => None,
            Scope::Country(c) => Some(c),
        }
    }

    pub fn is_global(self) -> bool {
        self == Scope::Global
    }
}

impl From<CountryCode> for Scope {
    fn from(c: CountryCode) -> Self {
        Scope::Country(c)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope that is neither `global` nor two ASCII capital letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope {0:?} (expected global or a two-letter country code)")]
pub struct BadScope(pub String);

impl FromStr for Scope {
    type Err = BadScope;

    fn from_str(s: &str) -> Result<Self, BadScope> {
        if s == "global" {
            return Ok(Scope::Global);
        }
        CountryCode::parse(s)
            .map(Scope::Country)
            .ok_or_else(|| BadScope(s.chars().take(40).collect()))
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn it() -> Scope {
        "IT".parse().expect("a country")
    }

    #[test]
    fn scopes_are_global_or_a_country_code_in_text_and_json() {
        for (scope, word) in [(Scope::Global, "global"), (it(), "IT")] {
            assert_eq!(scope.to_string(), word);
            assert_eq!(word.parse::<Scope>(), Ok(scope));
            let json = serde_json::to_string(&scope).expect("serializes");
            assert_eq!(json, format!("\"{word}\""));
            assert_eq!(serde_json::from_str::<Scope>(&json).expect("parses"), scope);
        }
        assert_eq!(it().country().map(|c| c.to_string()).as_deref(), Some("IT"));
        assert!(Scope::Global.is_global() && Scope::Global.country().is_none());
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in ["", "it", "ITA", "Global", "GLOBAL", "I1", "ÉÉ"] {
            assert!(bad.parse::<Scope>().is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<Scope>("\"world\"").is_err());
        assert_eq!(
            "world".parse::<Scope>().expect_err("refused").to_string(),
            "unknown scope \"world\" (expected global or a two-letter country code)"
        );
    }

    #[test]
    fn global_sorts_before_every_country() {
        let mut scopes = [it(), Scope::Global, "FR".parse().expect("a country")];
        scopes.sort();
        let words: Vec<String> = scopes.iter().map(Scope::to_string).collect();
        assert_eq!(words, ["global", "FR", "IT"]);
    }
}
