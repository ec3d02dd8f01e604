//! Wiring: stores, GeoIP, catalog and ingest queue → `AppState` → an HTTP server on a
//! given listener. Used by `downwatch serve` and by the integration tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use tokio::task::JoinHandle;
use tracing::{info, warn};

use chrono::Utc;

use crate::app::read_cache::{self, ReadCache};
use crate::app::{AppState, EventHub};
use crate::catalog::seed::seed_services;
use crate::catalog::CatalogCache;
use crate::config::Config;
use crate::geo::GeoIp;
use crate::http;
use crate::ingest::privacy::Hasher;
use crate::ingest::queue::{self, Committer};
use crate::ingest::{reconcile, Ingest};
use crate::store::Backend;

/// A client has this long to send its whole request head; then it gets a 408 and is
/// disconnected, so a client dribbling its headers (slowloris) cannot hold a connection.
/// Heads over 16 KiB of headers are refused with 431 (`http::limit_headers`).
pub const REQUEST_HEAD_TIMEOUT: Duration = Duration::from_secs(5);
/// An idle keep-alive connection is closed after this long.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// A connection being closed gets this long to shut down cleanly before it is dropped.
pub const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Why Downwatch could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Stores(#[from] crate::store::OpenError),
    #[error("{0}")]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Geo(#[from] crate::geo::GeoError),
    #[error("built-in catalog: {0}")]
    Seed(#[from] crate::catalog::seed::SeedError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
}

/// A started Downwatch: its HTTP server and the background tasks it needs.
pub struct Application {
    server: Server,
    port: u16,
    stores: crate::store::Stores,
    ingest_task: JoinHandle<()>,
    background: Vec<JoinHandle<()>>,
}

impl Application {
    /// Connects to the stores, migrates, seeds the catalog and binds the server.
    pub async fn build(config: Config, listener: TcpListener) -> Result<Self, StartupError> {
        let config = Arc::new(config);
        let stores = crate::store::open(&config.store_location()).await?;
        if config.backend == Backend::Embedded {
            let minutes = reconcile::refill_hot_window(
                stores.log.as_ref(),
                stores.buckets.as_ref(),
                Utc::now(),
            )
            .await?;
            info!(
                minutes,
                "in-process minute buckets refilled from the report log"
            );
        }
        let seeded = stores.catalog.seed_services(&seed_services()?).await?;
        let catalog = Arc::new(CatalogCache::default());
        catalog.replace(stores.catalog.list_services().await?);
        info!(services = catalog.len(), new = seeded, "catalog loaded");

        let geo = Arc::new(GeoIp::open_with_fetched(
            config.geoip_city_db.as_deref(),
            config.geoip_asn_db.as_deref(),
            &config.data_dir,
        )?);
        info!("{}", geo.describe());
        let credits = geo.credits().to_vec();

        let (queue, ingest_task) = queue::start(
            config.ingest,
            Committer {
                log: stores.log.clone(),
                gate: stores.gate.clone(),
                buckets: stores.buckets.clone(),
                limits: config.gate,
            },
        );
        let ingest = Arc::new(Ingest::new(
            catalog.clone(),
            geo,
            Hasher::new(config.secret.clone()),
            queue,
        ));
        let (events, events_task) = EventHub::start(stores.board.clone());
        let read_cache = Arc::new(ReadCache::new(config.read_cache));
        let watcher = tokio::spawn(read_cache::watch(
            read_cache.clone(),
            stores.board.clone(),
            events.subscribe(),
        ));
        let reads = web::Data::new(http::ReadLimiter::new(
            config.read_limits,
            Hasher::new(config.secret.clone()),
            stores.read_counter.clone(),
            stores.api_keys.clone(),
        ));
        let state = web::Data::new(AppState {
            config: config.clone(),
            catalog: catalog.clone(),
            // History from the read replica when there is one; the jobs below, the detector
            // and ingest keep the primary.
            stores: stores.readers(),
            events,
            ingest,
            typical: Default::default(),
            expected: Default::default(),
            settled: Default::default(),
            phrases: Default::default(),
            read_cache,
            credits,
            openapi: crate::openapi::document_json(),
        });

        let mut background = crate::jobs::spawn(&config, &stores, catalog.clone());
        background.push(events_task);
        background.push(watcher);

        let port = listener.local_addr()?.port();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(http::limit_reads))
                .wrap(actix_web::middleware::from_fn(http::limit_headers))
                .wrap(actix_web::middleware::from_fn(http::cache_and_cors))
                .wrap(actix_web::middleware::from_fn(crate::web::security_headers))
                .wrap(actix_web::middleware::from_fn(
                    crate::metrics::count_requests,
                ))
                .wrap_fn(http::log_requests)
                .wrap(actix_web::middleware::Compress::default())
                .app_data(state.clone())
                .app_data(reads.clone())
                .route("/metrics", web::get().to(crate::metrics::export))
                // The API first: its paths are plain text or under the `/api/v1` prefix, so a
                // report POST or a probe is routed without trying the pages' patterns (a
                // regex each). No path of one table is a path of the other.
                .configure(http::routes)
                .configure(crate::web::routes)
        })
        .client_request_timeout(REQUEST_HEAD_TIMEOUT)
        .client_disconnect_timeout(DISCONNECT_TIMEOUT)
        .keep_alive(KEEP_ALIVE)
        .listen(listener)?
        .shutdown_timeout(30)
        .run();
        Ok(Self {
            server,
            port,
            stores,
            ingest_task,
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The stores this process opened (its handlers use their [`Stores::readers`], the same
    /// ones unless there is a read replica), e.g. for a test that looks behind the API
    /// whatever the backend.
    ///
    /// [`Stores::readers`]: crate::store::Stores::readers
    pub fn stores(&self) -> crate::store::Stores {
        self.stores.clone()
    }

    /// Serves until the server stops (SIGINT/SIGTERM), then drains the ingest queue.
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        let result = self.server.await;
        for task in &self.background {
            task.abort();
        }
        info!("server stopped; draining the ingest queue");
        // The queue closes once the server's workers (and their AppState) are gone.
        if tokio::time::timeout(Duration::from_secs(30), self.ingest_task)
            .await
            .is_err()
        {
            warn!("ingest queue did not drain within 30 s");
        }
        info!("stopped");
        result
    }
}
