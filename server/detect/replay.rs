//! `downwatch replay`: runs the detector over a CSV of counts, so that anyone can check a
//! decision, or try the method on their own data, with exactly the code the server runs.
//!
//! Input is `timestamp,value` with a header line; output is one line per input row,
//! `timestamp,value,anomaly_score,state`. Rows missing from the input are unknown time, not
//! zero reports: an export must include its zero rows.

use std::io::{BufRead, BufWriter, Read, Write};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use super::config::DetectConfig;
use super::series::SeriesDetector;

/// Longest accepted line, in bytes (without its line ending).
pub const MAX_LINE_BYTES: usize = 1024;
/// Longest accepted bucket: a day.
pub const MAX_BUCKET_MINUTES: u32 = 1440;
/// Rows read ahead to infer the bucket length.
const INFER_ROWS: usize = 16;

/// Why a CSV could not be replayed; `line` numbers count from 1, blank lines included.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("line {line}: bad header: {reason}")]
    BadHeader { line: usize, reason: String },
    #[error("line {line}: expected 2 fields (timestamp,value), found {found}")]
    FieldCount { line: usize, found: usize },
    #[error("line {line}: bad timestamp {value:?}: use RFC 3339 (2026-11-27T14:05:00Z) or YYYY-MM-DD HH:MM:SS in UTC")]
    BadTimestamp { line: usize, value: String },
    #[error("line {line}: bad value {value:?}: {reason}")]
    BadValue {
        line: usize,
        value: String,
        reason: &'static str,
    },
    #[error("line {line}: timestamp {current} is not after the previous one ({previous})")]
    NotIncreasing {
        line: usize,
        previous: String,
        current: String,
    },
    #[error("line {line}: rows are {spacing_seconds} s apart, less than the {bucket_minutes}-minute bucket")]
    InconsistentBucket {
        line: usize,
        spacing_seconds: i64,
        bucket_minutes: u32,
    },
    #[error("bad bucket: {0}")]
    BadBucket(String),
    #[error("line {line}: longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong { line: usize },
    #[error("line {line}: not valid UTF-8")]
    NotUtf8 { line: usize },
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}

/// What a replay did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Data rows read (and written).
    pub rows: usize,
    /// Minutes per row, given or inferred.
    pub bucket_minutes: u32,
    /// Changes of state.
    pub transitions: usize,
}

/// Reads CSV `timestamp,value` and writes `timestamp,value,anomaly_score,state`, one output
/// row per data row. `bucket_minutes` is the length of a row; when `None` it is the median
/// spacing of the first rows (1 minute for a single row).
pub fn replay<R: BufRead, W: Write>(
    input: R,
    output: W,
    bucket_minutes: Option<u32>,
    cfg: &DetectConfig,
) -> Result<ReplaySummary, ReplayError> {
    if let Some(b) = bucket_minutes {
        if b == 0 || b > MAX_BUCKET_MINUTES {
            return Err(ReplayError::BadBucket(format!(
                "{b} minutes; use 1 to {MAX_BUCKET_MINUTES}"
            )));
        }
    }
    let mut lines = Lines {
        input,
        buf: Vec::new(),
        line: 0,
    };
    let Some((line, header)) = lines.next()? else {
        return Err(ReplayError::BadHeader {
            line: 1,
            reason: "the input is empty".into(),
        });
    };
    check_header(line, &header)?;
    let mut out = BufWriter::new(output);
    out.write_all(b"timestamp,value,anomaly_score,state\n")?;

    let mut head = Vec::with_capacity(INFER_ROWS);
    while head.len() < INFER_ROWS {
        match lines.next()? {
            Some((line, text)) => head.push(parse_row(line, &text)?),
            None => break,
        }
    }
    let bucket = match bucket_minutes {
        Some(b) => b,
        None => infer_bucket(&head)?,
    };
    let mut run = Run {
        detector: SeriesDetector::new(cfg.clone()),
        bucket,
        previous: None,
        summary: ReplaySummary {
            rows: 0,
            bucket_minutes: bucket,
            transitions: 0,
        },
    };
    for row in head {
        run.feed(row, &mut out)?;
    }
    while let Some((line, text)) = lines.next()? {
        run.feed(parse_row(line, &text)?, &mut out)?;
    }
    out.flush()?;
    tracing::debug!(
        rows = run.summary.rows,
        bucket,
        transitions = run.summary.transitions,
        "replay done"
    );
    Ok(run.summary)
}

/// A data row as read.
#[derive(Debug)]
struct Row {
    line: usize,
    at: DateTime<Utc>,
    value: f64,
    raw_value: String,
}

struct Run {
    detector: SeriesDetector,
    bucket: u32,
    previous: Option<DateTime<Utc>>,
    summary: ReplaySummary,
}

impl Run {
    fn feed(&mut self, row: Row, out: &mut impl Write) -> Result<(), ReplayError> {
        if let Some(previous) = self.previous {
            check_order(previous, &row)?;
            let spacing = (row.at - previous).num_seconds();
            if spacing < i64::from(self.bucket) * 60 {
                return Err(ReplayError::InconsistentBucket {
                    line: row.line,
                    spacing_seconds: spacing,
                    bucket_minutes: self.bucket,
                });
            }
        }
        self.previous = Some(row.at);
        let step = self.detector.observe(row.at, self.bucket, row.value);
        self.summary.rows += 1;
        self.summary.transitions += usize::from(step.transition.is_some());
        writeln!(
            out,
            "{},{},{:.4},{}",
            row.at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            row.raw_value,
            step.score.anomaly,
            step.state.as_str()
        )?;
        Ok(())
    }
}

/// Non-blank lines, bounded in length, with line endings, a BOM and whitespace removed.
struct Lines<R> {
    input: R,
    buf: Vec<u8>,
    line: usize,
}

impl<R: BufRead> Lines<R> {
    fn next(&mut self) -> Result<Option<(usize, String)>, ReplayError> {
        loop {
            self.buf.clear();
            let limit = MAX_LINE_BYTES as u64 + 2; // room for "\r\n"
            let n = (&mut self.input)
                .take(limit)
                .read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            let line = self.line;
            let ended = self.buf.last() == Some(&b'\n');
            while matches!(self.buf.last(), Some(b'\n' | b'\r')) {
                self.buf.pop();
            }
            if self.buf.len() > MAX_LINE_BYTES || (!ended && n as u64 == limit) {
                return Err(ReplayError::LineTooLong { line });
            }
            let text = std::str::from_utf8(&self.buf).map_err(|_| ReplayError::NotUtf8 { line })?;
            let text = text.trim_start_matches('\u{feff}').trim();
            if !text.is_empty() {
                return Ok(Some((line, text.to_owned())));
            }
        }
    }
}

/// Splits a line into its fields, trimmed and unquoted.
fn fields(text: &str) -> Vec<&str> {
    text.split(',')
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .map_or(f, str::trim)
        })
        .collect()
}

fn check_header(line: usize, text: &str) -> Result<(), ReplayError> {
    let f = fields(text);
    if f.len() != 2 || f.iter().any(|name| name.is_empty()) {
        return Err(ReplayError::BadHeader {
            line,
            reason: format!("expected two column names such as timestamp,value, found {text:?}"),
        });
    }
    if parse_timestamp(f[0]).is_some() {
        return Err(ReplayError::BadHeader {
            line,
            reason: "the first line is data; add a header line such as timestamp,value".into(),
        });
    }
    Ok(())
}

fn parse_row(line: usize, text: &str) -> Result<Row, ReplayError> {
    let f = fields(text);
    if f.len() != 2 {
        return Err(ReplayError::FieldCount {
            line,
            found: f.len(),
        });
    }
    let at = parse_timestamp(f[0]).ok_or_else(|| ReplayError::BadTimestamp {
        line,
        value: excerpt(f[0]),
    })?;
    let bad = |reason| ReplayError::BadValue {
        line,
        value: excerpt(f[1]),
        reason,
    };
    let value: f64 = f[1].parse().map_err(|_| bad("not a number"))?;
    if !value.is_finite() {
        return Err(bad("not a finite number"));
    }
    if value < 0.0 {
        return Err(bad("negative"));
    }
    Ok(Row {
        line,
        at,
        value,
        raw_value: f[1].to_owned(),
    })
}

/// RFC 3339 with `Z` or an offset, or a naive date-time taken as UTC.
fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    let naive = s.strip_suffix(['Z', 'z']).unwrap_or(s);
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|fmt| NaiveDateTime::parse_from_str(naive, fmt).ok())
    .map(|t| t.and_utc())
}

fn check_order(previous: DateTime<Utc>, row: &Row) -> Result<(), ReplayError> {
    if row.at > previous {
        return Ok(());
    }
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    Err(ReplayError::NotIncreasing {
        line: row.line,
        previous: fmt(previous),
        current: fmt(row.at),
    })
}

/// Median spacing of the first rows, in whole minutes.
fn infer_bucket(head: &[Row]) -> Result<u32, ReplayError> {
    let mut spacings = Vec::with_capacity(head.len());
    for pair in head.windows(2) {
        check_order(pair[0].at, &pair[1])?;
        spacings.push((pair[1].at - pair[0].at).num_seconds());
    }
    if spacings.is_empty() {
        return Ok(1);
    }
    spacings.sort_unstable();
    let median = spacings[(spacings.len() - 1) / 2];
    if median < 60 || median % 60 != 0 {
        return Err(ReplayError::BadBucket(format!(
            "the first rows are {median} s apart; rows must be whole minutes apart (at least 1)"
        )));
    }
    u32::try_from(median / 60)
        .ok()
        .filter(|m| *m <= MAX_BUCKET_MINUTES)
        .ok_or_else(|| {
            ReplayError::BadBucket(format!(
                "the first rows are {} minutes apart; at most {MAX_BUCKET_MINUTES}",
                median / 60
            ))
        })
}

fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(csv: &str, bucket: Option<u32>) -> Result<(ReplaySummary, String), ReplayError> {
        let mut out = Vec::new();
        let summary = replay(csv.as_bytes(), &mut out, bucket, &DetectConfig::default())?;
        Ok((summary, String::from_utf8(out).expect("utf-8")))
    }

    fn minutes_csv(n: usize, value: impl Fn(usize) -> String) -> String {
        let start = DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z").expect("valid");
        let mut csv = String::from("timestamp,value\n");
        for i in 0..n {
            let t = start + chrono::Duration::minutes(i as i64);
            csv += &format!("{},{}\n", t.format("%Y-%m-%d %H:%M:%S"), value(i));
        }
        csv
    }

    #[test]
    fn writes_one_row_per_input_row_and_flags_an_outage() {
        let csv = minutes_csv(3 * 1440, |i| {
            let outage = (2 * 1440 + 600..2 * 1440 + 640).contains(&i);
            (if outage { "60" } else { "2" }).to_owned()
        });
        let (summary, out) = run(&csv, None).expect("replays");
        assert_eq!(summary.rows, 3 * 1440);
        assert_eq!(summary.bucket_minutes, 1);
        assert_eq!(
            summary.transitions, 3,
            "possible problems, problems (sustained), back to ok"
        );
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 3 * 1440 + 1);
        assert_eq!(lines[0], "timestamp,value,anomaly_score,state");
        assert_eq!(
            lines[1], "2026-11-20T00:00:00Z,2,0.5546,ok",
            "no history: scored against the prior"
        );
        assert_eq!(lines[2 * 1440], "2026-11-21T23:59:00Z,2,0.0000,ok");
        assert!(
            lines[2 * 1440 + 602].ends_with(",1.0000,problems"),
            "{}",
            lines[2 * 1440 + 602]
        );
    }

    #[test]
    fn tolerates_bom_quotes_blank_lines_offsets_and_infers_the_bucket() {
        let csv = "\u{feff} \"timestamp\" , value \r\n\r\n\
                   \"2026-11-27T14:00:00+01:00\",\"3\"\n2026-11-27T13:05Z, 1.50 \n\n\
                   2026-11-27 13:10:00,0\n";
        let (summary, out) = run(csv, None).expect("replays");
        assert_eq!((summary.rows, summary.bucket_minutes), (3, 5));
        let lines: Vec<_> = out.lines().collect();
        assert!(lines[1].starts_with("2026-11-27T13:00:00Z,3,0.") && lines[1].ends_with(",ok"));
        assert!(
            lines[2].starts_with("2026-11-27T13:05:00Z,1.50,"),
            "{}",
            lines[2]
        );
        let (one, _) = run("timestamp,value\n2026-11-27T13:00:00,4\n", None).expect("one row");
        assert_eq!(one.bucket_minutes, 1);
        let (none, out) = run("timestamp,value\n", Some(15)).expect("no rows");
        assert_eq!((none.rows, out.lines().count()), (0, 1));
    }

    #[test]
    fn bad_input_is_named_with_its_line() {
        let ok_head = "timestamp,value\n2026-11-27T13:00:00Z,1\n";
        let cases: [(&str, Option<u32>, &str); 11] = [
            ("", None, "line 1: bad header"),
            ("2026-11-27T13:00:00Z,1\n", None, "the first line is data"),
            ("timestamp\n", None, "bad header"),
            (
                "timestamp,value\nyesterday,1\n",
                None,
                "line 2: bad timestamp",
            ),
            (
                "timestamp,value\n2026-11-27T13:00:00Z,-1\n",
                None,
                "negative",
            ),
            (
                "timestamp,value\n2026-11-27T13:00:00Z,NaN\n",
                None,
                "not a finite number",
            ),
            (
                "timestamp,value\n2026-11-27T13:00:00Z,lots\n",
                None,
                "not a number",
            ),
            (
                "timestamp,value\n2026-11-27T13:00:00Z,1,2\n",
                None,
                "found 3",
            ),
            (
                &format!("{ok_head}2026-11-27T12:59:00Z,1\n"),
                None,
                "line 3: timestamp",
            ),
            (
                &format!("{ok_head}2026-11-27T13:01:00Z,1\n"),
                Some(5),
                "line 3: rows are 60 s apart",
            ),
            (
                "timestamp,value\n2026-11-27T13:00:00Z,1\n2026-11-27T13:00:30Z,1\n",
                None,
                "30 s",
            ),
        ];
        for (csv, bucket, want) in cases {
            let err = run(csv, bucket).expect_err(csv).to_string();
            assert!(err.contains(want), "{csv:?}: {err}");
        }
        assert!(matches!(
            run("t,v\n", Some(0)),
            Err(ReplayError::BadBucket(_))
        ));
    }

    #[test]
    fn a_long_line_is_an_error_not_an_allocation() {
        let csv = format!(
            "timestamp,value\n2026-11-27T13:00:00Z,{}\n",
            "1".repeat(1 << 20)
        );
        let err = run(&csv, None).expect_err("too long");
        assert!(matches!(err, ReplayError::LineTooLong { line: 2 }), "{err}");
        let ok = format!(
            "timestamp,value\n2026-11-27T13:00:00Z,{}\n",
            "0".repeat(1000)
        );
        assert!(run(&ok, None).is_ok());
    }
}
