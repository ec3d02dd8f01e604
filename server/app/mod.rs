//! The state every request handler shares: [`AppState`], built once by [`crate::startup`].
//!
//! Where it sits in the module graph, which has no cycle (a module uses only modules to its
//! right):
//!
//! ```text
//! main → startup → openapi → web → http → app → store, ingest, read, catalog, config, …
//! ```
//!
//! - `http` is the JSON API and the edge every answer passes (problem errors, caching, rate
//!   limits); it never uses `web`.
//! - `web` is the site: pages, Atom feeds, badges and the HTML API reference. It uses `http`'s
//!   problem responses, one way only.
//! - `openapi` describes the routes of both, so it sits above them; `startup` hands its
//!   document down in [`AppState::openapi`], for `http` to serve and `web` to render.
//! - `app` holds the shared state and knows nothing of routes.

pub mod events;
pub mod read_cache;

use std::sync::Arc;

use crate::catalog::CatalogCache;
use crate::config::Config;
use crate::ingest::Ingest;
use crate::store::{StoreError, Stores};
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
    /// The k-anonymous phrases of the windows being read, per minute.
    pub phrases: crate::read::phrases::PhraseCache,
    /// Pages and hot API answers built once per change of their inputs.
    pub read_cache: Arc<read_cache::ReadCache>,
    /// The OpenAPI document as JSON ([`crate::openapi::document_json`]).
    pub openapi: &'static str,
}

impl AppState {
    /// Reloads the in-memory catalog from its store.
    pub async fn refresh_catalog(&self) -> Result<(), StoreError> {
        self.catalog
            .replace(self.stores.catalog.list_services().await?);
        self.read_cache.bump();
        Ok(())
    }
}
