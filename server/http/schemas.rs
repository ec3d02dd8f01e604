//! Schema-only types for the OpenAPI document: the documented shape of values the stores own
//! (incidents, their evidence, live events) and the closed sets of words the API uses.
//! Nothing here is ever built; the response types point at these with
//! `#[schema(value_type = …)]`, and `tests/api/openapi.rs` checks real answers against them.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use utoipa::ToSchema;

use crate::detect::evidence::Share;

/// What the detector says about a service: `ok`, `possible-problems` or `problems`.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum ServiceState {
    Ok,
    PossibleProblems,
    Problems,
}

/// How bad an incident is (or was at its worst): `possible-problems` or `problems`.
#[derive(ToSchema)]
#[schema(rename_all = "kebab-case")]
pub enum Severity {
    PossibleProblems,
    Problems,
}

/// Whether an incident is still `open` or `resolved`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum IncidentStatus {
    Open,
    Resolved,
}

/// What happened to an incident: `opened`, `escalated`, `updated` or `resolved`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum IncidentEventKind {
    Opened,
    Escalated,
    Updated,
    Resolved,
}

/// Where a webhook delivery stands: `pending` (being attempted or waiting for its next
/// attempt), `delivered` (a 2xx answer) or `failed` (no attempt left, or the webhook was
/// deleted).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

/// `?format=`: `json` or `csv`.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum FormatParam {
    Json,
    Csv,
}

/// `?step=` of a series: the width of one point.
#[derive(ToSchema)]
pub enum Step {
    #[schema(rename = "1m")]
    OneMinute,
    #[schema(rename = "5m")]
    FiveMinutes,
    #[schema(rename = "15m")]
    FifteenMinutes,
    #[schema(rename = "1h")]
    OneHour,
}

/// `?by=` of a breakdown.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum BreakdownBy {
    Symptom,
    Country,
    Subdivision,
    Asn,
}

/// An incident: a period when a service (globally, or in one country) had far more reports
/// than normal. Figures are **reports**, never users; times are UTC (ISO 8601).
#[derive(ToSchema)]
#[schema(as = Incident)]
pub struct IncidentSchema {
    id: i64,
    /// The service's slug.
    service: String,
    /// `global`, or the ISO 3166-1 alpha-2 country the incident is about.
    scope: String,
    #[schema(value_type = IncidentStatus)]
    status: String,
    /// The worst state the incident reached.
    #[schema(value_type = Severity)]
    severity: String,
    started_at: DateTime<Utc>,
    /// When it escalated from possible problems to problems, if it did.
    escalated_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    /// The minute of the highest anomaly score.
    peak_at: DateTime<Utc>,
    /// Counted reports in the observation window at the peak (after flood damping).
    peak_reports: f64,
    /// Reports expected in that window at that time of day and week.
    peak_expected: f64,
    /// Anomaly score at the peak, in [0, 1] (`dw-detect-2`: the confidence that the true
    /// rate reached the "problems" ratio times normal).
    peak_score: f64,
    /// Counted reports since the incident started.
    total_reports: i64,
    /// The version of the detection method that declared it, e.g. `dw-detect-1`.
    methodology: String,
    /// When the detector last updated it.
    updated_at: DateTime<Utc>,
    evidence: Evidence,
}

/// Why the detector declared the incident, as of its latest update: what was observed
/// against what was expected, and how the reports break down.
#[derive(ToSchema)]
pub struct Evidence {
    /// The version of the detection method.
    methodology: String,
    /// The observation window, in minutes.
    window_minutes: i64,
    /// Counted reports in the window.
    reports: i64,
    /// The same after flood damping (at most a few reports per subnet count).
    reports_after_flood_damping: f64,
    /// Distinct reporters in the window (HyperLogLog estimate; reporters are pseudonyms).
    unique_reporters: i64,
    /// Reports expected in the window.
    expected: f64,
    /// reports / expected.
    ratio: f64,
    /// The true ratio is at least this, with confidence `confidence` (`dw-detect-2`; in
    /// `dw-detect-1` evidence it is absent).
    ratio_low: Option<f64>,
    /// Confidence of `ratio_low`, e.g. 0.99.
    confidence: Option<f64>,
    /// Surprise: `-log10 P(X >= observed | expected)` under the method's noise model
    /// (`dw-detect-2`: negative binomial with the series' dispersion), at most 12: beyond
    /// that no model fitted to weeks of one series can back the digits.
    neg_log10_p: f64,
    /// The surprise in words, as it may be quoted ("far more than chance explains").
    surprise: Option<String>,
    /// Overdispersion α of the series' window counts (variance = μ (1 + α μ)), learnt from
    /// its own calm history; 0 = Poisson.
    dispersion: Option<f64>,
    /// Anomaly score in [0, 1]: in `dw-detect-2`, the confidence that the true ratio
    /// reaches the "problems" ratio.
    score: f64,
    thresholds: EvidenceThresholds,
    top_symptoms: Vec<Share>,
    top_countries: Vec<Share>,
    top_subdivisions: Vec<Share>,
    top_networks: Vec<NetworkShare>,
    /// The network with at least half of the reports, if one has.
    network_concentration: Option<NetworkShare>,
    subnets: SubnetEvidence,
    /// Counted reports per minute of the window, oldest first.
    per_minute: Vec<i64>,
}

/// The thresholds of each state in force when the evidence was taken.
#[derive(ToSchema)]
pub struct EvidenceThresholds {
    possible_problems: Thresholds,
    problems: Thresholds,
    /// The second way into problems: a smaller surge held longer (`dw-detect-2`).
    problems_held: Option<Thresholds>,
}

/// The conditions that must all hold for a series to enter a state.
#[derive(ToSchema)]
pub struct Thresholds {
    min_neg_log10_p: f64,
    min_ratio: f64,
    min_reporters: f64,
    /// Least confident ratio (`ratio_low`); absent in `dw-detect-1` evidence.
    min_ratio_low: Option<f64>,
    /// Minutes in a row the conditions must hold; absent in `dw-detect-1` evidence.
    sustain_minutes: Option<i64>,
}

/// Reports from one autonomous system (network).
#[derive(ToSchema)]
pub struct NetworkShare {
    asn: i32,
    /// The network's organisation, when known.
    organisation: Option<String>,
    reports: i64,
    /// Share of the reports in the breakdown, in [0, 1].
    share: f64,
}

/// How concentrated the reports are by subnet (flood damping).
#[derive(ToSchema)]
pub struct SubnetEvidence {
    count: i64,
    largest_share: f64,
    cap_per_subnet: f64,
}

/// One entry of an incident's timeline.
#[derive(ToSchema)]
#[schema(as = IncidentEvent)]
pub struct IncidentEventSchema {
    at: DateTime<Utc>,
    /// `opened`, `escalated`, `updated` or `resolved`.
    kind: String,
    /// The state after the entry.
    #[schema(value_type = ServiceState)]
    state: String,
    /// Counted reports in the window at that minute.
    reports: f64,
    expected: f64,
    score: f64,
}

/// The JSON `data` of one Server-Sent Event of `GET /api/v1/events`.
#[derive(ToSchema)]
#[schema(as = LiveEvent)]
pub struct LiveEventSchema {
    /// `incident-opened`, `incident-escalated`, `incident-resolved` or `state-changed`
    /// (also the SSE `event:` name).
    kind: String,
    service: String,
    /// `global` or a country code.
    scope: String,
    incident_id: Option<i64>,
    #[schema(value_type = ServiceState)]
    state: String,
    at: DateTime<Utc>,
}
