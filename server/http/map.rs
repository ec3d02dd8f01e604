//! `GET /api/v1/map`: where recent reports come from, per country against the typical level,
//! per subdivision and in clusters.

use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::cached::{serve, Sharing};
use super::format::{csv_or_header, Format};
use super::params::parse_minutes;
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::FormatParam;
use crate::app::read_cache::ReadKey;
use crate::app::AppState;
use crate::detect::evidence::Share;
use crate::read::breakdown::{self, Cluster, CountryLoad};

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
    let slug = service.as_ref().map(|s| s.slug.clone());
    // The same for every reader until the next tick or minute (windows are whole minutes).
    let key = ReadKey::new(
        "map",
        format!("{}|{window}|{format:?}", slug.as_deref().unwrap_or("")),
    );
    let built = async {
        build(&state, slug.as_deref(), window, format)
            .await
            .unwrap_or_else(|e| e.error_response())
    };
    Ok(serve(&req, &state.read_cache, key, Sharing::Public, built).await)
}

async fn build(
    state: &AppState,
    slug: Option<&str>,
    window: i64,
    format: Format,
) -> Result<HttpResponse, ApiError> {
    let now = Utc::now();
    let map = breakdown::map(
        state.stores.buckets.as_ref(),
        &state.settled,
        &state.stores.rollups,
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
