//! The two npm registry requests: a package's latest manifest, and its tarball.

use base64::Engine as _;
use sha2::{Digest, Sha512};

use super::{FetchError, MAX_TARBALL_BYTES, STALL_TIMEOUT};

/// What `GET {registry}/{package}/latest` tells.
#[derive(Debug)]
pub(super) struct Manifest {
    pub version: String,
    pub license: String,
    pub tarball: String,
    /// The `dist.integrity` Subresource Integrity string (`sha512-…`).
    pub integrity: String,
}

#[derive(serde::Deserialize)]
struct RawManifest {
    version: String,
    #[serde(default)]
    license: Option<serde_json::Value>,
    dist: RawDist,
}

#[derive(serde::Deserialize)]
struct RawDist {
    tarball: String,
    #[serde(default)]
    integrity: Option<String>,
}

/// The manifest URL: a scoped name's `/` is encoded (`@scope%2fname`).
pub(super) fn manifest_url(registry: &str, package: &str) -> String {
    format!(
        "{}/{}/latest",
        registry.trim_end_matches('/'),
        package.replacen('/', "%2f", 1)
    )
}

pub(super) async fn latest(
    client: &reqwest::Client,
    registry: &str,
    package: &str,
) -> Result<Manifest, FetchError> {
    let url = manifest_url(registry, package);
    let request = client
        .get(&url)
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(STALL_TIMEOUT)
        .send();
    let response = request.await.map_err(|source| FetchError::Request {
        url: url.clone(),
        source,
    })?;
    if !response.status().is_success() {
        return Err(FetchError::Status {
            url,
            status: response.status(),
        });
    }
    let body = response
        .bytes()
        .await
        .map_err(|source| FetchError::Request {
            url: url.clone(),
            source,
        })?;
    let raw: RawManifest = serde_json::from_slice(&body).map_err(|e| FetchError::Metadata {
        url: url.clone(),
        detail: e.to_string(),
    })?;
    let integrity = raw
        .dist
        .integrity
        .filter(|i| i.split_whitespace().any(|h| h.starts_with("sha512-")))
        .ok_or_else(|| FetchError::Metadata {
            url: url.clone(),
            detail: "no sha512 dist.integrity to check the download against".to_owned(),
        })?;
    if !(raw.dist.tarball.starts_with("https://") || raw.dist.tarball.starts_with("http://")) {
        return Err(FetchError::Metadata {
            url,
            detail: format!("dist.tarball {:?} is not an http(s) URL", raw.dist.tarball),
        });
    }
    let license = match raw.license {
        Some(serde_json::Value::String(s)) => s,
        Some(serde_json::Value::Object(o)) => o
            .get("type")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unknown")
            .to_owned(),
        _ => "unknown".to_owned(),
    };
    Ok(Manifest {
        version: raw.version,
        license,
        tarball: raw.dist.tarball,
        integrity,
    })
}

/// The whole tarball in memory, at most [`MAX_TARBALL_BYTES`].
pub(super) async fn download(
    client: &reqwest::Client,
    url: &str,
    progress: &mut (dyn FnMut(u64, Option<u64>) + Send),
) -> Result<Vec<u8>, FetchError> {
    let request_error = |source| FetchError::Request {
        url: url.to_owned(),
        source,
    };
    let stalled = |_| FetchError::Stalled {
        url: url.to_owned(),
    };
    let too_large = || FetchError::TooLarge {
        what: url.to_owned(),
        limit: MAX_TARBALL_BYTES / (1024 * 1024),
    };
    let mut response = tokio::time::timeout(STALL_TIMEOUT, client.get(url).send())
        .await
        .map_err(stalled)?
        .map_err(request_error)?;
    if !response.status().is_success() {
        return Err(FetchError::Status {
            url: url.to_owned(),
            status: response.status(),
        });
    }
    let total = response.content_length();
    if total.is_some_and(|t| t > MAX_TARBALL_BYTES) {
        return Err(too_large());
    }
    let capacity = usize::try_from(total.unwrap_or(0)).unwrap_or(0);
    let mut body = Vec::with_capacity(capacity);
    progress(0, total);
    while let Some(chunk) = tokio::time::timeout(STALL_TIMEOUT, response.chunk())
        .await
        .map_err(stalled)?
        .map_err(request_error)?
    {
        if (body.len() + chunk.len()) as u64 > MAX_TARBALL_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
        progress(body.len() as u64, total);
    }
    Ok(body)
}

/// Whether `data` has the sha512 digest of a Subresource Integrity string
/// (`sha512-<base64>`, possibly among other space-separated hashes).
pub(super) fn integrity_matches(integrity: &str, data: &[u8]) -> bool {
    let digest = Sha512::digest(data);
    integrity
        .split_whitespace()
        .filter_map(|h| h.strip_prefix("sha512-"))
        .filter_map(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .any(|expected| expected.as_slice() == digest.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scoped_names_are_encoded() {
        assert_eq!(
            manifest_url(
                "https://registry.npmjs.org/",
                "@ip-location-db/geo-whois-asn-country-mmdb"
            ),
            "https://registry.npmjs.org/@ip-location-db%2fgeo-whois-asn-country-mmdb/latest"
        );
        assert_eq!(manifest_url("http://r", "plain"), "http://r/plain/latest");
    }

    #[test]
    fn integrity_is_checked_against_sha512() {
        let data = b"hello";
        let good = format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(Sha512::digest(data))
        );
        assert!(integrity_matches(&good, data));
        assert!(integrity_matches(&format!("sha1-abc {good}"), data));
        assert!(!integrity_matches(&good, b"hellO"));
        assert!(!integrity_matches("sha512-!!notbase64", data));
        assert!(!integrity_matches(
            "sha1-qvTGHdzF6KLavt4PO0gs2a6pQ00=",
            data
        ));
    }
}
