//! Row types: insertables (`New*`) and queryables, converted to and from domain types.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{reports, services};
use crate::catalog::Service;
use crate::store::NewReport;

#[derive(Insertable, Queryable, Selectable, AsChangeset)]
#[diesel(table_name = services, check_for_backend(diesel::pg::Pg))]
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

impl From<&Service> for ServiceRow {
    fn from(s: &Service) -> Self {
        ServiceRow {
            slug: s.slug.clone(),
            name: s.name.clone(),
            category: s.category.clone(),
            aliases: s.aliases.clone(),
            url: s.url.clone(),
            country: s.country.clone(),
            symptoms: s.symptoms.clone(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = reports, check_for_backend(diesel::pg::Pg))]
pub struct NewReportRow<'a> {
    pub received_at: DateTime<Utc>,
    pub service: &'a str,
    pub symptoms: &'a [String],
    pub counted: bool,
    pub reporter: &'a [u8],
    pub subnet: &'a [u8],
    pub country: Option<&'a str>,
    pub subdivision: Option<&'a str>,
    pub city: Option<&'a str>,
    pub lat: Option<f32>,
    pub lon: Option<f32>,
    pub asn: Option<i32>,
    pub as_org: Option<&'a str>,
    pub region_source: &'a str,
}

impl<'a> From<&'a NewReport> for NewReportRow<'a> {
    fn from(r: &'a NewReport) -> Self {
        NewReportRow {
            received_at: r.received_at,
            service: &r.service,
            symptoms: &r.symptoms,
            counted: r.counted,
            reporter: &r.reporter,
            subnet: &r.subnet,
            country: r.country.as_deref(),
            subdivision: r.subdivision.as_deref(),
            city: r.city.as_deref(),
            lat: r.lat,
            lon: r.lon,
            asn: r.asn,
            as_org: r.as_org.as_deref(),
            region_source: r.region_source,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = reports, check_for_backend(diesel::pg::Pg))]
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
            service: r.service,
            symptoms: r.symptoms,
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
