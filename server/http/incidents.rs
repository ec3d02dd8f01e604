//! `/api/v1/incidents`: the incidents Downwatch declared, with their evidence and timeline.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::params::{parse_scope, parse_time};
use super::problem::ApiError;
use super::AppState;
use crate::store::{IncidentFilter, IncidentRecord};

const MAX_LIMIT: i64 = 200;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    service: Option<String>,
    country: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
    format: Option<String>,
}

/// The flat CSV row of an incident.
#[derive(Serialize)]
struct IncidentCsv<'a> {
    id: i64,
    service: &'a str,
    scope: &'a str,
    status: &'a str,
    severity: &'a str,
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

/// `GET /api/v1/incidents`
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
    if let Some(s) = &q.status {
        if s != "open" && s != "resolved" {
            return Err(ApiError::invalid("status", "must be open or resolved"));
        }
    }
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
        status: q.status.clone(),
        from,
        to,
        after: q.cursor.as_deref().map(parse_cursor).transpose()?,
        // One more than asked, to know whether there is a next page.
        limit: limit + 1,
    };
    let mut incidents = state.incidents.list_incidents(&filter).await?;
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
                    scope: &i.scope,
                    status: &i.status,
                    severity: &i.severity,
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
            let mut res = csv_or_header(&rows, CSV_HEADER, "incidents")?;
            if let Some(c) = &next_cursor {
                if let Ok(v) = actix_web::http::header::HeaderValue::from_str(c) {
                    res.headers_mut().insert(
                        actix_web::http::header::HeaderName::from_static("x-next-cursor"),
                        v,
                    );
                }
            }
            Ok(res)
        }
        Format::Json => {
            let summaries: Vec<_> = incidents.iter().map(summary).collect();
            Ok(HttpResponse::Ok().json(json!({
                "incidents": summaries,
                "next_cursor": next_cursor,
            })))
        }
    }
}

/// An incident without its full evidence, for lists.
fn summary(i: &IncidentRecord) -> serde_json::Value {
    json!({
        "id": i.id,
        "service": i.service,
        "scope": i.scope,
        "status": i.status,
        "severity": i.severity,
        "started_at": i.started_at,
        "escalated_at": i.escalated_at,
        "resolved_at": i.resolved_at,
        "peak_at": i.peak_at,
        "peak_reports": i.peak_reports,
        "peak_expected": i.peak_expected,
        "total_reports": i.total_reports,
        "methodology": i.methodology,
        "url": format!("/api/v1/incidents/{}", i.id),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    format: Option<String>,
}

/// `GET /api/v1/incidents/{id}`
pub async fn get_incident(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", "an incident id is a number"))?;
    let (incident, timeline) =
        state
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
    let name = state.catalog.get(&incident.service).map(|s| s.name.clone());
    Ok(HttpResponse::Ok().json(json!({
        "incident": incident,
        "service_name": name,
        "timeline": timeline,
        "links": {
            "self": format!("/api/v1/incidents/{id}"),
            "timeline_csv": format!("/api/v1/incidents/{id}?format=csv"),
            "series": format!("/api/v1/services/{}/series", incident.service),
        },
    })))
}
