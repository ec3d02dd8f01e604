//! What people saw, on the pages: the platform choices of the report form, where reporters
//! use the service, and the k-anonymous phrases of what their screens said.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::view::{Chrome, ShareRow};
use crate::app::AppState;
use crate::domain::Platform;
use crate::read::breakdown::breakdown;
use crate::read::phrases::SaidPhrases;
use crate::store::StoreError;

/// One platform button of the report form.
pub(super) struct PlatformChoice {
    pub code: &'static str,
    pub label: String,
}

/// Every platform, labelled in the reader's language, for the form.
pub(super) fn platform_choices(c: &Chrome) -> Vec<PlatformChoice> {
    Platform::ALL
        .iter()
        .map(|p| PlatformChoice {
            code: p.as_str(),
            label: c.texts.platform(p.as_str()),
        })
        .collect()
}

/// Where the window's reporters use the service (`pf:*` counters), most first.
pub(super) fn platform_rows(c: &Chrome, fields: &HashMap<String, i64>) -> Vec<ShareRow> {
    breakdown(fields, "pf:")
        .into_iter()
        .map(|s| ShareRow::new(&s.key, c.texts.platform(&s.key), s.reports, s.share))
        .collect()
}

/// The phrases at least k reporters sent in `[from, to)` (cached for the minute).
pub(super) async fn phrases(
    state: &AppState,
    service: &str,
    period: (DateTime<Utc>, DateTime<Utc>),
) -> Result<SaidPhrases, StoreError> {
    state
        .phrases
        .said(
            state.stores.log.as_ref(),
            service,
            period,
            state.config.phrase_min_reporters,
        )
        .await
}

/// Phrases as rows of a list: the phrase in quotes, its reporters and share.
pub(super) fn phrase_rows(c: &Chrome, found: &SaidPhrases) -> Vec<ShareRow> {
    found
        .phrases
        .iter()
        .map(|p| {
            let quoted = c.f("said.quoted", &[("phrase", &p.phrase)]);
            ShareRow::new(&p.phrase, quoted, p.reporters, p.share)
        })
        .collect()
}

/// "73% on the iOS app": the evidence's leading platform, if the reports named any.
pub(super) fn platform_fact(c: &Chrome, evidence: &Value) -> Option<String> {
    let top = evidence["top_platforms"].as_array()?.first()?;
    let code = top["key"].as_str()?;
    let share = top["share"].as_f64()?;
    Some(c.f(
        "said.platform_fact",
        &[
            ("percent", &((share * 100.0).round() as i64).to_string()),
            ("platform", &c.texts.platform_on(code)),
        ],
    ))
}
