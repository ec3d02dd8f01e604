//! The rules every [`Config`] obeys, whoever built it (`downwatch serve`, the demo, the
//! tests): [`Config::validate`] refuses what cannot work and brings limits into the range
//! the server works in.

use std::time::Duration;

use super::{Backend, Config};
use crate::corroborate::{MAX_EVERY, MIN_EVERY};

/// The shortest accepted `DOWNWATCH_SECRET`, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// The shortest accepted `DOWNWATCH_READ_MAX_LAG`: the replica is checked four times within
/// the bound, and no more often than every 50 ms.
pub const MIN_READ_MAX_LAG: Duration = Duration::from_millis(200);

/// Why a configuration was refused; each names the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The storage settings do not go together: one of `DATABASE_URL` and `REDIS_URL` is set
    /// without the other, or `DATABASE_READ_URL` without them (the message, from
    /// [`crate::store::Backend::from_urls`] or [`crate::store::Backend::with_read_replica`],
    /// names them).
    #[error("{0}")]
    Backend(String),
    /// The reporter-pseudonym secret is too short to key a hash with.
    #[error("DOWNWATCH_SECRET must be at least {min} characters")]
    SecretTooShort { min: usize },
    /// Phrases published with fewer than two reporters would publish one person's words.
    #[error("DOWNWATCH_PHRASE_MIN_REPORTERS must be at least 2 (it is {0})")]
    PhraseThresholdTooLow(u32),
}

impl Config {
    /// The configuration as the server runs it, or why it cannot run.
    ///
    /// Refuses a secret shorter than [`MIN_SECRET_LEN`] and a phrase threshold below 2; takes an empty admin token for none
    /// (the admin API off); and brings each limit below its working range up to it (and the
    /// batch size down to 4000, the most one statement takes): at least one report per batch,
    /// one in the queue, 2 days of retention, 100 ms between repair passes, 1 s dedupe and
    /// rate windows, 200 ms of read-replica lag, 10 ms between webhook polls, 100 ms for a
    /// receiver to answer, one delivery attempt and one day of delivery log.
    pub fn validate(mut self) -> Result<Config, ConfigError> {
        if self.secret.expose().len() < MIN_SECRET_LEN {
            return Err(ConfigError::SecretTooShort {
                min: MIN_SECRET_LEN,
            });
        }
        self.admin_token = self.admin_token.filter(|t| !t.expose().is_empty());
        if self.phrase_min_reporters < 2 {
            return Err(ConfigError::PhraseThresholdTooLow(
                self.phrase_min_reporters,
            ));
        }

        let ingest = &mut self.ingest;
        ingest.max_batch = ingest.max_batch.clamp(1, 4000);
        ingest.queue_capacity = ingest.queue_capacity.max(1);
        ingest.retention_days = ingest.retention_days.max(2);
        ingest.repair_every = ingest.repair_every.max(Duration::from_millis(100));

        let gate = &mut self.gate;
        gate.dedupe_secs = gate.dedupe_secs.max(1);
        gate.rate_window_secs = gate.rate_window_secs.max(1);

        if let Backend::Production {
            read_replica: Some(replica),
            ..
        } = &mut self.backend
        {
            replica.max_lag = replica.max_lag.max(MIN_READ_MAX_LAG);
        }

        let webhooks = &mut self.webhooks;
        webhooks.poll = webhooks.poll.max(Duration::from_millis(10));
        webhooks.timeout = webhooks.timeout.max(Duration::from_millis(100));
        webhooks.max_attempts = webhooks.max_attempts.max(1);
        webhooks.log_days = webhooks.log_days.max(1);
        let status = &mut self.status;
        status.every = status.every.clamp(MIN_EVERY, MAX_EVERY);
        status.timeout = status
            .timeout
            .clamp(Duration::from_secs(1), Duration::from_secs(60));
        status.max_bytes = status.max_bytes.clamp(64 << 10, 64 << 20);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        Backend, GateLimits, IngestConfig, WebhookConfig, DEFAULT_GATE, DEFAULT_READ_LIMITS,
    };
    use crate::secret::Secret;

    fn config() -> Config {
        Config::new(
            Backend::Embedded,
            Secret::new("0123456789abcdef"),
            "./downwatch-data".into(),
        )
    }

    #[test]
    fn a_phrase_threshold_below_two_is_refused_by_name() {
        let one = Config {
            phrase_min_reporters: 1,
            ..config()
        };
        let err = one
            .validate()
            .expect_err("k = 1 publishes one person's words");
        assert_eq!(err, ConfigError::PhraseThresholdTooLow(1));
        assert!(err.to_string().contains("DOWNWATCH_PHRASE_MIN_REPORTERS"));
    }

    #[test]
    fn a_secret_shorter_than_16_characters_is_refused_by_name() {
        let short = Config {
            secret: Secret::new("0123456789abcde"),
            ..config()
        };
        let err = short.validate().expect_err("15 characters");
        assert_eq!(err, ConfigError::SecretTooShort { min: 16 });
        assert_eq!(
            err.to_string(),
            "DOWNWATCH_SECRET must be at least 16 characters"
        );
        assert!(config().validate().is_ok(), "16 characters are enough");
    }

    #[test]
    fn one_production_store_without_the_other_is_refused_by_name() {
        let db = Some("postgres://db".to_owned());
        let redis = Some("redis://redis".to_owned());
        let backend = |db, redis| Backend::from_urls(db, redis).map_err(ConfigError::Backend);
        let err = backend(db.clone(), None).expect_err("no Redis");
        assert_eq!(
            err.to_string(),
            "DATABASE_URL is set but REDIS_URL is not: set both (Postgres + Redis) or neither (embedded storage)"
        );
        let err = backend(Some(String::new()), redis.clone()).expect_err("no Postgres");
        assert_eq!(
            err.to_string(),
            "REDIS_URL is set but DATABASE_URL is not: set both (Postgres + Redis) or neither (embedded storage)"
        );
        assert_eq!(backend(None, Some(String::new())), Ok(Backend::Embedded));
        assert!(matches!(backend(db, redis), Ok(Backend::Production { .. })));
    }

    #[test]
    fn a_read_replica_needs_postgres_and_a_lag_bound_of_at_least_200_ms() {
        let production = Backend::from_urls(Some("postgres://p".into()), Some("redis://r".into()))
            .expect("production");
        let lag = Duration::from_secs(5);
        assert_eq!(
            production
                .clone()
                .with_read_replica(Some(String::new()), lag),
            Ok(production.clone()),
            "an empty DATABASE_READ_URL is none"
        );
        let err = Backend::Embedded
            .with_read_replica(Some("postgres://r".into()), lag)
            .expect_err("no primary");
        assert!(
            err.starts_with("DATABASE_READ_URL is set but DATABASE_URL is not"),
            "{err}"
        );

        let backend = production
            .with_read_replica(Some("postgres://replica".into()), Duration::ZERO)
            .expect("with replica");
        let config = Config {
            backend,
            ..config()
        }
        .validate()
        .expect("valid");
        let Backend::Production {
            read_replica: Some(replica),
            ..
        } = config.backend
        else {
            panic!("the replica is kept: {:?}", config.backend);
        };
        assert_eq!(replica.url, "postgres://replica");
        assert_eq!(replica.max_lag, MIN_READ_MAX_LAG);
    }

    #[test]
    fn an_empty_admin_token_turns_the_admin_api_off() {
        let empty = Config {
            admin_token: Some(Secret::new("")),
            ..config()
        };
        assert_eq!(empty.validate().expect("valid").admin_token, None);
        let set = Config {
            admin_token: Some(Secret::new("t")),
            ..config()
        };
        assert_eq!(
            set.validate().expect("valid").admin_token,
            Some(Secret::new("t"))
        );
    }

    #[test]
    fn limits_out_of_range_are_brought_to_the_nearest_working_value() {
        let zero = Config {
            ingest: IngestConfig {
                max_batch: 0,
                queue_capacity: 0,
                retention_days: -5,
                repair_every: Duration::ZERO,
                ..IngestConfig::default()
            },
            gate: GateLimits {
                dedupe_secs: 0,
                rate_limit: 0,
                rate_window_secs: 0,
            },
            webhooks: WebhookConfig {
                poll: Duration::ZERO,
                timeout: Duration::ZERO,
                backoff_base: Duration::ZERO,
                max_attempts: 0,
                log_days: 0,
            },
            ..config()
        }
        .validate()
        .expect("valid");
        assert_eq!(zero.ingest.max_batch, 1);
        assert_eq!(zero.ingest.queue_capacity, 1);
        assert_eq!(zero.ingest.retention_days, 2);
        assert_eq!(zero.ingest.repair_every, Duration::from_millis(100));
        assert_eq!(zero.gate.dedupe_secs, 1);
        assert_eq!(zero.gate.rate_limit, 0, "0 reports per window is a choice");
        assert_eq!(zero.gate.rate_window_secs, 1);
        assert_eq!(zero.webhooks.poll, Duration::from_millis(10));
        assert_eq!(zero.webhooks.timeout, Duration::from_millis(100));
        assert_eq!(zero.webhooks.backoff_base, Duration::ZERO);
        assert_eq!(zero.webhooks.max_attempts, 1);
        assert_eq!(zero.webhooks.log_days, 1);

        let huge = Config {
            ingest: IngestConfig {
                max_batch: 1_000_000,
                ..IngestConfig::default()
            },
            ..config()
        };
        assert_eq!(huge.validate().expect("valid").ingest.max_batch, 4000);
    }

    #[test]
    fn the_defaults_are_left_as_they_are() {
        let checked = config().validate().expect("valid");
        assert_eq!(checked.ingest.max_batch, IngestConfig::default().max_batch);
        assert_eq!(checked.webhooks, WebhookConfig::default());
        assert_eq!(checked.gate.dedupe_secs, DEFAULT_GATE.dedupe_secs);
        assert_eq!(checked.read_limits, DEFAULT_READ_LIMITS);
    }
}
