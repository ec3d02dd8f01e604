//! The hot path of a report, in order: validate → locate → pseudonymise → queue → group
//! commit (abuse gate, Postgres log, Redis buckets) → acknowledgement.
//!
//! A report is acknowledged only after the Postgres transaction holding it has committed.

pub mod phrase;
pub mod privacy;
pub mod queue;
pub mod reconcile;
pub mod validate;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::catalog::CatalogCache;
use crate::domain::Platform;
use crate::geo::GeoIp;
use crate::store::{GateCheck, NewReport};
use privacy::Hasher;
use queue::{Pending, QueueHandle};
use validate::{validate, ReportInput};

/// Why a report was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("unknown service {0:?}")]
    UnknownService(String),
    #[error("too many reports from this address")]
    RateLimited { retry_after_secs: u64 },
    #[error("the ingest queue is full")]
    Busy,
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("shutting down")]
    ShuttingDown,
}

/// What a client learns about its accepted report.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Ack {
    /// The report's id in the Postgres log.
    pub id: i64,
    /// False when the same reporter already reported this service within the dedupe window.
    pub counted: bool,
    pub service: String,
    pub symptoms: Vec<String>,
    pub country: Option<String>,
    pub subdivision: Option<String>,
    /// Where the reporter uses the service, if they said.
    pub platform: Option<Platform>,
    pub received_at: DateTime<Utc>,
}

/// Who sent a report, as far as the request tells.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: IpAddr,
    pub user_agent: String,
}

/// The entry point of ingestion, shared by request handlers.
pub struct Ingest {
    catalog: Arc<CatalogCache>,
    geo: Arc<GeoIp>,
    hasher: Hasher,
    queue: QueueHandle,
}

impl Ingest {
    pub fn new(
        catalog: Arc<CatalogCache>,
        geo: Arc<GeoIp>,
        hasher: Hasher,
        queue: QueueHandle,
    ) -> Self {
        Self {
            catalog,
            geo,
            hasher,
            queue,
        }
    }

    /// Takes one report through the whole path and waits for its acknowledgement.
    pub async fn submit(&self, input: ReportInput, client: Client) -> Result<Ack, IngestError> {
        let valid = validate(input, &self.catalog).inspect_err(|_| {
            crate::metrics::metrics()
                .reports
                .with_label_values(&["invalid"])
                .inc();
        })?;
        let received_at = Utc::now();
        let ids = self
            .hasher
            .pseudonyms(client.ip, &client.user_agent, received_at.date_naive());
        let place = self.geo.lookup(privacy::canonical(client.ip));

        // GeoIP wins when it knows the country (a form can claim anything); the form's region
        // fills in what GeoIP does not know.
        let (country, subdivision, region_source) = match (&place.country, &valid.region) {
            (Some(c), Some(r)) if *c == r.country && place.subdivision.is_none() => {
                (Some(c.clone()), r.subdivision.clone(), "geoip")
            }
            (Some(c), _) => (Some(c.clone()), place.subdivision.clone(), "geoip"),
            (None, Some(r)) => (Some(r.country.clone()), r.subdivision.clone(), "form"),
            (None, None) => (None, None, "none"),
        };
        let from_geoip = region_source == "geoip";
        let report = NewReport {
            received_at,
            service: valid.service.slug.clone(),
            symptoms: valid.symptoms,
            counted: false,
            reporter: ids.reporter,
            subnet: ids.subnet,
            country,
            subdivision,
            city: place.city.filter(|_| from_geoip),
            lat: place.lat.filter(|_| from_geoip).map(|v| v as f32),
            lon: place.lon.filter(|_| from_geoip).map(|v| v as f32),
            asn: place.asn.and_then(|a| i32::try_from(a).ok()),
            as_org: place.as_org,
            region_source,
            platform: valid.platform,
            phrase: valid.phrase.map(phrase::Phrase::into_string),
        };
        let check = GateCheck {
            address: ids.address,
            reporter: hex::encode(&report.reporter),
            service: report.service.clone(),
        };
        self.queue.submit(Pending { report, check }).await
    }
}
