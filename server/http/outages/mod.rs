//! `/api/v1/outages`: outage events — incidents of several services that began together
//! beyond chance — with their likely causes, newest or largest first. The query and its
//! cursors are in [`query`].

mod query;

use query::{cursor_of, filter_of, OutageQuery};

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_page, Format};
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::FormatParam;
use crate::app::AppState;
use crate::outage::{CauseKind, LikelyCause, OutageEvent};
use crate::store::{IncidentStatus, StoredOutage};

/// A page of outage events.
#[derive(Serialize, ToSchema)]
pub struct OutageListResponse {
    outages: Vec<OutageSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// An outage event without its members' details, for lists. Figures are **reports**.
#[derive(Serialize, ToSchema)]
pub struct OutageSummary {
    /// The event's id (the incident id of its first member).
    id: i64,
    status: IncidentStatus,
    started_at: DateTime<Utc>,
    /// When its last member resolved (null while open).
    ended_at: Option<DateTime<Utc>>,
    /// The member services' slugs, in the order they joined.
    services: Vec<String>,
    /// Reports to the members since their incidents opened.
    reports: f64,
    peak_at: DateTime<Utc>,
    /// Reports to all members in the peak minute, and the reports normal then.
    peak_reports: f64,
    peak_expected: f64,
    /// Countries of the reports (ISO 3166-1 alpha-2), largest share first.
    countries: Vec<String>,
    /// The most likely cause, if one is named.
    cause: Option<LikelyCause>,
    /// Size × severity: reports × duration in minutes × the peak's ratio to normal.
    rank: f64,
    url: String,
}

impl From<&StoredOutage> for OutageSummary {
    fn from(s: &StoredOutage) -> Self {
        let e = &s.event;
        Self {
            id: e.id,
            status: s.status(),
            started_at: e.start,
            ended_at: e.end,
            services: e.members.iter().map(|m| m.service.clone()).collect(),
            reports: e.reports.round(),
            peak_at: e.peak_at,
            peak_reports: e.peak_reports.round(),
            peak_expected: (e.peak_expected * 10.0).round() / 10.0,
            countries: e.countries.iter().map(|c| c.code.clone()).collect(),
            cause: e.top_cause().cloned(),
            rank: s.rank.round(),
            url: format!("/api/v1/outages/{}", e.id),
        }
    }
}

/// The flat CSV row of an event.
#[derive(Serialize)]
struct OutageCsv {
    id: i64,
    status: IncidentStatus,
    started_at: String,
    ended_at: String,
    members: usize,
    services: String,
    reports: f64,
    peak_at: String,
    peak_reports: f64,
    peak_expected: f64,
    countries: String,
    cause_kind: &'static str,
    cause: String,
    confidence: String,
    rank: f64,
    url: String,
}

const CSV_HEADER: &[&str] = &[
    "id",
    "status",
    "started_at",
    "ended_at",
    "members",
    "services",
    "reports",
    "peak_at",
    "peak_reports",
    "peak_expected",
    "countries",
    "cause_kind",
    "cause",
    "confidence",
    "rank",
    "url",
];

impl From<&OutageSummary> for OutageCsv {
    fn from(s: &OutageSummary) -> Self {
        let (cause_kind, cause) = match s.cause.as_ref().map(|c| &c.cause) {
            Some(CauseKind::Provider { slug }) => ("provider", slug.clone()),
            Some(CauseKind::Network { asn, org, .. }) => ("network", format!("AS{asn} {org}")),
            Some(CauseKind::Country { code }) => ("country", code.clone()),
            None => ("", String::new()),
        };
        Self {
            id: s.id,
            status: s.status,
            started_at: s.started_at.to_rfc3339(),
            ended_at: s.ended_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            members: s.services.len(),
            services: s.services.join(" "),
            reports: s.reports,
            peak_at: s.peak_at.to_rfc3339(),
            peak_reports: s.peak_reports,
            peak_expected: s.peak_expected,
            countries: s.countries.join(" "),
            cause_kind,
            cause,
            confidence: s
                .cause
                .as_ref()
                .map(|c| format!("{:.2}", c.confidence))
                .unwrap_or_default(),
            rank: s.rank,
            url: s.url.clone(),
        }
    }
}

/// List outage events
///
/// Outage events: incidents of several services that began together beyond chance, with the
/// most likely cause (a provider most members depend on, one network, one country) and its
/// confidence. Newest first, or largest first with `sort=rank` (reports × duration in minutes
/// × the peak's ratio to normal: "the largest outage this year" is `year=2026&sort=rank&limit=1`).
/// Filtered by status, time or year, country, category, provider and member service, in pages
/// of `limit` (follow `next_cursor`). `?format=csv` or `Accept: text/csv` gives CSV (a header
/// row even when empty; the next page's cursor in `X-Next-Cursor`). Times are UTC.
#[utoipa::path(
    get,
    path = "/api/v1/outages",
    tag = "outages",
    params(OutageQuery),
    responses(
        (status = 200, description = "A page of outage events (JSON, or CSV with a header row).",
            headers(("X-Next-Cursor" = String,
                description = "CSV only: the cursor of the next page, absent on the last.")),
            content(
                (OutageListResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn list_outages(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: OutageQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let mut filter = filter_of(&q, &state)?;
    let limit = filter.limit;
    // One more than asked, to know whether there is a next page.
    filter.limit += 1;
    let mut outages = state.stores.outages.list_outages(&filter).await?;
    let next = (outages.len() as i64 > limit).then(|| {
        outages.truncate(limit as usize);
        outages.last().map(|s| cursor_of(s, filter.order))
    });
    let next_cursor = next.flatten();
    let summaries: Vec<OutageSummary> = outages.iter().map(OutageSummary::from).collect();
    match format {
        Format::Csv => {
            let rows: Vec<OutageCsv> = summaries.iter().map(OutageCsv::from).collect();
            csv_page(&rows, CSV_HEADER, "outages", next_cursor.as_deref())
        }
        Format::Json => Ok(HttpResponse::Ok().json(OutageListResponse {
            outages: summaries,
            next_cursor,
        })),
    }
}

/// One outage event, whole.
#[derive(Serialize, ToSchema)]
pub struct OutageResponse {
    status: IncidentStatus,
    /// Size × severity: reports × duration in minutes × the peak's ratio to normal.
    rank: f64,
    /// When the detector last saved it.
    updated_at: DateTime<Utc>,
    /// The event: members (each with its incident), start, peak, end, reports, countries and
    /// likely causes (most likely first) with their confidence (0–1, never 1: Downwatch sees
    /// correlations, not causes) and reasons as numbers.
    outage: OutageEvent,
    /// Each member's incident.
    incidents: Vec<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutageFormatQuery {
    /// `csv` for the members as CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// A member as a CSV row.
#[derive(Serialize)]
struct MemberCsv<'a> {
    service: &'a str,
    incident_id: i64,
    onset: String,
    joined: String,
    resolved: String,
    severity: crate::outage::Severity,
    reports: f64,
}

/// One outage event
///
/// The event with its members (each with its incident), likely causes and their reasons.
/// `?format=csv` or `Accept: text/csv` gives the members as CSV
/// (`service,incident_id,onset,joined,resolved,severity,reports`).
#[utoipa::path(
    get,
    path = "/api/v1/outages/{id}",
    tag = "outages",
    params(
        ("id" = i64, Path, description = "The event's id."),
        OutageFormatQuery,
    ),
    responses(
        (status = 200, description = "The event (JSON), or its members (CSV).",
            content(
                (OutageResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "The id is not a number, or a parameter is invalid.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such outage event.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_outage(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", "an outage id is a number"))?;
    let q: OutageFormatQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let stored = state
        .stores
        .outages
        .get_outage(id)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: format!("outage {id}"),
        })?;
    if format == Format::Csv {
        let rows: Vec<MemberCsv> = stored
            .event
            .members
            .iter()
            .map(|m| MemberCsv {
                service: &m.service,
                incident_id: m.incident_id,
                onset: m.onset.to_rfc3339(),
                joined: m.joined.to_rfc3339(),
                resolved: m.resolved.map(|t| t.to_rfc3339()).unwrap_or_default(),
                severity: m.severity,
                reports: m.reports.round(),
            })
            .collect();
        return super::format::csv(&rows, &format!("outage-{id}-members"));
    }
    Ok(HttpResponse::Ok().json(OutageResponse {
        status: stored.status(),
        rank: stored.rank.round(),
        updated_at: stored.updated_at,
        incidents: stored
            .event
            .members
            .iter()
            .map(|m| format!("/api/v1/incidents/{}", m.incident_id))
            .collect(),
        outage: stored.event,
    }))
}
