//! Atom feeds of incidents (RFC 4287) and the embeddable SVG status badge.
//! Both are built as strings: every value that came from a store or a request is escaped.

use std::fmt::Write;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, SecondsFormat, Utc};

use super::problem::{ApiError, Problem};
use super::responses::StoreUnavailable;
use super::AppState;
use crate::catalog::Service;
use crate::domain::{Severity, State};
use crate::store::{IncidentFilter, IncidentRecord, IncidentStatus};

/// How many incidents a feed holds, newest first by start.
const FEED_LIMIT: i64 = 50;
/// The longest service name a badge shows, ellipsis included.
const BADGE_MAX_CHARS: usize = 24;
/// Approximate advance of one character at 11px Verdana / DejaVu Sans.
const BADGE_CHAR_PX: usize = 7;
/// Horizontal padding of each half of the badge, both sides together.
const BADGE_PADDING_PX: usize = 12;

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

/// Embeddable status badge
///
/// A small SVG saying whether the service has no problems, possible problems or problems
/// now; its colours meet WCAG AA contrast.
#[utoipa::path(
    get,
    path = "/badge/{slug}.svg",
    tag = "feeds",
    params(("slug" = String, Path, description = "The service's slug, e.g. `netflix`.")),
    responses(
        (status = 200, description = "The badge.", body = String, content_type = "image/svg+xml"),
        (status = 404, description = "No such service.", body = Problem,
            content_type = "application/problem+json"),
        StoreUnavailable,
    )
)]
pub async fn badge(
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let service = known_service(&state, &slug)?;
    let status = state.board.status(&service.slug).await?;
    // A service the detector has not looked at lately had no reports: it is ok.
    let kind = status.as_ref().map_or(State::Ok, |s| s.state);
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(badge_svg(&service.name, kind)))
}

fn known_service(state: &AppState, slug: &str) -> Result<std::sync::Arc<Service>, ApiError> {
    state.catalog.get(slug).ok_or_else(|| ApiError::NotFound {
        what: format!("service {slug:?}"),
    })
}

/// What distinguishes one feed from another.
struct FeedHead {
    id: String,
    title: String,
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

fn plural(n: i64, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Escapes text for XML content and attributes; drops characters XML 1.0 cannot hold.
fn esc(s: &str) -> String {
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

/// The words and `(background, text)` colours of a state; both pairs meet WCAG AA (4.5:1).
fn badge_style(state: State) -> (&'static str, &'static str, &'static str) {
    match state {
        State::Problems => ("problems", "#c62828", "#fff"),
        // White on this amber is only 4.2:1; black is 5.0:1.
        State::PossibleProblems => ("possible problems", "#b26a00", "#000"),
        State::Ok => ("no problems", "#2e7d32", "#fff"),
    }
}

/// A flat shields.io-style badge: the service's name on grey, its state on a state colour.
fn badge_svg(name: &str, state: State) -> String {
    let label: String = if name.chars().count() > BADGE_MAX_CHARS {
        let mut short: String = name.chars().take(BADGE_MAX_CHARS - 1).collect();
        short.push('…');
        short
    } else {
        name.to_owned()
    };
    let (words, background, ink) = badge_style(state);
    let width = |s: &str| s.chars().count() * BADGE_CHAR_PX + BADGE_PADDING_PX;
    let (left, right) = (width(&label), width(words));
    let total = left + right;
    let label = esc(&label);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{total}\" height=\"20\" \
         viewBox=\"0 0 {total} 20\" role=\"img\" aria-label=\"{label}: {words}\">\
         <title>{label}: {words}</title>\
         <clipPath id=\"r\"><rect width=\"{total}\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\
         <g clip-path=\"url(#r)\"><rect width=\"{left}\" height=\"20\" fill=\"#555\"/>\
         <rect x=\"{left}\" width=\"{right}\" height=\"20\" fill=\"{background}\"/></g>\
         <g text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" \
         font-size=\"11\"><text x=\"{lx}\" y=\"14\" fill=\"#fff\">{label}</text>\
         <text x=\"{rx}\" y=\"14\" fill=\"{ink}\">{words}</text></g></svg>",
        lx = left as f64 / 2.0,
        rx = left as f64 + right as f64 / 2.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn luminance(hex: &str) -> f64 {
        let hex = hex.trim_start_matches('#');
        let hex = if hex.len() == 3 {
            hex.chars().flat_map(|c| [c, c]).collect()
        } else {
            hex.to_owned()
        };
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
    }

    #[test]
    fn every_badge_state_has_aa_contrast() {
        for &state in State::ALL {
            let (_, bg, ink) = badge_style(state);
            let (a, b) = (luminance(bg), luminance(ink));
            let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
            assert!(ratio >= 4.5, "{state}: {ratio:.2}");
        }
    }

    #[test]
    fn xml_specials_and_control_characters_are_escaped() {
        assert_eq!(
            esc("A&B <c> \"d\" 'e'\u{1}"),
            "A&amp;B &lt;c&gt; &quot;d&quot; &apos;e&apos;"
        );
    }

    #[test]
    fn long_names_are_cut_to_fit_the_badge() {
        let svg = badge_svg(&"x".repeat(40), State::Ok);
        assert!(svg.contains(&format!("{}…", "x".repeat(23))));
        assert!(!svg.contains(&"x".repeat(24)));
    }
}
