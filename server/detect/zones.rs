//! Whose time of day a series follows. People report in their waking hours, so a country's
//! series (or a service whose audience is mostly one country) is learnt on that country's
//! local time, with its DST changes; a global mix stays on UTC.
//!
//! A country with several zones gets the zone where most of its people live (the United
//! States: New York; Russia: Moscow; Brazil: São Paulo; Australia: Sydney).

use chrono_tz::Tz;

/// Share of a service's reports one country needs for the service to follow its clock.
pub const ONE_COUNTRY_AUDIENCE: f64 = 0.7;

/// ISO 3166-1 alpha-2 code → IANA zone, for the countries with most internet users.
const ZONES: &[(&str, &str)] = &[
    ("AE", "Asia/Dubai"),
    ("AR", "America/Argentina/Buenos_Aires"),
    ("AT", "Europe/Vienna"),
    ("AU", "Australia/Sydney"),
    ("BD", "Asia/Dhaka"),
    ("BE", "Europe/Brussels"),
    ("BG", "Europe/Sofia"),
    ("BR", "America/Sao_Paulo"),
    ("CA", "America/Toronto"),
    ("CH", "Europe/Zurich"),
    ("CL", "America/Santiago"),
    ("CN", "Asia/Shanghai"),
    ("CO", "America/Bogota"),
    ("CZ", "Europe/Prague"),
    ("DE", "Europe/Berlin"),
    ("DK", "Europe/Copenhagen"),
    ("DZ", "Africa/Algiers"),
    ("EG", "Africa/Cairo"),
    ("ES", "Europe/Madrid"),
    ("FI", "Europe/Helsinki"),
    ("FR", "Europe/Paris"),
    ("GB", "Europe/London"),
    ("GR", "Europe/Athens"),
    ("HK", "Asia/Hong_Kong"),
    ("HR", "Europe/Zagreb"),
    ("HU", "Europe/Budapest"),
    ("ID", "Asia/Jakarta"),
    ("IE", "Europe/Dublin"),
    ("IL", "Asia/Jerusalem"),
    ("IN", "Asia/Kolkata"),
    ("IR", "Asia/Tehran"),
    ("IT", "Europe/Rome"),
    ("JP", "Asia/Tokyo"),
    ("KE", "Africa/Nairobi"),
    ("KR", "Asia/Seoul"),
    ("KZ", "Asia/Almaty"),
    ("MA", "Africa/Casablanca"),
    ("MX", "America/Mexico_City"),
    ("MY", "Asia/Kuala_Lumpur"),
    ("NG", "Africa/Lagos"),
    ("NL", "Europe/Amsterdam"),
    ("NO", "Europe/Oslo"),
    ("NZ", "Pacific/Auckland"),
    ("PE", "America/Lima"),
    ("PH", "Asia/Manila"),
    ("PK", "Asia/Karachi"),
    ("PL", "Europe/Warsaw"),
    ("PT", "Europe/Lisbon"),
    ("RO", "Europe/Bucharest"),
    ("RS", "Europe/Belgrade"),
    ("RU", "Europe/Moscow"),
    ("SA", "Asia/Riyadh"),
    ("SE", "Europe/Stockholm"),
    ("SG", "Asia/Singapore"),
    ("SK", "Europe/Bratislava"),
    ("TH", "Asia/Bangkok"),
    ("TR", "Europe/Istanbul"),
    ("TW", "Asia/Taipei"),
    ("UA", "Europe/Kyiv"),
    ("US", "America/New_York"),
    ("VE", "America/Caracas"),
    ("VN", "Asia/Ho_Chi_Minh"),
    ("ZA", "Africa/Johannesburg"),
];

/// The zone of a country (`None`: unknown country, the series stays on UTC).
pub fn country_zone(country: &str) -> Option<Tz> {
    let i = ZONES.binary_search_by(|(c, _)| (*c).cmp(country)).ok()?;
    ZONES[i].1.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_zone_is_known_and_the_table_is_sorted() {
        assert!(ZONES.windows(2).all(|w| w[0].0 < w[1].0));
        for (country, zone) in ZONES {
            assert!(country_zone(country).is_some(), "{country}: {zone}");
        }
        assert_eq!(country_zone("IT"), Some(chrono_tz::Europe::Rome));
        assert_eq!(country_zone("ZZ"), None);
    }
}
