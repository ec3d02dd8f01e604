//! Fetching a status document politely and safely: a clear `User-Agent`, `ETag` /
//! `If-Modified-Since` revalidation, a timeout, a size cap read as the body streams, no
//! redirects, and (unless allowed) no private, loopback or link-local address, checked on
//! every address the host resolves to, so that a status URL cannot reach the inside of the
//! deployment's network.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;

use super::PollSettings;

/// The `User-Agent` of every poll.
pub const USER_AGENT: &str = concat!(
    "Downwatch/",
    env!("CARGO_PKG_VERSION"),
    " (official status poller; self-hosted outage detector; polls every few minutes)"
);

/// What a server last said about a document, to ask whether it changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A fetched document.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    /// `304`: unchanged since the validators.
    NotModified,
    /// `200` with its body and new validators.
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
}

/// Why a fetch failed: what "unavailable" shows.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out")]
    Timeout,
    #[error("redirect to {location:?} not followed")]
    Redirect { location: String },
    #[error("HTTP {0}")]
    Status(u16),
    #[error("body larger than {cap} bytes")]
    TooLarge { cap: usize },
    #[error("{host} resolves to a private or local address")]
    PrivateAddress { host: String },
    #[error("not an https URL")]
    BadUrl,
    #[error("{0}")]
    Transport(String),
}

impl From<reqwest::Error> for FetchError {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            return FetchError::Timeout;
        }
        // The resolver's refusal arrives as a connect error: keep its words.
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        let mut words = e.to_string();
        while let Some(s) = source {
            if let Some(private) = s.downcast_ref::<PrivateHost>() {
                return FetchError::PrivateAddress {
                    host: private.0.clone(),
                };
            }
            words = s.to_string();
            source = s.source();
        }
        FetchError::Transport(words.chars().take(200).collect())
    }
}

/// The HTTP client of the poller.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_bytes: usize,
    allow_private: bool,
    https_only: bool,
}

impl Fetcher {
    /// A client for `settings`.
    pub fn new(settings: &PollSettings) -> Result<Self, FetchError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .pool_max_idle_per_host(1);
        if !settings.allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            client: builder.build()?,
            max_bytes: settings.max_bytes,
            allow_private: settings.allow_private,
            https_only: !settings.allow_private,
        })
    }

    /// Fetches `url`, revalidating with `validators`.
    pub async fn fetch(&self, url: &str, validators: &Validators) -> Result<Fetched, FetchError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| FetchError::BadUrl)?;
        let scheme_ok =
            parsed.scheme() == "https" || (!self.https_only && parsed.scheme() == "http");
        if !scheme_ok {
            return Err(FetchError::BadUrl);
        }
        let host = parsed.host_str().ok_or(FetchError::BadUrl)?.to_owned();
        // An address in the URL is never resolved: check it here.
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            if !self.allow_private && !is_public(ip) {
                return Err(FetchError::PrivateAddress { host });
            }
        }
        let mut request = self.client.get(parsed);
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(modified) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, modified);
        }
        let mut response = request.send().await?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status.is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            return Err(FetchError::Redirect { location });
        }
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .filter(|v| v.len() <= 200)
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge {
                cap: self.max_bytes,
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if bytes.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge {
                    cap: self.max_bytes,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body { bytes, validators })
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (CGNAT), unspecified, multicast, documentation or unique-local.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The resolver's refusal of a host with no public address.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves to a private or local address")]
struct PrivateHost(String);

/// Resolves with the system, keeping only public addresses.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(PrivateHost(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
        ] {
            let ip: IpAddr = private.parse().expect("an address");
            assert!(!is_public(ip), "{private}");
        }
        for public in ["1.1.1.1", "140.82.112.3", "2606:4700::1111"] {
            let ip: IpAddr = public.parse().expect("an address");
            assert!(is_public(ip), "{public}");
        }
    }

    #[tokio::test]
    async fn private_and_plain_http_urls_are_refused_before_any_request() {
        let fetcher = Fetcher::new(&PollSettings::default()).expect("client");
        let none = Validators::default();
        for url in [
            "https://127.0.0.1/summary.json",
            "https://[::1]/x",
            "https://10.0.0.1/x",
        ] {
            let err = fetcher.fetch(url, &none).await.expect_err(url);
            assert!(
                matches!(err, FetchError::PrivateAddress { .. }),
                "{url}: {err}"
            );
        }
        let err = fetcher
            .fetch("http://example.com/", &none)
            .await
            .expect_err("http");
        assert!(matches!(err, FetchError::BadUrl), "{err}");
        let err = fetcher
            .fetch("https://localhost/x", &none)
            .await
            .expect_err("localhost");
        assert!(matches!(err, FetchError::PrivateAddress { .. }), "{err}");
    }
}
