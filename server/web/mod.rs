//! The web site: pages rendered on the server (they work without JavaScript), made live by
//! small scripts, in English and Italian. Everything they need is served from `static/`.
//! Also what is read by people and feed readers rather than API clients: the Atom feeds, the
//! status badges and the HTML API reference. Errors of the feeds and badges are the API's
//! problem responses ([`crate::http::problem`]): `web` uses `http`, never the other way round.

mod assets;
pub(crate) mod badge;
pub(crate) mod feeds;
mod home;
pub mod i18n;
mod incident;
mod map;
mod official;
pub(crate) mod outage_feed;
mod outage_words;
mod outages;
pub(crate) mod reference;
mod said;
mod security;
mod service;
mod view;

use actix_web::cookie::{time::Duration as CookieAge, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub use security::security_headers;
use view::Chrome;

/// Registers the pages and their assets, the feeds, the badges and the API reference (GET
/// only, as the API's `/feeds/`, `/badge/` and `/api` always were).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", read().to(home::home))
        .route("/s/{slug}", read().to(service::service_page))
        .route("/map", read().to(map::map_page))
        .route("/incidents/{id}", read().to(incident::incident_page))
        .route("/outages", read().to(outages::archive))
        .route("/outages/{id}", read().to(outages::outage_page))
        .route("/embed/chart/{slug}", read().to(service::embed_chart))
        .route("/static/{path:.*}", read().to(assets::serve))
        .route("/feeds/incidents.atom", web::get().to(feeds::atom_all))
        .route(
            "/feeds/outages.atom",
            web::get().to(outage_feed::atom_outages),
        )
        .route(
            "/feeds/services/{slug}.atom",
            web::get().to(feeds::atom_service),
        )
        .route("/badge/{slug}.svg", web::get().to(badge::badge))
        .route("/api", web::get().to(reference::get_reference));
}

/// GET, and HEAD for link checkers and uptime monitors (the server sends no body for it).
fn read() -> actix_web::Route {
    web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
}

/// The answer for a rendered page: HTML, never cached by shared caches (it carries the
/// reader's language), and the language cookie when the reader just chose one.
fn html(req: &HttpRequest, status: StatusCode, page: &impl Template) -> HttpResponse {
    let body = match page.render() {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(%err, "a page failed to render");
            return HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("The page could not be rendered.\n");
        }
    };
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8")
        .insert_header(("cache-control", "private, no-cache"))
        .insert_header(("vary", "Accept-Language, Cookie"));
    if let Some(lang) = i18n::from_query(req) {
        res.cookie(
            Cookie::build("lang", lang.code())
                .path("/")
                .max_age(CookieAge::days(365))
                .same_site(SameSite::Lax)
                .finish(),
        );
    }
    res.body(body)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    heading: String,
    message: String,
}

/// A page-shaped error: 404 for what does not exist, 503 when a store is down.
fn error_page(req: &HttpRequest, status: StatusCode, what: &str) -> HttpResponse {
    let c = Chrome::new(req);
    let (heading, message) = if status == StatusCode::NOT_FOUND {
        (
            c.t("error.not_found").to_owned(),
            c.f("error.not_found_detail", &[("what", what)]),
        )
    } else {
        (
            c.t("error.unavailable").to_owned(),
            c.t("error.unavailable_detail").to_owned(),
        )
    };
    let mut res = html(
        req,
        status,
        &ErrorPage {
            c,
            heading,
            message,
        },
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("5"),
        );
    }
    res
}

/// A store failure on a page: logged, and a page saying to retry.
fn unavailable(req: &HttpRequest, err: &crate::store::StoreError) -> HttpResponse {
    tracing::warn!(%err, path = req.path(), "a page could not read a store");
    error_page(req, StatusCode::SERVICE_UNAVAILABLE, "")
}
