//! How common each dependency is among the catalog's services: what a shared dependency is
//! weighed against. The dependencies themselves are the catalog's (`Service::depends_on`,
//! seeded from [`crate::catalog::dependencies`]).

use std::collections::HashMap;

use crate::catalog::Service;

/// How many services of the catalog depend on each provider: what a shared dependency is
/// weighed against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderStats {
    catalog: usize,
    dependents: HashMap<String, usize>,
}

impl ProviderStats {
    /// `catalog` services, of which `dependents[p]` depend on provider `p`.
    pub fn new(catalog: usize, dependents: HashMap<String, usize>) -> Self {
        Self {
            catalog,
            dependents,
        }
    }

    /// Counts, over the whole catalog, the services that depend on each provider.
    pub fn from_catalog<'a>(services: impl IntoIterator<Item = &'a Service>) -> Self {
        let mut catalog = 0;
        let mut dependents: HashMap<String, usize> = HashMap::new();
        for s in services {
            catalog += 1;
            for p in &s.depends_on {
                *dependents.entry(p.clone()).or_default() += 1;
            }
        }
        Self::new(catalog, dependents)
    }

    /// Services in the catalog.
    pub fn catalog(&self) -> usize {
        self.catalog
    }

    /// Services of the catalog documented as depending on `provider` (0: not a provider).
    pub fn dependents(&self, provider: &str) -> usize {
        self.dependents.get(provider).copied().unwrap_or(0)
    }

    /// Whether anything is documented as depending on `slug`.
    pub fn is_provider(&self, slug: &str) -> bool {
        self.dependents(slug) > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    use crate::catalog::dependencies::Dependencies;
    use crate::catalog::seed::seed_services;

    #[test]
    fn every_slug_of_the_builtin_table_is_in_the_catalog() {
        let deps = Dependencies::builtin().expect("dependencies.toml is valid");
        let seed = seed_services().expect("seed parses");
        let slugs: HashSet<String> = seed.iter().map(|s| s.slug.clone()).collect();
        assert!(deps.edges().len() >= 15, "only {}", deps.edges().len());
        for d in deps.edges() {
            assert!(slugs.contains(&d.service), "unknown service {}", d.service);
            assert!(
                slugs.contains(&d.provider),
                "unknown provider {}",
                d.provider
            );
        }
        for provider in [
            "cloudflare",
            "aws",
            "azure",
            "google-cloud",
            "google-sign-in",
        ] {
            assert!(slugs.contains(provider), "{provider} is not in the catalog");
        }
        let stats = ProviderStats::from_catalog(&seed);
        assert_eq!(stats.catalog(), seed.len());
        assert!(stats.is_provider("aws") && stats.dependents("aws") <= stats.catalog());
    }
}
