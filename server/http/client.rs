//! Who is asking: the socket peer, or the address a trusted proxy forwarded for.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

use crate::ingest::privacy::canonical;
use crate::ingest::Client;

/// Longest user agent kept (it only feeds the reporter hash).
const MAX_USER_AGENT: usize = 512;

/// The client of `req`. `X-Forwarded-For` is believed only when the peer is a trusted proxy;
/// then the rightmost address that is not itself a trusted proxy is the client.
pub fn client_of(req: &HttpRequest, trusted: &[IpNet]) -> Option<Client> {
    let peer = canonical(req.peer_addr()?.ip());
    let ip = if is_trusted(peer, trusted) {
        forwarded_client(req, trusted).unwrap_or(peer)
    } else {
        peer
    };
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    let user_agent = truncate(user_agent, MAX_USER_AGENT);
    Some(Client { ip, user_agent })
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

fn forwarded_client(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let mut hops: Vec<IpAddr> = Vec::new();
    for value in req.headers().get_all("x-forwarded-for") {
        let text = value.to_str().ok()?;
        for part in text.split(',') {
            // An unparseable hop means the chain cannot be trusted past it.
            hops.push(canonical(part.trim().parse().ok()?));
        }
    }
    hops.into_iter().rev().find(|ip| !is_trusted(*ip, trusted))
}

fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn nets(list: &str) -> Vec<IpNet> {
        crate::config::parse_networks(list).expect("valid networks")
    }

    fn client(peer: &str, xff: Option<&str>, trusted: &str) -> IpAddr {
        let mut req =
            TestRequest::default().peer_addr(format!("{peer}:1234").parse().expect("addr"));
        if let Some(xff) = xff {
            req = req.insert_header(("x-forwarded-for", xff));
        }
        client_of(&req.to_http_request(), &nets(trusted))
            .expect("client")
            .ip
    }

    #[test]
    fn untrusted_peers_cannot_spoof() {
        assert_eq!(
            client("203.0.113.5", Some("81.56.10.20"), "127.0.0.1"),
            "203.0.113.5".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn trusted_proxies_forward_the_rightmost_untrusted_hop() {
        let ip = client(
            "127.0.0.1",
            Some("1.2.3.4, 81.56.10.20, 10.0.0.2"),
            "127.0.0.1,10.0.0.0/8",
        );
        assert_eq!(ip, "81.56.10.20".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn garbage_forwarded_for_falls_back_to_the_peer() {
        assert_eq!(
            client("127.0.0.1", Some("not an ip"), "127.0.0.1"),
            "127.0.0.1".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn long_user_agents_are_cut_on_a_char_boundary() {
        let s = truncate("é".repeat(400), 511);
        assert!(s.len() <= 511);
    }
}
