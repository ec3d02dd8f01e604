use super::*;
use chrono::{Duration, TimeZone};

/// Midnight of `day` days after Monday 5 January 2026, plus `hour` hours.
fn at(day: i64, hour: i64) -> DateTime<Utc> {
    let monday = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).single();
    monday.expect("valid") + Duration::days(day) + Duration::hours(hour)
}

fn sample(start: DateTime<Utc>, minutes: u32, value: f64, anomalous: bool) -> Sample {
    Sample {
        start,
        minutes,
        value,
        anomalous,
    }
}

/// Feeds `days` of 15-minute samples at `rate(day, hour)` reports per minute.
fn feed(b: &mut Baseline, days: i64, rate: impl Fn(i64, f64) -> f64) {
    for i in 0..days * SLOTS_PER_DAY {
        let start = at(0, 0) + Duration::minutes(i * SLOT_MINUTES);
        let value = rate(i / SLOTS_PER_DAY, (i % SLOTS_PER_DAY) as f64 / 4.0) * 15.0;
        b.push(&sample(start, 15, value, false));
    }
}

#[test]
fn new_series_expects_the_prior() {
    let cfg = DetectConfig::default();
    let b = Baseline::new(&cfg);
    assert!((b.expected_per_minute(at(0, 0)) - cfg.prior_per_minute).abs() < 1e-12);
    assert_eq!(b.days_of_history(), 0.0);
}

#[test]
fn learns_the_time_of_day() {
    let mut b = Baseline::new(&DetectConfig::default());
    feed(&mut b, 8, |_, h| {
        if (18.0..22.0).contains(&h) {
            10.0
        } else {
            2.0
        }
    });
    let (evening, night) = (
        b.expected_per_minute(at(8, 20)),
        b.expected_per_minute(at(8, 4)),
    );
    assert!((evening / night) > 3.0, "evening {evening}, night {night}");
    assert!((b.days_of_history() - 8.0).abs() < 1e-9);
}

#[test]
fn learns_the_weekend_after_two_weeks() {
    let mut b = Baseline::new(&DetectConfig::default());
    feed(&mut b, 21, |d, _| if d % 7 >= 5 { 6.0 } else { 2.0 });
    let (sat, fri) = (
        b.expected_per_minute(at(26, 12)),
        b.expected_per_minute(at(25, 12)),
    );
    assert!(sat / fri > 2.0, "saturday {sat}, friday {fri}");
}

#[test]
fn anomalous_samples_do_not_raise_the_expectation() {
    let cfg = DetectConfig::default();
    let (mut clean, mut flagged) = (Baseline::new(&cfg), Baseline::new(&cfg));
    feed(&mut clean, 3, |_, _| 1.0);
    feed(&mut flagged, 3, |_, _| 1.0);
    clean.push(&sample(at(3, 0), 60, 60.0, false));
    flagged.push(&sample(at(3, 0), 60, 6000.0, true));
    let (a, b) = (
        clean.expected_per_minute(at(3, 1)),
        flagged.expected_per_minute(at(3, 1)),
    );
    assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    assert_eq!(clean.days_of_history(), flagged.days_of_history());
}

#[test]
fn follows_growth_through_the_level_factor() {
    let mut b = Baseline::new(&DetectConfig::default());
    feed(&mut b, 7, |_, _| 1.0);
    for i in 0..24 {
        b.push(&sample(
            at(7, 0) + Duration::minutes(i * 15),
            15,
            45.0,
            false,
        ));
    }
    let e = b.expected_per_minute(at(7, 6));
    assert!(e > 2.5 && e < 3.2, "{e}");
}

#[test]
fn memory_is_bounded_and_out_of_order_samples_ignored() {
    let mut b = Baseline::new(&DetectConfig::default());
    feed(&mut b, 40, |_, _| 1.0);
    assert!((b.days_of_history() - 28.0).abs() < 1e-9);
    let before = b.expected_per_minute(at(40, 0));
    b.push(&sample(at(1, 0), 15, 1e6, false));
    b.push(&sample(at(40, 0), 15, f64::NAN, false));
    assert_eq!(b.expected_per_minute(at(40, 0)), before);
}

#[test]
fn a_country_series_follows_its_local_time_across_dst() {
    // Rome: an evening peak at 20:00 local time, which is 19:00 UTC in winter and 18:00
    // UTC in summer (DST began on Sunday 29 March 2026).
    let zone: Tz = "Europe/Rome".parse().expect("zone");
    let cfg = DetectConfig::default();
    let (mut local, mut utc) = (Baseline::in_zone(&cfg, Some(zone)), Baseline::new(&cfg));
    let first = Utc
        .with_ymd_and_hms(2026, 3, 15, 0, 0, 0)
        .single()
        .expect("valid");
    for i in 0..21 * 1440 {
        let t = first + Duration::minutes(i);
        let hour = t.with_timezone(&zone).format("%H").to_string();
        let value = if hour == "20" { 10.0 } else { 1.0 };
        for b in [&mut local, &mut utc] {
            b.push(&sample(t, 1, value, false));
        }
    }
    // Summer, 18:30 UTC = 20:30 in Rome.
    let evening = Utc
        .with_ymd_and_hms(2026, 4, 5, 18, 30, 0)
        .single()
        .expect("valid");
    let (l, u) = (
        local.expected_per_minute(evening),
        utc.expected_per_minute(evening),
    );
    assert!(l > 6.0, "local time of day: {l}");
    assert!(u < l, "UTC mixes winter and summer: {u} vs {l}");
}

#[test]
fn the_day_offset_kept_while_learning_is_the_zones_offset_all_year() {
    let cfg = DetectConfig::default();
    for name in [
        "Europe/Rome",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Tehran",
    ] {
        let zone: Tz = name.parse().expect("zone");
        let mut b = Baseline::in_zone(&cfg, Some(zone));
        let first = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        for i in 0..365 * 96 {
            let t = first + Duration::minutes(i * 15 + i % 15);
            assert_eq!(b.learning_minute_index(t), b.minute_index(t), "{name} {t}");
        }
    }
}

#[test]
fn band_brackets_the_expectation() {
    let mut b = Baseline::new(&DetectConfig::default());
    feed(&mut b, 2, |_, _| 4.0);
    let e = b.expected_per_minute(at(2, 3));
    let (lo, hi) = b.band_per_minute(at(2, 3));
    assert!(lo < e && e < hi, "{lo} < {e} < {hi}");
}
