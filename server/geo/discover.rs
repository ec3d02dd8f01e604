//! Databases found in `<data dir>/geoip/` (where `downwatch geoip fetch` puts
//! them), used when `GEOIP_CITY_DB` / `GEOIP_ASN_DB` are not set.

use std::path::{Path, PathBuf};

use super::{location_kind, Credit, Db, GeoError, GeoIp, LocationKind};

/// The folder of the data directory that holds fetched databases.
#[must_use]
pub fn geoip_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("geoip")
}

impl GeoIp {
    /// Like [`GeoIp::open`], but a database that is not given is looked for in
    /// `<data_dir>/geoip/`: the City databases there (in file-name order: a
    /// package may come as an IPv4 and an IPv6 half), else the Country ones, for
    /// the location; the first ASN database for the network. Each one used is logged; a file there that cannot be read is
    /// skipped with a warning, so a bad download never stops the server.
    ///
    /// # Errors
    ///
    /// As [`GeoIp::open`], for the databases that are given.
    pub fn open_with_fetched(
        city_db: Option<&Path>,
        asn_db: Option<&Path>,
        data_dir: &Path,
    ) -> Result<Self, GeoError> {
        let mut geo = Self::open(city_db, asn_db)?;
        if city_db.is_some() && asn_db.is_some() {
            return Ok(geo);
        }
        let mut found = Found::default();
        for path in mmdb_files(&geoip_dir(data_dir)) {
            match Db::open(&path) {
                Ok(db) => found.add(path, db),
                Err(error) => tracing::warn!(
                    file = %path.display(),
                    error = %error,
                    "skipping an unreadable database in the GeoIP folder"
                ),
            }
        }
        if city_db.is_none() {
            let location = if found.city.is_empty() {
                found.country
            } else {
                found.city
            };
            for (path, db, kind) in location {
                tracing::info!(file = %path.display(), database = %db.database_type(), licence = %licence(&path), "GeoIP: using the fetched location database");
                geo.credit(&path);
                geo.city.push((db, kind));
            }
        }
        if asn_db.is_none() {
            if let Some((path, db)) = found.asn {
                tracing::info!(file = %path.display(), database = %db.database_type(), licence = %licence(&path), "GeoIP: using the fetched ASN database");
                geo.credit(&path);
                geo.asn = Some(db);
            }
        }
        Ok(geo)
    }
}

impl GeoIp {
    /// Adds the credit a fetched database's licence asks for, once.
    fn credit(&mut self, database: &Path) {
        if let Some(credit) = credit_of(database) {
            if !self.credits.contains(&credit) {
                self.credits.push(credit);
            }
        }
    }
}

/// What the pages must say for a fetched database, from the licence file `geoip fetch` wrote
/// next to it: DB-IP asks for a link back; other Creative Commons Attribution data is credited
/// by its file's name. Public-domain (CC0) data needs nothing.
fn credit_of(database: &Path) -> Option<Credit> {
    let text = std::fs::read_to_string(database.with_extension("LICENSE")).ok()?;
    let lower = text.to_lowercase();
    if lower.contains("db-ip") {
        return Some(Credit {
            name: "DB-IP".to_owned(),
            url: Some("https://db-ip.com".to_owned()),
        });
    }
    let attribution = ["cc-by", "cc by", "attribution 4.0"]
        .iter()
        .any(|needle| lower.contains(needle));
    attribution.then(|| Credit {
        name: database
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        url: None,
    })
}

/// The databases of each kind (the first ASN one only), in file-name order.
#[derive(Default)]
struct Found {
    city: Vec<(PathBuf, Db, LocationKind)>,
    country: Vec<(PathBuf, Db, LocationKind)>,
    asn: Option<(PathBuf, Db)>,
}

impl Found {
    fn add(&mut self, path: PathBuf, db: Db) {
        let t = db.database_type().to_ascii_lowercase();
        let is_location = t.contains("city") || t.contains("country");
        if is_location {
            match location_kind(&t) {
                Some(LocationKind::City) => self.city.push((path, db, LocationKind::City)),
                _ => self.country.push((path, db, LocationKind::Country)),
            }
        } else if t.contains("asn") || t.contains("isp") {
            if self.asn.is_none() {
                self.asn = Some((path, db));
            }
        } else {
            tracing::warn!(file = %path.display(), database = %db.database_type(), "skipping a GeoIP database of unknown kind");
        }
    }
}

/// The licence file `geoip fetch` wrote next to a database (`<stem>.LICENSE`), or a
/// reminder that there is none.
fn licence(database: &Path) -> String {
    let file = database.with_extension("LICENSE");
    if file.is_file() {
        file.display().to_string()
    } else {
        "none next to it: check the database's terms".to_owned()
    }
}

/// The `*.mmdb` files directly in `dir`, sorted; none if it does not exist.
fn mmdb_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && p.extension().is_some_and(|e| e == "mmdb")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use mmdb_writer::ipnet::IpNet;
    use mmdb_writer::{Value, Writer};

    use super::*;

    #[test]
    fn only_attribution_licences_are_credited() {
        let dir = tempfile::tempdir().expect("dir");
        let db = |name: &str, licence: Option<&str>| {
            let path = dir.path().join(format!("{name}.mmdb"));
            if let Some(text) = licence {
                std::fs::write(path.with_extension("LICENSE"), text).expect("licence");
            }
            path
        };
        let dbip = db("dbip-city", Some("CC-BY-4.0\nIP Geolocation by DB-IP"));
        assert_eq!(
            credit_of(&dbip),
            Some(Credit {
                name: "DB-IP".into(),
                url: Some("https://db-ip.com".into())
            })
        );
        let asn = db(
            "asn",
            Some("Creative Commons Attribution 4.0 International"),
        );
        assert_eq!(credit_of(&asn).map(|c| c.name), Some("asn".into()));
        let cc0 = db("geo-whois-asn-country", Some("CC0-1.0: no rights reserved"));
        assert_eq!(credit_of(&cc0), None);
        assert_eq!(credit_of(&db("bare", None)), None);
    }

    fn write(path: &Path, database_type: &str, record: Value) {
        let mut writer = Writer::builder(database_type).build();
        let net: IpNet = "81.56.0.0/16".parse().expect("net");
        writer.insert_value(net, record).expect("insert");
        std::fs::write(path, writer.to_bytes().expect("bytes")).expect("write");
    }

    fn country(code: &str) -> Value {
        Value::map([("country_code", Value::from(code))])
    }

    fn milan() -> IpAddr {
        "81.56.10.20".parse().expect("address")
    }

    #[test]
    fn city_databases_are_preferred_to_a_country_one_and_an_asn_one_is_used() {
        let data = tempfile::tempdir().expect("tempdir");
        let dir = geoip_dir(data.path());
        std::fs::create_dir_all(&dir).expect("mkdir");
        write(&dir.join("a-country.mmdb"), "country ipvAll", country("FR"));
        let city = Value::map([
            ("country_code", Value::from("IT")),
            ("city", Value::from("Milan")),
        ]);
        write(&dir.join("b-city.mmdb"), "city ipvAll", city);
        let paris = Value::map([
            ("country_code", Value::from("FR")),
            ("city", Value::from("Paris")),
        ]);
        let mut v6 = Writer::builder("city ipv6").build();
        let net: IpNet = "2a01:e00::/26".parse().expect("net");
        v6.insert_value(net, paris).expect("insert");
        std::fs::write(dir.join("b-city-ipv6.mmdb"), v6.to_bytes().expect("bytes")).expect("write");
        let asn = Value::map([("autonomous_system_number", Value::from(3269_u32))]);
        write(&dir.join("c-asn.mmdb"), "asn ipvAll", asn);
        std::fs::write(dir.join(".d.mmdb.partial"), b"half a file").expect("write");
        std::fs::write(dir.join("e-broken.mmdb"), b"not a database").expect("write");

        let geo = GeoIp::open_with_fetched(None, None, data.path()).expect("open");

        let found = geo.lookup(milan());
        assert_eq!(found.city.as_deref(), Some("Milan"));
        assert_eq!(found.asn, Some(3269));
        let ipv6 = geo.lookup("2a01:e0a::1".parse().expect("address"));
        assert_eq!(
            ipv6.city.as_deref(),
            Some("Paris"),
            "the IPv6 half is asked too"
        );
    }

    #[test]
    fn a_configured_database_wins_over_a_fetched_one() {
        let data = tempfile::tempdir().expect("tempdir");
        let dir = geoip_dir(data.path());
        std::fs::create_dir_all(&dir).expect("mkdir");
        write(&dir.join("fetched.mmdb"), "country ipvAll", country("FR"));
        let configured = data.path().join("mine.mmdb");
        write(&configured, "country ipvAll", country("IT"));

        let geo = GeoIp::open_with_fetched(Some(&configured), None, data.path()).expect("open");

        assert_eq!(geo.lookup(milan()).country.as_deref(), Some("IT"));
        assert!(!geo.has_asn());
    }

    #[test]
    fn no_geoip_folder_means_no_databases() {
        let data = tempfile::tempdir().expect("tempdir");
        let geo = GeoIp::open_with_fetched(None, None, data.path()).expect("open");
        assert!(!geo.has_city() && !geo.has_asn());
    }
}
