//! Atlassian Statuspage (and incident.io, which answers the same paths):
//! `/api/v2/summary.json` (page indicator, components, open incidents) and
//! `/api/v2/incidents.json` (the latest incidents, resolved ones too, with their posts).

use serde::Deserialize;

use super::dates::parse_date;
use super::model::{
    clean_text, lenient, Component, ComponentStatus, Impact, Indicator, OfficialUpdate,
    ParsedIncident, Snapshot, Stage,
};
use super::ParseError;

#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    status: Option<PageStatus>,
    #[serde(default)]
    components: Vec<RawComponent>,
    #[serde(default)]
    incidents: Vec<RawIncident>,
}

#[derive(Deserialize)]
struct PageStatus {
    #[serde(default)]
    indicator: Option<String>,
}

#[derive(Deserialize)]
struct RawComponent {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    group: Option<bool>,
}

#[derive(Deserialize)]
struct Incidents {
    #[serde(default)]
    incidents: Vec<RawIncident>,
}

#[derive(Deserialize)]
struct RawIncident {
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    shortlink: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    resolved_at: Option<String>,
    #[serde(default)]
    incident_updates: Vec<RawUpdate>,
    #[serde(default)]
    components: Vec<RawComponent>,
}

#[derive(Deserialize)]
struct RawUpdate {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    display_at: Option<String>,
}

/// A `summary.json`: the page's indicator, its components (not their groups) and the open
/// incidents.
pub fn summary(text: &str) -> Result<Snapshot, ParseError> {
    let raw: Summary = serde_json::from_str(text).map_err(ParseError::json)?;
    let indicator = raw
        .status
        .and_then(|s| s.indicator)
        .map(|i| lenient(&i, Indicator::Unknown))
        .unwrap_or(Indicator::Unknown);
    let components = raw
        .components
        .into_iter()
        .filter(|c| c.group != Some(true))
        .filter_map(|c| {
            Some(Component {
                name: clean_text(&c.name?),
                status: lenient(c.status.as_deref().unwrap_or(""), ComponentStatus::Unknown),
            })
        })
        .collect();
    Ok(Snapshot {
        indicator: Some(indicator),
        components,
        incidents: raw.incidents.into_iter().filter_map(incident).collect(),
        active_only: true,
    })
}

/// An `incidents.json`: the latest incidents, open and resolved.
pub fn incidents(text: &str) -> Result<Vec<ParsedIncident>, ParseError> {
    let raw: Incidents = serde_json::from_str(text).map_err(ParseError::json)?;
    Ok(raw.incidents.into_iter().filter_map(incident).collect())
}

/// One incident; one without an id or any date is skipped.
fn incident(raw: RawIncident) -> Option<ParsedIncident> {
    let external_id = raw.id.filter(|id| !id.is_empty() && id.len() <= 200)?;
    let mut updates: Vec<OfficialUpdate> = raw
        .incident_updates
        .into_iter()
        .filter_map(|u| {
            let posted_at = u
                .display_at
                .as_deref()
                .and_then(parse_date)
                .or_else(|| u.created_at.as_deref().and_then(parse_date))?;
            Some(OfficialUpdate {
                stage: lenient(u.status.as_deref().unwrap_or(""), Stage::Unknown),
                posted_at,
                body: clean_text(u.body.as_deref().unwrap_or("")),
            })
        })
        .collect();
    updates.sort_by_key(|u| u.posted_at);
    let started_at = raw
        .created_at
        .as_deref()
        .and_then(parse_date)
        .or_else(|| raw.started_at.as_deref().and_then(parse_date))
        .or_else(|| updates.first().map(|u| u.posted_at))?;
    let stage = lenient(raw.status.as_deref().unwrap_or(""), Stage::Unknown);
    let resolved_at = raw.resolved_at.as_deref().and_then(parse_date);
    Some(ParsedIncident {
        external_id,
        title: clean_text(raw.name.as_deref().unwrap_or("")),
        impact: lenient(raw.impact.as_deref().unwrap_or(""), Impact::Unknown),
        stage,
        url: raw
            .shortlink
            .filter(|u| u.starts_with("https://") && u.len() <= 300),
        started_at,
        resolved_at: resolved_at.or_else(|| {
            stage
                .is_over()
                .then(|| updates.last().map(|u| u.posted_at))
                .flatten()
        }),
        components: raw
            .components
            .into_iter()
            .filter_map(|c| c.name.map(|n| clean_text(&n)))
            .collect(),
        updates,
    })
}
