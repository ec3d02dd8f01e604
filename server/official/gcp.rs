//! Google Cloud's `incidents.json`: every incident of the last months, open while `end` is
//! absent, each with its posts (newest first) and the products it affects.

use serde::Deserialize;

use super::dates::parse_date;
use super::model::{
    clean_text, Component, ComponentStatus, Impact, Indicator, OfficialUpdate, ParsedIncident,
    Snapshot, Stage,
};
use super::ParseError;

#[derive(Deserialize)]
struct RawIncident {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    begin: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    external_desc: Option<String>,
    #[serde(default)]
    updates: Vec<RawUpdate>,
    #[serde(default)]
    status_impact: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    affected_products: Vec<Product>,
    #[serde(default)]
    uri: Option<String>,
}

#[derive(Deserialize)]
struct RawUpdate {
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct Product {
    #[serde(default)]
    title: Option<String>,
}

/// An `incidents.json`.
pub fn incidents(text: &str) -> Result<Snapshot, ParseError> {
    let raw: Vec<RawIncident> = serde_json::from_str(text).map_err(ParseError::json)?;
    let incidents: Vec<ParsedIncident> = raw.into_iter().filter_map(incident).collect();
    let open: Vec<&ParsedIncident> = incidents
        .iter()
        .filter(|i| i.resolved_at.is_none())
        .collect();
    let indicator = open
        .iter()
        .map(|i| i.impact.indicator())
        .filter(|i| *i != Indicator::Unknown)
        .max()
        .unwrap_or(Indicator::None);
    let mut components: Vec<Component> = Vec::new();
    for incident in &open {
        let status = match incident.impact {
            Impact::Critical | Impact::Major => ComponentStatus::MajorOutage,
            Impact::Minor => ComponentStatus::PartialOutage,
            _ => ComponentStatus::DegradedPerformance,
        };
        for name in &incident.components {
            match components.iter_mut().find(|c| &c.name == name) {
                Some(c) if c.status.rank() < status.rank() => c.status = status,
                Some(_) => {}
                None => components.push(Component {
                    name: name.clone(),
                    status,
                }),
            }
        }
    }
    Ok(Snapshot {
        indicator: Some(indicator),
        components,
        incidents,
        active_only: false,
    })
}

fn incident(raw: RawIncident) -> Option<ParsedIncident> {
    let external_id = raw.id.filter(|id| !id.is_empty() && id.len() <= 200)?;
    let started_at = raw.begin.as_deref().and_then(parse_date)?;
    let resolved_at = raw.end.as_deref().and_then(parse_date);
    let mut updates: Vec<OfficialUpdate> = raw
        .updates
        .into_iter()
        .filter_map(|u| {
            let posted_at = u
                .when
                .as_deref()
                .and_then(parse_date)
                .or_else(|| u.created.as_deref().and_then(parse_date))?;
            let body = clean_text(u.text.as_deref().unwrap_or(""));
            let stage = if u.status.as_deref() == Some("AVAILABLE") {
                Stage::Resolved
            } else {
                stage_of(&body)
            };
            Some(OfficialUpdate {
                stage,
                posted_at,
                body,
            })
        })
        .collect();
    updates.sort_by_key(|u| u.posted_at);
    let stage = if resolved_at.is_some() {
        Stage::Resolved
    } else {
        updates.last().map_or(Stage::Unknown, |u| u.stage)
    };
    let impact = match (raw.status_impact.as_deref(), raw.severity.as_deref()) {
        (Some("SERVICE_OUTAGE"), Some("high")) => Impact::Critical,
        (Some("SERVICE_OUTAGE"), _) => Impact::Major,
        (Some("SERVICE_DISRUPTION"), _) => Impact::Minor,
        (Some("SERVICE_INFORMATION"), _) => Impact::None,
        _ => Impact::Unknown,
    };
    Some(ParsedIncident {
        external_id,
        title: clean_text(raw.external_desc.as_deref().unwrap_or("")),
        impact,
        stage,
        url: raw
            .uri
            .filter(|u| !u.contains("://") && u.len() <= 200)
            .map(|u| {
                format!(
                    "https://status.cloud.google.com/{}",
                    u.trim_start_matches('/')
                )
            }),
        started_at,
        resolved_at,
        components: raw
            .affected_products
            .into_iter()
            .filter_map(|p| p.title.map(|t| clean_text(&t)))
            .collect(),
        updates,
    })
}

/// Google's posts carry no stage: the words of the post tell it.
pub(super) fn stage_of(text: &str) -> Stage {
    let lower = text.to_lowercase();
    if lower.contains("has been resolved") || lower.contains("is resolved") {
        Stage::Resolved
    } else if lower.contains("monitor") {
        Stage::Monitoring
    } else if lower.contains("identified")
        || lower.contains("mitigat")
        || lower.contains("root cause")
    {
        Stage::Identified
    } else if lower.contains("investigat") {
        Stage::Investigating
    } else {
        Stage::Unknown
    }
}
