//! `GET /api/v1/services/{slug}/status` and `GET /api/v1/trending`: what the detector says now.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::problem::ApiError;
use super::AppState;
use crate::store::{IncidentFilter, ServiceStatus};

/// `GET /api/v1/services/{slug}/status`
pub async fn get_status(
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let service = state.catalog.get(&slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {:?}", slug.as_str()),
    })?;
    let status = state.board.status(&service.slug).await?;
    let open = state
        .incidents
        .list_incidents(&IncidentFilter {
            service: Some(service.slug.clone()),
            status: Some("open".into()),
            limit: 20,
            ..IncidentFilter::default()
        })
        .await?;
    let open: Vec<_> = open
        .iter()
        .map(|i| {
            json!({
                "id": i.id,
                "scope": i.scope,
                "severity": i.severity,
                "started_at": i.started_at,
                "url": format!("/api/v1/incidents/{}", i.id),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "service": service.slug,
        "name": service.name,
        // A service the detector has not looked at lately had no reports: it is ok.
        "state": status.as_ref().map_or("ok", |s| s.state.as_str()),
        "since": status.as_ref().and_then(|s| s.since),
        "window_minutes": status.as_ref().map(|s| s.window_minutes),
        "reports": status.as_ref().map_or(0, |s| s.reports),
        "expected": status.as_ref().map(|s| s.expected),
        "ratio": status.as_ref().map(|s| s.ratio),
        "score": status.as_ref().map_or(0.0, |s| s.score),
        "as_of": status.as_ref().map(|s| s.at),
        "open_incidents": open,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendingQuery {
    limit: Option<usize>,
    format: Option<String>,
}

#[derive(Serialize)]
struct TrendingRow {
    service: String,
    name: String,
    category: String,
    state: String,
    reports: i64,
    expected: f64,
    ratio: f64,
    score: f64,
    as_of: String,
}

/// `GET /api/v1/trending`: services with the most reports against their normal level now.
pub async fn trending(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: TrendingQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 100"));
    }
    let mut statuses: Vec<ServiceStatus> = state
        .board
        .statuses()
        .await?
        .into_iter()
        .filter(|s| s.reports > 0)
        .collect();
    let rank = |s: &ServiceStatus| match s.state.as_str() {
        "problems" => 2,
        "possible-problems" => 1,
        _ => 0,
    };
    statuses.sort_by(|a, b| {
        rank(b)
            .cmp(&rank(a))
            .then(b.score.total_cmp(&a.score))
            .then(b.ratio.total_cmp(&a.ratio))
            .then(b.reports.cmp(&a.reports))
            .then(a.service.cmp(&b.service))
    });
    let rows: Vec<TrendingRow> = statuses
        .into_iter()
        .filter_map(|s| {
            let service = state.catalog.get(&s.service)?;
            Some(TrendingRow {
                service: s.service,
                name: service.name.clone(),
                category: service.category.clone(),
                state: s.state,
                reports: s.reports,
                expected: (s.expected * 100.0).round() / 100.0,
                ratio: (s.ratio * 100.0).round() / 100.0,
                score: (s.score * 1000.0).round() / 1000.0,
                as_of: s.at.to_rfc3339(),
            })
        })
        .take(limit)
        .collect();
    match format {
        Format::Csv => csv_or_header(
            &rows,
            &[
                "service", "name", "category", "state", "reports", "expected", "ratio", "score",
                "as_of",
            ],
            "trending",
        ),
        Format::Json => Ok(HttpResponse::Ok().json(json!({ "services": rows }))),
    }
}
