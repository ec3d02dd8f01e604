//! `GET /api/v1/services/{slug}/series`: a service's reports over time against the expected
//! level.

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::cached::{serve, Sharing};
use super::format::{csv_or_header, Format};
use super::params::{parse_scope, parse_time};
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::{FormatParam, Step};
use crate::app::read_cache::ReadKey;
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
    let step = q.step.as_deref().unwrap_or("5m").to_owned();
    let step_minutes = match step.as_str() {
        "1m" => 1,
        "5m" => 5,
        "15m" => 15,
        "1h" => 60,
        _ => return Err(ApiError::invalid("step", "must be 1m, 5m, 15m or 1h")),
    };
    let country = q
        .country
        .as_deref()
        .map(|c| parse_scope("country", c).map(|scope| scope.to_string()))
        .transpose()?;
    let from = q
        .from
        .as_deref()
        .map(|t| parse_time("from", t))
        .transpose()?;
    let to = q.to.as_deref().map(|t| parse_time("to", t)).transpose()?;
    let asked = Asked {
        service,
        country,
        from,
        to,
        step,
        step_minutes,
        format,
    };
    if from.is_some() || to.is_some() {
        // A window of the reader's choosing: built for this reader alone.
        return build(&state, asked, Utc::now()).await;
    }
    // The last 24 hours: the same for every reader until the next tick or minute.
    let key = ReadKey::new(
        "series",
        format!(
            "{}|{}|{}|{:?}",
            asked.service.slug,
            asked.step,
            asked.country.as_deref().unwrap_or(""),
            asked.format
        ),
    );
    let built = async {
        build(&state, asked, Utc::now())
            .await
            .unwrap_or_else(|e| e.error_response())
    };
    Ok(serve(&req, &state.read_cache, key, Sharing::Public, built).await)
}

/// A parsed and checked request for a series.
struct Asked {
    service: std::sync::Arc<Service>,
    country: Option<String>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    step: String,
    step_minutes: i64,
    format: Format,
}

async fn build(
    state: &AppState,
    asked: Asked,
    now: DateTime<Utc>,
) -> Result<HttpResponse, ApiError> {
    let to = asked.to.unwrap_or(now);
    let from = asked.from.unwrap_or(to - TimeDelta::hours(24));
    if to > now + TimeDelta::hours(1) {
        return Err(ApiError::invalid("to", "is in the future"));
    }
    let service = asked.service;
    let step_minutes = asked.step_minutes;
    let request = SeriesRequest {
        service: service.slug.clone(),
        country: asked.country,
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
    match asked.format {
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
            step: asked.step,
            from: points.first().map(|p| p.t),
            to: points
                .last()
                .map(|p| p.t + TimeDelta::minutes(step_minutes)),
            points,
        })),
    }
}
