//! The demo's synthetic GeoIP: a City and an ASN database in MaxMind format covering the
//! made-up networks of [`places`](super::places), and random addresses in them.
//!
//! The server is started with these files like with real ones, so a demo report is located by
//! the same code as a real one. Records have the layout of GeoLite2's.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use mmdb_writer::ipnet::Ipv4Net;
use mmdb_writer::{Value, Writer};

use super::places::{self, Country, CITIES, COUNTRIES};
use super::rhythm::Rng;
use super::DemoError;

/// `database_type` of the city database (contains "City", as the loader expects).
pub const CITY_DB_TYPE: &str = "Downwatch-Demo-City";
/// `database_type` of the ASN database.
pub const ASN_DB_TYPE: &str = "Downwatch-Demo-ASN";

/// Where [`write_databases`] put the two files.
#[derive(Debug, Clone)]
pub struct GeoPaths {
    pub city_db: PathBuf,
    pub asn_db: PathBuf,
}

/// The /16 of city `index`: `10.(index+1).0.0/16`.
pub fn city_network(index: usize) -> Ipv4Net {
    let second = u8::try_from(index + 1).unwrap_or(u8::MAX);
    Ipv4Net::new(Ipv4Addr::new(10, second, 0, 0), 16).unwrap_or_default()
}

/// The /19 `slot` (0 to 7) of city `index`.
fn slot_network(index: usize, slot: usize) -> Ipv4Net {
    let base = city_network(index).network().octets();
    let third = u8::try_from(slot * 32).unwrap_or(0);
    Ipv4Net::new(Ipv4Addr::new(base[0], base[1], third, 0), 19).unwrap_or_default()
}

/// The index of the city called `name` in [`CITIES`].
pub fn city_index(name: &str) -> Option<usize> {
    CITIES.iter().position(|c| c.0 == name)
}

/// A random address of city `city` (an index into [`CITIES`]), on AS `asn` when given;
/// `None` when the city has no network of that AS.
pub fn address(city: usize, asn: Option<u32>, rng: &mut Rng) -> Option<Ipv4Addr> {
    let country = places::country(CITIES.get(city)?.1)?;
    let slots: Vec<usize> = (0..8)
        .filter(|&k| asn.is_none_or(|a| country.slots[k] == a))
        .collect();
    let slot = *slots.get(rng.below(slots.len() as u64) as usize)?;
    let net = slot_network(city, slot).network().octets();
    let third = net[2] + rng.below(32) as u8;
    let fourth = 1 + rng.below(254) as u8;
    Some(Ipv4Addr::new(net[0], net[1], third, fourth))
}

/// Writes `Downwatch-Demo-City.mmdb` and `Downwatch-Demo-ASN.mmdb` into `dir` (created if
/// needed), replacing older copies.
pub fn write_databases(dir: &Path) -> Result<GeoPaths, DemoError> {
    std::fs::create_dir_all(dir).map_err(|e| DemoError::io(dir, e))?;
    let mut city_db = writer(CITY_DB_TYPE);
    let mut asn_db = writer(ASN_DB_TYPE);
    for (i, city) in CITIES.iter().enumerate() {
        let country = places::country(city.1)
            .ok_or_else(|| DemoError::GeoIp(format!("{}: unknown country {}", city.0, city.1)))?;
        city_db
            .insert_value(city_network(i), city_record(city, country))
            .map_err(|e| DemoError::GeoIp(e.to_string()))?;
        for (slot, number) in country.slots.iter().enumerate() {
            let (number, org, _) = places::asn(*number)
                .ok_or_else(|| DemoError::GeoIp(format!("AS{number} is not listed")))?;
            let record = Value::map([
                ("autonomous_system_number", Value::from(*number)),
                ("autonomous_system_organization", Value::from(*org)),
            ]);
            asn_db
                .insert_value(slot_network(i, slot), record)
                .map_err(|e| DemoError::GeoIp(e.to_string()))?;
        }
    }
    let paths = GeoPaths {
        city_db: dir.join(format!("{CITY_DB_TYPE}.mmdb")),
        asn_db: dir.join(format!("{ASN_DB_TYPE}.mmdb")),
    };
    save(&city_db, &paths.city_db)?;
    save(&asn_db, &paths.asn_db)?;
    Ok(paths)
}

fn writer(database_type: &str) -> Writer {
    Writer::builder(database_type)
        .description(&[(
            "en",
            "Downwatch demo: made-up networks in 10.0.0.0/8 for real cities and operators",
        )])
        .build()
}

/// Writes next to the target and renames, so a running reader never sees half a file.
fn save(writer: &Writer, path: &Path) -> Result<(), DemoError> {
    let bytes = writer
        .to_bytes()
        .map_err(|e| DemoError::GeoIp(e.to_string()))?;
    let partial = path.with_extension("mmdb.partial");
    std::fs::write(&partial, bytes).map_err(|e| DemoError::io(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| DemoError::io(path, e))
}

fn names(en: &str) -> Value {
    Value::map([("en", Value::from(en))])
}

/// A record shaped like a GeoLite2-City record.
fn city_record(city: &places::City, c: &Country) -> Value {
    let (name, _, sub_code, sub_name, lat, lon, _) = *city;
    let (cont_code, cont_name, cont_id) = c.continent;
    let country = Value::map([
        ("geoname_id", Value::from(c.geoname_id)),
        ("is_in_european_union", Value::from(c.in_eu)),
        ("iso_code", Value::from(c.iso)),
        ("names", names(c.name)),
    ]);
    Value::map([
        ("city", Value::map([("names", names(name))])),
        (
            "continent",
            Value::map([
                ("code", Value::from(cont_code)),
                ("geoname_id", Value::from(cont_id)),
                ("names", names(cont_name)),
            ]),
        ),
        ("country", country.clone()),
        (
            "location",
            Value::map([
                ("accuracy_radius", Value::from(50u16)),
                ("latitude", Value::from(lat)),
                ("longitude", Value::from(lon)),
            ]),
        ),
        ("registered_country", country),
        (
            "subdivisions",
            Value::array([Value::map([
                ("iso_code", Value::from(sub_code)),
                ("names", names(sub_name)),
            ])]),
        ),
    ])
}

/// How many cities and networks the databases hold, for the start-up message.
pub fn summary() -> String {
    format!(
        "{} cities in {} countries, {} networks",
        CITIES.len(),
        COUNTRIES.len(),
        places::ASNS.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_stay_in_their_city_and_slot() {
        let mut rng = Rng::new(9);
        let milan = city_index("Milan").expect("Milan");
        for _ in 0..200 {
            let ip = address(milan, Some(3269), &mut rng).expect("TIM has slots in Milan");
            assert!(city_network(milan).contains(&ip));
            // AS3269 has slots 0 to 2: 10.1.0.0 to 10.1.95.255.
            assert!(ip.octets()[2] < 96, "{ip}");
            assert!(ip.octets()[3] != 0 && ip.octets()[3] != 255);
        }
        assert_eq!(address(milan, Some(7018), &mut rng), None);
    }
}
