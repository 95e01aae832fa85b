//! Where a regular expression a user typed is wrong: the regex engine says what, not where, so
//! the place is found here, by character (1-based), for the message the user reads.

use regex_lite::Regex;

/// Patterns longer than this are not searched for the place of their error (the search
/// compiles every prefix).
const MAX_SEARCHED: usize = 500;

/// "the regular expression is invalid at character 4: unclosed group".
pub(super) fn describe(pattern: &str, error: &regex_lite::Error) -> String {
    match position(pattern) {
        Some(at) => format!("the regular expression is invalid at character {at}: {error}"),
        None => format!("the regular expression is invalid: {error}"),
    }
}

/// The 1-based character where `pattern` goes wrong: an unmatched bracket, else the first
/// character after the longest prefix that compiles once its open groups are closed.
fn position(pattern: &str) -> Option<usize> {
    let scan = Scan::of(pattern);
    if let Some(at) = scan.unopened.or(scan.class).or(scan.groups.last().copied()) {
        return Some(at);
    }
    if pattern.chars().count() > MAX_SEARCHED {
        return None;
    }
    let good = pattern
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .rfind(|&end| pattern.get(..end).is_some_and(|prefix| Regex::new(&close(prefix)).is_ok()))
        .unwrap_or(0);
    Some(pattern.get(..good).map_or(0, |p| p.chars().count()) + 1)
}

/// `prefix` with its open class and groups closed.
fn close(prefix: &str) -> String {
    let scan = Scan::of(prefix);
    let mut closed = prefix.to_owned();
    if scan.class.is_some() {
        closed.push_str("a]");
    }
    closed.extend(std::iter::repeat_n(')', scan.groups.len()));
    closed
}

/// Brackets found in a pattern, by 1-based character.
#[derive(Debug, Default)]
struct Scan {
    /// Open groups, innermost last.
    groups: Vec<usize>,
    /// The outermost open class.
    class: Option<usize>,
    /// The first `)` without its `(`.
    unopened: Option<usize>,
}

impl Scan {
    fn of(pattern: &str) -> Scan {
        let mut scan = Scan::default();
        let (mut escaped, mut depth, mut class_start) = (false, 0usize, 0usize);
        for (n, c) in pattern.chars().enumerate() {
            let at = n + 1;
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                // A `]` first in a class, or after its `^`, is a literal.
                (false, ']')
                    if depth > 0
                        && at > class_start + 1
                        && !(at == class_start + 2 && pattern.chars().nth(n - 1) == Some('^')) =>
                {
                    depth -= 1;
                    if depth == 0 {
                        scan.class = None;
                    }
                }
                (false, '[') => {
                    depth += 1;
                    class_start = at;
                    scan.class = scan.class.or(Some(at));
                }
                (false, '(') if depth == 0 => scan.groups.push(at),
                (false, ')') if depth == 0 => scan.close_group(at),
                _ => {}
            }
        }
        scan
    }

    /// A `)` at `at`: it closes the innermost group, or is the first unopened one.
    fn close_group(&mut self, at: usize) {
        if self.groups.pop().is_none() {
            self.unopened = self.unopened.or(Some(at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_place_of_a_regex_error_is_found() {
        let cases = [
            ("a(b", 2),
            ("ab)c", 3),
            ("x[abc", 2),
            ("[]a", 1),
            ("ab\\p{L}", 3),
            ("a{5,2}", 2),
            ("*a", 1),
            ("(a|b", 1),
            ("(a)(b", 4),
        ];
        for (pattern, at) in cases {
            assert!(Regex::new(pattern).is_err(), "{pattern} compiles");
            assert_eq!(position(pattern), Some(at), "{pattern}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_bad_pattern_gets_a_place_inside_it(pattern in r"[a(\[\]){}*+?\\|^$0-9,-]{1,10}") {
            if Regex::new(&pattern).is_err() {
                let at = position(&pattern);
                proptest::prop_assert!(at.is_some_and(|at| (1..=pattern.chars().count()).contains(&at)), "{pattern:?}: {at:?}");
            }
        }
    }

    #[test]
    fn a_message_says_what_and_where() {
        let Err(e) = Regex::new("a(b") else { panic!("compiles") };
        assert_eq!(describe("a(b", &e), format!("the regular expression is invalid at character 2: {e}"));
    }
}
