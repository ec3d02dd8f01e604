//! The rows of official status, as both SQL backends read them (see [`super`]).

/// Defines the official status rows and their conversions in the module that calls
/// [`super::sql_rows!`], which brings diesel's prelude, the backend's `STORE`, `parse_stored`
/// and `StoreError` into scope.
macro_rules! official_rows {
    ($db:ident) => {
        use super::schema::{
            official_component_changes, official_incidents, official_links, official_sources,
        };
        use crate::store::{
            parse_json, ComponentChange, IncidentLink, OfficialIncident, SourceHealth,
        };

        /// A source's health.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = official_sources, check_for_backend($db))]
        pub struct SourceRow {
            pub service: String,
            pub kind: String,
            pub url: String,
            pub indicator: Option<String>,
            pub components: String,
            pub checked_at: chrono::DateTime<chrono::Utc>,
            pub ok_at: Option<chrono::DateTime<chrono::Utc>>,
            pub unavailable_since: Option<chrono::DateTime<chrono::Utc>>,
            pub error: Option<String>,
        }

        impl TryFrom<SourceRow> for SourceHealth {
            type Error = StoreError;

            fn try_from(r: SourceRow) -> Result<Self, StoreError> {
                Ok(Self {
                    kind: parse_stored(STORE, "official_sources.kind", &r.kind)?,
                    indicator: match &r.indicator {
                        Some(i) => Some(parse_stored(STORE, "official_sources.indicator", i)?),
                        None => None,
                    },
                    components: parse_json(STORE, "official_sources.components", &r.components)?,
                    service: r.service,
                    url: r.url,
                    checked_at: r.checked_at,
                    ok_at: r.ok_at,
                    unavailable_since: r.unavailable_since,
                    error: r.error,
                })
            }
        }

        /// A component change.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = official_component_changes, check_for_backend($db))]
        pub struct ComponentChangeRow {
            pub component: String,
            pub status: String,
            pub changed_at: chrono::DateTime<chrono::Utc>,
        }

        impl TryFrom<ComponentChangeRow> for ComponentChange {
            type Error = StoreError;

            fn try_from(r: ComponentChangeRow) -> Result<Self, StoreError> {
                Ok(Self {
                    status: parse_stored(STORE, "official_component_changes.status", &r.status)?,
                    component: r.component,
                    changed_at: r.changed_at,
                })
            }
        }

        /// An official incident.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = official_incidents, check_for_backend($db))]
        pub struct OfficialRow {
            pub id: i64,
            pub service: String,
            pub external_id: String,
            pub title: String,
            pub impact: String,
            pub stage: String,
            pub url: Option<String>,
            pub components: Vec<String>,
            pub started_at: chrono::DateTime<chrono::Utc>,
            pub first_posted_at: chrono::DateTime<chrono::Utc>,
            pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
            pub updates: String,
        }

        impl TryFrom<OfficialRow> for OfficialIncident {
            type Error = StoreError;

            fn try_from(r: OfficialRow) -> Result<Self, StoreError> {
                Ok(Self {
                    impact: parse_stored(STORE, "official_incidents.impact", &r.impact)?,
                    stage: parse_stored(STORE, "official_incidents.stage", &r.stage)?,
                    updates: parse_json(STORE, "official_incidents.updates", &r.updates)?,
                    id: r.id,
                    service: r.service,
                    external_id: r.external_id,
                    title: r.title,
                    url: r.url,
                    components: r.components,
                    started_at: r.started_at,
                    first_posted_at: r.first_posted_at,
                    resolved_at: r.resolved_at,
                })
            }
        }

        /// A link between an incident and an official one.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = official_links, check_for_backend($db))]
        pub struct LinkRow {
            pub incident_id: i64,
            pub official_id: i64,
            pub service: String,
            pub onset_at: chrono::DateTime<chrono::Utc>,
            pub lead_minutes: i32,
            pub linked_at: chrono::DateTime<chrono::Utc>,
        }

        impl From<LinkRow> for IncidentLink {
            fn from(r: LinkRow) -> Self {
                Self {
                    incident_id: r.incident_id,
                    official_id: r.official_id,
                    service: r.service,
                    onset_at: r.onset_at,
                    lead_minutes: r.lead_minutes,
                    linked_at: r.linked_at,
                }
            }
        }
    };
}

pub(crate) use official_rows;
