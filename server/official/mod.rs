//! Official status: what a company's own status page says, read from the formats pages speak
//! ([`statuspage`], [`instatus`], [`feed`], [`gcp`]) into one [`Snapshot`] of the words of
//! [`model`]. Pure: no I/O here; the poller (`crate::corroborate`) fetches the bodies and the
//! stores keep what they say.

pub mod dates;
pub mod decode;
pub mod feed;
pub mod gcp;
pub mod instatus;
pub mod model;
pub mod statuspage;

pub use decode::decode;
pub use model::{
    Component, ComponentStatus, Impact, Indicator, OfficialState, OfficialUpdate, ParsedIncident,
    Snapshot, Stage,
};

use chrono::{DateTime, Utc};

use crate::catalog::StatusKind;

/// Why a body says nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("body larger than {cap} bytes")]
    TooLarge { cap: usize },
    #[error("body is neither UTF-8 nor UTF-16")]
    Encoding,
    #[error("not the JSON expected: {0}")]
    Json(String),
    #[error("not a feed: {0}")]
    Xml(String),
}

impl ParseError {
    fn json(e: serde_json::Error) -> Self {
        ParseError::Json(e.to_string().chars().take(200).collect())
    }
}

/// The main document of a source of `kind` (`summary.json`, the feed, `incidents.json`), read
/// at `now` (a feed's stale posts no longer count).
pub fn parse_main(
    kind: StatusKind,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Snapshot, ParseError> {
    match kind {
        StatusKind::Statuspage => statuspage::summary(text),
        StatusKind::Instatus => instatus::summary(text),
        StatusKind::Feed => feed::feed(text, now),
        StatusKind::Gcp => gcp::incidents(text),
    }
}

/// The URL of a source's incident history beside its main one, for the kinds that have one:
/// Statuspage's `incidents.json` next to `summary.json`.
pub fn history_url(kind: StatusKind, url: &str) -> Option<String> {
    match kind {
        StatusKind::Statuspage => url
            .strip_suffix("summary.json")
            .map(|base| format!("{base}incidents.json")),
        _ => None,
    }
}

/// A snapshot with the incident history of `history` merged in: each incident once, the
/// history's telling preferred (it has the posts of resolved ones too).
pub fn merge_history(mut snapshot: Snapshot, history: Vec<ParsedIncident>) -> Snapshot {
    for incident in history {
        snapshot
            .incidents
            .retain(|i| i.external_id != incident.external_id);
        snapshot.incidents.push(incident);
    }
    // The history holds resolved incidents too: the list is no longer of open ones only.
    snapshot.active_only = false;
    snapshot
}

#[cfg(test)]
mod tests;
