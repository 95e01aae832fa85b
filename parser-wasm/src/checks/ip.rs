//! IPv4 and IPv6 address literals, as they appear in the host of a URL.

/// Number of 16-bit groups in an IPv6 address.
const IPV6_GROUPS: usize = 8;

/// Whether `text` is an IPv4 dotted quad: four decimal parts of 0–255.
///
/// A part with a leading zero ("010") is refused: browsers read it as octal, so the address
/// a person meant and the one a browser would open differ.
pub(super) fn is_ipv4(text: &str) -> bool {
    let mut parts = 0_usize;
    text.split('.').all(|part| {
        parts += 1;
        is_ipv4_part(part)
    }) && parts == 4
}

/// Whether `part` is one decimal part of an IPv4 address, without leading zeros.
fn is_ipv4_part(part: &str) -> bool {
    (1..=3).contains(&part.len())
        && part.bytes().all(|b| b.is_ascii_digit())
        && (part == "0" || !part.starts_with('0'))
        && part.parse::<u8>().is_ok()
}

/// Whether `text` is an IPv6 address (the inside of the brackets of a URL host): eight groups
/// of 1–4 hex digits, or fewer with one "::" standing for at least one zero group, the last
/// two groups optionally written as an IPv4 dotted quad.
///
/// Zone identifiers ("fe80::1%25eth0") are refused: they only mean something on the machine
/// that wrote them.
pub(super) fn is_ipv6(text: &str) -> bool {
    match text.split_once("::") {
        Some((head, tail)) => match (group_count(head, false), group_count(tail, true)) {
            (Some(head), Some(tail)) => head + tail < IPV6_GROUPS,
            _ => false,
        },
        None => group_count(text, true) == Some(IPV6_GROUPS),
    }
}

/// Counts the 16-bit groups in a colon-separated list of hex groups, an empty list having
/// none; with `ipv4_tail` the last element may be a dotted quad, counted as two groups.
/// Returns `None` when an element is malformed.
fn group_count(text: &str, ipv4_tail: bool) -> Option<usize> {
    if text.is_empty() {
        return Some(0);
    }
    let mut count = 0;
    let mut groups = text.split(':').peekable();
    while let Some(group) = groups.next() {
        if is_hex_group(group) {
            count += 1;
        } else if ipv4_tail && groups.peek().is_none() && is_ipv4(group) {
            count += 2;
        } else {
            return None;
        }
    }
    Some(count)
}

/// Whether `group` is 1–4 hex digits.
fn is_hex_group(group: &str) -> bool {
    (1..=4).contains(&group.len()) && group.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_accepts_dotted_quads_only() {
        let cases = [
            ("0.0.0.0", true),
            ("127.0.0.1", true),
            ("255.255.255.255", true),
            ("192.168.1.10", true),
            ("256.0.0.1", false),
            ("1.2.3.999", false),
            ("010.0.0.1", false),
            ("1.2.3.00", false),
            ("1.2.3", false),
            ("1.2.3.4.5", false),
            ("1.2.3.", false),
            (".1.2.3", false),
            ("1..2.3", false),
            ("1.2.3.4.", false),
            ("", false),
            ("a.b.c.d", false),
            ("+1.2.3.4", false),
            ("1.2.3.-4", false),
            ("1.2.3.٤", false),
            ("1.2.3.4é", false),
            ("1000.2.3.4", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_ipv4(text), expected, "{text:?}");
        }
    }

    #[test]
    fn ipv6_accepts_full_compressed_and_ipv4_tailed_forms() {
        let cases = [
            ("1:2:3:4:5:6:7:8", true),
            ("2001:db8:85a3:0:0:8a2e:370:7334", true),
            ("2001:0DB8:85A3:0000:0000:8A2E:0370:7334", true),
            ("::", true),
            ("::1", true),
            ("1::", true),
            ("2001:db8::1", true),
            ("1::8", true),
            ("1:2:3:4:5:6:7::", true),
            ("::2:3:4:5:6:7:8", true),
            ("1:2:3::5:6:7:8", true),
            ("::ffff:192.0.2.128", true),
            ("64:ff9b::192.0.2.33", true),
            ("1:2:3:4:5:6:1.2.3.4", true),
            ("::1.2.3.4", true),
            ("1:2:3:4:5::1.2.3.4", true),
            ("1:2:3:4:5:6:7", false),
            ("1:2:3:4:5:6:7:8:9", false),
            ("1:2:3:4::5:6:7:8", false),
            ("1:2:3:4:5:6:7:8::", false),
            ("::1:2:3:4:5:6:7:8", false),
            ("1:2:3:4:5:6:7:1.2.3.4", false),
            ("1:2:3:4:5::6:1.2.3.4", false),
            ("1::2::3", false),
            (":::", false),
            (":1::", false),
            ("::1:", false),
            (":", false),
            ("", false),
            ("1:2:3:4:5:6:7:", false),
            (":2:3:4:5:6:7:8", false),
            ("12345::", false),
            ("g::", false),
            ("::1.2.3.4:1", false),
            ("1.2.3.4::", false),
            ("::256.1.1.1", false),
            ("::1.2.3", false),
            ("fe80::1%25eth0", false),
            ("fe80::1%eth0", false),
            (" ::1", false),
            ("::é", false),
            ("[::1]", false),
        ];
        for (text, expected) in cases {
            assert_eq!(is_ipv6(text), expected, "{text:?}");
        }
    }
}
