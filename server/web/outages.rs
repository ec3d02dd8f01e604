//! `GET /outages`: the archive of outage events, largest or newest first, filtered by year,
//! country, category and provider; `GET /outages/{id}`: one event, its likely causes with
//! their reasons, its members and countries.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Datelike, Utc};

use super::outage_words::{cause_sentence, line, reasons, OutageLine, Phrase};
use super::view::{Chrome, ShareRow};
use super::{error_page, html, unavailable};
use crate::app::AppState;
use crate::catalog::symptoms::category_symptoms;
use crate::domain::CountryCode;
use crate::store::{year_range, OutageFilter, OutageOrder};

/// Events the archive lists at most.
const ARCHIVE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "outages.html")]
struct Archive {
    c: Chrome,
    outages: Vec<OutageLine>,
    years: Vec<(i32, bool)>,
    categories: Vec<(String, String, bool)>,
    providers: Vec<(String, String, bool)>,
    country: String,
    by_rank: bool,
    api_url: String,
}

pub async fn archive(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let c = Chrome::new(&req);
    let params: BTreeMap<String, String> = form_urlencoded::parse(req.query_string().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.chars().take(60).collect()))
        .collect();
    let this_year = Utc::now().year();
    let year = params
        .get("year")
        .and_then(|y| y.parse::<i32>().ok())
        .filter(|y| (2000..=this_year).contains(y));
    let category = params
        .get("category")
        .filter(|c| category_symptoms(c).is_some())
        .cloned();
    let provider = params
        .get("provider")
        .filter(|p| state.catalog.get(p).is_some())
        .cloned();
    let country = params
        .get("country")
        .and_then(|c| CountryCode::parse(&c.trim().to_ascii_uppercase()));
    let by_rank = params.get("sort").is_none_or(|s| s != "recent");
    let range = year.and_then(year_range);
    let filter = OutageFilter {
        from: range.map(|r| r.0),
        to: range.map(|r| r.1),
        country,
        category: category.clone(),
        provider: provider.clone(),
        order: if by_rank {
            OutageOrder::Rank
        } else {
            OutageOrder::Recent
        },
        limit: ARCHIVE_SIZE,
        ..OutageFilter::default()
    };
    let outages = match state.stores.outages.list_outages(&filter).await {
        Ok(o) => o,
        Err(err) => return unavailable(&req, &err),
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(y) = year {
        query.push(("year", y.to_string()));
    }
    if let Some(cc) = country {
        query.push(("country", cc.to_string()));
    }
    if let Some(cat) = &category {
        query.push(("category", cat.clone()));
    }
    if let Some(p) = &provider {
        query.push(("provider", p.clone()));
    }
    query.push(("sort", if by_rank { "rank" } else { "recent" }.to_owned()));
    let api_url = format!(
        "/api/v1/outages?{}",
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
            .finish()
    );
    // One walk over the catalog: its categories, and the providers something depends on.
    let services = state.catalog.all();
    let mut categories: Vec<(String, String, bool)> = services
        .iter()
        .map(|s| s.category.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|code| {
            let selected = category.as_deref() == Some(code.as_str());
            (c.texts.category(&code), code, selected)
        })
        .map(|(label, code, selected)| (code, label, selected))
        .collect();
    categories.sort_by(|a, b| a.1.cmp(&b.1));
    let mut providers: Vec<(String, String, bool)> = services
        .iter()
        .flat_map(|s| s.depends_on.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter_map(|slug| {
            let name = state.catalog.get(&slug)?.name.clone();
            let selected = provider.as_deref() == Some(slug.as_str());
            Some((slug, name, selected))
        })
        .collect();
    providers.sort_by_key(|p| p.1.to_lowercase());
    let page = Archive {
        outages: outages
            .iter()
            .map(|o| line(&c, &state.catalog, &o.event))
            .collect(),
        years: (2024..=this_year)
            .rev()
            .map(|y| (y, Some(y) == year))
            .collect(),
        categories,
        providers,
        country: country.map(|c| c.to_string()).unwrap_or_default(),
        by_rank,
        api_url,
        c,
    };
    html(&req, StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "outage.html")]
struct OutagePage {
    c: Chrome,
    title: String,
    line: OutageLine,
    causes: Vec<(Phrase, Vec<String>)>,
    members: Vec<Member>,
    countries: Vec<ShareRow>,
    peak: String,
    rank: String,
    operator: Option<(String, String)>,
}

struct Member {
    slug: String,
    name: String,
    incident_id: i64,
    reports: String,
    resolved: bool,
}

pub async fn outage_page(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(&req, StatusCode::NOT_FOUND, &id);
    };
    let stored = match state.stores.outages.get_outage(id).await {
        Ok(Some(s)) => s,
        Ok(None) => return error_page(&req, StatusCode::NOT_FOUND, &id.to_string()),
        Err(err) => return unavailable(&req, &err),
    };
    let c = Chrome::new(&req);
    let event = &stored.event;
    let line = line(&c, &state.catalog, event);
    let headline = format!(
        "{}{}{}",
        line.headline.lead,
        line.headline.cc.as_deref().unwrap_or_default(),
        line.headline.tail
    );
    let members = event
        .members
        .iter()
        .zip(&line.services)
        .map(|(m, (slug, name))| Member {
            slug: slug.clone(),
            name: name.clone(),
            incident_id: m.incident_id,
            reports: c.f(
                "outage.reports",
                &[("reports", &(m.reports.round() as i64).to_string())],
            ),
            resolved: m.resolved.is_some(),
        })
        .collect();
    let total = event.reports.max(1.0);
    let page = OutagePage {
        title: c.f(
            "outage.title",
            &[
                ("count", &event.members.len().to_string()),
                ("headline", &headline),
            ],
        ),
        causes: event
            .causes
            .iter()
            .map(|cause| {
                (
                    cause_sentence(&c, &state.catalog, cause),
                    reasons(&c, cause),
                )
            })
            .collect(),
        members,
        countries: event
            .countries
            .iter()
            .map(|cs| {
                ShareRow::new(
                    &cs.code,
                    cs.code.clone(),
                    (cs.share * total).round() as i64,
                    cs.share,
                )
            })
            .collect(),
        peak: c.f(
            "outage.peak_value",
            &[
                ("reports", &(event.peak_reports.round() as i64).to_string()),
                ("expected", &super::view::amount(event.peak_expected)),
            ],
        ),
        operator: super::outage_words::operator(&state.catalog, event),
        rank: c.f(
            "outage.rank",
            &[(
                "rank",
                &super::outage_words::group(stored.rank.round().max(0.0) as u64),
            )],
        ),
        line,
        c,
    };
    html(&req, StatusCode::OK, &page)
}
