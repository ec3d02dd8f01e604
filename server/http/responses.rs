//! Answers many endpoints share, for their OpenAPI entries: `responses(AdminErrors, …)` in a
//! `#[utoipa::path]` stands for the tuples below, written once.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

/// A `Problem` answer (`application/problem+json`) with this description.
fn problem(description: &str) -> RefOr<Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

fn problems(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| ((*status).to_owned(), problem(description)))
        .collect()
}

/// 401 and 403 of the admin endpoints (`Authorization: Bearer <admin token>`).
pub struct AdminErrors;

impl IntoResponses for AdminErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            ("401", "No or a wrong bearer token."),
            ("403", "The admin API is disabled on this deployment."),
        ])
    }
}

/// 413 and 415 of the endpoints that read a JSON body (see `body::read_json`).
pub struct JsonBodyErrors;

impl IntoResponses for JsonBodyErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            ("413", "The body is larger than 4 KiB."),
            ("415", "The body is not `application/json`."),
        ])
    }
}

/// 503 when a store does not answer.
pub struct StoreUnavailable;

impl IntoResponses for StoreUnavailable {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[(
            "503",
            "A store is unavailable; retry after `Retry-After` seconds.",
        )])
    }
}
