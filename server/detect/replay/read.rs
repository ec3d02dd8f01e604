//! Reading the CSV: bounded lines, a header of two columns, then `timestamp,value` rows.
//!
//! Tolerated: a BOM, CRLF, blank lines, spaces and double quotes around fields, `;` or a tab
//! as separator when the header uses it, RFC 3339 timestamps with any offset or naive ones
//! (taken as UTC, as given: a local time repeated at a DST change stays repeated), decimal
//! values, and empty values (missing).

use std::io::{BufRead, Read};

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};

use super::{ReplayError, MAX_LINE_BYTES};

/// A data row as read.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) line: usize,
    pub(super) at: DateTime<Utc>,
    /// `None` when the field is empty.
    pub(super) value: Option<f64>,
    /// The value as written (unquoted, trimmed), echoed in the output.
    pub(super) raw_value: String,
}

/// The data rows of a CSV whose header has been checked.
pub(super) struct Reader<R> {
    lines: Lines<R>,
    separator: char,
}

impl<R: BufRead> Reader<R> {
    /// Reads and checks the header line.
    pub(super) fn new(input: R) -> Result<Self, ReplayError> {
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
        let separator = if header.contains('\t') {
            '\t'
        } else if header.contains(';') && !header.contains(',') {
            ';'
        } else {
            ','
        };
        check_header(line, &header, separator)?;
        Ok(Self { lines, separator })
    }

    /// The next data row, or `None` at the end of the input.
    pub(super) fn next_row(&mut self) -> Result<Option<Row>, ReplayError> {
        match self.lines.next()? {
            Some((line, text)) => parse_row(line, &text, self.separator).map(Some),
            None => Ok(None),
        }
    }
}

/// Non-blank lines, bounded in length, with line endings, a BOM and spaces removed.
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
            // Only spaces: a trailing tab may separate an empty value.
            let text = text.trim_start_matches('\u{feff}').trim_matches(' ');
            if !text.trim().is_empty() {
                return Ok(Some((line, text.to_owned())));
            }
        }
    }
}

/// Splits a line into its fields, trimmed and unquoted.
fn fields(text: &str, separator: char) -> Vec<&str> {
    text.split(separator)
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .map_or(f, str::trim)
        })
        .collect()
}

fn check_header(line: usize, text: &str, separator: char) -> Result<(), ReplayError> {
    let f = fields(text, separator);
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

fn parse_row(line: usize, text: &str, separator: char) -> Result<Row, ReplayError> {
    let f = fields(text, separator);
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
    let value = if f[1].is_empty() {
        None
    } else {
        let bad = |reason| ReplayError::BadValue {
            line,
            value: excerpt(f[1]),
            reason,
        };
        let value: f64 = f[1].parse().map_err(|_| bad("not a number"))?;
        check_value(value).map_err(bad)?;
        Some(value)
    };
    Ok(Row {
        line,
        at,
        value,
        raw_value: f[1].to_owned(),
    })
}

/// Why `value` cannot be a count, if it cannot.
pub(super) fn check_value(value: f64) -> Result<(), &'static str> {
    if !value.is_finite() {
        return Err("not a finite number");
    }
    if value < 0.0 {
        return Err("negative");
    }
    Ok(())
}

/// RFC 3339 with `Z` or an offset, or a naive date-time taken as UTC; years 1000 to 9999.
pub(super) fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    parse_any_timestamp(s).filter(|t| supported(*t))
}

/// Whether `at` is in the years 1000 to 9999: far from chrono's limits, so that the
/// detector's date arithmetic cannot overflow.
pub(super) fn supported(at: DateTime<Utc>) -> bool {
    (1000..=9999).contains(&at.year())
}

fn parse_any_timestamp(s: &str) -> Option<DateTime<Utc>> {
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

fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{replay, ReplaySummary};
    use super::*;
    use crate::detect::config::DetectConfig;

    fn run(csv: &str, bucket: Option<u32>) -> Result<(ReplaySummary, String), ReplayError> {
        let mut out = Vec::new();
        let summary = replay(csv.as_bytes(), &mut out, bucket, &DetectConfig::default())?;
        Ok((summary, String::from_utf8(out).expect("utf-8")))
    }

    #[test]
    fn tolerates_bom_quotes_blank_lines_offsets_separators_and_infers_the_bucket() {
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
        for csv in [
            "time;count\n2026-11-27T13:00:00Z;4\n2026-11-27T13:05:00Z;\n",
            "time\tcount\n2026-11-27T13:00:00Z\t4\n2026-11-27T13:05:00Z\t\n",
        ] {
            let (summary, out) = run(csv, None).expect(csv);
            assert_eq!((summary.rows, summary.bucket_minutes), (2, 5), "{csv:?}");
            assert!(out.contains("\n2026-11-27T13:00:00Z,4,0."), "{out}");
            assert!(out.ends_with("\n2026-11-27T13:05:00Z,,,\n"), "{out}");
        }
        let (one, _) = run("timestamp,value\n2026-11-27T13:00:00,4\n", None).expect("one row");
        assert_eq!(one.bucket_minutes, 1);
        let (none, out) = run("timestamp,value\n", Some(15)).expect("no rows");
        assert_eq!((none.rows, none.buckets, out.lines().count()), (0, 0, 1));
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
                "timestamp,value\n+99999-01-01T00:00:00Z,1\n",
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
                "timestamp,value\n2026-11-27T13:00:00Z\n",
                None,
                "line 2: expected 2 fields",
            ),
            (
                &format!("{ok_head}2026-11-27T13:00:00Z,1e308\n2026-11-27T13:00:00Z,1e308\n"),
                None,
                "line 4: bad value",
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
