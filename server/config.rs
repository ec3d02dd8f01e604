//! Configuration: one struct per area, built from `downwatch serve` flags and their
//! environment variables (see [`crate::cli`]), by the demo, or in code by tests; every one
//! of them goes through [`Config::validate`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

use crate::corroborate::PollSettings;
use crate::detect::config::DetectConfig;
use crate::secret::Secret;
pub use crate::store::{Backend, ReadReplica};
use crate::store::{GateLimits, Location};

mod validate;

pub use validate::{ConfigError, MIN_READ_MAX_LAG, MIN_SECRET_LEN};

/// Everything a running Downwatch needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Which stores: Postgres + Redis, or the embedded ones.
    pub backend: Backend,
    /// Prefix for every Redis key (empty in production; unique per test).
    pub redis_prefix: String,
    /// `DOWNWATCH_LISTEN`: address to bind.
    pub listen: SocketAddr,
    /// `DOWNWATCH_SECRET`: master secret for reporter hashes.
    pub secret: Secret,
    /// `DOWNWATCH_ADMIN_TOKEN`: bearer token for admin endpoints; none disables them.
    pub admin_token: Option<Secret>,
    /// `DOWNWATCH_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// `GEOIP_CITY_DB`: MaxMind City or Country database; when unset, one fetched into
    /// `<data_dir>/geoip/` by `downwatch geoip fetch` is used if there is one.
    pub geoip_city_db: Option<PathBuf>,
    /// `GEOIP_ASN_DB`: MaxMind ASN database; when unset, as for `geoip_city_db`.
    pub geoip_asn_db: Option<PathBuf>,
    /// `DOWNWATCH_DATA_DIR`: where local data lives.
    pub data_dir: PathBuf,
    pub ingest: IngestConfig,
    pub gate: GateLimits,
    /// Read rate limits: anonymous clients and API keys.
    pub read_limits: ReadLimits,
    /// `DOWNWATCH_PHRASE_MIN_REPORTERS`: a phrase of what reporters' screens said is shown
    /// only once at least this many distinct reporters sent it in the window (k-anonymity;
    /// at least 2, default [`DEFAULT_PHRASE_MIN_REPORTERS`]).
    pub phrase_min_reporters: u32,
    /// `DOWNWATCH_READ_CACHE_SECS`: how long a built page or hot API answer may be served
    /// from memory at most (default [`DEFAULT_READ_CACHE`]; zero turns the cache off). It is
    /// rebuilt sooner after every detector tick (see [`crate::app::read_cache`]).
    pub read_cache: Duration,
    /// Detector thresholds and windows.
    pub detect: DetectConfig,
    /// Whether this process campaigns for detector leadership (`DOWNWATCH_DETECTOR`).
    pub run_detector: bool,
    /// Webhook deliveries.
    pub webhooks: WebhookConfig,
    /// Polling of the services' official status pages (off unless `DOWNWATCH_STATUS_POLL`).
    pub status: PollSettings,
}

impl Config {
    /// A configuration with every other setting at its default: a free loopback port, no
    /// admin token, no trusted proxies, no GeoIP databases but fetched ones, the default
    /// limits and thresholds, the detector campaigning for leadership, no official status
    /// polling. The demo and the tests start from it and change what they need, so that a
    /// new setting is added here and in `downwatch serve`, not in every one of them.
    pub fn new(backend: Backend, secret: Secret, data_dir: PathBuf) -> Self {
        Self {
            backend,
            redis_prefix: String::new(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            secret,
            admin_token: None,
            trusted_proxies: Vec::new(),
            geoip_city_db: None,
            geoip_asn_db: None,
            data_dir,
            ingest: IngestConfig::default(),
            gate: DEFAULT_GATE,
            phrase_min_reporters: DEFAULT_PHRASE_MIN_REPORTERS,
            read_cache: DEFAULT_READ_CACHE,
            read_limits: DEFAULT_READ_LIMITS,
            detect: DetectConfig::default(),
            run_detector: true,
            webhooks: WebhookConfig::default(),
            status: PollSettings::default(),
        }
    }

    /// Where and how this configuration's stores are opened.
    pub fn store_location(&self) -> Location<'_> {
        Location {
            backend: &self.backend,
            data_dir: &self.data_dir,
            redis_prefix: &self.redis_prefix,
            db_pool_size: self.ingest.db_pool_size,
        }
    }
}

/// The ingest queue and group commit.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    /// Reports waiting for a commit before new ones are refused with 503.
    pub queue_capacity: usize,
    /// Most reports in one batch (one INSERT, one Redis pipeline).
    pub max_batch: usize,
    /// How long the first report of a batch waits for company.
    pub linger: Duration,
    /// Batches committed concurrently.
    pub writers: usize,
    /// Postgres connections.
    pub db_pool_size: usize,
    /// Days of raw reports kept in Postgres (`DOWNWATCH_RETENTION_DAYS`); older daily
    /// partitions are dropped once their rollups are verified. Rollups and incidents stay.
    pub retention_days: i64,
    /// `DOWNWATCH_REPAIR_EVERY`: how often the reconciler looks for minute buckets to rebuild
    /// from the log (noted after a failed Redis update, or all of them after Redis lost them).
    pub repair_every: Duration,
    /// `DOWNWATCH_REPAIR_SETTLE`: how long after its end a minute is rebuilt, so that no report
    /// of it is still on its way to Redis.
    pub repair_settle: Duration,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 20_000,
            max_batch: 1_000,
            linger: Duration::ZERO,
            writers: 4,
            db_pool_size: 16,
            retention_days: 30,
            repair_every: Duration::from_secs(10),
            repair_settle: REPAIR_SETTLE,
        }
    }
}

/// A minute bucket is only rebuilt once its minute has been over for this long, so that no
/// report of that minute is still on its way to Redis while the bucket is recomputed (the
/// default of `DOWNWATCH_REPAIR_SETTLE`).
pub const REPAIR_SETTLE: Duration = Duration::from_secs(60);

/// The default abuse-gate limits: one counted report per reporter and service per 15
/// minutes, 30 reports per address per hour.
pub const DEFAULT_GATE: GateLimits = GateLimits {
    dedupe_secs: 15 * 60,
    rate_limit: 30,
    rate_window_secs: 3600,
};

/// The default of `DOWNWATCH_READ_CACHE_SECS`: answers are at most 5 seconds old.
pub const DEFAULT_READ_CACHE: Duration = Duration::from_secs(5);

/// The default k of k-anonymous phrases: five distinct reporters.
pub const DEFAULT_PHRASE_MIN_REPORTERS: u32 = 5;

/// How many reads (GET and HEAD of `/api/`, `/feeds/` and `/badge/`) a client may make per
/// minute. A limit of 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// `DOWNWATCH_READ_RATE_LIMIT`: per anonymous client address.
    pub anonymous_per_minute: u64,
    /// `DOWNWATCH_KEY_RATE_LIMIT`: per API key, for keys created without a rate of their own.
    pub key_per_minute: u64,
}

/// The default read limits: 300 requests a minute per address (a page polling every few
/// seconds is far below it), 6000 per API key.
pub const DEFAULT_READ_LIMITS: ReadLimits = ReadLimits {
    anonymous_per_minute: 300,
    key_per_minute: 6000,
};

/// Webhook deliveries: every node polls for incident events to deliver and for deliveries due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `DOWNWATCH_WEBHOOK_POLL`: how often a node looks for new events and due deliveries.
    pub poll: Duration,
    /// `DOWNWATCH_WEBHOOK_TIMEOUT`: how long a receiver has to answer one POST.
    pub timeout: Duration,
    /// `DOWNWATCH_WEBHOOK_BACKOFF`: the wait after the first failed attempt; it doubles after
    /// each further failure, up to [`MAX_WEBHOOK_BACKOFF`].
    pub backoff_base: Duration,
    /// `DOWNWATCH_WEBHOOK_MAX_ATTEMPTS`: attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// `DOWNWATCH_WEBHOOK_LOG_DAYS`: how long finished deliveries stay in the delivery log.
    pub log_days: u32,
}

/// The longest wait between two attempts at one delivery.
pub const MAX_WEBHOOK_BACKOFF: Duration = Duration::from_secs(3600);

impl Default for WebhookConfig {
    /// Every second; 5 s to answer; retries after 5 s, 10 s, 20 s … 1 h: 12 attempts span
    /// about 2 h 25 min, so a receiver down for a deploy or a short outage misses nothing.
    fn default() -> Self {
        Self {
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
            backoff_base: Duration::from_secs(5),
            max_attempts: 12,
            log_days: 30,
        }
    }
}

impl WebhookConfig {
    /// The wait after the `failures`-th failed attempt (1 for the first):
    /// `backoff_base · 2^(failures − 1)`, at most [`MAX_WEBHOOK_BACKOFF`].
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(31);
        self.backoff_base
            .saturating_mul(1 << doublings)
            .min(MAX_WEBHOOK_BACKOFF)
    }
}

/// Parses a duration such as `500ms`, `5s`, `2m` or `1h` (a bare number is seconds).
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .len();
    let (number, unit) = raw.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration like 500ms, 5s, 2m or 1h"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" | "" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        _ => Err(format!("{raw:?}: the unit must be ms, s, m or h")),
    }
}

/// Parses a comma-separated list of addresses or CIDR networks.
pub fn parse_networks(raw: &str) -> Result<Vec<IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{s:?} is not an IP address or CIDR network"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_their_unit() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn webhook_backoff_doubles_from_the_base_up_to_an_hour() {
        let cfg = WebhookConfig::default();
        let waits: Vec<u64> = (1..=12).map(|n| cfg.backoff(n).as_secs()).collect();
        assert_eq!(
            waits,
            [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]
        );
        // 11 waits between 12 attempts.
        assert_eq!(waits[..11].iter().sum::<u64>(), 8715);
        assert_eq!(cfg.backoff(u32::MAX), MAX_WEBHOOK_BACKOFF);
        assert_eq!(cfg.backoff(0), cfg.backoff_base);
    }

    #[test]
    fn networks_parse_addresses_and_cidrs() {
        let nets = parse_networks("127.0.0.1, 10.0.0.0/8,::1").expect("valid");
        assert_eq!(nets.len(), 3);
        assert!(parse_networks("10.0.0.0/8,nonsense").is_err());
        assert!(parse_networks("").expect("empty is fine").is_empty());
    }
}
