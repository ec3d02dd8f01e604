//! What people's screens said: the k-anonymous phrases of a service's reports in a window,
//! each with the share of the reporters who sent any message.

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::store::{ReportLog, StoreError};

/// Most phrases a page or an answer lists.
pub const TOP_PHRASES: i64 = 10;

/// One phrase that at least k distinct reporters sent.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PhraseShare {
    /// The normalised phrase (lower case; numbers masked as `#`).
    pub phrase: String,
    /// Distinct reporters who sent it in the window.
    pub reporters: i64,
    /// `reporters` over the distinct reporters who sent any message in the window, in [0, 1].
    pub share: f64,
}

/// The published phrases of a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SaidPhrases {
    /// Distinct reporters who sent any message in the window.
    pub reporters: i64,
    /// The phrases at least `min_reporters` distinct reporters sent, most reporters first.
    pub phrases: Vec<PhraseShare>,
}

/// The period whose phrases an incident shows: from the start of the detection window that
/// opened it (the reports that made it, `window_minutes` of its evidence) to its end, or now.
pub fn incident_period(
    started_at: DateTime<Utc>,
    resolved_at: Option<DateTime<Utc>>,
    evidence: &serde_json::Value,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let window = evidence["window_minutes"]
        .as_i64()
        .unwrap_or(15)
        .clamp(1, 24 * 60);
    (
        started_at - TimeDelta::minutes(window),
        resolved_at.unwrap_or_else(Utc::now),
    )
}

/// The phrases of `service`'s reports in `[from, to)` that at least `min_reporters`
/// distinct reporters sent (the store applies the threshold), at most `limit`.
pub async fn said(
    log: &dyn ReportLog,
    service: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    min_reporters: u32,
    limit: i64,
) -> Result<SaidPhrases, StoreError> {
    let found = log
        .top_phrases(service, from, to, i64::from(min_reporters.max(2)), limit)
        .await?;
    let total = found.reporters.max(1) as f64;
    Ok(SaidPhrases {
        reporters: found.reporters,
        phrases: found
            .phrases
            .into_iter()
            .map(|p| PhraseShare {
                share: ((p.reporters as f64 / total).min(1.0) * 1000.0).round() / 1000.0,
                phrase: p.phrase,
                reporters: p.reporters,
            })
            .collect(),
    })
}
