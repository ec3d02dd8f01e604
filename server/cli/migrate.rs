//! `downwatch migrate`: applies pending database migrations and exits.

use super::{CliError, DatabaseArgs};
use crate::store::postgres::run_migrations;

/// Applies the pending migrations, printing each (or that there were none).
pub async fn run(args: DatabaseArgs) -> Result<(), CliError> {
    let applied = run_migrations(&args.database_url).await?;
    if applied.is_empty() {
        println!("database schema is up to date");
    }
    for version in applied {
        println!("applied migration {version}");
    }
    Ok(())
}
