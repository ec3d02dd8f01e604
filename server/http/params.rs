//! Query parameters shared by the read endpoints, parsed once, with errors naming them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

use super::problem::ApiError;
use crate::catalog::countries::is_country;
use crate::catalog::symptoms::CATEGORIES;
use crate::domain::{CountryCode, Scope};

/// The catalog's categories, as the schema of a `category` field or parameter.
pub fn category_schema() -> Object {
    let names: Vec<&str> = CATEGORIES.iter().map(|(c, _, _)| *c).collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .description(Some("One of the catalog's categories."))
        .build()
}

/// An RFC 3339 time, `YYYY-MM-DDTHH:MM:SS` (UTC) or a date (its midnight UTC).
pub fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S") {
        return Ok(t.and_utc());
    }
    if let Some(t) = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
    {
        return Ok(t.and_utc());
    }
    Err(ApiError::invalid(
        field,
        "must be an ISO 8601 time in UTC, e.g. 2026-11-27T14:05:00Z, or a date",
    ))
}

/// A country code (`it` or `IT`), checked against ISO 3166-1, or `global` (any case).
pub fn parse_scope(field: &str, raw: &str) -> Result<Scope, ApiError> {
    let code = raw.trim().to_ascii_uppercase();
    if code == "GLOBAL" {
        return Ok(Scope::Global);
    }
    match CountryCode::parse(&code).filter(|c| is_country(c.as_str())) {
        Some(country) => Ok(Scope::Country(country)),
        None => Err(ApiError::invalid(
            field,
            format!("{raw:?} is not an ISO 3166-1 alpha-2 country code"),
        )),
    }
}

/// A duration like `15m`, `1h`, `24h`, `7d`, in minutes, within `[min, max]` minutes.
pub fn parse_minutes(field: &str, raw: &str, min: i64, max: i64) -> Result<i64, ApiError> {
    let split = raw
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .len();
    let (n, unit) = raw.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| ApiError::invalid(field, "must look like 15m, 1h or 7d"))?;
    let minutes = match unit {
        "m" => n,
        "h" => n.saturating_mul(60),
        "d" => n.saturating_mul(1440),
        _ => return Err(ApiError::invalid(field, "the unit must be m, h or d")),
    };
    if !(min..=max).contains(&minutes) {
        return Err(ApiError::invalid(
            field,
            format!("must be between {min} and {max} minutes"),
        ));
    }
    Ok(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_scopes_and_durations_parse() {
        assert!(parse_time("from", "2026-11-27T14:05:00Z").is_ok());
        assert!(parse_time("from", "2026-11-27T14:05:00").is_ok());
        assert!(parse_time("from", "2026-11-27").is_ok());
        assert!(parse_time("from", "yesterday").is_err());
        let it = parse_scope("country", "it").map(|s| s.to_string());
        assert_eq!(it.ok().as_deref(), Some("IT"));
        assert_eq!(parse_scope("country", "Global").ok(), Some(Scope::Global));
        assert!(parse_scope("country", "XX").is_err());
        assert_eq!(parse_minutes("window", "1h", 1, 1440).ok(), Some(60));
        assert!(parse_minutes("window", "2d", 1, 1440).is_err());
        assert!(parse_minutes("window", "5x", 1, 1440).is_err());
    }
}
