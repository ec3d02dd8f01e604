//! The `downwatch` command line: the [`Cli`] parser, its [`Command`]s (one file each) and
//! [`run`], which starts logging and the async runtime, runs one command and turns its
//! outcome into an exit code. `server/main.rs` only parses and calls [`run`].

mod args;
#[cfg(feature = "demo")]
pub mod demo;
mod error;
pub mod geoip;
pub mod migrate;
pub mod rebuild_buckets;
pub mod replay;
pub mod rollup;
pub mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use args::DatabaseArgs;
pub use error::CliError;

/// Downwatch: crowdsourced outage detection. People report problems with a service;
/// Downwatch counts them, compares them with the normal level and tells when it is down.
#[derive(Parser)]
#[command(name = "downwatch", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The command line of this process; `downwatch` alone (as `cargo run` runs it) serves.
    pub fn parse_or_serve() -> Self {
        if std::env::args_os().len() <= 1 {
            Cli::parse_from(["downwatch", "serve"])
        } else {
            Cli::parse()
        }
    }
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the web server and API (migrates the database first).
    Serve(Box<serve::ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Recompute the Redis minute buckets from the Postgres report log.
    RebuildBuckets(rebuild_buckets::RebuildArgs),
    /// Recompute the 15-minute rollups (the detector's history) from the report log.
    Rollup(rollup::RollupArgs),
    /// Run the detector offline over a CSV time series `timestamp,value`; writes
    /// `timestamp,value,anomaly_score,state` to stdout, one row per input row.
    #[command(after_long_help = replay::REPLAY_RULES)]
    Replay(replay::ReplayArgs),
    /// Run a complete Downwatch with synthetic traffic: weeks of backfilled history, live
    /// reports through the real API and scripted outages (see docs/demo.md).
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Free GeoIP databases: fetch one into the data directory, or look an address up.
    #[command(subcommand)]
    Geoip(geoip::GeoipCommand),
}

impl Command {
    /// Whether the command's own output is what the user wants, rather than the logs.
    fn prints_its_own(&self) -> bool {
        match self {
            #[cfg(feature = "demo")]
            Command::Demo(_) => true,
            Command::Geoip(_) => true,
            _ => false,
        }
    }

    async fn run(self) -> Result<(), CliError> {
        match self {
            Command::Serve(args) => serve::run(*args).await,
            Command::Migrate(args) => migrate::run(args).await,
            Command::RebuildBuckets(args) => rebuild_buckets::run(args).await,
            Command::Rollup(args) => rollup::run(args).await,
            Command::Replay(args) => replay::run(args),
            #[cfg(feature = "demo")]
            Command::Demo(args) => demo::run(args).await,
            Command::Geoip(command) => geoip::run(command).await,
        }
    }
}

/// Runs one command to its end: success, or `downwatch: ` and the error with its causes on
/// standard error and a failure exit code.
pub fn run(cli: Cli) -> ExitCode {
    // The demo prints what it does; its server's request logs would drown that out. The
    // geoip commands print their own results (on standard output, where logs go too).
    if cli.command.prints_its_own() && std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "warn");
    }
    crate::telemetry::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("downwatch: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli.command.run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("downwatch: {}", e.with_causes());
            ExitCode::FAILURE
        }
    }
}
