//! E-mail addresses, by practical rules in the spirit of the WHATWG "valid e-mail address",
//! extended to internationalised addresses.
//!
//! An address is a local part, one '@' and a domain. The local part is 1–64 bytes of dot-separated
//! non-empty atoms of ASCII letters, digits, ``!#$%&'*+/=?^_`{|}~-`` and non-ASCII
//! alphanumerics. The domain has at least two labels (see [`super::domain::is_label`]); its last
//! label, the top-level domain, has at least two characters and is not all digits. The whole
//! address is at most 254 bytes.
//!
//! Quoted local parts (`"john doe"@example.com`) and IP-literal domains (`user@[192.0.2.1]`)
//! are refused: both are legal but almost never meant in imported data, where a quote or a
//! bracket is nearly always debris from a badly exported file, and nobody can deliver mail to
//! them reliably.

use super::domain;

/// Longest address, in bytes (the limit of an SMTP forward path, less its angle brackets).
const MAX_ADDRESS: usize = 254;

/// Longest local part, in bytes.
const MAX_LOCAL_PART: usize = 64;

/// Checks an e-mail address and appends its canonical form: the local part as written (mail
/// servers may treat its case as significant), '@', and the domain lowercased.
pub(crate) fn parse_email(text: &str, out: &mut String) -> bool {
    if let Some(valid) = ascii_email(text, out) {
        return valid;
    }
    let Some((local, domain)) = super::split_once_ascii(text, b'@') else {
        return false;
    };
    if text.len() > MAX_ADDRESS || !is_local_part(local) || !is_domain(domain) {
        return false;
    }
    out.push_str(local);
    out.push('@');
    domain::push_lowercase(domain, out);
    true
}

/// The same rules for an all-ASCII address in one pass over its bytes; `None` when the
/// address is not ASCII (the general rules then decide).
fn ascii_email(text: &str, out: &mut String) -> Option<bool> {
    let bytes = text.as_bytes();
    let Some(at) = ascii_local_part(bytes)? else { return Some(false) };
    let domain = bytes.get(at + 1..)?;
    let valid = ascii_domain(domain)? && bytes.len() <= MAX_ADDRESS;
    if valid {
        out.push_str(text.get(..=at)?);
        let start = out.len();
        out.push_str(text.get(at + 1..)?);
        out.get_mut(start..)?.make_ascii_lowercase();
    }
    Some(valid)
}

/// The ASCII bytes allowed in an atom of a local part.
const LOCAL_BYTES: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = matches!(b as u8, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9')
            || matches!(b as u8, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'/' | b'=')
            || matches!(b as u8, b'?' | b'^' | b'_' | b'`' | b'{' | b'|' | b'}' | b'~');
        b += 1;
    }
    table
};

/// Reads the local part up to the first '@': `Some(Some(at))` when it is valid, `Some(None)`
/// when it is not (or there is no '@'), `None` when a non-ASCII byte comes first.
fn ascii_local_part(bytes: &[u8]) -> Option<Option<usize>> {
    let mut previous = b'.';
    for (i, &b) in bytes.iter().enumerate() {
        let ok = match b {
            b'@' => return Some((previous != b'.' && i <= MAX_LOCAL_PART).then_some(i)),
            b'.' => previous != b'.',
            b if !b.is_ascii() => return None,
            b => LOCAL_BYTES.get(usize::from(b)) == Some(&true),
        };
        if !ok {
            return Some(None);
        }
        previous = b;
    }
    Some(None)
}

/// Whether an ASCII domain is two labels or more, each 1–63 letters, digits or inner hyphens,
/// the last with 2 characters or more and not all digits; `None` when it is not ASCII.
fn ascii_domain(domain: &[u8]) -> Option<bool> {
    let (mut labels, mut len, mut previous, mut digits) = (0, 0, b'.', true);
    let mut ok = true;
    for &b in domain {
        match b {
            b'.' => {
                ok &= len > 0 && previous != b'-';
                (labels, len, digits) = (labels + 1, 0, true);
            }
            b'-' => {
                ok &= len > 0;
                digits = false;
            }
            b if b.is_ascii_alphanumeric() => digits &= b.is_ascii_digit(),
            b if !b.is_ascii() => return None,
            _ => ok = false,
        }
        if b != b'.' {
            len += 1;
            ok &= len <= 63;
        }
        previous = b;
    }
    Some(ok && previous != b'-' && len >= 2 && labels >= 1 && !digits)
}

/// Whether `local` is an unquoted local part: non-empty atoms separated by single dots.
fn is_local_part(local: &str) -> bool {
    local.len() <= MAX_LOCAL_PART
        && super::split_ascii(local, b'.').all(|atom| !atom.is_empty() && atom.chars().all(is_local_char))
}

/// Whether `c` may appear in an atom of a local part.
fn is_local_char(c: char) -> bool {
    match c {
        'a'..='z' | 'A'..='Z' | '0'..='9' => true,
        '!' | '#' | '$' | '%' | '&' | '\'' | '*' | '+' | '-' | '/' | '=' | '?' | '^' | '_' | '`' | '{'
        | '|' | '}' | '~' => true,
        _ => !c.is_ascii() && c.is_alphanumeric(),
    }
}

/// Whether `domain` is a mail domain: two labels or more, with a plausible top-level domain.
pub(crate) fn is_domain(domain: &str) -> bool {
    let mut labels = 0_usize;
    let mut last = "";
    let all_valid = super::split_ascii(domain, b'.').all(|label| {
        labels += 1;
        last = label;
        domain::is_label(label)
    });
    all_valid && labels >= 2 && last.chars().nth(1).is_some() && !last.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The general rules, without the ASCII fast path.
    fn general(text: &str) -> Option<String> {
        let (local, domain) = super::super::split_once_ascii(text, b'@')?;
        let ok = text.len() <= MAX_ADDRESS && is_local_part(local) && is_domain(domain);
        ok.then(|| format!("{local}@{}", domain.to_lowercase()))
    }

    #[test]
    fn the_local_byte_table_matches_the_character_rule() {
        for b in 0..128u8 {
            assert_eq!(LOCAL_BYTES[usize::from(b)], is_local_char(char::from(b)), "{b}");
        }
    }

    proptest! {
        #[test]
        fn the_ascii_fast_path_agrees_with_the_general_rules(text in "[a-zA-Z0-9.@_+'-]{0,12}(@[a-zA-Z0-9.-]{0,12})?") {
            let mut out = String::new();
            if let Some(valid) = ascii_email(&text, &mut out) {
                prop_assert_eq!(valid.then_some(out), general(&text), "{:?}", text);
            }
        }
    }

    /// Runs [`parse_email`] on a buffer that already holds text and returns what it appended,
    /// checking that a failure appends nothing.
    fn appended(text: &str) -> Option<String> {
        let mut out = String::from("prefix|");
        let valid = parse_email(text, &mut out);
        let added = out.split_off("prefix|".len());
        assert_eq!(out, "prefix|");
        assert_eq!(valid, !added.is_empty(), "{text:?}");
        valid.then_some(added)
    }

    #[test]
    fn valid_addresses_have_their_canonical_form() {
        let cases = [
            ("user@example.com", "user@example.com"),
            ("User.Name@Example.COM", "User.Name@example.com"),
            ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
            ("a@b.co", "a@b.co"),
            ("x@xn--bcher-kva.de", "x@xn--bcher-kva.de"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("!#$%&'*+/=?^_`{|}~-@example.org", "!#$%&'*+/=?^_`{|}~-@example.org"),
            ("user@a-b.example", "user@a-b.example"),
            ("user@123.example.com", "user@123.example.com"),
            ("user@example.c0m", "user@example.c0m"),
            ("jörg@example.com", "jörg@example.com"),
            ("Jörg@Bücher.DE", "Jörg@bücher.de"),
            ("用户@例子.广告", "用户@例子.广告"),
            ("почта@ПРИМЕР.РФ", "почта@пример.рф"),
            ("user@example.ελ", "user@example.ελ"),
        ];
        for (text, canonical) in cases {
            assert_eq!(appended(text).as_deref(), Some(canonical), "{text:?}");
        }
    }

    #[test]
    fn addresses_at_the_length_limits_are_accepted() {
        let local_64 = format!("{}@example.com", "a".repeat(64));
        let labels = ["b".repeat(63), "c".repeat(63), "d".repeat(57)].join(".");
        let total_254 = format!("{}@{labels}.com", "a".repeat(64));
        assert_eq!(total_254.len(), 254);
        for text in [local_64, total_254] {
            assert_eq!(appended(&text).as_ref(), Some(&text));
        }
    }

    #[test]
    fn invalid_addresses_are_refused() {
        let too_long_local = format!("{}@example.com", "a".repeat(65));
        let too_long_label = format!("user@{}.com", "a".repeat(64));
        let labels = ["b".repeat(63), "c".repeat(63), "d".repeat(58)].join(".");
        let too_long = format!("{}@{labels}.com", "a".repeat(64));
        let cases = [
            "",
            "@",
            "user",
            "user@",
            "@example.com",
            "user@@example.com",
            "a@b@example.com",
            "user@example",
            "user@localhost",
            "user@example.c",
            "user@example.123",
            "user@192.168.0.1",
            "user@[192.168.0.1]",
            "user@[IPv6:2001:db8::1]",
            "\"john doe\"@example.com",
            "\"john\"@example.com",
            ".user@example.com",
            "user.@example.com",
            "us..er@example.com",
            "user@.example.com",
            "user@example.com.",
            "user@example..com",
            "user@-example.com",
            "user@example-.com",
            "user@example.-com",
            "user@exa_mple.com",
            "us er@example.com",
            "user@exam ple.com",
            "user @example.com",
            "user(comment)@example.com",
            "user,name@example.com",
            "user;name@example.com",
            "user\\name@example.com",
            "user<x>@example.com",
            "user@example.com>",
            "user\u{a0}@example.com",
            "user€@example.com",
            "user@exa€mple.com",
            "user@example.c€",
            "😀@example.com",
            "user@😀.com",
            "user\u{301}@example.com",
            "user@example.com\u{0}",
            "mailto:user@example.com",
            "user@example.com (Home)",
            &too_long_local,
            &too_long_label,
            &too_long,
        ];
        for text in cases {
            assert_eq!(appended(text), None, "{text:?}");
        }
    }

    #[test]
    fn hostile_input_never_panics_and_canonical_forms_are_stable() {
        let pieces = ["", "a", "A", "@", ".", "-", "é", "É", "😀", "\u{301}", " ", "\"", "[", "co"];
        let mut inputs = vec!["@".repeat(10_000), format!("a@{}.com", "b.".repeat(5_000))];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    inputs.push(format!("{a}{b}{c}"));
                    inputs.push(format!("{a}x{b}@y{c}.com"));
                    inputs.push(format!("x@{a}y.{b}co{c}"));
                }
            }
        }
        for text in &inputs {
            if let Some(canonical) = appended(text) {
                assert_eq!(appended(&canonical).as_ref(), Some(&canonical), "{text:?}");
            }
        }
    }
}
