//! The demo's synthetic GeoIP: a City and an ASN database in MaxMind format covering the
//! made-up networks of [`places`](super::places), and random addresses in them.
//!
//! The server is started with these files like with real ones, so a demo report is located by
//! the same code as a real one. Records have the layout of GeoLite2's ([`crate::geo::fixture`]
//! writes them, as it writes the tests' databases).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use mmdb_writer::ipnet::Ipv4Net;

use super::places::{self, Country, CITIES, COUNTRIES};
use super::rhythm::Rng;
use super::DemoError;
use crate::geo::fixture::{self, GeoDatabases, Place};

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
    let mut dbs = GeoDatabases::new(
        CITY_DB_TYPE,
        ASN_DB_TYPE,
        "Downwatch demo: made-up networks in 10.0.0.0/8 for real cities and operators",
        None,
    );
    for (i, city) in CITIES.iter().enumerate() {
        let country = places::country(city.1)
            .ok_or_else(|| DemoError::GeoIp(format!("{}: unknown country {}", city.0, city.1)))?;
        dbs.insert_place(city_network(i), &place(city, country))?;
        for (slot, number) in country.slots.iter().enumerate() {
            let (number, org, _) = places::asn(*number)
                .ok_or_else(|| DemoError::GeoIp(format!("AS{number} is not listed")))?;
            dbs.insert_asn(slot_network(i, slot), *number, org)?;
        }
    }
    let paths = GeoPaths {
        city_db: dir.join(format!("{CITY_DB_TYPE}.mmdb")),
        asn_db: dir.join(format!("{ASN_DB_TYPE}.mmdb")),
    };
    dbs.save(&paths.city_db, &paths.asn_db)?;
    Ok(paths)
}

/// Where a city's addresses are, as its GeoLite2-City record says.
fn place<'a>(city: &'a places::City, c: &'a Country) -> Place<'a> {
    let (name, _, sub_code, sub_name, lat, lon, _) = *city;
    Place {
        country: fixture::Country {
            iso: c.iso,
            name: c.name,
            geoname_id: c.geoname_id,
            continent: c.continent,
            in_eu: c.in_eu,
        },
        subdivision: Some((sub_code, sub_name)),
        city: Some(name),
        lat,
        lon,
        accuracy_radius: 50,
        time_zone: None,
    }
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
