//! What `GET /api/v1/outages` takes: its query, checked into an [`OutageFilter`], and its
//! cursors.

use chrono::DateTime;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::catalog::symptoms::category_symptoms;
use crate::domain::CountryCode;
use crate::http::params::parse_time;
use crate::http::problem::ApiError;
use crate::http::schemas::FormatParam;
use crate::store::{
    year_range, IncidentStatus, OutageCursor, OutageFilter, OutageOrder, StoredOutage,
};

const MAX_LIMIT: i64 = 200;

/// How a list of outage events is ordered.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OutageSort {
    /// Newest first (by start).
    Recent,
    /// Largest first: reports × duration in minutes × the peak's ratio to normal.
    Rank,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OutageQuery {
    /// Only `open` or only `resolved` events.
    #[param(value_type = Option<IncidentStatus>, inline)]
    status: Option<String>,
    /// Only events that started in this year (UTC); not with `from` or `to`.
    #[param(minimum = 2000, maximum = 2100)]
    year: Option<i32>,
    /// Only events that started at or after this UTC time (RFC 3339 or a date).
    #[param(value_type = Option<String>, example = "2026-11-18T11:00:00Z")]
    from: Option<String>,
    /// Only events that started before this UTC time (RFC 3339 or a date).
    #[param(value_type = Option<String>, example = "2026-11-19T00:00:00Z")]
    to: Option<String>,
    /// Only events with reports from this country (ISO 3166-1 alpha-2, any case).
    country: Option<String>,
    /// Only events with a member of this catalog category.
    #[param(schema_with = crate::http::params::category_schema)]
    category: Option<String>,
    /// Only events whose most likely cause is this provider (a service slug).
    provider: Option<String>,
    /// Only events this service is a member of (a slug).
    service: Option<String>,
    /// `recent` (newest first, the default) or `rank` (largest first).
    #[param(value_type = Option<OutageSort>, inline)]
    sort: Option<String>,
    /// The `next_cursor` of the previous page (or its `X-Next-Cursor` header in CSV).
    cursor: Option<String>,
    /// Events per page, 1 to 200.
    #[param(default = 50, minimum = 1, maximum = 200)]
    limit: Option<i64>,
    /// `csv` for CSV (as does `Accept: text/csv`); JSON otherwise.
    #[param(value_type = Option<FormatParam>, inline)]
    pub(super) format: Option<String>,
}

pub(super) fn cursor_of(s: &StoredOutage, order: OutageOrder) -> String {
    match order {
        OutageOrder::Recent => format!("r{}_{}", s.event.start.timestamp_micros(), s.event.id),
        OutageOrder::Rank => format!("k{}_{}", s.rank, s.event.id),
    }
}

fn parse_cursor(raw: &str, order: OutageOrder) -> Result<OutageCursor, ApiError> {
    let bad = || ApiError::invalid("cursor", "not a cursor given by this API for this sort");
    let (head, id) = raw.split_once('_').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    match (order, head.split_at_checked(1)) {
        (OutageOrder::Recent, Some(("r", micros))) => {
            let micros: i64 = micros.parse().map_err(|_| bad())?;
            let started_at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
            Ok(OutageCursor::Recent { started_at, id })
        }
        (OutageOrder::Rank, Some(("k", rank))) => {
            let rank: f64 = rank.parse().map_err(|_| bad())?;
            if !rank.is_finite() {
                return Err(bad());
            }
            Ok(OutageCursor::Rank { rank, id })
        }
        _ => Err(bad()),
    }
}

/// The filter a query asks for (`limit` is the page size asked, not yet one more).
pub(super) fn filter_of(q: &OutageQuery, state: &AppState) -> Result<OutageFilter, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            s.parse::<IncidentStatus>()
                .map_err(|_| ApiError::invalid("status", "must be open or resolved"))
        })
        .transpose()?;
    let order = match q.sort.as_deref() {
        None | Some("recent") => OutageOrder::Recent,
        Some("rank") => OutageOrder::Rank,
        Some(_) => return Err(ApiError::invalid("sort", "must be recent or rank")),
    };
    let (mut from, mut to) = (
        q.from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        q.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
    );
    if let Some(year) = q.year {
        if from.is_some() || to.is_some() {
            return Err(ApiError::invalid("year", "give either year or from/to"));
        }
        if !(2000..=2100).contains(&year) {
            return Err(ApiError::invalid("year", "must be 2000 to 2100"));
        }
        let range = year_range(year);
        from = range.map(|r| r.0);
        to = range.map(|r| r.1);
    }
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::invalid("from", "must be before to"));
        }
    }
    let known = |field: &str, slug: &Option<String>| match slug {
        Some(s) if state.catalog.get(s).is_none() => {
            Err(ApiError::invalid(field, format!("unknown service {s:?}")))
        }
        _ => Ok(()),
    };
    known("provider", &q.provider)?;
    known("service", &q.service)?;
    if let Some(c) = &q.category {
        if category_symptoms(c).is_none() {
            return Err(ApiError::invalid(
                "category",
                format!("unknown category {c:?}"),
            ));
        }
    }
    let country = q
        .country
        .as_deref()
        .map(|c| {
            CountryCode::parse(&c.trim().to_ascii_uppercase())
                .ok_or_else(|| ApiError::invalid("country", "must be an ISO 3166-1 alpha-2 code"))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            format!("must be 1 to {MAX_LIMIT}"),
        ));
    }
    Ok(OutageFilter {
        status,
        from,
        to,
        country,
        category: q.category.clone(),
        provider: q.provider.clone(),
        service: q.service.clone(),
        order,
        after: q
            .cursor
            .as_deref()
            .map(|c| parse_cursor(c, order))
            .transpose()?,
        limit,
    })
}
