//! Row types: the rows both SQL backends read (see [`crate::store::rows`]), and the
//! insertables (`New*`) of SQLite, owned so that they can move to the blocking task that
//! writes them.

use diesel::sqlite::Sqlite;

use super::types::{JsonList, Micros};
use crate::catalog::Service;
use crate::domain::Platform;

crate::store::rows::sql_rows!(Sqlite);

/// A service to insert or update (an update replaces every column: `None` clears one).
#[derive(Insertable, AsChangeset)]
#[diesel(treat_none_as_null = true)]
#[diesel(table_name = services, check_for_backend(Sqlite))]
pub struct NewServiceRow {
    pub slug: String,
    pub name: String,
    pub category: String,
    pub aliases: JsonList,
    pub url: Option<String>,
    pub country: Option<String>,
    pub symptoms: JsonList,
    pub depends_on: JsonList,
    pub status_kind: Option<&'static str>,
    pub status_url: Option<String>,
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
            depends_on: JsonList(s.depends_on.clone()),
            status_kind: s.official_status.as_ref().map(|o| o.kind.as_str()),
            status_url: s.official_status.as_ref().map(|o| o.url.clone()),
        }
    }
}

/// A report to insert.
#[derive(Insertable)]
#[diesel(table_name = reports, check_for_backend(Sqlite))]
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
    pub platform: Option<&'static str>,
    pub phrase: Option<String>,
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
            platform: r.platform.map(Platform::as_str),
            phrase: r.phrase.clone(),
        }
    }
}
