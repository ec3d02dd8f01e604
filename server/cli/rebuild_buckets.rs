//! `downwatch rebuild-buckets`: recomputes the Redis minute buckets of a period from the
//! Postgres report log.

use chrono::{DateTime, Utc};
use clap::Args;

use super::args::parse_since;
use super::{CliError, DatabaseArgs};
use crate::ingest::reconcile;
use crate::store::postgres::PgStore;
use crate::store::redis::RedisStore;

/// The flags of `downwatch rebuild-buckets`.
#[derive(Args)]
pub struct RebuildArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    redis: RedisArgs,
    /// Start of the period: a date (2026-11-27) or an RFC 3339 time. The hot window is 26 h.
    #[arg(long, value_parser = parse_since)]
    since: DateTime<Utc>,
}

/// The Redis whose buckets are rebuilt.
#[derive(Args)]
struct RedisArgs {
    /// Redis connection URL.
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    redis_url: String,
    /// Prefix of every Redis key (as the servers were started with).
    #[arg(long, env = "DOWNWATCH_REDIS_PREFIX", default_value = "")]
    redis_prefix: String,
}

/// Rebuilds every minute bucket since `--since`, reporting progress hour by hour.
pub async fn run(args: RebuildArgs) -> Result<(), CliError> {
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
