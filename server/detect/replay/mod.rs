//! `downwatch replay`: runs the detector over a CSV of counts, so that anyone can check a
//! decision, or try the method on their own data, with exactly the code the server runs.
//!
//! Input is `timestamp,value` with a header line (`;` or a tab also separate, when the header
//! uses them); output is one line per input row, in input order,
//! `timestamp,value,anomaly_score,state`. Real exports are messy, so:
//!
//! - rows are counted in **buckets** aligned to the epoch (a timestamp is floored to a multiple
//!   of the bucket length); the length is `--bucket`, or the median spacing of the rows
//!   rounded to a whole minute and snapped to 1, 2, 5, 10, 15, 30, 60 or 1440 minutes when
//!   within 20% ([`buckets`]);
//! - rows of one bucket (duplicates, a repeated hour at a DST change, rows closer together
//!   than the bucket) are **summed**, and each of them is written with its bucket's score and
//!   state, once the bucket is complete;
//! - buckets without rows are **unknown time**, not zero reports: they are skipped, and the
//!   detector treats them as unseen;
//! - a row with an empty value is missing: it takes its bucket's score and state when the
//!   bucket has other values, else its score and state are left empty;
//! - rows must not go back to an earlier bucket, unless [`ReplayOptions::sort`] (`--sort`)
//!   asks for the input to be read whole and sorted first.
//!
//! [`replay_rows`] is the same engine for rows already in memory.

mod buckets;
mod read;
#[cfg(test)]
mod tests;

use std::io::{BufRead, BufWriter, Write};

use chrono::{DateTime, SecondsFormat, Utc};

use super::config::DetectConfig;
use super::state::State;
use buckets::{Engine, Spacings};
use read::{Reader, Row};

/// Longest accepted line, in bytes (without its line ending).
pub const MAX_LINE_BYTES: usize = 1024;
/// Longest accepted bucket: a day.
pub const MAX_BUCKET_MINUTES: u32 = 1440;
/// Most rows held in memory: the whole input with `--sort`, or the rows of one bucket.
pub const MAX_ROWS_IN_MEMORY: usize = 5_000_000;
/// Most bytes of value text `--sort` holds in memory.
pub const MAX_SORT_VALUE_BYTES: usize = 256 << 20;

/// Why rows could not be replayed. `line` numbers count from 1, blank lines included; for
/// [`replay_rows`] `line` is the row's position in the slice, counting from 1.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The first line is not a header of two column names.
    #[error("line {line}: bad header: {reason}")]
    BadHeader { line: usize, reason: String },
    /// A data line without exactly two fields.
    #[error("line {line}: expected 2 fields (timestamp,value), found {found}")]
    FieldCount { line: usize, found: usize },
    /// A timestamp in no accepted format, or outside the years 1000 to 9999.
    #[error("line {line}: bad timestamp {value:?}: use RFC 3339 (2026-11-27T14:05:00Z) or YYYY-MM-DD HH:MM:SS in UTC")]
    BadTimestamp { line: usize, value: String },
    /// A value that is not a finite, non-negative number (an empty value is missing, not bad).
    #[error("line {line}: bad value {value:?}: {reason}")]
    BadValue {
        line: usize,
        value: String,
        reason: &'static str,
    },
    /// A row in an earlier bucket than the row before it.
    #[error("line {line}: timestamp {current} goes back to an earlier {bucket_minutes}-minute bucket than the previous row's ({previous}); sort the rows by time, or pass --sort")]
    NotIncreasing {
        line: usize,
        previous: String,
        current: String,
        bucket_minutes: u32,
    },
    /// More rows than [`MAX_ROWS_IN_MEMORY`] (or value text than [`MAX_SORT_VALUE_BYTES`])
    /// would have to be held at once.
    #[error("line {line}: more than {MAX_ROWS_IN_MEMORY} rows (or {} MiB of values) to hold in memory ({what}); sort the file beforehand, e.g. (head -n1 in.csv; tail -n+2 in.csv | sort) > sorted.csv", MAX_SORT_VALUE_BYTES >> 20)]
    TooManyRows { line: usize, what: &'static str },
    /// A bucket length out of range, given or inferred.
    #[error("bad bucket: {0}")]
    BadBucket(String),
    /// A line longer than [`MAX_LINE_BYTES`].
    #[error("line {line}: longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong { line: usize },
    /// A line that is not UTF-8.
    #[error("line {line}: not valid UTF-8")]
    NotUtf8 { line: usize },
    /// Reading the input or writing the output failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// How to replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Bucket length in minutes; inferred from the timestamps when `None`.
    pub bucket_minutes: Option<u32>,
    /// The time zone whose time of day the series follows (a country's series); UTC when
    /// `None`.
    pub zone: Option<chrono_tz::Tz>,
    /// Read every row into memory and replay them sorted by time (stable: rows with equal
    /// timestamps keep their order); output stays in input order.
    pub sort: bool,
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Data rows read (and written).
    pub rows: usize,
    /// Minutes per bucket, given or inferred.
    pub bucket_minutes: u32,
    /// Changes of state.
    pub transitions: usize,
    /// Buckets with at least one value, each scored once by the detector.
    pub buckets: usize,
    /// Buckets without any value between the first and the last scored one: gaps, treated
    /// as unknown time.
    pub missing_buckets: usize,
    /// Rows whose value was summed into a bucket together with other rows' values.
    pub merged_rows: usize,
}

/// The decision for one input row: that of its bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowDecision {
    /// Start of the row's bucket.
    pub bucket_start: DateTime<Utc>,
    /// The bucket's anomaly score in [0, 1]; NaN when `state` is `None`.
    pub anomaly: f64,
    /// State after the bucket; `None` when no row of the bucket has a value.
    pub state: Option<State>,
}

/// Reads CSV `timestamp,value` and writes `timestamp,value,anomaly_score,state`, one output
/// row per data row, in input order. `bucket_minutes` is the bucket length; when `None` it
/// is inferred from the timestamps (1 minute for a single row). Rows must not go back to an
/// earlier bucket: see [`replay_with`] and [`ReplayOptions::sort`].
pub fn replay<R: BufRead, W: Write>(
    input: R,
    output: W,
    bucket_minutes: Option<u32>,
    cfg: &DetectConfig,
) -> Result<ReplaySummary, ReplayError> {
    let opts = ReplayOptions {
        bucket_minutes,
        ..ReplayOptions::default()
    };
    replay_with(input, output, &opts, cfg)
}

/// [`replay`] with every option. Without `sort` the input is streamed (only the first rows,
/// to infer the bucket, and the rows of the current bucket are held); with it, the whole
/// input is read (at most [`MAX_ROWS_IN_MEMORY`] rows), sorted, replayed, then written.
pub fn replay_with<R: BufRead, W: Write>(
    input: R,
    output: W,
    opts: &ReplayOptions,
    cfg: &DetectConfig,
) -> Result<ReplaySummary, ReplayError> {
    if let Some(b) = opts.bucket_minutes {
        buckets::check_bucket(b)?;
    }
    let reader = Reader::new(input)?;
    let mut out = BufWriter::new(output);
    out.write_all(b"timestamp,value,anomaly_score,state\n")?;
    let summary = if opts.sort {
        sorted(reader, &mut out, opts, cfg)?
    } else {
        streamed(reader, &mut out, opts, cfg)?
    };
    out.flush()?;
    tracing::debug!(
        rows = summary.rows,
        bucket = summary.bucket_minutes,
        buckets = summary.buckets,
        missing = summary.missing_buckets,
        merged = summary.merged_rows,
        transitions = summary.transitions,
        "replay done"
    );
    Ok(summary)
}

/// The bucket replay infers for rows at these times (in time order): the median spacing of
/// the first rows, snapped to a usual length when near one. What `--bucket` overrides.
pub fn infer_bucket_minutes(
    times: impl IntoIterator<Item = DateTime<Utc>>,
) -> Result<u32, ReplayError> {
    let mut spacings = Spacings::default();
    for at in times {
        if spacings.enough() {
            break;
        }
        spacings.add(at);
    }
    spacings.bucket()
}

/// Replays rows already in memory: `(timestamp, value)`, a `None` value being missing. Returns
/// one decision per row, in the order of `rows`, and what the replay did. Same rules and
/// engine as [`replay_with`]; an error's `line` is the row's position, counting from 1.
pub fn replay_rows_summary(
    rows: &[(DateTime<Utc>, Option<f64>)],
    opts: &ReplayOptions,
    cfg: &DetectConfig,
) -> Result<(Vec<RowDecision>, ReplaySummary), ReplayError> {
    for (i, (_, value)) in rows.iter().enumerate() {
        if let Some(v) = value {
            read::check_value(*v).map_err(|reason| ReplayError::BadValue {
                line: i + 1,
                value: v.to_string(),
                reason,
            })?;
        }
    }
    let decided = decide(rows, |i| i + 1, opts, cfg)?;
    let decisions = decided
        .bucket_of_row
        .iter()
        .map(|&b| decided.buckets[b as usize])
        .collect();
    Ok((decisions, decided.summary))
}

/// [`replay_rows_summary`] without the summary: one decision per row, in the order of `rows`.
pub fn replay_rows(
    rows: &[(DateTime<Utc>, Option<f64>)],
    opts: &ReplayOptions,
    cfg: &DetectConfig,
) -> Result<Vec<RowDecision>, ReplayError> {
    replay_rows_summary(rows, opts, cfg).map(|(decisions, _)| decisions)
}

/// Each row's bucket (an index into `buckets`), the buckets' decisions, and the summary.
struct Decided {
    bucket_of_row: Vec<u32>,
    buckets: Vec<RowDecision>,
    summary: ReplaySummary,
}

/// The in-memory replay: rows in input order (or sorted by time with `opts.sort`) through
/// the engine. `line_of` names a row (by index) in errors. Values must be checked already.
fn decide(
    rows: &[(DateTime<Utc>, Option<f64>)],
    line_of: impl Fn(usize) -> usize,
    opts: &ReplayOptions,
    cfg: &DetectConfig,
) -> Result<Decided, ReplayError> {
    if rows.len() > MAX_ROWS_IN_MEMORY {
        return Err(ReplayError::TooManyRows {
            line: line_of(MAX_ROWS_IN_MEMORY),
            what: "rows to replay",
        });
    }
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    if opts.sort {
        order.sort_by_key(|&i| rows[i as usize].0); // stable
    }
    let bucket = match opts.bucket_minutes {
        Some(b) => buckets::check_bucket(b)?,
        None => infer_bucket_minutes(order.iter().map(|&i| rows[i as usize].0))?,
    };
    let mut engine = Engine::new(cfg, bucket, opts.zone);
    let mut bucket_of_row = vec![0u32; rows.len()];
    let mut buckets = Vec::new();
    for &i in &order {
        let i = i as usize;
        let (at, value) = rows[i];
        buckets.extend(engine.push(line_of(i), at, value)?);
        bucket_of_row[i] = buckets.len() as u32;
    }
    buckets.extend(engine.finish());
    Ok(Decided {
        bucket_of_row,
        buckets,
        summary: engine.summary(rows.len()),
    })
}

/// Streams: infers the bucket from the first rows, then writes each bucket's rows when the
/// next bucket starts.
fn streamed<R: BufRead>(
    mut reader: Reader<R>,
    out: &mut impl Write,
    opts: &ReplayOptions,
    cfg: &DetectConfig,
) -> Result<ReplaySummary, ReplayError> {
    let mut head = Vec::new();
    let bucket = match opts.bucket_minutes {
        Some(b) => b,
        None => {
            let mut spacings = Spacings::default();
            while !spacings.enough() {
                let Some(row) = reader.next_row()? else { break };
                spacings.add(row.at);
                head.push(row);
            }
            spacings.bucket()?
        }
    };
    let mut engine = Engine::new(cfg, bucket, opts.zone);
    let mut pending: Vec<Row> = Vec::new();
    let mut rows = 0;
    let mut head = head.into_iter();
    while let Some(row) = head
        .next()
        .map_or_else(|| reader.next_row(), |r| Ok(Some(r)))?
    {
        rows += 1;
        if let Some(closed) = engine.push(row.line, row.at, row.value)? {
            for r in pending.drain(..) {
                write_row(out, r.at, &r.raw_value, &closed)?;
            }
        }
        if pending.len() >= MAX_ROWS_IN_MEMORY {
            return Err(ReplayError::TooManyRows {
                line: row.line,
                what: "rows in one bucket",
            });
        }
        pending.push(row);
    }
    if let Some(closed) = engine.finish() {
        for r in pending.drain(..) {
            write_row(out, r.at, &r.raw_value, &closed)?;
        }
    }
    Ok(engine.summary(rows))
}

/// Reads every row, replays them sorted by time, writes them in input order.
fn sorted<R: BufRead>(
    mut reader: Reader<R>,
    out: &mut impl Write,
    opts: &ReplayOptions,
    cfg: &DetectConfig,
) -> Result<ReplaySummary, ReplayError> {
    let mut rows = Vec::new();
    let mut lines = Vec::new();
    // The raw value texts, end to end; `ends[i]` is where row i's ends.
    let mut text = String::new();
    let mut ends = Vec::new();
    while let Some(row) = reader.next_row()? {
        if rows.len() >= MAX_ROWS_IN_MEMORY
            || text.len() + row.raw_value.len() > MAX_SORT_VALUE_BYTES
        {
            return Err(ReplayError::TooManyRows {
                line: row.line,
                what: "--sort",
            });
        }
        rows.push((row.at, row.value));
        lines.push(row.line);
        text.push_str(&row.raw_value);
        ends.push(text.len());
    }
    let decided = decide(&rows, |i| lines[i], opts, cfg)?;
    let mut start = 0;
    for (i, ((at, _), end)) in rows.iter().zip(ends).enumerate() {
        let raw = text.get(start..end).unwrap_or_default();
        let bucket = decided.bucket_of_row[i] as usize;
        write_row(out, *at, raw, &decided.buckets[bucket])?;
        start = end;
    }
    Ok(decided.summary)
}

/// One output line: the row's normalised timestamp, its value as written, and its bucket's
/// score and state (both empty for a bucket without values).
fn write_row(
    out: &mut impl Write,
    at: DateTime<Utc>,
    raw_value: &str,
    d: &RowDecision,
) -> std::io::Result<()> {
    let at = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    match d.state {
        Some(state) => writeln!(out, "{at},{raw_value},{:.4},{state}", d.anomaly),
        None => writeln!(out, "{at},{raw_value},,"),
    }
}
