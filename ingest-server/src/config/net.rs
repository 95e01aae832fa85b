//! Network values of the configuration: origins, http(s) URLs and socket addresses, validated and
//! normalised (lowercase scheme and host, default port removed), and which addresses are private.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// An absolute http or https URL taken apart.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct HttpUrl<'a> {
    /// `http` or `https`.
    scheme: &'static str,
    /// The host, lowercase; an IPv6 address keeps its brackets.
    host: String,
    /// The port, unless it is the scheme's default.
    port: Option<u16>,
    /// Path, query and fragment as written: empty or starting with `/`, `?` or `#`.
    rest: &'a str,
}

impl<'a> HttpUrl<'a> {
    /// Parses `scheme://host[:port][/path][?query][#fragment]`.
    pub(super) fn parse(text: &'a str) -> Result<Self, String> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must not contain spaces or control characters".to_owned());
        }
        let (scheme, after) = text.split_once("://").ok_or("must start with http:// or https://")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => "http",
            "https" => "https",
            _ => return Err("must start with http:// or https://".to_owned()),
        };
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at_checked(end).ok_or("is not a valid URL")?;
        if authority.contains('@') {
            return Err("must not contain a user name or password".to_owned());
        }
        let (host, port) = split_host_port(authority)?;
        let port = port.filter(|port| !matches!((scheme, *port), ("http", 80) | ("https", 443)));
        Ok(HttpUrl { scheme, host, port, rest })
    }

    /// The host, lowercase, IPv6 addresses in brackets.
    pub(super) fn host(&self) -> &str {
        &self.host
    }

    /// Whether the scheme is `https`.
    pub(super) fn is_https(&self) -> bool {
        self.scheme == "https"
    }

    /// `scheme://host[:port]`.
    pub(super) fn origin(&self) -> String {
        match self.port {
            Some(port) => format!("{}://{}:{port}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The whole URL, normalised.
    pub(super) fn normalised(&self) -> String {
        format!("{}{}", self.origin(), self.rest)
    }
}

/// Splits `host[:port]`, checking both.
fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(inner) => {
            let (address, after) = inner.split_once(']').ok_or("has an IPv6 address without its ']'")?;
            address.parse::<Ipv6Addr>().map_err(|_| "has an invalid IPv6 address")?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':').ok_or("has text after its IPv6 address")?),
            };
            (format!("[{}]", address.to_ascii_lowercase()), port)
        }
        None => {
            let (host, port) = match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            check_host_name(host)?;
            (host.to_ascii_lowercase(), port)
        }
    };
    let port = port.map(parse_port).transpose()?;
    Ok((host, port))
}

/// Checks a host name or IPv4 address, as written in a URL.
fn check_host_name(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("has no host".to_owned());
    }
    if !host.is_ascii() {
        return Err("has a non-ASCII host: write it in its ASCII (xn--) form".to_owned());
    }
    if !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')) {
        return Err("has a host with characters a host name cannot have".to_owned());
    }
    Ok(())
}

/// Parses a port, 1 to 65535.
fn parse_port(port: &str) -> Result<u16, String> {
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    match port.parse::<u16>() {
        Ok(port) if digits && port > 0 => Ok(port),
        _ => Err("has an invalid port: expected a number from 1 to 65535".to_owned()),
    }
}

/// Parses an origin an importer may be embedded from, returning it normalised.
pub(super) fn parse_origin(text: &str) -> Result<String, String> {
    if text == "*" || text == "null" {
        return Err(format!(
            "\"{text}\" would let any web page use this importer: list each origin, such as \
             \"https://app.example.com\""
        ));
    }
    let url = HttpUrl::parse(text).map_err(|reason| format!("{reason}; {ORIGIN_EXAMPLE}"))?;
    if !url.rest.is_empty() && url.rest != "/" {
        return Err(format!("an origin has no path, query or fragment; {ORIGIN_EXAMPLE}"));
    }
    Ok(url.origin())
}

/// What an origin looks like, for error messages.
const ORIGIN_EXAMPLE: &str = "expected scheme://host[:port], such as \"https://app.example.com\"";

/// Parses the URL browsers reach the server at: an origin and an optional path prefix, no
/// query or fragment; returned normalised and without a trailing `/`.
pub(super) fn parse_public_url(text: &str) -> Result<String, String> {
    let example = "expected a URL such as \"https://sluice.example.com\"";
    let url = HttpUrl::parse(text).map_err(|reason| format!("{reason}; {example}"))?;
    if url.rest.contains(['?', '#']) {
        return Err(format!("must not have a query or fragment; {example}"));
    }
    Ok(url.normalised().trim_end_matches('/').to_owned())
}

/// Parses the address the server listens on.
pub(super) fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| {
        "expected an IP address and a port, such as \"127.0.0.1:8080\" or \"[::]:8443\" \
         (a host name is not accepted)"
            .to_owned()
    })
}

/// Whether a URL host is this machine: `localhost` or a loopback address.
pub(super) fn is_loopback_host(host: &str) -> bool {
    host_address(host).is_some_and(|ip| ip.is_loopback()) || is_localhost(host)
}

/// Whether a URL host is written as an address no public service has, or names this machine.
/// Only literal hosts are judged here; names are checked when they are resolved.
pub(super) fn is_private_host(host: &str) -> bool {
    host_address(host).is_some_and(|ip| is_private_address(&ip)) || is_localhost(host)
}

/// Whether `host` is `localhost` or a name under it.
fn is_localhost(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host == "localhost" || host.ends_with(".localhost")
}

/// The address a URL host is written as, if it is one.
fn host_address(host: &str) -> Option<IpAddr> {
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    bare.parse().ok()
}

/// Whether an address belongs to this machine, a private network, a link or no one, or is not
/// one host on the internet: loopback, "this network" (0/8), RFC 1918, carrier-grade NAT,
/// link-local, the IETF's 192.0.0/24, benchmarking (198.18/15), multicast, reserved (240/4,
/// broadcast included); in IPv6, loopback, unspecified, unique-local, link-local, multicast, and
/// every form that carries an IPv4 address (mapped, compatible, 6to4, NAT64), judged by that
/// address (local-use NAT64, 64:ff9b:1::/48, always). Webhooks to such addresses are refused
/// unless an importer allows them, so that a config cannot be turned against the server's own
/// network.
pub fn is_private_address(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_multicast()
                || a == 0
                || a >= 240
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            let v4 = |high: u16, low: u16| {
                IpAddr::V4(std::net::Ipv4Addr::from((u32::from(high) << 16) | u32::from(low)))
            };
            match segments {
                [0x64, 0xff9b, 1, ..] => true,
                [0x64, 0xff9b, 0, 0, 0, 0, high, low] | [0x2002, high, low, ..] => {
                    is_private_address(&v4(high, low))
                }
                _ if v6.is_loopback() || v6.is_unspecified() => true,
                [0, 0, 0, 0, 0, 0 | 0xffff, high, low] => is_private_address(&v4(high, low)),
                [first, ..] => {
                    first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 || first & 0xff00 == 0xff00
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised() {
        let cases = [
            ("https://app.example.com", "https://app.example.com"),
            ("HTTPS://App.Example.COM/", "https://app.example.com"),
            ("https://app.example.com:443", "https://app.example.com"),
            ("http://app.example.com:80", "http://app.example.com"),
            ("http://app.example.com:443", "http://app.example.com:443"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            ("https://[FE80::1]", "https://[fe80::1]"),
        ];
        for (text, origin) in cases {
            assert_eq!(parse_origin(text).as_deref(), Ok(origin), "{text}");
        }
    }

    #[test]
    fn origins_that_are_not_one_exact_origin_are_refused_with_the_reason() {
        let cases = [
            ("*", "would let any web page"),
            ("null", "would let any web page"),
            ("app.example.com", "must start with http:// or https://"),
            ("ftp://app.example.com", "must start with http:// or https://"),
            ("https://app.example.com/path", "an origin has no path"),
            ("https://app.example.com?x=1", "an origin has no path"),
            ("https://user:pw@app.example.com", "must not contain a user name or password"),
            ("https://", "has no host"),
            ("https://:8080", "has no host"),
            ("https://app.example.com:", "has an invalid port"),
            ("https://app.example.com:0", "has an invalid port"),
            ("https://app.example.com:65536", "has an invalid port"),
            ("https://app.example.com:+80", "has an invalid port"),
            ("https://app example.com", "must not contain spaces"),
            ("https://bücher.example", "ASCII (xn--) form"),
            ("https://[::1", "without its ']'"),
            ("https://[::g]", "invalid IPv6 address"),
            ("https://[::1]x", "text after its IPv6 address"),
            ("https://a*b.example", "characters a host name cannot have"),
        ];
        for (text, reason) in cases {
            let error = parse_origin(text).unwrap_err();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }

    #[test]
    fn public_urls_keep_a_path_prefix_and_lose_the_trailing_slash() {
        let cases = [
            ("https://sluice.example.com/", Ok("https://sluice.example.com")),
            ("HTTPS://Sluice.example.com:443/import/", Ok("https://sluice.example.com/import")),
            ("http://127.0.0.1:8080", Ok("http://127.0.0.1:8080")),
            ("https://sluice.example.com/?a=1", Err("must not have a query")),
            ("https://sluice.example.com/#top", Err("must not have a query")),
        ];
        for (text, expected) in cases {
            match (parse_public_url(text), expected) {
                (Ok(url), Ok(expected)) => assert_eq!(url, expected),
                (Err(error), Err(reason)) => assert!(error.contains(reason), "{text}: {error}"),
                (got, _) => panic!("{text}: {got:?}"),
            }
        }
    }

    #[test]
    fn listen_addresses_need_an_ip_and_a_port() {
        assert_eq!(parse_listen("127.0.0.1:8080"), Ok(SocketAddr::from(([127, 0, 0, 1], 8080))));
        assert!(parse_listen("[::]:8443").is_ok());
        for text in ["localhost:8080", "127.0.0.1", ":8080", "127.0.0.1:99999"] {
            assert!(parse_listen(text).unwrap_err().contains("such as \"127.0.0.1:8080\""), "{text}");
        }
    }

    #[test]
    fn private_and_loopback_hosts_are_told_from_public_ones() {
        let cases = [
            ("localhost", true, true),
            ("app.localhost", true, true),
            ("127.0.0.1", true, true),
            ("[::1]", true, true),
            ("10.1.2.3", false, true),
            ("172.16.0.1", false, true),
            ("192.168.1.1", false, true),
            ("100.64.0.1", false, true),
            ("169.254.169.254", false, true),
            ("0.0.0.0", false, true),
            ("[fd00::1]", false, true),
            ("[fe80::1]", false, true),
            ("[::ffff:10.0.0.1]", false, true),
            ("[::10.0.0.1]", false, true),
            ("[64:ff9b::a00:1]", false, true),
            ("[64:ff9b:1::1]", false, true),
            ("[2002:7f00:1::]", false, true),
            ("[ff02::1]", false, true),
            ("0.1.2.3", false, true),
            ("198.18.0.1", false, true),
            ("192.0.0.8", false, true),
            ("224.0.0.1", false, true),
            ("240.0.0.1", false, true),
            ("255.255.255.255", false, true),
            ("[64:ff9b::808:808]", false, false),
            ("[2002:808:808::]", false, false),
            ("[::ffff:8.8.8.8]", false, false),
            ("example.com", false, false),
            ("8.8.8.8", false, false),
            ("100.128.0.1", false, false),
            ("[2001:db8::1]", false, false),
        ];
        for (host, loopback, private) in cases {
            assert_eq!(is_loopback_host(host), loopback, "{host} loopback");
            assert_eq!(is_private_host(host), private, "{host} private");
        }
    }
}
