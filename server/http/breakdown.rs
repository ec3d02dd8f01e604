//! `GET /api/v1/services/{slug}/breakdown`: shares of a service's recent reports by symptom,
//! country, subdivision, network or platform.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::params::parse_minutes;
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::{BreakdownBy, FormatParam};
use super::series::service_of;
use crate::app::AppState;
use crate::detect::evidence::Share;
use crate::read::breakdown::{self, prefix_of};
use crate::read::recent::{counters, window_minutes};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BreakdownQuery {
    /// The last this many minutes up to now: `15m`, `1h`, `24h` (1 minute to 24 hours).
    #[param(value_type = Option<String>, default = "1h", pattern = "^[0-9]+[mhd]$", example = "15m")]
    window: Option<String>,
    /// The dimension to break the reports down by (`asn`: the reporters' networks;
    /// `platform`: where they use the service, of the reports that said).
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
    /// `symptom`, `country`, `subdivision`, `asn` or `platform`.
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
/// Counted **reports** in the last `window` by symptom, country, subdivision (ISO 3166-2),
/// network (ASN) or platform (`web`, `ios`, …; of the reports that named one), with each
/// key's share. `?format=csv` or `Accept: text/csv` gives CSV
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
    let prefix = prefix_of(by).ok_or_else(|| {
        ApiError::invalid(
            "by",
            "must be symptom, country, subdivision, asn or platform",
        )
    })?;
    let minutes = window_minutes(Utc::now(), window);
    let fields = counters(
        state.stores.buckets.as_ref(),
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
