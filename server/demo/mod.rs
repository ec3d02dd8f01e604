//! `downwatch demo`: a complete Downwatch brought to life with synthetic traffic.
//!
//! It writes a synthetic GeoIP ([`geoip`], over the places of [`places`]), backfills weeks of
//! history straight into the stores ([`backfill`], with past incidents found by the real
//! detector in [`history`]), starts the same [`Application`] as `serve`, and then posts live
//! reports to it over HTTP ([`live`], with its own tiny [`client`]) following each service's
//! daily rhythm ([`rhythm`], [`population`], [`traffic`]) and a schedule of scripted outages
//! ([`outages`]). See `docs/demo.md`.

pub mod backfill;
pub mod client;
pub mod geoip;
pub mod history;
pub mod live;
pub mod official;
pub mod outages;
pub mod places;
pub mod population;
pub mod rhythm;
pub mod traffic;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use ipnet::IpNet;
use tokio::sync::watch;

use crate::catalog::seed::{seed_services, SeedError};
use crate::config::{Backend, Config, ConfigError};
use crate::geo::GeoIp;
use crate::ingest::reconcile;
use crate::secret::Secret;
use crate::startup::{Application, StartupError};
use crate::store::StoreError;
use backfill::{progress_bar, BackfillPlan};
use population::{Population, MAX_SERVICES};

/// Why the demo could not run.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("synthetic GeoIP: {0}")]
    GeoIp(String),
    #[error(transparent)]
    Geo(#[from] crate::geo::GeoError),
    #[error(transparent)]
    Open(#[from] crate::store::OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("built-in catalog: {0}")]
    Seed(#[from] SeedError),
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("server: {0}")]
    Server(std::io::Error),
}

impl From<crate::geo::fixture::FixtureError> for DemoError {
    fn from(e: crate::geo::fixture::FixtureError) -> Self {
        use crate::geo::fixture::FixtureError;
        match e {
            FixtureError::Build(e) => DemoError::GeoIp(e.to_string()),
            FixtureError::Io { path, source } => DemoError::Io { path, source },
        }
    }
}

impl DemoError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        DemoError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// What `downwatch demo` was asked to do.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Postgres and Redis (both or neither): as for `serve`; embedded storage otherwise.
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    pub listen: SocketAddr,
    /// The embedded storage and the synthetic GeoIP go here.
    pub data_dir: PathBuf,
    /// Days of backfilled history.
    pub days: u32,
    /// How many services get traffic.
    pub services: usize,
    /// Live traffic × this; scripted outages this many times sooner and shorter.
    pub speed: f64,
    /// Seed of all randomness; random when absent.
    pub seed: Option<u64>,
}

/// Runs the demo until SIGINT or SIGTERM.
pub async fn run(opts: DemoOptions) -> Result<(), DemoError> {
    check(&opts)?;
    let backend = Backend::from_urls(opts.database_url.clone(), opts.redis_url.clone())
        .map_err(ConfigError::Backend)?;
    check_data_dir(&opts.data_dir, &backend)?;
    let seed = opts
        .seed
        .unwrap_or_else(|| uuid::Uuid::new_v4().as_u64_pair().0 >> 16);
    let stop = stop_signal();
    tokio::pin!(stop);

    eprintln!(
        "Downwatch demo: {} services, {} of history, speed ×{}, seed {seed} (--seed {seed} repeats it)",
        opts.services,
        days(opts.days),
        opts.speed
    );
    let geo_dir = opts.data_dir.join("demo-geoip");
    let geo_paths = geoip::write_databases(&geo_dir)?;
    eprintln!(
        "synthetic GeoIP ({}) in {}",
        geoip::summary(),
        geo_dir.display()
    );
    let listener = TcpListener::bind(opts.listen).map_err(|e| {
        DemoError::Invalid(format!("cannot listen on {} (--listen): {e}", opts.listen))
    })?;
    let local = listener.local_addr().map_err(DemoError::Server)?;
    let config = Config {
        redis_prefix: opts.redis_prefix.clone(),
        listen: local,
        trusted_proxies: trusted_proxies(local.ip()),
        geoip_city_db: Some(geo_paths.city_db.clone()),
        geoip_asn_db: Some(geo_paths.asn_db.clone()),
        ..Config::new(
            backend,
            Secret::new(uuid::Uuid::new_v4().simple().to_string()),
            opts.data_dir.clone(),
        )
    }
    .validate()?;
    let geo = GeoIp::open(Some(&geo_paths.city_db), Some(&geo_paths.asn_db))?;

    let pop = tokio::select! {
        _ = &mut stop => {
            eprintln!("\ninterrupted; the data written so far is in {}", opts.data_dir.display());
            return Ok(());
        }
        pop = prepare(&config, &geo, &opts, seed) => pop?,
    };

    let app = Application::build(config, listener).await?;
    let target = SocketAddr::new(loopback_for(local.ip()), local.port());
    eprintln!(
        "serving on http://{local} — open it in a browser; the API is at /api/v1; Ctrl-C to stop"
    );
    let stores = app.stores();
    let mut server = tokio::spawn(app.run_until_stopped());
    let (stop_live, stopped) = watch::channel(false);
    let live_opts = live::LiveOptions {
        target,
        speed: opts.speed,
        seed,
    };
    // The chatbot's official status page follows the same live schedule (same start).
    tokio::spawn(official::run(
        pop.clone(),
        stores,
        Utc::now(),
        opts.speed,
        stopped.clone(),
    ));
    let live = tokio::spawn(live::run(pop, live_opts, stopped));

    let ended = tokio::select! {
        _ = &mut stop => None,
        r = &mut server => Some(r),
    };
    eprintln!("stopping…");
    let _ = stop_live.send(true);
    if let Ok(stats) = live.await {
        eprintln!(
            "live traffic: {} reports sent, {} accepted",
            stats.sent.load(Ordering::Relaxed),
            stats.accepted.load(Ordering::Relaxed)
        );
    }
    // The server has the signal too: it finishes its requests and drains the ingest queue.
    let ended = match ended {
        Some(r) => Some(r),
        None => tokio::time::timeout(Duration::from_secs(40), server)
            .await
            .ok(),
    };
    match ended {
        Some(Ok(Err(e))) => return Err(DemoError::Server(e)),
        Some(Err(e)) => return Err(DemoError::Server(std::io::Error::other(e))),
        Some(Ok(Ok(()))) | None => {}
    }
    eprintln!(
        "stopped; the demo's data stays in {} (run the demo again to carry on, or delete it)",
        opts.data_dir.display()
    );
    Ok(())
}

fn check(opts: &DemoOptions) -> Result<(), DemoError> {
    if !(1..=90).contains(&opts.days) {
        return Err(DemoError::Invalid("--days: from 1 to 90".into()));
    }
    if !(1..=MAX_SERVICES).contains(&opts.services) {
        return Err(DemoError::Invalid(format!(
            "--services: from 1 to {MAX_SERVICES}"
        )));
    }
    if !(opts.speed.is_finite() && opts.speed > 0.0 && opts.speed <= 1000.0) {
        return Err(DemoError::Invalid(
            "--speed: more than 0, at most 1000".into(),
        ));
    }
    Ok(())
}

/// The demo writes synthetic reports: never into a data directory it did not make.
fn check_data_dir(dir: &Path, backend: &Backend) -> Result<(), DemoError> {
    match backend {
        Backend::Embedded => {
            if dir.join("downwatch.sqlite3").exists() && !dir.join("demo-geoip").exists() {
                return Err(DemoError::Invalid(format!(
                    "{} holds Downwatch data that the demo did not make, and the demo writes \
                     synthetic reports: choose another --data-dir",
                    dir.display()
                )));
            }
        }
        Backend::Production { .. } => eprintln!(
            "warning: the demo writes synthetic reports into the DATABASE_URL database and \
             REDIS_URL: use throwaway ones"
        ),
    }
    Ok(())
}

/// Opens the stores, picks the services and backfills the history; returns the services.
async fn prepare(
    config: &Config,
    geo: &GeoIp,
    opts: &DemoOptions,
    seed: u64,
) -> Result<Population, DemoError> {
    let stores = crate::store::open(&config.store_location()).await?;
    stores.catalog.seed_services(&seed_services()?).await?;
    let catalog = stores.catalog.list_services().await?;
    let pop = Population::from_catalog(&catalog, opts.services);
    let now = Utc::now();
    let earliest = now - TimeDelta::days(i64::from(opts.days));
    let (from, fresh) = match stores.rollups.watermark().await? {
        Some(w) if w > earliest => (w, false),
        _ => (earliest, true),
    };
    if from >= now - TimeDelta::minutes(1) {
        return Ok(pop);
    }
    let gap = match (now - from).num_minutes() {
        m if m < 120 => format!("{m} minutes"),
        m => format!("{} hours", m / 60),
    };
    if fresh {
        eprintln!(
            "backfilling {} of history for {} services (about {} reports a day)…",
            days(opts.days),
            pop.services.len(),
            pop.per_day().round()
        );
    } else {
        eprintln!("carrying on the existing demo history: backfilling the last {gap}…");
    }
    let plan = BackfillPlan {
        from,
        to: now,
        seed,
        volume: 1.0,
        past_outages: fresh,
    };
    let mut last = String::new();
    let mut progress = |fraction: f64, label: &str| {
        let line = progress_bar(fraction, label);
        if line != last {
            eprint!("\r{line}");
            last = line;
        }
    };
    let summary = backfill::run(&stores, geo, &pop, &plan, &config.detect, &mut progress).await?;
    eprintln!();
    eprintln!(
        "backfilled {} reports in {:.1} s",
        summary.reports,
        summary.took.as_secs_f64()
    );
    for o in &summary.outages {
        eprintln!(
            "  past outage: {} ({} UTC)",
            o.title,
            o.start.format("%a %d %b %H:%M")
        );
    }
    if !summary.outages.is_empty() {
        eprintln!(
            "  the detector made {} incidents of them",
            summary.incidents
        );
    }
    if let Backend::Production { .. } = config.backend {
        // Embedded buckets are rebuilt from the log at start; Redis keeps what we write now.
        let hot = summary.to - TimeDelta::minutes(crate::store::HOT_WINDOW_MINUTES);
        let minutes = reconcile::rebuild(
            stores.log.as_ref(),
            stores.buckets.as_ref(),
            hot.max(from),
            summary.to + TimeDelta::minutes(1),
            |_, _, _| {},
        )
        .await?;
        eprintln!("rebuilt {minutes} minute buckets of the last hours in Redis");
    }
    Ok(pop)
}

fn days(n: u32) -> String {
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}

/// The demo's own client posts from loopback with `X-Forwarded-For`: trust it.
fn trusted_proxies(listen: IpAddr) -> Vec<IpNet> {
    let mut nets = vec![
        IpNet::from(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ];
    if !listen.is_unspecified() && !listen.is_loopback() {
        nets.push(IpNet::from(listen));
    }
    nets
}

/// Where to reach a server listening on `ip`.
fn loopback_for(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    ctrl_c().await;
}

/// Resolves on Ctrl-C; never when it cannot be listened for.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
