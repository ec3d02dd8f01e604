//! The targets of issue 13, checked on the figures of one run: PASS/FAIL for every Downwatch
//! variant, the baselines' figures alongside.

use super::methods::Method;
use super::metrics::{Summary, BIG_PER_DAY, FAST_MINUTES, SHORT_BURST_MINUTES};
use super::report::{SetResult, Table};

/// A target's verdict on one method's summary, given the baselines' summaries of the same
/// set: pass (`None` when it cannot be judged) and the figure it rests on.
type Check = fn(&Summary, &[&Summary]) -> (Option<bool>, String);

fn worst_false(s: &Summary, _: &[&Summary]) -> (Option<bool>, String) {
    let w = s.worst_false_per_90_days;
    (Some(w <= 1.0), format!("{w:.2}"))
}

fn short_bursts(s: &Summary, _: &[&Summary]) -> (Option<bool>, String) {
    let figure = format!("{}/{}", s.short_bursts_reached, s.short_bursts);
    (
        (s.short_bursts > 0).then_some(s.short_bursts_reached == 0),
        figure,
    )
}

fn fast_catches(s: &Summary, _: &[&Summary]) -> (Option<bool>, String) {
    let figure = format!("{}/{}", s.big_fast, s.big_outages);
    (
        (s.big_outages > 0).then_some(s.big_fast == s.big_outages),
        figure,
    )
}

fn more_caught(s: &Summary, baselines: &[&Summary]) -> (Option<bool>, String) {
    let most = baselines.iter().map(|b| b.caught).max().unwrap_or(0);
    let pass = s.caught > most || s.caught == s.outages;
    (
        (s.outages > 0).then_some(pass),
        format!("{}/{}", s.caught, s.outages),
    )
}

fn fewer_false(s: &Summary, baselines: &[&Summary]) -> (Option<bool>, String) {
    let fewest = baselines
        .iter()
        .map(|b| b.false_incidents)
        .min()
        .unwrap_or(0);
    let pass = s.false_incidents < fewest || s.false_incidents == 0;
    (Some(pass), s.false_incidents.to_string())
}

/// The targets: which set, what it says, how it is checked.
fn all() -> Vec<(&'static str, String, Check)> {
    vec![
        (
            "sim",
            "≤ 1 false incident per service per 90 days (worst service)".into(),
            worst_false,
        ),
        (
            "sim",
            format!("viral bursts ≤ {SHORT_BURST_MINUTES} min never reach problems"),
            short_bursts,
        ),
        (
            "sim",
            format!("outages of ≥{BIG_PER_DAY:.0}/day caught ≤ {FAST_MINUTES} min after 5x"),
            fast_catches,
        ),
        (
            "real",
            "more outages caught than both baselines (or all)".into(),
            more_caught,
        ),
        (
            "real",
            "fewer false incidents than both baselines (or none)".into(),
            fewer_false,
        ),
    ]
}

/// The targets block: one row per target, one column per method.
pub fn table(sets: &[Option<&SetResult>], methods: &[Method]) -> String {
    let header =
        std::iter::once("target".to_string()).chain(methods.iter().map(|m| m.name().to_owned()));
    let mut rows: Vec<Vec<String>> = vec![header.collect()];
    for (set, label, check) in all() {
        let result = sets.iter().flatten().find(|r| r.set == set);
        let cells: Vec<String> = match result {
            None => vec![format!("n/a ({set} not run)"); methods.len()],
            Some(r) if r.series.is_empty() => vec![format!("n/a (no {set} series)"); methods.len()],
            Some(r) => {
                let summaries = r.summaries(methods);
                let baselines: Vec<&Summary> = methods
                    .iter()
                    .zip(&summaries)
                    .filter(|(m, _)| !m.is_downwatch())
                    .map(|(_, s)| s)
                    .collect();
                methods
                    .iter()
                    .zip(&summaries)
                    .map(|(m, s)| match (m.is_downwatch(), check(s, &baselines)) {
                        (false, (_, figure)) => figure,
                        (true, (None, figure)) => format!("n/a {figure}"),
                        (true, (Some(true), figure)) => format!("PASS {figure}"),
                        (true, (Some(false), figure)) => format!("FAIL {figure}"),
                    })
                    .collect()
            }
        };
        rows.push(
            std::iter::once(format!("{set}: {label}"))
                .chain(cells)
                .collect(),
        );
    }
    let mut out = String::from(
        "\ntargets (issue 13) — PASS/FAIL for Downwatch; the baselines' figures alongside\n",
    );
    let table = Table {
        groups: vec![(String::new(), 1), ("methods".into(), methods.len())],
        rows,
    };
    out.push_str(&table.render());
    out
}
