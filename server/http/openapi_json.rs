//! `GET /api/v1/openapi.json`: the document [`crate::openapi`] builds, as `startup` handed it
//! over in [`AppState::openapi`].

use actix_web::{web, HttpResponse};

use crate::app::AppState;

/// This API's OpenAPI 3.1 description
///
/// The machine-readable description of every endpoint, its parameters and its answers,
/// generated from the code; `GET /api` shows it as a page.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 document.",
        body = Object, content_type = "application/json"))
)]
pub async fn get_openapi(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi)
}
