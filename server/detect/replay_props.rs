//! Property tests of the replay CSV reader: any input replays or fails with a line-numbered
//! error, never a panic, and every row it accepts comes out with valid fields.

use chrono::{DateTime, TimeDelta};
use proptest::prelude::*;

use super::config::DetectConfig;
use super::replay::{replay, ReplayError};

/// One input line: a plausible row `minutes` after the previous one, or junk.
fn line() -> impl Strategy<Value = (i64, String)> {
    let value = prop_oneof![
        (0u32..500).prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        "[-0-9.eE+a-z\" ]{0,8}",
    ];
    prop_oneof![
        4 => (1i64..=30, value, prop_oneof![Just(" "), Just("T")], any::<bool>())
            .prop_map(|(m, v, sep, quoted)| {
                let v = if quoted { format!("\"{v}\"") } else { v };
                (m, format!("{{time:{sep}}},{v}"))
            }),
        1 => (Just(0i64), any::<String>()),
        1 => (Just(0i64), "[0-9T:Z ,\r-]{0,30}"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_csv_replays_or_fails_cleanly(
        header in prop_oneof![Just("timestamp,value".to_owned()), "[a-z,\" ]{0,20}"],
        lines in proptest::collection::vec(line(), 0..40),
        bucket in proptest::option::of(0u32..2000),
        crlf in any::<bool>(),
    ) {
        let start = DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z").expect("valid").to_utc();
        let mut at = start;
        let newline = if crlf { "\r\n" } else { "\n" };
        let mut csv = header + newline;
        for (minutes, text) in &lines {
            at += TimeDelta::minutes(*minutes);
            let t = at.format("%Y-%m-%d %H:%M:%S").to_string();
            csv += &text.replace("{time: }", &t).replace("{time:T}", &t.replace(' ', "T"));
            csv += newline;
        }
        let mut out = Vec::new();
        match replay(csv.as_bytes(), &mut out, bucket, &DetectConfig::default()) {
            Ok(summary) => {
                let out = String::from_utf8(out).expect("UTF-8 output");
                let rows: Vec<&str> = out.lines().skip(1).collect();
                prop_assert_eq!(rows.len(), summary.rows);
                prop_assert!((1..=1440).contains(&summary.bucket_minutes));
                let mut previous = None;
                for row in rows {
                    let f: Vec<&str> = row.split(',').collect();
                    prop_assert_eq!(f.len(), 4, "row {:?}", row);
                    let t = DateTime::parse_from_rfc3339(f[0]).expect("an RFC 3339 time");
                    prop_assert!(previous.is_none_or(|p| t > p), "times go forward");
                    previous = Some(t);
                    let v: f64 = f[1].parse().expect("a number");
                    prop_assert!(v.is_finite() && v >= 0.0, "value {v}");
                    let score: f64 = f[2].parse().expect("a score");
                    prop_assert!(score.is_finite());
                    prop_assert!(!f[3].is_empty());
                }
            }
            Err(ReplayError::Io(e)) => prop_assert!(false, "i/o error on a byte slice: {e}"),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}
