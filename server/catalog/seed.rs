//! The built-in catalog of well-known services, embedded from `services.toml`.

use serde::Deserialize;

use super::dependencies::{Dependencies, DepsError};
use super::symptoms::{category_symptoms, is_symptom};
use super::{countries, Service, ServiceSlug, StatusSource};

const SEED: &str = include_str!("services.toml");

#[derive(Deserialize)]
struct SeedFile {
    service: Vec<SeedService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedService {
    slug: String,
    name: String,
    category: String,
    #[serde(default)]
    aliases: Vec<String>,
    url: Option<String>,
    country: Option<String>,
    symptoms: Option<Vec<String>>,
    /// The official status source: `status = { kind = "statuspage", url = "https://…" }`.
    status: Option<SeedStatus>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedStatus {
    kind: String,
    url: String,
}

/// Error in the embedded seed file (a build-time mistake, caught by the unit test).
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("services.toml does not parse: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("services.toml: service {slug:?}: {reason}")]
    Invalid { slug: String, reason: String },
    #[error(transparent)]
    Dependencies(#[from] DepsError),
}

/// The seed services, with each one's symptoms resolved from its category when not given and
/// its providers from `dependencies.toml`.
pub fn seed_services() -> Result<Vec<Service>, SeedError> {
    let file: SeedFile = toml::from_str(SEED)?;
    let deps = Dependencies::builtin()?.by_service();
    file.service
        .into_iter()
        .map(|s| {
            let mut service = resolve(s)?;
            service.depends_on = deps.get(&service.slug).cloned().unwrap_or_default();
            Ok(service)
        })
        .collect()
}

fn resolve(s: SeedService) -> Result<Service, SeedError> {
    let invalid = |reason: String| SeedError::Invalid {
        slug: s.slug.clone(),
        reason,
    };
    ServiceSlug::parse(&s.slug).map_err(|r| invalid(format!("slug {r}")))?;
    let defaults = category_symptoms(&s.category)
        .ok_or_else(|| invalid(format!("unknown category {}", s.category)))?;
    let symptoms = match &s.symptoms {
        Some(list) => list.clone(),
        None => defaults.iter().map(|c| (*c).to_owned()).collect(),
    };
    if let Some(bad) = symptoms.iter().find(|c| !is_symptom(c)) {
        return Err(invalid(format!("unknown symptom {bad}")));
    }
    if let Some(c) = &s.country {
        if !countries::is_country(c) {
            return Err(invalid(format!("unknown country {c}")));
        }
    }
    let official_status = match &s.status {
        Some(st) => Some(
            StatusSource::parse(&st.kind, &st.url)
                .map_err(|e| invalid(format!("status.{}: {e}", e.field())))?,
        ),
        None => None,
    };
    Ok(Service {
        official_status,
        slug: s.slug.clone(),
        name: s.name.clone(),
        category: s.category.clone(),
        aliases: s.aliases.iter().map(|a| a.to_lowercase()).collect(),
        url: s.url.clone(),
        country: s.country.clone(),
        symptoms,
        depends_on: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_seed_is_valid_and_large() {
        let services = seed_services().expect("seed parses");
        assert!(services.len() >= 150, "only {} services", services.len());
        let slugs: HashSet<_> = services.iter().map(|s| s.slug.as_str()).collect();
        assert_eq!(slugs.len(), services.len(), "duplicate slugs");
        for country in ["IT", "GB", "US", "DE", "FR", "ES", "BR", "IN"] {
            let national = |pred: &dyn Fn(&Service) -> bool| {
                services
                    .iter()
                    .any(|s| s.country.as_deref() == Some(country) && pred(s))
            };
            assert!(national(&|s| s.category == "bank"), "no bank in {country}");
            assert!(
                national(&|s| s.symptoms.iter().any(|x| x == "mobile-data")),
                "no mobile operator in {country}"
            );
            assert!(
                national(&|s| s.category == "isp"),
                "no fixed-line operator in {country}"
            );
        }
        let with_status = |slug: &str| {
            services
                .iter()
                .find(|s| s.slug == slug)
                .and_then(|s| s.official_status.clone())
        };
        for slug in [
            "chatgpt",
            "discord",
            "github",
            "cloudflare",
            "aws",
            "azure",
            "google-cloud",
        ] {
            assert!(
                with_status(slug).is_some(),
                "{slug} has no official status source"
            );
        }
    }
}
