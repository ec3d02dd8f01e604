//! Likely causes of a group of incidents, ranked, each with a confidence and its reasons.
//!
//! - **A provider** most members depend on, weighed against how common that dependency is:
//!   if `K` of the catalog's `M` services depend on it, how likely are `k` dependents among
//!   `n` members drawn at random (hypergeometric tail)? Cloudflare behind 10 of 12 members
//!   when it is behind 25 of 320 services is far beyond chance; AWS behind 3 of 12 when it is
//!   behind 60 is not. The provider's **own reports** add to it: rising before the members'
//!   (a minute or more) is the strongest sign, with them a good one, after them a weak one.
//! - **A network** (ASN) carrying at least half the reports of several members: an ISP
//!   outage, which people blame on the services they cannot reach. Weighed against an assumed
//!   5% chance that a member's reports are so concentrated on one network on an ordinary day
//!   (binomial tail).
//! - **A country** carrying 70% of several international members' reports (national
//!   services count for nothing: their reports always come from there). Against an assumed
//!   10%. When a network of that country explains the same members, the network is named
//!   first and the country's confidence halved.
//!
//! Each cause's evidence is `coverage × strength`: the share of members it explains, times
//! how far beyond chance that is (full at one chance in 10,000, in proportion to `-log10`
//! of the chance below that). The provider's own reports combine with it as independent
//! evidence (`1 − (1 − a)(1 − b)`). Confidence is capped at 0.95.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use statrs::distribution::{Binomial, DiscreteCDF, Hypergeometric};

use super::config::GroupingConfig;
use super::deps::ProviderStats;
use super::shape::{rise_minute, Shape};
use super::types::{Candidate, CauseKind, CountryShare, LikelyCause, NetworkShare, Reason};

/// Evidence from the provider's own reports rising before, with, or after the members'.
const OWN_BEFORE: f64 = 0.6;
const OWN_WITH: f64 = 0.4;
const OWN_AFTER: f64 = 0.2;
/// Most causes listed.
const MAX_CAUSES: usize = 5;

/// What cause ranking knows of one member (kept after its incident resolves).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub service: String,
    pub depends_on: Vec<String>,
    pub network: Option<NetworkShare>,
    /// Countries of its recent reports, largest first.
    pub countries: Vec<CountryShare>,
    pub home_country: Option<String>,
    /// When its reports rose.
    pub rise: DateTime<Utc>,
    /// Reports in the last minutes of the series its shares were taken from: shares are kept
    /// from the busiest view of the member, so that they describe its surge, not its tail.
    pub weight: f64,
}

impl Profile {
    /// The profile of a candidate whose shape is `shape`.
    pub fn of(c: &Candidate, shape: &Shape) -> Self {
        Self {
            service: c.service.clone(),
            depends_on: c.depends_on.clone(),
            network: c.network.clone(),
            countries: c.countries.clone(),
            home_country: c.home_country.clone(),
            rise: rise_minute(shape, c.onset),
            weight: recent_reports(c),
        }
    }

    /// Takes in a newer view of the same member: its providers always, the shares of its
    /// reports when that view holds at least as many recent reports as the one they came from.
    pub fn update(&mut self, c: &Candidate) {
        self.depends_on.clone_from(&c.depends_on);
        self.home_country.clone_from(&c.home_country);
        let weight = recent_reports(c);
        if weight >= self.weight {
            self.weight = weight;
            self.network.clone_from(&c.network);
            self.countries.clone_from(&c.countries);
        }
    }
}

/// Minutes at the end of a series whose reports weigh a view of the shares.
const RECENT_MINUTES: usize = 10;

/// Reports in the last minutes of a candidate's series.
fn recent_reports(c: &Candidate) -> f64 {
    let n = c.series.len();
    c.series.observed[n.saturating_sub(RECENT_MINUTES)..n]
        .iter()
        .sum()
}

/// A cause with the members (indexes into the profiles) it explains, and the chance of its
/// statistical evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub cause: LikelyCause,
    pub explains: Vec<usize>,
    pub chance: f64,
}

/// Whether `cause` explains a member: it depends on the provider (or is it), or its reports
/// come mostly from the network or the country.
pub fn explains(cause: &CauseKind, p: &Profile, cfg: &GroupingConfig) -> bool {
    match cause {
        CauseKind::Provider { slug } => p.service == *slug || p.depends_on.contains(slug),
        CauseKind::Network { asn, .. } => p
            .network
            .as_ref()
            .is_some_and(|n| n.asn == *asn && n.share >= cfg.network_share),
        CauseKind::Country { code } => p
            .countries
            .first()
            .is_some_and(|c| c.code == *code && c.share >= cfg.country_share),
    }
}

/// Ranks the likely causes of a group whose members are `profiles`. `provider_rises` gives
/// the rise of every provider in incident now (member or not).
pub fn rank(
    profiles: &[&Profile],
    provider_rises: &HashMap<String, DateTime<Utc>>,
    stats: &ProviderStats,
    cfg: &GroupingConfig,
) -> Vec<Ranked> {
    let mut out = providers(profiles, provider_rises, stats, cfg);
    let networks = networks(profiles, cfg);
    let mut countries = countries(profiles, cfg);
    for c in &mut countries {
        let shadowed = networks.iter().any(|n| {
            let same_country = matches!((&n.cause.cause, &c.cause.cause),
                (CauseKind::Network { country: Some(nc), .. }, CauseKind::Country { code }) if nc == code);
            let covered = c.explains.iter().filter(|i| n.explains.contains(i)).count();
            same_country && covered as f64 >= 0.8 * c.explains.len() as f64
        });
        if shadowed {
            c.cause.confidence *= 0.5;
        }
    }
    out.extend(networks);
    out.extend(countries);
    out.retain(|r| r.cause.confidence >= cfg.min_confidence);
    let order = |k: &CauseKind| match k {
        CauseKind::Network { .. } => 0,
        CauseKind::Provider { .. } => 1,
        CauseKind::Country { .. } => 2,
    };
    out.sort_by(|a, b| {
        b.cause
            .confidence
            .total_cmp(&a.cause.confidence)
            .then(order(&a.cause.cause).cmp(&order(&b.cause.cause)))
            .then(a.chance.total_cmp(&b.chance))
    });
    out.truncate(MAX_CAUSES);
    out
}

fn providers(
    profiles: &[&Profile],
    rises: &HashMap<String, DateTime<Utc>>,
    stats: &ProviderStats,
    cfg: &GroupingConfig,
) -> Vec<Ranked> {
    let mut named: Vec<&str> = profiles
        .iter()
        .flat_map(|p| p.depends_on.iter().map(String::as_str))
        .chain(
            profiles
                .iter()
                .map(|p| p.service.as_str())
                .filter(|s| stats.is_provider(s)),
        )
        .collect();
    named.sort_unstable();
    named.dedup();
    named
        .into_iter()
        .filter_map(|slug| provider(slug, profiles, rises.get(slug).copied(), stats, cfg))
        .collect()
}

fn provider(
    slug: &str,
    profiles: &[&Profile],
    own_rise: Option<DateTime<Utc>>,
    stats: &ProviderStats,
    cfg: &GroupingConfig,
) -> Option<Ranked> {
    let others: Vec<usize> = (0..profiles.len())
        .filter(|&i| profiles[i].service != slug)
        .collect();
    let n = others.len();
    let dependents: Vec<usize> = others
        .iter()
        .copied()
        .filter(|&i| profiles[i].depends_on.iter().any(|d| d == slug))
        .collect();
    let k = dependents.len();
    let mut reasons = Vec::new();
    let mut chance = 1.0;
    let mut dep_evidence = 0.0;
    if k > 0 && n > 0 {
        let catalog = stats.catalog().max(n);
        let documented = stats.dependents(slug).max(k).min(catalog);
        chance = hypergeometric_at_least(catalog, documented, n, k);
        dep_evidence = k as f64 / n as f64 * strength(chance, cfg);
        reasons.push(Reason::SharedDependency {
            members: k,
            of: n,
            dependents: documented,
            catalog,
            chance,
        });
    }
    let mut own_evidence = 0.0;
    if let Some(rise) = own_rise {
        let mut rises: Vec<DateTime<Utc>> = others.iter().map(|&i| profiles[i].rise).collect();
        rises.sort();
        if let Some(median) = rises.get(rises.len() / 2) {
            let lead = (*median - rise).num_minutes();
            own_evidence = match lead {
                l if l >= 1 => OWN_BEFORE,
                0 => OWN_WITH,
                _ => OWN_AFTER,
            };
            reasons.push(Reason::ProviderOwnReports { lead_minutes: lead });
        }
    }
    if reasons.is_empty() {
        return None;
    }
    let mut explains = dependents;
    explains.extend((0..profiles.len()).filter(|&i| profiles[i].service == slug));
    explains.sort_unstable();
    let evidence = 1.0 - (1.0 - dep_evidence) * (1.0 - own_evidence);
    Some(Ranked {
        cause: LikelyCause {
            cause: CauseKind::Provider {
                slug: slug.to_owned(),
            },
            confidence: cfg.max_confidence * evidence,
            reasons,
        },
        explains,
        chance,
    })
}

fn networks(profiles: &[&Profile], cfg: &GroupingConfig) -> Vec<Ranked> {
    let mut by_asn: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, p) in profiles.iter().enumerate() {
        if let Some(net) = p.network.as_ref().filter(|n| n.share >= cfg.network_share) {
            by_asn.entry(net.asn).or_default().push(i);
        }
    }
    let n = profiles.len();
    by_asn
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .filter_map(|(asn, members)| {
            let nets: Vec<&NetworkShare> = members
                .iter()
                .filter_map(|&i| profiles[i].network.as_ref())
                .collect();
            let first = nets.first()?;
            let k = members.len();
            let chance = binomial_at_least(n, cfg.network_base_rate, k);
            let evidence = k as f64 / n as f64 * strength(chance, cfg);
            Some(Ranked {
                cause: LikelyCause {
                    cause: CauseKind::Network {
                        asn,
                        org: first.org.clone(),
                        country: first.country.clone(),
                    },
                    confidence: cfg.max_confidence * evidence,
                    reasons: vec![Reason::NetworkCarriesReports {
                        members: k,
                        of: n,
                        median_share: median(nets.iter().map(|n| n.share)),
                        chance,
                    }],
                },
                explains: members,
                chance,
            })
        })
        .collect()
}

fn countries(profiles: &[&Profile], cfg: &GroupingConfig) -> Vec<Ranked> {
    let mut by_code: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, p) in profiles.iter().enumerate() {
        if let Some(c) = p.countries.first().filter(|c| c.share >= cfg.country_share) {
            by_code.entry(c.code.as_str()).or_default().push(i);
        }
    }
    let n = profiles.len();
    by_code
        .into_iter()
        .filter(|(_, members)| members.len() >= 2)
        .map(|(code, members)| {
            let national = members
                .iter()
                .filter(|&&i| profiles[i].home_country.as_deref() == Some(code))
                .count();
            let k = members.len();
            let chance = binomial_at_least(n - national, cfg.country_base_rate, k - national);
            let evidence = k as f64 / n as f64 * strength(chance, cfg);
            let shares = members
                .iter()
                .filter_map(|&i| profiles[i].countries.first().map(|c| c.share));
            Ranked {
                cause: LikelyCause {
                    cause: CauseKind::Country {
                        code: code.to_owned(),
                    },
                    confidence: cfg.max_confidence * evidence,
                    reasons: vec![Reason::CountryCarriesReports {
                        members: k,
                        of: n,
                        national,
                        median_share: median(shares),
                        chance,
                    }],
                },
                explains: members,
                chance,
            }
        })
        .collect()
}

/// How far beyond chance: 0 at chance 1, 1 at `10^-full_evidence_neg_log10` and below.
fn strength(chance: f64, cfg: &GroupingConfig) -> f64 {
    let full = cfg.full_evidence_neg_log10.max(f64::MIN_POSITIVE);
    (-chance.max(1e-300).log10() / full).clamp(0.0, 1.0)
}

/// `P(X ≥ k)`, `X` the dependents among `n` services drawn from `catalog` of which
/// `dependents` depend on the provider.
pub fn hypergeometric_at_least(catalog: usize, dependents: usize, n: usize, k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    match Hypergeometric::new(catalog as u64, dependents as u64, n as u64) {
        Ok(h) => h.sf(k as u64 - 1),
        Err(_) => 1.0,
    }
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`.
pub fn binomial_at_least(n: usize, p: f64, k: usize) -> f64 {
    if k == 0 {
        return 1.0;
    }
    match Binomial::new(p, n as u64) {
        Ok(b) => b.sf(k as u64 - 1),
        Err(_) => 1.0,
    }
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
