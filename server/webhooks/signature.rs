//! What makes a delivery trustworthy: the secret a webhook is given once, the signature each
//! delivery carries, and the URLs deliveries may go to.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// What every webhook secret starts with, so that people (and secret scanners) recognise one.
pub const SECRET_PREFIX: &str = "whsec_";
/// The longest URL a webhook may have, in bytes.
pub const MAX_URL_LEN: usize = 2000;

/// A new random webhook secret: `whsec_` and 48 hex digits (192 bits, from the operating
/// system's generator through UUIDs v4, skipping their version and variant bytes).
pub fn generate_secret() -> Secret {
    let random: Vec<u8> = std::iter::repeat_with(|| uuid::Uuid::new_v4().into_bytes())
        .flat_map(|b| {
            b.into_iter()
                .enumerate()
                .filter(|(i, _)| *i != 6 && *i != 8)
                .map(|(_, b)| b)
        })
        .take(24)
        .collect();
    Secret::new(format!("{SECRET_PREFIX}{}", hex::encode(random)))
}

/// The `Downwatch-Signature` value of a delivery: `v1=` and the hex HMAC-SHA256, keyed with
/// the whole secret (prefix included), of `"{timestamp}.{body}"`.
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a webhook URL: absolute, `http` or `https`, with a host, without user name or
/// password (the secret is the credential), at most [`MAX_URL_LEN`] bytes. Returns it
/// normalised (as it will be requested).
pub fn check_url(raw: &str) -> Result<reqwest::Url, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > MAX_URL_LEN {
        return Err(format!("must be 1 to {MAX_URL_LEN} characters"));
    }
    let url = reqwest::Url::parse(raw).map_err(|e| format!("is not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "must be an http or https URL, not {}:",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("must name a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "must not carry a user name or password: receivers check the signature instead".into(),
        );
    }
    if url.as_str().len() > MAX_URL_LEN {
        return Err(format!("must be at most {MAX_URL_LEN} characters"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_48_hex_digits_and_differ() {
        let a = generate_secret();
        let b = generate_secret();
        assert_eq!(a.expose().len(), SECRET_PREFIX.len() + 48);
        assert!(a.expose().starts_with(SECRET_PREFIX));
        assert!(a.expose()[SECRET_PREFIX.len()..]
            .bytes()
            .all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body() {
        // The example of docs/webhooks.md, checked there with openssl and Python.
        let secret = Secret::new("whsec_0123456789abcdef0123456789abcdef0123456789abcdef");
        let body = br#"{"event_id":1}"#;
        assert_eq!(
            sign(&secret, 1_796_119_200, body),
            "v1=f7d582012d4eee2598f2f3f93058855efba0ed6b5d259b4fc4f6e2580f2e3f80"
        );
        assert_ne!(
            sign(&secret, 1_796_119_201, body),
            sign(&secret, 1_796_119_200, body)
        );
    }

    #[test]
    fn only_plain_http_and_https_urls_pass() {
        for good in [
            "https://example.org/hooks/downwatch",
            "http://127.0.0.1:8080/x?y=1",
            "  https://newsroom.example/in  ",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "example.org/hook",
            "ftp://example.org/hook",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "https://user:pw@example.org/hook",
            "https://",
        ] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
        assert!(check_url(&format!("https://example.org/{}", "a".repeat(2000))).is_err());
    }
}
