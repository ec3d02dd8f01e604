//! `GET /api/v1/official/lead-times`: who knew first — each Downwatch incident linked to the
//! official incident that overlaps it, with the lead time.

use std::collections::HashMap;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::official::days;
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::FormatParam;
use crate::app::AppState;
use crate::store::{OfficialFilter, OfficialIncident};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadQuery {
    /// Only this service (a slug).
    service: Option<String>,
    /// How many days back, 1 to 90.
    #[param(default = 90, minimum = 1, maximum = 90)]
    days: Option<i64>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// Who knew first: one Downwatch incident and the official incident it links to.
#[derive(Serialize, ToSchema)]
pub struct LeadTime {
    /// The Downwatch incident.
    incident_id: i64,
    service: String,
    /// Downwatch's "problems" onset (when the incident escalated, else when it opened).
    onset_at: DateTime<Utc>,
    /// The official incident.
    official_id: i64,
    official_title: String,
    /// The company's first post.
    official_first_posted_at: Option<DateTime<Utc>>,
    /// `official_first_posted_at − onset_at` in minutes: positive when the crowd was first.
    lead_minutes: i32,
    /// Where the Downwatch incident's details are.
    incident_url: String,
}

/// Lead times.
#[derive(Serialize, ToSchema)]
pub struct LeadTimeList {
    lead_times: Vec<LeadTime>,
}

const LEAD_HEADER: &[&str] = &[
    "incident_id",
    "service",
    "onset_at",
    "official_id",
    "official_title",
    "official_first_posted_at",
    "lead_minutes",
    "incident_url",
];

/// Who knew first: lead times of the crowd over official pages
///
/// Every Downwatch incident of the last `days` (at most 90) that reached "problems" and
/// overlaps an official incident, newest onset first, with the lead time: minutes from
/// Downwatch's onset to the official first post (positive when the crowd saw it first,
/// negative when the company posted first). `?format=csv` gives CSV.
#[utoipa::path(
    get,
    path = "/api/v1/official/lead-times",
    tag = "official",
    params(LeadQuery),
    responses(
        (status = 200, description = "Lead times (JSON, or CSV with a header row).",
            content(
                (LeadTimeList = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn list_lead_times(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: LeadQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    if let Some(s) = &q.service {
        if state.catalog.get(s).is_none() {
            return Err(ApiError::invalid(
                "service",
                format!("unknown service {s:?}"),
            ));
        }
    }
    let since = Utc::now() - TimeDelta::days(days(q.days)?);
    let official = state.stores.official.as_ref();
    let links = official.list_links(q.service.as_deref(), since).await?;
    let incidents: HashMap<i64, OfficialIncident> = official
        .list_official(&OfficialFilter {
            service: q.service.clone(),
            since: Some(since - TimeDelta::days(1)),
            limit: 5000,
        })
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let rows: Vec<LeadTime> = links
        .into_iter()
        .map(|l| {
            let o = incidents.get(&l.official_id);
            LeadTime {
                incident_id: l.incident_id,
                official_title: o.map(|o| o.title.clone()).unwrap_or_default(),
                official_first_posted_at: o.map(|o| o.first_posted_at),
                incident_url: format!("/api/v1/incidents/{}", l.incident_id),
                service: l.service,
                onset_at: l.onset_at,
                official_id: l.official_id,
                lead_minutes: l.lead_minutes,
            }
        })
        .collect();
    match format {
        Format::Csv => csv_or_header(&rows, LEAD_HEADER, "lead-times"),
        Format::Json => Ok(HttpResponse::Ok().json(LeadTimeList { lead_times: rows })),
    }
}
