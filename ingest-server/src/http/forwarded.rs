//! Who the client is: the TCP peer, or, when the peer is one of `server.trusted_proxies`, the
//! address its `X-Forwarded-For` (or RFC 7239 `Forwarded`) header gives, read from the right
//! past the trusted hops. Rate limits and the admin API's count of wrong tokens use it.
//!
//! A header that does not parse, and a request that carries both headers (a proxy writes one;
//! the other came from the client, and which is which cannot be told), count as the peer's own
//! request: nobody can claim another address, at worst they share the proxy's budget.

use crate::config::TrustedProxies;
use actix_web::http::header::{FORWARDED, HeaderMap, HeaderName, X_FORWARDED_FOR};
use std::net::IpAddr;

/// The client's address for a request from `peer` with `headers`.
pub(super) fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let Some(hops) = hops(headers) else { return peer };
    // The first untrusted address from the right; all trusted: the request began inside.
    hops.iter().rev().find(|hop| !trusted.contains(**hop)).or(hops.first()).copied().unwrap_or(peer)
}

/// The addresses the forwarding header lists, left (the first client) to right (the last
/// proxy); `None` when there is none, when both kinds are present, or when one does not parse.
fn hops(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    match (joined(headers, &X_FORWARDED_FOR), joined(headers, &FORWARDED)) {
        (Some(list), None) => list?.split(',').map(|node| node_address(node.trim())).collect(),
        (None, Some(list)) => list?.split(',').map(forwarded_for).collect(),
        _ => None,
    }
}

/// Every line of header `name` joined with commas, as one list: `None` when absent,
/// `Some(None)` when a line is not visible ASCII.
fn joined(headers: &HeaderMap, name: &HeaderName) -> Option<Option<String>> {
    let mut lines = headers.get_all(name).peekable();
    lines.peek()?;
    Some(lines.map(|line| line.to_str().ok()).collect::<Option<Vec<_>>>().map(|lines| lines.join(",")))
}

/// The `for=` address of one element of a `Forwarded` header.
fn forwarded_for(element: &str) -> Option<IpAddr> {
    let value = element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim().eq_ignore_ascii_case("for").then_some(value.trim())
    })?;
    let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    node_address(value)
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn node_address(node: &str) -> Option<IpAddr> {
    let address = match node.strip_prefix('[') {
        Some(bracketed) => {
            let (inside, after) = bracketed.split_once(']')?;
            (after.is_empty() || after.strip_prefix(':').is_some_and(is_port)).then_some(inside)?
        }
        // One colon: an IPv4 address and a port; more: an IPv6 address.
        None => match node.split_once(':') {
            Some((v4, port)) if !port.contains(':') => is_port(port).then_some(v4)?,
            _ => node,
        },
    };
    address.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// Whether `text` is a port number.
fn is_port(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u16>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn trusted() -> TrustedProxies {
        let ranges = ["127.0.0.1", "10.0.0.0/8", "fd00::/8"].map(|range| range.parse().unwrap());
        TrustedProxies::new(ranges.to_vec())
    }

    fn client(peer: &str, headers: &[(&HeaderName, &str)]) -> String {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append((*name).clone(), HeaderValue::from_str(value).unwrap());
        }
        client_address(peer.parse().unwrap(), &map, &trusted()).to_string()
    }

    #[test]
    fn a_peer_that_is_not_trusted_is_the_client_whatever_it_says() {
        assert_eq!(client("203.0.113.1", &[(&X_FORWARDED_FOR, "198.51.100.7")]), "203.0.113.1");
        assert_eq!(client("203.0.113.1", &[(&FORWARDED, "for=198.51.100.7")]), "203.0.113.1");
        assert_eq!(client("::ffff:203.0.113.1", &[]), "203.0.113.1");
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_address_from_the_right_is_the_client() {
        let xff = |value| client("127.0.0.1", &[(&X_FORWARDED_FOR, value)]);
        assert_eq!(xff("198.51.100.7"), "198.51.100.7");
        assert_eq!(
            xff("192.0.2.66, 198.51.100.7"),
            "198.51.100.7",
            "what the client wrote on the left is ignored"
        );
        assert_eq!(xff("198.51.100.7, 10.0.0.2, 127.0.0.1"), "198.51.100.7");
        assert_eq!(xff("10.0.0.3, 10.0.0.2"), "10.0.0.3", "every hop trusted: the request began inside");
        assert_eq!(xff("198.51.100.7:4711"), "198.51.100.7");
        assert_eq!(xff("[2001:db8::1]:4711"), "2001:db8::1");
        assert_eq!(xff("2001:db8::1"), "2001:db8::1");
        assert_eq!(client("::ffff:10.0.0.9", &[(&X_FORWARDED_FOR, "198.51.100.7")]), "198.51.100.7");
        let two_lines =
            client("127.0.0.1", &[(&X_FORWARDED_FOR, "198.51.100.7"), (&X_FORWARDED_FOR, "10.0.0.2")]);
        assert_eq!(two_lines, "198.51.100.7");
    }

    #[test]
    fn forwarded_elements_give_their_for_address() {
        let fwd = |value| client("fd00::1", &[(&FORWARDED, value)]);
        assert_eq!(fwd("for=198.51.100.7;proto=https;by=10.0.0.1"), "198.51.100.7");
        assert_eq!(fwd("for=192.0.2.60, For=\"[2001:db8:cafe::17]:4711\""), "2001:db8:cafe::17");
        assert_eq!(fwd("proto=http;for=\"198.51.100.7:80\", for=10.1.1.1"), "198.51.100.7");
    }

    #[test]
    fn malformed_or_doubled_headers_count_as_the_proxy_itself() {
        let xff = |value| client("127.0.0.1", &[(&X_FORWARDED_FOR, value)]);
        for bad in [
            "",
            "unknown",
            "198.51.100.7,",
            "198.51.100.7:99999",
            "[2001:db8::1",
            "1.2.3.4.5",
            "2001:db8::1:80]",
        ] {
            assert_eq!(xff(bad), "127.0.0.1", "{bad:?}");
        }
        for bad in ["for=unknown", "for=_hidden", "proto=https", "for=\"[2001:db8::1]:x\""] {
            assert_eq!(client("127.0.0.1", &[(&FORWARDED, bad)]), "127.0.0.1", "{bad:?}");
        }
        let both = client("127.0.0.1", &[(&X_FORWARDED_FOR, "198.51.100.7"), (&FORWARDED, "for=192.0.2.1")]);
        assert_eq!(both, "127.0.0.1");
    }
}
