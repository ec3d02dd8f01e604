//! `POST /api/v1/reports` (JSON) and `POST /report` (HTML form).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::body::{read_json, read_text, require_content_type, MAX_BODY};
use super::client::client_of;
use super::problem::{ApiError, Problem};
use super::responses::JsonBodyErrors;
use crate::app::AppState;
use crate::domain::Platform;
use crate::ingest::validate::ReportInput;
use crate::ingest::Ack;

/// The JSON body of a report. (No `Debug`: `message` is raw text that must never be logged.)
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service": "netflix", "symptoms": ["login"], "region": "IT-25",
    "platform": "ios", "message": "Something went wrong"}))]
pub(super) struct ReportBody {
    /// The service's slug.
    pub(super) service: String,
    /// 1 to 3 of the service's symptom codes (see `GET /api/v1/services/{slug}`).
    pub(super) symptoms: Vec<String>,
    /// Optional country (`IT`) or ISO 3166-2 subdivision (`IT-25`) the reporter says they
    /// are in. The address's location wins; this fills in what it does not know.
    #[serde(default)]
    pub(super) region: Option<String>,
    /// Optional: where the reporter uses the service.
    #[serde(default)]
    #[schema(value_type = Option<Platform>)]
    pub(super) platform: Option<String>,
    /// Optional: what the screen said, at most 80 characters, no control characters. Only a
    /// normalised phrase is kept (lower case; numbers masked; addresses, e-mails, phone
    /// numbers, names and ids removed), and it is published only once enough different
    /// reporters sent the same phrase (`GET /api/v1/services/{slug}/phrases`). The text
    /// itself is never stored, logged or returned.
    #[serde(default)]
    #[schema(max_length = 80)]
    pub(super) message: Option<String>,
}

/// The HTML form of a report (`application/x-www-form-urlencoded`).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(example = json!({"service": "netflix", "symptoms": ["login", "app"]}))]
struct ReportForm {
    /// The service's slug.
    service: String,
    /// A symptom code; repeat the field for more (1 to 3).
    symptoms: Vec<String>,
    /// Optional country (`IT`) or ISO 3166-2 subdivision (`IT-25`).
    region: Option<String>,
    /// Optional: where the reporter uses the service.
    platform: Option<Platform>,
    /// Optional: what the screen said (at most 80 characters; see the JSON body).
    #[schema(max_length = 80)]
    message: Option<String>,
}

/// Report a problem with a service
///
/// Answers `202` once the report is durably recorded. `counted` is false when the same
/// reporter (a keyed pseudonym of address and user agent; no address is stored) already
/// reported this service within the dedupe window: such a report is kept but adds nothing to
/// the **report** counts. Too many reports from one address are refused with `429`.
#[utoipa::path(
    post,
    path = "/api/v1/reports",
    tag = "reports",
    request_body(content = ReportBody, content_type = "application/json"),
    responses(
        (status = 202, description = "Recorded.", body = Ack),
        (status = 400, description = "The report is invalid; `field` names the culprit.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        JsonBodyErrors,
        (status = 429, description = "Too many reports from this address; retry after \
            `Retry-After` seconds.", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "Storage or the ingest queue is unavailable; nothing was \
            recorded. Retry after `Retry-After` seconds.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
pub async fn create_report(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body: ReportBody = read_json(&req, payload).await?;
    let ack = submit(
        &req,
        &state,
        ReportInput {
            service: body.service,
            symptoms: body.symptoms,
            region: body.region,
            platform: body.platform,
            message: body.message,
        },
    )
    .await?;
    Ok(HttpResponse::Accepted().json(ack))
}

/// Report a problem from an HTML form
///
/// The same as `POST /api/v1/reports` for browsers without JavaScript: `symptoms` is
/// repeated, and the answer is a redirect back to the service's page.
#[utoipa::path(
    post,
    path = "/report",
    tag = "reports",
    request_body(content = ReportForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Recorded; `Location` is the service's page, with \
            `?reported=thanks` (counted) or `?reported=already` (a repeat). A browser (one \
            that accepts `text/html`) is also sent back with `?reported=limited`, \
            `?reported=invalid` or `?reported=message` (the message is refused) instead of a \
            429 or 400 for a known service.",
            headers(("Location" = String, description = "The service's page."))),
        (status = 400, description = "The report is invalid; `field` names the culprit.",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 4 KiB.", body = Problem,
            content_type = "application/problem+json"),
        (status = 415, description = "The body is not a URL-encoded form.", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many reports from this address.", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "Storage is unavailable; nothing was recorded.",
            body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
pub async fn create_report_form(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, "application/x-www-form-urlencoded")?;
    let input = parse_form(&read_text(&req, payload, MAX_BODY).await?)?;
    let service = state.catalog.get(&input.service).map(|s| s.slug.clone());
    let (service, outcome) = match submit(&req, &state, input).await {
        Ok(ack) => (ack.service, if ack.counted { "thanks" } else { "already" }),
        // A browser gets its page back with a friendly word; other clients get the problem.
        Err(ApiError::RateLimited { .. }) if wants_html(&req) && service.is_some() => {
            (service.unwrap_or_default(), "limited")
        }
        Err(ApiError::Invalid { field, .. }) if wants_html(&req) && service.is_some() => {
            let outcome = if field == "message" {
                "message"
            } else {
                "invalid"
            };
            (service.unwrap_or_default(), outcome)
        }
        Err(err) => return Err(err),
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/s/{service}?reported={outcome}")))
        .finish())
}

/// The fields of a URL-encoded report form; `symptoms` (or `symptom`) may repeat.
pub(super) fn parse_form(text: &str) -> Result<ReportInput, ApiError> {
    let mut input = ReportInput::default();
    for (key, value) in form_urlencoded::parse(text.as_bytes()) {
        match key.as_ref() {
            "service" => input.service = value.into_owned(),
            "symptoms" | "symptom" => input.symptoms.push(value.into_owned()),
            "region" => input.region = Some(value.into_owned()),
            "platform" => input.platform = Some(value.into_owned()),
            "message" => input.message = Some(value.into_owned()),
            // Other controls (a submit button, say) carry nothing we need.
            _ => {}
        }
    }
    if input.symptoms.len() > 16 {
        return Err(ApiError::invalid(
            "symptoms",
            "at most 3 symptoms per report",
        ));
    }
    Ok(input)
}

/// Whether the client is a browser navigating (it asks for HTML).
fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

async fn submit(req: &HttpRequest, state: &AppState, input: ReportInput) -> Result<Ack, ApiError> {
    let client = client_of(req, &state.config.trusted_proxies)
        .ok_or_else(|| ApiError::Internal("request without a peer address".into()))?;
    Ok(state.ingest.submit(input, client).await?)
}
