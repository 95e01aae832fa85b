//! `server.trusted_proxies`: the addresses, or networks in CIDR notation, of the proxies in
//! front of the server. Only a request from one of them has its `X-Forwarded-For` or
//! `Forwarded` header believed (see `http::forwarded`).

use std::net::IpAddr;

/// One trusted address (`"127.0.0.1"`, `"::1"`) or network (`"10.0.0.0/8"`, `"fd00::/8"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpRange {
    /// The network's first address, IPv4-mapped IPv6 written as IPv4.
    network: IpAddr,
    /// The bits that name the network: up to 32 for IPv4, 128 for IPv6.
    prefix: u8,
}

impl IpRange {
    /// Whether `ip` is in the range (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                u128::from(u32::from(ip)) & mask(32, self.prefix) == u128::from(u32::from(network))
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                u128::from(ip) & mask(128, self.prefix) == u128::from(network)
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for IpRange {
    type Err = String;

    /// Parses `"127.0.0.1"`, `"10.0.0.0/8"`, `"fd00::/8"`: an address or an exact network.
    fn from_str(text: &str) -> Result<Self, String> {
        parse_range(text)
    }
}

/// The proxies whose forwarding headers are believed; empty (the default) believes none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpRange>);

impl TrustedProxies {
    /// The proxies in `ranges`.
    pub fn new(ranges: Vec<IpRange>) -> Self {
        TrustedProxies(ranges)
    }

    /// Whether `ip` is one of the proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The mask of a network of `prefix` bits in a `width`-bit address (32 or 128), in the low
/// `width` bits: `prefix` ones, then zeros.
fn mask(width: u32, prefix: u8) -> u128 {
    match u32::from(prefix).min(width) {
        0 => 0,
        prefix => (u128::MAX << (128 - prefix)) >> (128 - width),
    }
}

/// Parses `address` or `address/prefix`; the address must be the network's first.
pub(super) fn parse_range(text: &str) -> Result<IpRange, String> {
    let example = "expected an IP address or a network such as \"10.0.0.0/8\" or \"fd00::/8\"";
    let (address, prefix) = match text.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (text, None),
    };
    let written = address.trim().parse::<IpAddr>().map_err(|_| example.to_owned())?;
    let width: u8 = if written.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        None => width,
        Some(prefix) => match prefix.trim().parse::<u8>() {
            Ok(bits) if bits <= width && !prefix.trim().starts_with('+') => bits,
            _ => return Err(format!("has a prefix that is not a number from 0 to {width}; {example}")),
        },
    };
    // IPv4 written as IPv4-mapped IPv6 (`::ffff:192.0.2.0/120`) is kept as IPv4.
    let (network, prefix) = match (written, written.to_canonical()) {
        (IpAddr::V6(_), IpAddr::V4(v4)) if prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
        _ => (written, prefix),
    };
    let range = IpRange { network, prefix };
    let first = first_address(network, prefix);
    if first != network {
        return Err(format!("has bits set past the /{prefix}: write \"{first}/{prefix}\""));
    }
    Ok(range)
}

/// The first address of the network of `prefix` bits that holds `ip`.
fn first_address(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u128::from(u32::from(v4)) & mask(32, prefix);
            IpAddr::V4(u32::try_from(bits).unwrap_or(0).into())
        }
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & mask(128, prefix)).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_and_networks_contain_what_they_should() {
        let cases = [
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.2", false),
            ("127.0.0.1", "::ffff:127.0.0.1", true),
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("0.0.0.0/0", "2001:db8::1", false),
            ("::1", "::1", true),
            ("fd00::/8", "fd12:3456::1", true),
            ("fd00::/8", "fe80::1", false),
            ("2001:db8::/32", "2001:db8:ffff::1", true),
            ("::/0", "2001:db8::1", true),
            ("::ffff:192.0.2.0/120", "192.0.2.77", true),
        ];
        for (range, address, expected) in cases {
            let parsed = parse_range(range).unwrap();
            assert_eq!(parsed.contains(ip(address)), expected, "{range} ∋ {address}");
        }
    }

    #[test]
    fn ranges_that_are_not_exact_are_refused_with_what_to_write() {
        assert_eq!(parse_range("10.1.2.3/8").unwrap_err(), "has bits set past the /8: write \"10.0.0.0/8\"");
        assert!(parse_range("2001:db8::1/32").unwrap_err().contains("\"2001:db8::/32\""));
        for bad in ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/+8", "proxy.example", "10.0.0.0/8/8", ""]
        {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }
}
