//! `downwatch serve`: the web server and API, configured by flags and their environment
//! variables.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use ipnet::IpNet;

use super::args::load_detect_config;
use super::CliError;
use crate::config::{
    parse_duration, parse_networks, Backend, Config, ConfigError, IngestConfig, ReadLimits,
    WebhookConfig, DEFAULT_GATE, DEFAULT_PHRASE_MIN_REPORTERS, DEFAULT_READ_LIMITS, MIN_SECRET_LEN,
};
use crate::corroborate::PollSettings;
use crate::detect::config::DetectConfig;
use crate::secret::Secret;
use crate::startup::Application;
use crate::store::GateLimits;

/// The flags of `downwatch serve`, each with its environment variable.
#[derive(Args)]
pub struct ServeArgs {
    /// Postgres connection URL. With REDIS_URL: the production stack. Without both: embedded
    /// storage (SQLite in the data directory, in-process buckets), for one process.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Postgres streaming replica of DATABASE_URL that the pages and the API read history
    /// from (incidents, outages, rollups, official status, phrases); writes, the detector and
    /// jobs stay on DATABASE_URL. Reads fall back to DATABASE_URL while it is down or lags.
    #[arg(long, env = "DATABASE_READ_URL", hide_env_values = true)]
    database_read_url: Option<String>,
    /// Reads go to DATABASE_URL while the read replica is further behind than this.
    #[arg(long, env = "DOWNWATCH_READ_MAX_LAG", value_parser = parse_duration, default_value = "5s")]
    read_max_lag: Duration,
    /// Redis connection URL (see DATABASE_URL); a cluster: redis+cluster://host:port,host:port,…
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Address and port to listen on.
    #[arg(long, env = "DOWNWATCH_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Master secret for reporter pseudonyms (16+ characters). Share it between the nodes of
    /// one deployment. Without it a random one is made at start, so duplicates are not
    /// recognised across restarts.
    #[arg(long, env = "DOWNWATCH_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Bearer token for admin endpoints; without it they are disabled.
    #[arg(long, env = "DOWNWATCH_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is trusted.
    #[arg(long, env = "DOWNWATCH_TRUSTED_PROXIES", value_parser = parse_networks, default_value = "")]
    trusted_proxies: std::vec::Vec<IpNet>,
    /// MaxMind City or Country database (.mmdb).
    #[arg(long, env = "GEOIP_CITY_DB")]
    geoip_city_db: Option<PathBuf>,
    /// MaxMind ASN database (.mmdb).
    #[arg(long, env = "GEOIP_ASN_DB")]
    geoip_asn_db: Option<PathBuf>,
    /// Prefix for every Redis key, to share one Redis between deployments or tests.
    #[arg(long, env = "DOWNWATCH_REDIS_PREFIX", default_value = "")]
    redis_prefix: String,
    /// Directory for local data.
    #[arg(long, env = "DOWNWATCH_DATA_DIR", default_value = "./downwatch-data")]
    data_dir: PathBuf,
    /// Seconds during which a reporter's repeat report for one service is not counted.
    #[arg(long, env = "DOWNWATCH_DEDUPE_SECS", default_value_t = DEFAULT_GATE.dedupe_secs)]
    dedupe_secs: u64,
    /// Reports one address may send per rate window.
    #[arg(long, env = "DOWNWATCH_RATE_LIMIT", default_value_t = DEFAULT_GATE.rate_limit)]
    rate_limit: u64,
    /// Length of the rate window in seconds.
    #[arg(long, env = "DOWNWATCH_RATE_WINDOW_SECS", default_value_t = DEFAULT_GATE.rate_window_secs)]
    rate_window_secs: u64,
    /// Reads (GET of /api/, /feeds/, /badge/) per minute per anonymous address; 0 = no limit.
    #[arg(long, env = "DOWNWATCH_READ_RATE_LIMIT", default_value_t = DEFAULT_READ_LIMITS.anonymous_per_minute)]
    read_rate_limit: u64,
    /// Reads per minute per API key without a rate of its own; 0 = no limit.
    #[arg(long, env = "DOWNWATCH_KEY_RATE_LIMIT", default_value_t = DEFAULT_READ_LIMITS.key_per_minute)]
    key_rate_limit: u64,
    /// A phrase of what reporters' screens said is shown only once this many distinct
    /// reporters sent it in the window (at least 2).
    #[arg(long, env = "DOWNWATCH_PHRASE_MIN_REPORTERS", default_value_t = DEFAULT_PHRASE_MIN_REPORTERS)]
    phrase_min_reporters: u32,
    /// Seconds a rendered page or hot API answer (home, service page, status, series) may be
    /// served from memory at most; it is rebuilt sooner after every detector tick. 0 = off.
    #[arg(long, env = "DOWNWATCH_READ_CACHE_SECS", default_value_t = crate::config::DEFAULT_READ_CACHE.as_secs(),
        value_parser = clap::value_parser!(u64).range(0..=60))]
    read_cache_secs: u64,
    /// TOML file overriding detector thresholds (see docs/detection.md); defaults otherwise.
    #[arg(long, env = "DOWNWATCH_DETECT_CONFIG")]
    detect_config: Option<PathBuf>,
    /// Do not campaign for detector leadership in this process (web-only node).
    #[arg(long, env = "DOWNWATCH_NO_DETECTOR")]
    no_detector: bool,
    /// Days of raw reports kept in Postgres (rollups and incidents are kept for good).
    #[arg(long, env = "DOWNWATCH_RETENTION_DAYS", default_value_t = IngestConfig::default().retention_days)]
    retention_days: i64,
    /// Most reports committed in one batch.
    #[arg(long, env = "DOWNWATCH_MAX_BATCH", default_value_t = IngestConfig::default().max_batch)]
    max_batch: usize,
    /// Reports that may wait for a commit before new ones get 503.
    #[arg(long, env = "DOWNWATCH_QUEUE_CAPACITY", default_value_t = IngestConfig::default().queue_capacity)]
    queue_capacity: usize,
    /// How often the reconciler looks for minute buckets to rebuild from the report log.
    #[arg(long, env = "DOWNWATCH_REPAIR_EVERY", value_parser = parse_duration, default_value = "10s")]
    repair_every: Duration,
    /// How long after a minute ends its bucket may be rebuilt (no report of it still in flight).
    #[arg(long, env = "DOWNWATCH_REPAIR_SETTLE", value_parser = parse_duration, default_value = "60s")]
    repair_settle: Duration,
    /// How often each node looks for incident events to deliver to webhooks and for
    /// deliveries due (500ms, 1s, …).
    #[arg(long, env = "DOWNWATCH_WEBHOOK_POLL", value_parser = parse_duration, default_value = "1s")]
    webhook_poll: Duration,
    /// How long a webhook receiver has to answer one delivery.
    #[arg(long, env = "DOWNWATCH_WEBHOOK_TIMEOUT", value_parser = parse_duration, default_value = "5s")]
    webhook_timeout: Duration,
    /// Wait after a webhook delivery's first failed attempt; it doubles after each further
    /// failure, up to 1 h.
    #[arg(long, env = "DOWNWATCH_WEBHOOK_BACKOFF", value_parser = parse_duration, default_value = "5s")]
    webhook_backoff: Duration,
    /// Attempts at one webhook delivery before it is marked failed.
    #[arg(long, env = "DOWNWATCH_WEBHOOK_MAX_ATTEMPTS", default_value_t = WebhookConfig::default().max_attempts)]
    webhook_max_attempts: u32,
    /// Days the webhook delivery log keeps finished deliveries (pending ones stay).
    #[arg(long, env = "DOWNWATCH_WEBHOOK_LOG_DAYS", default_value_t = WebhookConfig::default().log_days)]
    webhook_log_days: u32,
    /// Poll the services' official status pages (one node at a time, under a lease) and
    /// compare them with the crowd; off unless set (docs/status-pages.md).
    #[arg(long, env = "DOWNWATCH_STATUS_POLL")]
    status_poll: bool,
    /// How often each official status source is polled, 1m to 5m (jittered; failures back off).
    #[arg(long, env = "DOWNWATCH_STATUS_EVERY", value_parser = parse_duration, default_value = "2m")]
    status_every: Duration,
    /// How long one request to a status page may take.
    #[arg(long, env = "DOWNWATCH_STATUS_TIMEOUT", value_parser = parse_duration, default_value = "10s")]
    status_timeout: Duration,
    /// The largest status document read, in bytes.
    #[arg(long, env = "DOWNWATCH_STATUS_MAX_BYTES", default_value_t = PollSettings::default().max_bytes)]
    status_max_bytes: usize,
    /// Allow status sources on private or loopback addresses, and plain http (a local mirror).
    #[arg(long, env = "DOWNWATCH_STATUS_ALLOW_PRIVATE")]
    status_allow_private: bool,
}

/// Builds the configuration, binds the listener and serves until SIGINT or SIGTERM.
pub async fn run(args: ServeArgs) -> Result<(), CliError> {
    let config = config(args)?;
    let listener = TcpListener::bind(config.listen).map_err(|source| CliError::Listen {
        listen: config.listen,
        source,
    })?;
    let app = Application::build(config, listener).await?;
    tracing::info!(port = app.port(), "Downwatch is serving");
    app.run_until_stopped().await?;
    Ok(())
}

/// The flags as a [`Config`], validated.
fn config(args: ServeArgs) -> Result<Config, CliError> {
    let backend = Backend::from_urls(args.database_url, args.redis_url)
        .and_then(|b| b.with_read_replica(args.database_read_url, args.read_max_lag))
        .map_err(ConfigError::Backend)?;
    let secret = match args.secret {
        Some(s) => Secret::new(s),
        // One process on its own data: keep a generated secret next to the data.
        None if backend == Backend::Embedded => local_secret(&args.data_dir)?,
        None => {
            tracing::warn!(
                "DOWNWATCH_SECRET is not set: using a random secret, so repeat reports are not recognised across restarts or nodes"
            );
            Secret::new(uuid::Uuid::new_v4().simple().to_string())
        }
    };
    let config = Config {
        backend,
        redis_prefix: args.redis_prefix,
        listen: args.listen,
        secret,
        admin_token: args.admin_token.map(Secret::new),
        trusted_proxies: args.trusted_proxies,
        geoip_city_db: args.geoip_city_db,
        geoip_asn_db: args.geoip_asn_db,
        data_dir: args.data_dir,
        ingest: IngestConfig {
            max_batch: args.max_batch,
            queue_capacity: args.queue_capacity,
            retention_days: args.retention_days,
            repair_every: args.repair_every,
            repair_settle: args.repair_settle,
            ..IngestConfig::default()
        },
        // Read once the rest is known to be valid (below).
        detect: DetectConfig::default(),
        run_detector: !args.no_detector,
        webhooks: WebhookConfig {
            poll: args.webhook_poll,
            timeout: args.webhook_timeout,
            backoff_base: args.webhook_backoff,
            max_attempts: args.webhook_max_attempts,
            log_days: args.webhook_log_days,
        },
        phrase_min_reporters: args.phrase_min_reporters,
        read_cache: Duration::from_secs(args.read_cache_secs),
        status: PollSettings {
            enabled: args.status_poll,
            every: args.status_every,
            timeout: args.status_timeout,
            max_bytes: args.status_max_bytes,
            allow_private: args.status_allow_private,
        },
        read_limits: ReadLimits {
            anonymous_per_minute: args.read_rate_limit,
            key_per_minute: args.key_rate_limit,
        },
        gate: GateLimits {
            dedupe_secs: args.dedupe_secs,
            rate_limit: args.rate_limit,
            rate_window_secs: args.rate_window_secs,
        },
    };
    let config = config.validate()?;
    Ok(Config {
        detect: load_detect_config(args.detect_config.as_deref())?,
        ..config
    })
}

/// The secret kept in `<data dir>/secret` (created, readable by the owner only, on first use).
fn local_secret(data_dir: &Path) -> Result<Secret, CliError> {
    let path = data_dir.join("secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.trim();
        if text.len() >= MIN_SECRET_LEN {
            return Ok(Secret::new(text));
        }
    }
    std::fs::create_dir_all(data_dir).map_err(|source| CliError::CreateDataDir {
        path: data_dir.to_owned(),
        source,
    })?;
    let secret = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&path)
        .map_err(|source| CliError::WriteSecret {
            path: path.clone(),
            source,
        })?;
    std::io::Write::write_all(&mut file, secret.as_bytes())?;
    tracing::info!(file = %path.display(), "generated the reporter-pseudonym secret");
    Ok(Secret::new(secret))
}
