//! Weak secrets: an admin token or signing secret that is easy to guess (few different
//! characters, a part that repeats, a run such as `abcdef…`) or published (the example webhook
//! secret of `examples/sluice.toml`, the start-token test vector of `docs/protocol.md`). They
//! are listed apart from errors, with their place: `check-config` and `serve` refuse them unless
//! given `--allow-weak`, and then warn. A message never repeats the secret.

use std::collections::BTreeSet;

/// Secrets published in this repository, which anyone can read.
const PUBLISHED: &[&str] =
    &["whsec_g4rDJISbhb1a9suuXF7jHvHciBzooAgd8JOKiavMKTQ=", "sluice-start-token-test-vector-secret-0001"];

/// The fewest different characters a secret may have.
const MIN_DISTINCT: usize = 10;

/// What to do about a weak secret.
const ADVICE: &str = "use 32 random bytes or more, such as the output of `openssl rand -base64 32`";

/// Why `secret` is weak, if it is; `random_part` is the part that should be random (a webhook
/// secret's base64 after `whsec_`).
pub(super) fn weakness(secret: &str, random_part: &str) -> Option<String> {
    let reason = if PUBLISHED.contains(&secret) {
        "is published in Sluice's examples and documentation, so anyone can read it".to_owned()
    } else {
        guessable(random_part)?
    };
    Some(format!("is weak: it {reason}; {ADVICE}"))
}

/// Why a text meant to be random is easy to guess, if it is.
fn guessable(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let distinct = chars.iter().collect::<BTreeSet<_>>().len();
    if distinct < MIN_DISTINCT {
        let unit = if distinct == 1 { "character" } else { "characters" };
        return Some(format!("has only {distinct} different {unit}"));
    }
    let pairs: Vec<(char, char)> = chars.windows(2).map(|w| (w[0], w[1])).collect();
    let repeated = pairs.len() - pairs.iter().collect::<BTreeSet<_>>().len();
    if repeated * 3 > pairs.len() {
        return Some(
            "repeats itself (a third of its neighbouring pairs of characters occur twice)".to_owned(),
        );
    }
    let neighbours = pairs.iter().filter(|(a, b)| u32::from(*a).abs_diff(u32::from(*b)) <= 1).count();
    if neighbours * 2 > pairs.len() {
        return Some("is mostly runs of neighbouring characters, such as abcd or 1234".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guessable_texts_are_weak_and_random_ones_are_not() {
        let weak = [
            ("a".repeat(40), "has only 1 different character"),
            ("ab".repeat(20), "has only 2 different characters"),
            ("passwordpasswordpasswordpassword".to_owned(), "has only 7 different characters"),
            ("correcthorsebatterycorrecthorsebattery".to_owned(), "repeats itself"),
            ("0123456789abcdef0123456789abcdef".to_owned(), "repeats itself"),
            ("abcdefghijklmnopqrstuvwxyz0123456789".to_owned(), "runs of neighbouring characters"),
            ("zyxwvutsrqponmlkjihgfedcba9876543210".to_owned(), "runs of neighbouring characters"),
        ];
        for (text, reason) in weak {
            let found = weakness(&text, &text).unwrap_or_default();
            assert!(found.contains(reason) && found.contains("openssl rand"), "{text}: {found}");
            assert!(!found.contains(&text), "never repeated");
        }
        let strong = [
            "Zq7vR2mK9xT4wL8nB3cF6hJ1pD5sG0yE",
            "3q2+7wABAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=",
            "tests-admin-token-0123456789abcdef",
            "dashboard-test-token-0123456789abcdef",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ];
        for text in strong {
            assert_eq!(weakness(text, text), None, "{text}");
        }
    }

    #[test]
    fn published_secrets_are_weak_however_random_they_look() {
        let example = "whsec_g4rDJISbhb1a9suuXF7jHvHciBzooAgd8JOKiavMKTQ=";
        let found = weakness(example, &example[6..]).unwrap_or_default();
        assert!(found.contains("is published"), "{found}");
    }
}
