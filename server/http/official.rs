//! Official status next to the crowd: `GET /api/v1/services/{slug}/official` (what the
//! company's status page says now, and its 90-day record) and `…/official/incidents` (its
//! incidents with every post). Who knew first is [`super::lead_times`].

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::parse_query;
use super::format::{csv_or_header, Format};
use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::schemas::FormatParam;
use crate::app::AppState;
use crate::catalog::{Service, StatusSource};
use crate::corroborate::link::{source_record, SourceRecord, RECORD_DAYS};
use crate::corroborate::view::{official_view, OfficialState};
use crate::official::{Component, Impact, Indicator, OfficialUpdate, Stage};
use crate::store::{OfficialFilter, OfficialIncident};

/// Most official incidents one answer lists.
const MAX_ROWS: i64 = 500;

/// What a service's official status page says now.
#[derive(Serialize, ToSchema)]
pub struct OfficialResponse {
    /// The service's slug.
    service: String,
    /// The source polled; null when the service has none (then `state` is `no_source`).
    source: Option<StatusSource>,
    /// `unavailable` when the source fails or was not polled lately: never "all good" then.
    state: OfficialState,
    /// The page's own indicator at the last good poll.
    indicator: Option<Indicator>,
    /// The last poll.
    checked_at: Option<DateTime<Utc>>,
    /// The last good poll.
    ok_at: Option<DateTime<Utc>>,
    /// Since when the source has been unavailable.
    unavailable_since: Option<DateTime<Utc>>,
    /// Why the last poll failed.
    error: Option<String>,
    /// The page's components at the last good poll.
    components: Vec<Component>,
    /// Open official incidents, newest first.
    open_incidents: Vec<OfficialIncidentView>,
    /// The lead time of the newest open official incident, when a Downwatch incident links to
    /// it: minutes between Downwatch's "problems" onset and the official first post.
    lead_minutes: Option<i32>,
    /// The source's record over the last 90 days; null without a source.
    record: Option<SourceRecord>,
}

/// An official incident with the company's posts.
#[derive(Serialize, ToSchema)]
pub struct OfficialIncidentView {
    id: i64,
    service: String,
    title: String,
    impact: Impact,
    /// The stage of its latest post.
    stage: Stage,
    /// The incident on the official page.
    url: Option<String>,
    components: Vec<String>,
    started_at: DateTime<Utc>,
    /// The company's first post (usually "Investigating").
    first_posted_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    /// Oldest first.
    updates: Vec<OfficialUpdate>,
}

impl From<OfficialIncident> for OfficialIncidentView {
    fn from(i: OfficialIncident) -> Self {
        Self {
            id: i.id,
            service: i.service,
            title: i.title,
            impact: i.impact,
            stage: i.stage,
            url: i.url,
            components: i.components,
            started_at: i.started_at,
            first_posted_at: i.first_posted_at,
            resolved_at: i.resolved_at,
            updates: i.updates,
        }
    }
}

/// What the company's status page says about a service
///
/// The official status source of the service (catalog), what its page said at the last poll
/// (state, components, open incidents) and whether the source is unavailable, with the
/// source's 90-day record: how many of the incidents the crowd saw it acknowledged, and the
/// median lead time (minutes from Downwatch's "problems" onset to the official first post;
/// positive when the crowd was first).
#[utoipa::path(
    get,
    path = "/api/v1/services/{slug}/official",
    tag = "official",
    params(("slug" = String, Path, description = "The service's slug, e.g. `github`.")),
    responses(
        (status = 200, description = "The official status.", body = OfficialResponse),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn get_official(
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let service = known(&state, &slug)?;
    let now = Utc::now();
    let Some(source) = &service.official_status else {
        return Ok(HttpResponse::Ok().json(OfficialResponse {
            service: service.slug.clone(),
            source: None,
            state: OfficialState::NoSource,
            indicator: None,
            checked_at: None,
            ok_at: None,
            unavailable_since: None,
            error: None,
            components: Vec::new(),
            open_incidents: Vec::new(),
            lead_minutes: None,
            record: None,
        }));
    };
    let official = state.stores.official.as_ref();
    let view = official_view(official, &service.slug, source, now).await?;
    let record = source_record(
        state.stores.incidents.as_ref(),
        official,
        &service.slug,
        now,
    )
    .await?;
    Ok(HttpResponse::Ok().json(OfficialResponse {
        service: service.slug.clone(),
        source: Some(view.source),
        state: view.state,
        indicator: view.indicator,
        checked_at: view.checked_at,
        ok_at: view.ok_at,
        unavailable_since: view.unavailable_since,
        error: view.error,
        components: view.components,
        open_incidents: view.open.into_iter().map(Into::into).collect(),
        lead_minutes: view.lead.map(|l| l.lead_minutes),
        record: Some(record),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// How many days back, 1 to 90.
    #[param(default = 90, minimum = 1, maximum = 90)]
    days: Option<i64>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    format: Option<String>,
}

/// A service's official incidents.
#[derive(Serialize, ToSchema)]
pub struct OfficialIncidentList {
    incidents: Vec<OfficialIncidentView>,
}

/// The flat CSV row of an official incident.
#[derive(Serialize)]
struct OfficialCsv {
    id: i64,
    service: String,
    title: String,
    impact: Impact,
    stage: Stage,
    started_at: String,
    first_posted_at: String,
    resolved_at: String,
    components: String,
    posts: usize,
    url: String,
}

const OFFICIAL_HEADER: &[&str] = &[
    "id",
    "service",
    "title",
    "impact",
    "stage",
    "started_at",
    "first_posted_at",
    "resolved_at",
    "components",
    "posts",
    "url",
];

/// A service's official incidents
///
/// The incidents the service's official status page posted in the last `days` (at most 90),
/// newest first post first, each with every post Downwatch saw (stage, time, text).
/// `?format=csv` gives one row per incident (without the posts' text).
#[utoipa::path(
    get,
    path = "/api/v1/services/{slug}/official/incidents",
    tag = "official",
    params(("slug" = String, Path, description = "The service's slug."), DaysQuery),
    responses(
        (status = 200, description = "Official incidents (JSON, or CSV with a header row).",
            content(
                (OfficialIncidentList = "application/json"),
                (String = "text/csv"),
            )),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn list_official_incidents(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let service = known(&state, &slug)?;
    let q: DaysQuery = parse_query(req.query_string())?;
    let format = Format::of(&req, q.format.as_deref())?;
    let since = Utc::now() - TimeDelta::days(days(q.days)?);
    let incidents = state
        .stores
        .official
        .list_official(&OfficialFilter {
            service: Some(service.slug.clone()),
            since: Some(since),
            limit: MAX_ROWS,
        })
        .await?;
    match format {
        Format::Csv => {
            let rows: Vec<OfficialCsv> = incidents
                .into_iter()
                .map(|i| OfficialCsv {
                    posts: i.updates.len(),
                    components: i.components.join("; "),
                    started_at: i.started_at.to_rfc3339(),
                    first_posted_at: i.first_posted_at.to_rfc3339(),
                    resolved_at: i.resolved_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    url: i.url.unwrap_or_default(),
                    id: i.id,
                    service: i.service,
                    title: i.title,
                    impact: i.impact,
                    stage: i.stage,
                })
                .collect();
            csv_or_header(&rows, OFFICIAL_HEADER, "official-incidents")
        }
        Format::Json => Ok(HttpResponse::Ok().json(OfficialIncidentList {
            incidents: incidents.into_iter().map(Into::into).collect(),
        })),
    }
}

pub(super) fn known(state: &AppState, slug: &str) -> Result<std::sync::Arc<Service>, ApiError> {
    state.catalog.get(slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {slug:?}"),
    })
}

pub(super) fn days(given: Option<i64>) -> Result<i64, ApiError> {
    let days = given.unwrap_or(RECORD_DAYS);
    if !(1..=RECORD_DAYS).contains(&days) {
        return Err(ApiError::invalid(
            "days",
            format!("must be 1 to {RECORD_DAYS}"),
        ));
    }
    Ok(days)
}
