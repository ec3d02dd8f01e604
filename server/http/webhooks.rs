//! `/api/v1/admin/webhooks`: URLs that receive every incident event as a signed POST (see
//! [`crate::webhooks`]). An admin registers one per subscriber; its signing secret is shown
//! once, in the answer to its creation. Unlike an API key it is stored as is, since every
//! delivery is signed with it, but no answer shows it again.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::info;
use utoipa::{IntoParams, ToSchema};

use super::body::{parse_query, read_json};
use super::problem::{ApiError, Problem};
use super::responses::{AdminErrors, JsonBodyErrors, StoreUnavailable};
use super::services::require_admin;
use crate::app::AppState;
use crate::store::{DeliveryRecord, DeliveryStatus, IncidentEventKind, NewWebhook, WebhookRecord};
use crate::webhooks::signature::{check_url, generate_secret};

/// The longest description a webhook may have, in characters.
const MAX_DESCRIPTION_CHARS: usize = 200;
/// The most deliveries one page of the log shows.
const MAX_DELIVERIES: i64 = 500;

/// The body of a webhook's registration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://newsroom.example/hooks/downwatch",
    "description": "Newsroom X alerts desk"}))]
struct NewWebhookBody {
    /// Where to POST incident events: an `http` or `https` URL, at most 2000 characters,
    /// without user name or password.
    #[schema(max_length = 2000)]
    url: String,
    /// Who or what the webhook is for, at most 200 characters.
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// A new webhook: the only answer that ever shows its secret.
#[derive(Serialize, ToSchema)]
pub struct CreatedWebhookResponse {
    id: i64,
    url: String,
    description: Option<String>,
    /// The HMAC-SHA256 key of the `Downwatch-Signature` header: store it now, it is not shown
    /// again.
    #[schema(example = "whsec_3f9a0c1d2e4b5a6978f0e1d2c3b4a5968778695a4b3c2d1e")]
    secret: String,
    created_at: DateTime<Utc>,
}

/// A webhook as listed: never its secret.
#[derive(Serialize, ToSchema)]
pub struct WebhookResponse {
    id: i64,
    url: String,
    description: Option<String>,
    created_at: DateTime<Utc>,
    /// Whether the webhook was deleted: it then receives nothing.
    disabled: bool,
    disabled_at: Option<DateTime<Utc>>,
}

impl From<WebhookRecord> for WebhookResponse {
    fn from(r: WebhookRecord) -> Self {
        WebhookResponse {
            id: r.id,
            url: r.url,
            description: r.description,
            created_at: r.created_at,
            disabled: r.disabled_at.is_some(),
            disabled_at: r.disabled_at,
        }
    }
}

/// Every webhook of the deployment, oldest first, deleted ones included.
#[derive(Serialize, ToSchema)]
pub struct WebhookListResponse {
    webhooks: Vec<WebhookResponse>,
}

/// One delivery of one incident event to one webhook.
#[derive(Serialize, ToSchema)]
pub struct DeliveryResponse {
    id: i64,
    /// The incident event delivered (its `Downwatch-Event-Id`).
    event_id: i64,
    incident_id: i64,
    kind: IncidentEventKind,
    status: DeliveryStatus,
    /// Attempts made so far.
    attempts: i32,
    /// The receiver's HTTP status at the last attempt; null when it did not answer.
    last_status_code: Option<i32>,
    /// Why the last attempt failed; null when it did not.
    last_error: Option<String>,
    /// When the next attempt is due (pending deliveries only).
    next_attempt_at: Option<DateTime<Utc>>,
    /// When the delivery was queued.
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRecord> for DeliveryResponse {
    fn from(r: DeliveryRecord) -> Self {
        DeliveryResponse {
            id: r.id,
            event_id: r.event_id,
            incident_id: r.incident_id,
            kind: r.kind,
            status: r.status,
            attempts: r.attempts,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        }
    }
}

/// A webhook's delivery log, newest first.
#[derive(Serialize, ToSchema)]
pub struct DeliveryListResponse {
    webhook_id: i64,
    deliveries: Vec<DeliveryResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// Deliveries to show, 1 to 500, newest first.
    #[param(default = 50, minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::invalid("id", "must be a webhook's numeric id"))
}

/// Register a webhook (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. From now on, every
/// incident event (opened, escalated, updated, resolved) is POSTed to `url` as JSON, signed
/// with the secret in the answer: the only time it is shown. See `docs/webhooks.md`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/webhooks",
    tag = "webhooks",
    request_body(content = NewWebhookBody, content_type = "application/json"),
    security(("admin_token" = [])),
    responses(
        (status = 201, description = "Registered; the signing secret is in `secret`, shown \
            this once.", body = CreatedWebhookResponse),
        (status = 400, description = "The body is invalid; `field` names the culprit.",
            body = Problem, content_type = "application/problem+json"),
        AdminErrors,
        JsonBodyErrors,
        StoreUnavailable,
    )
)]
pub async fn create_webhook(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let body: NewWebhookBody = read_json(&req, payload).await?;
    let url = check_url(&body.url).map_err(|why| ApiError::invalid("url", why))?;
    let description = body
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description.as_ref().is_some_and(|d| {
        d.chars().count() > MAX_DESCRIPTION_CHARS || d.chars().any(char::is_control)
    }) {
        return Err(ApiError::invalid(
            "description",
            format!(
                "must be at most {MAX_DESCRIPTION_CHARS} characters, without control characters"
            ),
        ));
    }
    let secret = generate_secret();
    let record = state
        .stores
        .webhooks
        .create_webhook(&NewWebhook {
            url: url.to_string(),
            secret: secret.clone(),
            description,
        })
        .await?;
    info!(webhook = record.id, "webhook registered");
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedWebhookResponse {
            id: record.id,
            url: record.url,
            description: record.description,
            secret: secret.expose().to_owned(),
            created_at: record.created_at,
        }))
}

/// List the webhooks (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. Never shows a secret.
#[utoipa::path(
    get,
    path = "/api/v1/admin/webhooks",
    tag = "webhooks",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Every webhook, oldest first.", body = WebhookListResponse),
        AdminErrors,
        StoreUnavailable,
    )
)]
pub async fn list_webhooks(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let webhooks = state
        .stores
        .webhooks
        .list_webhooks()
        .await?
        .into_iter()
        .map(WebhookResponse::from)
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebhookListResponse { webhooks }))
}

/// Delete a webhook (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. The webhook receives
/// nothing more (its pending deliveries are marked failed); it stays in the list, marked
/// disabled, with its delivery log. Deleting it again changes nothing.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/webhooks/{id}",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The webhook's id.")),
    security(("admin_token" = [])),
    responses(
        (status = 204, description = "Deleted."),
        (status = 400, description = "The id is not a number.", body = Problem,
            content_type = "application/problem+json"),
        AdminErrors,
        (status = 404, description = "No webhook has this id.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn delete_webhook(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let id = parse_id(&id)?;
    if !state.stores.webhooks.disable_webhook(id).await? {
        return Err(ApiError::NotFound {
            what: format!("webhook {id}"),
        });
    }
    info!(webhook = id, "webhook deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery log (admin)
///
/// Needs `Authorization: Bearer` with the deployment's admin token. One entry per incident
/// event sent (or to be sent) to the webhook, newest first: its status, attempts, and the
/// receiver's last answer or error.
#[utoipa::path(
    get,
    path = "/api/v1/admin/webhooks/{id}/deliveries",
    tag = "webhooks",
    params(("id" = i64, Path, description = "The webhook's id."), DeliveriesQuery),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The newest deliveries.", body = DeliveryListResponse),
        (status = 400, description = "The id or a parameter is invalid; `field` names it.",
            body = Problem, content_type = "application/problem+json"),
        AdminErrors,
        (status = 404, description = "No webhook has this id.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn list_deliveries(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_admin(&req, &state)?;
    let id = parse_id(&id)?;
    let q: DeliveriesQuery = parse_query(req.query_string())?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_DELIVERIES).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be 1 to {MAX_DELIVERIES}"),
        ));
    }
    let Some(deliveries) = state.stores.webhooks.list_deliveries(id, limit).await? else {
        return Err(ApiError::NotFound {
            what: format!("webhook {id}"),
        });
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(DeliveryListResponse {
            webhook_id: id,
            deliveries: deliveries.into_iter().map(DeliveryResponse::from).collect(),
        }))
}
