//! Request logging: id, method, route, status and latency — never the client address.
//!
//! The requests an outage day brings by the thousand a second (probes, report POSTs, the
//! home and service pages, their status and series calls, static files) are logged at
//! `debug`, the rest at `info`; any 5xx at `warn` (503: storage or the queue unavailable,
//! answered on purpose) or `error` (anything else). Every response carries `x-request-id`:
//! the client's own when it sent a sane one, else a new one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use tracing::{debug, error, info, warn};

/// Which level a request's line is logged at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Debug,
    Info,
    Warn,
    Error,
}

/// Logs each request once it is answered and sets its `x-request-id`.
pub fn log_requests<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let started = Instant::now();
    let id = match req
        .headers()
        .get("x-request-id")
        .filter(|v| is_sane_id(v.as_bytes()))
    {
        Some(given) => given.clone(),
        None => new_request_id(),
    };
    let hot = is_hot(req.method(), req.path());
    let fut = srv.call(req);
    async move {
        let mut res = fut.await?;
        let status = res.status();
        // Field values are built only when the level is enabled: a quiet hot request costs
        // no route string and no formatting.
        let id_text = id.to_str().unwrap_or("-");
        let route = |res: &ServiceResponse<B>| {
            res.request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned())
        };
        let latency_us = started.elapsed().as_micros() as u64;
        let method = res.request().method();
        let status_code = status.as_u16();
        match level(hot, status) {
            Level::Debug => debug!(request_id = id_text, method = %method, route = %route(&res),
                status = status_code, latency_us, "request"),
            Level::Info => info!(request_id = id_text, method = %method, route = %route(&res),
                status = status_code, latency_us, "request"),
            Level::Warn => warn!(request_id = id_text, method = %method, route = %route(&res),
                status = status_code, latency_us, "request"),
            Level::Error => error!(request_id = id_text, method = %method, route = %route(&res),
                status = status_code, latency_us, "request"),
        }
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
        Ok(res)
    }
}

/// A client's request id is kept when it is 1 to 64 visible ASCII characters.
fn is_sane_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= 64 && id.iter().all(u8::is_ascii_graphic)
}

/// 32 hex digits: a random prefix per process and a counter, unique across nodes and
/// restarts without a system call per request.
fn new_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair().0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let text = format!("{prefix:016x}{n:016x}");
    // Hex digits are always a valid header value.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// The requests that come by the thousand a second on an outage day.
fn is_hot(method: &Method, path: &str) -> bool {
    if method == Method::POST {
        return path == "/api/v1/reports" || path == "/report";
    }
    if method != Method::GET && method != Method::HEAD {
        return false;
    }
    if matches!(
        path,
        "/" | "/healthz" | "/readyz" | "/api/v1/map" | "/api/v1/trending"
    ) {
        return true;
    }
    if path.starts_with("/static/") {
        return true;
    }
    if let Some(slug) = path.strip_prefix("/s/") {
        return !slug.is_empty() && !slug.contains('/');
    }
    path.strip_prefix("/api/v1/services/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(slug, what)| !slug.is_empty() && matches!(what, "status" | "series"))
}

fn level(hot: bool, status: StatusCode) -> Level {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => Level::Warn,
        s if s.is_server_error() => Level::Error,
        _ if hot => Level::Debug,
        _ => Level::Info,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outage_day_requests_are_hot_and_the_rest_are_not() {
        for (method, path) in [
            (Method::GET, "/healthz"),
            (Method::GET, "/readyz"),
            (Method::POST, "/api/v1/reports"),
            (Method::POST, "/report"),
            (Method::GET, "/"),
            (Method::HEAD, "/"),
            (Method::GET, "/s/netflix"),
            (Method::GET, "/api/v1/services/netflix/status"),
            (Method::GET, "/api/v1/services/netflix/series"),
            (Method::GET, "/static/app.css"),
        ] {
            assert!(is_hot(&method, path), "{method} {path}");
        }
        for (method, path) in [
            (Method::GET, "/api/v1/reports"),
            (Method::POST, "/api/v1/services"),
            (Method::GET, "/api/v1/services/netflix"),
            (Method::GET, "/api/v1/services/netflix/breakdown"),
            (Method::GET, "/api/v1/incidents"),
            (Method::POST, "/api/v1/admin/api-keys"),
            (Method::DELETE, "/s/netflix"),
            (Method::GET, "/s/"),
            (Method::GET, "/outages"),
        ] {
            assert!(!is_hot(&method, path), "{method} {path}");
        }
    }

    #[test]
    fn server_errors_are_warnings_or_errors_even_on_hot_routes() {
        assert_eq!(level(true, StatusCode::ACCEPTED), Level::Debug);
        assert_eq!(level(true, StatusCode::TOO_MANY_REQUESTS), Level::Debug);
        assert_eq!(level(false, StatusCode::OK), Level::Info);
        assert_eq!(level(false, StatusCode::NOT_FOUND), Level::Info);
        assert_eq!(level(true, StatusCode::SERVICE_UNAVAILABLE), Level::Warn);
        assert_eq!(level(true, StatusCode::INTERNAL_SERVER_ERROR), Level::Error);
        assert_eq!(level(false, StatusCode::BAD_GATEWAY), Level::Error);
    }

    #[test]
    fn new_request_ids_are_32_hex_digits_and_differ() {
        let a = new_request_id();
        let b = new_request_id();
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.len(), 32);
            assert!(id.as_bytes().iter().all(u8::is_ascii_hexdigit), "{id:?}");
        }
    }

    #[test]
    fn only_sane_client_ids_are_kept() {
        assert!(is_sane_id(b"abc-123"));
        assert!(!is_sane_id(b""));
        assert!(!is_sane_id(b"has space"));
        assert!(!is_sane_id(&[b'a'; 65]));
    }
}
