//! Tiny GeoLite2-style databases for tests.
//!
//! [`write_geoip_fixture`] writes a `GeoLite2-City` and a `GeoLite2-ASN`
//! database with the same record layout as MaxMind's real files, covering a
//! handful of networks. Use the `*_V4` / `*_V6` constants as client addresses.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use mmdb_writer::ipnet::IpNet;
use mmdb_writer::{Value, Writer};

/// In 81.56.0.0/16: IT, IT-25 (Lombardy), Milan, AS3269.
pub const MILAN_V4: &str = "81.56.10.20";
/// In 151.38.0.0/16: IT, IT-62 (Lazio), Rome, AS1267.
pub const ROME_V4: &str = "151.38.4.7";
/// In 86.128.0.0/16: GB, GB-ENG (England), London, AS2856.
pub const LONDON_V4: &str = "86.128.77.1";
/// In 2a01:e00::/26: FR, FR-IDF (Île-de-France), Paris, AS12322.
pub const PARIS_V6: &str = "2a01:e0a:12:3450::1";
/// In 2600:1700::/28: US, US-CA (California), Los Angeles, AS7018.
pub const LOS_ANGELES_V6: &str = "2600:1700:1:2::3";
/// In 177.0.0.0/16: BR only (coordinates -10, -55), no ASN entry.
pub const BRAZIL_V4: &str = "177.0.42.1";
/// In neither database.
pub const UNKNOWN_V4: &str = "203.0.113.9";

/// Build time written into both databases' metadata: 2024-05-01T00:00:00Z.
pub const FIXTURE_BUILD_EPOCH: u64 = 1_714_521_600;
/// `database_type` of the city fixture.
pub const CITY_DB_TYPE: &str = "GeoLite2-City";
/// `database_type` of the ASN fixture.
pub const ASN_DB_TYPE: &str = "GeoLite2-ASN";

/// Paths of the databases written by [`write_geoip_fixture`].
#[derive(Debug, Clone)]
pub struct GeoFixture {
    pub city_db: PathBuf,
    pub asn_db: PathBuf,
}

struct Country {
    iso: &'static str,
    name: &'static str,
    geoname_id: u32,
    continent: (&'static str, &'static str, u32),
    in_eu: bool,
}

const ITALY: Country = Country {
    iso: "IT",
    name: "Italy",
    geoname_id: 3_175_395,
    continent: ("EU", "Europe", 6_255_148),
    in_eu: true,
};
const UK: Country = Country {
    iso: "GB",
    name: "United Kingdom",
    geoname_id: 2_635_167,
    continent: ("EU", "Europe", 6_255_148),
    in_eu: false,
};
const FRANCE: Country = Country {
    iso: "FR",
    name: "France",
    geoname_id: 3_017_382,
    continent: ("EU", "Europe", 6_255_148),
    in_eu: true,
};
const USA: Country = Country {
    iso: "US",
    name: "United States",
    geoname_id: 6_252_001,
    continent: ("NA", "North America", 6_255_149),
    in_eu: false,
};
const BRAZIL: Country = Country {
    iso: "BR",
    name: "Brazil",
    geoname_id: 3_469_034,
    continent: ("SA", "South America", 6_255_150),
    in_eu: false,
};

struct Entry {
    network: &'static str,
    country: Country,
    /// (iso_code without the country prefix, English name)
    subdivision: Option<(&'static str, &'static str)>,
    city: Option<&'static str>,
    lat: f64,
    lon: f64,
    accuracy_radius: u16,
    time_zone: Option<&'static str>,
    /// (number, organisation)
    asn: Option<(u32, &'static str)>,
}

fn entries() -> Vec<Entry> {
    vec![
        Entry {
            network: "81.56.0.0/16",
            country: ITALY,
            subdivision: Some(("25", "Lombardy")),
            city: Some("Milan"),
            lat: 45.4642,
            lon: 9.19,
            accuracy_radius: 20,
            time_zone: Some("Europe/Rome"),
            asn: Some((3269, "Telecom Italia S.p.A.")),
        },
        Entry {
            network: "151.38.0.0/16",
            country: ITALY,
            subdivision: Some(("62", "Lazio")),
            city: Some("Rome"),
            lat: 41.8919,
            lon: 12.5113,
            accuracy_radius: 20,
            time_zone: Some("Europe/Rome"),
            asn: Some((1267, "Wind Tre S.p.A.")),
        },
        Entry {
            network: "86.128.0.0/16",
            country: UK,
            subdivision: Some(("ENG", "England")),
            city: Some("London"),
            lat: 51.5085,
            lon: -0.1257,
            accuracy_radius: 50,
            time_zone: Some("Europe/London"),
            asn: Some((2856, "British Telecommunications PLC")),
        },
        Entry {
            network: "2a01:e00::/26",
            country: FRANCE,
            subdivision: Some(("IDF", "Île-de-France")),
            city: Some("Paris"),
            lat: 48.8534,
            lon: 2.3488,
            accuracy_radius: 100,
            time_zone: Some("Europe/Paris"),
            asn: Some((12322, "Free SAS")),
        },
        Entry {
            network: "2600:1700::/28",
            country: USA,
            subdivision: Some(("CA", "California")),
            city: Some("Los Angeles"),
            lat: 34.0522,
            lon: -118.2437,
            accuracy_radius: 1000,
            time_zone: Some("America/Los_Angeles"),
            asn: Some((7018, "AT&T Enterprises, LLC")),
        },
        Entry {
            network: "177.0.0.0/16",
            country: BRAZIL,
            subdivision: None,
            city: None,
            lat: -10.0,
            lon: -55.0,
            accuracy_radius: 1000,
            time_zone: None,
            asn: None,
        },
    ]
}

fn names(en: &str) -> Value {
    Value::map([("en", Value::from(en))])
}

fn country_value(c: &Country) -> Value {
    Value::map([
        ("geoname_id", Value::from(c.geoname_id)),
        ("is_in_european_union", Value::from(c.in_eu)),
        ("iso_code", Value::from(c.iso)),
        ("names", names(c.name)),
    ])
}

fn continent_value(c: &Country) -> Value {
    let (code, name, geoname_id) = c.continent;
    Value::map([
        ("code", Value::from(code)),
        ("geoname_id", Value::from(geoname_id)),
        ("names", names(name)),
    ])
}

/// A record shaped like a real GeoLite2-City record.
fn city_record(e: &Entry) -> Value {
    let mut location = vec![
        ("accuracy_radius", Value::from(e.accuracy_radius)),
        ("latitude", Value::from(e.lat)),
        ("longitude", Value::from(e.lon)),
    ];
    if let Some(tz) = e.time_zone {
        location.push(("time_zone", Value::from(tz)));
    }
    let mut record = vec![
        ("continent", continent_value(&e.country)),
        ("country", country_value(&e.country)),
        ("location", Value::map(location)),
        ("registered_country", country_value(&e.country)),
    ];
    if let Some(city) = e.city {
        record.push(("city", Value::map([("names", names(city))])));
    }
    if let Some((iso, name)) = e.subdivision {
        record.push((
            "subdivisions",
            Value::array([Value::map([
                ("iso_code", Value::from(iso)),
                ("names", names(name)),
            ])]),
        ));
    }
    Value::map(record)
}

/// A record shaped like a real GeoLite2-Country record (for a Country-only
/// database): continent, country, registered_country.
pub fn country_record(iso: &str, name: &str) -> Value {
    Value::map([
        ("continent", Value::map([("code", Value::from("EU"))])),
        (
            "country",
            Value::map([("iso_code", Value::from(iso)), ("names", names(name))]),
        ),
        (
            "registered_country",
            Value::map([("iso_code", Value::from(iso)), ("names", names(name))]),
        ),
    ])
}

/// A writer configured like MaxMind's: IPv6 tree (IPv4 reachable through
/// the usual aliases), English names, fixed build time.
pub fn fixture_writer(database_type: &str) -> Writer {
    Writer::builder(database_type)
        .description(&[("en", "Downwatch test fixture")])
        .build_epoch(UNIX_EPOCH + Duration::from_secs(FIXTURE_BUILD_EPOCH))
        .build()
}

/// Parses a CIDR literal, panicking on a typo.
pub fn net(cidr: &str) -> IpNet {
    cidr.parse()
        .unwrap_or_else(|e| panic!("bad fixture network {cidr}: {e}"))
}

/// Serialises `writer` to `path`.
pub fn write_db(writer: &Writer, path: &Path) {
    let bytes = writer
        .to_bytes()
        .unwrap_or_else(|e| panic!("cannot build {}: {e}", path.display()));
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Writes `GeoLite2-City.mmdb` and `GeoLite2-ASN.mmdb` into `dir`.
pub fn write_geoip_fixture(dir: &Path) -> GeoFixture {
    let mut city = fixture_writer(CITY_DB_TYPE);
    let mut asn = fixture_writer(ASN_DB_TYPE);
    for e in entries() {
        city.insert_value(net(e.network), city_record(&e))
            .expect("insert city record");
        if let Some((number, org)) = e.asn {
            asn.insert_value(
                net(e.network),
                Value::map([
                    ("autonomous_system_number", Value::from(number)),
                    ("autonomous_system_organization", Value::from(org)),
                ]),
            )
            .expect("insert asn record");
        }
    }
    let fixture = GeoFixture {
        city_db: dir.join("GeoLite2-City.mmdb"),
        asn_db: dir.join("GeoLite2-ASN.mmdb"),
    };
    write_db(&city, &fixture.city_db);
    write_db(&asn, &fixture.asn_db);
    fixture
}
