//! `bench/replay`'s engine: how fast `downwatch replay` goes through a long export. Generates
//! one-minute rows in memory (seeded: a daily rhythm, Poisson-like noise, bursts now and
//! then, a few duplicated and missing minutes), then times `replay()` from the CSV bytes to a
//! sink, and `replay_rows()` over the same rows, and prints rows, seconds and rows/s.
//!
//! Environment: `BENCH_ROWS` (default 100000).

use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Poisson};

use downwatch::detect::config::DetectConfig;
use downwatch::detect::replay::{replay, replay_rows, ReplayOptions};

/// `n` minute rows: about 20 a minute by day and 5 at night, a burst of ten times that for
/// 20 minutes every ~2 days, one minute in 500 missing and one in 500 written twice.
fn rows(n: usize, rng: &mut StdRng) -> anyhow::Result<Vec<(DateTime<Utc>, Option<f64>)>> {
    let start = DateTime::parse_from_rfc3339("2026-01-05T00:00:00Z")?.to_utc();
    let mut out = Vec::with_capacity(n);
    let mut minute = 0i64;
    let mut burst_until = -1;
    while out.len() < n {
        let at = start + TimeDelta::minutes(minute);
        let hour = (minute / 60) % 24;
        let mut mean: f64 = if (8..23).contains(&hour) { 20.0 } else { 5.0 };
        if rng.random::<f64>() < 1.0 / 2880.0 {
            burst_until = minute + 20;
        }
        if minute < burst_until {
            mean *= 10.0;
        }
        let value: f64 = Poisson::new(mean).map_or(0.0, |d| d.sample(rng));
        let roll = rng.random::<f64>();
        if roll > 0.998 {
            // Written twice, as two halves: summed back into one bucket.
            let half = (value / 2.0).round();
            out.extend([(at, Some(half)), (at, Some(value - half))]);
        } else if roll >= 0.002 {
            out.push((at, Some(value)));
        } // else: a missing minute
        minute += 1;
    }
    out.truncate(n);
    Ok(out)
}

fn main() -> anyhow::Result<()> {
    let n = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000usize);
    let cfg = DetectConfig::default();
    let rows = rows(n, &mut StdRng::seed_from_u64(42))?;
    let mut csv = String::from("timestamp,value\n");
    for (at, value) in &rows {
        let value = value.map(|v| v.to_string()).unwrap_or_default();
        csv.push_str(&format!("{},{value}\n", at.format("%Y-%m-%dT%H:%M:%SZ")));
    }

    let started = Instant::now();
    let summary = replay(csv.as_bytes(), std::io::sink(), None, &cfg)?;
    let csv_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let decisions = replay_rows(&rows, &ReplayOptions::default(), &cfg)?;
    let rows_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(decisions.len() == rows.len(), "one decision per row");

    println!(
        "input        {} rows, {:.1} MB of CSV; {}-minute buckets: {} scored, {} missing, {} rows summed; {} state changes",
        summary.rows,
        csv.len() as f64 / 1e6,
        summary.bucket_minutes,
        summary.buckets,
        summary.missing_buckets,
        summary.merged_rows,
        summary.transitions
    );
    for (what, seconds) in [("replay()", csv_seconds), ("replay_rows()", rows_seconds)] {
        println!(
            "{what:<15}{} rows in {seconds:.3} s = {:.0} rows/s",
            rows.len(),
            rows.len() as f64 / seconds
        );
    }
    Ok(())
}
