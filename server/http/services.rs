//! `/api/v1/services`: the catalog, searchable; admins create and update services.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use utoipa::{IntoParams, ToSchema};

use super::body::{parse_query, read_json};
use super::problem::{ApiError, Problem};
use super::responses::{AdminErrors, JsonBodyErrors, StoreUnavailable};
use crate::app::AppState;
use crate::catalog::countries::is_country;
use crate::catalog::symptoms::{category_symptoms, is_symptom, CATEGORIES};
use crate::catalog::{Service, ServiceSlug, StatusSource};

/// Most services one list answer holds.
const MAX_LIMIT: usize = 500;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Search: part of a service's name, slug or an alias, any case (at most 100 characters).
    q: Option<String>,
    /// Only services of this category.
    #[param(schema_with = super::params::category_schema)]
    category: Option<String>,
    /// Most services to return, 1 to 500.
    #[param(default = 100, minimum = 1, maximum = 500)]
    limit: Option<usize>,
}

/// Services of the catalog that match a search.
#[derive(Serialize, ToSchema)]
pub struct ServiceListResponse<'a> {
    /// How many services match, before `limit`.
    total: usize,
    #[schema(value_type = Vec<Service>)]
    services: Vec<&'a Service>,
}

/// Search the catalog of services
///
/// Services whose name, slug or alias contains `q`, optionally of one category, in catalog
/// order.
#[utoipa::path(
    get,
    path = "/api/v1/services",
    tag = "services",
    params(ListQuery),
    responses(
        (status = 200, description = "The matching services.", body = ServiceListResponse),
        (status = 400, description = "A parameter is invalid; `field` names it.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn list_services(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query: ListQuery = parse_query(req.query_string())?;
    let q = query
        .q
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_lowercase();
    if q.chars().count() > 100 {
        return Err(ApiError::invalid("q", "at most 100 characters"));
    }
    if let Some(c) = &query.category {
        if category_symptoms(c).is_none() {
            let known: Vec<&str> = CATEGORIES.iter().map(|(c, _, _)| *c).collect();
            return Err(ApiError::invalid(
                "category",
                format!("unknown category; one of {}", known.join(", ")),
            ));
        }
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be 1 to {MAX_LIMIT}"),
        ));
    }
    let all = state.catalog.all();
    let matching: Vec<&Service> = all
        .iter()
        .map(|s| s.as_ref())
        .filter(|s| query.category.as_ref().is_none_or(|c| &s.category == c))
        .filter(|s| q.is_empty() || s.matches(&q))
        .collect();
    let total = matching.len();
    let services = matching.into_iter().take(limit).collect();
    Ok(HttpResponse::Ok().json(ServiceListResponse { total, services }))
}

/// One service, with the symptoms a report may name
#[utoipa::path(
    get,
    path = "/api/v1/services/{slug}",
    tag = "services",
    params(("slug" = String, Path, description = "The service's slug, e.g. `netflix`.")),
    responses(
        (status = 200, description = "The service.", body = Service),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
    )
)]
pub async fn get_service(
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let service = state.catalog.get(&slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {:?}", slug.as_str()),
    })?;
    Ok(HttpResponse::Ok().json(service.as_ref()))
}

/// The body of a create or update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "slug": "netflix",
    "name": "Netflix",
    "category": "streaming",
    "aliases": ["nflx"],
    "url": "https://www.netflix.com/",
    "symptoms": ["login", "video-streaming"],
    "depends_on": ["aws"],
    "official_status": {"kind": "statuspage", "url": "https://status.example.com/api/v2/summary.json"}
}))]
struct ServiceBody {
    /// Lowercase letters, digits and dashes, 2 to 48 characters. Required to create; on
    /// update it may be given but must equal the path's.
    slug: Option<String>,
    /// The display name, 1 to 80 characters.
    name: String,
    /// One of the catalog's categories.
    #[schema(schema_with = super::params::category_schema)]
    category: String,
    /// Other names people search by: at most 20, each 1 to 60 characters.
    #[serde(default)]
    aliases: Vec<String>,
    /// An http(s) URL of at most 300 characters.
    url: Option<String>,
    /// ISO 3166-1 alpha-2 country the service mainly serves, for national services.
    country: Option<String>,
    /// 1 to 16 known symptom codes; the category's when absent.
    symptoms: Option<Vec<String>>,
    /// The providers it depends on (CDN, cloud, identity, payments…): at most 20 slugs of
    /// other services of the catalog, used to name the likely cause of outage events.
    #[serde(default)]
    depends_on: Vec<String>,
    /// The official status source polled beside the crowd (`docs/status-pages.md`); none when
    /// absent or null.
    official_status: Option<StatusBody>,
}

/// An official status source as sent: checked into a [`StatusSource`].
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    /// `statuspage` (Atlassian Statuspage, incident.io), `instatus`, `feed` (RSS/Atom) or
    /// `gcp` (Google Cloud's incidents.json).
    #[schema(example = "statuspage")]
    kind: String,
    /// An https URL of at most 300 characters: for `statuspage`, the `summary.json` one.
    url: String,
}

/// Add a service to the catalog (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token.
#[utoipa::path(
    post,
    path = "/api/v1/services",
    tag = "services",
    request_body(content = ServiceBody, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Created; `Location` is the new service's URL.",
            headers(("Location" = String, description = "The new service's URL.")),
            body = Service),
        (status = 400, description = "The body is invalid; `field` names the culprit.",
            body = Problem, content_type = "application/problem+json"),
        AdminErrors,
        (status = 409, description = "A service with this slug already exists.", body = Problem,
            content_type = "application/problem+json"),
        JsonBodyErrors,
        StoreUnavailable,
    )
)]
pub async fn create_service(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let body: ServiceBody = read_json(&req, payload).await?;
    let slug = body
        .slug
        .clone()
        .ok_or_else(|| ApiError::invalid("slug", "missing field `slug`"))?;
    let service = to_service(slug, body, &|s| state.catalog.get(s).is_some())?;
    state
        .stores
        .catalog
        .create_service(&service)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict => {
                ApiError::Conflict(format!("service {:?} already exists", service.slug))
            }
            other => other.into(),
        })?;
    state.refresh_catalog().await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/services/{}", service.slug),
        ))
        .json(&service))
}

/// Replace a service (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. The slug cannot change.
#[utoipa::path(
    put,
    path = "/api/v1/services/{slug}",
    tag = "services",
    params(("slug" = String, Path, description = "The service's slug.")),
    request_body(content = ServiceBody, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The service as now stored.", body = Service),
        (status = 400, description = "The body is invalid; `field` names the culprit.",
            body = Problem, content_type = "application/problem+json"),
        AdminErrors,
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        JsonBodyErrors,
        StoreUnavailable,
    )
)]
pub async fn update_service(
    req: HttpRequest,
    slug: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let body: ServiceBody = read_json(&req, payload).await?;
    if body.slug.as_ref().is_some_and(|s| s != slug.as_str()) {
        return Err(ApiError::invalid("slug", "a slug cannot be changed"));
    }
    let service = to_service(slug.into_inner(), body, &|s| state.catalog.get(s).is_some())?;
    if !state.stores.catalog.update_service(&service).await? {
        return Err(ApiError::NotFound {
            what: format!("service {:?}", service.slug),
        });
    }
    state.refresh_catalog().await?;
    Ok(HttpResponse::Ok().json(&service))
}

/// Checks a service body; `exists` says whether a slug is in the catalog (for `depends_on`).
fn to_service(
    slug: String,
    body: ServiceBody,
    exists: &dyn Fn(&str) -> bool,
) -> Result<Service, ApiError> {
    ServiceSlug::parse(&slug).map_err(|r| ApiError::invalid("slug", format!("slug {r}")))?;
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(ApiError::invalid("name", "must be 1 to 80 characters"));
    }
    let defaults = category_symptoms(&body.category)
        .ok_or_else(|| ApiError::invalid("category", "unknown category"))?;
    if body.aliases.len() > 20
        || body
            .aliases
            .iter()
            .any(|a| a.trim().is_empty() || a.chars().count() > 60)
    {
        return Err(ApiError::invalid(
            "aliases",
            "at most 20 aliases of 1 to 60 characters",
        ));
    }
    if let Some(url) = &body.url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 300 {
            return Err(ApiError::invalid(
                "url",
                "must be an http(s) URL of at most 300 characters",
            ));
        }
    }
    let country = body.country.map(|c| c.to_ascii_uppercase());
    if let Some(c) = &country {
        if !is_country(c) {
            return Err(ApiError::invalid(
                "country",
                "must be an ISO 3166-1 alpha-2 code",
            ));
        }
    }
    let symptoms = match body.symptoms {
        Some(list) => {
            if list.is_empty() || list.len() > 16 {
                return Err(ApiError::invalid("symptoms", "name 1 to 16 symptoms"));
            }
            if let Some(bad) = list.iter().find(|s| !is_symptom(s)) {
                return Err(ApiError::invalid(
                    "symptoms",
                    format!("{bad:?} is not a known symptom"),
                ));
            }
            list
        }
        None => defaults.iter().map(|s| (*s).to_owned()).collect(),
    };
    let depends_on = check_providers(&slug, body.depends_on, exists)?;
    let official_status = match body.official_status {
        Some(s) => Some(StatusSource::parse(&s.kind, &s.url).map_err(|e| {
            ApiError::invalid(format!("official_status.{}", e.field()), e.to_string())
        })?),
        None => None,
    };
    Ok(Service {
        official_status,
        slug,
        name,
        category: body.category,
        aliases: body
            .aliases
            .iter()
            .map(|a| a.trim().to_lowercase())
            .collect(),
        url: body.url,
        country,
        symptoms,
        depends_on,
    })
}

/// At most 20 providers, each another service of the catalog, each once; sorted.
fn check_providers(
    slug: &str,
    mut providers: Vec<String>,
    exists: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, ApiError> {
    let invalid = |reason: String| ApiError::invalid("depends_on", reason);
    if providers.len() > 20 {
        return Err(invalid("name at most 20 providers".into()));
    }
    for p in &providers {
        if p == slug {
            return Err(invalid("a service cannot depend on itself".into()));
        }
        if !exists(p) {
            return Err(invalid(format!("{p:?} is not a service of the catalog")));
        }
    }
    providers.sort();
    let before = providers.len();
    providers.dedup();
    if providers.len() != before {
        return Err(invalid("a provider is named twice".into()));
    }
    Ok(providers)
}

/// Checks the bearer token against the configured admin token in constant time.
pub(super) fn require_admin(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(expected) = &state.config.admin_token else {
        return Err(ApiError::Forbidden(
            "the admin API is disabled: set DOWNWATCH_ADMIN_TOKEN".into(),
        ));
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthorized)?;
    if bool::from(given.as_bytes().ct_eq(expected.expose().as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}
