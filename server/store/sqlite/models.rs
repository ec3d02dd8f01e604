//! Row types: insertables (`New*`) and queryables, converted to and from domain types.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{incident_events, incidents, reports, services};
use super::types::{JsonList, Micros};
use crate::catalog::Service;
use crate::store::{IncidentEventRecord, IncidentRecord, NewReport};

#[derive(Queryable, Selectable)]
#[diesel(table_name = services, check_for_backend(diesel::sqlite::Sqlite))]
pub struct ServiceRow {
    pub slug: String,
    pub name: String,
    pub category: String,
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub country: Option<String>,
    pub symptoms: Vec<String>,
}

impl From<ServiceRow> for Service {
    fn from(r: ServiceRow) -> Self {
        Service {
            slug: r.slug,
            name: r.name,
            category: r.category,
            aliases: r.aliases,
            url: r.url,
            country: r.country,
            symptoms: r.symptoms,
        }
    }
}

/// A service to insert or update.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = services, check_for_backend(diesel::sqlite::Sqlite))]
pub struct NewServiceRow {
    pub slug: String,
    pub name: String,
    pub category: String,
    pub aliases: JsonList,
    pub url: Option<String>,
    pub country: Option<String>,
    pub symptoms: JsonList,
}

impl From<&Service> for NewServiceRow {
    fn from(s: &Service) -> Self {
        NewServiceRow {
            slug: s.slug.clone(),
            name: s.name.clone(),
            category: s.category.clone(),
            aliases: JsonList(s.aliases.clone()),
            url: s.url.clone(),
            country: s.country.clone(),
            symptoms: JsonList(s.symptoms.clone()),
        }
    }
}

/// A report to insert. Owned, so that it can move to the blocking task that writes it.
#[derive(Insertable)]
#[diesel(table_name = reports, check_for_backend(diesel::sqlite::Sqlite))]
pub struct NewReportRow {
    pub received_at: Micros,
    pub service: String,
    pub symptoms: JsonList,
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
            received_at: Micros(r.received_at),
            service: r.service.clone(),
            symptoms: JsonList(r.symptoms.clone()),
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
    pub received_at: DateTime<Utc>,
    pub service: String,
    pub symptoms: Vec<String>,
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

impl From<ReportRow> for NewReport {
    fn from(r: ReportRow) -> Self {
        NewReport {
            received_at: r.received_at,
            symptoms: r.symptoms,
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
        }
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
    pub started_at: DateTime<Utc>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub peak_at: DateTime<Utc>,
    pub peak_observed: f64,
    pub peak_expected: f64,
    pub peak_score: f64,
    pub total_reports: i64,
    pub evidence: serde_json::Value,
    pub methodology: String,
    pub updated_at: DateTime<Utc>,
}

impl From<IncidentRow> for IncidentRecord {
    fn from(r: IncidentRow) -> Self {
        IncidentRecord {
            id: r.id,
            service: r.service,
            scope: r.scope,
            status: r.status,
            severity: r.severity,
            started_at: r.started_at,
            escalated_at: r.escalated_at,
            resolved_at: r.resolved_at,
            peak_at: r.peak_at,
            peak_reports: r.peak_observed,
            peak_expected: r.peak_expected,
            peak_score: r.peak_score,
            total_reports: r.total_reports,
            methodology: r.methodology,
            updated_at: r.updated_at,
            evidence: r.evidence,
        }
    }
}

/// One entry of an incident's timeline, as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = incident_events, check_for_backend(diesel::sqlite::Sqlite))]
pub struct IncidentEventRow {
    pub at: DateTime<Utc>,
    pub kind: String,
    pub state: String,
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
}

impl From<IncidentEventRow> for IncidentEventRecord {
    fn from(r: IncidentEventRow) -> Self {
        IncidentEventRecord {
            at: r.at,
            kind: r.kind,
            state: r.state,
            reports: r.observed,
            expected: r.expected,
            score: r.score,
        }
    }
}
