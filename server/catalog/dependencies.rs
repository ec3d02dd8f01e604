//! Which services depend on which providers, as documented in public (a postmortem, the
//! provider's case study, the service's own status page): `server/catalog/dependencies.toml`,
//! one `[[dependency]]` per `service → provider` with its `source`. The table is far from
//! complete — most dependencies are never published — so a service without a listed
//! provider is evidence of nothing. The seed fills each service's `depends_on` from it;
//! admins change them through the services API.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::ServiceSlug;

const BUILTIN: &str = include_str!("dependencies.toml");

/// One documented dependency.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dependency {
    /// The service that depends (a catalog slug).
    pub service: String,
    /// The provider it depends on (a catalog slug).
    pub provider: String,
    /// Where the dependency is documented (https URL).
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DependencyFile {
    #[serde(default)]
    dependency: Vec<Dependency>,
}

/// A mistake in a dependency table.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    #[error("dependencies.toml does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("dependencies.toml: {service} → {provider}: {reason}")]
    Invalid {
        service: String,
        provider: String,
        reason: &'static str,
    },
}

/// The dependency table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependencies {
    edges: Vec<Dependency>,
}

impl Dependencies {
    /// The table built into the binary.
    pub fn builtin() -> Result<Self, DepsError> {
        Self::parse(BUILTIN)
    }

    /// Parses and checks a table: slugs well formed, a service never its own provider, each
    /// pair listed once, every source an https URL.
    pub fn parse(text: &str) -> Result<Self, DepsError> {
        let file: DependencyFile = toml::from_str(text)?;
        let mut seen = HashSet::new();
        for d in &file.dependency {
            let invalid = |reason| DepsError::Invalid {
                service: d.service.clone(),
                provider: d.provider.clone(),
                reason,
            };
            if ServiceSlug::parse(&d.service).is_err() || ServiceSlug::parse(&d.provider).is_err() {
                return Err(invalid("not a slug"));
            }
            if d.service == d.provider {
                return Err(invalid("a service cannot be its own provider"));
            }
            if !d.source.starts_with("https://") || d.source.contains(char::is_whitespace) {
                return Err(invalid("the source must be an https URL"));
            }
            if !seen.insert((d.service.as_str(), d.provider.as_str())) {
                return Err(invalid("listed twice"));
            }
        }
        Ok(Self {
            edges: file.dependency,
        })
    }

    /// Every documented dependency.
    pub fn edges(&self) -> &[Dependency] {
        &self.edges
    }

    /// The providers of `service` (sorted).
    pub fn providers_of(&self, service: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .edges
            .iter()
            .filter(|d| d.service == service)
            .map(|d| d.provider.clone())
            .collect();
        out.sort();
        out
    }

    /// Every service's providers, for filling [`super::Service::depends_on`].
    pub fn by_service(&self) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in &self.edges {
            map.entry(d.service.clone())
                .or_default()
                .push(d.provider.clone());
        }
        map.values_mut().for_each(|v| v.sort());
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_table_is_refused_with_its_reason() {
        let bad = |text: &str| Dependencies::parse(text).expect_err("refused").to_string();
        let entry = |s: &str, p: &str, src: &str| {
            format!("[[dependency]]\nservice = \"{s}\"\nprovider = \"{p}\"\nsource = \"{src}\"\n")
        };
        assert!(bad(&entry("netflix", "netflix", "https://a.example/")).contains("own provider"));
        assert!(bad(&entry("netflix", "aws", "http://a.example/")).contains("https"));
        assert!(bad(&entry("Netflix", "aws", "https://a.example/")).contains("slug"));
        let twice = entry("netflix", "aws", "https://a.example/").repeat(2);
        assert!(bad(&twice).contains("twice"));
        assert!(bad("[[dependency]]\nservice = \"netflix\"\n").contains("parse"));
        let ok = Dependencies::parse(&entry("netflix", "aws", "https://a.example/")).expect("ok");
        assert_eq!(ok.providers_of("netflix"), vec!["aws".to_owned()]);
        assert_eq!(ok.by_service()["netflix"], vec!["aws".to_owned()]);
    }
}
