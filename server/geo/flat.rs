//! The "flat" record layout of the freely licensed ip-location-db databases.
//!
//! Those `.mmdb` files do not nest like MaxMind's GeoIP2 (`country.iso_code`,
//! `city.names.en`, `location.latitude`): a country record is
//! `{"country_code": "IT"}`, a city record adds `city`, `state1`, `state2`,
//! `postcode`, `latitude`, `longitude` and `timezone` at the top level. ASN
//! records are the same in both layouts. The layout of a database is found
//! once, when it is opened, from the keys of its first record.

use std::collections::BTreeMap;

use maxminddb::{MaxMindDbError, Reader};
use serde::de::IgnoredAny;

use super::{coordinate, country_code, non_empty, Location};

/// How a location database's records are shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// MaxMind GeoIP2/GeoLite2 (and DB-IP lite "compat"): nested maps.
    GeoIp2,
    /// ip-location-db: `country_code`, `city`, `latitude`, … at the top level.
    Flat,
}

/// A flat-layout location record; every field is optional.
#[derive(Debug, serde::Deserialize)]
pub(super) struct FlatRecord<'a> {
    #[serde(borrow, default)]
    country_code: Option<&'a str>,
    #[serde(borrow, default)]
    city: Option<&'a str>,
    #[serde(default)]
    latitude: Option<Number>,
    #[serde(default)]
    longitude: Option<Number>,
}

/// A coordinate stored as a double, a float or an integer: the maxminddb
/// decoder only turns a stored double into `f64`, so take whatever is there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Number(f64);

impl<'de> serde::Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Number;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Number, E> {
                Ok(Number(v))
            }
            fn visit_f32<E>(self, v: f32) -> Result<Number, E> {
                Ok(Number(f64::from(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Number, E> {
                Ok(Number(v as f64))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The layout of the records in `reader`: flat when the first record has a
/// top-level `country_code`, GeoIP2 otherwise (also for an empty database).
pub(super) fn detect_layout<S: AsRef<[u8]>>(reader: &Reader<S>) -> Layout {
    let first = reader
        .networks(Default::default())
        .ok()
        .and_then(|mut networks| networks.next())
        .and_then(Result::ok);
    let Some(first) = first else {
        return Layout::GeoIp2;
    };
    let keys: Result<Option<BTreeMap<&str, IgnoredAny>>, MaxMindDbError> = first.decode();
    match keys {
        Ok(Some(keys)) if keys.contains_key("country_code") => Layout::Flat,
        _ => Layout::GeoIp2,
    }
}

/// Copies what a flat record knows into `location`. The flat layout names
/// the region (`state1`) but has no ISO 3166-2 code, so `subdivision` stays
/// empty rather than holding an invented code.
pub(super) fn fill(location: &mut Location, record: &FlatRecord<'_>, with_city: bool) {
    location.country = country_code(record.country_code);
    if !with_city {
        return;
    }
    location.city = non_empty(record.city);
    if let (Some(lat), Some(lon)) = (
        coordinate(record.latitude.map(|n| n.0), 90.0),
        coordinate(record.longitude.map(|n| n.0), 180.0),
    ) {
        location.lat = Some(lat);
        location.lon = Some(lon);
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::path::Path;

    use mmdb_writer::ipnet::IpNet;
    use mmdb_writer::{Value, Writer};

    use super::*;
    use crate::geo::GeoIp;

    fn write(path: &Path, database_type: &str, records: &[(&str, Value)]) {
        let mut writer = Writer::builder(database_type).build();
        for (net, record) in records {
            let net: IpNet = net.parse().expect("network");
            writer.insert_value(net, record.clone()).expect("insert");
        }
        std::fs::write(path, writer.to_bytes().expect("bytes")).expect("write");
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn flat_country_database_gives_the_country() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("country.mmdb");
        write(
            &path,
            "country ipvAll",
            &[
                (
                    "81.56.0.0/16",
                    Value::map([("country_code", Value::from("IT"))]),
                ),
                (
                    "2a01:e00::/26",
                    Value::map([("country_code", Value::from("fr"))]),
                ),
            ],
        );
        let geo = GeoIp::open(Some(&path), None).expect("open");
        assert!(geo.describe().contains("country only"));
        let milan = geo.lookup(ip("81.56.10.20"));
        assert_eq!(milan.country.as_deref(), Some("IT"));
        assert_eq!(milan.city, None);
        assert_eq!(geo.lookup(ip("2a01:e0a::1")).country.as_deref(), Some("FR"));
        assert_eq!(
            geo.lookup(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))),
            Location::default()
        );
    }

    #[test]
    fn flat_city_database_gives_city_and_rounded_coordinates_but_no_invented_subdivision() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("city.mmdb");
        let milan = Value::map([
            ("city", Value::from("Milan")),
            ("country_code", Value::from("IT")),
            ("latitude", Value::from(45.4642_f32)),
            ("longitude", Value::from(9.19_f64)),
            ("state1", Value::from("Lombardy")),
            ("postcode", Value::from("20121")),
            ("timezone", Value::from("Europe/Rome")),
        ]);
        write(&path, "city ipvAll", &[("81.56.0.0/16", milan)]);
        let geo = GeoIp::open(Some(&path), None).expect("open");
        let found = geo.lookup(ip("81.56.10.20"));
        assert_eq!(found.country.as_deref(), Some("IT"));
        assert_eq!(found.city.as_deref(), Some("Milan"));
        assert_eq!((found.lat, found.lon), (Some(45.5), Some(9.2)));
        assert_eq!(found.subdivision, None);
    }

    #[test]
    fn asn_database_of_the_same_family_gives_the_network() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("asn.mmdb");
        let record = Value::map([
            ("autonomous_system_number", Value::from(3269_u32)),
            (
                "autonomous_system_organization",
                Value::from("Telecom Italia"),
            ),
        ]);
        write(&path, "asn ipvAll", &[("81.56.0.0/16", record)]);
        let geo = GeoIp::open(None, Some(&path)).expect("open");
        let found = geo.lookup(ip("81.56.10.20"));
        assert_eq!(found.asn, Some(3269));
        assert_eq!(found.as_org.as_deref(), Some("Telecom Italia"));
    }

    #[test]
    fn layout_is_read_from_the_first_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let flat = dir.path().join("flat.mmdb");
        write(
            &flat,
            "x",
            &[(
                "10.0.0.0/8",
                Value::map([("country_code", Value::from("IT"))]),
            )],
        );
        let nested = dir.path().join("nested.mmdb");
        let country = Value::map([("iso_code", Value::from("IT"))]);
        write(
            &nested,
            "x",
            &[("10.0.0.0/8", Value::map([("country", country)]))],
        );
        let empty = dir.path().join("empty.mmdb");
        write(&empty, "x", &[]);
        let layout = |p: &Path| detect_layout(&Reader::open_readfile(p).expect("open"));
        assert_eq!(layout(&flat), Layout::Flat);
        assert_eq!(layout(&nested), Layout::GeoIp2);
        assert_eq!(layout(&empty), Layout::GeoIp2);
    }
}
