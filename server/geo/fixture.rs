//! Small MaxMind-format databases with the record layout of GeoLite2's City and ASN files,
//! for made-up networks: the demo's synthetic world and the tests' fixtures are both written
//! here. Built with the `fixtures` feature (which `demo` turns on).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use mmdb_writer::ipnet::IpNet;
use mmdb_writer::{Value, Writer};

/// A country as a GeoLite2 record describes it.
#[derive(Debug, Clone, Copy)]
pub struct Country<'a> {
    /// ISO 3166-1 alpha-2 code, e.g. `IT`.
    pub iso: &'a str,
    /// English name.
    pub name: &'a str,
    pub geoname_id: u32,
    /// (code, English name, geoname id).
    pub continent: (&'a str, &'a str, u32),
    pub in_eu: bool,
}

/// Where the addresses of a network are: what its City record says.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub country: Country<'a>,
    /// (ISO 3166-2 code without the country's prefix, English name), e.g. `("25", "Lombardy")`.
    pub subdivision: Option<(&'a str, &'a str)>,
    /// English name of the city.
    pub city: Option<&'a str>,
    pub lat: f64,
    pub lon: f64,
    /// Kilometres.
    pub accuracy_radius: u16,
    /// IANA zone, e.g. `Europe/Rome`.
    pub time_zone: Option<&'a str>,
}

/// Why a database could not be written.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{0}")]
    Build(#[from] mmdb_writer::Error),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A writer of a database of `database_type`, described in English by `description`, stamped
/// with `built` (the current time when `None`; a fixed one gives reproducible files).
pub fn writer(database_type: &str, description: &str, built: Option<SystemTime>) -> Writer {
    Writer::builder(database_type)
        .description(&[("en", description)])
        .maybe_build_epoch(built)
        .build()
}

/// Writes `writer`'s database to `path`: next to it first, then renamed over it, so that a
/// running reader never sees half a file.
pub fn save(writer: &Writer, path: &Path) -> Result<(), FixtureError> {
    let bytes = writer.to_bytes()?;
    let io = |source| FixtureError::Io {
        path: path.to_owned(),
        source,
    };
    let partial = path.with_extension("mmdb.partial");
    std::fs::write(&partial, bytes).map_err(io)?;
    std::fs::rename(&partial, path).map_err(io)
}

/// A City and an ASN database being filled, network by network.
pub struct GeoDatabases {
    city: Writer,
    asn: Writer,
}

impl GeoDatabases {
    /// Two empty databases of these types (see [`writer`] for `description` and `built`).
    pub fn new(
        city_type: &str,
        asn_type: &str,
        description: &str,
        built: Option<SystemTime>,
    ) -> Self {
        Self {
            city: writer(city_type, description, built),
            asn: writer(asn_type, description, built),
        }
    }

    /// Locates the addresses of `network` at `place`.
    pub fn insert_place(
        &mut self,
        network: impl Into<IpNet>,
        place: &Place,
    ) -> Result<(), FixtureError> {
        Ok(self.city.insert_value(network, city_record(place))?)
    }

    /// Puts the addresses of `network` on AS `number` of `organisation`.
    pub fn insert_asn(
        &mut self,
        network: impl Into<IpNet>,
        number: u32,
        organisation: &str,
    ) -> Result<(), FixtureError> {
        let record = Value::map([
            ("autonomous_system_number", Value::from(number)),
            ("autonomous_system_organization", Value::from(organisation)),
        ]);
        Ok(self.asn.insert_value(network, record)?)
    }

    /// Writes the City database to `city_db` and the ASN one to `asn_db` (see [`save`]).
    pub fn save(&self, city_db: &Path, asn_db: &Path) -> Result<(), FixtureError> {
        save(&self.city, city_db)?;
        save(&self.asn, asn_db)
    }
}

/// `{"en": name}`, the `names` of GeoLite2 records.
pub fn names(en: &str) -> Value {
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

/// A record shaped like a GeoLite2-City record.
fn city_record(place: &Place) -> Value {
    let (code, name, geoname_id) = place.country.continent;
    let mut location = vec![
        ("accuracy_radius", Value::from(place.accuracy_radius)),
        ("latitude", Value::from(place.lat)),
        ("longitude", Value::from(place.lon)),
    ];
    if let Some(zone) = place.time_zone {
        location.push(("time_zone", Value::from(zone)));
    }
    let mut record = vec![
        (
            "continent",
            Value::map([
                ("code", Value::from(code)),
                ("geoname_id", Value::from(geoname_id)),
                ("names", names(name)),
            ]),
        ),
        ("country", country_value(&place.country)),
        ("location", Value::map(location)),
        ("registered_country", country_value(&place.country)),
    ];
    if let Some(city) = place.city {
        record.push(("city", Value::map([("names", names(city))])));
    }
    if let Some((iso, name)) = place.subdivision {
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
