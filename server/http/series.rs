//! `GET /api/v1/services/{slug}/series`, `…/breakdown` and `GET /api/v1/map`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::params::{parse_minutes, parse_scope, parse_time};
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::{BreakdownBy, FormatParam, Step};
use super::AppState;
use crate::catalog::Service;
use crate::detect::evidence::Share;
use crate::read::breakdown::{self, prefix_of, Cluster, CountryLoad};
use crate::read::recent::{counters, window_minutes};
use crate::read::series::{series, Point, SeriesError, SeriesRequest, Sources};

fn service_of(state: &AppState, slug: &str) -> Result<std::sync::Arc<Service>, ApiError> {
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
        buckets: state.buckets.as_ref(),
        rollups: state.rollups.as_ref(),
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

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    /// The last this many minutes up to now: `15m`, `1h`, `24h` (1 minute to 24 hours).
    #[param(value_type = Option<String>, default = "1h", pattern = "^[0-9]+[mhd]$", example = "15m")]
    window: Option<String>,
    /// The dimension to break the reports down by (`asn`: the reporters' networks).
    #[param(value_type = Option<BreakdownBy>, inline, default = "symptom")]
    by: Option<String>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// Shares of a service's recent reports along one dimension.
#[derive(Serialize, ToSchema)]
pub struct BreakdownResponse {
    /// The service's slug.
    service: String,
    /// `symptom`, `country`, `subdivision` or `asn`.
    by: String,
    window_minutes: i64,
    /// Start of the window's first minute.
    from: Option<DateTime<Utc>>,
    /// End of the window (the current minute included).
    to: Option<DateTime<Utc>>,
    /// Counted reports in the window.
    reports: i64,
    /// One row per key, most reports first. A report may name several symptoms, and not
    /// every report is located, so the rows need not add up to `reports`.
    breakdown: Vec<Share>,
}

/// What a service's recent reports are about and where they come from
///
/// Counted **reports** in the last `window` by symptom, country, subdivision (ISO 3166-2)
/// or network (ASN), with each key's share. `?format=csv` or `Accept: text/csv` gives CSV
/// (`key,reports,share`).
#[utoipa::path(
    get,
    path = "/api/v1/services/{slug}/breakdown",
    tag = "series",
    params(
        ("slug" = String, Path, description = "The service's slug, e.g. `netflix`."),
        BreakdownQuery,
    ),
    responses(
        (status = 200, description = "The breakdown (JSON, or CSV with a header row).",
            content(
                (BreakdownResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_breakdown(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: BreakdownQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let service = service_of(&state, &slug)?;
    let window = parse_minutes("window", q.window.as_deref().unwrap_or("1h"), 1, 24 * 60)?;
    let by = q.by.as_deref().unwrap_or("symptom");
    let prefix = prefix_of(by)
        .ok_or_else(|| ApiError::invalid("by", "must be symptom, country, subdivision or asn"))?;
    let minutes = window_minutes(Utc::now(), window);
    let fields = counters(
        state.buckets.as_ref(),
        &state.settled,
        Some(&service.slug),
        &minutes,
    )
    .await?;
    let rows = breakdown::breakdown(&fields, prefix);
    match format {
        Format::Csv => csv_or_header(
            &rows,
            &["key", "reports", "share"],
            &format!("{}-{by}", service.slug),
        ),
        Format::Json => Ok(HttpResponse::Ok().json(BreakdownResponse {
            service: service.slug.clone(),
            by: by.to_owned(),
            window_minutes: window,
            from: minutes.first().copied(),
            to: minutes.last().map(|m| *m + TimeDelta::minutes(1)),
            reports: fields.get("total").copied().unwrap_or(0),
            breakdown: rows,
        })),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// The last this many minutes up to now: `15m`, `1h`, `24h` (5 minutes to 24 hours).
    #[param(value_type = Option<String>, default = "1h", pattern = "^[0-9]+[mhd]$", example = "15m")]
    window: Option<String>,
    /// Only this service's reports (a slug); every service's when absent.
    service: Option<String>,
    /// `csv` for the countries as CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// Where recent reports come from.
#[derive(Serialize, ToSchema)]
pub struct MapResponse {
    /// The service asked for; null for every service.
    service: Option<String>,
    window_minutes: i64,
    /// When the map was computed.
    as_of: DateTime<Utc>,
    /// Reports per country against the typical level, most reports first.
    countries: Vec<CountryLoad>,
    /// Reports per subdivision (ISO 3166-2), with shares.
    subdivisions: Vec<Share>,
    /// Located reports, clustered on a 0.1° grid.
    clusters: Vec<Cluster>,
}

/// The outage map: where recent reports come from
///
/// Counted **reports** in the last `window` per country (against the typical level there at
/// this time, so the map is not a population map), per subdivision, and in clusters of
/// located reports, for one service or all. `?format=csv` or `Accept: text/csv` gives the
/// countries as CSV (`country,reports,expected,ratio`).
#[utoipa::path(
    get,
    path = "/api/v1/map",
    tag = "series",
    params(MapQuery),
    responses(
        (status = 200, description = "The map (JSON), or its countries (CSV with a header row).",
            content(
                (MapResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_map(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: MapQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let window = parse_minutes("window", q.window.as_deref().unwrap_or("1h"), 5, 24 * 60)?;
    let service = match &q.service {
        Some(s) => Some(
            state
                .catalog
                .get(s)
                .ok_or_else(|| ApiError::invalid("service", format!("unknown service {s:?}")))?,
        ),
        None => None,
    };
    let slug = service.as_ref().map(|s| s.slug.as_str());
    let now = Utc::now();
    let map = breakdown::map(
        state.buckets.as_ref(),
        &state.settled,
        &state.rollups,
        &state.typical,
        slug,
        now,
        window,
    )
    .await?;
    match format {
        Format::Csv => csv_or_header(
            &map.countries,
            &["country", "reports", "expected", "ratio"],
            "map-countries",
        ),
        Format::Json => Ok(HttpResponse::Ok().json(MapResponse {
            service: slug.map(str::to_owned),
            window_minutes: window,
            as_of: now,
            countries: map.countries,
            subdivisions: map.subdivisions,
            clusters: map.clusters,
        })),
    }
}
