//! Cheap polling and open embedding for the read side: every successful GET of the API, the
//! feeds and the badges gets an `ETag` (a repeat with `If-None-Match` is a bodiless 304) and a
//! `Cache-Control` suited to how fast it changes; CORS is open for GET so that newsrooms can
//! embed charts.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::HttpResponse;

use super::cached::has_etag;
use crate::app::read_cache::etag_of;

/// Whether `path` is read by API clients (and so cached, open to other origins and rate
/// limited); the admin API is not.
pub(crate) fn is_public_read(path: &str) -> bool {
    (path.starts_with("/api/") && !path.starts_with("/api/v1/admin/"))
        || path.starts_with("/feeds/")
        || path.starts_with("/badge/")
}

/// Seconds a response may be reused, by how fast its resource changes.
pub(crate) fn max_age(path: &str) -> u32 {
    if path.ends_with("/status") || path.ends_with("/trending") || path.starts_with("/api/v1/map") {
        5
    } else if path.starts_with("/api/v1/services")
        && !path.contains("/series")
        && !path.contains("/breakdown")
    {
        300
    } else if path.starts_with("/feeds/") || path.starts_with("/badge/") {
        60
    } else {
        15
    }
}

fn cors(headers: &mut header::HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(
            "ETag, Retry-After, X-Next-Cursor, X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset",
        ),
    );
}

pub async fn cache_and_cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path().to_owned();
    if !is_public_read(&path) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if req.method() == Method::OPTIONS {
        let mut res = HttpResponse::NoContent();
        res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Accept, If-None-Match, Last-Event-ID, Authorization, X-Api-Key",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"));
        return Ok(req.into_response(res.finish()));
    }
    let is_get = req.method() == Method::GET || req.method() == Method::HEAD;
    let res = next.call(req).await?;
    let streaming = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    // Answers of the read cache come with their validators and compressed already.
    let prepared =
        res.headers().contains_key(header::ETAG) || res.status() == StatusCode::NOT_MODIFIED;
    if !is_get || streaming || prepared {
        let mut res = res.map_into_boxed_body();
        if is_get {
            cors(res.headers_mut());
        }
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let status = res.status();
    let (mut head, body) = res.into_parts();
    let bytes = body::to_bytes(body).await.unwrap_or_default();
    cors(head.headers_mut());
    if status == StatusCode::OK {
        let etag = etag_of(&bytes);
        head.headers_mut().insert(header::ETAG, etag.clone());
        if let Ok(cache) = HeaderValue::from_str(&format!("public, max-age={}", max_age(&path))) {
            head.headers_mut().insert(header::CACHE_CONTROL, cache);
        }
        if has_etag(req.headers(), &etag) {
            let mut not_modified = HttpResponse::NotModified().finish();
            let rate_limit = super::ratelimit::RATELIMIT_HEADERS.map(HeaderName::from_static);
            for name in [
                header::ETAG,
                header::CACHE_CONTROL,
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
            ]
            .into_iter()
            .chain(rate_limit)
            {
                if let Some(v) = head.headers().get(&name) {
                    not_modified.headers_mut().insert(name.clone(), v.clone());
                }
            }
            return Ok(ServiceResponse::new(req, not_modified));
        }
    }
    let res = head.set_body(BoxBody::new(bytes));
    Ok(ServiceResponse::new(req, res))
}
