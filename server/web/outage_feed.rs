//! `GET /feeds/outages.atom`: the latest outage events as an Atom feed, one entry per event
//! (updated as it grows, changes cause or ends).

use std::fmt::Write;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::feeds::{esc, feed_start, plural, rfc3339, FeedHead};
use crate::app::AppState;
use crate::catalog::CatalogCache;
use crate::http::problem::ApiError;
use crate::http::responses::StoreUnavailable;
use crate::outage::{CauseKind, OutageEvent};
use crate::store::{OutageFilter, StoredOutage};

/// How many events the feed holds, newest first by start.
const FEED_LIMIT: i64 = 30;

/// Atom feed of outage events
///
/// The 30 most recently started outage events (incidents of several services that began
/// together), as an Atom (RFC 4287) feed: the members, the reports and the most likely cause
/// with its confidence.
#[utoipa::path(
    get,
    path = "/feeds/outages.atom",
    tag = "feeds",
    responses(
        (status = 200, description = "The feed.", body = String,
            content_type = "application/atom+xml"),
        StoreUnavailable,
    )
)]
pub async fn atom_outages(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let outages = state
        .stores
        .outages
        .list_outages(&OutageFilter {
            limit: FEED_LIMIT,
            ..OutageFilter::default()
        })
        .await?;
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let body = atom(&base, req.path(), &outages, &state.catalog);
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(body))
}

fn atom(base: &str, path: &str, outages: &[StoredOutage], catalog: &CatalogCache) -> String {
    let head = FeedHead {
        id: "tag:downwatch,2026:feed:outages".into(),
        title: "Downwatch: outages of several services".into(),
    };
    let updated = outages
        .iter()
        .map(|o| o.updated_at)
        .max()
        .unwrap_or_else(Utc::now);
    let mut out = feed_start(base, path, &head, updated);
    for o in outages {
        let e = &o.event;
        let _ = write!(
            out,
            "  <entry>\n    <id>tag:downwatch,2026:outage:{id}</id>\n    \
             <title type=\"text\">{title}</title>\n    <updated>{updated}</updated>\n    \
             <published>{published}</published>\n    \
             <link rel=\"alternate\" type=\"text/html\" href=\"{base}/outages/{id}\"/>\n    \
             <link rel=\"related\" type=\"application/json\" href=\"{base}/api/v1/outages/{id}\"/>\n    \
             <summary type=\"text\">{summary}</summary>\n  </entry>\n",
            id = e.id,
            title = esc(&title(e, catalog)),
            updated = rfc3339(o.updated_at),
            published = rfc3339(e.start),
            base = esc(base),
            summary = esc(&summary(e, catalog)),
        );
    }
    out.push_str("</feed>\n");
    out
}

fn name(catalog: &CatalogCache, slug: &str) -> String {
    catalog
        .get(slug)
        .map_or_else(|| slug.to_owned(), |s| s.name.clone())
}

/// The most likely cause in words, if one is named.
fn cause(e: &OutageEvent, catalog: &CatalogCache) -> Option<String> {
    e.top_cause().map(|c| match &c.cause {
        CauseKind::Provider { slug } => format!("a problem at {}", name(catalog, slug)),
        CauseKind::Network { asn, org, .. } => format!("an outage at the network {org} (AS{asn})"),
        CauseKind::Country { code } => format!("a national problem in {code}"),
    })
}

/// "Outage of 5 services, probably a problem at Cloudflare", "Resolved: …".
fn title(e: &OutageEvent, catalog: &CatalogCache) -> String {
    let n = e.members.len() as i64;
    let prefix = if e.end.is_some() { "Resolved: " } else { "" };
    let what = format!("{prefix}Outage of {n} {}", plural(n, "service"));
    match cause(e, catalog) {
        Some(c) => format!("{what}, probably {c}"),
        None => what,
    }
}

fn summary(e: &OutageEvent, catalog: &CatalogCache) -> String {
    let names: Vec<String> = e
        .members
        .iter()
        .map(|m| name(catalog, &m.service))
        .collect();
    let reports = e.reports.round() as i64;
    let when = match e.end {
        Some(end) => format!(
            "from {} to {}",
            e.start.format("%Y-%m-%d %H:%M UTC"),
            end.format("%H:%M UTC")
        ),
        None => format!("since {}", e.start.format("%Y-%m-%d %H:%M UTC")),
    };
    let mut s = format!(
        "User reports indicate problems at {} together {when}: {reports} {}.",
        names.join(", "),
        plural(reports, "report")
    );
    if let (Some(c), Some(top)) = (cause(e, catalog), e.top_cause()) {
        let _ = write!(
            s,
            " Likely cause: {c} ({}% confidence; Downwatch sees reports rising together, not causes).",
            (top.confidence * 100.0).round() as i64
        );
    }
    s
}
