//! The evidence behind a decision, as journalists read it: what was observed against what
//! was expected, and how the reports break down by symptom, place and network.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::config::DetectConfig;
use super::score::Score;
use crate::store::ServiceWindow;

/// Share of reports from one network above which the evidence calls it out.
pub const NETWORK_CONCENTRATION: f64 = 0.5;

/// One line of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Share {
    pub key: String,
    pub reports: i64,
    pub share: f64,
}

/// The `prefix:*` counters of a window whose key passes `keep`, largest first.
pub fn breakdown(
    fields: &HashMap<String, i64>,
    prefix: &str,
    keep: impl Fn(&str) -> bool,
    top: usize,
) -> Vec<Share> {
    let mut rows: Vec<(String, i64)> = fields
        .iter()
        .filter_map(|(f, n)| f.strip_prefix(prefix).map(|k| (k.to_owned(), *n)))
        .filter(|(k, n)| *n > 0 && keep(k))
        .collect();
    let total: i64 = rows.iter().map(|(_, n)| n).sum();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows.into_iter()
        .take(top)
        .map(|(key, reports)| Share {
            key,
            reports,
            share: round3(reports as f64 / total.max(1) as f64),
        })
        .collect()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Counted reports per subnet within `scope` (`global` or a country code).
pub fn scoped_subnets<'a>(
    window: &'a ServiceWindow,
    scope: &'a str,
) -> impl Iterator<Item = f64> + 'a {
    window
        .subnets
        .iter()
        .filter(move |(k, _)| scope == "global" || k.split(':').next() == Some(scope))
        .map(|(_, n)| *n as f64)
}

/// Raw counted reports of `scope` in the window.
pub fn scoped_reports(window: &ServiceWindow, scope: &str) -> i64 {
    if scope == "global" {
        window.per_minute.iter().sum()
    } else {
        window
            .fields
            .get(&format!("cc:{scope}"))
            .copied()
            .unwrap_or(0)
    }
}

/// The evidence of one series at one tick.
pub fn evidence(
    window: &ServiceWindow,
    scope: &str,
    score: &Score,
    cfg: &DetectConfig,
    as_orgs: &HashMap<i32, String>,
) -> Value {
    let in_scope = |k: &str| scope == "global" || k.starts_with(&format!("{scope}-"));
    let networks: Vec<Value> = breakdown(&window.fields, "asn:", |_| true, 5)
        .into_iter()
        .map(|s| {
            let asn: i32 = s.key.parse().unwrap_or(0);
            json!({
                "asn": asn,
                "organisation": as_orgs.get(&asn),
                "reports": s.reports,
                "share": s.share,
            })
        })
        .collect();
    let concentration = networks
        .first()
        .filter(|n| n["share"].as_f64().unwrap_or(0.0) >= NETWORK_CONCENTRATION)
        .cloned();
    let subnets: Vec<f64> = scoped_subnets(window, scope).collect();
    let largest_subnet = subnets.iter().copied().fold(0.0, f64::max);
    let subnet_total: f64 = subnets.iter().sum();
    json!({
        "methodology": cfg.method.as_str(),
        "window_minutes": window.per_minute.len(),
        "reports": scoped_reports(window, scope),
        "reports_after_flood_damping": round3(score.observed),
        "unique_reporters": window.unique_reporters,
        "expected": round3(score.expected),
        "ratio": round3(score.ratio),
        "ratio_low": round3(score.ratio_low),
        "confidence": cfg.confidence,
        "neg_log10_p": round3(score.neg_log10_p),
        "surprise": score.surprise_words(),
        "dispersion": round3(score.dispersion),
        "score": round3(score.anomaly),
        "thresholds": {
            "possible_problems": cfg.possible,
            "problems": cfg.problems,
            "problems_held": cfg.problems_held,
        },
        "top_symptoms": breakdown(&window.fields, "sym:", |_| true, 5),
        "top_countries": breakdown(&window.fields, "cc:", |k| scope == "global" || k == scope, 5),
        "top_subdivisions": breakdown(&window.fields, "sd:", in_scope, 5),
        "top_networks": networks,
        "network_concentration": concentration,
        "subnets": {
            "count": subnets.len(),
            "largest_share": round3(largest_subnet / subnet_total.max(1.0)),
            "cap_per_subnet": cfg.subnet_cap,
        },
        "per_minute": window.per_minute,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_are_sorted_shares_of_their_prefix() {
        let fields: HashMap<String, i64> = [
            ("sym:login", 6),
            ("sym:app", 2),
            ("cc:IT", 7),
            ("cc:GB", 1),
            ("total", 8),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let symptoms = breakdown(&fields, "sym:", |_| true, 5);
        assert_eq!(
            symptoms[0],
            Share {
                key: "login".into(),
                reports: 6,
                share: 0.75
            }
        );
        assert_eq!(symptoms.len(), 2);
        let countries = breakdown(&fields, "cc:", |k| k == "IT", 5);
        assert_eq!(
            countries,
            vec![Share {
                key: "IT".into(),
                reports: 7,
                share: 1.0
            }]
        );
    }
}
