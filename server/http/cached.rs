//! Serving an answer of the [`ReadCache`]: the bytes built once, gzipped once, with their
//! `ETag` (a repeat with `If-None-Match` is a bodiless 304), an `Age` and a `Cache-Control`
//! that lets a CDN or reverse proxy in front hold them for as long as this node would.

use std::future::Future;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::app::read_cache::{ReadCache, ReadKey, Rendered};

/// Who may keep an answer, and whose language it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// Any cache, for the cache's own max age; the same for every reader.
    Public,
    /// Any cache, but it depends on the reader's language (a page).
    PublicPerLanguage,
    /// Only the reader's own browser, after asking again (a page with a note for one
    /// reader, such as "thanks for your report").
    Private,
}

/// The answer for `key` from `cache`, built by `build` when it has none, as a response to
/// `req`.
pub async fn serve<Fut>(
    req: &HttpRequest,
    cache: &ReadCache,
    key: ReadKey,
    sharing: Sharing,
    build: Fut,
) -> HttpResponse
where
    Fut: Future<Output = HttpResponse>,
{
    let rendered = cache.get_or_build(key, build).await;
    respond(req, &rendered, sharing, cache.max_age().as_secs())
}

/// `rendered` as a response to `req`: 304 when the reader has it, gzipped when the reader
/// takes gzip.
pub fn respond(
    req: &HttpRequest,
    rendered: &Rendered,
    sharing: Sharing,
    max_age: u64,
) -> HttpResponse {
    let mut res = HttpResponse::build(rendered.status);
    for (name, value) in &rendered.headers {
        res.insert_header((name.clone(), value.clone()));
    }
    if rendered.status != StatusCode::OK {
        return res.body(rendered.body.clone());
    }
    let cache_control = match sharing {
        Sharing::Public | Sharing::PublicPerLanguage => format!("public, max-age={max_age}"),
        Sharing::Private => "private, no-cache".to_owned(),
    };
    let vary = match sharing {
        Sharing::Public => "Accept-Encoding",
        Sharing::PublicPerLanguage | Sharing::Private => "Accept-Encoding, Accept-Language, Cookie",
    };
    if has_etag(req.headers(), &rendered.etag) {
        let mut not_modified = HttpResponse::NotModified();
        not_modified
            .insert_header((header::ETAG, rendered.etag.clone()))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .insert_header((header::VARY, vary));
        return not_modified.finish();
    }
    res.insert_header((header::ETAG, rendered.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, vary))
        .insert_header((header::AGE, rendered.age_secs()));
    match &rendered.gzip {
        Some(gzip) if takes_gzip(req) => {
            // Already compressed: the compression middleware leaves an encoded body alone.
            res.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static("gzip")))
                .body(gzip.clone())
        }
        _ => res.body(rendered.body.clone()),
    }
}

/// Whether `If-None-Match` names `etag` (or `*`), weak or strong (RFC 9110's weak comparison).
pub(crate) fn has_etag(headers: &header::HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag.trim_start_matches("W/"))
}

/// Whether `Accept-Encoding` takes gzip (by name or `*`, with a quality above zero).
fn takes_gzip(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;
    use actix_web::web::Bytes;

    fn page(text: &str) -> Rendered {
        let mut headers = header::HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        Rendered::new(StatusCode::OK, headers, Bytes::from(text.repeat(100)))
    }

    #[test]
    fn gzip_only_for_readers_that_take_it() {
        let rendered = page("<p>Netflix has problems</p>");
        for (accept, gzipped) in [
            ("gzip, deflate, br", true),
            ("br;q=1.0, gzip;q=0.8", true),
            ("*", true),
            ("gzip;q=0", false),
            ("identity", false),
            ("", false),
        ] {
            let req = TestRequest::default()
                .insert_header((header::ACCEPT_ENCODING, accept))
                .to_http_request();
            let res = respond(&req, &rendered, Sharing::Public, 5);
            assert_eq!(
                res.headers().get(header::CONTENT_ENCODING).is_some(),
                gzipped,
                "{accept:?}"
            );
        }
    }

    #[test]
    fn a_reader_with_the_tag_gets_a_304_and_others_the_page() {
        let rendered = page("<p>ok</p>");
        let tag = rendered.etag.to_str().expect("ascii").to_owned();
        let strong = tag.trim_start_matches("W/").to_owned();
        for (sent, status) in [
            (tag.as_str(), StatusCode::NOT_MODIFIED),
            (strong.as_str(), StatusCode::NOT_MODIFIED),
            ("\"other\", *", StatusCode::NOT_MODIFIED),
            ("\"other\"", StatusCode::OK),
        ] {
            let req = TestRequest::default()
                .insert_header((header::IF_NONE_MATCH, sent))
                .to_http_request();
            let res = respond(&req, &rendered, Sharing::PublicPerLanguage, 5);
            assert_eq!(res.status(), status, "{sent}");
            assert_eq!(
                res.headers()
                    .get(header::CACHE_CONTROL)
                    .expect("cache-control"),
                "public, max-age=5"
            );
            assert!(res
                .headers()
                .get(header::VARY)
                .expect("vary")
                .to_str()
                .expect("ascii")
                .contains("Accept-Language"));
        }
    }

    #[test]
    fn an_error_is_passed_on_without_validators() {
        let rendered = Rendered::new(
            StatusCode::SERVICE_UNAVAILABLE,
            header::HeaderMap::new(),
            Bytes::from_static(b"later"),
        );
        let req = TestRequest::default().to_http_request();
        let res = respond(&req, &rendered, Sharing::Public, 5);
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().get(header::ETAG).is_none());
        assert!(rendered.gzip.is_none());
    }
}
