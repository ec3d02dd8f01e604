//! `GET /badge/{slug}.svg`: the embeddable SVG status badge, built as a string: the service's
//! name is escaped.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::feeds::{esc, known_service};
use crate::app::AppState;
use crate::domain::State;
use crate::http::problem::{ApiError, Problem};
use crate::http::responses::StoreUnavailable;

/// The longest service name a badge shows, ellipsis included.
const BADGE_MAX_CHARS: usize = 24;
/// Approximate advance of one character at 11px Verdana / DejaVu Sans.
const BADGE_CHAR_PX: usize = 7;
/// Horizontal padding of each half of the badge, both sides together.
const BADGE_PADDING_PX: usize = 12;

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
    let status = state.stores.board.status(&service.slug).await?;
    // A service the detector has not looked at lately had no reports: it is ok.
    let kind = status.as_ref().map_or(State::Ok, |s| s.state);
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .body(badge_svg(&service.name, kind)))
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
    fn long_names_are_cut_to_fit_the_badge() {
        let svg = badge_svg(&"x".repeat(40), State::Ok);
        assert!(svg.contains(&format!("{}…", "x".repeat(23))));
        assert!(!svg.contains(&"x".repeat(24)));
    }
}
