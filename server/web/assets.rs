//! `GET /static/{path}`: the site's styles, scripts and vendored libraries, built into the
//! binary. Pages link them with a content hash (`?v=…`): such a request may be cached for a
//! year; any other gets a short `Cache-Control` and an `ETag`.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
#[exclude = "templates/*"]
#[exclude = "i18n/*"]
#[exclude = "*.md"]
struct Static;

/// Each asset's short content hash, computed once.
static HASHES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    Static::iter()
        .filter_map(|path| {
            let file = Static::get(&path)?;
            Some((
                path.to_string(),
                hex::encode(&file.metadata.sha256_hash()[..6]),
            ))
        })
        .collect()
});

/// The URL of an asset, with its content hash so that browsers may keep it for good.
pub fn url(path: &str) -> String {
    match HASHES.get(path) {
        Some(hash) => format!("/static/{path}?v={hash}"),
        None => {
            tracing::warn!(path, "a page links an asset that does not exist");
            format!("/static/{path}")
        }
    }
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    let Some(file) = Static::get(&path) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such file\n");
    };
    let hash = hex::encode(&file.metadata.sha256_hash()[..6]);
    let etag = format!("\"{hash}\"");
    let versioned = form_urlencoded::parse(req.query_string().as_bytes())
        .any(|(k, v)| k == "v" && v == hash.as_str());
    let cache = if versioned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache));
    if fresh {
        return res.finish();
    }
    let mime = file.metadata.mimetype();
    let mime =
        if mime.starts_with("text/") || mime.ends_with("javascript") || mime.ends_with("json") {
            format!("{mime}; charset=utf-8")
        } else {
            mime.to_owned()
        };
    res.content_type(mime).body(file.data.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_link_assets_by_content_hash() {
        let u = url("css/site.css");
        assert!(u.starts_with("/static/css/site.css?v="), "{u}");
        assert_eq!(u.len(), "/static/css/site.css?v=".len() + 12);
    }

    #[test]
    fn templates_and_texts_are_not_served() {
        assert!(Static::get("templates/base.html").is_none());
        assert!(Static::get("i18n/en.toml").is_none());
        assert!(Static::get("css/site.css").is_some());
    }
}
