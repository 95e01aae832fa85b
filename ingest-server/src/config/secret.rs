//! Secrets in the configuration (webhook signing secrets, the master key from the environment):
//! a text that never prints, and the base64 checks that tell a well-formed secret early.

use std::fmt;

/// What a secret prints as, wherever it would be printed.
const REDACTED: &str = "[redacted]";

/// A secret text. `Debug` and `Display` print `[redacted]`; only [`expose`](Secret::expose)
/// gives the text, so that reading it is a visible, deliberate act.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret text.
    pub fn new(text: impl Into<String>) -> Self {
        Secret(text.into())
    }

    /// The secret text, for the one place that uses it (a key derivation, a signature).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// The number of bytes `text` decodes to as base64 (standard or URL-safe alphabet, padding
/// optional), or `None` when it is not base64.
pub(super) fn base64_len(text: &str) -> Option<usize> {
    let data = text.trim_end_matches('=');
    let padding = text.len() - data.len();
    let alphabet = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_');
    if !data.bytes().all(alphabet) || data.len() % 4 == 1 || padding > 2 {
        return None;
    }
    if padding > 0 && !text.len().is_multiple_of(4) {
        return None;
    }
    Some(data.len() / 4 * 3 + (data.len() % 4).saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_prints_as_redacted_and_exposes_its_text_on_request() {
        let secret = Secret::new("whsec_hunter2");
        assert_eq!(format!("{secret}"), "[redacted]");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some([redacted])");
        assert_eq!(secret.expose(), "whsec_hunter2");
    }

    #[test]
    fn base64_lengths_count_decoded_bytes_and_refuse_what_is_not_base64() {
        let cases = [
            ("", Some(0)),
            ("QQ==", Some(1)),
            ("QQ", Some(1)),
            ("QUI=", Some(2)),
            ("QUJD", Some(3)),
            ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", Some(32)),
            ("-_-_", Some(3)),
            ("QUJDR", None),
            ("QQ=", None),
            ("Q===", None),
            ("QU JD", None),
            ("QU=D", None),
            ("ÿÿÿÿ", None),
        ];
        for (text, expected) in cases {
            assert_eq!(base64_len(text), expected, "{text:?}");
        }
    }
}
