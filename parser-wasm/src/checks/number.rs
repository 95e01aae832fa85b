//! Integer and decimal numbers as spreadsheets and people write them, with configurable
//! decimal and thousands separators.
//!
//! A number is an optional sign ('+' or '-'), integer digits, optionally a decimal separator
//! and fraction digits, and (decimals only) an exponent. Either the integer or the fraction
//! digits may be missing (".5", "5."), not both. When a thousands separator is configured and
//! used, it must sit between digits, the first group holds 1–3 digits and every later group
//! exactly 3: "1,234,567" is a number, "12,34", "1234,567", "1,,234", ",123" and "123," are
//! not, because a misplaced separator usually means the column uses another locale.
//!
//! Canonical forms use '.' as decimal point and no grouping, so that they read the same
//! whatever the column's format was.

/// How numbers are written in a column.
///
/// Any `char` works as a separator, including multi-byte ones such as U+00A0 or U+202F. The
/// caller refuses formats whose separators are equal, or are digits, signs or 'e': they make
/// numbers ambiguous. Parsing still never panics with such a format; a digit, for instance, is
/// then simply never recognised as a separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NumberFormat {
    /// Separator between the integer part and the fraction; '.' by default.
    pub(crate) decimal_separator: char,
    /// Separator between groups of three integer digits; none by default.
    pub(crate) thousands_separator: Option<char>,
}

impl Default for NumberFormat {
    fn default() -> Self {
        Self { decimal_separator: '.', thousands_separator: None }
    }
}

/// Why a cell value is not a number of the wanted kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumberError {
    /// Not written as a number of this kind in the column's format.
    Malformed,
    /// A well-formed integer outside the range of `i64`.
    OutOfRange,
}

/// Checks an integer and appends its canonical form, the plain `i64` ("-1234", "0").
///
/// A fraction of only zeros is accepted ("12.00" and "12." are 12), since spreadsheets often
/// export whole numbers that way; any other fraction, or an exponent, makes the value
/// malformed. "-0" is 0.
pub(crate) fn parse_integer(text: &str, format: &NumberFormat, out: &mut String) -> Result<i64, NumberError> {
    if let Some(value) = canonical_integer(text.as_bytes()) {
        out.push_str(text);
        return Ok(value);
    }
    let parts = split_plain_integer(text).map_or_else(|| split(text, format), Ok)?;
    let whole = parts.fraction.is_none_or(|f| f.bytes().all(|b| b == b'0'));
    if parts.exponent.is_some() || !whole {
        return Err(NumberError::Malformed);
    }
    let value = integer_value(parts.integer, parts.negative)?;
    if value < 0 {
        out.push('-');
    }
    push_integer_digits(parts.integer, out);
    Ok(value)
}

/// Checks a decimal number and appends its canonical form.
///
/// The canonical form has '-' only for a non-zero negative value, no '+', no grouping, '.' as
/// decimal point, the integer part without leading zeros but at least one digit ("007.50" →
/// "7.50", ".5" → "0.5"), the fraction digits exactly as written (no rounding), no point when
/// the fraction is empty ("5." → "5"), and the exponent as "e", an optional '-' and digits
/// without leading zeros ("1.5E+03" → "1.5e3"). Decimals have no range limit, so this never
/// returns [`NumberError::OutOfRange`]; [`decimal_to_f64`] saturates to infinity.
pub(crate) fn parse_decimal(text: &str, format: &NumberFormat, out: &mut String) -> Result<(), NumberError> {
    if format.decimal_separator == '.' && is_canonical_decimal(text.as_bytes()) {
        out.push_str(text);
        return Ok(());
    }
    let parts = split(text, format)?;
    let fraction = parts.fraction.unwrap_or_default();
    let nonzero = parts.integer.bytes().chain(fraction.bytes()).any(|b| matches!(b, b'1'..=b'9'));
    if parts.negative && nonzero {
        out.push('-');
    }
    push_integer_digits(parts.integer, out);
    if !fraction.is_empty() {
        out.push('.');
        out.push_str(fraction);
    }
    if let Some((negative, digits)) = parts.exponent {
        push_exponent(negative, digits, out);
    }
    Ok(())
}

/// The value of an integer already written canonically (an optional '-', then "0" or digits
/// without a leading zero, and not "-0"), the usual case, read in one pass; `None` for anything
/// else, including values too long to be sure they fit, which the general path then decides.
pub(crate) fn canonical_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let leading_zero = digits.first() == Some(&b'0') && (digits.len() > 1 || negative);
    if digits.is_empty() || digits.len() > 18 || leading_zero {
        return None;
    }
    let mut value = 0_i64;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value * 10 + i64::from(digit);
    }
    Some(if negative { -value } else { value })
}

/// Whether a decimal is already in canonical form with '.' as its point (an optional '-',
/// integer digits without a leading zero, an optional point with at least one digit, no
/// exponent, not a negative zero), the usual case, checked in one pass.
fn is_canonical_decimal(text: &[u8]) -> bool {
    let (negative, rest) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let integer = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let (digits, tail) = rest.split_at(integer);
    let fraction = match tail {
        [] => &[][..],
        [b'.', fraction @ ..] if !fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit) => fraction,
        _ => return false,
    };
    let leading_zero = digits.len() > 1 && digits.first() == Some(&b'0');
    let zero = digits.iter().chain(fraction).all(|&b| b == b'0');
    let negative_zero = negative && zero;
    !(digits.is_empty() || leading_zero || negative_zero)
}

/// The sign of a decimal already in canonical form with '.' as its point (see
/// [`is_canonical_decimal`]), found in the same pass that checks the form: `Less` below zero,
/// `Equal` for zero, `Greater` above; `None` for any other value.
pub(crate) fn canonical_decimal_sign(text: &[u8]) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    let (negative, rest) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let (mut digits, mut point, mut fraction, mut nonzero) = (0, false, 0, false);
    for &b in rest {
        match b {
            b'0'..=b'9' if point => fraction += 1,
            b'0'..=b'9' => digits += 1,
            b'.' if !point => point = true,
            _ => return None,
        }
        nonzero |= matches!(b, b'1'..=b'9');
    }
    let leading_zero = digits > 1 && rest.first() == Some(&b'0');
    if digits == 0 || leading_zero || (point && fraction == 0) || (negative && !nonzero) {
        return None;
    }
    Some(match (negative, nonzero) {
        (true, _) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => Ordering::Equal,
    })
}

/// The value of a canonical decimal produced by [`parse_decimal`], for range checks.
///
/// Rounds to the nearest `f64`; magnitudes beyond its range become infinite, tiny ones zero.
/// Returns NaN for text that is not a canonical decimal, so that any comparison fails.
pub(crate) fn decimal_to_f64(canonical: &str) -> f64 {
    canonical.parse().unwrap_or(f64::NAN)
}

/// A syntactically valid number, as slices of the checked text.
#[derive(Debug)]
struct Parts<'a> {
    /// Whether the number starts with '-'.
    negative: bool,
    /// Integer digits with any thousands separators still in place; empty for ".5".
    integer: &'a str,
    /// Digits after the decimal separator, `None` when there is no separator.
    fraction: Option<&'a str>,
    /// Whether the exponent is negative, and its digits.
    exponent: Option<(bool, &'a str)>,
}

/// Splits `text` into the parts of a number, checking its syntax.
fn split<'a>(text: &'a str, format: &NumberFormat) -> Result<Parts<'a>, NumberError> {
    let (negative, rest) = split_sign(text);
    let integer_len = grouped_digits_len(rest.as_bytes(), format.thousands_separator)?;
    let (integer, rest) = rest.split_at_checked(integer_len).ok_or(NumberError::Malformed)?;
    let (fraction, rest) = match rest.strip_prefix(format.decimal_separator) {
        Some(after) => {
            let (digits, rest) = split_digits(after);
            (Some(digits), rest)
        }
        None => (None, rest),
    };
    if integer.is_empty() && fraction.is_none_or(str::is_empty) {
        return Err(NumberError::Malformed);
    }
    let exponent = split_exponent(rest)?;
    Ok(Parts { negative, integer, fraction, exponent })
}

/// Splits a number that is only an optional sign and digits, the usual case, faster than
/// [`split`] can.
fn split_plain_integer(text: &str) -> Option<Parts<'_>> {
    let (negative, integer) = split_sign(text);
    let plain = !integer.is_empty() && integer.bytes().all(|b| b.is_ascii_digit());
    plain.then_some(Parts { negative, integer, fraction: None, exponent: None })
}

/// Splits an optional leading sign off `text`, telling whether it was '-'.
fn split_sign(text: &str) -> (bool, &str) {
    match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    }
}

/// Splits the leading ASCII digits off `text`.
fn split_digits(text: &str) -> (&str, &str) {
    let len = text.bytes().take_while(u8::is_ascii_digit).count();
    text.split_at_checked(len).unwrap_or((text, ""))
}

/// Parses what follows the mantissa: nothing, or 'e'/'E', an optional sign and digits.
fn split_exponent(rest: &str) -> Result<Option<(bool, &str)>, NumberError> {
    if rest.is_empty() {
        return Ok(None);
    }
    let (negative, rest) = split_sign(rest.strip_prefix(['e', 'E']).unwrap_or_default());
    let (digits, rest) = split_digits(rest);
    if digits.is_empty() || !rest.is_empty() {
        return Err(NumberError::Malformed);
    }
    Ok(Some((negative, digits)))
}

/// Length in bytes of the integer digits at the start of `bytes`, thousands separators
/// included, checking that the separators group the digits by three.
fn grouped_digits_len(bytes: &[u8], thousands: Option<char>) -> Result<usize, NumberError> {
    let mut encoded = [0; 4];
    let separator = thousands.map(|c| c.encode_utf8(&mut encoded).as_bytes());
    let (mut len, mut group, mut grouped) = (0, 0, false);
    loop {
        match (bytes.get(len), separator) {
            (Some(b), _) if b.is_ascii_digit() => {
                len += 1;
                group += 1;
            }
            (Some(_), Some(sep)) if bytes.get(len..).is_some_and(|r| r.starts_with(sep)) => {
                let group_ok = if grouped { group == 3 } else { (1..=3).contains(&group) };
                if !group_ok {
                    return Err(NumberError::Malformed);
                }
                (len, group, grouped) = (len + sep.len(), 0, true);
            }
            _ if grouped && group != 3 => return Err(NumberError::Malformed),
            _ => return Ok(len),
        }
    }
}

/// The value of validated integer digits (separators are skipped), or `OutOfRange`.
fn integer_value(integer: &str, negative: bool) -> Result<i64, NumberError> {
    integer
        .bytes()
        .filter(u8::is_ascii_digit)
        .try_fold(0_i64, |value, b| {
            let digit = i64::from(b - b'0');
            let shifted = value.checked_mul(10)?;
            if negative { shifted.checked_sub(digit) } else { shifted.checked_add(digit) }
        })
        .ok_or(NumberError::OutOfRange)
}

/// Appends validated integer digits without separators and leading zeros, "0" if none remain.
fn push_integer_digits(integer: &str, out: &mut String) {
    let plain = integer.bytes().all(|b| b.is_ascii_digit());
    let trimmed = integer.trim_start_matches('0');
    if plain && !trimmed.is_empty() {
        out.push_str(trimmed);
        return;
    }
    let mut digits = integer.bytes().filter(u8::is_ascii_digit).skip_while(|&b| b == b'0').peekable();
    if digits.peek().is_none() {
        out.push('0');
    }
    out.extend(digits.map(char::from));
}

/// Appends "e", '-' for a negative non-zero exponent, and the digits without leading zeros.
fn push_exponent(negative: bool, digits: &str, out: &mut String) {
    let trimmed = digits.trim_start_matches('0');
    out.push('e');
    if trimmed.is_empty() {
        out.push('0');
        return;
    }
    if negative {
        out.push('-');
    }
    out.push_str(trimmed);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn canonical_fast_paths_agree_with_the_general_path(text in "[-+]?[0-9]{0,20}([.,][0-9]{0,3})?(e[0-9])?") {
            let format = NumberFormat::default();
            if let Some(value) = canonical_integer(text.as_bytes()) {
                let parts = split(&text, &format).unwrap();
                prop_assert_eq!(integer_value(parts.integer, parts.negative), Ok(value));
                let mut general = String::new();
                if value < 0 {
                    general.push('-');
                }
                push_integer_digits(parts.integer, &mut general);
                prop_assert_eq!(general, text.clone());
            }
            if is_canonical_decimal(text.as_bytes()) {
                let parts = split(&text, &format).unwrap();
                let mut general = String::new();
                let fraction = parts.fraction.unwrap_or_default();
                if parts.negative && (parts.integer.bytes().chain(fraction.bytes()).any(|b| b != b'0')) {
                    general.push('-');
                }
                push_integer_digits(parts.integer, &mut general);
                if !fraction.is_empty() {
                    general.push('.');
                    general.push_str(fraction);
                }
                prop_assert_eq!(general, text);
            }
        }
    }

    const PLAIN: NumberFormat = format('.', None);
    const US: NumberFormat = format('.', Some(','));
    const DE: NumberFormat = format(',', Some('.'));
    const FR: NumberFormat = format(',', Some('\u{202f}'));
    const NBSP: NumberFormat = format(',', Some('\u{a0}'));
    const SPACE: NumberFormat = format('.', Some(' '));
    const CH: NumberFormat = format('.', Some('\''));
    const SNAKE: NumberFormat = format('.', Some('_'));
    const FORMATS: [NumberFormat; 8] = [PLAIN, US, DE, FR, NBSP, SPACE, CH, SNAKE];

    const fn format(decimal_separator: char, thousands_separator: Option<char>) -> NumberFormat {
        NumberFormat { decimal_separator, thousands_separator }
    }

    /// Runs a parse on a buffer that already holds text, checking that a failure leaves it
    /// untouched, and returns what the parse appended.
    fn appended<T>(
        parse: impl Fn(&str, &NumberFormat, &mut String) -> Result<T, NumberError>,
        text: &str,
        format: &NumberFormat,
    ) -> Result<(T, String), NumberError> {
        let mut out = String::from("prefix|");
        match parse(text, format, &mut out) {
            Ok(value) => Ok((value, out.split_off("prefix|".len()))),
            Err(error) => {
                assert_eq!(out, "prefix|", "failure changed the output for {text:?}");
                Err(error)
            }
        }
    }

    #[test]
    fn default_format_is_a_dot_without_grouping() {
        assert_eq!(NumberFormat::default(), PLAIN);
    }

    #[test]
    fn valid_integers_have_their_canonical_form() {
        let cases = [
            (PLAIN, "0", 0, "0"),
            (PLAIN, "123456", 123_456, "123456"),
            (PLAIN, "+42", 42, "42"),
            (PLAIN, "-1234", -1234, "-1234"),
            (PLAIN, "-0", 0, "0"),
            (PLAIN, "+0", 0, "0"),
            (PLAIN, "000", 0, "0"),
            (PLAIN, "007", 7, "7"),
            (PLAIN, "-007", -7, "-7"),
            (PLAIN, "12.00", 12, "12"),
            (PLAIN, "12.", 12, "12"),
            (PLAIN, "-0.0", 0, "0"),
            (PLAIN, ".0", 0, "0"),
            (PLAIN, "9223372036854775807", i64::MAX, "9223372036854775807"),
            (PLAIN, "-9223372036854775808", i64::MIN, "-9223372036854775808"),
            (PLAIN, "00009223372036854775807", i64::MAX, "9223372036854775807"),
            (US, "1,234,567", 1_234_567, "1234567"),
            (US, "-1,234.00", -1234, "-1234"),
            (US, "123", 123, "123"),
            (US, "1234", 1234, "1234"),
            (US, "0,001", 1, "1"),
            (US, "9,223,372,036,854,775,807", i64::MAX, "9223372036854775807"),
            (DE, "1.234", 1234, "1234"),
            (DE, "1.234,0", 1234, "1234"),
            (FR, "1\u{202f}234\u{202f}567", 1_234_567, "1234567"),
            (NBSP, "-12\u{a0}345", -12_345, "-12345"),
            (SPACE, "1 000 000", 1_000_000, "1000000"),
            (CH, "1'000", 1000, "1000"),
            (SNAKE, "1_000", 1000, "1000"),
        ];
        for (format, text, value, canonical) in cases {
            let result = appended(parse_integer, text, &format);
            assert_eq!(result, Ok((value, canonical.to_owned())), "{text:?}");
        }
    }

    #[test]
    fn invalid_integers_are_refused_with_the_right_error() {
        use NumberError::{Malformed, OutOfRange};
        let cases = [
            (PLAIN, "", Malformed),
            (PLAIN, "-", Malformed),
            (PLAIN, "+", Malformed),
            (PLAIN, ".", Malformed),
            (PLAIN, "-.", Malformed),
            (PLAIN, "+-1", Malformed),
            (PLAIN, "--1", Malformed),
            (PLAIN, "1-", Malformed),
            (PLAIN, "12.50", Malformed),
            (PLAIN, "12.001", Malformed),
            (PLAIN, "1e3", Malformed),
            (PLAIN, "1.0e0", Malformed),
            (PLAIN, "1.2.0", Malformed),
            (PLAIN, "12..0", Malformed),
            (PLAIN, "NaN", Malformed),
            (PLAIN, "inf", Malformed),
            (PLAIN, "-inf", Malformed),
            (PLAIN, "0x10", Malformed),
            (PLAIN, "1 234", Malformed),
            (PLAIN, " 1", Malformed),
            (PLAIN, "1,234", Malformed),
            (PLAIN, "１２", Malformed),
            (PLAIN, "١٢", Malformed),
            (PLAIN, "\u{2212}5", Malformed),
            (PLAIN, "9223372036854775808", OutOfRange),
            (PLAIN, "-9223372036854775809", OutOfRange),
            (PLAIN, "99999999999999999999999", OutOfRange),
            (PLAIN, "99999999999999999999.00", OutOfRange),
            (PLAIN, "99999999999999999999.5", Malformed),
            (PLAIN, "99999999999999999999x", Malformed),
            (US, "12,34", Malformed),
            (US, "1,,234", Malformed),
            (US, ",123", Malformed),
            (US, "123,", Malformed),
            (US, "1234,567", Malformed),
            (US, "1,2345", Malformed),
            (US, "-,123", Malformed),
            (US, "1,234.5", Malformed),
            (US, "1.234,5", Malformed),
            (DE, "1.5", Malformed),
            (DE, "1,234.5", Malformed),
            (DE, "1,2,3", Malformed),
            (FR, "1 234", Malformed),
            (FR, "1\u{a0}234", Malformed),
            (NBSP, "1\u{202f}234", Malformed),
            (NBSP, "1\u{a0}", Malformed),
            (SPACE, "1  234", Malformed),
            (US, "9,223,372,036,854,775,808", OutOfRange),
        ];
        for (format, text, error) in cases {
            assert_eq!(appended(parse_integer, text, &format), Err(error), "{text:?}");
        }
    }

    #[test]
    fn valid_decimals_have_their_canonical_form() {
        let cases = [
            (PLAIN, "0", "0"),
            (PLAIN, "-0", "0"),
            (PLAIN, "-0.00", "0.00"),
            (PLAIN, "3.14", "3.14"),
            (PLAIN, "+3.14", "3.14"),
            (PLAIN, "-3.14", "-3.14"),
            (PLAIN, "007.50", "7.50"),
            (PLAIN, "000.001", "0.001"),
            (PLAIN, ".5", "0.5"),
            (PLAIN, "-.5", "-0.5"),
            (PLAIN, "5.", "5"),
            (PLAIN, "-5.", "-5"),
            (PLAIN, "12", "12"),
            (PLAIN, "1.5E+03", "1.5e3"),
            (PLAIN, "1.5e-03", "1.5e-3"),
            (PLAIN, "1e0", "1e0"),
            (PLAIN, "1e-0", "1e0"),
            (PLAIN, "1E000", "1e0"),
            (PLAIN, "-0e5", "0e5"),
            (PLAIN, "5.e3", "5e3"),
            (PLAIN, ".5e1", "0.5e1"),
            (PLAIN, "0.1000000000000000000000001", "0.1000000000000000000000001"),
            (PLAIN, "99999999999999999999999", "99999999999999999999999"),
            (US, "1,234,567.891", "1234567.891"),
            (US, "-0,000.5", "-0.5"),
            (DE, "1.234,56", "1234.56"),
            (DE, "-1.234,56e2", "-1234.56e2"),
            (DE, ",5", "0.5"),
            (FR, "1\u{202f}234,5", "1234.5"),
            (NBSP, "12\u{a0}345,678", "12345.678"),
            (SPACE, "1 234.5", "1234.5"),
            (CH, "1'234.50", "1234.50"),
            (SNAKE, "1_000.5", "1000.5"),
        ];
        for (format, text, canonical) in cases {
            let result = appended(parse_decimal, text, &format);
            assert_eq!(result, Ok(((), canonical.to_owned())), "{text:?}");
        }
    }

    #[test]
    fn invalid_decimals_are_malformed() {
        let cases = [
            (PLAIN, ""),
            (PLAIN, "-"),
            (PLAIN, "+"),
            (PLAIN, "."),
            (PLAIN, "-."),
            (PLAIN, "e5"),
            (PLAIN, ".e5"),
            (PLAIN, "1e"),
            (PLAIN, "1e+"),
            (PLAIN, "1e5.5"),
            (PLAIN, "1e5e5"),
            (PLAIN, "1.2.3"),
            (PLAIN, "1..2"),
            (PLAIN, "1,5"),
            (PLAIN, "NaN"),
            (PLAIN, "inf"),
            (PLAIN, "infinity"),
            (PLAIN, "1 000"),
            (PLAIN, "1. 5"),
            (PLAIN, "1.5 "),
            (PLAIN, "1.5é"),
            (PLAIN, "é1.5"),
            (PLAIN, "1é.5"),
            (PLAIN, "1.é5"),
            (PLAIN, "1e€5"),
            (PLAIN, "0x1p3"),
            (US, "1,23.5"),
            (US, "1.234,5"),
            (US, "1.5,000"),
            (US, ",5"),
            (DE, "1,2,3"),
            (DE, "1.234.5"),
            (DE, "1,5e"),
            (FR, "1\u{202f}\u{202f}234,5"),
            (FR, "1\u{202f}234.5"),
            (SPACE, "1 234 .5"),
        ];
        for (format, text) in cases {
            let result = appended(parse_decimal, text, &format);
            assert_eq!(result, Err(NumberError::Malformed), "{text:?}");
        }
    }

    #[test]
    fn canonical_decimals_convert_to_floats() {
        let cases = [
            ("0", 0.0),
            ("7.50", 7.5),
            ("-0.5", -0.5),
            ("1.5e3", 1500.0),
            ("1.5e-3", 0.0015),
            ("1e400", f64::INFINITY),
            ("-1e400", f64::NEG_INFINITY),
            ("1e-400", 0.0),
            ("1e99999999999999999999999999", f64::INFINITY),
        ];
        for (canonical, expected) in cases {
            assert_eq!(decimal_to_f64(canonical).to_bits(), expected.to_bits(), "{canonical}");
        }
        assert!(decimal_to_f64("1,5").is_nan());
    }

    #[test]
    fn hostile_input_never_panics_and_canonical_forms_are_stable() {
        let long_digits = "9".repeat(10_000);
        let long_fraction = format!("0.{long_digits}e{long_digits}");
        let mut inputs = vec![long_digits.clone(), long_fraction, ",".repeat(10_000)];
        let pieces = [
            "", "1", "0", "123", "-", "+", ".", ",", "e", "E", " ", "\u{a0}", "\u{202f}", "'", "_", "é", "€",
            "😀", "\u{301}", "\u{fffd}",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    inputs.push(format!("{a}{b}{c}"));
                    inputs.push(format!("1{a}234{b}5{c}"));
                }
            }
        }
        for text in &inputs {
            for format in &FORMATS {
                check_stable(text, format);
            }
        }
    }

    /// Parses `text` both ways; whatever succeeds must parse again, in the plain format, to
    /// the same canonical form.
    fn check_stable(text: &str, format: &NumberFormat) {
        if let Ok((value, canonical)) = appended(parse_integer, text, format) {
            assert_eq!(appended(parse_integer, &canonical, &PLAIN), Ok((value, canonical)));
        }
        if let Ok(((), canonical)) = appended(parse_decimal, text, format) {
            let again = appended(parse_decimal, &canonical, &PLAIN);
            assert_eq!(again, Ok(((), canonical)), "{text:?}");
        }
    }
}
