//! The evidence document: why the detector declared an incident, as journalists read it. The
//! detector builds it at every tick of an incident; the stores keep it as JSON, as written
//! (older methods' documents lack the fields marked as absent in `dw-detect-1`, which is why
//! they are options here although the detector always fills them now).

use serde::Serialize;
use utoipa::ToSchema;

/// Why the detector declared the incident, as of its latest update: what was observed
/// against what was expected, and how the reports break down.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Evidence {
    /// The version of the detection method.
    pub methodology: String,
    /// The observation window, in minutes.
    pub window_minutes: i64,
    /// Counted reports in the window.
    pub reports: i64,
    /// The same after flood damping (at most a few reports per subnet count).
    pub reports_after_flood_damping: f64,
    /// Distinct reporters in the window (HyperLogLog estimate; reporters are pseudonyms).
    pub unique_reporters: i64,
    /// Reports expected in the window.
    pub expected: f64,
    /// reports / expected.
    pub ratio: f64,
    /// The true ratio is at least this, with confidence `confidence` (`dw-detect-2`; in
    /// `dw-detect-1` evidence it is absent).
    pub ratio_low: Option<f64>,
    /// Confidence of `ratio_low`, e.g. 0.99.
    pub confidence: Option<f64>,
    /// Surprise: `-log10 P(X >= observed | expected)` under the method's noise model
    /// (`dw-detect-2`: negative binomial with the series' dispersion), at most 12: beyond
    /// that no model fitted to weeks of one series can back the digits.
    pub neg_log10_p: f64,
    /// The surprise in words, as it may be quoted ("far more than chance explains").
    pub surprise: Option<String>,
    /// Overdispersion α of the series' window counts (variance = μ (1 + α μ)), learnt from
    /// its own calm history; 0 = Poisson.
    pub dispersion: Option<f64>,
    /// Anomaly score in [0, 1]: in `dw-detect-2`, the confidence that the true ratio
    /// reaches the "problems" ratio.
    pub score: f64,
    pub thresholds: EvidenceThresholds,
    pub top_symptoms: Vec<Share>,
    /// Where the reporters use the service (`ios`, `web`, …), of the reports that said;
    /// absent in evidence taken before reports had a platform.
    pub top_platforms: Option<Vec<Share>>,
    pub top_countries: Vec<Share>,
    pub top_subdivisions: Vec<Share>,
    pub top_networks: Vec<NetworkShare>,
    /// The network with at least half of the reports, if one has.
    pub network_concentration: Option<NetworkShare>,
    pub subnets: SubnetEvidence,
    /// Counted reports per minute of the window, oldest first.
    pub per_minute: Vec<i64>,
}

/// The thresholds of each state in force when the evidence was taken.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EvidenceThresholds {
    pub possible_problems: StateThresholds,
    pub problems: StateThresholds,
    /// The second way into problems: a smaller surge held longer (`dw-detect-2`).
    pub problems_held: Option<StateThresholds>,
}

/// The conditions that must all hold for a series to enter a state.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Thresholds)]
pub struct StateThresholds {
    pub min_neg_log10_p: f64,
    pub min_ratio: f64,
    pub min_reporters: f64,
    /// Least confident ratio (`ratio_low`); absent in `dw-detect-1` evidence.
    pub min_ratio_low: Option<f64>,
    /// Minutes in a row the conditions must hold; absent in `dw-detect-1` evidence.
    pub sustain_minutes: Option<i64>,
}

/// One line of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Share {
    pub key: String,
    pub reports: i64,
    pub share: f64,
}

/// Reports from one autonomous system (network).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NetworkShare {
    pub asn: i32,
    /// The network's organisation, when known.
    pub organisation: Option<String>,
    pub reports: i64,
    /// Share of the reports in the breakdown, in [0, 1].
    pub share: f64,
}

/// How concentrated the reports are by subnet (flood damping).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SubnetEvidence {
    pub count: i64,
    pub largest_share: f64,
    pub cap_per_subnet: f64,
}
