//! `GET /healthz` (the process answers) and `GET /readyz` (its stores answer too).

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let (postgres, redis) = tokio::join!(state.log.ping(), state.buckets.ping());
    let status = |r: &Result<(), crate::store::StoreError>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let backend = match state.config.backend {
        crate::config::Backend::Production { .. } => "postgres+redis",
        crate::config::Backend::Embedded => "embedded",
    };
    let body = json!({
        "backend": backend,
        "report_log": status(&postgres),
        "buckets": status(&redis),
    });
    if postgres.is_ok() && redis.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(body)
    }
}
