//! The rows of what the admin API manages, as both SQL backends read them: API keys, webhooks
//! and their deliveries (see [`super`]).

/// Defines the API key and webhook rows and their conversions in the module that calls
/// [`super::sql_rows!`], which brings the tables, diesel's prelude, the backend's `STORE`,
/// `parse_stored` and `StoreError` into scope.
macro_rules! admin_rows {
    ($db:ident) => {
        use diesel::dsl::SqlTypeOf;

        use crate::secret::Secret;
        use crate::store::{
            ApiKeyRecord, DeliveryRecord, DeliveryStatus, DueDelivery, WebhookEvent, WebhookRecord,
        };

        /// An API key, without its hash.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = api_keys, check_for_backend($db))]
        pub struct ApiKeyRow {
            pub id: i64,
            pub name: String,
            pub prefix: String,
            pub rate_per_minute: Option<i32>,
            pub created_at: chrono::DateTime<chrono::Utc>,
            pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
            pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
        }

        impl From<ApiKeyRow> for ApiKeyRecord {
            fn from(r: ApiKeyRow) -> Self {
                Self {
                    id: r.id,
                    name: r.name,
                    prefix: r.prefix,
                    rate_per_minute: r.rate_per_minute,
                    created_at: r.created_at,
                    last_used_at: r.last_used_at,
                    revoked_at: r.revoked_at,
                }
            }
        }

        /// A webhook, without its secret.
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = webhooks, check_for_backend($db))]
        pub struct WebhookRow {
            pub id: i64,
            pub url: String,
            pub description: Option<String>,
            pub created_at: chrono::DateTime<chrono::Utc>,
            pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
        }

        impl From<WebhookRow> for WebhookRecord {
            fn from(r: WebhookRow) -> Self {
                Self {
                    id: r.id,
                    url: r.url,
                    description: r.description,
                    created_at: r.created_at,
                    disabled_at: r.disabled_at,
                }
            }
        }

        /// One entry of a webhook's delivery log (deliveries joined with their events).
        #[derive(Queryable, Selectable)]
        #[diesel(table_name = webhook_deliveries, check_for_backend($db))]
        pub struct DeliveryRow {
            pub id: i64,
            pub event_id: i64,
            #[diesel(select_expression = incident_events::incident_id)]
            pub incident_id: i64,
            #[diesel(select_expression = incident_events::kind)]
            pub kind: String,
            pub status: String,
            pub attempts: i32,
            pub last_status_code: Option<i32>,
            pub last_error: Option<String>,
            pub next_attempt_at: chrono::DateTime<chrono::Utc>,
            pub created_at: chrono::DateTime<chrono::Utc>,
            pub delivered_at: Option<chrono::DateTime<chrono::Utc>>,
        }

        impl TryFrom<DeliveryRow> for DeliveryRecord {
            type Error = StoreError;

            fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
                let status = parse_stored(STORE, "webhook_deliveries.status", &r.status)?;
                Ok(Self {
                    id: r.id,
                    event_id: r.event_id,
                    incident_id: r.incident_id,
                    kind: parse_stored(STORE, "incident_events.kind", &r.kind)?,
                    next_attempt_at: (status == DeliveryStatus::Pending)
                        .then_some(r.next_attempt_at),
                    status,
                    attempts: r.attempts,
                    last_status_code: r.last_status_code,
                    last_error: r.last_error,
                    created_at: r.created_at,
                    delivered_at: r.delivered_at,
                })
            }
        }

        /// A claimed delivery with its webhook and event (deliveries joined with webhooks,
        /// events and incidents); also the rows of raw SQL naming these columns.
        #[derive(Queryable, Selectable, QueryableByName)]
        #[diesel(table_name = webhook_deliveries, check_for_backend($db))]
        pub struct ClaimRow {
            pub id: i64,
            pub webhook_id: i64,
            pub attempts: i32,
            #[diesel(select_expression = webhooks::url)]
            #[diesel(sql_type = SqlTypeOf<webhooks::url>)]
            pub url: String,
            #[diesel(select_expression = webhooks::secret)]
            #[diesel(sql_type = SqlTypeOf<webhooks::secret>)]
            pub secret: String,
            pub event_id: i64,
            #[diesel(select_expression = incident_events::incident_id)]
            #[diesel(sql_type = SqlTypeOf<incident_events::incident_id>)]
            pub incident_id: i64,
            #[diesel(select_expression = incidents::service)]
            #[diesel(sql_type = SqlTypeOf<incidents::service>)]
            pub service: String,
            #[diesel(select_expression = incidents::scope)]
            #[diesel(sql_type = SqlTypeOf<incidents::scope>)]
            pub scope: String,
            #[diesel(select_expression = incident_events::kind)]
            #[diesel(sql_type = SqlTypeOf<incident_events::kind>)]
            pub kind: String,
            #[diesel(select_expression = incident_events::state)]
            #[diesel(sql_type = SqlTypeOf<incident_events::state>)]
            pub state: String,
            #[diesel(select_expression = incident_events::observed)]
            #[diesel(sql_type = SqlTypeOf<incident_events::observed>)]
            pub observed: f64,
            #[diesel(select_expression = incident_events::expected)]
            #[diesel(sql_type = SqlTypeOf<incident_events::expected>)]
            pub expected: f64,
            #[diesel(select_expression = incident_events::score)]
            #[diesel(sql_type = SqlTypeOf<incident_events::score>)]
            pub score: f64,
            #[diesel(select_expression = incident_events::at)]
            #[diesel(sql_type = SqlTypeOf<incident_events::at>)]
            pub at: chrono::DateTime<chrono::Utc>,
            #[diesel(select_expression = incidents::methodology)]
            #[diesel(sql_type = SqlTypeOf<incidents::methodology>)]
            pub methodology: String,
        }

        impl TryFrom<ClaimRow> for DueDelivery {
            type Error = StoreError;

            fn try_from(r: ClaimRow) -> Result<Self, StoreError> {
                Ok(Self {
                    id: r.id,
                    webhook_id: r.webhook_id,
                    url: r.url,
                    secret: Secret::new(r.secret),
                    attempts: r.attempts,
                    event: WebhookEvent {
                        id: r.event_id,
                        incident_id: r.incident_id,
                        service: r.service,
                        scope: parse_stored(STORE, "incidents.scope", &r.scope)?,
                        kind: parse_stored(STORE, "incident_events.kind", &r.kind)?,
                        state: parse_stored(STORE, "incident_events.state", &r.state)?,
                        observed: r.observed,
                        expected: r.expected,
                        score: r.score,
                        at: r.at,
                        methodology: r.methodology,
                    },
                })
            }
        }
    };
}

pub(crate) use admin_rows;
