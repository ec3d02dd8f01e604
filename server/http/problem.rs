//! The one mapping from errors to HTTP: RFC 9457 `application/problem+json` bodies.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::ingest::IngestError;
use crate::store::StoreError;

/// Seconds a client should wait after a 503.
const RETRY_UNAVAILABLE_SECS: u64 = 5;

/// Every error an HTTP handler can answer with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("unsupported content type")]
    UnsupportedMediaType { expected: &'static str },
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    #[error("request headers too large")]
    HeadersTooLarge { limit: usize },
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("authentication required")]
    Unauthorized,
    /// An API key that is malformed, unknown or revoked, sent in `header`.
    #[error("invalid API key")]
    BadApiKey { header: &'static str },
    /// Too many reads in the client's window (of an address, or of an API key when `keyed`).
    #[error("too many reads")]
    TooManyReads {
        retry_after_secs: u64,
        limit: u64,
        keyed: bool,
    },
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The problem type: a stable identifier, relative to the site.
    fn kind(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid-request",
            ApiError::NotFound { .. } => "not-found",
            ApiError::UnsupportedMediaType { .. } => "unsupported-media-type",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::HeadersTooLarge { .. } => "headers-too-large",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadApiKey { .. } => "invalid-api-key",
            ApiError::TooManyReads { .. } => "rate-limited",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::Conflict(_) => "conflict",
            ApiError::MethodNotAllowed => "method-not-allowed",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "The request is invalid",
            ApiError::NotFound { .. } => "Not found",
            ApiError::UnsupportedMediaType { .. } => "Unsupported content type",
            ApiError::PayloadTooLarge { .. } => "Request body too large",
            ApiError::HeadersTooLarge { .. } => "Request headers too large",
            ApiError::RateLimited { .. } => "Too many reports",
            ApiError::Unauthorized => "Authentication required",
            ApiError::BadApiKey { .. } => "Invalid API key",
            ApiError::TooManyReads { .. } => "Too many requests",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::Conflict(_) => "Conflict",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::Unavailable(_) => "Temporarily unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::Invalid { reason, .. } => reason.clone(),
            ApiError::NotFound { what } => format!("{what} does not exist"),
            ApiError::UnsupportedMediaType { expected } => {
                format!("send the body as {expected}")
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("the body must be at most {limit} bytes")
            }
            ApiError::HeadersTooLarge { limit } => {
                format!("the headers must add up to at most {limit} bytes")
            }
            ApiError::RateLimited { retry_after_secs } => format!(
                "this address sent too many reports; try again in {retry_after_secs} seconds"
            ),
            ApiError::Unauthorized => {
                "send the admin token as `Authorization: Bearer <token>`".into()
            }
            ApiError::BadApiKey { .. } => "this API key is unknown or revoked; send a valid \
                key as `Authorization: Bearer dw_…` or `X-Api-Key: dw_…`, or none to read \
                anonymously at the lower limit"
                .into(),
            ApiError::TooManyReads {
                retry_after_secs,
                limit,
                keyed: true,
            } => format!(
                "this API key made more than {limit} requests this minute; try again in \
                 {retry_after_secs} seconds"
            ),
            ApiError::TooManyReads {
                retry_after_secs,
                limit,
                keyed: false,
            } => format!(
                "this address made more than {limit} requests this minute; try again in \
                 {retry_after_secs} seconds, or ask for an API key for a higher limit"
            ),
            ApiError::Forbidden(why) | ApiError::Conflict(why) => why.clone(),
            ApiError::MethodNotAllowed => "this resource does not accept that method".into(),
            // Do not leak internals: the cause is in the log.
            ApiError::Unavailable(_) => {
                "storage is temporarily unavailable; nothing was recorded, try again shortly".into()
            }
            ApiError::Internal(_) => "something went wrong on our side".into(),
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            ApiError::Invalid { field, .. } => Some(field),
            ApiError::UnsupportedMediaType { .. } => Some("content-type"),
            ApiError::PayloadTooLarge { .. } => Some("body"),
            ApiError::Unauthorized => Some("authorization"),
            ApiError::BadApiKey { header } => Some(header),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs }
            | ApiError::TooManyReads {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ApiError::Unavailable(_) => Some(RETRY_UNAVAILABLE_SECS),
            _ => None,
        }
    }
}

/// The body of every 4xx and 5xx answer: an RFC 9457 `application/problem+json` object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "/problems/invalid-request",
    "title": "The request is invalid",
    "status": 400,
    "detail": "must be 1m, 5m, 15m or 1h",
    "field": "step"
}))]
pub struct Problem<'a> {
    /// A stable identifier of the kind of problem, relative to the site, e.g.
    /// `/problems/invalid-request`, `/problems/not-found`, `/problems/rate-limited`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short, human-readable summary of the kind of problem.
    pub title: &'a str,
    /// The HTTP status code, repeated.
    pub status: u16,
    /// What went wrong with this request, in words.
    pub detail: String,
    /// The request field, query parameter or header at fault (validation errors, 415, 413, 401).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeadersTooLarge { .. } => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unauthorized | ApiError::BadApiKey { .. } => StatusCode::UNAUTHORIZED,
            ApiError::TooManyReads { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(error = %cause, "answered 503"),
            _ => {}
        }
        let status = self.status_code();
        let body = Problem {
            kind: format!("/problems/{}", self.kind()),
            title: self.title(),
            status: status.as_u16(),
            detail: self.detail(),
            field: self.field(),
        };
        let mut response = HttpResponse::build(status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        if let Some(secs) = self.retry_after() {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if matches!(self, ApiError::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if matches!(self, ApiError::BadApiKey { .. }) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\""));
        }
        response.body(serde_json::to_string(&body).unwrap_or_default())
    }
}

impl From<IngestError> for ApiError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Invalid { field, reason } => ApiError::invalid(field, reason),
            IngestError::UnknownService(slug) => ApiError::NotFound {
                what: format!("service {slug:?}"),
            },
            IngestError::RateLimited { retry_after_secs } => {
                ApiError::RateLimited { retry_after_secs }
            }
            IngestError::Busy => ApiError::Unavailable("ingest queue full".into()),
            IngestError::Unavailable(why) => ApiError::Unavailable(why),
            IngestError::ShuttingDown => ApiError::Unavailable("shutting down".into()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { .. } => ApiError::Unavailable(e.to_string()),
            StoreError::Conflict => ApiError::Conflict("it already exists".into()),
            StoreError::Failed { .. } => ApiError::Internal(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    fn render(e: ApiError) -> (StatusCode, Option<String>, serde_json::Value) {
        let response = e.error_response();
        let status = response.status();
        let retry = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("application/problem+json")
        );
        let bytes = response.into_body().try_into_bytes().unwrap_or_default();
        let body = serde_json::from_slice(&bytes).expect("problem body is JSON");
        (status, retry, body)
    }

    #[test]
    fn validation_errors_name_the_field() {
        let (status, _, body) = render(ApiError::invalid("symptoms", "at most 3"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["field"], "symptoms");
        assert_eq!(body["status"], 400);
        assert_eq!(body["type"], "/problems/invalid-request");
        assert_eq!(body["detail"], "at most 3");
    }

    #[test]
    fn rate_limits_and_outages_say_when_to_retry() {
        let (status, retry, _) = render(ApiError::RateLimited {
            retry_after_secs: 42,
        });
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry.as_deref(), Some("42"));
        let (status, retry, body) = render(ApiError::Unavailable("pg down at 10.0.0.1".into()));
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(retry.is_some());
        assert!(!body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("10.0.0.1"));
    }

    #[test]
    fn bad_api_keys_are_401_naming_the_header() {
        let response = ApiError::BadApiKey {
            header: "authorization",
        }
        .error_response();
        assert_eq!(
            response
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok()),
            Some("Bearer error=\"invalid_token\"")
        );
        let (status, retry, body) = render(ApiError::BadApiKey {
            header: "x-api-key",
        });
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(retry, None);
        assert_eq!(body["type"], "/problems/invalid-api-key");
        assert_eq!(body["field"], "x-api-key");
    }

    #[test]
    fn too_many_reads_say_when_to_retry_and_who_was_limited() {
        let (status, retry, body) = render(ApiError::TooManyReads {
            retry_after_secs: 17,
            limit: 300,
            keyed: false,
        });
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry.as_deref(), Some("17"));
        assert_eq!(body["type"], "/problems/rate-limited");
        assert_eq!(body["title"], "Too many requests");
        let detail = body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("address") && detail.contains("300"),
            "{detail}"
        );
        let (_, _, body) = render(ApiError::TooManyReads {
            retry_after_secs: 1,
            limit: 6000,
            keyed: true,
        });
        assert!(body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("API key"));
    }

    #[test]
    fn headers_too_large_is_431_with_the_limit() {
        let (status, retry, body) = render(ApiError::HeadersTooLarge { limit: 16384 });
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(retry, None);
        assert_eq!(body["type"], "/problems/headers-too-large");
        assert_eq!(body["status"], 431);
        assert!(body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("16384"));
    }

    #[test]
    fn store_errors_map_to_503_409_and_opaque_500() {
        let down = StoreError::Unavailable {
            store: "postgres",
            reason: "refused".into(),
        };
        assert_eq!(render(down.into()).0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(render(StoreError::Conflict.into()).0, StatusCode::CONFLICT);
        let failed = StoreError::Failed {
            store: "postgres",
            reason: "syntax error in secret".into(),
        };
        let (status, _, body) = render(failed.into());
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("secret"));
    }

    #[test]
    fn ingest_errors_map_to_their_statuses() {
        let cases = [
            (
                IngestError::UnknownService("x".into()),
                StatusCode::NOT_FOUND,
            ),
            (IngestError::Busy, StatusCode::SERVICE_UNAVAILABLE),
            (IngestError::ShuttingDown, StatusCode::SERVICE_UNAVAILABLE),
            (
                IngestError::RateLimited {
                    retry_after_secs: 1,
                },
                StatusCode::TOO_MANY_REQUESTS,
            ),
        ];
        for (e, status) in cases {
            assert_eq!(render(e.into()).0, status);
        }
    }
}
