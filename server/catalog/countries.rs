//! ISO 3166-1 alpha-2 country codes and the shape of ISO 3166-2 subdivision codes.

/// The officially assigned ISO 3166-1 alpha-2 codes, space-separated in groups.
const COUNTRY_CODES: &[&str] = &[
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE",
    "BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD",
    "CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM",
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF",
    "GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU",
    "ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN",
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME",
    "MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA",
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM",
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI",
    "SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK",
    "TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI",
    "VN VU WF WS YE YT ZA ZM ZW",
];

/// Whether `code` (uppercase) is an assigned ISO 3166-1 alpha-2 country code.
pub fn is_country(code: &str) -> bool {
    code.len() == 2
        && COUNTRY_CODES
            .iter()
            .any(|group| group.split(' ').any(|c| c == code))
}

/// Whether `code` (uppercase) looks like the part of an ISO 3166-2 code after the dash:
/// one to three letters or digits.
pub fn is_subdivision_suffix(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_assigned_codes_only() {
        assert!(is_country("IT"));
        assert!(is_country("GB"));
        assert!(!is_country("UK"));
        assert!(!is_country("XX"));
        assert!(!is_country("ITA"));
    }

    #[test]
    fn subdivision_suffixes() {
        assert!(is_subdivision_suffix("25"));
        assert!(is_subdivision_suffix("ENG"));
        assert!(!is_subdivision_suffix(""));
        assert!(!is_subdivision_suffix("ABCD"));
        assert!(!is_subdivision_suffix("a1"));
    }
}
