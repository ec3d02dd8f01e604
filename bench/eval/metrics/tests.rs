//! Unit tests of the metrics on a hand-made week: caught, delays, resolve, false incidents,
//! bursts, AUC and sums over series.

use super::*;
use crate::series::{Event, LabelledSeries};
use chrono::TimeZone;

fn t(minute: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("date")
        + mins(minute)
}

/// A week of one-minute rows with an outage at 100–130 (5x at 102) and a burst at 300–308.
fn labelled() -> LabelledSeries {
    LabelledSeries {
        name: "hand-made".into(),
        rows: (0..7 * 1440).map(|m| (t(m), Some(1.0))).collect(),
        bucket_minutes: 1,
        events: vec![
            Event {
                start: t(100),
                end: t(130),
                kind: EventKind::Outage,
                five_x: Some(t(102)),
            },
            Event {
                start: t(300),
                end: t(308),
                kind: EventKind::Burst,
                five_x: None,
            },
        ],
        eval_from: t(0),
        per_day: Some(1_440.0),
    }
}

/// Decisions for every minute: problems where `problems` says, possible where `possible`.
fn decide(problems: &[(i64, i64)], possible: &[(i64, i64)]) -> Vec<Decision> {
    let within = |m: i64, spans: &[(i64, i64)]| spans.iter().any(|&(a, b)| (a..b).contains(&m));
    (0..7 * 1440)
        .map(|m| {
            let (state, score) = if within(m, problems) {
                (State::Problems, 1.0)
            } else if within(m, possible) {
                (State::PossibleProblems, 0.5)
            } else {
                (State::Ok, 0.0)
            };
            Decision {
                at: t(m + 1),
                score,
                state,
            }
        })
        .collect()
}

#[test]
fn an_outage_caught_late_counts_its_delays_and_resolve_time() {
    // Problems from minute 103 (decided at its end, 104) to 160 (ok decided at 161).
    let m = evaluate(&labelled(), &decide(&[(103, 160)], &[]));
    assert_eq!(m.caught(), 1);
    let o = &m.outages[0];
    assert_eq!(
        (o.delay, o.delay_5x, o.resolve),
        (Some(4), Some(2), Some(31))
    );
    assert!(o.big);
    assert_eq!(o.onset_score, Some(1.0));
    assert_eq!(m.false_incidents, 0);
}

#[test]
fn incidents_outside_outages_and_their_tail_are_false_and_bursts_that_open_one_count() {
    let m = evaluate(
        &labelled(),
        &decide(
            &[(103, 120), (180, 185), (303, 315), (500, 505)],
            &[(400, 402)],
        ),
    );
    // 180 is inside the hour of tail; 303 (the burst) and 500 are false.
    assert_eq!(m.false_incidents, 2);
    assert_eq!(m.false_possible, 1);
    assert_eq!(m.bursts.len(), 1);
    assert!(m.bursts[0].reached_problems);
    assert_eq!(m.bursts[0].minutes, 8);
    assert!((m.false_per_90_days() - 2.0 * 90.0 / (7.0 - 1.0 / 1440.0)).abs() < 0.01);
}

#[test]
fn an_incident_already_open_before_the_outage_does_not_catch_it() {
    let m = evaluate(&labelled(), &decide(&[(60, 140)], &[]));
    assert_eq!(m.caught(), 0);
    assert_eq!(m.outages[0].delay, None);
    assert_eq!(m.false_incidents, 1);
}

#[test]
fn a_silent_method_catches_nothing_and_ranks_at_chance() {
    let m = evaluate(&labelled(), &decide(&[], &[]));
    assert_eq!((m.caught(), m.false_incidents), (0, 0));
    assert_eq!(m.auc, Some(0.5));
}

#[test]
fn auc_counts_pairs_ranked_right_and_ties_as_half() {
    let mut s = vec![(0.9, true), (0.4, true), (0.5, false), (0.1, false)];
    assert_eq!(auc(&mut s), Some(0.75));
    assert_eq!(auc(&mut [(0.5, true), (0.5, false)]), Some(0.5));
    assert_eq!(auc(&mut [(0.5, true)]), None);
}

#[test]
fn summaries_add_up_series() {
    let a = evaluate(&labelled(), &decide(&[(103, 160)], &[]));
    let b = evaluate(&labelled(), &decide(&[(60, 140), (303, 306)], &[]));
    let s = Summary::of([&a, &b]);
    assert_eq!(
        (s.outages, s.caught, s.big_outages, s.big_fast),
        (2, 1, 2, 1)
    );
    assert_eq!(
        (s.bursts, s.bursts_reached, s.short_bursts_reached),
        (2, 1, 1)
    );
    assert_eq!(s.false_incidents, 2);
    assert_eq!(median(&s.delays), Some(4.0));
}
