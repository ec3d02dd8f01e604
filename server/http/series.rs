//! `GET /api/v1/services/{slug}/series`: a service's reports over time against the expected
//! level.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::params::{parse_scope, parse_time};
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::{FormatParam, Step};
use crate::app::AppState;
use crate::catalog::Service;
use crate::read::series::{series, Point, SeriesError, SeriesRequest, Sources};

/// The catalog's service `slug`, or a 404.
pub(super) fn service_of(
    state: &AppState,
    slug: &str,
) -> Result<std::sync::Arc<Service>, ApiError> {
    state.catalog.get(slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {slug:?}"),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Start (UTC, RFC 3339 or a date); 24 hours before `to` when absent.
    #[param(value_type = Option<String>, example = "2026-11-27T14:05:00Z")]
    from: Option<String>,
    /// End (UTC, RFC 3339 or a date, at most an hour ahead); now when absent.
    #[param(value_type = Option<String>, example = "2026-11-27T14:05:00Z")]
    to: Option<String>,
    /// Width of one point. `1m` and `5m` are only served for the recent hours kept in
    /// minute buckets; at most 2000 points per answer.
    #[param(value_type = Option<Step>, inline, default = "5m")]
    step: Option<String>,
    /// Only reports located in this country (ISO 3166-1 alpha-2, any case).
    country: Option<String>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// A service's reports over time with the baseline behind them.
#[derive(Serialize, ToSchema)]
pub struct SeriesResponse {
    /// The service's slug.
    service: String,
    /// The country asked for; null for the whole world.
    country: Option<String>,
    /// The width of one point: `1m`, `5m`, `15m` or `1h`.
    step: String,
    /// Start of the first point (null when there is none).
    from: Option<DateTime<Utc>>,
    /// End of the last point (null when there is none).
    to: Option<DateTime<Utc>>,
    /// One point per step, oldest first.
    points: Vec<Point>,
}

#[derive(Serialize)]
struct SeriesCsv {
    t: String,
    reports: i64,
    unique_reporters: Option<i64>,
    expected: f64,
    expected_low: f64,
    expected_high: f64,
    source: &'static str,
}

/// A service's reports over time, with the expected level
///
/// Counted **reports** per step (and distinct reporters where known) with the level the
/// baseline expected and its band of normal variation. Each point's time `t` is the start
/// of its step, in UTC. `?format=csv` or `Accept: text/csv` gives CSV
/// (`t,reports,unique_reporters,expected,expected_low,expected_high,source`).
#[utoipa::path(
    get,
    path = "/api/v1/services/{slug}/series",
    tag = "series",
    params(
        ("slug" = String, Path, description = "The service's slug, e.g. `netflix`."),
        SeriesQuery,
    ),
    responses(
        (status = 200, description = "The series (JSON, or CSV with a header row).",
            content(
                (SeriesResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid (bad time, step, country, too many \
            points, a fine step outside the recent hours); `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_series(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: SeriesQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let service = service_of(&state, &slug)?;
    let now = Utc::now();
    let to =
        q.to.as_deref()
            .map(|t| parse_time("to", t))
            .transpose()?
            .unwrap_or(now);
    let from = q
        .from
        .as_deref()
        .map(|t| parse_time("from", t))
        .transpose()?
        .unwrap_or(to - TimeDelta::hours(24));
    let step_minutes = match q.step.as_deref().unwrap_or("5m") {
        "1m" => 1,
        "5m" => 5,
        "15m" => 15,
        "1h" => 60,
        _ => return Err(ApiError::invalid("step", "must be 1m, 5m, 15m or 1h")),
    };
    if to > now + TimeDelta::hours(1) {
        return Err(ApiError::invalid("to", "is in the future"));
    }
    let request = SeriesRequest {
        service: service.slug.clone(),
        country: q
            .country
            .as_deref()
            .map(|c| parse_scope("country", c).map(|scope| scope.to_string()))
            .transpose()?,
        from,
        to,
        step_minutes,
    };
    let sources = Sources {
        buckets: state.stores.buckets.as_ref(),
        rollups: state.stores.rollups.as_ref(),
        expected: &state.expected,
        detect: &state.config.detect,
        dedupe_secs: state.config.gate.dedupe_secs,
    };
    let points = series(&request, now, &sources).await.map_err(|e| match e {
        SeriesError::Invalid { field, reason } => ApiError::invalid(field, reason),
        SeriesError::Store(e) => e.into(),
    })?;
    match format {
        Format::Csv => {
            let rows: Vec<SeriesCsv> = points
                .iter()
                .map(|p| SeriesCsv {
                    t: p.t.to_rfc3339(),
                    reports: p.reports,
                    unique_reporters: p.unique_reporters,
                    expected: p.expected,
                    expected_low: p.expected_low,
                    expected_high: p.expected_high,
                    source: p.source,
                })
                .collect();
            csv_or_header(
                &rows,
                &[
                    "t",
                    "reports",
                    "unique_reporters",
                    "expected",
                    "expected_low",
                    "expected_high",
                    "source",
                ],
                &format!("{}-series", service.slug),
            )
        }
        Format::Json => Ok(HttpResponse::Ok().json(SeriesResponse {
            service: service.slug.clone(),
            country: request.country,
            step: q.step.as_deref().unwrap_or("5m").to_owned(),
            from: points.first().map(|p| p.t),
            to: points
                .last()
                .map(|p| p.t + TimeDelta::minutes(step_minutes)),
            points,
        })),
    }
}
