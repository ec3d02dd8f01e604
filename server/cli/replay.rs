//! `downwatch replay`: the detector run offline over a CSV export, one scored row out per
//! row in.

use std::path::PathBuf;

use clap::Args;

use super::args::load_detect_config;
use super::CliError;
use crate::detect::replay::{replay_with, ReplayOptions};

/// How `downwatch replay` reads an export (shown by `downwatch replay --help`).
pub const REPLAY_RULES: &str = "\
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

/// The flags of `downwatch replay`.
#[derive(Args)]
pub struct ReplayArgs {
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

/// Replays the input to standard output and prints a summary on standard error.
pub fn run(args: ReplayArgs) -> Result<(), CliError> {
    let cfg = load_detect_config(args.config.as_deref())?;
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
        let file = std::fs::File::open(&args.input).map_err(|source| CliError::OpenInput {
            path: args.input.clone(),
            source,
        })?;
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

fn parse_zone(raw: &str) -> Result<chrono_tz::Tz, String> {
    raw.parse().map_err(|_| {
        format!("{raw:?} is not an IANA time zone such as Europe/Rome or America/New_York")
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_lengths_are_minutes_or_hours_up_to_a_day() {
        assert_eq!(parse_bucket("5m"), Ok(5));
        assert_eq!(parse_bucket("15"), Ok(15));
        assert_eq!(parse_bucket("1h"), Ok(60));
        assert_eq!(parse_bucket("24h"), Ok(1440));
        assert!(parse_bucket("0m").is_err());
        assert!(parse_bucket("25h").is_err());
        assert!(parse_bucket("5s").is_err());
    }

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(parse_zone("Europe/Rome"), Ok(chrono_tz::Europe::Rome));
        assert!(parse_zone("Mars/Base").is_err());
    }
}
