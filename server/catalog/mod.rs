//! The service catalog: which services exist, their categories and allowed symptoms.
//!
//! The catalog lives in Postgres (`services`) and is mirrored in memory by [`CatalogCache`]
//! so that validating a report never costs a database round trip.

pub mod countries;
pub mod dependencies;
pub mod networks;
pub mod seed;
pub mod status_source;
pub mod symptoms;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

pub use status_source::{StatusKind, StatusSource};

/// A service people can report problems with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Service {
    pub slug: String,
    pub name: String,
    pub category: String,
    pub aliases: Vec<String>,
    pub url: Option<String>,
    /// ISO 3166-1 alpha-2 country the service mainly serves, for national services.
    pub country: Option<String>,
    /// The symptom codes a report about this service may name.
    pub symptoms: Vec<String>,
    /// The providers (slugs of other services: CDN, cloud, identity, payments…) it depends
    /// on, as publicly documented; what the outage grouper names as a likely cause.
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Where the service publishes its official status, when it does.
    #[serde(default)]
    pub official_status: Option<StatusSource>,
}

impl Service {
    /// Whether a search query (already lowercased) matches the name, slug or an alias.
    pub fn matches(&self, query: &str) -> bool {
        self.slug.contains(query)
            || self.name.to_lowercase().contains(query)
            || self.aliases.iter().any(|a| a.contains(query))
    }
}

/// A validated service slug: lowercase ASCII letters, digits and dashes, 2 to 48 characters,
/// starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceSlug(String);

impl ServiceSlug {
    /// Parses a slug, or says why it is not one.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let ok_len = (2..=48).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let ok_start = raw.bytes().next().is_some_and(|b| b != b'-');
        if !ok_len {
            Err("must be 2 to 48 characters")
        } else if !ok_chars || !ok_start {
            Err("must be lowercase letters, digits and dashes, not starting with a dash")
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The in-memory mirror of the catalog, shared by all request handlers.
#[derive(Default)]
pub struct CatalogCache {
    inner: RwLock<Arc<HashMap<String, Arc<Service>>>>,
}

impl CatalogCache {
    /// Replaces the whole mirror with `services`.
    pub fn replace(&self, services: Vec<Service>) {
        let map = services
            .into_iter()
            .map(|s| (s.slug.clone(), Arc::new(s)))
            .collect();
        // A poisoned lock only means a writer panicked mid-swap of an Arc: the value is intact.
        let mut guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
        *guard = Arc::new(map);
    }

    /// One service by slug.
    pub fn get(&self, slug: &str) -> Option<Arc<Service>> {
        self.snapshot().get(slug).cloned()
    }

    /// All services, sorted by display name.
    pub fn all(&self) -> Vec<Arc<Service>> {
        let mut all: Vec<_> = self.snapshot().values().cloned().collect();
        all.sort_by_key(|s| s.name.to_lowercase());
        all
    }

    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn snapshot(&self) -> Arc<HashMap<String, Arc<Service>>> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_parsed_not_validated() {
        assert!(ServiceSlug::parse("netflix").is_ok());
        assert!(ServiceSlug::parse("vodafone-it").is_ok());
        assert!(ServiceSlug::parse("x").is_err());
        assert!(ServiceSlug::parse("Netflix").is_err());
        assert!(ServiceSlug::parse("-netflix").is_err());
        assert!(ServiceSlug::parse("net flix").is_err());
        assert!(ServiceSlug::parse(&"a".repeat(49)).is_err());
    }
}
