//! GeoIP enrichment of reporter addresses.
//!
//! Downwatch can optionally be pointed at two MaxMind DB (`.mmdb`) files:
//!
//! * a **location** database: a GeoIP2/GeoLite2 City or Country database, or
//!   one of the free DB-IP "lite" City/Country databases (same layout as
//!   GeoLite2);
//! * a **network** database: a GeoLite2/GeoIP2 ASN database (or anything with
//!   `autonomous_system_number` / `autonomous_system_organization` at the top
//!   level, such as the GeoIP2 ISP or DB-IP ASN lite databases).
//!
//! Location databases in the flat layout of the freely licensed ip-location-db
//! packages are read too ([`flat`]); `downwatch geoip fetch` ([`fetch`]) puts
//! one in the data directory, where [`GeoIp::open_with_fetched`] finds it
//! ([`discover`]) when no database is configured.
//!
//! Both are optional; [`GeoIp::lookup`] never fails and simply leaves fields
//! empty when a database is missing, the address is not in it, or a record
//! cannot be decoded. Coordinates are deliberately coarsened to 0.1 degree
//! (roughly 11 km) before they leave this module, and addresses are never
//! written to the log.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{geoip2, MaxMindDbError, Reader};

use self::flat::Layout;

pub mod discover;
pub mod fetch;
#[cfg(feature = "fixtures")]
pub mod fixture;
mod flat;

/// Where a reporter's address is, as far as the databases know. All fields optional.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Location {
    /// ISO 3166-1 alpha-2 country code, uppercase, e.g. `"IT"`.
    pub country: Option<String>,
    /// ISO 3166-2 code of the largest subdivision, e.g. `"IT-25"` (country
    /// code, `'-'`, then the first subdivision's `iso_code`). Only set when
    /// the country is known.
    pub subdivision: Option<String>,
    /// City name in English.
    pub city: Option<String>,
    /// Latitude rounded to 0.1 degree. Set together with `lon` or not at all.
    pub lat: Option<f64>,
    /// Longitude rounded to 0.1 degree. Set together with `lat` or not at all.
    pub lon: Option<f64>,
    /// Autonomous system number of the network announcing the address.
    pub asn: Option<u32>,
    /// Organisation owning that autonomous system.
    pub as_org: Option<String>,
}

/// Failure to load a GeoIP database at start-up.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The file could not be read or is not a valid MaxMind DB file.
    #[error("cannot open GeoIP database {}", path.display())]
    Open {
        /// The file that was being opened.
        path: PathBuf,
        /// What the reader reported.
        source: MaxMindDbError,
    },
    /// The file is a valid MaxMind DB, but evidently of the other kind
    /// (e.g. an ASN database given as the city database).
    #[error(
        "GeoIP database {} has type {database_type:?}, expected {expected} database",
        path.display()
    )]
    WrongKind {
        /// The file that was opened.
        path: PathBuf,
        /// The `database_type` from the file's metadata.
        database_type: String,
        /// What was expected, e.g. `"a City or Country"`.
        expected: &'static str,
    },
}

/// Which record layout to decode from the location database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LocationKind {
    /// City (or Enterprise) layout: country, subdivisions, city, location.
    City,
    /// Country layout: country only.
    Country,
}

/// One open database plus what we learnt from its metadata.
struct Db {
    reader: Reader<Vec<u8>>,
    /// Build date from the metadata, `YYYY-MM-DD`, for [`GeoIp::describe`].
    built: String,
    /// How the records are shaped (matters for location databases only).
    layout: Layout,
}

impl fmt::Debug for Db {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Db")
            .field("database_type", &self.database_type())
            .field("built", &self.built)
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl Db {
    fn open(path: &Path) -> Result<Self, GeoError> {
        let reader = Reader::open_readfile(path).map_err(|source| GeoError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let built = epoch_to_date(reader.metadata().build_epoch);
        let layout = flat::detect_layout(&reader);
        Ok(Self {
            reader,
            built,
            layout,
        })
    }

    fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// Looks `ip` up and decodes the record as `T`; `None` on a miss or an
    /// error (errors are logged at debug level, without the address).
    fn record<'a, T: serde::Deserialize<'a>>(&'a self, ip: IpAddr, what: &str) -> Option<T> {
        // An IPv6 address cannot be in an IPv4-only database: that is a miss,
        // not an error worth logging.
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return None;
        }
        let decoded = self
            .reader
            .lookup(ip)
            .and_then(|result| result.decode::<T>());
        match decoded {
            Ok(record) => record,
            Err(error) => {
                tracing::debug!(
                    database = %self.database_type(),
                    record = what,
                    %error,
                    "GeoIP lookup failed"
                );
                None
            }
        }
    }
}

/// Readers for an optional City-or-Country database and an optional ASN database.
#[derive(Debug)]
pub struct GeoIp {
    /// Location databases, asked in order until one knows the country: one
    /// when configured; a fetched package may come as an IPv4 and an IPv6 half.
    city: Vec<(Db, LocationKind)>,
    asn: Option<Db>,
    /// Who the pages must credit for the databases in use (CC BY data), with a link.
    credits: Vec<Credit>,
}

/// A data source the pages credit, as its licence asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub name: String,
    pub url: Option<String>,
}

impl GeoIp {
    /// The sources the pages must credit (the fetched CC BY databases in use).
    pub fn credits(&self) -> &[Credit] {
        &self.credits
    }

    /// Loads the given databases into memory. `None` leaves that part of
    /// [`Location`] always empty.
    ///
    /// # Errors
    ///
    /// [`GeoError::Open`] if a file cannot be read or is not a MaxMind DB
    /// file; [`GeoError::WrongKind`] if it is obviously the wrong kind (an
    /// ASN database as `city_db`, or a City/Country database as `asn_db`).
    pub fn open(city_db: Option<&Path>, asn_db: Option<&Path>) -> Result<Self, GeoError> {
        let city = city_db
            .map(|path| {
                let db = Db::open(path)?;
                let kind =
                    location_kind(db.database_type()).ok_or_else(|| GeoError::WrongKind {
                        path: path.to_path_buf(),
                        database_type: db.database_type().to_owned(),
                        expected: "a City or Country",
                    })?;
                Ok::<_, GeoError>((db, kind))
            })
            .transpose()?
            .into_iter()
            .collect();
        let asn = asn_db
            .map(|path| {
                let db = Db::open(path)?;
                if !is_network_db(db.database_type()) {
                    return Err(GeoError::WrongKind {
                        path: path.to_path_buf(),
                        database_type: db.database_type().to_owned(),
                        expected: "an ASN",
                    });
                }
                Ok(db)
            })
            .transpose()?;
        Ok(Self {
            city,
            asn,
            credits: Vec::new(),
        })
    }

    /// No databases: every lookup returns an empty [`Location`].
    #[must_use]
    pub fn disabled() -> Self {
        Self {
            city: Vec::new(),
            asn: None,
            credits: Vec::new(),
        }
    }

    /// Whether a City or Country database is loaded.
    #[must_use]
    pub fn has_city(&self) -> bool {
        !self.city.is_empty()
    }

    /// Whether an ASN database is loaded.
    #[must_use]
    pub fn has_asn(&self) -> bool {
        self.asn.is_some()
    }

    /// One human-readable line for the start-up log, e.g.
    /// `GeoIP: city db GeoLite2-City (2024-05-01), asn db none — network unknown`.
    #[must_use]
    pub fn describe(&self) -> String {
        let city = if self.city.is_empty() {
            "none".to_owned()
        } else {
            let dbs: Vec<String> = self
                .city
                .iter()
                .map(|(db, kind)| match kind {
                    LocationKind::City => format!("{} ({})", db.database_type(), db.built),
                    LocationKind::Country => {
                        format!("{} ({}, country only)", db.database_type(), db.built)
                    }
                })
                .collect();
            dbs.join(" + ")
        };
        let asn = match &self.asn {
            None => "none".to_owned(),
            Some(db) => format!("{} ({})", db.database_type(), db.built),
        };
        let missing = match (self.has_city(), self.has_asn()) {
            (true, true) => "",
            (true, false) => " — network unknown",
            (false, true) => " — location unknown",
            (false, false) => " — location and network unknown",
        };
        format!("GeoIP: city db {city}, asn db {asn}{missing}")
    }

    /// Everything the databases know about `ip`. Never fails: a miss or a
    /// lookup error leaves the corresponding fields `None`. IPv4-mapped IPv6
    /// addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
    #[must_use]
    pub fn lookup(&self, ip: IpAddr) -> Location {
        let ip = ip.to_canonical();
        let mut location = Location::default();

        for (db, kind) in &self.city {
            match (db.layout, kind) {
                (Layout::Flat, kind) => {
                    if let Some(record) = db.record::<flat::FlatRecord<'_>>(ip, "location") {
                        flat::fill(&mut location, &record, *kind == LocationKind::City);
                    }
                }
                (Layout::GeoIp2, LocationKind::City) => {
                    if let Some(record) = db.record::<geoip2::City<'_>>(ip, "city") {
                        fill_city(&mut location, &record);
                    }
                }
                (Layout::GeoIp2, LocationKind::Country) => {
                    if let Some(record) = db.record::<geoip2::Country<'_>>(ip, "country") {
                        location.country = country_code(record.country.iso_code);
                    }
                }
            }
            if location.country.is_some() {
                break;
            }
        }

        if let Some(db) = &self.asn {
            if let Some(record) = db.record::<geoip2::Asn<'_>>(ip, "asn") {
                // AS 0 is reserved ("no AS"); treat it as unknown.
                location.asn = record.autonomous_system_number.filter(|&n| n != 0);
                location.as_org = non_empty(record.autonomous_system_organization);
            }
        }

        location
    }
}

/// Picks the record layout for the location database from its metadata
/// `database_type`; `None` if it is evidently not a location database.
fn location_kind(database_type: &str) -> Option<LocationKind> {
    let t = database_type.to_ascii_lowercase();
    if t.contains("city") || t.contains("enterprise") {
        Some(LocationKind::City)
    } else if t.contains("country") {
        Some(LocationKind::Country)
    } else if t.contains("asn") || t.contains("isp") || t.contains("anonymous") {
        None
    } else {
        // Unknown vendor naming: the City layout is a superset of Country,
        // so decoding as City is the safest guess.
        tracing::warn!(
            database_type,
            "unrecognised GeoIP location database type, decoding as City"
        );
        Some(LocationKind::City)
    }
}

/// Whether the ASN database slot holds something with ASN fields.
fn is_network_db(database_type: &str) -> bool {
    let t = database_type.to_ascii_lowercase();
    if t.contains("asn") || t.contains("isp") {
        return true;
    }
    if t.contains("city") || t.contains("country") || t.contains("enterprise") {
        return false;
    }
    tracing::warn!(
        database_type,
        "unrecognised GeoIP ASN database type, decoding as ASN"
    );
    true
}

fn fill_city(location: &mut Location, record: &geoip2::City<'_>) {
    location.country = country_code(record.country.iso_code);
    if let Some(country) = &location.country {
        location.subdivision = record
            .subdivisions
            .first()
            .and_then(|s| non_empty(s.iso_code))
            .map(|code| format!("{country}-{}", code.to_ascii_uppercase()));
    }
    location.city = non_empty(record.city.names.english);
    if let (Some(lat), Some(lon)) = (
        coordinate(record.location.latitude, 90.0),
        coordinate(record.location.longitude, 180.0),
    ) {
        location.lat = Some(lat);
        location.lon = Some(lon);
    }
}

/// A valid ISO 3166-1 alpha-2 code, uppercased.
fn country_code(code: Option<&str>) -> Option<String> {
    let code = code?.trim();
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// Trimmed, non-empty string.
fn non_empty(s: Option<&str>) -> Option<String> {
    let s = s?.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A finite coordinate within `±limit`, rounded to 0.1 degree.
fn coordinate(value: Option<f64>, limit: f64) -> Option<f64> {
    value
        .filter(|v| v.is_finite() && v.abs() <= limit)
        .map(round_tenth)
}

/// Rounds to one decimal place, half away from zero, never yielding `-0.0`.
fn round_tenth(value: f64) -> f64 {
    // `+ 0.0` turns a negative zero (e.g. from -0.04) into a positive one.
    (value * 10.0).round() / 10.0 + 0.0
}

/// `YYYY-MM-DD` (UTC) for a Unix timestamp.
fn epoch_to_date(epoch: u64) -> String {
    // Howard Hinnant's days-to-civil algorithm; epoch is unsigned, so the
    // day count is non-negative and fits i64 comfortably.
    let days = i64::try_from(epoch / 86_400).unwrap_or(i64::MAX / 2);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn rounds_to_one_decimal() {
        assert_eq!(round_tenth(45.4642), 45.5);
        assert_eq!(round_tenth(9.19), 9.2);
        assert_eq!(round_tenth(-0.1278), -0.1);
        assert_eq!(round_tenth(-118.2437), -118.2);
        assert_eq!(round_tenth(-10.0), -10.0);
        assert_eq!(round_tenth(0.0), 0.0);
    }

    #[test]
    fn rounding_never_gives_negative_zero() {
        let r = round_tenth(-0.04);
        assert_eq!(r, 0.0);
        assert!(r.is_sign_positive());
    }

    #[test]
    fn coordinates_out_of_range_are_dropped() {
        assert_eq!(coordinate(Some(91.0), 90.0), None);
        assert_eq!(coordinate(Some(f64::NAN), 90.0), None);
        assert_eq!(coordinate(None, 90.0), None);
        assert_eq!(coordinate(Some(-180.0), 180.0), Some(-180.0));
    }

    #[test]
    fn ipv4_mapped_is_canonicalised() {
        let mapped = IpAddr::V6(Ipv4Addr::new(81, 56, 10, 20).to_ipv6_mapped());
        assert_eq!(
            mapped.to_canonical(),
            IpAddr::V4(Ipv4Addr::new(81, 56, 10, 20))
        );
        // A real IPv6 address is left alone.
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2a01, 0xe00, 0, 0, 0, 0, 0, 1));
        assert_eq!(v6.to_canonical(), v6);
    }

    #[test]
    fn country_codes_are_validated_and_uppercased() {
        assert_eq!(country_code(Some("it")), Some("IT".to_owned()));
        assert_eq!(country_code(Some("")), None);
        assert_eq!(country_code(Some("ITA")), None);
        assert_eq!(country_code(None), None);
    }

    #[test]
    fn epoch_dates() {
        assert_eq!(epoch_to_date(0), "1970-01-01");
        assert_eq!(epoch_to_date(1_714_521_600), "2024-05-01");
        assert_eq!(epoch_to_date(951_782_400), "2000-02-29");
        assert_eq!(epoch_to_date(1_735_689_599), "2024-12-31");
    }

    #[test]
    fn database_kinds() {
        assert_eq!(location_kind("GeoLite2-City"), Some(LocationKind::City));
        assert_eq!(location_kind("GeoIP2-Country"), Some(LocationKind::Country));
        assert_eq!(location_kind("DBIP-City-Lite"), Some(LocationKind::City));
        assert_eq!(
            location_kind("DBIP-Country-Lite"),
            Some(LocationKind::Country)
        );
        assert_eq!(location_kind("GeoLite2-ASN"), None);
        assert!(is_network_db("GeoLite2-ASN"));
        assert!(is_network_db("DBIP-ASN-Lite (compat=GeoLite2-ASN)"));
        assert!(is_network_db("GeoIP2-ISP"));
        assert!(!is_network_db("GeoLite2-City"));
    }

    #[test]
    fn disabled_is_empty() {
        let geo = GeoIp::disabled();
        assert!(!geo.has_city());
        assert!(!geo.has_asn());
        assert_eq!(
            geo.lookup(IpAddr::V4(Ipv4Addr::new(81, 56, 10, 20))),
            Location::default()
        );
        assert!(geo.describe().contains("location and network unknown"));
    }
}
