//! Instatus `summary.json`: the page status (`UP`, `HASISSUES`, `UNDERMAINTENANCE`) and the
//! open incidents, whose dates may be JavaScript's `Date.toString()` or epoch milliseconds.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::dates::{millis, parse_date};
use super::model::{
    clean_text, Component, ComponentStatus, Impact, Indicator, OfficialUpdate, ParsedIncident,
    Snapshot, Stage,
};
use super::ParseError;

#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    page: Option<Page>,
    #[serde(default, rename = "activeIncidents")]
    active_incidents: Vec<RawIncident>,
    #[serde(default)]
    components: Vec<RawComponent>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct RawComponent {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct RawIncident {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    started: Option<Value>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

/// A `summary.json`.
pub fn summary(text: &str) -> Result<Snapshot, ParseError> {
    let raw: Summary = serde_json::from_str(text).map_err(ParseError::json)?;
    let indicator = match raw.page.and_then(|p| p.status).as_deref() {
        Some("UP") => Indicator::None,
        Some("HASISSUES") => Indicator::Minor,
        Some("UNDERMAINTENANCE") => Indicator::Maintenance,
        _ => Indicator::Unknown,
    };
    let incidents: Vec<ParsedIncident> = raw
        .active_incidents
        .into_iter()
        .filter_map(incident)
        .collect();
    // HASISSUES says nothing of how bad: the worst open incident does.
    let indicator = match (indicator, incidents.iter().map(|i| i.impact).max()) {
        (Indicator::Minor, Some(worst)) if worst != Impact::Unknown => worst.indicator(),
        (indicator, _) => indicator,
    };
    Ok(Snapshot {
        indicator: Some(indicator),
        components: raw
            .components
            .into_iter()
            .filter_map(|c| {
                Some(Component {
                    name: clean_text(&c.name?),
                    status: component_status(c.status.as_deref().unwrap_or("")),
                })
            })
            .collect(),
        incidents,
        active_only: true,
    })
}

fn incident(raw: RawIncident) -> Option<ParsedIncident> {
    let external_id = raw.id.filter(|id| !id.is_empty() && id.len() <= 200)?;
    let started_at = raw.started.as_ref().and_then(date)?;
    let stage = match raw.status.as_deref() {
        Some("INVESTIGATING") => Stage::Investigating,
        Some("IDENTIFIED") => Stage::Identified,
        Some("MONITORING") => Stage::Monitoring,
        Some("RESOLVED") => Stage::Resolved,
        _ => Stage::Unknown,
    };
    let impact = match raw.impact.as_deref() {
        Some("MAJOROUTAGE") => Impact::Major,
        Some("PARTIALOUTAGE") => Impact::Minor,
        Some("DEGRADEDPERFORMANCE") => Impact::Minor,
        Some("UNDERMAINTENANCE") => Impact::Maintenance,
        Some("OPERATIONAL") => Impact::None,
        _ => Impact::Unknown,
    };
    let title = clean_text(raw.name.as_deref().unwrap_or(""));
    Some(ParsedIncident {
        external_id,
        // The summary holds no posts: its start stands for the first one.
        updates: vec![OfficialUpdate {
            stage,
            posted_at: started_at,
            body: title.clone(),
        }],
        title,
        impact,
        stage,
        url: raw
            .url
            .filter(|u| u.starts_with("https://") && u.len() <= 300),
        started_at,
        resolved_at: None,
        components: Vec::new(),
    })
}

fn component_status(raw: &str) -> ComponentStatus {
    match raw {
        "OPERATIONAL" => ComponentStatus::Operational,
        "DEGRADEDPERFORMANCE" => ComponentStatus::DegradedPerformance,
        "PARTIALOUTAGE" => ComponentStatus::PartialOutage,
        "MAJOROUTAGE" => ComponentStatus::MajorOutage,
        "UNDERMAINTENANCE" => ComponentStatus::UnderMaintenance,
        _ => ComponentStatus::Unknown,
    }
}

/// A date as text (any form) or as epoch milliseconds.
fn date(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::String(s) => parse_date(s),
        Value::Number(n) => n.as_i64().and_then(millis),
        _ => None,
    }
}
