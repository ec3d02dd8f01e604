//! Who reports what: the demo's services (a few huge, some mid-sized, many small national
//! ones), how many reports each gets on an ordinary day, from which countries, and with
//! which symptoms.

use crate::catalog::Service;

use super::places::{self, COUNTRIES};
use super::rhythm::{Profile, Rng};

/// The demo's services in the order `--services N` takes them, with their average reports per
/// day. The services of the scripted outages come first so that a small demo still has them.
const ROSTER: &[(&str, f64, Profile)] = &[
    ("chatgpt", 1600.0, Profile::Work),
    ("netflix", 1100.0, Profile::Leisure),
    ("whatsapp", 1400.0, Profile::Leisure),
    ("vodafone-it", 60.0, Profile::Leisure),
    ("youtube", 1300.0, Profile::Leisure),
    ("instagram", 1000.0, Profile::Leisure),
    ("tim", 70.0, Profile::Leisure),
    ("tiktok", 350.0, Profile::Leisure),
    ("facebook", 300.0, Profile::Leisure),
    ("spotify", 250.0, Profile::Leisure),
    ("x-twitter", 220.0, Profile::Leisure),
    ("discord", 200.0, Profile::Leisure),
    ("gmail", 200.0, Profile::Work),
    ("amazon", 180.0, Profile::Leisure),
    ("playstation-network", 170.0, Profile::Leisure),
    ("microsoft-teams", 160.0, Profile::Work),
    ("steam", 150.0, Profile::Leisure),
    ("paypal", 140.0, Profile::Work),
    ("outlook", 130.0, Profile::Work),
    ("roblox", 120.0, Profile::Leisure),
    ("telegram", 110.0, Profile::Leisure),
    ("disney-plus", 100.0, Profile::Leisure),
    ("bt", 60.0, Profile::Leisure),
    ("intesa-sanpaolo", 45.0, Profile::Work),
    ("poste-italiane", 50.0, Profile::Work),
    ("barclays", 40.0, Profile::Work),
    ("att", 70.0, Profile::Leisure),
    ("xfinity", 80.0, Profile::Leisure),
    ("chase", 45.0, Profile::Work),
    ("telekom-de", 55.0, Profile::Leisure),
    ("sparkasse", 35.0, Profile::Work),
    ("orange-fr", 50.0, Profile::Leisure),
    ("movistar-es", 45.0, Profile::Leisure),
    ("bbva", 30.0, Profile::Work),
    ("vivo", 50.0, Profile::Leisure),
    ("nubank", 40.0, Profile::Work),
    ("jio", 70.0, Profile::Leisure),
    ("sbi", 40.0, Profile::Work),
    ("raiplay", 25.0, Profile::Leisure),
    ("bbc-iplayer", 30.0, Profile::Leisure),
    ("windtre", 40.0, Profile::Leisure),
    ("unicredit", 30.0, Profile::Work),
    ("virgin-media", 45.0, Profile::Leisure),
    ("monzo", 25.0, Profile::Work),
    ("free-fr", 35.0, Profile::Leisure),
    ("airtel", 50.0, Profile::Leisure),
    ("fastweb", 30.0, Profile::Leisure),
    ("iliad-it", 25.0, Profile::Leisure),
    ("verizon", 60.0, Profile::Leisure),
    ("vodafone-de", 40.0, Profile::Leisure),
];

/// The most services a demo can have.
pub const MAX_SERVICES: usize = ROSTER.len();

/// The symptoms people name first for each category, most common first; a service's other
/// allowed symptoms come after these.
const PREFERRED: &[(&str, &[&str])] = &[
    (
        "social",
        &["app", "login", "website", "messaging", "notifications"],
    ),
    (
        "messaging",
        &[
            "messaging",
            "app",
            "login",
            "voice-calls",
            "server-connection",
        ],
    ),
    (
        "ai",
        &["server-connection", "website", "app", "login", "api"],
    ),
    (
        "streaming",
        &["video-streaming", "app", "login", "website", "tv"],
    ),
    ("music", &["music-streaming", "app", "login", "website"]),
    ("cloud", &["website", "api", "login", "server-connection"]),
    ("email", &["email", "login", "website", "app"]),
    (
        "bank",
        &["app", "login", "website", "card-payments", "transfers"],
    ),
    ("payments", &["app", "payments", "login", "card-payments"]),
    (
        "games",
        &["server-connection", "online-play", "login", "purchases"],
    ),
    ("mobile", &["mobile-data", "voice-calls", "internet", "sms"]),
    (
        "isp",
        &["internet", "tv", "landline", "mobile-data", "website"],
    ),
    (
        "shopping",
        &["app", "website", "login", "payments", "purchases"],
    ),
];

/// Share of a national service's reports from outside its country (travellers, expats).
const ABROAD_SHARE: f64 = 0.04;
/// Share of an operator's reports from its own network.
pub const OPERATOR_NETWORK_SHARE: f64 = 0.85;

/// One service of the demo and its ordinary traffic.
#[derive(Debug, Clone)]
pub struct DemoService {
    pub slug: String,
    pub name: String,
    /// Average counted reports per day on an ordinary day.
    pub per_day: f64,
    pub profile: Profile,
    /// For national services, the country.
    pub country: Option<String>,
    /// For operators, their AS: most of their reporters are on it.
    pub operator_asn: Option<u32>,
    /// The service's allowed symptoms with the share of reports naming each first.
    pub symptoms: Vec<(String, f64)>,
    /// Share of reports from each country of [`COUNTRIES`] (same order, sums to 1).
    pub countries: Vec<f64>,
}

/// The services of one demo.
#[derive(Debug, Clone)]
pub struct Population {
    pub services: Vec<DemoService>,
}

impl Population {
    /// The first `count` services of the roster that the catalog has.
    pub fn from_catalog(catalog: &[Service], count: usize) -> Self {
        let services = ROSTER
            .iter()
            .filter_map(|(slug, per_day, profile)| {
                let service = catalog.iter().find(|s| s.slug == *slug)?;
                Some(demo_service(service, *per_day, *profile))
            })
            .take(count)
            .collect();
        Self { services }
    }

    /// The position of `slug` among the services.
    pub fn index_of(&self, slug: &str) -> Option<usize> {
        self.services.iter().position(|s| s.slug == slug)
    }

    /// Average reports per day of all services together.
    pub fn per_day(&self) -> f64 {
        self.services.iter().map(|s| s.per_day).sum()
    }
}

fn demo_service(service: &Service, per_day: f64, profile: Profile) -> DemoService {
    let preferred = PREFERRED
        .iter()
        .find(|(c, _)| *c == service.category)
        .map_or(&[][..], |(_, p)| *p);
    let mut ordered: Vec<&str> = preferred
        .iter()
        .copied()
        .filter(|p| service.symptoms.iter().any(|s| s == p))
        .collect();
    for s in &service.symptoms {
        if !ordered.contains(&s.as_str()) {
            ordered.push(s);
        }
    }
    // Shares fall off with rank: the first symptom gets about a third of the reports.
    let raw: Vec<f64> = (0..ordered.len()).map(|i| 1.0 / (i as f64 + 1.2)).collect();
    let total: f64 = raw.iter().sum();
    let symptoms = ordered
        .iter()
        .zip(&raw)
        .map(|(s, w)| ((*s).to_owned(), w / total))
        .collect();
    DemoService {
        slug: service.slug.clone(),
        name: service.name.clone(),
        per_day,
        profile,
        country: service.country.clone(),
        operator_asn: places::operator_asn(&service.slug),
        symptoms,
        countries: country_mix(service.country.as_deref()),
    }
}

/// The world's mix, or mostly one country for a national service.
fn country_mix(home: Option<&str>) -> Vec<f64> {
    let home = home.and_then(|h| COUNTRIES.iter().position(|c| c.iso == h));
    COUNTRIES
        .iter()
        .enumerate()
        .map(|(i, c)| match home {
            None => c.world_share,
            Some(h) if h == i => 1.0 - ABROAD_SHARE + ABROAD_SHARE * c.world_share,
            Some(_) => ABROAD_SHARE * c.world_share,
        })
        .collect()
}

/// One to three distinct symptoms (most reports name one), drawn by `shares`.
pub fn pick_symptoms(shares: &[(String, f64)], rng: &mut Rng) -> Vec<String> {
    let wanted = match rng.unit() {
        x if x < 0.72 => 1,
        x if x < 0.94 => 2,
        _ => 3,
    };
    let mut left: Vec<(String, f64)> = shares.to_vec();
    let mut out = Vec::with_capacity(wanted);
    while out.len() < wanted && !left.is_empty() {
        let i = rng.weighted(left.iter().map(|(_, w)| *w));
        out.push(left.swap_remove(i).0);
    }
    out
}

/// `shares` restricted to what `service` allows, or the service's own shares when none is.
pub fn allowed_shares(service: &DemoService, shares: &[(&str, f64)]) -> Vec<(String, f64)> {
    let allowed: Vec<(String, f64)> = shares
        .iter()
        .filter(|(s, _)| service.symptoms.iter().any(|(a, _)| a == s))
        .map(|(s, w)| ((*s).to_owned(), *w))
        .collect();
    if allowed.is_empty() {
        service.symptoms.clone()
    } else {
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixes_sum_to_one() {
        for home in [None, Some("IT"), Some("IN")] {
            let total: f64 = country_mix(home).iter().sum();
            assert!((total - 1.0).abs() < 1e-9, "{home:?}: {total}");
        }
        let it = country_mix(Some("IT"));
        let italy = COUNTRIES.iter().position(|c| c.iso == "IT").unwrap_or(0);
        assert!(it[italy] > 0.95);
    }

    #[test]
    fn symptoms_are_distinct_and_allowed() {
        let shares = vec![("login".to_owned(), 0.5), ("app".to_owned(), 0.5)];
        let mut rng = Rng::new(5);
        for _ in 0..100 {
            let picked = pick_symptoms(&shares, &mut rng);
            assert!((1..=2).contains(&picked.len()));
            assert!(picked.len() == 1 || picked[0] != picked[1]);
        }
    }
}
