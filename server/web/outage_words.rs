//! Outage events in words, for every page that shows one: a headline ("Cloudflare?"), a
//! summary ("5 services with problems since 12:21"), the likely causes with their reasons, and
//! the line a member's service and incident pages show ("Probably an outage at Telecom
//! Italia (AS3269), not at Netflix").

use super::view::{Chrome, Stamp};
use crate::catalog::CatalogCache;
use crate::outage::{CauseKind, LikelyCause, OutageEvent, Reason};

/// A phrase that may name a country: `lead`, then the country (a `data-cc` span that the
/// page's script names in the reader's language), then `tail`.
pub struct Phrase {
    pub lead: String,
    pub cc: Option<String>,
    pub tail: String,
}

impl Phrase {
    fn plain(text: String) -> Self {
        Self {
            lead: text,
            cc: None,
            tail: String::new(),
        }
    }
}

/// An event as its lists and banners show it.
pub struct OutageLine {
    pub id: i64,
    pub url: String,
    pub open: bool,
    pub headline: Phrase,
    /// "5 services with problems since"
    pub summary: String,
    pub since: Stamp,
    pub until: Option<Stamp>,
    /// The members' display names, in the order they joined.
    pub services: Vec<(String, String)>,
    /// "1,234 reports"
    pub reports: String,
}

/// A provider's or a network's name as pages show it.
fn subject(catalog: &CatalogCache, cause: &CauseKind) -> Option<String> {
    match cause {
        CauseKind::Provider { slug } => Some(
            catalog
                .get(slug)
                .map_or_else(|| slug.clone(), |s| s.name.clone()),
        ),
        CauseKind::Network { asn, org, .. } if org.is_empty() => Some(format!("AS{asn}")),
        CauseKind::Network { asn, org, .. } => Some(format!("{org} (AS{asn})")),
        CauseKind::Country { .. } => None,
    }
}

fn percent(x: f64) -> String {
    ((x * 100.0).round() as i64).to_string()
}

/// The event's headline: its likely cause as a question, or "several services at once".
pub fn headline(c: &Chrome, catalog: &CatalogCache, event: &OutageEvent) -> Phrase {
    match event.top_cause().map(|t| &t.cause) {
        Some(CauseKind::Country { code }) => Phrase {
            lead: c.t("outage.headline_country").to_owned(),
            cc: Some(code.clone()),
            tail: "?".to_owned(),
        },
        Some(cause) => Phrase::plain(c.f(
            "outage.headline_cause",
            &[("cause", &subject(catalog, cause).unwrap_or_default())],
        )),
        None => Phrase::plain(c.t("outage.headline_unknown").to_owned()),
    }
}

/// The event as a line of a list or a banner.
pub fn line(c: &Chrome, catalog: &CatalogCache, event: &OutageEvent) -> OutageLine {
    let count = event.members.len().to_string();
    let open = event.end.is_none();
    OutageLine {
        id: event.id,
        url: format!("/outages/{}", event.id),
        open,
        headline: headline(c, catalog, event),
        summary: c.f(
            if open {
                "outage.summary_open"
            } else {
                "outage.summary_closed"
            },
            &[("count", &count)],
        ),
        since: Stamp::new(event.start),
        until: event.end.map(Stamp::new),
        services: event
            .members
            .iter()
            .map(|m| {
                let name = catalog
                    .get(&m.service)
                    .map_or_else(|| m.service.clone(), |s| s.name.clone());
                (m.service.clone(), name)
            })
            .collect(),
        reports: c.f(
            "outage.reports",
            &[("reports", &(event.reports.round() as i64).to_string())],
        ),
    }
}

/// A likely cause in a sentence, with its confidence.
pub fn cause_sentence(c: &Chrome, catalog: &CatalogCache, cause: &LikelyCause) -> Phrase {
    let confidence = percent(cause.confidence);
    let tail = c.f("outage.confidence", &[("percent", &confidence)]);
    match &cause.cause {
        CauseKind::Country { code } => Phrase {
            lead: c.t("outage.cause_country").to_owned(),
            cc: Some(code.clone()),
            tail,
        },
        CauseKind::Provider { .. } => Phrase {
            lead: c.f(
                "outage.cause_provider",
                &[(
                    "provider",
                    &subject(catalog, &cause.cause).unwrap_or_default(),
                )],
            ),
            cc: None,
            tail,
        },
        CauseKind::Network { .. } => Phrase {
            lead: c.f(
                "outage.cause_network",
                &[(
                    "network",
                    &subject(catalog, &cause.cause).unwrap_or_default(),
                )],
            ),
            cc: None,
            tail,
        },
    }
}

/// A cause's reasons in words.
pub fn reasons(c: &Chrome, cause: &LikelyCause) -> Vec<String> {
    cause
        .reasons
        .iter()
        .map(|r| match r {
            Reason::SharedDependency {
                members,
                of,
                dependents,
                catalog,
                chance,
            } => c.f(
                "outage.reason_shared",
                &[
                    ("members", &members.to_string()),
                    ("of", &of.to_string()),
                    ("dependents", &dependents.to_string()),
                    ("catalog", &catalog.to_string()),
                    ("chance", &chance_words(*chance)),
                ],
            ),
            Reason::ProviderOwnReports { lead_minutes } => match lead_minutes {
                m if *m > 0 => c.f("outage.reason_lead", &[("minutes", &m.to_string())]),
                m if *m < 0 => c.f("outage.reason_after", &[("minutes", &(-m).to_string())]),
                _ => c.t("outage.reason_with").to_owned(),
            },
            Reason::NetworkCarriesReports {
                members,
                of,
                median_share,
                chance,
            } => c.f(
                "outage.reason_network",
                &[
                    ("members", &members.to_string()),
                    ("of", &of.to_string()),
                    ("percent", &percent(*median_share)),
                    ("chance", &chance_words(*chance)),
                ],
            ),
            Reason::CountryCarriesReports {
                members,
                of,
                median_share,
                chance,
                ..
            } => c.f(
                "outage.reason_country",
                &[
                    ("members", &members.to_string()),
                    ("of", &of.to_string()),
                    ("percent", &percent(*median_share)),
                    ("chance", &chance_words(*chance)),
                ],
            ),
        })
        .collect()
}

/// A probability as people read it: "1 in 20", "below 1 in a million" — never 10^-114.
fn chance_words(p: f64) -> String {
    if !(p.is_finite() && p > 0.0) || p < 1e-6 {
        return "< 1 : 1,000,000".to_owned();
    }
    if p >= 0.5 {
        return "≈ 1 : 2".to_owned();
    }
    let one_in = (1.0 / p).round() as u64;
    let rounded = round_2_digits(one_in);
    format!("≈ 1 : {}", group(rounded))
}

fn round_2_digits(n: u64) -> u64 {
    let mut scale = 1;
    while n / scale >= 100 {
        scale *= 10;
    }
    (n + scale / 2) / scale * scale
}

/// `n` with a comma between groups of three digits.
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// The catalog entry (slug, name) of the operator whose network is the event's most likely
/// cause, when the catalog knows who runs it.
pub fn operator(catalog: &CatalogCache, event: &OutageEvent) -> Option<(String, String)> {
    let asn = match event.top_cause().map(|c| &c.cause) {
        Some(CauseKind::Network { asn, .. }) => *asn,
        _ => return None,
    };
    let slug = crate::catalog::networks::operator_of(asn)?;
    let service = catalog.get(slug)?;
    Some((service.slug.clone(), service.name.clone()))
}

/// The "part of a wider outage" box of a member's service and incident pages.
pub struct WiderOutage {
    pub sentence: Phrase,
    /// The operator of the failing network, when it is in the catalog (and not this service).
    pub operator: Option<(String, String)>,
    pub line: OutageLine,
    /// The other members (slug, name).
    pub others: Vec<(String, String)>,
}

/// The box for the member `service` (slug) of `event`.
pub fn wider(
    c: &Chrome,
    catalog: &CatalogCache,
    event: &OutageEvent,
    service: &str,
) -> WiderOutage {
    let name = catalog
        .get(service)
        .map_or_else(|| service.to_owned(), |s| s.name.clone());
    let line = line(c, catalog, event);
    WiderOutage {
        sentence: member_sentence(c, catalog, event, &name),
        operator: operator(catalog, event).filter(|(slug, _)| slug != service),
        others: line
            .services
            .iter()
            .filter(|(slug, _)| slug != service)
            .take(12)
            .cloned()
            .collect(),
        line,
    }
}

/// What a member's service or incident page says about the event: the likely cause as
/// "not at {service}" when it is a provider or a network, else the event's headline.
fn member_sentence(
    c: &Chrome,
    catalog: &CatalogCache,
    event: &OutageEvent,
    service_name: &str,
) -> Phrase {
    let top = event.top_cause().filter(|t| t.confidence >= 0.5);
    match top.map(|t| &t.cause) {
        Some(cause @ CauseKind::Network { .. }) => Phrase::plain(c.f(
            "outage.not_at_network",
            &[
                ("network", &subject(catalog, cause).unwrap_or_default()),
                ("service", service_name),
            ],
        )),
        Some(cause @ CauseKind::Provider { slug })
            if catalog.get(slug).is_none_or(|p| p.name != service_name) =>
        {
            Phrase::plain(c.f(
                "outage.not_at_provider",
                &[
                    ("provider", &subject(catalog, cause).unwrap_or_default()),
                    ("service", service_name),
                ],
            ))
        }
        _ => headline(c, catalog, event),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chances_are_said_as_one_in_n_and_never_as_powers_of_ten() {
        assert_eq!(chance_words(0.05), "≈ 1 : 20");
        assert_eq!(chance_words(0.0123), "≈ 1 : 81");
        assert_eq!(chance_words(0.000_123_4), "≈ 1 : 8,100");
        assert_eq!(chance_words(1e-114), "< 1 : 1,000,000");
        assert_eq!(chance_words(0.0), "< 1 : 1,000,000");
        assert_eq!(chance_words(0.7), "≈ 1 : 2");
    }
}
