//! `downwatch rollup`: recomputes the 15-minute rollups of a period from the report log.

use chrono::{DateTime, Utc};
use clap::Args;

use super::args::parse_since;
use super::{CliError, DatabaseArgs};
use crate::store::postgres::PgStore;
use crate::store::RollupStore;

/// The flags of `downwatch rollup`.
#[derive(Args)]
pub struct RollupArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Start of the period to recompute: a date (2026-11-27) or an RFC 3339 time.
    #[arg(long, value_parser = parse_since)]
    since: DateTime<Utc>,
}

/// Rewrites the rollups since `--since` and says how many rows it wrote.
pub async fn run(args: RollupArgs) -> Result<(), CliError> {
    let pg = PgStore::new(&args.database.database_url, 2)?;
    eprintln!(
        "rollup: recomputing 15-minute rollups since {} …",
        args.since.to_rfc3339()
    );
    let rows = pg.rebuild_rollups(args.since).await?;
    println!("rollup: {rows} rollup rows written");
    Ok(())
}
