//! Pseudonymous identifiers: the reporter is known only as a keyed hash of (IP, user agent)
//! under a key derived from the master secret and the UTC date, so identifiers rotate daily
//! and a raw IP never needs to be stored anywhere.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The identifiers derived from one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudonyms {
    /// 16 bytes: who reported (per IP + user agent, per day).
    pub reporter: Vec<u8>,
    /// 16 bytes: from which /24 (IPv4) or /48 (IPv6) network.
    pub subnet: Vec<u8>,
    /// Hex of 8 bytes: which address, for the rate limit.
    pub address: String,
}

/// Derives pseudonyms under a master secret.
#[derive(Clone)]
pub struct Hasher {
    master: Secret,
    /// The HMAC keyed with the last day's key, ready to clone: the day key is derived once
    /// a day, not once per report, and each digest skips the key schedule.
    today: Arc<Mutex<Option<(NaiveDate, HmacSha256)>>>,
}

impl Hasher {
    pub fn new(master: Secret) -> Self {
        Self {
            master,
            today: Arc::default(),
        }
    }

    fn day_key(&self, day: NaiveDate) -> [u8; 32] {
        let mut mac = keyed(self.master.expose().as_bytes());
        mac.update(b"downwatch-day:");
        mac.update(day.to_string().as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// An HMAC keyed with `day`'s key.
    fn day_mac(&self, day: NaiveDate) -> HmacSha256 {
        // A poisoned lock only loses the cache: the key is derived again.
        if let Ok(today) = self.today.lock() {
            if let Some((_, mac)) = today.as_ref().filter(|(d, _)| *d == day) {
                return mac.clone();
            }
        }
        let mac = keyed(&self.day_key(day));
        if let Ok(mut today) = self.today.lock() {
            *today = Some((day, mac.clone()));
        }
        mac
    }

    /// The pseudonyms of a request from `ip` with `user_agent` on `day`.
    pub fn pseudonyms(&self, ip: IpAddr, user_agent: &str, day: NaiveDate) -> Pseudonyms {
        let day_mac = self.day_mac(day);
        let ip = canonical(ip);
        let ip_text = ip.to_string();
        let digest = |parts: &[&[u8]], len: usize| {
            let mut mac = day_mac.clone();
            for p in parts {
                mac.update(p);
                mac.update(b"\x1f");
            }
            mac.finalize().into_bytes()[..len].to_vec()
        };
        let subnet = subnet_of(ip);
        Pseudonyms {
            reporter: digest(
                &[b"reporter", ip_text.as_bytes(), user_agent.as_bytes()],
                16,
            ),
            subnet: digest(&[b"subnet", subnet.as_bytes()], 16),
            address: hex::encode(digest(&[b"address", ip_text.as_bytes()], 8)),
        }
    }

    /// The pseudonym of the address `ip` alone on `day` (the `address` of [`Self::pseudonyms`]),
    /// for rate limits that have no reporter to name.
    pub fn address(&self, ip: IpAddr, day: NaiveDate) -> String {
        let ip_text = canonical(ip).to_string();
        let mut mac = self.day_mac(day);
        for part in [b"address".as_slice(), ip_text.as_bytes()] {
            mac.update(part);
            mac.update(b"\x1f");
        }
        hex::encode(&mac.finalize().into_bytes()[..8])
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// IPv4-mapped IPv6 addresses are their IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The /24 (IPv4) or /48 (IPv6) network holding `ip`, as text.
fn subnet_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("valid date")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("valid ip")
    }

    #[test]
    fn same_request_same_day_same_reporter() {
        let h = Hasher::new(Secret::new("master"));
        let a = h.pseudonyms(ip("81.56.10.20"), "ua", day(1));
        let b = h.pseudonyms(ip("81.56.10.20"), "ua", day(1));
        assert_eq!(a, b);
        assert_eq!(a.reporter.len(), 16);
        assert_eq!(a.address.len(), 16);
    }

    #[test]
    fn identifiers_rotate_daily_and_depend_on_the_secret() {
        let h = Hasher::new(Secret::new("master"));
        let a = h.pseudonyms(ip("81.56.10.20"), "ua", day(1));
        assert_ne!(a, h.pseudonyms(ip("81.56.10.20"), "ua", day(2)));
        let other = Hasher::new(Secret::new("other"));
        assert_ne!(a, other.pseudonyms(ip("81.56.10.20"), "ua", day(1)));
    }

    #[test]
    fn neighbours_share_a_subnet_but_not_an_identity() {
        let h = Hasher::new(Secret::new("master"));
        let a = h.pseudonyms(ip("81.56.10.20"), "ua", day(1));
        let b = h.pseudonyms(ip("81.56.10.21"), "ua", day(1));
        assert_eq!(a.subnet, b.subnet);
        assert_ne!(a.reporter, b.reporter);
        let c = h.pseudonyms(ip("2a01:e00:1:2::1"), "ua", day(1));
        let d = h.pseudonyms(ip("2a01:e00:1:3::9"), "ua", day(1));
        assert_eq!(c.subnet, d.subnet);
        let e = h.pseudonyms(ip("81.56.10.20"), "other ua", day(1));
        assert_ne!(a.reporter, e.reporter);
        assert_eq!(a.address, e.address);
    }

    #[test]
    fn the_address_alone_is_the_address_pseudonym() {
        let h = Hasher::new(Secret::new("master"));
        for addr in ["81.56.10.20", "::ffff:81.56.10.20", "2a01:e00:1:2::1"] {
            assert_eq!(
                h.address(ip(addr), day(1)),
                h.pseudonyms(ip(addr), "ua", day(1)).address
            );
        }
        assert_ne!(
            h.address(ip("81.56.10.20"), day(1)),
            h.address(ip("81.56.10.20"), day(2))
        );
    }

    #[test]
    fn pseudonyms_are_the_documented_hmacs() {
        // Computed apart from this code (Python's hmac): a change here would split every
        // reporter of the day in two across a deploy, and dedupe with them.
        let h = Hasher::new(Secret::new("master"));
        let p = h.pseudonyms(ip("81.56.10.20"), "ua", day(1));
        assert_eq!(hex::encode(&p.reporter), "d715c764cbbc67f86f2fbdcab61887a2");
        assert_eq!(hex::encode(&p.subnet), "3779789dcd85c9e8c1cd717099919801");
        assert_eq!(p.address, "3d7cbc024f2992af");
    }

    #[test]
    fn the_kept_day_key_gives_what_a_fresh_hasher_gives_on_any_day() {
        let kept = Hasher::new(Secret::new("master"));
        for d in [1, 2, 2, 1, 3] {
            let fresh = Hasher::new(Secret::new("master"));
            let a = ip("81.56.10.20");
            assert_eq!(
                kept.pseudonyms(a, "ua", day(d)),
                fresh.pseudonyms(a, "ua", day(d))
            );
            assert_eq!(kept.address(a, day(d)), fresh.address(a, day(d)));
        }
    }

    #[test]
    fn mapped_ipv6_is_ipv4() {
        let h = Hasher::new(Secret::new("master"));
        assert_eq!(
            h.pseudonyms(ip("::ffff:81.56.10.20"), "ua", day(1)),
            h.pseudonyms(ip("81.56.10.20"), "ua", day(1))
        );
    }
}
