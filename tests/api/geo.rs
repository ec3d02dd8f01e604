//! GeoIP lookups against the fixture databases from `geoip_fixture`.

use std::net::IpAddr;
use std::path::Path;

use downwatch::geo::{GeoError, GeoIp, Location};

use crate::geoip_fixture::*;

fn ip(s: &str) -> IpAddr {
    s.parse()
        .unwrap_or_else(|e| panic!("bad test address {s}: {e}"))
}

fn open_fixture(dir: &Path) -> GeoIp {
    let fx = write_geoip_fixture(dir);
    GeoIp::open(Some(&fx.city_db), Some(&fx.asn_db)).expect("open fixture databases")
}

#[allow(clippy::too_many_arguments)]
fn full(
    country: &str,
    subdivision: &str,
    city: &str,
    lat: f64,
    lon: f64,
    asn: u32,
    as_org: &str,
) -> Location {
    Location {
        country: Some(country.to_owned()),
        subdivision: Some(subdivision.to_owned()),
        city: Some(city.to_owned()),
        lat: Some(lat),
        lon: Some(lon),
        asn: Some(asn),
        as_org: Some(as_org.to_owned()),
    }
}

#[test]
fn geoip_looks_up_every_fixture_network() {
    let dir = tempfile::tempdir().expect("tempdir");
    let geo = open_fixture(dir.path());
    assert!(geo.has_city());
    assert!(geo.has_asn());

    let cases = [
        (
            MILAN_V4,
            full(
                "IT",
                "IT-25",
                "Milan",
                45.5,
                9.2,
                3269,
                "Telecom Italia S.p.A.",
            ),
        ),
        (
            ROME_V4,
            full("IT", "IT-62", "Rome", 41.9, 12.5, 1267, "Wind Tre S.p.A."),
        ),
        (
            LONDON_V4,
            full(
                "GB",
                "GB-ENG",
                "London",
                51.5,
                -0.1,
                2856,
                "British Telecommunications PLC",
            ),
        ),
        (
            PARIS_V6,
            full("FR", "FR-IDF", "Paris", 48.9, 2.3, 12322, "Free SAS"),
        ),
        (
            LOS_ANGELES_V6,
            full(
                "US",
                "US-CA",
                "Los Angeles",
                34.1,
                -118.2,
                7018,
                "AT&T Enterprises, LLC",
            ),
        ),
        (
            BRAZIL_V4,
            Location {
                country: Some("BR".to_owned()),
                lat: Some(-10.0),
                lon: Some(-55.0),
                ..Location::default()
            },
        ),
        (UNKNOWN_V4, Location::default()),
    ];
    for (addr, expected) in cases {
        assert_eq!(geo.lookup(ip(addr)), expected, "lookup of {addr}");
    }
}

#[test]
fn geoip_ipv4_mapped_ipv6_is_looked_up_as_ipv4() {
    let dir = tempfile::tempdir().expect("tempdir");
    let geo = open_fixture(dir.path());
    for addr in [MILAN_V4, LONDON_V4, BRAZIL_V4, UNKNOWN_V4] {
        let IpAddr::V4(v4) = ip(addr) else {
            panic!("{addr} is not IPv4")
        };
        let mapped = IpAddr::V6(v4.to_ipv6_mapped());
        assert!(mapped.is_ipv6());
        assert_eq!(geo.lookup(mapped), geo.lookup(ip(addr)), "{mapped}");
    }
    assert_eq!(
        geo.lookup(ip("::ffff:81.56.1.2")).city.as_deref(),
        Some("Milan")
    );
}

#[test]
fn geoip_ipv4_only_database_answers_mapped_and_ignores_ipv6() {
    // Real GeoLite2 files are IPv6 trees with ::ffff:0:0/96 aliased to the
    // IPv4 subtree, so a mapped address would resolve even without
    // canonicalisation; an IPv4-only tree (ip_version 4) rejects any IPv6
    // address, so this exercises the mapping in `lookup` itself.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("v4-only-Country.mmdb");
    let mut writer = mmdb_writer::Writer::builder("GeoLite2-Country")
        .ip_version(mmdb_writer::IpVersion::V4)
        .build();
    writer
        .insert_value(net("81.56.0.0/16"), country_record("IT", "Italy"))
        .expect("insert");
    write_db(&writer, &path);

    let geo = GeoIp::open(Some(&path), None).expect("open v4-only db");
    let italy = Location {
        country: Some("IT".to_owned()),
        ..Location::default()
    };
    assert_eq!(geo.lookup(ip(MILAN_V4)), italy);
    assert_eq!(geo.lookup(ip("::ffff:81.56.10.20")), italy);
    assert_eq!(geo.lookup(ip(PARIS_V6)), Location::default());
}

#[test]
fn geoip_misses_are_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let geo = open_fixture(dir.path());
    for addr in [
        UNKNOWN_V4,
        "127.0.0.1",
        "10.1.2.3",
        "::1",
        "2001:db8::1",
        "81.57.0.1",
    ] {
        assert_eq!(geo.lookup(ip(addr)), Location::default(), "{addr}");
    }
}

#[test]
fn geoip_disabled_knows_nothing() {
    let geo = GeoIp::disabled();
    assert!(!geo.has_city());
    assert!(!geo.has_asn());
    for addr in [MILAN_V4, PARIS_V6, UNKNOWN_V4] {
        assert_eq!(geo.lookup(ip(addr)), Location::default(), "{addr}");
    }
    let line = geo.describe();
    assert!(line.starts_with("GeoIP:"), "{line}");
    assert!(line.contains("none"), "{line}");

    // Opening with no paths is the same as disabled.
    let geo = GeoIp::open(None, None).expect("open nothing");
    assert!(!geo.has_city() && !geo.has_asn());
    assert_eq!(geo.lookup(ip(MILAN_V4)), Location::default());
}

#[test]
fn geoip_city_only_and_asn_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = write_geoip_fixture(dir.path());

    let city_only = GeoIp::open(Some(&fx.city_db), None).expect("open city db");
    assert!(city_only.has_city() && !city_only.has_asn());
    let loc = city_only.lookup(ip(ROME_V4));
    assert_eq!(loc.city.as_deref(), Some("Rome"));
    assert_eq!((loc.asn, loc.as_org), (None, None));
    assert_eq!(
        city_only.describe(),
        "GeoIP: city db GeoLite2-City (2024-05-01), asn db none — network unknown"
    );

    let asn_only = GeoIp::open(None, Some(&fx.asn_db)).expect("open asn db");
    assert!(!asn_only.has_city() && asn_only.has_asn());
    assert_eq!(
        asn_only.lookup(ip(PARIS_V6)),
        Location {
            asn: Some(12322),
            as_org: Some("Free SAS".to_owned()),
            ..Location::default()
        }
    );
    assert!(asn_only.describe().contains("GeoLite2-ASN (2024-05-01)"));

    let both = GeoIp::open(Some(&fx.city_db), Some(&fx.asn_db)).expect("open both");
    assert_eq!(
        both.describe(),
        "GeoIP: city db GeoLite2-City (2024-05-01), asn db GeoLite2-ASN (2024-05-01)"
    );
}

#[test]
fn geoip_country_database_fills_country_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("GeoLite2-Country.mmdb");
    let mut writer = fixture_writer("GeoLite2-Country");
    writer
        .insert_value(net("81.56.0.0/16"), country_record("IT", "Italy"))
        .expect("insert");
    writer
        .insert_value(net("2a01:e00::/26"), country_record("FR", "France"))
        .expect("insert");
    write_db(&writer, &path);

    let geo = GeoIp::open(Some(&path), None).expect("open country db");
    assert!(geo.has_city());
    assert!(
        geo.describe().contains("GeoLite2-Country"),
        "{}",
        geo.describe()
    );
    for (addr, country) in [(MILAN_V4, "IT"), (PARIS_V6, "FR")] {
        assert_eq!(
            geo.lookup(ip(addr)),
            Location {
                country: Some(country.to_owned()),
                ..Location::default()
            },
            "{addr}"
        );
    }
    assert_eq!(geo.lookup(ip(ROME_V4)), Location::default());
}

#[test]
fn geoip_missing_file_error_names_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-GeoLite2-City.mmdb");

    let err = GeoIp::open(Some(&missing), None).expect_err("missing city db must fail");
    assert!(matches!(err, GeoError::Open { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "error should name the file: {err}"
    );
    assert!(std::error::Error::source(&err).is_some());

    let fx = write_geoip_fixture(dir.path());
    let err = GeoIp::open(Some(&fx.city_db), Some(&missing)).expect_err("missing asn db");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[test]
fn geoip_garbage_file_is_an_open_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("garbage.mmdb");
    std::fs::write(&path, b"this is not a maxmind database").expect("write");
    let err = GeoIp::open(Some(&path), None).expect_err("garbage must fail");
    assert!(err.to_string().contains("garbage.mmdb"), "{err}");
}

#[test]
fn geoip_swapped_databases_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fx = write_geoip_fixture(dir.path());
    let err = GeoIp::open(Some(&fx.asn_db), Some(&fx.city_db)).expect_err("swapped");
    assert!(matches!(err, GeoError::WrongKind { .. }), "{err:?}");
    assert!(err.to_string().contains("GeoLite2-ASN"), "{err}");
}

#[test]
fn geoip_location_serialises_as_flat_json_object() {
    let dir = tempfile::tempdir().expect("tempdir");
    let geo = open_fixture(dir.path());
    let json = serde_json::to_value(geo.lookup(ip(LONDON_V4))).expect("serialise");
    assert_eq!(
        json,
        serde_json::json!({
            "country": "GB",
            "subdivision": "GB-ENG",
            "city": "London",
            "lat": 51.5,
            "lon": -0.1,
            "asn": 2856,
            "as_org": "British Telecommunications PLC",
        })
    );
    let json = serde_json::to_value(geo.lookup(ip(UNKNOWN_V4))).expect("serialise");
    assert_eq!(json["country"], serde_json::Value::Null);
}

#[test]
fn geoip_undecodable_record_gives_empty_fields() {
    // A record whose layout does not match GeoLite2 (country is a plain
    // string) makes decoding fail; lookup must still succeed, empty.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("odd-City.mmdb");
    let mut writer = fixture_writer("Odd-City");
    writer
        .insert_value(
            net("81.56.0.0/16"),
            mmdb_writer::Value::map([("country", mmdb_writer::Value::from("IT"))]),
        )
        .expect("insert");
    write_db(&writer, &path);

    let fx = write_geoip_fixture(dir.path());
    let geo = GeoIp::open(Some(&path), Some(&fx.asn_db)).expect("open");
    let loc = geo.lookup(ip(MILAN_V4));
    assert_eq!(loc.country, None);
    assert_eq!(loc.asn, Some(3269), "the ASN lookup is independent");
}
