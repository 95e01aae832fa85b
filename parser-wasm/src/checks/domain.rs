//! Domain name labels as people write them, shared by the e-mail and URL checks.

/// Longest DNS label, in bytes.
const MAX_LABEL: usize = 63;

/// Whether `label` is one label of a hostname: 1–63 bytes of ASCII letters, digits and hyphens
/// or non-ASCII alphanumerics (internationalised names as written, before Punycode), neither
/// starting nor ending with a hyphen.
///
/// The length is counted in bytes as written, which is stricter than DNS for long
/// internationalised labels and good enough to catch pasted garbage.
pub(super) fn is_label(label: &str) -> bool {
    let ascii = label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    (1..=MAX_LABEL).contains(&label.len())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && (ascii || label.chars().all(is_label_char))
}

/// Whether `c` may appear in a hostname label.
fn is_label_char(c: char) -> bool {
    if c.is_ascii() { c.is_ascii_alphanumeric() || c == '-' } else { c.is_alphanumeric() }
}

/// Appends `text` lowercased, using the full Unicode mapping for non-ASCII characters.
pub(super) fn push_lowercase(text: &str, out: &mut String) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        if let Some(appended) = out.get_mut(start..) {
            appended.make_ascii_lowercase();
        }
        return;
    }
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_checked_for_characters_hyphens_and_length() {
        let long = "a".repeat(63);
        let too_long = "a".repeat(64);
        let cases: &[(&str, bool)] = &[
            ("example", true),
            ("EXAMPLE", true),
            ("a", true),
            ("0", true),
            ("xn--bcher-kva", true),
            ("a-b", true),
            ("a--b", true),
            ("bücher", true),
            ("例え", true),
            ("пример", true),
            (&long, true),
            (&too_long, false),
            ("", false),
            ("-a", false),
            ("a-", false),
            ("-", false),
            ("a_b", false),
            ("a b", false),
            ("a.b", false),
            ("a@b", false),
            ("a\u{a0}b", false),
            ("a€b", false),
            ("é-", false),
            ("-é", false),
        ];
        for &(label, expected) in cases {
            assert_eq!(is_label(label), expected, "{label:?}");
        }
    }

    #[test]
    fn lowercasing_covers_ascii_and_unicode() {
        let cases =
            [("Example.COM", "example.com"), ("BÜCHER.de", "bücher.de"), ("ПРИМЕР", "пример"), ("", "")];
        for (text, expected) in cases {
            let mut out = String::from("x:");
            push_lowercase(text, &mut out);
            assert_eq!(out, format!("x:{expected}"), "{text:?}");
        }
    }
}
