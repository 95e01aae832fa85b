//! Absolute URLs with an authority: `scheme://[userinfo@]host[:port][/path][?query][#fragment]`.
//!
//! The scheme must be one of the column's allowed schemes (compared case-insensitively).
//! The host is a domain name, an IPv4 dotted quad or a bracketed IPv6 literal. A domain has
//! labels as in [`super::domain::is_label`], at most 253 bytes, an optional trailing dot, and at
//! least two labels unless it is "localhost": a single word after "https://" is nearly always a
//! typo in imported data, not an intranet host. A host whose last label is all digits must be a
//! valid dotted quad, because browsers read it as an IPv4 address ("http://1.2.3" opens
//! 1.2.0.3). The port is 1–65535, digits only. Whitespace and control characters are refused
//! everywhere; the path, query and fragment may otherwise hold any character, non-ASCII
//! included, and each '%' must start a %XX escape.
//!
//! URLs without an authority ("mailto:", "file:///") are not accepted: a column of links wants
//! something a browser can open on another machine.

use super::{domain, ip};

/// Longest domain name, in bytes, without its trailing dot.
const MAX_DOMAIN: usize = 253;

/// Checks a URL and appends its canonical form: scheme and host lowercased, the rest as
/// written. `schemes` holds the allowed schemes, such as "http" and "https".
pub(crate) fn parse_url(text: &str, schemes: &[String], out: &mut String) -> bool {
    let Some((scheme, rest)) = super::split_once_ascii(text, b':') else {
        return false;
    };
    let Some(rest) = rest.strip_prefix("//") else {
        return false;
    };
    if !is_scheme(scheme) || !schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
        return false;
    }
    let authority_len = rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    let Some((authority, tail)) = rest.split_at_checked(authority_len) else {
        return false;
    };
    let Some(authority) = Authority::split(authority) else {
        return false;
    };
    let plain_ascii = tail.bytes().all(|b| b.is_ascii_graphic() && b != b'%');
    if !plain_ascii && !is_escaped(tail, is_printable) {
        return false;
    }
    domain::push_lowercase(scheme, out);
    out.push_str("://");
    authority.push(out);
    out.push_str(tail);
    true
}

/// Whether `scheme` has the syntax of RFC 3986: a letter, then letters, digits, '+', '-', '.'.
fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// The validated authority of a URL, as slices of the checked text.
struct Authority<'a> {
    /// User information before '@', if any.
    userinfo: Option<&'a str>,
    /// Host name, dotted quad, or bracketed IPv6 literal.
    host: &'a str,
    /// Port digits after ':', if any.
    port: Option<&'a str>,
}

impl<'a> Authority<'a> {
    /// Splits and checks an authority, returning `None` if any part is invalid.
    fn split(authority: &'a str) -> Option<Self> {
        let (userinfo, host_port) = match super::split_once_ascii(authority, b'@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let (host, port) = split_port(host_port)?;
        let valid = userinfo.is_none_or(is_userinfo) && is_host(host) && port.is_none_or(is_port);
        valid.then_some(Self { userinfo, host, port })
    }

    /// Appends the canonical authority: the host lowercased, the rest as written.
    fn push(&self, out: &mut String) {
        if let Some(userinfo) = self.userinfo {
            out.push_str(userinfo);
            out.push('@');
        }
        domain::push_lowercase(self.host, out);
        if let Some(port) = self.port {
            out.push(':');
            out.push_str(port);
        }
    }
}

/// Splits "host:port" into the host and the port, if any; an IPv6 host keeps its brackets.
fn split_port(host_port: &str) -> Option<(&str, Option<&str>)> {
    if host_port.starts_with('[') {
        let end = host_port.find(']')?;
        let (host, after) = host_port.split_at_checked(end + 1)?;
        if after.is_empty() {
            return Some((host, None));
        }
        return after.strip_prefix(':').map(|port| (host, Some(port)));
    }
    Some(match super::split_once_ascii(host_port, b':') {
        Some((host, port)) => (host, Some(port)),
        None => (host_port, None),
    })
}

/// Whether `userinfo` is non-empty and made of RFC 3986 user information characters, non-ASCII
/// printable characters and %XX escapes.
fn is_userinfo(userinfo: &str) -> bool {
    !userinfo.is_empty() && is_escaped(userinfo, is_userinfo_char)
}

/// Whether `c` may appear unescaped in user information.
fn is_userinfo_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '.' | '_' | '~' => true,
        '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '=' | ':' => true,
        _ => !c.is_ascii() && is_printable(c),
    }
}

/// Whether `host` is a bracketed IPv6 literal, a dotted quad or a domain name.
fn is_host(host: &str) -> bool {
    if let Some(literal) = host.strip_prefix('[') {
        return literal.strip_suffix(']').is_some_and(ip::is_ipv6);
    }
    let name = host.strip_suffix('.').unwrap_or(host);
    let last = name.rsplit('.').next().unwrap_or_default();
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return ip::is_ipv4(name);
    }
    name.len() <= MAX_DOMAIN
        && super::split_ascii(name, b'.').all(domain::is_label)
        && (name.contains('.') || name.eq_ignore_ascii_case("localhost"))
}

/// Whether `port` is a decimal number from 1 to 65535.
fn is_port(port: &str) -> bool {
    let value = port.bytes().try_fold(0_u32, |value, b| {
        let digit = char::from(b).to_digit(10)?;
        value.checked_mul(10)?.checked_add(digit).filter(|&v| v <= 65_535)
    });
    !port.is_empty() && value.is_some_and(|v| v > 0)
}

/// Whether every character of `text` is allowed by `allowed`, except '%', which must start a
/// %XX escape of two hex digits.
fn is_escaped(text: &str, allowed: impl Fn(char) -> bool) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        let valid = if c == '%' {
            let mut hex = chars.by_ref().take(2).filter(char::is_ascii_hexdigit);
            hex.next().is_some() && hex.next().is_some()
        } else {
            allowed(c)
        };
        if !valid {
            return false;
        }
    }
    true
}

/// Whether `c` is neither whitespace (Unicode's definition) nor a control character.
fn is_printable(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_graphic() } else { !c.is_whitespace() && !c.is_control() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs [`parse_url`] with the given schemes on a buffer that already holds text and
    /// returns what it appended, checking that a failure appends nothing.
    fn appended(text: &str, schemes: &[&str]) -> Option<String> {
        let schemes: Vec<String> = schemes.iter().map(|&s| s.to_owned()).collect();
        let mut out = String::from("prefix|");
        let valid = parse_url(text, &schemes, &mut out);
        let added = out.split_off("prefix|".len());
        assert_eq!(out, "prefix|");
        assert_eq!(valid, !added.is_empty(), "{text:?}");
        valid.then_some(added)
    }

    const WEB: &[&str] = &["http", "https"];

    #[test]
    fn valid_urls_have_their_canonical_form() {
        let cases = [
            ("http://example.com", "http://example.com"),
            ("https://example.com/", "https://example.com/"),
            ("HTTPS://WWW.Example.COM/Path/To?Q=A#Frag", "https://www.example.com/Path/To?Q=A#Frag"),
            ("HtTp://example.com.", "http://example.com."),
            ("http://localhost", "http://localhost"),
            ("http://LocalHost:8080/x", "http://localhost:8080/x"),
            ("http://example.com:1", "http://example.com:1"),
            ("http://example.com:65535/", "http://example.com:65535/"),
            ("http://example.com:0080", "http://example.com:0080"),
            ("http://user:pa%20ss@Example.com/", "http://user:pa%20ss@example.com/"),
            ("http://user@example.com", "http://user@example.com"),
            ("http://a.b-c.d/", "http://a.b-c.d/"),
            ("http://127.0.0.1/", "http://127.0.0.1/"),
            ("http://255.255.255.255:80", "http://255.255.255.255:80"),
            ("http://1.2.3.4./", "http://1.2.3.4./"),
            ("http://[::1]/", "http://[::1]/"),
            ("http://[2001:DB8::A]:8443/x", "http://[2001:db8::a]:8443/x"),
            ("http://[::FFFF:192.0.2.1]", "http://[::ffff:192.0.2.1]"),
            ("http://example.com?q", "http://example.com?q"),
            ("http://example.com#top", "http://example.com#top"),
            ("http://example.com/a%2Fb?x=%e2%82%ac", "http://example.com/a%2Fb?x=%e2%82%ac"),
            ("http://example.com/a|b{c}[d]<e>^`\\\"'", "http://example.com/a|b{c}[d]<e>^`\\\"'"),
            ("http://example.com/a#b#c?d", "http://example.com/a#b#c?d"),
            ("http://example.com/a://b@c:d", "http://example.com/a://b@c:d"),
            ("http://example.com/€?ü=😀#ß", "http://example.com/€?ü=😀#ß"),
            ("http://Bücher.DE/Straße", "http://bücher.de/Straße"),
            ("http://пример.рф", "http://пример.рф"),
            ("http://例え.jp/パス", "http://例え.jp/パス"),
            ("http://xn--bcher-kva.de", "http://xn--bcher-kva.de"),
            ("http://jörg@example.com", "http://jörg@example.com"),
            ("http://123.example.com", "http://123.example.com"),
            ("http://example.123a", "http://example.123a"),
        ];
        for (text, canonical) in cases {
            assert_eq!(appended(text, WEB), Some(canonical.to_owned()), "{text:?}");
        }
    }

    #[test]
    fn schemes_are_matched_against_the_allowed_list() {
        let cases = [
            ("ftp://example.com", &["ftp"][..], Some("ftp://example.com")),
            ("FTP://example.com", &["ftp"], Some("ftp://example.com")),
            ("ftp://example.com", &["FTP"], Some("ftp://example.com")),
            ("git+ssh://example.com", &["git+ssh"], Some("git+ssh://example.com")),
            ("ftp://example.com", WEB, None),
            ("http://example.com", &[], None),
            ("http://example.com", &["https"], None),
            ("https://example.com", &["http"], None),
            ("httpss://example.com", WEB, None),
            ("htt://example.com", WEB, None),
            ("mailto:user@example.com", &["mailto"], None),
            ("file:///etc/hosts", &["file"], None),
            ("1http://example.com", &["1http"], None),
            ("ht tp://example.com", &["ht tp"], None),
            ("://example.com", &[""], None),
            ("htţp://example.com", &["htţp"], None),
            ("é://example.com", &["é"], None),
            ("http€://example.com", WEB, None),
        ];
        for (text, schemes, canonical) in cases {
            assert_eq!(appended(text, schemes).as_deref(), canonical, "{text:?}");
        }
    }

    #[test]
    fn invalid_urls_are_refused() {
        let long_host = format!("http://{}.com", vec!["a".repeat(63); 4].join("."));
        let cases = [
            "",
            "example.com",
            "www.example.com/path",
            "http:/example.com",
            "http:example.com",
            "http//example.com",
            "http://",
            "http:///path",
            "http://?q",
            "http://#f",
            "http://:80",
            "http://@example.com",
            "http://user@@example.com",
            "http://us er@example.com",
            "http://user@:80",
            "http://a/b@example.com",
            "http://example",
            "http://intranet/",
            "http://example..com",
            "http://.example.com",
            "http://example.com..",
            "http://-example.com",
            "http://example-.com",
            "http://exa_mple.com",
            "http://exa mple.com",
            "http://example.com /x",
            "http://example.com/a b",
            "http://example.com/a\tb",
            "http://example.com/\u{7f}",
            "http://example.com/\u{85}",
            "http://example.com/a\u{a0}b",
            "http://example.com/a\u{2028}",
            "http://example.com/a\u{3000}",
            "http://example.com/%",
            "http://example.com/%4",
            "http://example.com/%4g",
            "http://example.com/%é1",
            "http://example.com?%%",
            "http://example.com#%zz",
            "http://u%zz@example.com",
            "http://example.com:",
            "http://example.com:0",
            "http://example.com:65536",
            "http://example.com:99999999999999999999",
            "http://example.com:80a",
            "http://example.com:+80",
            "http://example.com:8 0",
            "http://example.com:٨٠",
            "http://example.com:8€0",
            "http://example.com:80€",
            "http://example.com:80:81",
            "http://1.2.3",
            "http://1.2.3.4.5",
            "http://256.1.1.1",
            "http://010.0.0.1",
            "http://123",
            "http://example.123",
            "http://::1/",
            "http://[::1",
            "http://[::1]x",
            "http://[::1]:",
            "http://[::1]:0",
            "http://[1::2::3]/",
            "http://[fe80::1%25eth0]/",
            "http://[example.com]/",
            "http://[]/",
            "http://ex€mple.com",
            "http://😀.com",
            "http://example.com\u{0}",
            " http://example.com",
            "\u{feff}http://example.com",
            &long_host,
        ];
        for text in cases {
            assert_eq!(appended(text, WEB), None, "{text:?}");
        }
    }

    #[test]
    fn hostile_input_never_panics_and_canonical_forms_are_stable() {
        let pieces = [
            "", "a", "A", "1", ":", "/", "?", "#", "@", ".", "-", "%", "%4", "[", "]", "::", "é", "😀",
            "\u{301}", " ", "\u{a0}",
        ];
        let mut inputs = vec![
            format!("http://{}", "a".repeat(10_000)),
            format!("http://[{}]", ":".repeat(10_000)),
            format!("http://x.y:{}", "9".repeat(10_000)),
            format!("http://x.y/{}", "%".repeat(10_000)),
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    inputs.push(format!("http:{a}/{b}/{c}"));
                    inputs.push(format!("http://{a}x{b}.y{c}"));
                    inputs.push(format!("http://[{a}:{b}:{c}]"));
                    inputs.push(format!("http://x.y{a}/{b}?{c}"));
                }
            }
        }
        for text in &inputs {
            if let Some(canonical) = appended(text, WEB) {
                assert_eq!(appended(&canonical, WEB).as_ref(), Some(&canonical), "{text:?}");
            }
        }
    }
}
