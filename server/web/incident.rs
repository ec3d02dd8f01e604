//! `GET /incidents/{id}`: one incident with its chart, evidence and timeline, and what a
//! journalist needs to cite it (JSON, CSV, an embeddable chart).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;

use super::official::{incident_timeline, OfficialTimeline};
use super::outage_words::{self, WiderOutage};
use super::said::{phrase_rows, phrases, platform_fact};
use super::service::{incident_line, incident_title, IncidentLine};
use super::view::{ChartSpec, Chrome, ShareRow, Stamp};
use super::{error_page, html, unavailable};
use crate::app::AppState;
use crate::detect::Surprise;
use crate::read::phrases::incident_period;
use crate::store::IncidentDetail;

#[derive(Template)]
#[template(path = "incident.html")]
struct IncidentPage {
    c: Chrome,
    id: i64,
    slug: String,
    name: String,
    title: String,
    line: IncidentLine,
    summary: String,
    resolved: Option<Stamp>,
    chart: ChartSpec,
    facts: Vec<(String, String)>,
    breakdowns: Vec<Breakdown>,
    phrases: Vec<ShareRow>,
    phrases_note: String,
    methodology_text: String,
    timeline: Vec<TimelineRow>,
    /// What the official page said, when an official incident is linked to this one.
    official: Option<OfficialTimeline>,
    series_csv: String,
    embed_snippet: String,
    wider: Option<WiderOutage>,
}

struct Breakdown {
    title: String,
    country_codes: bool,
    rows: Vec<ShareRow>,
}

struct TimelineRow {
    at: Stamp,
    kind: String,
    state: &'static str,
    reports: String,
    expected: String,
}

pub async fn incident_page(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&req, StatusCode::NOT_FOUND, &id);
    };
    let IncidentDetail { incident, events } = match state.stores.incidents.get_incident(id).await {
        Ok(Some(found)) => found,
        Ok(None) => return error_page(&req, StatusCode::NOT_FOUND, &id.to_string()),
        Err(err) => return unavailable(&req, &err),
    };
    let outage = match state.stores.outages.outage_of_incident(id).await {
        Ok(o) => o,
        Err(err) => return unavailable(&req, &err),
    };
    let c = Chrome::new(&req);
    let wider =
        outage.map(|o| outage_words::wider(&c, &state.catalog, &o.event, &incident.service));
    let name = state
        .catalog
        .get(&incident.service)
        .map_or_else(|| incident.service.clone(), |s| s.name.clone());
    let line = incident_line(&c, &name, &incident);
    let ev = &incident.evidence;

    // The chart: six hours before the start to an hour after the end (or now).
    let end = incident.resolved_at.unwrap_or_else(Utc::now);
    let from = incident.started_at - TimeDelta::hours(6);
    let to = (end + TimeDelta::hours(1)).min(Utc::now());
    // Steps under 15 minutes are only kept for the hot window (see the series endpoint).
    let hot = from >= Utc::now() - TimeDelta::minutes(crate::store::HOT_WINDOW_MINUTES);
    let chart_step = if to - from > TimeDelta::hours(72) {
        "1h"
    } else if hot {
        "5m"
    } else {
        "15m"
    };
    let iso = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let scope_param = match incident.scope.country() {
        None => String::new(),
        Some(country) => format!("&country={country}"),
    };
    let series_csv = format!(
        "/api/v1/services/{}/series?from={}&to={}&step={chart_step}{scope_param}&format=csv",
        incident.service,
        iso(from),
        iso(to)
    );
    let host = req.connection_info().host().to_owned();
    let scheme = req.connection_info().scheme().to_owned();
    let embed_snippet = format!(
        "<iframe src=\"{scheme}://{host}/embed/chart/{}?from={}&to={}&step={chart_step}\" width=\"640\" height=\"320\" title=\"{name} — Downwatch\" loading=\"lazy\"></iframe>",
        incident.service,
        iso(from),
        iso(to)
    );

    let figure = |key: &str| ev[key].as_f64().map(|x| c.texts.amount(x));
    let mut facts = vec![
        (
            c.t("incident.peak").to_owned(),
            c.f(
                "incident.peak_value",
                &[
                    ("reports", &c.texts.amount(incident.peak_reports)),
                    ("expected", &c.texts.amount(incident.peak_expected)),
                ],
            ),
        ),
        (
            c.t("incident.total_reports").to_owned(),
            c.texts.number(incident.total_reports as f64, 0),
        ),
    ];
    if let Some(n) = figure("unique_reporters") {
        facts.push((c.t("incident.unique_reporters").to_owned(), n));
    }
    if let Some(r) = ev["ratio"].as_f64() {
        facts.push((
            c.t("incident.ratio").to_owned(),
            format!("{}×", c.texts.number(r, 1)),
        ));
    }
    if let Some(low) = ev["ratio_low"].as_f64() {
        let confidence = ev["confidence"].as_f64().unwrap_or(0.99);
        facts.push((
            c.t("incident.ratio_low").to_owned(),
            c.f(
                "incident.ratio_low_value",
                &[
                    ("ratio", &c.texts.number(low, 1)),
                    ("confidence", &format!("{:.0}", confidence * 100.0)),
                ],
            ),
        ));
    }
    // Words, never a p-value: "p ≈ 10^-114" is a number no model of bursty counts can back.
    if let Some(p) = ev["neg_log10_p"].as_f64() {
        facts.push((
            c.t("incident.surprise").to_owned(),
            c.t(Surprise::of(p).key()).to_owned(),
        ));
    }
    if let Some(alpha) = ev["dispersion"].as_f64() {
        facts.push((
            c.t("incident.noise").to_owned(),
            c.f(
                "incident.noise_value",
                &[("alpha", &c.texts.number(alpha, 2))],
            ),
        ));
    }
    if let Some(fact) = platform_fact(&c, ev) {
        facts.push((c.t("said.platform").to_owned(), fact));
    }
    if let Some(w) = ev["window_minutes"].as_u64() {
        facts.push((c.t("incident.window").to_owned(), format!("{w} min")));
    }

    let shares = |key: &str, label: &dyn Fn(&Value) -> (String, String)| -> Vec<ShareRow> {
        ev[key]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| {
                        let (code, text) = label(r);
                        ShareRow::new(
                            &code,
                            text,
                            r["reports"].as_i64().unwrap_or(0),
                            r["share"].as_f64().unwrap_or(0.0),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let key_of = |r: &Value| r["key"].as_str().unwrap_or_default().to_owned();
    let breakdowns = vec![
        Breakdown {
            title: c.t("incident.top_symptoms").to_owned(),
            country_codes: false,
            rows: shares("top_symptoms", &|r| {
                (key_of(r), c.texts.symptom(&key_of(r)))
            }),
        },
        Breakdown {
            title: c.t("said.platforms_short").to_owned(),
            country_codes: false,
            rows: shares("top_platforms", &|r| {
                (key_of(r), c.texts.platform(&key_of(r)))
            }),
        },
        Breakdown {
            title: c.t("incident.top_countries").to_owned(),
            country_codes: true,
            rows: shares("top_countries", &|r| (key_of(r), key_of(r))),
        },
        Breakdown {
            title: c.t("incident.top_subdivisions").to_owned(),
            country_codes: false,
            rows: shares("top_subdivisions", &|r| (key_of(r), key_of(r))),
        },
        Breakdown {
            title: c.t("incident.top_networks").to_owned(),
            country_codes: false,
            rows: shares("top_networks", &|r| {
                let asn = r["asn"].as_i64().unwrap_or(0);
                let label = match r["organisation"].as_str() {
                    Some(org) => format!("{org} (AS{asn})"),
                    None => format!("AS{asn}"),
                };
                (asn.to_string(), label)
            }),
        },
    ];
    let timeline = events
        .iter()
        .map(|e| TimelineRow {
            at: Stamp::new(e.at),
            kind: c.t(&format!("event.{}", e.kind)).to_owned(),
            state: super::view::state_label(&c.texts, e.state),
            reports: c.texts.amount(e.reports),
            expected: c.texts.amount(e.expected),
        })
        .collect();
    let summary = c.f(
        "incident.summary",
        &[
            ("reports", &c.texts.number(incident.total_reports as f64, 0)),
            ("service", &name),
        ],
    );
    // What screens said during the incident, while the reports are kept (k-anonymous).
    let period = incident_period(
        incident.started_at,
        incident.resolved_at,
        &incident.evidence,
    );
    let said = match phrases(&state, &incident.service, period).await {
        Ok(said) => said,
        Err(err) => return unavailable(&req, &err),
    };
    let k = state.config.phrase_min_reporters.to_string();
    let title = incident_title(&c, &name, &incident);
    // The official side is a bonus: a store error there never hides the incident.
    let official = incident_timeline(
        &c,
        state.stores.official.as_ref(),
        &name,
        &incident.service,
        id,
        incident.started_at,
    )
    .await
    .unwrap_or_else(|e| {
        tracing::warn!(incident = id, error = %e, "official timeline unreadable");
        None
    });
    let page = IncidentPage {
        id,
        slug: incident.service.clone(),
        title,
        summary,
        line,
        resolved: incident.resolved_at.map(Stamp::new),
        chart: ChartSpec {
            from: Some(iso(from)),
            to: Some(iso(to)),
            country: incident.scope.country().map(|c| c.to_string()),
            marks: official
                .as_ref()
                .map(|o| o.marks.clone())
                .unwrap_or_default(),
            ..ChartSpec::new(&c, &incident.service, chart_step)
        },
        facts,
        breakdowns,
        phrases: phrase_rows(&c, &said),
        phrases_note: c.f("said.phrases_note", &[("k", &k)]),
        methodology_text: c.f(
            "incident.methodology",
            &[("version", &incident.methodology)],
        ),
        timeline,
        official,
        series_csv,
        embed_snippet,
        wider,
        name,
        c,
    };
    html(&req, StatusCode::OK, &page)
}
