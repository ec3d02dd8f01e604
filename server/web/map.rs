//! `GET /map`: the live outage map — countries shaded against their own normal level over the
//! last hour, clusters of located reports, a service filter, and the same data as a table.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use super::view::{amount, Chrome};
use super::{html, unavailable};
use crate::app::AppState;
use std::collections::HashMap;

use crate::read::breakdown::map_of;
use crate::read::recent::{counters, window_minutes};
use crate::store::StoreError;

/// The map's window, in minutes (the service page's breakdowns share it).
pub(super) const WINDOW_MINUTES: i64 = 60;

/// What the map widget shows before its script takes over (and without one).
pub(super) struct MapView {
    pub service: String,
    pub country: String,
    pub rows: Vec<MapRow>,
}

pub(super) struct MapRow {
    pub code: String,
    pub reports: i64,
    pub expected: String,
    pub ratio: String,
}

/// The bucket counters of the map's window up to `now`, of one service or all.
pub(super) async fn recent_counters(
    state: &AppState,
    service: Option<&str>,
    now: DateTime<Utc>,
) -> Result<HashMap<String, i64>, StoreError> {
    counters(
        &*state.stores.buckets,
        &state.settled,
        service,
        &window_minutes(now, WINDOW_MINUTES),
    )
    .await
}

/// The map of the window whose counters are `fields` (see [`recent_counters`]).
pub(super) async fn map_view(
    state: &AppState,
    fields: &HashMap<String, i64>,
    service: Option<&str>,
    now: DateTime<Utc>,
) -> Result<MapView, StoreError> {
    let m = map_of(
        fields,
        &state.stores.rollups,
        &state.typical,
        service,
        now,
        WINDOW_MINUTES,
    )
    .await?;
    Ok(MapView {
        service: service.unwrap_or_default().to_owned(),
        country: String::new(),
        rows: m
            .countries
            .into_iter()
            .map(|c| MapRow {
                code: c.country,
                reports: c.reports,
                expected: amount(c.expected),
                ratio: format!("{:.1}×", c.ratio),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    c: Chrome,
    services: Vec<ServiceOption>,
    map: MapView,
}

struct ServiceOption {
    slug: String,
    name: String,
    selected: bool,
}

pub async fn map_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let c = Chrome::new(&req);
    let wanted = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.into_owned())
        .filter(|s| !s.is_empty());
    // An unknown service is ignored rather than an error: the map of everything is shown.
    let service = wanted.and_then(|s| state.catalog.get(&s));
    let country = form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "country")
        .map(|(_, v)| v.to_uppercase())
        .filter(|cc| crate::catalog::countries::is_country(cc))
        .unwrap_or_default();
    let slug = service.as_deref().map(|s| s.slug.as_str());
    let now = Utc::now();
    let loaded = async {
        let fields = recent_counters(&state, slug, now).await?;
        map_view(&state, &fields, slug, now).await
    };
    let mut view = match loaded.await {
        Ok(view) => view,
        Err(err) => return unavailable(&req, &err),
    };
    view.country = country;
    let mut services: Vec<ServiceOption> = state
        .catalog
        .all()
        .iter()
        .map(|s| ServiceOption {
            slug: s.slug.clone(),
            name: s.name.clone(),
            selected: service.as_ref().is_some_and(|x| x.slug == s.slug),
        })
        .collect();
    services.sort_by_key(|s| s.name.to_lowercase());
    let page = MapPage {
        c,
        services,
        map: view,
    };
    html(&req, StatusCode::OK, &page)
}
