//! The rows the SQL backends read, written once for both. Postgres and SQLite have the same
//! tables and columns and, through `sqlite::types`, read them as the same Rust types; what
//! differs is the `schema` module naming them and the backend. So [`sql_rows!`] defines the row
//! structs (`Queryable` + `Selectable` over that schema) and their conversions to the contract
//! types in each backend's `models` module (those of the admin API's API keys and webhooks
//! through [`admin_rows!`]), and the rows of raw SQL, which name no table, are plain structs
//! here. What each backend writes stays its own (`New*` in its `models`).

mod admin;
mod official;
mod outages;
mod said;

pub(crate) use admin::admin_rows;
pub(crate) use official::official_rows;
pub(crate) use outages::outage_query;
pub use said::{PhraseRow, PlatformTotalRow, ReportersRow};

use diesel::sql_types::{Double, Integer, Text};

use super::{AsOrg, CountryLevel};

/// Defines the row types both SQL backends read, with their conversions to the contract types,
/// in the module that calls it: `sql_rows!(Pg)` or `sql_rows!(Sqlite)`, where `$db` names the
/// backend and `super::schema` is that backend's tables. Stored words (scopes, states, kinds,
/// statuses) become their types with `parse_stored`, naming the backend's `super::STORE`: an
/// unknown one fails the read with `StoreError::Failed` naming the column.
macro_rules! sql_rows {
    ($db:ident) => {
        use diesel::prelude::*;

        use super::schema::{
            api_keys, detector_series, incident_events, incidents, outage_events, reports, rollups,
            services, webhook_deliveries, webhooks,
        };
        use super::STORE;
        use crate::store::{
            parse_stored, IncidentEventRecord, IncidentPeriod, IncidentRecord, NewReport,
            OpenIncident, RollupRow, SavedTracker, StoreError,
        };

        /// A service of the catalog.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = services, check_for_backend($db))]
        pub struct ServiceRow {
            pub slug: String,
            pub name: String,
            pub category: String,
            pub aliases: Vec<String>,
            pub url: Option<String>,
            pub country: Option<String>,
            pub symptoms: Vec<String>,
            pub depends_on: Vec<String>,
            pub status_kind: Option<String>,
            pub status_url: Option<String>,
        }

        impl From<ServiceRow> for crate::catalog::Service {
            fn from(r: ServiceRow) -> Self {
                // The column's CHECK admits only known kinds: an unknown one means no source.
                let official_status = match (r.status_kind, r.status_url) {
                    (Some(kind), Some(url)) => kind
                        .parse()
                        .ok()
                        .map(|kind| crate::catalog::StatusSource { kind, url }),
                    _ => None,
                };
                Self {
                    official_status,
                    slug: r.slug,
                    name: r.name,
                    category: r.category,
                    aliases: r.aliases,
                    url: r.url,
                    country: r.country,
                    symptoms: r.symptoms,
                    depends_on: r.depends_on,
                }
            }
        }

        /// A report of the log, as written.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = reports, check_for_backend($db))]
        pub struct ReportRow {
            pub received_at: chrono::DateTime<chrono::Utc>,
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
            pub platform: Option<String>,
            pub phrase: Option<String>,
        }

        impl TryFrom<ReportRow> for NewReport {
            type Error = StoreError;

            fn try_from(r: ReportRow) -> Result<Self, StoreError> {
                let platform = r
                    .platform
                    .as_deref()
                    .map(|p| parse_stored(STORE, "reports.platform", p))
                    .transpose()?;
                Ok(Self {
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
                    platform,
                    phrase: r.phrase,
                })
            }
        }

        /// An incident, all columns.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = incidents, check_for_backend($db))]
        pub struct IncidentRow {
            pub id: i64,
            pub service: String,
            pub scope: String,
            pub status: String,
            pub severity: String,
            pub started_at: chrono::DateTime<chrono::Utc>,
            pub escalated_at: Option<chrono::DateTime<chrono::Utc>>,
            pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
            pub peak_at: chrono::DateTime<chrono::Utc>,
            pub peak_observed: f64,
            pub peak_expected: f64,
            pub peak_score: f64,
            pub total_reports: i64,
            pub evidence: serde_json::Value,
            pub methodology: String,
            pub updated_at: chrono::DateTime<chrono::Utc>,
        }

        impl TryFrom<IncidentRow> for IncidentRecord {
            type Error = StoreError;

            fn try_from(r: IncidentRow) -> Result<Self, StoreError> {
                Ok(Self {
                    id: r.id,
                    service: r.service,
                    scope: parse_stored(STORE, "incidents.scope", &r.scope)?,
                    status: parse_stored(STORE, "incidents.status", &r.status)?,
                    severity: parse_stored(STORE, "incidents.severity", &r.severity)?,
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
                })
            }
        }

        /// One entry of an incident's timeline.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = incident_events, check_for_backend($db))]
        pub struct IncidentEventRow {
            pub at: chrono::DateTime<chrono::Utc>,
            pub kind: String,
            pub state: String,
            pub observed: f64,
            pub expected: f64,
            pub score: f64,
        }

        impl TryFrom<IncidentEventRow> for IncidentEventRecord {
            type Error = StoreError;

            fn try_from(r: IncidentEventRow) -> Result<Self, StoreError> {
                Ok(Self {
                    at: r.at,
                    kind: parse_stored(STORE, "incident_events.kind", &r.kind)?,
                    state: parse_stored(STORE, "incident_events.state", &r.state)?,
                    reports: r.observed,
                    expected: r.expected,
                    score: r.score,
                })
            }
        }

        /// An open incident as the detector remembers it.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = incidents, check_for_backend($db))]
        pub struct OpenIncidentRow {
            pub id: i64,
            pub service: String,
            pub scope: String,
            pub severity: String,
            pub started_at: chrono::DateTime<chrono::Utc>,
            pub peak_observed: f64,
        }

        impl TryFrom<OpenIncidentRow> for OpenIncident {
            type Error = StoreError;

            fn try_from(r: OpenIncidentRow) -> Result<Self, StoreError> {
                Ok(Self {
                    id: r.id,
                    service: r.service,
                    scope: parse_stored(STORE, "incidents.scope", &r.scope)?,
                    severity: parse_stored(STORE, "incidents.severity", &r.severity)?,
                    started_at: r.started_at,
                    peak_observed: r.peak_observed,
                })
            }
        }

        /// When an incident was open.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = incidents, check_for_backend($db))]
        pub struct IncidentPeriodRow {
            pub service: String,
            pub scope: String,
            pub started_at: chrono::DateTime<chrono::Utc>,
            pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
        }

        impl TryFrom<IncidentPeriodRow> for IncidentPeriod {
            type Error = StoreError;

            fn try_from(r: IncidentPeriodRow) -> Result<Self, StoreError> {
                Ok(Self {
                    service: r.service,
                    scope: parse_stored(STORE, "incidents.scope", &r.scope)?,
                    started_at: r.started_at,
                    resolved_at: r.resolved_at,
                })
            }
        }

        /// One series' saved state machine.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = detector_series, check_for_backend($db))]
        pub struct TrackerRow {
            pub service: String,
            pub scope: String,
            pub tracker: serde_json::Value,
        }

        impl TryFrom<TrackerRow> for SavedTracker {
            type Error = StoreError;

            fn try_from(r: TrackerRow) -> Result<Self, StoreError> {
                Ok(Self {
                    service: r.service,
                    scope: parse_stored(STORE, "detector_series.scope", &r.scope)?,
                    state: r.tracker,
                })
            }
        }

        /// An outage event: the engine's event as JSON, and its rank.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = outage_events, check_for_backend($db))]
        pub struct OutageRow {
            pub rank: f64,
            pub detail: serde_json::Value,
            pub updated_at: chrono::DateTime<chrono::Utc>,
        }

        impl TryFrom<OutageRow> for crate::store::StoredOutage {
            type Error = StoreError;

            fn try_from(r: OutageRow) -> Result<Self, StoreError> {
                let event = serde_json::from_value(r.detail).map_err(|e| StoreError::Failed {
                    store: STORE,
                    reason: format!("outage_events.detail: {e}"),
                })?;
                Ok(Self {
                    event,
                    rank: r.rank,
                    updated_at: r.updated_at,
                })
            }
        }

        /// All-symptom rollups of one service, bucket and country; also the rows of raw SQL
        /// naming these columns.
        #[derive(Queryable, Selectable, QueryableByName)]
        #[diesel(table_name = rollups, check_for_backend($db))]
        pub struct HistoryRow {
            pub service: String,
            pub bucket: chrono::DateTime<chrono::Utc>,
            pub country: String,
            pub reports: i32,
            pub unique_reporters: i32,
        }

        impl From<HistoryRow> for RollupRow {
            fn from(r: HistoryRow) -> Self {
                Self {
                    service: r.service,
                    bucket: r.bucket,
                    country: r.country,
                    reports: r.reports,
                    unique_reporters: r.unique_reporters,
                }
            }
        }

        $crate::store::rows::admin_rows!($db);
        $crate::store::rows::official_rows!($db);
    };
}

pub(crate) use sql_rows;

/// An autonomous system's latest name, from raw SQL.
#[derive(diesel::QueryableByName)]
pub struct AsOrgRow {
    #[diesel(sql_type = Integer)]
    pub asn: i32,
    #[diesel(sql_type = Text)]
    pub as_org: String,
}

impl From<AsOrgRow> for AsOrg {
    fn from(r: AsOrgRow) -> Self {
        Self {
            asn: r.asn,
            org: r.as_org,
        }
    }
}

/// A country's typical counted reports, from raw SQL.
#[derive(diesel::QueryableByName)]
pub struct TypicalRow {
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Double)]
    pub expected: f64,
}

impl From<TypicalRow> for CountryLevel {
    fn from(r: TypicalRow) -> Self {
        Self {
            country: r.country,
            typical: r.expected,
        }
    }
}
