//! Where the demo's reporters are: real countries, cities (with real coordinates and
//! ISO 3166-2 subdivisions) and autonomous systems (real numbers and operator names), mapped
//! onto made-up networks in 10.0.0.0/8.
//!
//! City `i` (0-based, in [`CITIES`] order) owns `10.(i+1).0.0/16`, cut into eight /19 slots;
//! slot `k` belongs to the `k`-th AS of the city's country's [`Country::slots`], so an AS's
//! share of the slots is its share of that country's reporters.

/// A country of the demo's world.
#[derive(Debug, Clone, Copy)]
pub struct Country {
    pub iso: &'static str,
    pub name: &'static str,
    pub geoname_id: u32,
    /// (code, name, geoname id).
    pub continent: (&'static str, &'static str, u32),
    pub in_eu: bool,
    /// Local time minus UTC, in minutes (one zone per country: this is a demo).
    pub utc_offset_minutes: i32,
    /// Share of a worldwide service's reports that come from this country.
    pub world_share: f64,
    /// The AS of each of the eight /19 slots of a city's /16.
    pub slots: [u32; 8],
}

const EU: (&str, &str, u32) = ("EU", "Europe", 6_255_148);
const NA: (&str, &str, u32) = ("NA", "North America", 6_255_149);
const SA: (&str, &str, u32) = ("SA", "South America", 6_255_150);
const AS: (&str, &str, u32) = ("AS", "Asia", 6_255_147);
const OC: (&str, &str, u32) = ("OC", "Oceania", 6_255_151);

#[rustfmt::skip]
pub const COUNTRIES: &[Country] = &[
    Country { iso: "US", name: "United States", geoname_id: 6_252_001, continent: NA, in_eu: false,
        utc_offset_minutes: -360, world_share: 0.26, slots: [7922, 7922, 7018, 7018, 701, 20115, 20115, 21928] },
    Country { iso: "IN", name: "India", geoname_id: 1_269_750, continent: AS, in_eu: false,
        utc_offset_minutes: 330, world_share: 0.12, slots: [55836, 55836, 55836, 55836, 24560, 24560, 24560, 9829] },
    Country { iso: "BR", name: "Brazil", geoname_id: 3_469_034, continent: SA, in_eu: false,
        utc_offset_minutes: -180, world_share: 0.10, slots: [18881, 18881, 18881, 28573, 28573, 28573, 26599, 26599] },
    Country { iso: "GB", name: "United Kingdom", geoname_id: 2_635_167, continent: EU, in_eu: false,
        utc_offset_minutes: 0, world_share: 0.10, slots: [2856, 2856, 2856, 5089, 5089, 5607, 12576, 12576] },
    Country { iso: "DE", name: "Germany", geoname_id: 2_921_044, continent: EU, in_eu: true,
        utc_offset_minutes: 60, world_share: 0.08, slots: [3320, 3320, 3320, 3209, 3209, 8881, 6805, 6805] },
    Country { iso: "IT", name: "Italy", geoname_id: 3_175_395, continent: EU, in_eu: true,
        utc_offset_minutes: 60, world_share: 0.08, slots: [3269, 3269, 3269, 1267, 1267, 30722, 12874, 29447] },
    Country { iso: "FR", name: "France", geoname_id: 3_017_382, continent: EU, in_eu: true,
        utc_offset_minutes: 60, world_share: 0.07, slots: [3215, 3215, 3215, 12322, 12322, 15557, 15557, 5410] },
    Country { iso: "ES", name: "Spain", geoname_id: 2_510_769, continent: EU, in_eu: true,
        utc_offset_minutes: 60, world_share: 0.06, slots: [3352, 3352, 3352, 3352, 12479, 12479, 12430, 12430] },
    Country { iso: "CA", name: "Canada", geoname_id: 6_251_999, continent: NA, in_eu: false,
        utc_offset_minutes: -300, world_share: 0.04, slots: [812, 812, 812, 812, 577, 577, 577, 577] },
    Country { iso: "NL", name: "Netherlands", geoname_id: 2_750_405, continent: EU, in_eu: true,
        utc_offset_minutes: 60, world_share: 0.03, slots: [1136, 1136, 1136, 1136, 1136, 33915, 33915, 33915] },
    Country { iso: "AU", name: "Australia", geoname_id: 2_077_456, continent: OC, in_eu: false,
        utc_offset_minutes: 600, world_share: 0.03, slots: [1221, 1221, 1221, 1221, 1221, 7545, 7545, 7545] },
    Country { iso: "JP", name: "Japan", geoname_id: 1_861_060, continent: AS, in_eu: false,
        utc_offset_minutes: 540, world_share: 0.03, slots: [2516, 2516, 2516, 2516, 4713, 4713, 4713, 4713] },
];

/// A city: (name, country, subdivision code after the country's `-`, subdivision name,
/// latitude, longitude, relative population within its country).
pub type City = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    f64,
);

pub const CITIES: &[City] = &[
    ("Milan", "IT", "25", "Lombardy", 45.4642, 9.1900, 3.2),
    ("Rome", "IT", "62", "Lazio", 41.8919, 12.5113, 4.3),
    ("Naples", "IT", "72", "Campania", 40.8518, 14.2681, 3.0),
    ("Turin", "IT", "21", "Piedmont", 45.0703, 7.6869, 2.2),
    ("Palermo", "IT", "82", "Sicily", 38.1157, 13.3615, 1.2),
    (
        "Bologna",
        "IT",
        "45",
        "Emilia-Romagna",
        44.4949,
        11.3426,
        1.0,
    ),
    ("Florence", "IT", "52", "Tuscany", 43.7696, 11.2558, 1.0),
    ("Bari", "IT", "75", "Apulia", 41.1171, 16.8719, 1.2),
    ("London", "GB", "ENG", "England", 51.5085, -0.1257, 9.0),
    ("Manchester", "GB", "ENG", "England", 53.4808, -2.2426, 2.8),
    ("Birmingham", "GB", "ENG", "England", 52.4862, -1.8904, 2.9),
    ("Glasgow", "GB", "SCT", "Scotland", 55.8642, -4.2518, 1.7),
    ("Cardiff", "GB", "WLS", "Wales", 51.4816, -3.1791, 0.5),
    (
        "Belfast",
        "GB",
        "NIR",
        "Northern Ireland",
        54.5973,
        -5.9301,
        0.6,
    ),
    ("New York", "US", "NY", "New York", 40.7128, -74.0060, 19.0),
    (
        "Los Angeles",
        "US",
        "CA",
        "California",
        34.0522,
        -118.2437,
        13.0,
    ),
    ("Chicago", "US", "IL", "Illinois", 41.8781, -87.6298, 9.5),
    ("Houston", "US", "TX", "Texas", 29.7604, -95.3698, 7.0),
    ("Miami", "US", "FL", "Florida", 25.7617, -80.1918, 6.0),
    ("Seattle", "US", "WA", "Washington", 47.6062, -122.3321, 4.0),
    ("Atlanta", "US", "GA", "Georgia", 33.7490, -84.3880, 6.0),
    ("Berlin", "DE", "BE", "Berlin", 52.5200, 13.4050, 3.7),
    ("Munich", "DE", "BY", "Bavaria", 48.1351, 11.5820, 1.5),
    ("Hamburg", "DE", "HH", "Hamburg", 53.5511, 9.9937, 1.9),
    (
        "Cologne",
        "DE",
        "NW",
        "North Rhine-Westphalia",
        50.9375,
        6.9603,
        1.1,
    ),
    (
        "Frankfurt am Main",
        "DE",
        "HE",
        "Hesse",
        50.1109,
        8.6821,
        0.8,
    ),
    ("Paris", "FR", "IDF", "Île-de-France", 48.8566, 2.3522, 11.0),
    (
        "Marseille",
        "FR",
        "PAC",
        "Provence-Alpes-Côte d'Azur",
        43.2965,
        5.3698,
        1.9,
    ),
    (
        "Lyon",
        "FR",
        "ARA",
        "Auvergne-Rhône-Alpes",
        45.7640,
        4.8357,
        2.3,
    ),
    ("Toulouse", "FR", "OCC", "Occitanie", 43.6047, 1.4442, 1.4),
    ("Madrid", "ES", "MD", "Madrid", 40.4168, -3.7038, 6.7),
    ("Barcelona", "ES", "CT", "Catalonia", 41.3874, 2.1686, 5.6),
    ("Valencia", "ES", "VC", "Valencia", 39.4699, -0.3763, 1.6),
    ("Seville", "ES", "AN", "Andalusia", 37.3891, -5.9845, 1.5),
    (
        "São Paulo",
        "BR",
        "SP",
        "São Paulo",
        -23.5505,
        -46.6333,
        12.3,
    ),
    (
        "Rio de Janeiro",
        "BR",
        "RJ",
        "Rio de Janeiro",
        -22.9068,
        -43.1729,
        6.7,
    ),
    (
        "Brasília",
        "BR",
        "DF",
        "Federal District",
        -15.7939,
        -47.8828,
        3.0,
    ),
    ("Mumbai", "IN", "MH", "Maharashtra", 19.0760, 72.8777, 20.0),
    ("Delhi", "IN", "DL", "Delhi", 28.7041, 77.1025, 30.0),
    ("Bengaluru", "IN", "KA", "Karnataka", 12.9716, 77.5946, 12.0),
    ("Chennai", "IN", "TN", "Tamil Nadu", 13.0827, 80.2707, 10.0),
    (
        "Amsterdam",
        "NL",
        "NH",
        "North Holland",
        52.3676,
        4.9041,
        1.0,
    ),
    (
        "Sydney",
        "AU",
        "NSW",
        "New South Wales",
        -33.8688,
        151.2093,
        1.0,
    ),
    ("Toronto", "CA", "ON", "Ontario", 43.6532, -79.3832, 1.0),
    ("Tokyo", "JP", "13", "Tokyo", 35.6762, 139.6503, 1.0),
];

/// An autonomous system: (number, organisation as in GeoLite2-ASN, the catalog slug of the
/// operator's service when it has one).
pub type Asn = (u32, &'static str, Option<&'static str>);

pub const ASNS: &[Asn] = &[
    (3269, "Telecom Italia S.p.A.", Some("tim")),
    (1267, "Wind Tre S.p.A.", Some("windtre")),
    (30722, "Vodafone Italia S.p.A.", Some("vodafone-it")),
    (12874, "Fastweb SpA", Some("fastweb")),
    (29447, "Iliad Italia S.p.A.", Some("iliad-it")),
    (2856, "British Telecommunications PLC", Some("bt")),
    (5089, "Virgin Media Limited", Some("virgin-media")),
    (5607, "Sky UK Limited", Some("sky-broadband")),
    (12576, "EE Limited", Some("ee")),
    (7922, "Comcast Cable Communications, LLC", Some("xfinity")),
    (7018, "AT&T Enterprises, LLC", Some("att")),
    (701, "Verizon Business", Some("verizon")),
    (20115, "Charter Communications LLC", Some("spectrum")),
    (21928, "T-Mobile USA, Inc.", Some("t-mobile-us")),
    (3320, "Deutsche Telekom AG", Some("telekom-de")),
    (3209, "Vodafone GmbH", Some("vodafone-de")),
    (8881, "1&1 Versatel Deutschland GmbH", Some("1und1")),
    (6805, "Telefonica Germany GmbH & Co.OHG", Some("o2-de")),
    (3215, "Orange S.A.", Some("orange-fr")),
    (12322, "Free SAS", Some("free-fr")),
    (
        15557,
        "Societe Francaise du Radiotelephone - SFR SA",
        Some("sfr"),
    ),
    (5410, "Bouygues Telecom SA", Some("bouygues-telecom")),
    (3352, "Telefonica de Espana S.A.U.", Some("movistar-es")),
    (12479, "Orange Espagne SA", Some("orange-es")),
    (12430, "Vodafone Espana S.A.U.", Some("vodafone-es")),
    (18881, "TELEFONICA BRASIL S.A", Some("vivo")),
    (28573, "Claro NXT Telecomunicacoes Ltda", Some("claro-br")),
    (26599, "TIM S/A", Some("tim-brasil")),
    (55836, "Reliance Jio Infocomm Limited", Some("jio")),
    (
        24560,
        "Bharti Airtel Ltd., Telemedia Services",
        Some("airtel"),
    ),
    (9829, "National Internet Backbone", Some("bsnl")),
    (812, "Rogers Communications Canada Inc.", Some("rogers")),
    (577, "Bell Canada", Some("bell-ca")),
    (1136, "KPN B.V.", Some("kpn")),
    (33915, "Vodafone Libertel B.V.", None),
    (1221, "Telstra Limited", Some("telstra")),
    (7545, "TPG Telecom Limited", None),
    (2516, "KDDI CORPORATION", None),
    (4713, "NTT Communications Corporation", None),
];

/// The country with this ISO code.
pub fn country(iso: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.iso == iso)
}

/// The AS with this number.
pub fn asn(number: u32) -> Option<&'static Asn> {
    ASNS.iter().find(|a| a.0 == number)
}

/// The AS whose operator is the catalog service `slug`.
pub fn operator_asn(slug: &str) -> Option<u32> {
    ASNS.iter().find(|a| a.2 == Some(slug)).map(|a| a.0)
}

/// Indexes (into [`CITIES`]) of the cities of one country.
pub fn cities_of(iso: &str) -> impl Iterator<Item = usize> + Clone + '_ {
    CITIES
        .iter()
        .enumerate()
        .filter(move |(_, c)| c.1 == iso)
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_and_city_points_somewhere_known() {
        let shares: f64 = COUNTRIES.iter().map(|c| c.world_share).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        for c in COUNTRIES {
            assert!(cities_of(c.iso).next().is_some(), "{} has no city", c.iso);
            for n in c.slots {
                assert!(asn(n).is_some(), "{}: AS{n} is not listed", c.iso);
            }
        }
        for city in CITIES {
            assert!(country(city.1).is_some(), "{} has no country", city.0);
        }
        assert!(CITIES.len() < 255);
    }
}
