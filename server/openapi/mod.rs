//! The OpenAPI 3.1 description of the HTTP API, derived from the handlers' `#[utoipa::path]`
//! annotations and the response types: those of [`crate::http`] (the JSON API) and of
//! [`crate::web`] (feeds, badges, the `/api` page). It sits above both: `startup` hands the
//! document to them as [`crate::app::AppState::openapi`], which `http` serves at
//! `GET /api/v1/openapi.json` and `web` renders at `GET /api`. What the middleware adds to
//! every answer (ETags, `Cache-Control`, CORS, the opaque 500) is written in here once, by
//! [`Caching`] and [`ServerErrors`], from the same rules it follows.

use std::sync::OnceLock;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, HttpMethod, ObjectBuilder, RefOr, Response, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use crate::detect::METHODOLOGY_VERSION;
use crate::http::caching::{is_public_read, max_age};
use crate::http::problem::Problem;
use crate::store::LiveEvent;

/// The API description: every route of [`crate::http::routes`] and the feeds, badges and
/// reference of [`crate::web::routes`] are listed in `paths` (a test checks).
#[derive(OpenApi)]
#[openapi(
    info(title = "Downwatch API"),
    paths(
        crate::http::reports::create_report,
        crate::http::reports::create_report_form,
        crate::http::services::list_services,
        crate::http::services::get_service,
        crate::http::services::create_service,
        crate::http::services::update_service,
        crate::http::status::get_status,
        crate::http::status::trending,
        crate::http::incidents::list_incidents,
        crate::http::incidents::get_incident,
        crate::http::outages::list_outages,
        crate::http::outages::get_outage,
        crate::http::series::get_series,
        crate::http::breakdown::get_breakdown,
        crate::http::phrases::get_phrases,
        crate::http::map::get_map,
        crate::http::official::get_official,
        crate::http::official::list_official_incidents,
        crate::http::lead_times::list_lead_times,
        crate::http::events::events,
        crate::web::feeds::atom_all,
        crate::web::outage_feed::atom_outages,
        crate::web::feeds::atom_service,
        crate::web::badge::badge,
        crate::http::health::healthz,
        crate::http::health::readyz,
        crate::http::openapi_json::get_openapi,
        crate::web::reference::get_reference,
        crate::http::api_keys::create_api_key,
        crate::http::api_keys::list_api_keys,
        crate::http::api_keys::revoke_api_key,
        crate::http::webhooks::create_webhook,
        crate::http::webhooks::list_webhooks,
        crate::http::webhooks::delete_webhook,
        crate::http::webhooks::list_deliveries,
    ),
    components(schemas(Problem, LiveEvent)),
    modifiers(&Overview, &AdminToken, &ApiKeys, &Caching, &ReadLimits, &ServerErrors),
    tags(
        (name = "reports", description = "Sending reports of a problem with a service."),
        (name = "services", description = "The catalog of services people can report."),
        (name = "status", description = "What the detector says now."),
        (name = "incidents", description = "Incidents Downwatch declared, with their evidence."),
        (name = "outages", description = "Outage events: incidents of several services that \
            began together beyond chance, with their likely causes."),
        (name = "series", description = "Reports over time, by symptom and place, and the map."),
        (name = "events", description = "Live updates."),
        (name = "official", description = "What services' own status pages say, beside the \
            crowd, and who knew first (docs/status-pages.md)."),
        (name = "feeds", description = "Atom feeds and embeddable badges."),
        (name = "health", description = "Liveness and readiness probes."),
        (name = "meta", description = "This description of the API."),
        (name = "api-keys", description = "Keys that raise a client's read rate limit (admin)."),
        (name = "webhooks", description = "URLs that receive every incident event as a signed \
            POST, and their delivery logs (admin)."),
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(ApiDoc::openapi)
}

/// The document as JSON, built once.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| serde_json::to_string(document()).unwrap_or_else(|_| "{}".into()))
}

/// What a reader must know before any endpoint: the overview of `info.description`.
struct Overview;

impl Modify for Overview {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        doc.info.description = Some(format!(
            "Downwatch is a crowdsourced outage detector: people report a problem with a \
service, and Downwatch counts the reports per service, symptom, place and network in minute \
buckets, compares them with the normal level for that time of day and week, and declares \
incidents.

**Reports, not users.** Every figure is a number of *reports*. A report is *counted* \
unless the same reporter already reported that service within the dedupe window; a \
*reporter* is a daily keyed pseudonym of an address and user agent (no address is stored), \
and `unique_reporters` is how many distinct pseudonyms sent the counted reports: exact for \
spans within the dedupe window (there it equals the counted reports), a HyperLogLog estimate \
(standard error 0.8 %) for longer spans of the last 25 hours, and the sum over 15-minute \
quarters beyond them. Neither is a number of people affected.

**Methodology.** Incidents and evidence name the version of the detection method that \
produced them; this server runs `{METHODOLOGY_VERSION}`. A new version may flag different \
incidents from the same reports. Scores (`score`, 0–1) are the confidence that the true rate \
is at least the \"problems\" ratio times normal; the surprise (`neg_log10_p`) is capped at \
12 and said in words (`surprise`), because no model of bursty report counts can back smaller \
p-values.

**Times** are UTC, written in ISO 8601 / RFC 3339 (`2026-11-27T14:05:00Z`). Time parameters \
also accept a date (its midnight UTC).

**CSV.** List-like reads (trending, incidents, an incident's timeline, series, breakdowns, \
the map's countries) answer CSV with a header row for `?format=csv` or `Accept: text/csv`.

**Errors** are RFC 9457 `application/problem+json` objects (`type`, `title`, `status`, \
`detail`, and `field` naming the parameter or body field at fault). `429` and `503` carry \
`Retry-After`.

**Caching.** Successful reads carry a weak `ETag` and `Cache-Control: public, max-age=N` \
(5 s for live status, up to 5 min for the catalog); send `If-None-Match` to get a bodiless \
`304` when nothing changed.

**Rate limits.** Reads (`GET` under `/api/`, `/feeds/` and `/badge/`) are limited per \
minute: per client address when anonymous (300 unless the deployment changed it), per key with \
an API key (6000 unless the key or the deployment says otherwise). Send the key as \
`Authorization: Bearer dw_…` or `X-Api-Key: dw_…`; a malformed, unknown or revoked key is \
refused with `401`. Every limited answer carries `RateLimit-Limit`, `RateLimit-Remaining` \
and `RateLimit-Reset` (seconds until the window ends); beyond the limit the answer is `429` \
with `Retry-After`. Reports have their own, separate limit.

**CORS.** Reads under `/api/`, `/feeds/` and `/badge/` are open to every origin \
(`Access-Control-Allow-Origin: *`), so pages elsewhere can embed charts and badges."
        ));
    }
}

/// The bearer token of the admin endpoints.
struct AdminToken;

impl Modify for AdminToken {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The deployment's `DOWNWATCH_ADMIN_TOKEN` (the admin API is off without one).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API keys of reads: a bearer token, or the `X-Api-Key` header.
struct ApiKeys;

impl Modify for ApiKeys {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("dw_…")
                    .description(Some(
                        "An API key (`dw_` and 32 characters) from the deployment's admin: raises \
the read rate limit. Optional: reads without one are limited per address.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key_header",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Api-Key",
                "The same API key, in a header of its own.",
            ))),
        );
    }
}

fn string_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
        .build()
}

fn problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "Problem",
            )))),
        )
        .build()
}

/// Documents `cache_and_cors`: ETag, Cache-Control and CORS on successful public reads,
/// `304` on a matching `If-None-Match`.
struct Caching;

impl Modify for Caching {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            if !is_public_read(path) {
                continue;
            }
            let Some(get) = item.get.as_mut() else {
                continue;
            };
            let Some(RefOr::T(ok)) = get.responses.responses.get_mut("200") else {
                continue;
            };
            // A stream is never complete, so it has no ETag.
            if ok.content.contains_key("text/event-stream") {
                ok.headers.insert(
                    "Access-Control-Allow-Origin".into(),
                    string_header("`*`: any origin may read it."),
                );
                continue;
            }
            ok.headers.insert(
                "ETag".into(),
                string_header("A weak validator of the body; send it back as `If-None-Match`."),
            );
            ok.headers.insert(
                "Cache-Control".into(),
                string_header(&format!("`public, max-age={}`", max_age(path))),
            );
            ok.headers.insert(
                "Access-Control-Allow-Origin".into(),
                string_header("`*`: any origin may read it."),
            );
            get.responses.responses.insert(
                "304".into(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(
                            "Not modified: `If-None-Match` named the current `ETag`; no body.",
                        )
                        .build(),
                ),
            );
        }
    }
}

fn integer_header(description: &str) -> utoipa::openapi::header::Header {
    HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some(description))
        .build()
}

/// Documents `limit_reads`: on every public read, the optional API key, the `RateLimit-*`
/// headers, the 401 of a bad key and the 429 beyond the limit.
struct ReadLimits;

impl Modify for ReadLimits {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let rate_headers = [
            (
                "RateLimit-Limit",
                "Requests allowed in the window (a minute).",
            ),
            ("RateLimit-Remaining", "Requests left in the window."),
            ("RateLimit-Reset", "Seconds until the window ends."),
        ];
        for (path, item) in doc.paths.paths.iter_mut() {
            if !is_public_read(path) {
                continue;
            }
            let Some(get) = item.get.as_mut() else {
                continue;
            };
            get.security = Some(vec![
                SecurityRequirement::default(),
                SecurityRequirement::new::<_, _, &str>("api_key", []),
                SecurityRequirement::new::<_, _, &str>("api_key_header", []),
            ]);
            if let Some(RefOr::T(ok)) = get.responses.responses.get_mut("200") {
                for (name, description) in rate_headers {
                    ok.headers.insert(name.into(), integer_header(description));
                }
            }
            let unauthorized = problem_response(
                "The API key (`Authorization: Bearer` or `X-Api-Key`) is malformed, unknown or \
revoked; `field` names the header. Such a request counts against its address: beyond the \
address's limit the answer is `429`.",
            );
            let mut too_many = problem_response(
                "Too many requests this minute from this address, or with this API key; retry \
after `Retry-After` seconds.",
            );
            too_many.headers.insert(
                "Retry-After".into(),
                integer_header("Seconds until the window ends."),
            );
            for (name, description) in rate_headers {
                too_many
                    .headers
                    .insert(name.into(), integer_header(description));
            }
            let responses = &mut get.responses.responses;
            responses
                .entry("401".into())
                .or_insert(RefOr::T(unauthorized));
            responses.insert("429".into(), RefOr::T(too_many));
        }
    }
}

/// Every operation that can answer a problem can also answer the opaque 500.
struct ServerErrors;

impl Modify for ServerErrors {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for item in doc.paths.paths.values_mut() {
            for method in [
                HttpMethod::Get,
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Delete,
            ] {
                let operation = match method {
                    HttpMethod::Get => item.get.as_mut(),
                    HttpMethod::Post => item.post.as_mut(),
                    HttpMethod::Put => item.put.as_mut(),
                    HttpMethod::Delete => item.delete.as_mut(),
                    _ => None,
                };
                let Some(operation) = operation else { continue };
                let answers_problems = operation.responses.responses.values().any(|r| {
                    matches!(r, RefOr::T(r) if r.content.contains_key("application/problem+json"))
                });
                if answers_problems {
                    operation
                        .responses
                        .responses
                        .entry("500".into())
                        .or_insert_with(|| {
                            RefOr::T(problem_response(
                                "Something went wrong on our side; the cause is logged, not shown.",
                            ))
                        });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
