//! `GET /api/v1/services/{slug}/status` and `GET /api/v1/trending`: what the detector says now.

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::cached::{serve, Sharing};
use super::format::{csv_or_header, Format};
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::FormatParam;
use crate::app::read_cache::ReadKey;
use crate::app::AppState;
use crate::catalog::Service;
use crate::domain::{Scope, Severity, State};
use crate::store::{IncidentFilter, IncidentStatus, ServiceStatus};

/// What the detector said about one service at its latest tick. Figures are **reports**
/// counted in the observation window, never users.
#[derive(Serialize, ToSchema)]
pub struct StatusResponse {
    /// The service's slug.
    service: String,
    /// The service's display name.
    name: String,
    /// A service the detector has not looked at lately had no reports: it is `ok`.
    state: State,
    /// Since when the service is in this state (none when it has always been ok).
    since: Option<DateTime<Utc>>,
    /// The observation window, in minutes.
    window_minutes: Option<u32>,
    /// Counted reports in the window that ended at `as_of`.
    reports: i64,
    /// Reports expected in that window at this time of day and week.
    expected: Option<f64>,
    /// reports / expected.
    ratio: Option<f64>,
    /// Anomaly score in [0, 1].
    score: f64,
    /// End of the window the figures are about.
    as_of: Option<DateTime<Utc>>,
    open_incidents: Vec<OpenIncident>,
}

/// An open incident of the service, globally or in one country.
#[derive(Serialize, ToSchema)]
pub struct OpenIncident {
    id: i64,
    /// `global` or a country code.
    #[schema(value_type = String)]
    scope: Scope,
    severity: Severity,
    started_at: DateTime<Utc>,
    /// Where the incident's details are.
    url: String,
}

/// Whether one service has problems now
///
/// The detector's latest verdict on the service, its figures over the observation window
/// (counted **reports** against the expected level) and its open incidents.
#[utoipa::path(
    get,
    path = "/api/v1/services/{slug}/status",
    tag = "status",
    params(("slug" = String, Path, description = "The service's slug, e.g. `netflix`.")),
    responses(
        (status = 200, description = "The service's current state.", body = StatusResponse),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_status(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let service = state.catalog.get(&slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {:?}", slug.as_str()),
    })?;
    let key = ReadKey::new("status", service.slug.clone());
    let built = async {
        status_of(&state, &service)
            .await
            .unwrap_or_else(|e| e.error_response())
    };
    Ok(serve(&req, &state.read_cache, key, Sharing::Public, built).await)
}

async fn status_of(state: &AppState, service: &Service) -> Result<HttpResponse, ApiError> {
    let status = state.stores.board.status(&service.slug).await?;
    let open = state
        .stores
        .incidents
        .list_incidents(&IncidentFilter {
            service: Some(service.slug.clone()),
            status: Some(IncidentStatus::Open),
            limit: 20,
            ..IncidentFilter::default()
        })
        .await?;
    let open_incidents = open
        .into_iter()
        .map(|i| OpenIncident {
            url: format!("/api/v1/incidents/{}", i.id),
            id: i.id,
            scope: i.scope,
            severity: i.severity,
            started_at: i.started_at,
        })
        .collect();
    let status = status.as_ref();
    Ok(HttpResponse::Ok().json(StatusResponse {
        service: service.slug.clone(),
        name: service.name.clone(),
        // A service the detector has not looked at lately had no reports: it is ok.
        state: status.map_or(State::Ok, |s| s.state),
        since: status.and_then(|s| s.since),
        window_minutes: status.map(|s| s.window_minutes),
        reports: status.map_or(0, |s| s.reports),
        expected: status.map(|s| s.expected),
        ratio: status.map(|s| s.ratio),
        score: status.map_or(0.0, |s| s.score),
        as_of: status.map(|s| s.at),
        open_incidents,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrendingQuery {
    /// How many services to list, 1 to 100.
    #[param(default = 20, minimum = 1, maximum = 100)]
    limit: Option<usize>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// The services with reports now, in trouble first.
#[derive(Serialize, ToSchema)]
pub struct TrendingResponse {
    services: Vec<TrendingRow>,
}

/// One service on the trending list (also one CSV row, columns in this order).
#[derive(Serialize, ToSchema)]
pub struct TrendingRow {
    service: String,
    name: String,
    category: String,
    state: State,
    /// Counted reports in the observation window.
    reports: i64,
    /// Reports expected in that window.
    expected: f64,
    /// reports / expected.
    ratio: f64,
    /// Anomaly score in [0, 1].
    score: f64,
    /// End of the window (RFC 3339, UTC).
    #[schema(value_type = DateTime<Utc>)]
    as_of: String,
}

/// Services with the most reports against their normal level now
///
/// Services with at least one counted report in the current window, ranked by state
/// (problems, then possible problems, then ok), then anomaly score, ratio and **reports**.
/// `?format=csv` or `Accept: text/csv` gives the same rows as CSV with a header row.
#[utoipa::path(
    get,
    path = "/api/v1/trending",
    tag = "status",
    params(TrendingQuery),
    responses(
        (status = 200, description = "The ranked services (JSON, or CSV with a header row).",
            content(
                (TrendingResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
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
    let key = ReadKey::new("trending", format!("{limit}|{format:?}"));
    let built = async {
        ranked(&state, limit, format)
            .await
            .unwrap_or_else(|e| e.error_response())
    };
    Ok(serve(&req, &state.read_cache, key, Sharing::Public, built).await)
}

async fn ranked(state: &AppState, limit: usize, format: Format) -> Result<HttpResponse, ApiError> {
    let mut statuses: Vec<ServiceStatus> = state
        .stores
        .board
        .statuses()
        .await?
        .into_iter()
        .filter(|s| s.reports > 0)
        .collect();
    crate::read::rank_statuses(&mut statuses);
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
        Format::Json => Ok(HttpResponse::Ok().json(TrendingResponse { services: rows })),
    }
}
