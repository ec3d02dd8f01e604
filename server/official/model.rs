//! The words and shapes of official status, whatever format a page speaks: a page's
//! [`Indicator`], its components' [`ComponentStatus`], incidents with their [`Stage`] and
//! [`Impact`] and the history of their posts ([`OfficialUpdate`]). A word a page sends that
//! Downwatch does not know becomes `unknown` (see [`lenient`]), never an error.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::words;

/// The whole page's status: Statuspage's indicator (`none` is all good).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = OfficialIndicator)]
pub enum Indicator {
    None,
    Maintenance,
    Minor,
    Major,
    Critical,
    Unknown,
}

words!(Indicator, "page indicator", {
    None = "none",
    Maintenance = "maintenance",
    Minor = "minor",
    Major = "major",
    Critical = "critical",
    Unknown = "unknown",
});

/// A component's status, in Statuspage's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = OfficialComponentStatus)]
pub enum ComponentStatus {
    Operational,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
    UnderMaintenance,
    Unknown,
}

words!(ComponentStatus, "component status", {
    Operational = "operational",
    DegradedPerformance = "degraded_performance",
    PartialOutage = "partial_outage",
    MajorOutage = "major_outage",
    UnderMaintenance = "under_maintenance",
    Unknown = "unknown",
});

impl ComponentStatus {
    /// How bad, for picking the worst: operational 0 … major outage 3 (maintenance 1).
    pub fn rank(self) -> u8 {
        match self {
            ComponentStatus::Operational | ComponentStatus::Unknown => 0,
            ComponentStatus::UnderMaintenance | ComponentStatus::DegradedPerformance => 1,
            ComponentStatus::PartialOutage => 2,
            ComponentStatus::MajorOutage => 3,
        }
    }
}

/// Where an official incident is: the stage of its latest post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = OfficialStage)]
pub enum Stage {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
    Postmortem,
    Unknown,
}

words!(Stage, "incident stage", {
    Investigating = "investigating",
    Identified = "identified",
    Monitoring = "monitoring",
    Resolved = "resolved",
    Postmortem = "postmortem",
    Unknown = "unknown",
});

impl Stage {
    /// Whether the incident is over.
    pub fn is_over(self) -> bool {
        matches!(self, Stage::Resolved | Stage::Postmortem)
    }
}

/// How bad the company says an incident is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = OfficialImpact)]
pub enum Impact {
    None,
    Maintenance,
    Minor,
    Major,
    Critical,
    Unknown,
}

words!(Impact, "incident impact", {
    None = "none",
    Maintenance = "maintenance",
    Minor = "minor",
    Major = "major",
    Critical = "critical",
    Unknown = "unknown",
});

impl Impact {
    /// The page indicator an open incident of this impact implies.
    pub fn indicator(self) -> Indicator {
        match self {
            Impact::None => Indicator::None,
            Impact::Maintenance => Indicator::Maintenance,
            Impact::Minor => Indicator::Minor,
            Impact::Major => Indicator::Major,
            Impact::Critical => Indicator::Critical,
            Impact::Unknown => Indicator::Unknown,
        }
    }
}

/// The official page's state, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfficialState {
    /// The page says all is well.
    Operational,
    /// The page admits a problem (an open incident, a component not operational).
    Issues,
    /// Planned maintenance only.
    Maintenance,
    /// The page answers, in words Downwatch does not know.
    Unknown,
    /// The source fails (or has not been polled for a while): its last word is not current.
    Unavailable,
    /// Not polled yet (or polling is off on this deployment).
    NotPolled,
    /// The service has no official status source in the catalog.
    NoSource,
}

/// A word of a page, lowercased and with spaces and dashes as `_`, as one of `T`'s words,
/// or `unknown`.
pub fn lenient<T: std::str::FromStr>(raw: &str, unknown: T) -> T {
    let word: String = raw
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    word.parse().unwrap_or(unknown)
}

/// One component of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = OfficialComponent)]
pub struct Component {
    pub name: String,
    pub status: ComponentStatus,
}

/// One post of an official incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OfficialUpdate {
    pub stage: Stage,
    pub posted_at: DateTime<Utc>,
    /// The company's words (at most 2,000 characters kept).
    pub body: String,
}

/// An official incident as a page tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedIncident {
    /// The page's own id (or, for feeds, one made from the item's title).
    pub external_id: String,
    pub title: String,
    pub impact: Impact,
    pub stage: Stage,
    /// A link to the incident on the page, when it gives one.
    pub url: Option<String>,
    /// When the company says it started (Statuspage `created_at`, Google's `begin`).
    pub started_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// Names of the components it affects.
    pub components: Vec<String>,
    /// Oldest first.
    pub updates: Vec<OfficialUpdate>,
}

impl ParsedIncident {
    /// When the company first said something: the oldest post, else its start.
    pub fn first_posted_at(&self) -> DateTime<Utc> {
        self.updates
            .iter()
            .map(|u| u.posted_at)
            .min()
            .unwrap_or(self.started_at)
    }
}

/// What one poll of a source learnt.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The page's status; `None` when the format does not say (a feed, incidents only).
    pub indicator: Option<Indicator>,
    pub components: Vec<Component>,
    pub incidents: Vec<ParsedIncident>,
    /// Whether `incidents` holds only the open incidents, so that an open incident missing
    /// from it is over (Instatus' and Statuspage's summaries).
    pub active_only: bool,
}

/// Most characters of an official text kept.
pub const MAX_TEXT: usize = 2000;

/// `text` cut to [`MAX_TEXT`] characters, without HTML tags, spaces folded.
pub fn clean_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT));
    let mut in_tag = false;
    let mut last_space = true;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            _ if in_tag => {}
            c if c.is_whitespace() => {
                if !last_space {
                    out.push(' ');
                    last_space = true;
                }
            }
            c if c.is_control() => {}
            c @ ('.' | ',' | ';' | ':' | '!' | '?' | ')') => {
                if out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
                last_space = false;
            }
            c => {
                out.push(c);
                last_space = false;
            }
        }
        if out.chars().count() >= MAX_TEXT {
            break;
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::assert_words_round_trip;

    #[test]
    fn official_words_round_trip_and_unknown_ones_are_kept_as_unknown() {
        assert_words_round_trip(Indicator::ALL);
        assert_words_round_trip(ComponentStatus::ALL);
        assert_words_round_trip(Stage::ALL);
        assert_words_round_trip(Impact::ALL);
        assert_eq!(
            lenient("Partial Outage", ComponentStatus::Unknown),
            ComponentStatus::PartialOutage
        );
        assert_eq!(
            lenient("sunspots", ComponentStatus::Unknown),
            ComponentStatus::Unknown
        );
        assert_eq!(lenient("IDENTIFIED", Stage::Unknown), Stage::Identified);
    }

    #[test]
    fn official_text_loses_its_tags_and_is_capped() {
        assert_eq!(
            clean_text("<p>We are <b>investigating</b>.</p>\n\n"),
            "We are investigating."
        );
        assert_eq!(clean_text(&"x".repeat(5000)).chars().count(), MAX_TEXT);
    }
}
