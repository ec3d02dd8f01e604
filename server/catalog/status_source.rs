//! Where a service publishes its official status: a [`StatusSource`] of one [`StatusKind`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest status URL accepted.
pub const MAX_STATUS_URL: usize = 300;

/// The format an official status source speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    /// Atlassian Statuspage, and incident.io pages, which answer the same paths:
    /// `/api/v2/summary.json` (the URL stored) and `/api/v2/incidents.json` beside it.
    Statuspage,
    /// Instatus `summary.json`.
    Instatus,
    /// An RSS 2.0 or Atom feed (AWS, Azure).
    Feed,
    /// Google Cloud's `incidents.json`.
    Gcp,
}

impl StatusKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [StatusKind; 4] = [
        StatusKind::Statuspage,
        StatusKind::Instatus,
        StatusKind::Feed,
        StatusKind::Gcp,
    ];

    /// The stored and JSON word.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusKind::Statuspage => "statuspage",
            StatusKind::Instatus => "instatus",
            StatusKind::Feed => "feed",
            StatusKind::Gcp => "gcp",
        }
    }
}

impl fmt::Display for StatusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a [`StatusKind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown status kind {0:?}; one of statuspage, instatus, feed, gcp")]
pub struct UnknownKind(pub String);

impl FromStr for StatusKind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "statuspage" | "incident.io" => Ok(StatusKind::Statuspage),
            "instatus" => Ok(StatusKind::Instatus),
            "feed" | "rss" | "atom" => Ok(StatusKind::Feed),
            "gcp" => Ok(StatusKind::Gcp),
            other => Err(UnknownKind(other.to_owned())),
        }
    }
}

/// A service's official status source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusSource {
    /// The format.
    pub kind: StatusKind,
    /// The https URL polled (for `statuspage`, the `summary.json` one).
    #[schema(example = "https://www.githubstatus.com/api/v2/summary.json")]
    pub url: String,
}

/// Why a status source is refused, and which of its fields is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("{0}")]
    Kind(UnknownKind),
    #[error("must be an https URL of at most {MAX_STATUS_URL} characters with a host")]
    Url,
}

impl SourceError {
    /// The field at fault, relative to the source object.
    pub fn field(&self) -> &'static str {
        match self {
            SourceError::Kind(_) => "kind",
            SourceError::Url => "url",
        }
    }
}

impl StatusSource {
    /// Parses a kind word and a URL: a known kind, an https URL with a host, no spaces.
    pub fn parse(kind: &str, url: &str) -> Result<Self, SourceError> {
        let kind = kind.parse().map_err(SourceError::Kind)?;
        let url = url.trim();
        let host = url
            .strip_prefix("https://")
            .and_then(|rest| rest.split(['/', '?', '#']).next())
            .unwrap_or("");
        let host_ok = !host.is_empty()
            && !host.contains('@')
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        if !host_ok || url.len() > MAX_STATUS_URL || url.chars().any(char::is_whitespace) {
            return Err(SourceError::Url);
        }
        Ok(Self {
            kind,
            url: url.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_parsed_with_the_field_at_fault() {
        let ok = StatusSource::parse(
            "statuspage",
            "https://www.githubstatus.com/api/v2/summary.json",
        );
        assert_eq!(ok.map(|s| s.kind), Ok(StatusKind::Statuspage));
        assert_eq!(
            StatusSource::parse("rss", "https://a.example/feed").map(|s| s.kind),
            Ok(StatusKind::Feed)
        );
        for (kind, url, field) in [
            ("nope", "https://a.example/", "kind"),
            ("feed", "http://a.example/", "url"),
            ("feed", "https:///x", "url"),
            ("feed", "https://user@a.example/", "url"),
            ("feed", "https://a.example/a b", "url"),
            ("gcp", "ftp://a.example/", "url"),
        ] {
            let err = StatusSource::parse(kind, url).expect_err(url);
            assert_eq!(err.field(), field, "{kind} {url}");
        }
        let long = format!("https://a.example/{}", "x".repeat(MAX_STATUS_URL));
        assert!(StatusSource::parse("gcp", &long).is_err());
    }

    #[test]
    fn kinds_round_trip_through_their_words() {
        for kind in StatusKind::ALL {
            assert_eq!(kind.as_str().parse::<StatusKind>(), Ok(kind));
        }
    }
}
