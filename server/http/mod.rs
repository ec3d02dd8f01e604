//! The HTTP edge: the JSON API's routes, request logging, and what every answer passes
//! (problem errors, caching, rate limits). Handlers are thin: parse, call the domain, map the
//! result. Their state is [`crate::app::AppState`]; the read limiter is app data of its own.
//! Nothing here uses [`crate::web`] (the pages, feeds and badges), which builds on this
//! module's problem responses (see [`crate::app`] for the whole graph).

// The handlers' modules are visible to the crate for the OpenAPI document
// (`crate::openapi`), which names each handler.
pub(crate) mod api_keys;
mod body;
pub(crate) mod breakdown;
pub mod cached;
pub(crate) mod caching;
pub use caching::cache_and_cors;
mod client;
pub(crate) mod events;
mod format;
mod head;
pub use head::limit_headers;
pub(crate) mod health;
pub(crate) mod incidents;
pub(crate) mod lead_times;
mod logging;
pub use logging::log_requests;
pub(crate) mod map;
pub(crate) mod official;
pub(crate) mod openapi_json;
pub(crate) mod outages;
mod params;
pub(crate) mod phrases;
pub mod problem;
#[cfg(test)]
mod props;
mod ratelimit;
pub use ratelimit::{limit_reads, ReadLimiter};
pub(crate) mod reports;
pub(crate) mod responses;
pub(crate) mod schemas;
pub(crate) mod series;
pub(crate) mod services;
pub(crate) mod status;
pub(crate) mod webhooks;

use actix_web::{web, HttpResponse};

use problem::ApiError;

/// Registers the routes on an actix `App`: one resource per path with the methods it serves.
/// This table is also the list of 405s: a resource answers a method it does not serve with
/// [`ApiError::MethodNotAllowed`], and a path that is not in it is a 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::invalid("path", err.to_string()).into()),
    )
    .service(resource("/healthz").get(health::healthz))
    .service(resource("/readyz").get(health::readyz))
    .service(resource("/report").post(reports::create_report_form))
    .service(
        web::scope("/api/v1")
            .service(resource("/reports").post(reports::create_report))
            .service(
                resource("/services")
                    .get(services::list_services)
                    .post(services::create_service),
            )
            .service(
                resource("/services/{slug}")
                    .get(services::get_service)
                    .put(services::update_service),
            )
            .service(resource("/services/{slug}/status").get(status::get_status))
            .service(resource("/services/{slug}/series").get(series::get_series))
            .service(resource("/services/{slug}/breakdown").get(breakdown::get_breakdown))
            .service(resource("/services/{slug}/phrases").get(phrases::get_phrases))
            .service(resource("/services/{slug}/official").get(official::get_official))
            .service(
                resource("/services/{slug}/official/incidents")
                    .get(official::list_official_incidents),
            )
            .service(resource("/official/lead-times").get(lead_times::list_lead_times))
            .service(resource("/map").get(map::get_map))
            .service(resource("/events").get(events::events))
            .service(resource("/trending").get(status::trending))
            .service(resource("/incidents").get(incidents::list_incidents))
            .service(resource("/incidents/{id}").get(incidents::get_incident))
            .service(resource("/outages").get(outages::list_outages))
            .service(resource("/outages/{id}").get(outages::get_outage))
            .service(resource("/openapi.json").get(openapi_json::get_openapi))
            .service(
                resource("/admin/api-keys")
                    .post(api_keys::create_api_key)
                    .get(api_keys::list_api_keys),
            )
            .service(resource("/admin/api-keys/{id}").delete(api_keys::revoke_api_key))
            .service(
                resource("/admin/webhooks")
                    .post(webhooks::create_webhook)
                    .get(webhooks::list_webhooks),
            )
            .service(resource("/admin/webhooks/{id}").delete(webhooks::delete_webhook))
            .service(resource("/admin/webhooks/{id}/deliveries").get(webhooks::list_deliveries)),
    )
    .default_service(web::to(not_found));
}

/// A path of the route table; any method not registered on it is a 405.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound {
        what: format!("path {:?}", truncate(req.path(), 100)),
    })
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
