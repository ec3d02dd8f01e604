//! Arguments and value parsers that several subcommands share.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use clap::Args;

use super::CliError;
use crate::detect::config::DetectConfig;

/// The Postgres database of `migrate`, `rollup` and `rebuild-buckets`.
#[derive(Args)]
pub struct DatabaseArgs {
    /// Postgres connection URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
}

/// `--since`: a date (midnight UTC) or an RFC 3339 time.
pub(super) fn parse_since(raw: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{raw:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"))
}

/// The detector thresholds of a TOML file, or the built-in ones without a file.
pub(super) fn load_detect_config(path: Option<&Path>) -> Result<DetectConfig, CliError> {
    let Some(path) = path else {
        return Ok(DetectConfig::default());
    };
    let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadDetectConfig {
        path: path.to_owned(),
        source,
    })?;
    DetectConfig::from_toml(&text).map_err(|reason| CliError::DetectConfig {
        path: path.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_is_a_date_or_an_rfc_3339_time() {
        assert_eq!(
            parse_since("2026-11-27").map(|t| t.to_rfc3339()),
            Ok("2026-11-27T00:00:00+00:00".to_owned())
        );
        assert_eq!(
            parse_since("2026-11-27T10:00:00+01:00").map(|t| t.to_rfc3339()),
            Ok("2026-11-27T09:00:00+00:00".to_owned())
        );
        assert!(parse_since("yesterday").is_err());
    }
}
