//! The HTTP edge: the JSON API's routes, request logging, and what every answer passes
//! (problem errors, caching, rate limits). Handlers are thin: parse, call the domain, map the
//! result. Their state is [`crate::app::AppState`]; the read limiter is app data of its own.

mod api_keys;
mod body;
mod breakdown;
mod caching;
pub use caching::cache_and_cors;
mod client;
mod events;
mod feeds;
mod format;
mod head;
pub use head::limit_headers;
mod health;
mod incidents;
mod map;
mod openapi;
mod params;
pub mod problem;
#[cfg(test)]
mod props;
mod ratelimit;
pub use ratelimit::{limit_reads, ReadLimiter};
mod reference;
mod reports;
mod responses;
mod schemas;
mod series;
mod services;
mod status;
mod webhooks;

use std::time::Instant;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpResponse};
use tracing::info;

use problem::ApiError;

/// Registers every route on an actix `App`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::PathConfig::default()
            .error_handler(|err, _| ApiError::invalid("path", err.to_string()).into()),
    )
    .route("/healthz", web::get().to(health::healthz))
    .route("/readyz", web::get().to(health::readyz))
    .route("/report", web::post().to(reports::create_report_form))
    .route("/feeds/incidents.atom", web::get().to(feeds::atom_all))
    .route(
        "/feeds/services/{slug}.atom",
        web::get().to(feeds::atom_service),
    )
    .route("/badge/{slug}.svg", web::get().to(feeds::badge))
    .route("/api", web::get().to(reference::get_reference))
    .service(
        web::scope("/api/v1")
            .route("/reports", web::post().to(reports::create_report))
            .route("/services", web::get().to(services::list_services))
            .route("/services", web::post().to(services::create_service))
            .route("/services/{slug}", web::get().to(services::get_service))
            .route("/services/{slug}", web::put().to(services::update_service))
            .route("/services/{slug}/status", web::get().to(status::get_status))
            .route("/services/{slug}/series", web::get().to(series::get_series))
            .route(
                "/services/{slug}/breakdown",
                web::get().to(breakdown::get_breakdown),
            )
            .route("/map", web::get().to(map::get_map))
            .route("/events", web::get().to(events::events))
            .route("/trending", web::get().to(status::trending))
            .route("/incidents", web::get().to(incidents::list_incidents))
            .route("/incidents/{id}", web::get().to(incidents::get_incident))
            .route("/openapi.json", web::get().to(openapi::get_openapi))
            .route("/admin/api-keys", web::post().to(api_keys::create_api_key))
            .route("/admin/api-keys", web::get().to(api_keys::list_api_keys))
            .route(
                "/admin/api-keys/{id}",
                web::delete().to(api_keys::revoke_api_key),
            )
            .route("/admin/webhooks", web::post().to(webhooks::create_webhook))
            .route("/admin/webhooks", web::get().to(webhooks::list_webhooks))
            .route(
                "/admin/webhooks/{id}",
                web::delete().to(webhooks::delete_webhook),
            )
            .route(
                "/admin/webhooks/{id}/deliveries",
                web::get().to(webhooks::list_deliveries),
            ),
    )
    .default_service(web::to(not_found));
}

async fn not_found(req: actix_web::HttpRequest) -> Result<HttpResponse, ApiError> {
    // A known path with the wrong method is a 405, not a 404.
    let known = [
        "/healthz",
        "/readyz",
        "/report",
        "/api/v1/reports",
        "/api/v1/services",
        "/api/v1/admin/api-keys",
        "/api/v1/admin/webhooks",
    ];
    if known.contains(&req.path())
        || req.path().starts_with("/api/v1/services/")
        || req.path().starts_with("/api/v1/admin/api-keys/")
        || is_webhook_path(req.path())
    {
        return Err(ApiError::MethodNotAllowed);
    }
    Err(ApiError::NotFound {
        what: format!("path {:?}", truncate(req.path(), 100)),
    })
}

/// `/api/v1/admin/webhooks/{id}` or `/api/v1/admin/webhooks/{id}/deliveries`.
fn is_webhook_path(path: &str) -> bool {
    path.strip_prefix("/api/v1/admin/webhooks/")
        .map(|rest| rest.strip_suffix("/deliveries").unwrap_or(rest))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Request logging: id, method, route, status and latency — never the client address.
pub fn log_requests<S, B>(
    req: actix_web::dev::ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<
        actix_web::dev::ServiceRequest,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >,
{
    let started = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let fut = srv.call(req);
    async move {
        let mut res = fut.await?;
        let status = res.status().as_u16();
        info!(
            request_id = %id,
            method = %method,
            route = %route,
            status,
            latency_us = started.elapsed().as_micros() as u64,
            "request"
        );
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static("x-request-id"), value);
        }
        Ok(res)
    }
}
