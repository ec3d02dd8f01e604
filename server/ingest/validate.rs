//! Turning what a client sent into a report Downwatch can count: parse, don't validate.

use std::sync::Arc;

use crate::catalog::countries::{is_country, is_subdivision_suffix};
use crate::catalog::symptoms::is_symptom;
use crate::catalog::{CatalogCache, Service, ServiceSlug};
use crate::domain::Platform;

use super::phrase::Phrase;
use super::IngestError;

/// Most symptoms one report may name.
pub const MAX_SYMPTOMS: usize = 3;

/// What a client sent, before validation (from JSON or an HTML form).
#[derive(Clone, Default)]
pub struct ReportInput {
    pub service: String,
    pub symptoms: Vec<String>,
    pub region: Option<String>,
    /// Where the reporter uses the service (a [`Platform`] word).
    pub platform: Option<String>,
    /// What the screen said, as typed: normalised into a [`Phrase`] here and then dropped.
    pub message: Option<String>,
}

// The raw message must never reach a log line: reports are printed with `{:?}` in places.
impl std::fmt::Debug for ReportInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportInput")
            .field("service", &self.service)
            .field("symptoms", &self.symptoms)
            .field("region", &self.region)
            .field("platform", &self.platform)
            .field("message", &self.message.as_ref().map(|_| "<withheld>"))
            .finish()
    }
}

/// A region the reporter chose: an ISO 3166-1 country, optionally with an ISO 3166-2
/// subdivision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub country: String,
    /// Full ISO 3166-2 code, e.g. `IT-25`.
    pub subdivision: Option<String>,
}

impl Region {
    /// Parses `IT` or `IT-25` (any case, surrounding spaces ignored).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        if code.len() > 6 {
            return Err(
                "must be an ISO 3166-1 code like IT or an ISO 3166-2 code like IT-25".into(),
            );
        }
        let (country, sub) = match code.split_once('-') {
            Some((c, s)) => (c, Some(s)),
            None => (code.as_str(), None),
        };
        if !is_country(country) {
            return Err(format!(
                "{country:?} is not an ISO 3166-1 alpha-2 country code"
            ));
        }
        if let Some(sub) = sub {
            if !is_subdivision_suffix(sub) {
                return Err(format!("{code:?} is not an ISO 3166-2 subdivision code"));
            }
        }
        Ok(Self {
            country: country.to_owned(),
            subdivision: sub.map(|_| code.clone()),
        })
    }
}

/// A report that passed validation.
#[derive(Debug, Clone)]
pub struct ValidReport {
    pub service: Arc<Service>,
    pub symptoms: Vec<String>,
    pub region: Option<Region>,
    pub platform: Option<Platform>,
    /// The message's normalised phrase (the raw text is gone).
    pub phrase: Option<Phrase>,
}

/// Validates `input` against the catalog.
pub fn validate(input: ReportInput, catalog: &CatalogCache) -> Result<ValidReport, IngestError> {
    let invalid = |field: &'static str, reason: String| IngestError::Invalid { field, reason };
    let slug = ServiceSlug::parse(&input.service)
        .map_err(|r| invalid("service", format!("service slug {r}")))?;
    let service = catalog
        .get(slug.as_str())
        .ok_or_else(|| IngestError::UnknownService(slug.as_str().to_owned()))?;

    if input.symptoms.is_empty() {
        return Err(invalid("symptoms", "name at least one symptom".into()));
    }
    let mut symptoms: Vec<String> = Vec::with_capacity(MAX_SYMPTOMS);
    for raw in &input.symptoms {
        let code = raw.trim();
        if code.len() > 32 || !is_symptom(code) {
            return Err(invalid(
                "symptoms",
                format!("{:?} is not a known symptom", truncate(code)),
            ));
        }
        if !service.symptoms.iter().any(|s| s == code) {
            return Err(invalid(
                "symptoms",
                format!(
                    "{code:?} is not a symptom of {}; allowed: {}",
                    service.name,
                    service.symptoms.join(", ")
                ),
            ));
        }
        if !symptoms.iter().any(|s| s == code) {
            symptoms.push(code.to_owned());
        }
    }
    if symptoms.len() > MAX_SYMPTOMS {
        return Err(invalid(
            "symptoms",
            format!("at most {MAX_SYMPTOMS} symptoms per report"),
        ));
    }

    let region = match input.region.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(Region::parse(raw).map_err(|r| invalid("region", r))?),
    };
    let platform = match input.platform.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.to_ascii_lowercase().parse::<Platform>().map_err(|_| {
            invalid(
                "platform",
                format!(
                    "{:?} is not a platform; one of: {}",
                    truncate(raw),
                    Platform::WORDS.join(", ")
                ),
            )
        })?),
    };
    let phrase = match input.message.as_deref() {
        None => None,
        Some(raw) => Phrase::parse(raw).map_err(|e| invalid("message", e.to_string()))?,
    };
    Ok(ValidReport {
        service,
        symptoms,
        region,
        platform,
        phrase,
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn netflix() -> CatalogCache {
        super::props::catalog()
    }

    fn input(platform: Option<&str>, message: Option<&str>) -> ReportInput {
        ReportInput {
            service: "netflix".into(),
            symptoms: vec!["login".into()],
            platform: platform.map(str::to_owned),
            message: message.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn platforms_are_their_words_and_others_are_refused_naming_platform() {
        let ok = validate(input(Some(" iOS "), None), &netflix()).expect("valid");
        assert_eq!(ok.platform, Some(Platform::Ios));
        let none = validate(input(Some(""), None), &netflix()).expect("valid");
        assert_eq!(none.platform, None);
        match validate(input(Some("ipad"), None), &netflix()) {
            Err(IngestError::Invalid { field, reason }) => {
                assert_eq!(field, "platform");
                assert!(reason.contains("smart-tv"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_message_becomes_its_phrase_and_bad_ones_name_message() {
        let ok =
            validate(input(None, Some("Something went WRONG (503)")), &netflix()).expect("valid");
        assert_eq!(
            ok.phrase.as_ref().map(Phrase::as_str),
            Some("something went wrong #")
        );
        for bad in ["x".repeat(81), "tab\there".into(), "bell\u{7}".into()] {
            match validate(input(None, Some(&bad)), &netflix()) {
                Err(IngestError::Invalid { field, .. }) => assert_eq!(field, "message"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
        let debug = format!("{:?}", input(None, Some("call +39 333 1234567")));
        assert!(
            !debug.contains("333"),
            "the raw message is never printed: {debug}"
        );
    }

    #[test]
    fn regions_parse() {
        assert_eq!(
            Region::parse(" it-25 "),
            Ok(Region {
                country: "IT".into(),
                subdivision: Some("IT-25".into())
            })
        );
        assert_eq!(
            Region::parse("GB"),
            Ok(Region {
                country: "GB".into(),
                subdivision: None
            })
        );
        assert!(Region::parse("XX").is_err());
        assert!(Region::parse("IT-").is_err());
        assert!(Region::parse("IT-ABCD").is_err());
        assert!(Region::parse("Italy").is_err());
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    const SYMPTOMS: [&str; 4] = ["login", "app", "website", "payments"];

    pub(super) fn catalog() -> CatalogCache {
        let cache = CatalogCache::default();
        cache.replace(vec![Service {
            slug: "netflix".into(),
            name: "Netflix".into(),
            category: "streaming".into(),
            aliases: vec![],
            url: None,
            country: None,
            symptoms: SYMPTOMS.iter().map(|s| (*s).to_owned()).collect(),
            depends_on: Vec::new(),
            official_status: None,
        }]);
        cache
    }

    /// Text that is sometimes right: real codes, near misses, and anything at all.
    fn text(real: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(real).prop_map(str::to_owned),
            proptest::sample::select(real).prop_map(|s| format!(" {} ", s.to_uppercase())),
            "[a-zA-Z0-9 -]{0,8}",
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn any_input_is_valid_or_names_a_field(
            service in text(&["netflix", "nope"]),
            symptoms in proptest::collection::vec(text(&SYMPTOMS), 0..6),
            region in proptest::option::of(text(&["IT", "it-25", "GB", "XX", "IT-ABCD", ""])),
            platform in proptest::option::of(text(&["ios", "smart-tv", "WEB", "ipad", ""])),
            message in proptest::option::of(text(&["Something went wrong", "call +39 333 1234567"])),
        ) {
            let input = ReportInput { service, symptoms, region, platform, message };
            match validate(input.clone(), &catalog()) {
                Ok(valid) => {
                    prop_assert_eq!(valid.service.slug.as_str(), "netflix");
                    prop_assert!((1..=MAX_SYMPTOMS).contains(&valid.symptoms.len()));
                    for s in &valid.symptoms {
                        prop_assert!(SYMPTOMS.contains(&s.as_str()), "{s:?} accepted");
                    }
                    if let Some(region) = &valid.region {
                        prop_assert!(is_country(&region.country));
                    }
                }
                Err(IngestError::Invalid { field, .. }) => {
                    prop_assert!(
                        ["service", "symptoms", "region", "platform", "message"].contains(&field)
                    );
                }
                Err(IngestError::UnknownService(_)) => {}
                Err(other) => prop_assert!(false, "unexpected {other:?} for {input:?}"),
            }
        }

        #[test]
        fn valid_reports_keep_what_was_sent(
            symptoms in proptest::sample::subsequence(SYMPTOMS.to_vec(), 1..=MAX_SYMPTOMS),
            region in proptest::option::of(proptest::sample::select(vec!["IT", "IT-25", "GB", "US-CA"])),
        ) {
            let input = ReportInput {
                service: "netflix".into(),
                symptoms: symptoms.iter().map(|s| (*s).to_owned()).collect(),
                region: region.map(str::to_owned),
                ..Default::default()
            };
            let valid = validate(input, &catalog()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(valid.symptoms, symptoms);
            prop_assert_eq!(
                valid.region.map(|r| r.subdivision.unwrap_or(r.country)),
                region.map(str::to_owned)
            );
        }
    }
}
