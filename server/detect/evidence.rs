//! The evidence behind a decision, as journalists read it: what was observed against what
//! was expected, and how the reports break down by symptom, place and network.

use std::collections::HashMap;

use serde_json::Value;

use super::config::{DetectConfig, Thresholds};
use super::score::Score;
pub use crate::domain::Share;
use crate::domain::{
    Evidence, EvidenceThresholds, NetworkShare, Scope, StateThresholds, SubnetEvidence,
};
use crate::store::ServiceWindow;

/// Share of reports from one network above which the evidence calls it out.
pub const NETWORK_CONCENTRATION: f64 = 0.5;

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

/// Counted reports per subnet within `scope`.
pub fn scoped_subnets(window: &ServiceWindow, scope: Scope) -> impl Iterator<Item = f64> + '_ {
    window
        .subnets
        .iter()
        .filter(move |(k, _)| scope.is_global() || k.split(':').next() == Some(scope.as_str()))
        .map(|(_, n)| *n as f64)
}

/// Raw counted reports of `scope` in the window.
pub fn scoped_reports(window: &ServiceWindow, scope: Scope) -> i64 {
    match scope {
        Scope::Global => window.per_minute.iter().sum(),
        Scope::Country(c) => window.fields.get(&format!("cc:{c}")).copied().unwrap_or(0),
    }
}

/// The evidence of one series at one tick, as the stores keep it.
pub fn evidence(
    window: &ServiceWindow,
    scope: Scope,
    score: &Score,
    cfg: &DetectConfig,
    as_orgs: &HashMap<i32, String>,
) -> Value {
    // A document of numbers and strings always serializes.
    serde_json::to_value(build(window, scope, score, cfg, as_orgs)).unwrap_or_default()
}

fn build(
    window: &ServiceWindow,
    scope: Scope,
    score: &Score,
    cfg: &DetectConfig,
    as_orgs: &HashMap<i32, String>,
) -> Evidence {
    let in_scope = |k: &str| scope.is_global() || k.starts_with(&format!("{scope}-"));
    let networks: Vec<NetworkShare> = breakdown(&window.fields, "asn:", |_| true, 5)
        .into_iter()
        .map(|s| {
            let asn: i32 = s.key.parse().unwrap_or(0);
            NetworkShare {
                asn,
                organisation: as_orgs.get(&asn).cloned(),
                reports: s.reports,
                share: s.share,
            }
        })
        .collect();
    let concentration = networks
        .first()
        .filter(|n| n.share >= NETWORK_CONCENTRATION)
        .cloned();
    let subnets: Vec<f64> = scoped_subnets(window, scope).collect();
    let largest_subnet = subnets.iter().copied().fold(0.0, f64::max);
    let subnet_total: f64 = subnets.iter().sum();
    Evidence {
        methodology: cfg.method.as_str().to_owned(),
        window_minutes: window.per_minute.len() as i64,
        reports: scoped_reports(window, scope),
        reports_after_flood_damping: round3(score.observed),
        unique_reporters: window.unique_reporters,
        expected: round3(score.expected),
        ratio: round3(score.ratio),
        ratio_low: Some(round3(score.ratio_low)),
        confidence: Some(cfg.confidence),
        neg_log10_p: round3(score.neg_log10_p),
        surprise: Some(score.surprise_words().to_owned()),
        dispersion: Some(round3(score.dispersion)),
        score: round3(score.anomaly),
        thresholds: EvidenceThresholds {
            possible_problems: thresholds(&cfg.possible),
            problems: thresholds(&cfg.problems),
            problems_held: cfg.problems_held.as_ref().map(thresholds),
        },
        top_symptoms: breakdown(&window.fields, "sym:", |_| true, 5),
        top_platforms: Some(breakdown(&window.fields, "pf:", |_| true, 7)),
        top_countries: breakdown(
            &window.fields,
            "cc:",
            |k| scope.is_global() || k == scope.as_str(),
            5,
        ),
        top_subdivisions: breakdown(&window.fields, "sd:", in_scope, 5),
        top_networks: networks,
        network_concentration: concentration,
        subnets: SubnetEvidence {
            count: subnets.len() as i64,
            largest_share: round3(largest_subnet / subnet_total.max(1.0)),
            cap_per_subnet: cfg.subnet_cap,
        },
        per_minute: window.per_minute.clone(),
    }
}

/// The thresholds of one state, as the evidence shows them.
fn thresholds(t: &Thresholds) -> StateThresholds {
    StateThresholds {
        min_neg_log10_p: t.min_neg_log10_p,
        min_ratio: t.min_ratio,
        min_reporters: t.min_reporters,
        min_ratio_low: Some(t.min_ratio_low),
        sustain_minutes: Some(i64::from(t.sustain_minutes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn the_evidence_document_keeps_its_fields_and_scope() {
        let window = ServiceWindow {
            service: "netflix".into(),
            per_minute: vec![10, 12, 14],
            unique_reporters: 30,
            fields: [
                ("cc:IT", 30),
                ("cc:FR", 6),
                ("sd:IT-25", 20),
                ("asn:3269", 30),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
            subnets: [("IT:a", 20), ("IT:b", 10), ("FR:c", 6)]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        };
        let cfg = DetectConfig::default();
        let s = super::super::score::score(36.0, 2.0, 0.1, &cfg);
        let orgs = HashMap::from([(3269, "Telecom Italia".to_owned())]);
        let italy: Scope = "IT".parse().expect("a scope");
        let doc = evidence(&window, italy, &s, &cfg, &orgs);
        let mut keys: Vec<&str> = doc
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "confidence",
                "dispersion",
                "expected",
                "methodology",
                "neg_log10_p",
                "network_concentration",
                "per_minute",
                "ratio",
                "ratio_low",
                "reports",
                "reports_after_flood_damping",
                "score",
                "subnets",
                "surprise",
                "thresholds",
                "top_countries",
                "top_networks",
                "top_platforms",
                "top_subdivisions",
                "top_symptoms",
                "unique_reporters",
                "window_minutes",
            ]
        );
        assert_eq!(doc["reports"], 30);
        assert_eq!(doc["window_minutes"], 3);
        assert_eq!(doc["top_countries"][0]["key"], "IT");
        assert_eq!(doc["top_countries"].as_array().map(Vec::len), Some(1));
        assert_eq!(doc["subnets"]["count"], 2);
        assert_eq!(
            doc["network_concentration"],
            json!({"asn": 3269, "organisation": "Telecom Italia", "reports": 30, "share": 1.0})
        );
        let t = &doc["thresholds"]["problems"];
        assert_eq!(t["sustain_minutes"], cfg.problems.sustain_minutes);
        assert_eq!(t["min_ratio_low"], cfg.problems.min_ratio_low);
        let global = evidence(&window, Scope::Global, &s, &cfg, &orgs);
        assert_eq!(global["reports"], 36);
        assert_eq!(global["top_countries"].as_array().map(Vec::len), Some(2));
    }
}
