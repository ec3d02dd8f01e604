//! Atom feeds of incidents (RFC 4287), built as strings: every value that came from a store
//! or a request is escaped.

use std::fmt::Write;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};

use crate::app::AppState;
use crate::catalog::Service;
use crate::domain::Severity;
use crate::http::problem::{ApiError, Problem};
use crate::http::responses::StoreUnavailable;
use crate::store::{IncidentFilter, IncidentRecord, IncidentStatus};

/// How many incidents a feed holds, newest first by start.
const FEED_LIMIT: i64 = 50;

/// Atom feed of the latest incidents
///
/// The 50 most recently started incidents of every service, as an Atom (RFC 4287) feed; each
/// entry summarises the **reports** at the peak against the expected level.
#[utoipa::path(
    get,
    path = "/feeds/incidents.atom",
    tag = "feeds",
    responses(
        (status = 200, description = "The feed.", body = String,
            content_type = "application/atom+xml"),
        StoreUnavailable,
    )
)]
pub async fn atom_all(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let incidents = state
        .stores
        .incidents
        .list_incidents(&IncidentFilter {
            limit: FEED_LIMIT,
            ..IncidentFilter::default()
        })
        .await?;
    let feed = FeedHead {
        id: "tag:downwatch,2026:feed:incidents".into(),
        title: "Downwatch: incidents".into(),
    };
    Ok(atom_response(&req, &state, &feed, &incidents))
}

/// Atom feed of one service's incidents
#[utoipa::path(
    get,
    path = "/feeds/services/{slug}.atom",
    tag = "feeds",
    params(("slug" = String, Path, description = "The service's slug, e.g. `netflix`.")),
    responses(
        (status = 200, description = "The feed.", body = String,
            content_type = "application/atom+xml"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn atom_service(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let service = known_service(&state, &slug)?;
    let incidents = state
        .stores
        .incidents
        .list_incidents(&IncidentFilter {
            service: Some(service.slug.clone()),
            limit: FEED_LIMIT,
            ..IncidentFilter::default()
        })
        .await?;
    let feed = FeedHead {
        id: format!("tag:downwatch,2026:feed:service:{}", service.slug),
        title: format!("Downwatch: incidents at {}", service.name),
    };
    Ok(atom_response(&req, &state, &feed, &incidents))
}

/// The catalog's service `slug`, or a 404.
pub(super) fn known_service(
    state: &AppState,
    slug: &str,
) -> Result<std::sync::Arc<Service>, ApiError> {
    state.catalog.get(slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {slug:?}"),
    })
}

/// What distinguishes one feed from another.
pub(super) struct FeedHead {
    pub id: String,
    pub title: String,
}

fn atom_response(
    req: &HttpRequest,
    state: &AppState,
    head: &FeedHead,
    incidents: &[IncidentRecord],
) -> HttpResponse {
    // No public URL is configured: links point back where the request came in.
    let info = req.connection_info();
    let base = format!("{}://{}", info.scheme(), info.host());
    let name_of = |slug: &str| state.catalog.get(slug).map(|s| s.name.clone());
    let body = atom(&base, req.path(), head, incidents, name_of, Utc::now());
    HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .body(body)
}

/// The feed document; `name_of` gives a service's display name (the slug stands in without).
fn atom(
    base: &str,
    path: &str,
    head: &FeedHead,
    incidents: &[IncidentRecord],
    name_of: impl Fn(&str) -> Option<String>,
    now: DateTime<Utc>,
) -> String {
    let updated = incidents.iter().map(|i| i.updated_at).max().unwrap_or(now);
    let mut out = feed_start(base, path, head, updated);
    for i in incidents {
        let name = name_of(&i.service).unwrap_or_else(|| i.service.clone());
        let _ = write!(
            out,
            "  <entry>\n    <id>tag:downwatch,2026:incident:{id}</id>\n    \
             <title type=\"text\">{title}</title>\n    <updated>{updated}</updated>\n    \
             <published>{published}</published>\n    \
             <link rel=\"alternate\" type=\"text/html\" href=\"{base}/incidents/{id}\"/>\n    \
             <link rel=\"related\" type=\"application/json\" href=\"{base}/api/v1/incidents/{id}\"/>\n    \
             <category term=\"{severity}\"/>\n    <summary type=\"text\">{summary}</summary>\n  \
             </entry>\n",
            id = i.id,
            title = esc(&entry_title(&name, i)),
            updated = rfc3339(i.updated_at),
            published = rfc3339(i.started_at),
            base = esc(base),
            severity = i.severity,
            summary = esc(&entry_summary(&name, i)),
        );
    }
    out.push_str("</feed>\n");
    out
}

/// The XML declaration and the feed's own elements, up to its first entry.
pub(super) fn feed_start(
    base: &str,
    path: &str,
    head: &FeedHead,
    updated: DateTime<Utc>,
) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = write!(
        out,
        "  <id>{}</id>\n  <title type=\"text\">{}</title>\n  <updated>{}</updated>\n  \
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n  \
         <author><name>Downwatch</name></author>\n",
        esc(&head.id),
        esc(&head.title),
        rfc3339(updated),
        esc(&format!("{base}{path}")),
    );
    out
}

/// "Problems at Netflix (IT)", "Possible problems at Netflix", "Resolved: …".
fn entry_title(name: &str, i: &IncidentRecord) -> String {
    let what = match i.severity {
        Severity::Problems => "Problems",
        Severity::PossibleProblems => "Possible problems",
    };
    let place = match i.scope.country() {
        None => String::new(),
        Some(country) => format!(" ({country})"),
    };
    let prefix = match i.status {
        IncidentStatus::Resolved => "Resolved: ",
        IncidentStatus::Open => "",
    };
    format!("{prefix}{what} at {name}{place}")
}

/// One sentence with the figures at the peak, in words about reports, not about users.
fn entry_summary(name: &str, i: &IncidentRecord) -> String {
    let what = match i.severity {
        Severity::Problems => "problems",
        Severity::PossibleProblems => "possible problems",
    };
    let place = match i.scope.country() {
        None => name.to_owned(),
        Some(country) => format!("{name} in {country}"),
    };
    let reports = (i.evidence["reports"].as_f64())
        .unwrap_or(i.peak_reports)
        .round() as i64;
    let expected = i.evidence["expected"].as_f64().unwrap_or(i.peak_expected);
    let window = match i.evidence["window_minutes"].as_u64() {
        Some(m) => format!(" in {m} {}", plural(m as i64, "minute")),
        None => String::new(),
    };
    let figures = format!(
        "{reports} {}{window} against {expected:.1} expected (methodology {})",
        plural(reports, "report"),
        i.methodology
    );
    let start = i.started_at.format("%H:%M UTC");
    match i
        .resolved_at
        .filter(|_| i.status == IncidentStatus::Resolved)
    {
        Some(end) => {
            let end = if end.date_naive() == i.started_at.date_naive() {
                end.format("%H:%M UTC")
            } else {
                end.format("%Y-%m-%d %H:%M UTC")
            };
            format!("User reports indicated {what} at {place} from {start} to {end}; at the peak, {figures}.")
        }
        None => format!("User reports indicate {what} at {place} since {start}: {figures}."),
    }
}

pub(super) fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

pub(super) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Escapes text for XML content and attributes; drops characters XML 1.0 cannot hold.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c < ' ' && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_specials_and_control_characters_are_escaped() {
        assert_eq!(
            esc("A&B <c> \"d\" 'e'\u{1}"),
            "A&amp;B &lt;c&gt; &quot;d&quot; &apos;e&apos;"
        );
    }
}
