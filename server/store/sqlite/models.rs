//! Row types: insertables (`New*`) and queryables, converted to and from domain types.
//! Times are microseconds since the epoch; string lists are JSON arrays.

use diesel::prelude::*;

use super::schema::{incident_events, incidents, reports, services};
use super::{failed, from_micros, micros, STORE};
use crate::catalog::Service;
use crate::store::{parse_stored, IncidentEventRecord, IncidentRecord, NewReport, StoreError};

/// A list of strings as a JSON array.
fn json_list(items: &[String]) -> String {
    serde_json::Value::from(items.to_vec()).to_string()
}

/// A JSON array of strings back as a list.
fn parse_list(column: &str, json: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(json).map_err(|e| failed(format!("{column} is not a JSON list: {e}")))
}

#[derive(Insertable, Queryable, Selectable, AsChangeset)]
#[diesel(table_name = services, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ServiceRow {
    pub slug: String,
    pub name: String,
    pub category: String,
    pub aliases: String,
    pub url: Option<String>,
    pub country: Option<String>,
    pub symptoms: String,
}

impl TryFrom<ServiceRow> for Service {
    type Error = StoreError;

    fn try_from(r: ServiceRow) -> Result<Self, StoreError> {
        Ok(Service {
            aliases: parse_list("services.aliases", &r.aliases)?,
            symptoms: parse_list("services.symptoms", &r.symptoms)?,
            slug: r.slug,
            name: r.name,
            category: r.category,
            url: r.url,
            country: r.country,
        })
    }
}

impl From<&Service> for ServiceRow {
    fn from(s: &Service) -> Self {
        ServiceRow {
            slug: s.slug.clone(),
            name: s.name.clone(),
            category: s.category.clone(),
            aliases: json_list(&s.aliases),
            url: s.url.clone(),
            country: s.country.clone(),
            symptoms: json_list(&s.symptoms),
        }
    }
}

/// A report to insert. Owned, so that it can move to the blocking task that writes it.
#[derive(Insertable)]
#[diesel(table_name = reports, check_for_backend(diesel::sqlite::Sqlite))]
pub struct NewReportRow {
    pub received_at: i64,
    pub service: String,
    pub symptoms: String,
    pub counted: bool,
    pub reporter: Vec<u8>,
    pub subnet: Vec<u8>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    pub city: Option<String>,
    pub lat: Option<f32>,
    pub lon: Option<f32>,
    pub asn: Option<i32>,
    pub as_org: Option<String>,
    pub region_source: &'static str,
}

impl From<&NewReport> for NewReportRow {
    fn from(r: &NewReport) -> Self {
        NewReportRow {
            received_at: micros(r.received_at),
            service: r.service.clone(),
            symptoms: json_list(&r.symptoms),
            counted: r.counted,
            reporter: r.reporter.clone(),
            subnet: r.subnet.clone(),
            country: r.country.clone(),
            subdivision: r.subdivision.clone(),
            city: r.city.clone(),
            lat: r.lat,
            lon: r.lon,
            asn: r.asn,
            as_org: r.as_org.clone(),
            region_source: r.region_source,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = reports, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ReportRow {
    pub received_at: i64,
    pub service: String,
    pub symptoms: String,
    pub counted: bool,
    pub reporter: Vec<u8>,
    pub subnet: Vec<u8>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    pub city: Option<String>,
    pub lat: Option<f32>,
    pub lon: Option<f32>,
    pub asn: Option<i32>,
    pub as_org: Option<String>,
    pub region_source: String,
}

impl TryFrom<ReportRow> for NewReport {
    type Error = StoreError;

    fn try_from(r: ReportRow) -> Result<Self, StoreError> {
        Ok(NewReport {
            received_at: from_micros(r.received_at)?,
            symptoms: parse_list("reports.symptoms", &r.symptoms)?,
            service: r.service,
            counted: r.counted,
            reporter: r.reporter,
            subnet: r.subnet,
            country: r.country,
            subdivision: r.subdivision,
            city: r.city,
            lat: r.lat,
            lon: r.lon,
            asn: r.asn,
            as_org: r.as_org,
            region_source: match r.region_source.as_str() {
                "geoip" => "geoip",
                "form" => "form",
                _ => "none",
            },
        })
    }
}

/// An incident as stored, all columns.
#[derive(Queryable, Selectable)]
#[diesel(table_name = incidents, check_for_backend(diesel::sqlite::Sqlite))]
pub struct IncidentRow {
    pub id: i64,
    pub service: String,
    pub scope: String,
    pub status: String,
    pub severity: String,
    pub started_at: i64,
    pub escalated_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub peak_at: i64,
    pub peak_observed: f64,
    pub peak_expected: f64,
    pub peak_score: f64,
    pub total_reports: i64,
    pub evidence: serde_json::Value,
    pub methodology: String,
    pub updated_at: i64,
}

impl TryFrom<IncidentRow> for IncidentRecord {
    type Error = StoreError;

    fn try_from(r: IncidentRow) -> Result<Self, StoreError> {
        Ok(IncidentRecord {
            id: r.id,
            service: r.service,
            scope: parse_stored(STORE, "incidents.scope", &r.scope)?,
            status: parse_stored(STORE, "incidents.status", &r.status)?,
            severity: parse_stored(STORE, "incidents.severity", &r.severity)?,
            started_at: from_micros(r.started_at)?,
            escalated_at: r.escalated_at.map(from_micros).transpose()?,
            resolved_at: r.resolved_at.map(from_micros).transpose()?,
            peak_at: from_micros(r.peak_at)?,
            peak_reports: r.peak_observed,
            peak_expected: r.peak_expected,
            peak_score: r.peak_score,
            total_reports: r.total_reports,
            methodology: r.methodology,
            updated_at: from_micros(r.updated_at)?,
            evidence: r.evidence,
        })
    }
}

/// One entry of an incident's timeline, as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = incident_events, check_for_backend(diesel::sqlite::Sqlite))]
pub struct IncidentEventRow {
    pub at: i64,
    pub kind: String,
    pub state: String,
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
}

impl TryFrom<IncidentEventRow> for IncidentEventRecord {
    type Error = StoreError;

    fn try_from(r: IncidentEventRow) -> Result<Self, StoreError> {
        Ok(IncidentEventRecord {
            at: from_micros(r.at)?,
            kind: parse_stored(STORE, "incident_events.kind", &r.kind)?,
            state: parse_stored(STORE, "incident_events.state", &r.state)?,
            reports: r.observed,
            expected: r.expected,
            score: r.score,
        })
    }
}
