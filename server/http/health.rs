//! `GET /healthz` (the process answers) and `GET /readyz` (its stores answer too).

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;

/// Whether each store answers: `ok`, or why not.
#[derive(Serialize, ToSchema)]
pub struct ReadyResponse {
    /// `postgres+redis` or `embedded`.
    backend: &'static str,
    /// The report log (Postgres, or the embedded store): `ok` or the error.
    report_log: String,
    /// The minute buckets (Redis, or the embedded store): `ok` or the error.
    buckets: String,
}

/// Liveness: the process answers
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    responses((status = 200, description = "`ok`.", body = String, content_type = "text/plain"))
)]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// Readiness: the stores answer too
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    responses(
        (status = 200, description = "Every store answers.", body = ReadyResponse),
        (status = 503, description = "A store does not answer (this is not a problem+json).",
            body = ReadyResponse,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (postgres, redis) = tokio::join!(state.stores.log.ping(), state.stores.buckets.ping());
    let status = |r: &Result<(), crate::store::StoreError>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let backend = match state.config.backend {
        crate::config::Backend::Production { .. } => "postgres+redis",
        crate::config::Backend::Embedded => "embedded",
    };
    let body = ReadyResponse {
        backend,
        report_log: status(&postgres),
        buckets: status(&redis),
    };
    if postgres.is_ok() && redis.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    }
}
