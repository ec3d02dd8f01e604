//! Which networks the operators of the catalog run (`server/catalog/networks.toml`): what lets
//! a page say which catalog entry an ISP outage belongs to.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use serde::Deserialize;

use super::ServiceSlug;

const BUILTIN: &str = include_str!("networks.toml");

/// One operator's network.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    pub asn: u32,
    /// The operator (a catalog slug).
    pub service: String,
    pub org: String,
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkFile {
    #[serde(default)]
    network: Vec<Network>,
}

/// A mistake in the network table.
#[derive(Debug, thiserror::Error)]
pub enum NetworksError {
    #[error("networks.toml does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("networks.toml: AS{asn}: {reason}")]
    Invalid { asn: u32, reason: &'static str },
}

/// Parses and checks a table: slugs well formed, each network listed once, every source an
/// https URL.
pub fn parse(text: &str) -> Result<Vec<Network>, NetworksError> {
    let file: NetworkFile = toml::from_str(text)?;
    let mut seen = HashSet::new();
    for n in &file.network {
        let invalid = |reason| NetworksError::Invalid { asn: n.asn, reason };
        if ServiceSlug::parse(&n.service).is_err() {
            return Err(invalid("not a slug"));
        }
        if !n.source.starts_with("https://") {
            return Err(invalid("the source must be an https URL"));
        }
        if !seen.insert(n.asn) {
            return Err(invalid("listed twice"));
        }
    }
    Ok(file.network)
}

static OPERATORS: LazyLock<HashMap<u32, String>> = LazyLock::new(|| {
    // The table is built in and tested: a broken one only loses the links.
    parse(BUILTIN)
        .unwrap_or_default()
        .into_iter()
        .map(|n| (n.asn, n.service))
        .collect()
});

/// The catalog operator that runs network `asn`, if the table knows it.
pub fn operator_of(asn: u32) -> Option<&'static str> {
    OPERATORS.get(&asn).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::seed::seed_services;

    #[test]
    fn every_operator_of_the_table_is_in_the_catalog() {
        let networks = parse(BUILTIN).expect("networks.toml is valid");
        assert!(networks.len() >= 15, "only {}", networks.len());
        let seed = seed_services().expect("seed parses");
        for n in &networks {
            let s = seed.iter().find(|s| s.slug == n.service);
            assert!(s.is_some(), "unknown service {}", n.service);
        }
        assert_eq!(operator_of(3269), Some("tim"));
        assert_eq!(operator_of(64_512), None);
    }

    #[test]
    fn a_bad_table_is_refused_with_its_reason() {
        let entry = |asn: u32, s: &str, src: &str| {
            format!(
                "[[network]]\nasn = {asn}\nservice = \"{s}\"\norg = \"X\"\nsource = \"{src}\"\n"
            )
        };
        let bad = |t: &str| parse(t).expect_err("refused").to_string();
        assert!(bad(&entry(1, "Tim", "https://a.example/")).contains("slug"));
        assert!(bad(&entry(1, "tim", "http://a.example/")).contains("https"));
        assert!(bad(&entry(1, "tim", "https://a.example/").repeat(2)).contains("twice"));
    }
}
