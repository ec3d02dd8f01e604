//! `GET /api/v1/services/{slug}/phrases`: what reporters' screens said, as phrases at least
//! k distinct reporters sent (k-anonymous; rarer phrases are never answered).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::params::parse_minutes;
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::FormatParam;
use super::series::service_of;
use crate::app::AppState;
use crate::read::phrases::{minute_window, PhraseShare};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PhrasesQuery {
    /// The last this many minutes up to now: `15m`, `1h`, `24h` (1 minute to 24 hours).
    #[param(value_type = Option<String>, default = "1h", pattern = "^[0-9]+[mhd]$", example = "1h")]
    window: Option<String>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// The phrases of a service's recent reports that enough reporters sent.
#[derive(Serialize, ToSchema)]
pub struct PhrasesResponse {
    /// The service's slug.
    service: String,
    window_minutes: i64,
    /// Start of the window's first minute.
    from: Option<DateTime<Utc>>,
    /// End of the window (the current minute included).
    to: Option<DateTime<Utc>>,
    /// A phrase is listed only once at least this many distinct reporters sent it.
    min_reporters: u32,
    /// Distinct reporters who sent any message in the window.
    reporters: i64,
    /// Up to ten phrases, most reporters first.
    phrases: Vec<PhraseShare>,
}

/// What people's screens said
///
/// Reports may carry a short message ("what did the screen say?"). Only its normalised
/// phrase is kept (lower case; numbers and hex runs masked as `#`; addresses, e-mails,
/// phone numbers, names and ids removed), and a phrase is listed here only once at least
/// `min_reporters` distinct reporters (default 5, `DOWNWATCH_PHRASE_MIN_REPORTERS`) sent
/// it within the window: no single person's words are ever published. `share` is of the
/// reporters who sent any message. `?format=csv` or `Accept: text/csv` gives CSV
/// (`phrase,reporters,share`).
#[utoipa::path(
    get,
    path = "/api/v1/services/{slug}/phrases",
    tag = "series",
    params(
        ("slug" = String, Path, description = "The service's slug, e.g. `netflix`."),
        PhrasesQuery,
    ),
    responses(
        (status = 200, description = "The phrases (JSON, or CSV with a header row).",
            content(
                (PhrasesResponse = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_phrases(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q: PhrasesQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let service = service_of(&state, &slug)?;
    let window = parse_minutes("window", q.window.as_deref().unwrap_or("1h"), 1, 24 * 60)?;
    let (from, to) = minute_window(Utc::now(), window);
    let k = state.config.phrase_min_reporters;
    let found = state
        .phrases
        .said(state.stores.log.as_ref(), &service.slug, (from, to), k)
        .await?;
    match format {
        Format::Csv => csv_or_header(
            &found.phrases,
            &["phrase", "reporters", "share"],
            &format!("{}-phrases", service.slug),
        ),
        Format::Json => Ok(HttpResponse::Ok().json(PhrasesResponse {
            service: service.slug.clone(),
            window_minutes: window,
            from: Some(from),
            to: Some(to),
            min_reporters: k,
            reporters: found.reporters,
            phrases: found.phrases,
        })),
    }
}
