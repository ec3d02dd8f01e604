//! Replays end to end: messy exports (duplicates, gaps, rows closer than the bucket, DST
//! repeats, out of order) through the CSV path and the in-memory one.

use chrono::TimeDelta;

use super::*;

fn run_with(csv: &str, opts: &ReplayOptions) -> Result<(ReplaySummary, String), ReplayError> {
    let mut out = Vec::new();
    let summary = replay_with(csv.as_bytes(), &mut out, opts, &DetectConfig::default())?;
    Ok((summary, String::from_utf8(out).expect("utf-8")))
}

fn run(csv: &str, bucket: Option<u32>) -> Result<(ReplaySummary, String), ReplayError> {
    let mut out = Vec::new();
    let summary = replay(csv.as_bytes(), &mut out, bucket, &DetectConfig::default())?;
    Ok((summary, String::from_utf8(out).expect("utf-8")))
}

fn sorting(bucket: Option<u32>) -> ReplayOptions {
    ReplayOptions {
        bucket_minutes: bucket,
        sort: true,
        zone: None,
    }
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T00:00:00Z")
        .expect("valid")
        .to_utc()
}

fn naive(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A CSV with a row at each of `times` (seconds after `t0`) and its value.
fn csv_of(rows: impl IntoIterator<Item = (i64, String)>) -> String {
    let mut csv = String::from("timestamp,value\n");
    for (s, v) in rows {
        csv += &format!("{},{v}\n", naive(t0() + TimeDelta::seconds(s)));
    }
    csv
}

fn minutes_csv(n: usize, value: impl Fn(usize) -> String) -> String {
    csv_of((0..n).map(|i| (60 * i as i64, value(i))))
}

/// Score and state of each output row.
fn decisions(out: &str) -> Vec<(String, String)> {
    out.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 4, "{l}");
            (f[2].to_owned(), f[3].to_owned())
        })
        .collect()
}

/// A small deterministic generator (an LCG), for irregular spacings and values.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
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
    assert_eq!(
        (
            summary.buckets,
            summary.missing_buckets,
            summary.merged_rows
        ),
        (3 * 1440, 0, 0)
    );
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 3 * 1440 + 1);
    assert_eq!(lines[0], "timestamp,value,anomaly_score,state");
    assert_eq!(
        lines[1], "2026-11-20T00:00:00Z,2,0.6224,ok",
        "no history: scored against the prior"
    );
    assert_eq!(lines[2 * 1440], "2026-11-21T23:59:00Z,2,0.0001,ok");
    assert!(
        lines[2 * 1440 + 602].ends_with(",1.0000,problems"),
        "{}",
        lines[2 * 1440 + 602]
    );
}

#[test]
fn duplicate_timestamps_are_summed_into_one_bucket() {
    // Two days at 5-minute steps with an outage, every bucket written as the sum (a) or as
    // two rows with the same timestamp (b): the same decisions.
    let value = |i: i64| {
        if (500..520).contains(&i) {
            150
        } else {
            10 + i % 3
        }
    };
    let n = 2 * 288;
    let summed = csv_of((0..n).map(|i| (300 * i, value(i).to_string())));
    let split = csv_of((0..n).flat_map(|i| {
        let v = value(i);
        [
            (300 * i, (v / 2).to_string()),
            (300 * i, (v - v / 2).to_string()),
        ]
    }));
    let (a, out_a) = run(&summed, None).expect("summed");
    let (b, out_b) = run(&split, None).expect("duplicates");
    assert_eq!((a.bucket_minutes, b.bucket_minutes), (5, 5));
    assert_eq!(
        (b.rows, b.buckets, b.merged_rows),
        (2 * n as usize, n as usize, 2 * n as usize)
    );
    assert!(a.transitions > 0, "the outage is flagged");
    let (da, db) = (decisions(&out_a), decisions(&out_b));
    assert_eq!(db.len(), 2 * da.len());
    for (i, d) in da.iter().enumerate() {
        assert_eq!((&db[2 * i], &db[2 * i + 1]), (d, d), "bucket {i}");
    }
}

#[test]
fn rows_closer_than_the_bucket_are_summed_and_each_gets_its_buckets_state() {
    // Minute rows replayed in 5-minute buckets decide like the 5-minute sums.
    let value = |m: i64| {
        if (2000..2030).contains(&m) {
            40
        } else {
            1 + m % 2
        }
    };
    let minutes = 2 * 1440;
    let fine = csv_of((0..minutes).map(|m| (60 * m, value(m).to_string())));
    let coarse = csv_of((0..minutes / 5).map(|q| {
        (
            300 * q,
            (0..5).map(|k| value(5 * q + k)).sum::<i64>().to_string(),
        )
    }));
    let (s, out_fine) = run(&fine, Some(5)).expect("fine");
    let (_, out_coarse) = run(&coarse, None).expect("coarse");
    assert_eq!((s.rows, s.buckets, s.merged_rows), (2880, 576, 2880));
    let (fine, coarse) = (decisions(&out_fine), decisions(&out_coarse));
    assert_eq!(fine.len(), 2880, "one row out per row in");
    assert!(coarse.iter().any(|(_, state)| state == "problems"));
    for (i, row) in fine.iter().enumerate() {
        assert_eq!(row, &coarse[i / 5], "minute {i}");
    }
}

#[test]
fn a_gap_is_unknown_time_not_zero_reports() {
    // Two days at a steady 10 a minute, three hours without rows, then the same traffic.
    let before = (0..2 * 1440).map(|m| (60 * m, "10".to_owned()));
    let after = (2 * 1440 + 180..2 * 1440 + 360).map(|m| (60 * m, "10".to_owned()));
    let (s, out) = run(&csv_of(before.chain(after)), None).expect("replays");
    assert_eq!((s.bucket_minutes, s.missing_buckets), (1, 180));
    assert_eq!(s.rows, 2 * 1440 + 180);
    assert_eq!(s.transitions, 0, "no alarm after the gap");
    let d = decisions(&out);
    assert!(d.iter().all(|(_, state)| state == "ok"));
    // The gap is not in the output either: one row out per row in.
    assert_eq!(d.len(), s.rows);
    // Traffic after the gap scores as it did the day before: three hours of zeros would
    // have lowered the expectation (this detector then scored the same traffic 0.25).
    let score = |(score, _): &(String, String)| score.parse::<f64>().expect("a score");
    let day_before = d[1440..2880].iter().map(score).fold(0.0, f64::max);
    let after = d[2880..].iter().map(score).fold(0.0, f64::max);
    assert!(after <= day_before + 0.01, "{after} after vs {day_before}");
}

#[test]
fn a_repeated_local_hour_at_a_dst_change_is_summed_or_needs_sort() {
    // Hourly naive local times: 02:00 appears twice when the clocks go back.
    let mut rows: Vec<(i64, String)> = (0..3 * 24).map(|h| (3600 * h, "30".to_owned())).collect();
    rows.insert(51, (3600 * 50, "28".to_owned()));
    let (s, out) = run(&csv_of(rows.clone()), None).expect("hourly");
    assert_eq!(
        (s.bucket_minutes, s.rows, s.buckets, s.merged_rows),
        (60, 73, 72, 2)
    );
    let d = decisions(&out);
    assert_eq!(d[50], d[51], "both 02:00 rows get their bucket's decision");

    // Quarter-hour rows, the hour 02:00–02:45 written twice.
    let mut quarters: Vec<(i64, String)> =
        (0..4 * 24 * 3).map(|q| (900 * q, "8".to_owned())).collect();
    let repeat: Vec<_> = quarters[200..204].to_vec();
    quarters.splice(204..204, repeat);
    let csv = csv_of(quarters);
    // In hourly buckets the repeat stays in its bucket: accepted as it is.
    let (s, _) = run(&csv, Some(60)).expect("repeat within the hour");
    assert_eq!((s.rows, s.buckets), (292, 72));
    // In quarter-hour buckets it goes back: refused, then replayed sorted.
    let err = run(&csv, None).expect_err("goes back").to_string();
    assert!(
        err.contains("line 206: timestamp 2026-11-22T02:00:00Z"),
        "{err}"
    );
    assert!(
        err.contains("(2026-11-22T02:45:00Z)") && err.contains("--sort"),
        "{err}"
    );
    let (s, out) = run_with(&csv, &sorting(None)).expect("sorted");
    assert_eq!(
        (s.bucket_minutes, s.rows, s.buckets, s.merged_rows),
        (15, 292, 288, 8)
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 293);
    assert!(
        lines[205].starts_with("2026-11-22T02:00:00Z,8,"),
        "input order"
    );
    assert_eq!(decisions(&out)[200], decisions(&out)[204]);
}

#[test]
fn the_bucket_is_inferred_from_irregular_and_jittered_spacings() {
    let mut rng = Lcg(7);
    let mut at = 0;
    let irregular = csv_of((0..2000).map(|_| {
        at += 60 * (1 + rng.below(9) as i64);
        (at, rng.below(20).to_string())
    }));
    let (s, out) = run(&irregular, None).expect("irregular");
    assert_eq!(s.bucket_minutes, 5);
    assert_eq!(decisions(&out).len(), 2000);
    assert!(s.merged_rows > 0 && s.buckets < 2000, "{s:?}");

    // A nominal 10-minute series, each row up to 90 s late.
    let jittered = csv_of((0..1000).map(|i| (600 * i + rng.below(91) as i64, "5".to_owned())));
    let (s, _) = run(&jittered, None).expect("jittered");
    assert_eq!(s.bucket_minutes, 10);
    assert_eq!((s.buckets, s.missing_buckets, s.merged_rows), (1000, 0, 0));
}

#[test]
fn sort_replays_shuffled_rows_in_time_order_and_writes_them_in_input_order() {
    let value = |i: i64| if (700..705).contains(&i) { 200 } else { 10 };
    let rows: Vec<(i64, String)> = (0..3 * 288)
        .map(|i| (300 * i, value(i).to_string()))
        .collect();
    let mut shuffled = rows.clone();
    let mut rng = Lcg(11);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let (_, sorted_out) = run(&csv_of(rows), Some(5)).expect("in order");
    let err = run(&csv_of(shuffled.clone()), Some(5)).expect_err("shuffled");
    assert!(matches!(err, ReplayError::NotIncreasing { .. }), "{err}");
    let (s, out) = run_with(&csv_of(shuffled.clone()), &sorting(Some(5))).expect("--sort");
    assert!(s.transitions > 0);
    let by_time: Vec<&str> = sorted_out.lines().skip(1).collect();
    let lines: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(lines.len(), shuffled.len());
    for (line, (at, _)) in lines.iter().zip(&shuffled) {
        assert_eq!(*line, by_time[(*at / 300) as usize]);
    }
}

#[test]
fn an_empty_value_takes_its_buckets_decision_or_none() {
    let csv = "timestamp,value\n2026-11-20T00:00:00Z,3\n2026-11-20T00:02:00Z,\n\
               2026-11-20T00:05:00Z,\"\"\n2026-11-20T00:10:00Z,1\n";
    let (s, out) = run(csv, Some(5)).expect("replays");
    assert_eq!(
        (s.rows, s.buckets, s.missing_buckets, s.merged_rows),
        (4, 2, 1, 0)
    );
    let lines: Vec<&str> = out.lines().collect();
    let score = lines[1].split(',').nth(2).expect("score");
    assert_eq!(lines[2], format!("2026-11-20T00:02:00Z,,{score},ok"));
    assert_eq!(lines[3], "2026-11-20T00:05:00Z,,,");
    assert!(lines[4].ends_with(",ok"));
}

#[test]
fn replay_rows_decides_like_the_csv() {
    let mut rng = Lcg(3);
    let mut at = t0();
    let rows: Vec<(DateTime<Utc>, Option<f64>)> = (0..3000)
        .map(|i| {
            at += TimeDelta::seconds(60 * rng.below(4) as i64);
            let v = if (2500..2520).contains(&i) { 30.0 } else { 1.5 };
            (at, (i % 50 != 7).then_some(v))
        })
        .collect();
    let csv = csv_of(rows.iter().map(|(t, v)| {
        (
            (*t - t0()).num_seconds(),
            v.map(|v| v.to_string()).unwrap_or_default(),
        )
    }));
    let opts = ReplayOptions::default();
    let (decided, summary) =
        replay_rows_summary(&rows, &opts, &DetectConfig::default()).expect("rows");
    let (s, out) = run(&csv, None).expect("csv");
    assert_eq!(summary, s);
    assert!(s.transitions > 0);
    assert_eq!(decided.len(), rows.len());
    for ((d, (score, state)), (t, _)) in decided.iter().zip(decisions(&out)).zip(&rows) {
        assert_eq!(
            d.bucket_start,
            buckets::bucket_start(*t, s.bucket_minutes).expect("ok")
        );
        match d.state {
            Some(st) => assert_eq!((format!("{:.4}", d.anomaly), st.as_str()), (score, &*state)),
            None => assert!(d.anomaly.is_nan() && score.is_empty() && state.is_empty()),
        }
    }
    let bad = [(t0(), Some(1.0)), (t0(), Some(-1.0))];
    let err = replay_rows(&bad, &opts, &DetectConfig::default()).expect_err("negative");
    assert!(err.to_string().starts_with("line 2: bad value"), "{err}");
    let far = [(DateTime::<Utc>::MAX_UTC, Some(1.0))];
    let err = replay_rows(&far, &opts, &DetectConfig::default()).expect_err("year 262143");
    assert!(
        err.to_string().starts_with("line 1: bad timestamp"),
        "{err}"
    );
    let back = [(t0(), Some(1.0)), (t0() - TimeDelta::hours(1), Some(1.0))];
    assert!(replay_rows(&back, &opts, &DetectConfig::default()).is_err());
    assert_eq!(
        replay_rows(&back, &sorting(None), &DetectConfig::default())
            .expect("sorted")
            .len(),
        2
    );
}
