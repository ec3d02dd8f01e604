//! Property tests of the replay CSV reader: any input — duplicates, gaps, rows going back,
//! empty values, junk — replays or fails with a line-numbered error, never a panic; on
//! success every non-blank row comes out exactly once, with valid fields.

use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;

use super::config::DetectConfig;
use super::replay::{replay_with, ReplayError, ReplayOptions};

/// One input line: a plausible row `seconds` after the previous one (possibly 0 or
/// negative), or junk.
fn line() -> impl Strategy<Value = (i64, String)> {
    let value = prop_oneof![
        40 => (0u32..500).prop_map(|v| v.to_string()),
        4 => (0.0f64..1e6).prop_map(|v| v.to_string()),
        6 => Just(String::new()),
        1 => any::<f64>().prop_map(|v| v.to_string()),
        1 => "[-0-9.eE+a-z\" ]{0,8}",
    ];
    let seconds = prop_oneof![
        4 => (1i64..=30).prop_map(|m| 60 * m),
        1 => Just(0i64),
        1 => -900i64..=1800,
    ];
    prop_oneof![
        100 => (seconds, value, prop_oneof![Just(" "), Just("T")], any::<bool>())
            .prop_map(|(s, v, sep, quoted)| {
                let v = if quoted { format!("\"{v}\"") } else { v };
                (s, format!("{{time:{sep}}},{v}"))
            }),
        1 => (Just(0i64), any::<String>()),
        1 => (Just(0i64), "[0-9T:Z ,\r-]{0,30}"),
    ]
}

/// Data rows the reader should see: non-blank lines after the first non-blank one.
fn data_rows(csv: &str) -> usize {
    let nonblank = csv
        .split('\n')
        .filter(|l| {
            let l = l.trim_end_matches(['\r', '\n']);
            !l.trim_start_matches('\u{feff}').trim().is_empty()
        })
        .count();
    nonblank.saturating_sub(1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_csv_replays_or_fails_cleanly(
        header in prop_oneof![4 => Just("timestamp,value".to_owned()), 1 => "[a-z,\" ]{0,20}"],
        lines in proptest::collection::vec(line(), 0..60),
        bucket in proptest::option::of(0u32..2000),
        sort in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let start = DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z").expect("valid").to_utc();
        let mut at = start;
        let newline = if crlf { "\r\n" } else { "\n" };
        let mut csv = header + newline;
        for (seconds, text) in &lines {
            at += TimeDelta::seconds(*seconds);
            let t = at.format("%Y-%m-%d %H:%M:%S").to_string();
            csv += &text.replace("{time: }", &t).replace("{time:T}", &t.replace(' ', "T"));
            csv += newline;
        }
        let opts = ReplayOptions {
            bucket_minutes: bucket,
            sort,
            zone: None,
        };
        let mut out = Vec::new();
        match replay_with(csv.as_bytes(), &mut out, &opts, &DetectConfig::default()) {
            Ok(summary) => {
                let out = String::from_utf8(out).expect("UTF-8 output");
                let rows: Vec<&str> = out.lines().skip(1).collect();
                prop_assert_eq!(rows.len(), summary.rows);
                prop_assert_eq!(rows.len(), data_rows(&csv), "one row out per row in");
                prop_assert!((1..=1440).contains(&summary.bucket_minutes));
                prop_assert!(summary.buckets <= summary.rows);
                prop_assert!(summary.merged_rows <= summary.rows);
                for row in rows {
                    let f: Vec<&str> = row.split(',').collect();
                    prop_assert_eq!(f.len(), 4, "row {:?}", row);
                    DateTime::parse_from_rfc3339(f[0]).expect("an RFC 3339 time");
                    if !f[1].is_empty() {
                        let v: f64 = f[1].parse().expect("a number");
                        prop_assert!(v.is_finite() && v >= 0.0, "value {}", v);
                    }
                    if f[2].is_empty() {
                        prop_assert!(f[1].is_empty() && f[3].is_empty(), "row {:?}", row);
                    } else {
                        let score: f64 = f[2].parse().expect("a score");
                        prop_assert!((0.0..=1.0).contains(&score), "score {}", score);
                        prop_assert!(!f[3].is_empty());
                    }
                }
            }
            Err(ReplayError::Io(e)) => prop_assert!(false, "i/o error on a byte slice: {e}"),
            Err(ReplayError::BadBucket(reason)) => prop_assert!(!reason.is_empty()),
            Err(e) => prop_assert!(e.to_string().starts_with("line "), "{}", e),
        }
    }
}
