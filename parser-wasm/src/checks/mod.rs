//! Checks of single cell values against a column type, producing the value's canonical form.
//!
//! Every check takes an already-trimmed cell value and, when it is valid, appends the canonical
//! form to a caller's `String` so that one buffer serves a whole row; on failure the buffer is
//! left exactly as it was. The checks work on bytes where they can and allocate nothing of their
//! own, because they run on every cell of files with millions of rows. None of them can panic,
//! whatever the input.

mod domain;
pub(crate) mod email;
mod ip;
pub(crate) mod number;
pub(crate) mod url;
pub(crate) mod uuid;

/// Splits `text` around the first occurrence of the ASCII character `byte`.
///
/// `str::split_once` with a `char` pattern costs several times more on the short strings of
/// cells, because it searches for the character's UTF-8 encoding as a substring.
fn split_once_ascii(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// Iterates over the parts of `text` between occurrences of the ASCII character `byte`, for
/// the same reason as [`split_once_ascii`].
fn split_ascii(text: &str, byte: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        let (part, after) = match split_once_ascii(current, byte) {
            Some((part, after)) => (part, Some(after)),
            None => (current, None),
        };
        rest = after;
        Some(part)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_splits_agree_with_the_standard_library() {
        let texts = ["", ".", "a", "a.b", ".a.", "a..b", "é.ü.😀", "x.\u{301}.", "..."];
        for text in texts {
            assert_eq!(split_once_ascii(text, b'.'), text.split_once('.'), "{text:?}");
            let ours: Vec<&str> = split_ascii(text, b'.').collect();
            let std: Vec<&str> = text.split('.').collect();
            assert_eq!(ours, std, "{text:?}");
        }
    }
}
