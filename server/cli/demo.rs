//! `downwatch demo`: the flags of [`crate::demo`].

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::CliError;
use crate::demo::DemoOptions;

/// The flags of `downwatch demo`.
#[derive(Args)]
pub struct DemoArgs {
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

/// Runs the demo until SIGINT or SIGTERM.
pub async fn run(args: DemoArgs) -> Result<(), CliError> {
    crate::demo::run(DemoOptions {
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
    .await?;
    Ok(())
}
