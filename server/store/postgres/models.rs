//! Row types: the rows both SQL backends read (see [`crate::store::rows`]), and the
//! insertables (`New*`) of Postgres.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;

use crate::catalog::Service;
use crate::domain::Platform;

crate::store::rows::sql_rows!(Pg);

/// A service to insert or update (an update replaces every column: `None` clears one).
#[derive(Insertable, AsChangeset)]
#[diesel(treat_none_as_null = true)]
#[diesel(table_name = services, check_for_backend(Pg))]
pub struct NewServiceRow {
    pub slug: String,
    pub name: String,
    pub category: String,
    pub aliases: Vec<String>,
    pub url: Option<String>,
    pub country: Option<String>,
    pub symptoms: Vec<String>,
    pub depends_on: Vec<String>,
    pub status_kind: Option<&'static str>,
    pub status_url: Option<String>,
}

impl From<&Service> for NewServiceRow {
    fn from(s: &Service) -> Self {
        NewServiceRow {
            slug: s.slug.clone(),
            name: s.name.clone(),
            category: s.category.clone(),
            aliases: s.aliases.clone(),
            url: s.url.clone(),
            country: s.country.clone(),
            symptoms: s.symptoms.clone(),
            depends_on: s.depends_on.clone(),
            status_kind: s.official_status.as_ref().map(|o| o.kind.as_str()),
            status_url: s.official_status.as_ref().map(|o| o.url.clone()),
        }
    }
}

/// A report to insert, borrowed from the batch.
#[derive(Insertable)]
#[diesel(table_name = reports, check_for_backend(Pg))]
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
    pub platform: Option<&'static str>,
    pub phrase: Option<&'a str>,
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
            platform: r.platform.map(Platform::as_str),
            phrase: r.phrase.as_deref(),
        }
    }
}
