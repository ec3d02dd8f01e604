//! What people's screens said: the k-anonymous phrases of a service's reports in a window,
//! each with the share of the reporters who sent any message.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::store::{minute_of, ReportLog, StoreError};
use crate::sync::lock;

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
        resolved_at.unwrap_or_else(|| minute_window(Utc::now(), 1).1),
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

/// The phrases of the windows being read, kept for [`PHRASE_TTL`]: a service page in an
/// outage is read by many people at once, and each read would otherwise group the last hour's
/// reports again. Windows are whole minutes (see [`minute_window`]), so readers within a
/// minute share a key; an answer is at most [`PHRASE_TTL`] behind.
#[derive(Default)]
pub struct PhraseCache {
    entries: Mutex<HashMap<PhraseKey, (Instant, SaidPhrases)>>,
}

/// How long the phrases of a window are answered from memory.
pub const PHRASE_TTL: Duration = Duration::from_secs(5);

/// (service, from, to, k).
type PhraseKey = (String, DateTime<Utc>, DateTime<Utc>, u32);

/// Entries kept at most (services being looked at × windows); all are forgotten beyond.
const PHRASE_ENTRIES: usize = 512;

impl PhraseCache {
    /// [`said`] for `[from, to)` with at most [`TOP_PHRASES`], read once per key.
    pub async fn said(
        &self,
        log: &dyn ReportLog,
        service: &str,
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        min_reporters: u32,
    ) -> Result<SaidPhrases, StoreError> {
        let key = (service.to_owned(), from, to, min_reporters);
        if let Some((read_at, hit)) = lock(&self.entries).get(&key) {
            if read_at.elapsed() < PHRASE_TTL {
                return Ok(hit.clone());
            }
        }
        let found = said(log, service, from, to, min_reporters, TOP_PHRASES).await?;
        let mut entries = lock(&self.entries);
        if entries.len() >= PHRASE_ENTRIES {
            entries.retain(|_, (read_at, _)| read_at.elapsed() < PHRASE_TTL);
            if entries.len() >= PHRASE_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), found.clone()));
        Ok(found)
    }
}

/// The last `minutes` whole minutes up to the end of the one holding `now`.
pub fn minute_window(now: DateTime<Utc>, minutes: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = minute_of(now) + TimeDelta::minutes(1);
    (end - TimeDelta::minutes(minutes.max(1)), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("a time")
    }

    #[test]
    fn windows_are_whole_minutes_ending_after_now() {
        let (from, to) = minute_window(at("2026-12-07T10:42:31Z"), 60);
        assert_eq!(from, at("2026-12-07T09:43:00Z"));
        assert_eq!(to, at("2026-12-07T10:43:00Z"));
    }

    #[test]
    fn an_incident_shows_the_phrases_of_the_window_that_opened_it() {
        let evidence = serde_json::json!({"window_minutes": 10});
        let (from, to) = incident_period(
            at("2026-12-07T10:00:00Z"),
            Some(at("2026-12-07T11:00:00Z")),
            &evidence,
        );
        assert_eq!(from, at("2026-12-07T09:50:00Z"));
        assert_eq!(to, at("2026-12-07T11:00:00Z"));
        let (from, _) = incident_period(at("2026-12-07T10:00:00Z"), None, &serde_json::json!({}));
        assert_eq!(
            from,
            at("2026-12-07T09:45:00Z"),
            "15 minutes when the evidence lacks it"
        );
    }
}
