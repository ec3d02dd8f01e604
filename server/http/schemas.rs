//! Schema-only types for the OpenAPI document: the closed sets of words some query
//! parameters take, which the handlers parse from text themselves (so that a bad value gets
//! the handler's own problem answer). Nothing here is ever built; the parameters point at
//! these with `#[param(value_type = …)]`. Values the API answers with are documented by their
//! real types (`crate::domain`, `crate::store`), not here.

#![allow(dead_code)]

use utoipa::ToSchema;

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
    Platform,
}
