//! `GET /s/{slug}`: a service's page — the state now in plain words, the report form, the
//! last 24 hours against normal, what is reported and from where, and its incidents.
//! `GET /embed/chart/{slug}`: the chart alone, for newsrooms' iframes.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use super::i18n::negotiate;
use super::map::{map_view, recent_counters, MapView, WINDOW_MINUTES};
use super::official::{official_line, OfficialLine};
use super::outage_words::{self, WiderOutage};
use super::said::{phrase_rows, phrases, platform_choices, platform_rows, PlatformChoice};
use super::view::{state_label, ChartSpec, Chrome, ShareRow, Stamp};
use super::{error_page, html, unavailable};
use crate::app::read_cache::ReadKey;
use crate::app::AppState;
use crate::catalog::Service;
use crate::domain::{Scope, State};
use crate::http::cached::{serve, Sharing};
use crate::read::breakdown::breakdown;
use crate::read::phrases::minute_window;
use crate::store::{
    IncidentFilter, IncidentRecord, IncidentStatus, OutageFilter, ServiceStatus, StoreError,
};

/// A network "dominates" when it sends at least this share of at least this many reports.
const DOMINANT_SHARE: f64 = 0.5;
const DOMINANT_MIN_REPORTS: i64 = 10;

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    c: Chrome,
    slug: String,
    title: String,
    heading: String,
    feed_title: String,
    report_heading: String,
    status: Banner,
    official: Option<OfficialLine>,
    reported: Option<String>,
    reported_class: &'static str,
    symptoms: Vec<SymptomChoice>,
    platforms: Vec<PlatformChoice>,
    message_note: String,
    top_symptoms: Vec<ShareRow>,
    top_platforms: Vec<ShareRow>,
    phrases: Vec<ShareRow>,
    phrases_note: String,
    network_hint: Option<String>,
    wider: Option<WiderOutage>,
    incidents: Vec<IncidentLine>,
    chart: ChartSpec,
    map: MapView,
}

pub(super) struct Banner {
    pub state: State,
    pub label: &'static str,
    pub sentence: String,
    pub since: Option<Stamp>,
    pub detail: String,
}

struct SymptomChoice {
    code: String,
    label: String,
}

pub(super) struct IncidentLine {
    pub id: i64,
    /// The title around the country's code (which the page's script names in the reader's
    /// language): `before`, the code (none for a global incident), `after`.
    pub title: (String, Option<String>, String),
    pub started: Stamp,
    pub status_label: &'static str,
    pub state_class: State,
}

pub async fn service_page(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(service) = state.catalog.get(&slug) else {
        return error_page(&req, StatusCode::NOT_FOUND, &slug);
    };
    // The page is the same for every reader of a language, with or without one of the
    // notes after a report (which only that reader sees, so no shared cache keeps it).
    let mut note = None;
    let mut other = false;
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match (k.as_ref(), Reported::parse(&v)) {
            ("reported", Some(reported)) if note.is_none() => note = Some(reported),
            _ => other = true,
        }
    }
    if other {
        return build(&req, &state, &service, note).await;
    }
    let key = ReadKey::new(
        "service",
        format!("{}|{}|{:?}", service.slug, negotiate(&req).code(), note),
    );
    let sharing = match note {
        None => Sharing::PublicPerLanguage,
        Some(_) => Sharing::Private,
    };
    let built = build(&req, &state, &service, note);
    serve(&req, &state.read_cache, key, sharing, built).await
}

/// The note a reader sees after sending the form (`?reported=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reported {
    Thanks,
    Already,
    Limited,
    Invalid,
    Message,
}

impl Reported {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "thanks" => Self::Thanks,
            "already" => Self::Already,
            "limited" => Self::Limited,
            "invalid" => Self::Invalid,
            "message" => Self::Message,
            _ => return None,
        })
    }

    /// The note's text key and its class.
    fn note(self) -> (&'static str, &'static str) {
        match self {
            Self::Thanks => ("report.thanks", "ok"),
            Self::Already => ("report.already", "ok"),
            Self::Limited => ("report.limited", "warn"),
            Self::Invalid => ("report.invalid", "warn"),
            Self::Message => ("report.message_invalid", "warn"),
        }
    }
}

async fn build(
    req: &HttpRequest,
    state: &AppState,
    service: &Service,
    note: Option<Reported>,
) -> HttpResponse {
    let req = req.clone();
    let c = Chrome::new(&req);
    let now = Utc::now();
    let filter = IncidentFilter {
        service: Some(service.slug.clone()),
        limit: 8,
        ..IncidentFilter::default()
    };
    let loaded = async {
        // Four independent reads (Redis, Redis, the database twice) at once.
        let (status, fields, incidents, said) = futures_util::future::try_join4(
            state.stores.board.status(&service.slug),
            recent_counters(state, Some(&service.slug), now),
            state.stores.incidents.list_incidents(&filter),
            phrases(state, &service.slug, minute_window(now, WINDOW_MINUTES)),
        )
        .await?;
        // The map reads the same window's counters: they are read once.
        let map = map_view(state, &fields, Some(&service.slug), now).await?;
        // Part of an outage event going on now?
        let wider = state
            .stores
            .outages
            .list_outages(&OutageFilter {
                status: Some(IncidentStatus::Open),
                service: Some(service.slug.clone()),
                limit: 1,
                ..OutageFilter::default()
            })
            .await?;
        Ok::<_, StoreError>((status, fields, incidents, said, map, wider))
    };
    // The official line is a bonus: a store error there never hides the crowd's page.
    let official = official_line(&c, state.stores.official.as_ref(), service, now)
        .await
        .unwrap_or_else(|e| {
            tracing::warn!(service = %service.slug, error = %e, "official status unreadable");
            None
        });
    let (status, fields, incidents, said, map, wider) = match loaded.await {
        Ok(loaded) => loaded,
        Err(err) => return unavailable(&req, &err),
    };
    let name = service.name.clone();
    let who = [("service", name.as_str())];
    let (reported, reported_class) = match note.map(Reported::note) {
        Some((key, class)) => (Some(c.t(key).to_owned()), class),
        None => (None, ""),
    };
    let top_symptoms = breakdown(&fields, "sym:")
        .into_iter()
        .take(5)
        .map(|s| ShareRow::new(&s.key, c.texts.symptom(&s.key), s.reports, s.share))
        .collect();
    let network_hint = breakdown(&fields, "asn:")
        .into_iter()
        .next()
        .filter(|top| top.share >= DOMINANT_SHARE && top.reports >= DOMINANT_MIN_REPORTS)
        .map(|top| {
            let network = organisation(&incidents, &top.key).map_or_else(
                || format!("AS{}", top.key),
                |org| format!("{org} (AS{})", top.key),
            );
            c.f(
                "service.network_hint",
                &[
                    ("percent", &((top.share * 100.0).round() as i64).to_string()),
                    ("network", &network),
                    ("service", &name),
                ],
            )
        });
    let k = state.config.phrase_min_reporters.to_string();
    let page = ServicePage {
        platforms: platform_choices(&c),
        message_note: c.f("report.message_note", &[("k", &k)]),
        top_platforms: platform_rows(&c, &fields),
        phrases: phrase_rows(&c, &said),
        phrases_note: c.f("said.phrases_note", &[("k", &k)]),
        slug: service.slug.clone(),
        title: c.f("service.title", &who),
        heading: c.f("service.heading", &who),
        feed_title: c.f("feeds.service", &who),
        report_heading: c.f("report.heading", &who),
        status: banner(&c, &name, status.as_ref()),
        official,
        reported,
        reported_class,
        symptoms: service
            .symptoms
            .iter()
            .map(|code| SymptomChoice {
                code: code.clone(),
                label: c.texts.symptom(code),
            })
            .collect(),
        top_symptoms,
        // Said by the outage event when there is one.
        network_hint: network_hint.filter(|_| wider.is_empty()),
        wider: wider
            .first()
            .map(|o| outage_words::wider(&c, &state.catalog, &o.event, &service.slug)),
        incidents: incidents
            .iter()
            .map(|i| incident_line(&c, &name, i))
            .collect(),
        chart: ChartSpec::new(&c, &service.slug, "5m"),
        map,
        c,
    };
    html(&req, StatusCode::OK, &page)
}

/// The status banner: the state in a plain sentence and the figures behind it.
pub(super) fn banner(c: &Chrome, name: &str, status: Option<&ServiceStatus>) -> Banner {
    let state = status.map_or(State::Ok, |s| s.state);
    let who = [("service", name)];
    let since = status
        .filter(|s| s.state != State::Ok)
        .and_then(|s| s.since)
        .map(Stamp::new);
    let key = match (state, since.is_some()) {
        (State::Problems, true) => "status.problems_since",
        (State::Problems, false) => "status.problems",
        (State::PossibleProblems, true) => "status.possible_since",
        (State::PossibleProblems, false) => "status.possible",
        (State::Ok, _) => "status.ok",
    };
    let sentence = c.f(key, &who);
    let detail = match status {
        Some(s) => c.f(
            "status.detail",
            &[
                ("reports", &c.texts.number(s.reports as f64, 0)),
                ("minutes", &s.window_minutes.to_string()),
                ("expected", &c.texts.amount(s.expected)),
            ],
        ),
        None => c.t("status.no_recent").to_owned(),
    };
    Banner {
        label: state_label(&c.texts, state),
        state,
        sentence,
        since,
        detail,
    }
}

/// An incident as one line of a list.
pub(super) fn incident_line(c: &Chrome, name: &str, i: &IncidentRecord) -> IncidentLine {
    IncidentLine {
        id: i.id,
        title: split_title(&incident_title(c, name, i), i.scope),
        started: Stamp::new(i.started_at),
        status_label: match i.status {
            IncidentStatus::Open => c.t("incident.open"),
            IncidentStatus::Resolved => c.t("incident.resolved"),
        },
        state_class: match i.status {
            IncidentStatus::Open => i.severity.into(),
            IncidentStatus::Resolved => State::Ok,
        },
    }
}

/// "Netflix: problems worldwide" / "Netflix: possible problems in IT".
pub(super) fn incident_title(c: &Chrome, name: &str, i: &IncidentRecord) -> String {
    let severity = state_label(&c.texts, i.severity.into());
    match i.scope.country() {
        None => c.f(
            "incident.title_global",
            &[("service", name), ("severity", severity)],
        ),
        Some(country) => c.f(
            "incident.title_country",
            &[
                ("service", name),
                ("severity", severity),
                ("country", country.as_str()),
            ],
        ),
    }
}

/// A title split around the incident's country code, for markup that names the country.
pub(super) fn split_title(title: &str, scope: Scope) -> (String, Option<String>, String) {
    let code = scope.country();
    match code.and_then(|c| title.rsplit_once(c.as_str())) {
        Some((before, after)) => (
            before.to_owned(),
            code.map(|c| c.to_string()),
            after.to_owned(),
        ),
        None => (title.to_owned(), None, String::new()),
    }
}

/// The organisation of a network, as an incident's evidence names it.
fn organisation(incidents: &[IncidentRecord], asn: &str) -> Option<String> {
    incidents.iter().find_map(|i| {
        i.evidence["top_networks"].as_array()?.iter().find_map(|n| {
            (n["asn"].as_i64().map(|a| a.to_string()).as_deref() == Some(asn))
                .then(|| n["organisation"].as_str().map(str::to_owned))
                .flatten()
        })
    })
}

#[derive(Template)]
#[template(path = "embed.html")]
struct EmbedChart {
    c: Chrome,
    slug: String,
    name: String,
    chart: ChartSpec,
}

/// The chart alone: `?from=&to=&step=` (RFC 3339; the last 24 hours by default).
pub async fn embed_chart(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(service) = state.catalog.get(&slug) else {
        return error_page(&req, StatusCode::NOT_FOUND, &slug);
    };
    let c = Chrome::new(&req);
    let mut from = None;
    let mut to = None;
    let mut step = "5m".to_owned();
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        let moment = || {
            DateTime::parse_from_rfc3339(&v)
                .ok()
                .map(|t| t.with_timezone(&Utc).to_rfc3339())
        };
        match k.as_ref() {
            "from" => from = moment(),
            "to" => to = moment(),
            "step" if ["1m", "5m", "15m", "1h"].contains(&v.as_ref()) => step = v.into_owned(),
            _ => {}
        }
    }
    let chart = ChartSpec {
        from,
        to,
        ..ChartSpec::new(&c, &service.slug, &step)
    };
    let page = EmbedChart {
        slug: service.slug.clone(),
        name: service.name.clone(),
        chart,
        c,
    };
    html(&req, StatusCode::OK, &page)
}
