//! `POST /api/v1/reports` (JSON) and `POST /report` (HTML form).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::body::{parse_json, read_text, require_content_type, MAX_BODY};
use super::client::client_of;
use super::problem::ApiError;
use super::AppState;
use crate::ingest::validate::ReportInput;
use crate::ingest::Ack;

/// The JSON body of a report.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    service: String,
    symptoms: Vec<String>,
    #[serde(default)]
    region: Option<String>,
}

/// `POST /api/v1/reports`: 202 with the acknowledgement once the report is committed.
pub async fn create_report(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, "application/json")?;
    let text = read_text(&req, payload, MAX_BODY).await?;
    let body: ReportBody = parse_json(&text)?;
    let ack = submit(
        &req,
        &state,
        ReportInput {
            service: body.service,
            symptoms: body.symptoms,
            region: body.region,
        },
    )
    .await?;
    Ok(HttpResponse::Accepted().json(ack))
}

/// `POST /report`: the same from an HTML form (`symptoms` repeated), answered with a
/// redirect back to the service page.
pub async fn create_report_form(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_content_type(&req, "application/x-www-form-urlencoded")?;
    let text = read_text(&req, payload, MAX_BODY).await?;
    let mut input = ReportInput::default();
    for (key, value) in form_urlencoded::parse(text.as_bytes()) {
        match key.as_ref() {
            "service" => input.service = value.into_owned(),
            "symptoms" | "symptom" => input.symptoms.push(value.into_owned()),
            "region" => input.region = Some(value.into_owned()),
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
    let ack = submit(&req, &state, input).await?;
    let outcome = if ack.counted { "thanks" } else { "already" };
    Ok(HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/s/{}?reported={outcome}", ack.service),
        ))
        .finish())
}

async fn submit(req: &HttpRequest, state: &AppState, input: ReportInput) -> Result<Ack, ApiError> {
    let client = client_of(req, &state.config.trusted_proxies)
        .ok_or_else(|| ApiError::Internal("request without a peer address".into()))?;
    Ok(state.ingest.submit(input, client).await?)
}
