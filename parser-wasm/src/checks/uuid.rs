//! UUIDs in the forms people and databases write them.
//!
//! Accepted: 8-4-4-4-12 hex digits in any case, the same 32 digits without hyphens, and either
//! of those inside braces (`{…}`, as Windows writes them) or after "urn:uuid:" (any case).
//! Any version and variant is accepted, the nil UUID included: the column checks the shape,
//! the application decides what the bits mean.

/// Length of the hyphenated form.
const HYPHENATED_LEN: usize = 36;

/// Number of hex digits in a UUID.
const DIGITS: usize = 32;

/// Where each group of hex digits sits in the hyphenated form; hyphens fill the gaps.
const GROUPS: [(usize, usize); 5] = [(0, 8), (9, 13), (14, 18), (19, 23), (24, 36)];

/// URN prefix of RFC 9562.
const URN_PREFIX: &[u8] = b"urn:uuid:";

/// Checks a UUID and appends its canonical form, lowercase and hyphenated.
pub(crate) fn parse_uuid(text: &str, out: &mut String) -> bool {
    let Some(canonical) = canonical_bytes(strip_wrapper(text.as_bytes())) else {
        return false;
    };
    match std::str::from_utf8(&canonical) {
        Ok(canonical) => {
            out.push_str(canonical);
            true
        }
        Err(_) => false,
    }
}

/// The canonical form of a bare UUID, hyphenated or plain, or `None` if it is malformed.
fn canonical_bytes(body: &[u8]) -> Option<[u8; HYPHENATED_LEN]> {
    let hyphenated = match body.len() {
        DIGITS => false,
        HYPHENATED_LEN => true,
        _ => return None,
    };
    let mut canonical = [b'-'; HYPHENATED_LEN];
    for (hyphens_before, &(start, end)) in GROUPS.iter().enumerate() {
        let shift = if hyphenated { 0 } else { hyphens_before };
        let source = body.get(start.saturating_sub(shift)..end.saturating_sub(shift))?;
        let target = canonical.get_mut(start..end)?;
        for (t, &s) in target.iter_mut().zip(source) {
            if !s.is_ascii_hexdigit() {
                return None;
            }
            *t = s.to_ascii_lowercase();
        }
        let hyphen = start.checked_sub(1).and_then(|i| body.get(i));
        if hyphenated && hyphens_before > 0 && hyphen != Some(&b'-') {
            return None;
        }
    }
    Some(canonical)
}

/// Removes surrounding braces or a "urn:uuid:" prefix, if present.
fn strip_wrapper(text: &[u8]) -> &[u8] {
    if let Some(inner) = text.strip_prefix(b"{").and_then(|t| t.strip_suffix(b"}")) {
        return inner;
    }
    match text.split_at_checked(URN_PREFIX.len()) {
        Some((prefix, rest)) if prefix.eq_ignore_ascii_case(URN_PREFIX) => rest,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs [`parse_uuid`] on a buffer that already holds text and returns what it appended,
    /// checking that a failure appends nothing.
    fn appended(text: &str) -> Option<String> {
        let mut out = String::from("prefix|");
        let valid = parse_uuid(text, &mut out);
        let added = out.split_off("prefix|".len());
        assert_eq!(out, "prefix|");
        assert_eq!(valid, !added.is_empty(), "{text:?}");
        valid.then_some(added)
    }

    const CANONICAL: &str = "123e4567-e89b-12d3-a456-426614174000";

    #[test]
    fn valid_uuids_have_their_canonical_form() {
        let nil = "00000000-0000-0000-0000-000000000000";
        let max = "ffffffff-ffff-ffff-ffff-ffffffffffff";
        let cases = [
            ("123e4567-e89b-12d3-a456-426614174000", CANONICAL),
            ("123E4567-E89B-12D3-A456-426614174000", CANONICAL),
            ("123e4567e89b12d3a456426614174000", CANONICAL),
            ("123E4567E89B12D3A456426614174000", CANONICAL),
            ("{123e4567-e89b-12d3-a456-426614174000}", CANONICAL),
            ("{123E4567E89B12D3A456426614174000}", CANONICAL),
            ("urn:uuid:123e4567-e89b-12d3-a456-426614174000", CANONICAL),
            ("URN:UUID:123E4567-E89B-12D3-A456-426614174000", CANONICAL),
            ("Urn:Uuid:123e4567e89b12d3a456426614174000", CANONICAL),
            (nil, nil),
            ("00000000000000000000000000000000", nil),
            ("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF", max),
            ("01890a5d-ac96-774b-bcce-b302099a8057", "01890a5d-ac96-774b-bcce-b302099a8057"),
        ];
        for (text, canonical) in cases {
            assert_eq!(appended(text).as_deref(), Some(canonical), "{text:?}");
        }
    }

    #[test]
    fn invalid_uuids_are_refused() {
        let cases = [
            "",
            "-",
            "{}",
            "urn:uuid:",
            "123e4567-e89b-12d3-a456-42661417400",
            "123e4567-e89b-12d3-a456-4266141740000",
            "123e4567e89b12d3a45642661417400",
            "123e4567e89b12d3a4564266141740000",
            "123e4567-e89b-12d3-a456-42661417400g",
            "123e4567-e89b-12d3-a456_426614174000",
            "123e456-7e89b-12d3-a456-426614174000",
            "123e4567-e89b-12d3-a4564-26614174000",
            "123e4567--e89b-12d3-a456-42661417400",
            "123e4567-e89b12d3-a456-4266141740000",
            "123e4567-e89b-12d3-a456-426614174000-",
            "-123e4567e89b12d3a456426614174000---",
            " 123e4567-e89b-12d3-a456-426614174000",
            "{123e4567-e89b-12d3-a456-426614174000",
            "123e4567-e89b-12d3-a456-426614174000}",
            "(123e4567-e89b-12d3-a456-426614174000)",
            "{{123e4567-e89b-12d3-a456-426614174000}}",
            "urn:uuid:{123e4567-e89b-12d3-a456-426614174000}",
            "{urn:uuid:123e4567-e89b-12d3-a456-426614174000}",
            "uuid:123e4567-e89b-12d3-a456-426614174000",
            "urn:uuid 123e4567-e89b-12d3-a456-426614174000",
            "0x123e4567e89b12d3a456426614174000",
            "123e4567-e89b-12d3-a456-42661417400é",
            "é23e4567-e89b-12d3-a456-426614174000",
            "123e4567-e89b-12d3-a456-4266141740０",
            "123e4567\u{2010}e89b-12d3-a456-426614174000",
            "urn:uuid:123e4567-e89b-12d3-a456-42661417400😀",
            "urné:uuid:123e4567-e89b-12d3-a456-426614174000",
        ];
        for text in cases {
            assert_eq!(appended(text), None, "{text:?}");
        }
    }

    #[test]
    fn hostile_input_never_panics_and_canonical_forms_are_stable() {
        let mut inputs = vec!["-".repeat(10_000), "a".repeat(10_000), "{".repeat(36)];
        let hex = "123e4567e89b12d3a456426614174000";
        for (i, _) in hex.char_indices() {
            for insert in ["-", "é", "😀", "{", "}", "\u{301}", "G"] {
                let (head, tail) = hex.split_at(i);
                inputs.push(format!("{head}{insert}{tail}"));
                inputs.push(format!("{head}{insert}{}", &tail[1..]));
                inputs.push(format!("urn:uuid:{head}{insert}{}", &tail[1..]));
            }
        }
        for i in 0..=URN_PREFIX.len() {
            inputs.push(format!("{}é{CANONICAL}", "urn:uuid:".get(..i).unwrap()));
        }
        for text in &inputs {
            if let Some(canonical) = appended(text) {
                assert_eq!(appended(&canonical).as_ref(), Some(&canonical), "{text:?}");
            }
        }
    }
}
