//! `GET /`: search, the services with problems now, categories, and how Downwatch decides.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::i18n::negotiate;
use super::official::says_operational;
use super::outage_words::{line, OutageLine};
use super::service::{incident_line, IncidentLine};
use super::view::{state_label, Chrome};
use super::{html, unavailable};
use crate::app::read_cache::ReadKey;
use crate::app::AppState;
use crate::catalog::Service;
use crate::domain::State;
use crate::http::cached::{serve, Sharing};
use crate::store::{IncidentFilter, IncidentStatus, OutageFilter};

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    c: Chrome,
    query: String,
    results: Option<Vec<ServiceLink>>,
    results_heading: String,
    problems: Vec<Problem>,
    /// Services with problems whose official page says all is well.
    unacknowledged: Vec<ServiceLink>,
    recent: Vec<IncidentLine>,
    outages: Vec<OutageLine>,
    categories: Vec<Category>,
}

struct ServiceLink {
    slug: String,
    name: String,
    category: String,
}

struct Problem {
    slug: String,
    name: String,
    state: State,
    state_label: &'static str,
    detail: String,
}

struct Category {
    code: String,
    label: String,
    count: usize,
}

/// How many services a search or a category lists at most.
const MAX_RESULTS: usize = 60;

pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if !req.query_string().is_empty() {
        // A search, a category or a change of language: built for this reader.
        return build(&req, &state).await;
    }
    let key = ReadKey::new("home", negotiate(&req).code());
    serve(
        &req,
        &state.read_cache,
        key,
        Sharing::PublicPerLanguage,
        build(&req, &state),
    )
    .await
}

async fn build(req: &HttpRequest, state: &AppState) -> HttpResponse {
    let req = req.clone();
    let c = Chrome::new(&req);
    let params: BTreeMap<String, String> = form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.chars().take(100).collect()))
        .collect();
    let query = params
        .get("q")
        .map(|q| q.trim().to_owned())
        .unwrap_or_default();
    let category = params.get("category").filter(|c| !c.is_empty());
    let services = state.catalog.all();
    let link = |s: &Service| ServiceLink {
        slug: s.slug.clone(),
        name: s.name.clone(),
        category: c.texts.category(&s.category),
    };
    let (results, results_heading) = if !query.is_empty() {
        let q = query.to_lowercase();
        let mut found: Vec<&Service> = services
            .iter()
            .map(|s| &**s)
            .filter(|s| s.matches(&q))
            .collect();
        // Exact and prefix matches first.
        found.sort_by_key(|s| {
            (
                !s.name.to_lowercase().starts_with(&q),
                s.name.to_lowercase(),
            )
        });
        (
            Some(found.into_iter().take(MAX_RESULTS).map(link).collect()),
            c.f("home.results_for", &[("query", &query)]),
        )
    } else if let Some(cat) = category {
        let mut found: Vec<&Service> = services
            .iter()
            .map(|s| &**s)
            .filter(|s| &s.category == cat)
            .collect();
        found.sort_by_key(|s| s.name.to_lowercase());
        (
            Some(found.into_iter().take(MAX_RESULTS * 2).map(link).collect()),
            c.texts.category(cat),
        )
    } else {
        (None, String::new())
    };

    let (problems, recent) = match problems(state, &c).await {
        Ok(p) => p,
        Err(err) => return unavailable(&req, &err),
    };
    // Ongoing outage events first.
    let open = OutageFilter {
        status: Some(IncidentStatus::Open),
        limit: 6,
        ..OutageFilter::default()
    };
    let outages = match state.stores.outages.list_outages(&open).await {
        Ok(o) => o
            .iter()
            .map(|o| line(&c, &state.catalog, &o.event))
            .collect(),
        Err(err) => return unavailable(&req, &err),
    };
    let mut unacknowledged = Vec::new();
    for p in problems.iter().filter(|p| p.state == State::Problems) {
        let Some(service) = state.catalog.get(&p.slug) else {
            continue;
        };
        // A store error here only leaves the list out.
        if let Ok(true) =
            says_operational(state.stores.official.as_ref(), &service, chrono::Utc::now()).await
        {
            unacknowledged.push(link(&service));
        }
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &services {
        *counts.entry(s.category.as_str()).or_default() += 1;
    }
    let mut categories: Vec<Category> = counts
        .into_iter()
        .map(|(code, count)| Category {
            code: code.to_owned(),
            label: c.texts.category(code),
            count,
        })
        .collect();
    categories.sort_by(|a, b| a.label.cmp(&b.label));
    let page = Home {
        c,
        query,
        results,
        results_heading,
        problems,
        unacknowledged,
        recent,
        outages,
        categories,
    };
    html(&req, StatusCode::OK, &page)
}

/// Services the detector flags now and those with an open incident, worst first; and the
/// latest incidents.
async fn problems(
    state: &AppState,
    c: &Chrome,
) -> Result<(Vec<Problem>, Vec<IncidentLine>), crate::store::StoreError> {
    let mut statuses = state.stores.board.statuses().await?;
    let open = state
        .stores
        .incidents
        .list_incidents(&IncidentFilter {
            status: Some(IncidentStatus::Open),
            limit: 50,
            ..IncidentFilter::default()
        })
        .await?;
    statuses.retain(|s| s.state != State::Ok || open.iter().any(|i| i.service == s.service));
    crate::read::rank_statuses(&mut statuses);
    let mut rows: Vec<Problem> = statuses
        .into_iter()
        .filter_map(|s| {
            let service = state.catalog.get(&s.service)?;
            Some(Problem {
                slug: s.service.clone(),
                name: service.name.clone(),
                state_label: state_label(&c.texts, s.state),
                detail: c.f(
                    "home.problem_detail",
                    &[
                        ("reports", &c.texts.number(s.reports as f64, 0)),
                        ("minutes", &s.window_minutes.to_string()),
                        ("expected", &c.texts.amount(s.expected)),
                    ],
                ),
                state: s.state,
            })
        })
        .collect();
    // An open incident whose service the board no longer lists still shows.
    for i in open {
        if rows.iter().any(|r| r.slug == i.service) {
            continue;
        }
        if let Some(service) = state.catalog.get(&i.service) {
            rows.push(Problem {
                slug: i.service.clone(),
                name: service.name.clone(),
                state_label: state_label(&c.texts, i.severity.into()),
                detail: c.t("home.open_incident").to_owned(),
                state: i.severity.into(),
            });
        }
    }
    rows.truncate(24);
    let recent = state
        .stores
        .incidents
        .list_incidents(&IncidentFilter {
            limit: 6,
            ..IncidentFilter::default()
        })
        .await?
        .iter()
        .map(|i| {
            let name = state
                .catalog
                .get(&i.service)
                .map_or_else(|| i.service.clone(), |s| s.name.clone());
            incident_line(c, &name, i)
        })
        .collect();
    Ok((rows, recent))
}
