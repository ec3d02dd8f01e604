//! The printed tables of `bench/quality`: per series with the methods side by side, and
//! overall per set.

use std::fmt::Write as _;

use super::methods::Method;
use super::metrics::{
    median, SeriesMetrics, Summary, BIG_PER_DAY, FAST_MINUTES, SHORT_BURST_MINUTES,
};

/// One series and every method's figures on it (in the order of the methods).
pub struct SeriesResult {
    pub name: String,
    pub metrics: Vec<SeriesMetrics>,
}

/// A set ("real" or "sim") once run.
pub struct SetResult {
    pub set: &'static str,
    pub series: Vec<SeriesResult>,
}

impl SetResult {
    /// Each method's summary over the set.
    pub fn summaries(&self, methods: &[Method]) -> Vec<Summary> {
        (0..methods.len())
            .map(|i| Summary::of(self.series.iter().map(|s| &s.metrics[i])))
            .collect()
    }
}

/// Columns in groups: a group title over its columns; the first row of `rows` is the
/// columns' own headers. The first column is left-aligned, the others right-aligned.
pub struct Table {
    pub groups: Vec<(String, usize)>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as aligned text lines.
    pub fn render(&self) -> String {
        let columns = self.groups.iter().map(|g| g.1).sum::<usize>();
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r.get(c).map_or(0, |s| width(s)))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut first = 0;
        for (title, n) in &self.groups {
            let span = widths[first..first + n].iter().sum::<usize>() + 2 * (n - 1);
            if width(title) > span {
                widths[first + n - 1] += width(title) - span;
            }
            first += n;
        }
        let mut out = String::new();
        let mut line = String::new();
        let mut first = 0;
        for (g, (title, n)) in self.groups.iter().enumerate() {
            let span = widths[first..first + n].iter().sum::<usize>() + 2 * (n - 1);
            let sep = if g == 0 { "" } else { " | " };
            let _ = write!(line, "{sep}{title:<span$}");
            first += n;
        }
        let _ = writeln!(out, "{}", line.trim_end());
        for row in &self.rows {
            let mut line = String::new();
            let mut c = 0;
            for (g, (_, n)) in self.groups.iter().enumerate() {
                line.push_str(if g == 0 { "" } else { " | " });
                for k in 0..*n {
                    let cell = row.get(c).map_or("", String::as_str);
                    let w = widths[c];
                    let pad = if k == 0 { "" } else { "  " };
                    if c == 0 {
                        let _ = write!(line, "{pad}{cell:<w$}");
                    } else {
                        let _ = write!(line, "{pad}{cell:>w$}");
                    }
                    c += 1;
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out
    }
}

fn minutes(m: Option<f64>) -> String {
    m.map_or_else(|| "-".into(), |m| format!("{m:.0}"))
}

fn signed(m: Option<f64>) -> String {
    m.map_or_else(|| "-".into(), |m| format!("{m:+.0}"))
}

fn med_max(values: &[f64]) -> String {
    match (median(values), values.iter().copied().reduce(f64::max)) {
        (Some(med), Some(max)) => format!("{med:.0}/{max:.0}"),
        _ => "-".into(),
    }
}

fn ratio(a: usize, b: usize) -> String {
    format!("{a}/{b}")
}

fn score(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.3}"))
}

/// The per-series tables and the overall table of one set.
pub fn set_tables(result: &SetResult, methods: &[Method]) -> String {
    let sim = result.set == "sim";
    let mut out = String::new();
    let groups = |first: &[&str], per_method: usize| {
        std::iter::once((String::new(), first.len()))
            .chain(methods.iter().map(|m| (m.name().to_owned(), per_method)))
            .collect::<Vec<_>>()
    };

    // Detection: caught, delays, resolve, AUC.
    let sub: &[&str] = if sim {
        &["caught", "delay", "from 5x", "resolve", "auc"]
    } else {
        &["caught", "delay", "resolve", "auc"]
    };
    let mut rows = vec![header(&["series", "outages"], methods.len(), sub)];
    for s in &result.series {
        let mut row = vec![
            s.name.clone(),
            s.metrics.first().map_or(0, |m| m.outages.len()).to_string(),
        ];
        for m in &s.metrics {
            let summary = Summary::of([m]);
            row.push(ratio(summary.caught, summary.outages));
            row.push(med_max(&summary.delays));
            if sim {
                row.push(med_max(&summary.delays_5x));
            }
            row.push(signed(median(&summary.resolves)));
            row.push(score(m.auc));
        }
        rows.push(row);
    }
    let _ = writeln!(
        out,
        "\n{} — outages: caught/labelled; minutes from the labelled onset{} to \"problems\" \
         (median/max); labelled end → back to ok (median); AUC of the score per bucket",
        result.set,
        if sim {
            " (and from the 5x crossing)"
        } else {
            ""
        }
    );
    out.push_str(
        &Table {
            groups: groups(&["series", "outages"], sub.len()),
            rows,
        }
        .render(),
    );

    // False alarms.
    let sub: &[&str] = if sim {
        &["false", "/week", "bursts", "possible/wk"]
    } else {
        &["false", "/week", "possible/wk"]
    };
    let mut rows = vec![header(&["series"], methods.len(), sub)];
    for s in &result.series {
        let mut row = vec![s.name.clone()];
        for (m, method) in s.metrics.iter().zip(methods) {
            let summary = Summary::of([m]);
            row.push(m.false_incidents.to_string());
            row.push(format!("{:.2}", summary.false_per_week()));
            if sim {
                row.push(ratio(summary.bursts_reached, summary.bursts));
            }
            row.push(if method.is_downwatch() {
                format!("{:.2}", summary.possible_per_week())
            } else {
                "-".into()
            });
        }
        rows.push(row);
    }
    let _ = writeln!(
        out,
        "\n{} — false incidents (\"problems\" outside labelled outages and their hour of tail): count and per \
         series-week;{} possible-problems entries per week (Downwatch only)",
        result.set,
        if sim { " viral bursts that reached problems;" } else { "" }
    );
    out.push_str(
        &Table {
            groups: groups(&["series"], sub.len()),
            rows,
        }
        .render(),
    );
    out.push_str(&overall(result, methods));
    out
}

/// One row per figure, the methods side by side.
fn overall(result: &SetResult, methods: &[Method]) -> String {
    let sim = result.set == "sim";
    let all = result.summaries(methods);
    let first = all.first().cloned().unwrap_or_default();
    let mut rows: Vec<Vec<String>> = vec![std::iter::once("figure".to_string())
        .chain(methods.iter().map(|m| m.name().to_owned()))
        .collect()];
    let mut add = |label: &str, cell: &dyn Fn(&Summary) -> String| {
        rows.push(
            std::iter::once(label.to_owned())
                .chain(all.iter().map(cell))
                .collect(),
        );
    };
    add("outages caught", &|s| ratio(s.caught, s.outages));
    add("delay onset → problems, median (min)", &|s| {
        minutes(median(&s.delays))
    });
    add("delay onset → problems, max (min)", &|s| {
        minutes(s.delays.iter().copied().reduce(f64::max))
    });
    if sim {
        add("delay from 5x crossing, median (min)", &|s| {
            minutes(median(&s.delays_5x))
        });
        add("delay from 5x crossing, max (min)", &|s| {
            minutes(s.delays_5x.iter().copied().reduce(f64::max))
        });
        add(
            &format!("≥{BIG_PER_DAY:.0}/day: caught ≤ {FAST_MINUTES} min after 5x"),
            &|s| ratio(s.big_fast, s.big_outages),
        );
    }
    add("labelled end → back to ok, median (min)", &|s| {
        signed(median(&s.resolves))
    });
    add("false incidents", &|s| s.false_incidents.to_string());
    add("false incidents per series-week", &|s| {
        format!("{:.3}", s.false_per_week())
    });
    add("false incidents per series per 90 days", &|s| {
        format!("{:.2}", s.false_per_90_days())
    });
    add("  worst series, per 90 days", &|s| {
        format!("{:.2}", s.worst_false_per_90_days)
    });
    if sim {
        add("viral bursts reaching problems", &|s| {
            ratio(s.bursts_reached, s.bursts)
        });
        add(
            &format!("  of bursts ≤ {SHORT_BURST_MINUTES} min"),
            &|s| ratio(s.short_bursts_reached, s.short_bursts),
        );
    }
    let possible: Vec<String> = methods
        .iter()
        .zip(&all)
        .map(|(m, s)| {
            if m.is_downwatch() {
                format!("{:.3}", s.possible_per_week())
            } else {
                "-".into()
            }
        })
        .collect();
    rows.push(
        std::iter::once("possible-problems entries per week".to_string())
            .chain(possible)
            .collect(),
    );
    let mut add = |label: &str, cell: &dyn Fn(&Summary) -> String| {
        rows.push(
            std::iter::once(label.to_owned())
                .chain(all.iter().map(cell))
                .collect(),
        );
    };
    add("score AUC, all buckets pooled", &|s| score(s.auc));
    if sim {
        add("score at onsets (mean, ≤ 3 min after 5x)", &|s| {
            score(mean(&s.onset_scores))
        });
        add("peak score in viral bursts (mean)", &|s| {
            score(mean(&s.burst_peaks))
        });
        add("onsets ranked above bursts (AUC)", &|s| {
            score(s.onset_over_burst())
        });
    }
    let weeks = first.weeks;
    let mut out = format!(
        "\n{} — overall: {} series, {:.0} series-weeks judged, {} labelled outages{}\n",
        result.set,
        first.series,
        weeks,
        first.outages,
        if sim {
            format!(", {} viral bursts", first.bursts)
        } else {
            String::new()
        }
    );
    let n = methods.len();
    out.push_str(
        &Table {
            groups: vec![(String::new(), 1), ("methods".into(), n)],
            rows,
        }
        .render(),
    );
    out
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// A table's header: the leading columns, then each method's sub-columns.
fn header(lead: &[&str], methods: usize, sub: &[&str]) -> Vec<String> {
    lead.iter()
        .chain((0..methods).flat_map(|_| sub.iter()))
        .map(|s| s.to_string())
        .collect()
}
