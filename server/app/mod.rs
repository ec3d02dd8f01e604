//! The state every request handler shares: [`AppState`], built once by [`crate::startup`].
//! Both `http` (the JSON API) and `web` (the pages) take their state from here; `app` knows
//! nothing of routes, and sits on the domain (`store`, `ingest`, `read`, `catalog`, …).

pub mod events;

use std::sync::Arc;

use crate::catalog::CatalogCache;
use crate::config::Config;
use crate::ingest::Ingest;
use crate::store::StoreError;
use crate::store::Stores;
pub use events::EventHub;

/// What every handler can reach.
pub struct AppState {
    pub config: Arc<Config>,
    /// The catalog of services, in memory (see [`AppState::refresh_catalog`]).
    pub catalog: Arc<CatalogCache>,
    /// Every store this process opened.
    pub stores: Stores,
    /// This process's follower of the shared event log.
    pub events: EventHub,
    pub ingest: Arc<Ingest>,
    /// The data sources pages credit (CC BY GeoIP databases in use).
    pub credits: Vec<crate::geo::Credit>,
    /// The map's typical levels of the current minute.
    pub typical: crate::read::breakdown::TypicalCache,
    /// The baselines of the series being read, per rollup watermark.
    pub expected: crate::read::expected::ExpectedCache,
    /// The settled part of the recent windows being read, per minute.
    pub settled: crate::read::recent::SettledCounters,
}

impl AppState {
    /// Reloads the in-memory catalog from its store.
    pub async fn refresh_catalog(&self) -> Result<(), StoreError> {
        self.catalog
            .replace(self.stores.catalog.list_services().await?);
        Ok(())
    }
}
