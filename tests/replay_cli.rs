//! `downwatch replay` as a user runs it: a CSV in, one scored row out per row in.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

fn series(rows: usize, outage_at: usize) -> String {
    let mut csv = String::from("timestamp,value\n");
    let start = chrono::DateTime::parse_from_rfc3339("2026-10-01T00:00:00Z").expect("date");
    for i in 0..rows {
        let t = start + chrono::TimeDelta::minutes(15 * i as i64);
        let hour = (i / 4) % 24;
        let normal = if (8..23).contains(&hour) { 40 } else { 12 };
        let value = if (outage_at..outage_at + 3).contains(&i) {
            normal * 20
        } else {
            normal + (i * 7) % 5
        };
        csv.push_str(&format!("{},{value}\n", t.format("%Y-%m-%d %H:%M:%S")));
    }
    csv
}

fn run(args: &[&str], input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_downwatch"))
        .arg("replay")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start downwatch replay");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write csv");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn replay_scores_every_row_and_flags_the_outage() {
    let rows = 4 * 24 * 21;
    let outage = rows - 40;
    let started = Instant::now();
    let (ok, out, err) = run(&[], &series(rows, outage));
    assert!(ok, "replay failed: {err}");
    println!("replayed {rows} rows in {:?}", started.elapsed());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "timestamp,value,anomaly_score,state");
    assert_eq!(lines.len() - 1, rows, "one output row per input row");
    let states: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.rsplit(',').next().unwrap_or(""))
        .collect();
    assert!(
        states[..outage].iter().all(|s| *s == "ok"),
        "no false alarm before the outage"
    );
    assert_ne!(
        states[outage], "ok",
        "the outage is flagged in its first bucket"
    );
    let score: f64 = lines[1 + outage]
        .split(',')
        .nth(2)
        .and_then(|s| s.parse().ok())
        .expect("score");
    assert!((0.0..=1.0).contains(&score) && score > 0.5);
    assert!(
        err.contains(&format!(
            "replay: {rows} rows, 15-minute buckets: {rows} scored, 0 missing (gaps), 0 rows \
             summed with others; "
        )),
        "{err}"
    );
}

#[test]
fn replay_sorts_on_request_and_writes_rows_in_input_order() {
    let csv = "timestamp,value\n2026-10-01T00:10:00Z,3\n2026-10-01T00:00:00Z,2\n\
               2026-10-01 00:02:30,1\n2026-10-01T00:05:00Z,\n2026-10-01T00:20:00Z,4\n";
    let (ok, _, err) = run(&["--bucket", "5m"], csv);
    assert!(!ok, "out of order without --sort");
    assert!(
        err.contains("line 3: timestamp 2026-10-01T00:00:00Z") && err.contains("--sort"),
        "{err}"
    );

    let (ok, out, err) = run(&["--bucket", "5m", "--sort"], csv);
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6, "one row out per row in: {out}");
    let times: Vec<&str> = lines[1..].iter().map(|l| &l[..20]).collect();
    assert_eq!(
        times,
        [
            "2026-10-01T00:10:00Z",
            "2026-10-01T00:00:00Z",
            "2026-10-01T00:02:30Z",
            "2026-10-01T00:05:00Z",
            "2026-10-01T00:20:00Z"
        ]
    );
    let decision = |l: &str| l.splitn(3, ',').nth(2).map(str::to_owned);
    assert_eq!(
        decision(lines[2]),
        decision(lines[3]),
        "summed into one bucket"
    );
    assert_eq!(
        lines[4], "2026-10-01T00:05:00Z,,,",
        "a bucket without values"
    );
    assert!(
        err.contains(
            "replay: 5 rows, 5-minute buckets: 3 scored, 2 missing (gaps), 2 rows summed with \
             others; 0 state changes"
        ),
        "{err}"
    );
}

#[test]
fn replay_reads_a_file_and_refuses_bad_input_with_the_line() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("series.csv");
    std::fs::write(
        &path,
        "timestamp,value\n2026-10-01T00:00:00Z,3\n2026-10-01T00:01:00Z,oops\n",
    )
    .expect("write");
    let (ok, _, err) = run(&["--input", path.to_str().expect("utf8 path")], "");
    assert!(!ok);
    assert!(err.contains("line 3"), "{err}");

    let (ok, out, _) = run(
        &["--bucket", "1m"],
        "timestamp,value\n2026-10-01T00:00:00Z,3\n",
    );
    assert!(ok);
    assert_eq!(out.lines().count(), 2);
    let (ok, _, err) = run(&["--bucket", "7x"], "");
    assert!(!ok);
    assert!(err.contains("unit"), "{err}");
}

#[test]
fn replay_learns_local_time_in_a_zone_and_names_a_bad_one() {
    let csv = series(4 * 24 * 8, 4 * 24 * 8 - 10);
    let (ok, utc, err) = run(&[], &csv);
    assert!(ok, "{err}");
    let (ok, rome, err) = run(&["--zone", "Europe/Rome"], &csv);
    assert!(ok, "{err}");
    assert_eq!(rome.lines().count(), utc.lines().count());
    assert_ne!(rome, utc, "a local time of day learns other slots");
    let (ok, _, err) = run(&["--zone", "Mars/Olympus"], &csv);
    assert!(!ok);
    assert!(err.contains("not an IANA time zone"), "{err}");
}
