//! `/api/v1/incidents`: the incidents Downwatch declared, with their evidence and timeline.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_page, Format};
use super::params::{parse_scope, parse_time};
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::FormatParam;
use crate::app::AppState;
use crate::domain::{Scope, Severity};
use crate::read::phrases::{incident_period, SaidPhrases};
use crate::store::{
    IncidentDetail, IncidentEventRecord, IncidentFilter, IncidentRecord, IncidentStatus,
};

const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this service's incidents (a slug).
    service: Option<String>,
    /// Only incidents scoped to this country (ISO 3166-1 alpha-2, any case), or `global`.
    country: Option<String>,
    /// Only `open` or only `resolved` incidents.
    #[param(value_type = Option<IncidentStatus>, inline)]
    status: Option<String>,
    /// Only incidents active at some time at or after this UTC time (RFC 3339 or a date).
    #[param(value_type = Option<String>, example = "2026-11-27T14:05:00Z")]
    from: Option<String>,
    /// Only incidents active at some time before this UTC time (RFC 3339 or a date).
    #[param(value_type = Option<String>, example = "2026-11-27T14:05:00Z")]
    to: Option<String>,
    /// The `next_cursor` of the previous page (or its `X-Next-Cursor` header in CSV).
    cursor: Option<String>,
    /// Incidents per page, 1 to 200.
    #[param(default = 50, minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// A page of incidents, newest first.
#[derive(Serialize, ToSchema)]
pub struct IncidentListResponse {
    incidents: Vec<IncidentSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    next_cursor: Option<String>,
}

/// An incident without its evidence, for lists. Figures are **reports**, never users.
#[derive(Serialize, ToSchema)]
pub struct IncidentSummary {
    id: i64,
    /// The service's slug.
    service: String,
    /// `global`, or the country code the incident is about.
    #[schema(value_type = String)]
    scope: Scope,
    status: IncidentStatus,
    /// The worst state the incident reached.
    severity: Severity,
    started_at: DateTime<Utc>,
    escalated_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    peak_at: DateTime<Utc>,
    /// Counted reports in the observation window at the peak.
    peak_reports: f64,
    /// Reports expected in that window.
    peak_expected: f64,
    /// Counted reports since the incident started.
    total_reports: i64,
    /// The detection method's version, e.g. `dw-detect-1`.
    methodology: String,
    /// Where the incident's details are.
    url: String,
}

impl From<&IncidentRecord> for IncidentSummary {
    fn from(i: &IncidentRecord) -> Self {
        Self {
            id: i.id,
            service: i.service.clone(),
            scope: i.scope,
            status: i.status,
            severity: i.severity,
            started_at: i.started_at,
            escalated_at: i.escalated_at,
            resolved_at: i.resolved_at,
            peak_at: i.peak_at,
            peak_reports: i.peak_reports,
            peak_expected: i.peak_expected,
            total_reports: i.total_reports,
            methodology: i.methodology.clone(),
            url: format!("/api/v1/incidents/{}", i.id),
        }
    }
}

/// The flat CSV row of an incident.
#[derive(Serialize)]
struct IncidentCsv<'a> {
    id: i64,
    service: &'a str,
    scope: Scope,
    status: IncidentStatus,
    severity: Severity,
    started_at: String,
    resolved_at: String,
    peak_at: String,
    peak_reports: f64,
    peak_expected: f64,
    peak_score: f64,
    total_reports: i64,
    methodology: &'a str,
    url: String,
}

const CSV_HEADER: &[&str] = &[
    "id",
    "service",
    "scope",
    "status",
    "severity",
    "started_at",
    "resolved_at",
    "peak_at",
    "peak_reports",
    "peak_expected",
    "peak_score",
    "total_reports",
    "methodology",
    "url",
];

fn cursor_of(i: &IncidentRecord) -> String {
    format!("{}_{}", i.started_at.timestamp_micros(), i.id)
}

fn parse_cursor(raw: &str) -> Result<(DateTime<Utc>, i64), ApiError> {
    let bad = || ApiError::invalid("cursor", "not a cursor given by this API");
    let (micros, id) = raw.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    Ok((DateTime::from_timestamp_micros(micros).ok_or_else(bad)?, id))
}

/// List incidents
///
/// The incidents Downwatch declared, newest first by start, filtered by service, country,
/// status and time, in pages of `limit` (follow `next_cursor`). `?format=csv` or
/// `Accept: text/csv` gives CSV (one row per incident, a header row even when empty; the
/// next page's cursor is then in the `X-Next-Cursor` header). Times are UTC (ISO 8601).
#[utoipa::path(
    get,
    path = "/api/v1/incidents",
    tag = "incidents",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of incidents (JSON, or CSV with a header row).",
            headers(("X-Next-Cursor" = String,
                description = "CSV only: the cursor of the next page, absent on the last.")),
            content(
                (IncidentListResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn list_incidents(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: ListQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    if let Some(s) = &q.service {
        if state.catalog.get(s).is_none() {
            return Err(ApiError::invalid(
                "service",
                format!("unknown service {s:?}"),
            ));
        }
    }
    let status = q
        .status
        .as_deref()
        .map(|s| {
            s.parse::<IncidentStatus>()
                .map_err(|_| ApiError::invalid("status", "must be open or resolved"))
        })
        .transpose()?;
    let from = q
        .from
        .as_deref()
        .map(|t| parse_time("from", t))
        .transpose()?;
    let to = q.to.as_deref().map(|t| parse_time("to", t)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::invalid("from", "must be before to"));
        }
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be 1 to {MAX_LIMIT}"),
        ));
    }
    let filter = IncidentFilter {
        service: q.service.clone(),
        scope: q
            .country
            .as_deref()
            .map(|c| parse_scope("country", c))
            .transpose()?,
        status,
        from,
        to,
        after: q.cursor.as_deref().map(parse_cursor).transpose()?,
        // One more than asked, to know whether there is a next page.
        limit: limit + 1,
    };
    let mut incidents = state.stores.incidents.list_incidents(&filter).await?;
    let next = (incidents.len() as i64 > limit).then(|| {
        incidents.truncate(limit as usize);
        incidents.last().map(cursor_of)
    });
    let next_cursor = next.flatten();
    match format {
        Format::Csv => {
            let rows: Vec<IncidentCsv> = incidents
                .iter()
                .map(|i| IncidentCsv {
                    id: i.id,
                    service: &i.service,
                    scope: i.scope,
                    status: i.status,
                    severity: i.severity,
                    started_at: i.started_at.to_rfc3339(),
                    resolved_at: i.resolved_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    peak_at: i.peak_at.to_rfc3339(),
                    peak_reports: i.peak_reports,
                    peak_expected: i.peak_expected,
                    peak_score: i.peak_score,
                    total_reports: i.total_reports,
                    methodology: &i.methodology,
                    url: format!("/api/v1/incidents/{}", i.id),
                })
                .collect();
            csv_page(&rows, CSV_HEADER, "incidents", next_cursor.as_deref())
        }
        Format::Json => Ok(HttpResponse::Ok().json(IncidentListResponse {
            incidents: incidents.iter().map(IncidentSummary::from).collect(),
            next_cursor,
        })),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `csv` for the timeline as CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// One incident with its evidence and timeline.
#[derive(Serialize, ToSchema)]
pub struct IncidentResponse {
    incident: IncidentRecord,
    /// The service's display name (null if it left the catalog).
    service_name: Option<String>,
    /// What happened, oldest first.
    timeline: Vec<IncidentEventRecord>,
    /// What reporters' screens said from the detection window that opened the incident to
    /// its end (or now):
    /// only phrases at least `min_reporters` distinct reporters sent; empty once the raw
    /// reports have expired.
    said: SaidPhrases,
    /// The k of `said`.
    min_reporters: u32,
    links: IncidentLinks,
}

/// Related resources of an incident.
#[derive(Serialize, ToSchema)]
pub struct IncidentLinks {
    /// This incident.
    #[serde(rename = "self")]
    this: String,
    /// The timeline as CSV.
    timeline_csv: String,
    /// The service's report series.
    series: String,
    /// The outage event this incident is part of (incidents of several services that began
    /// together), if any.
    outage: Option<String>,
}

/// One incident, with its evidence and timeline
///
/// The incident, the evidence behind it (observed **reports** against the expected level,
/// top symptoms, platforms, countries, subdivisions and networks, the methodology version),
/// its timeline, and what reporters' screens said (k-anonymous phrases). `?format=csv` or `Accept: text/csv` gives the timeline as CSV
/// (`at,kind,state,reports,expected,score`).
#[utoipa::path(
    get,
    path = "/api/v1/incidents/{id}",
    tag = "incidents",
    params(
        ("id" = i64, Path, description = "The incident's id."),
        FormatQuery,
    ),
    responses(
        (status = 200, description = "The incident (JSON), or its timeline (CSV).",
            content(
                (IncidentResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "The id is not a number, or a parameter is invalid.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such incident.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_incident(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", "an incident id is a number"))?;
    let IncidentDetail {
        incident,
        events: timeline,
    } = state
        .stores
        .incidents
        .get_incident(id)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            what: format!("incident {id}"),
        })?;
    let q: FormatQuery = parse_query(req.query_string())?;
    if Format::of(&req, q.format.as_deref())? == Format::Csv {
        return super::format::csv(&timeline, &format!("incident-{id}-timeline"));
    }
    let service_name = state.catalog.get(&incident.service).map(|s| s.name.clone());
    let min_reporters = state.config.phrase_min_reporters;
    let period = incident_period(
        incident.started_at,
        incident.resolved_at,
        &incident.evidence,
    );
    let said = state
        .phrases
        .said(
            state.stores.log.as_ref(),
            &incident.service,
            period,
            min_reporters,
        )
        .await?;
    let links = IncidentLinks {
        this: format!("/api/v1/incidents/{id}"),
        timeline_csv: format!("/api/v1/incidents/{id}?format=csv"),
        series: format!("/api/v1/services/{}/series", incident.service),
        outage: state
            .stores
            .outages
            .outage_of_incident(id)
            .await?
            .map(|o| format!("/api/v1/outages/{}", o.event.id)),
    };
    Ok(HttpResponse::Ok().json(IncidentResponse {
        incident,
        service_name,
        timeline,
        said,
        min_reporters,
        links,
    }))
}
