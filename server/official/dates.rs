//! The dates status pages write: RFC 3339 (Statuspage, Google), RFC 822 with zone names such
//! as `PST`/`PDT` (RSS), JavaScript's `Date.toString()` and milliseconds since the epoch
//! (Instatus).

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// A date in any of the forms above; `None` when it is none of them.
pub fn parse_date(raw: &str) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Some(t) = javascript(s) {
        return Some(t);
    }
    if let Ok(ms) = s.parse::<i64>() {
        return millis(ms);
    }
    // ISO 8601 without a zone: UTC.
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    None
}

/// Milliseconds since the Unix epoch.
pub fn millis(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

/// `Tue Dec 07 2026 13:12:00 GMT+0100 (Central European Standard Time)`.
fn javascript(s: &str) -> Option<DateTime<Utc>> {
    let head = s.split(" (").next()?.trim();
    let (date, zone) = head.rsplit_once(" GMT")?;
    let naive = NaiveDateTime::parse_from_str(date, "%a %b %d %Y %H:%M:%S").ok()?;
    let offset = if zone.is_empty() {
        FixedOffset::east_opt(0)?
    } else {
        let sign = match zone.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let digits = zone.get(1..)?.replace(':', "");
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let hours: i32 = digits.get(..2)?.parse().ok()?;
        let minutes: i32 = digits.get(2..)?.parse().ok()?;
        FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?
    };
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc))
    }

    #[test]
    fn every_form_pages_write_is_read() {
        let t = utc("2026-12-07T13:12:00Z");
        assert_eq!(parse_date("2026-12-07T13:12:00.000Z"), t);
        assert_eq!(parse_date("2026-12-07T14:12:00+01:00"), t);
        assert_eq!(parse_date("Mon, 07 Dec 2026 05:12:00 PST"), t);
        assert_eq!(parse_date("Mon, 07 Dec 2026 06:12:00 PDT"), t);
        assert_eq!(parse_date("Mon, 07 Dec 2026 13:12:00 GMT"), t);
        assert_eq!(
            parse_date("Mon Dec 07 2026 14:12:00 GMT+0100 (Central European Standard Time)"),
            t
        );
        assert_eq!(parse_date("Mon Dec 07 2026 13:12:00 GMT+0000"), t);
        assert_eq!(parse_date("1796649120000"), t);
        assert_eq!(parse_date("2026-12-07T13:12:00"), t);
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("Mon Dec 07 2026 13:12:00 GMT+99x9"), None);
    }
}
