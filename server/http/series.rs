//! `GET /api/v1/services/{slug}/series`, `…/breakdown` and `GET /api/v1/map`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::params::{parse_minutes, parse_scope, parse_time};
use super::problem::ApiError;
use super::AppState;
use crate::catalog::Service;
use crate::read::breakdown::{self, counters, prefix_of, window_minutes};
use crate::read::series::{series, SeriesError, SeriesRequest};

fn service_of(state: &AppState, slug: &str) -> Result<std::sync::Arc<Service>, ApiError> {
    state.catalog.get(slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {slug:?}"),
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesQuery {
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
    country: Option<String>,
    format: Option<String>,
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

/// `GET /api/v1/services/{slug}/series?from&to&step=1m|5m|15m|1h&country=`
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
            .map(|c| parse_scope("country", c))
            .transpose()?,
        from,
        to,
        step_minutes,
    };
    let points = series(
        &request,
        now,
        state.buckets.as_ref(),
        state.rollups.as_ref(),
        &state.config.detect,
    )
    .await
    .map_err(|e| match e {
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
        Format::Json => Ok(HttpResponse::Ok().json(json!({
            "service": service.slug,
            "country": request.country,
            "step": q.step.as_deref().unwrap_or("5m"),
            "from": points.first().map(|p| p.t),
            "to": points.last().map(|p| p.t + TimeDelta::minutes(step_minutes)),
            "points": points,
        }))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakdownQuery {
    window: Option<String>,
    by: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/services/{slug}/breakdown?window=1h&by=symptom|country|subdivision|asn`
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
    let fields = counters(state.buckets.as_ref(), Some(&service.slug), &minutes).await?;
    let rows = breakdown::breakdown(&fields, prefix);
    match format {
        Format::Csv => csv_or_header(
            &rows,
            &["key", "reports", "share"],
            &format!("{}-{by}", service.slug),
        ),
        Format::Json => Ok(HttpResponse::Ok().json(json!({
            "service": service.slug,
            "by": by,
            "window_minutes": window,
            "from": minutes.first(),
            "to": minutes.last().map(|m| *m + TimeDelta::minutes(1)),
            "reports": fields.get("total").copied().unwrap_or(0),
            "breakdown": rows,
        }))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapQuery {
    window: Option<String>,
    service: Option<String>,
    format: Option<String>,
}

/// `GET /api/v1/map?window=1h&service=`
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
        state.rollups.as_ref(),
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
        Format::Json => Ok(HttpResponse::Ok().json(json!({
            "service": slug,
            "window_minutes": window,
            "as_of": now,
            "countries": map.countries,
            "subdivisions": map.subdivisions,
            "clusters": map.clusters,
        }))),
    }
}
