//! Tiny GeoLite2-style databases for tests.
//!
//! [`write_geoip_fixture`] writes a `GeoLite2-City` and a `GeoLite2-ASN`
//! database with the same record layout as MaxMind's real files (the library's
//! writer, `downwatch::geo::fixture`, which also writes the demo's), covering a
//! handful of networks. Use the `*_V4` / `*_V6` constants as client addresses.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use downwatch::geo::fixture::{self, names, Country, GeoDatabases, Place};
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

const ITALY: Country<'static> = Country {
    iso: "IT",
    name: "Italy",
    geoname_id: 3_175_395,
    continent: ("EU", "Europe", 6_255_148),
    in_eu: true,
};
const UK: Country<'static> = Country {
    iso: "GB",
    name: "United Kingdom",
    geoname_id: 2_635_167,
    continent: ("EU", "Europe", 6_255_148),
    in_eu: false,
};
const FRANCE: Country<'static> = Country {
    iso: "FR",
    name: "France",
    geoname_id: 3_017_382,
    continent: ("EU", "Europe", 6_255_148),
    in_eu: true,
};
const USA: Country<'static> = Country {
    iso: "US",
    name: "United States",
    geoname_id: 6_252_001,
    continent: ("NA", "North America", 6_255_149),
    in_eu: false,
};
const BRAZIL: Country<'static> = Country {
    iso: "BR",
    name: "Brazil",
    geoname_id: 3_469_034,
    continent: ("SA", "South America", 6_255_150),
    in_eu: false,
};

struct Entry {
    network: &'static str,
    place: Place<'static>,
    /// (number, organisation)
    asn: Option<(u32, &'static str)>,
}

fn entries() -> Vec<Entry> {
    vec![
        Entry {
            network: "81.56.0.0/16",
            place: Place {
                country: ITALY,
                subdivision: Some(("25", "Lombardy")),
                city: Some("Milan"),
                lat: 45.4642,
                lon: 9.19,
                accuracy_radius: 20,
                time_zone: Some("Europe/Rome"),
            },
            asn: Some((3269, "Telecom Italia S.p.A.")),
        },
        Entry {
            network: "151.38.0.0/16",
            place: Place {
                country: ITALY,
                subdivision: Some(("62", "Lazio")),
                city: Some("Rome"),
                lat: 41.8919,
                lon: 12.5113,
                accuracy_radius: 20,
                time_zone: Some("Europe/Rome"),
            },
            asn: Some((1267, "Wind Tre S.p.A.")),
        },
        Entry {
            network: "86.128.0.0/16",
            place: Place {
                country: UK,
                subdivision: Some(("ENG", "England")),
                city: Some("London"),
                lat: 51.5085,
                lon: -0.1257,
                accuracy_radius: 50,
                time_zone: Some("Europe/London"),
            },
            asn: Some((2856, "British Telecommunications PLC")),
        },
        Entry {
            network: "2a01:e00::/26",
            place: Place {
                country: FRANCE,
                subdivision: Some(("IDF", "Île-de-France")),
                city: Some("Paris"),
                lat: 48.8534,
                lon: 2.3488,
                accuracy_radius: 100,
                time_zone: Some("Europe/Paris"),
            },
            asn: Some((12322, "Free SAS")),
        },
        Entry {
            network: "2600:1700::/28",
            place: Place {
                country: USA,
                subdivision: Some(("CA", "California")),
                city: Some("Los Angeles"),
                lat: 34.0522,
                lon: -118.2437,
                accuracy_radius: 1000,
                time_zone: Some("America/Los_Angeles"),
            },
            asn: Some((7018, "AT&T Enterprises, LLC")),
        },
        Entry {
            network: "177.0.0.0/16",
            place: Place {
                country: BRAZIL,
                subdivision: None,
                city: None,
                lat: -10.0,
                lon: -55.0,
                accuracy_radius: 1000,
                time_zone: None,
            },
            asn: None,
        },
    ]
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

/// The fixtures' build time, in their metadata.
fn built() -> Option<SystemTime> {
    Some(UNIX_EPOCH + Duration::from_secs(FIXTURE_BUILD_EPOCH))
}

/// A writer configured like MaxMind's: IPv6 tree (IPv4 reachable through
/// the usual aliases), English names, fixed build time.
pub fn fixture_writer(database_type: &str) -> Writer {
    fixture::writer(database_type, "Downwatch test fixture", built())
}

/// Parses a CIDR literal, panicking on a typo.
pub fn net(cidr: &str) -> IpNet {
    cidr.parse()
        .unwrap_or_else(|e| panic!("bad fixture network {cidr}: {e}"))
}

/// Serialises `writer` to `path`.
pub fn write_db(writer: &Writer, path: &Path) {
    fixture::save(writer, path).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Writes `GeoLite2-City.mmdb` and `GeoLite2-ASN.mmdb` into `dir`.
pub fn write_geoip_fixture(dir: &Path) -> GeoFixture {
    let mut dbs = GeoDatabases::new(CITY_DB_TYPE, ASN_DB_TYPE, "Downwatch test fixture", built());
    for e in entries() {
        dbs.insert_place(net(e.network), &e.place)
            .expect("insert city record");
        if let Some((number, org)) = e.asn {
            dbs.insert_asn(net(e.network), number, org)
                .expect("insert asn record");
        }
    }
    let fixture = GeoFixture {
        city_db: dir.join("GeoLite2-City.mmdb"),
        asn_db: dir.join("GeoLite2-ASN.mmdb"),
    };
    dbs.save(&fixture.city_db, &fixture.asn_db)
        .unwrap_or_else(|e| panic!("cannot write the fixture databases: {e}"));
    fixture
}
