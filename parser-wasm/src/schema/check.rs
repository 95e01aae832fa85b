//! The type check of one cell: is the value of the column's type and within its constraints,
//! and what is its canonical form. Messages say what is expected and never repeat the value.

use crate::checks::number::{self, NumberError, NumberFormat};
use crate::checks::{email, url, uuid};
use crate::datetime::{TemporalFormat, TemporalKind};
use std::cmp::Ordering;
use std::collections::HashMap;

/// A compiled column type with its constraints.
#[derive(Clone, Debug)]
pub(crate) enum Check {
    Text { min_length: Option<usize>, max_length: Option<usize> },
    Integer { min: Option<i64>, max: Option<i64>, format: NumberFormat },
    Number { min: Option<DecimalBound>, max: Option<DecimalBound>, format: NumberFormat },
    Boolean { words: Vec<(String, bool)> },
    Temporal { kind: TemporalKind, formats: Vec<TemporalFormat>, canonical: Box<TemporalFormat> },
    Email,
    Url { schemes: Vec<String> },
    Uuid,
    Enum(Box<Enumeration>),
    Regex { regex: regex_lite::Regex, message: Option<String> },
}

/// A bound of a `number` column: its value, and its canonical decimal digits for exact
/// comparison with canonical values.
#[derive(Clone, Debug)]
pub(crate) struct DecimalBound {
    pub(crate) value: f64,
    pub(crate) digits: String,
}

impl DecimalBound {
    pub(crate) fn new(value: f64) -> Self {
        let digits = if value == 0.0 { "0".to_owned() } else { value.to_string() };
        DecimalBound { value, digits }
    }
}

/// The allowed values of an `enum` column.
#[derive(Clone, Debug)]
pub(crate) struct Enumeration {
    /// Value and display label, in schema order.
    pub(crate) values: Vec<(String, String)>,
    pub(crate) case_sensitive: bool,
    /// Every value and label (lowercased unless case-sensitive) → index into `values`.
    pub(crate) lookup: HashMap<String, usize>,
    /// Few values, all ASCII: compared in place, without building a key.
    pub(crate) scan: bool,
}

/// What a check learned besides the canonical text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// The value of an integer column.
    Integer(i64),
    /// Anything else.
    Other,
}

/// Why a value failed its column's check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Failure {
    TooShort,
    TooLong,
    NotAnInteger,
    /// A number with a fraction in a column of whole numbers.
    HasDecimals,
    NotANumber,
    /// A number written with the other decimal separator than the column's.
    WrongDecimalSeparator,
    /// A well-formed number too large or too small for the type to hold.
    OutOfRange,
    BelowMinimum,
    AboveMaximum,
    NotABoolean,
    InvalidDate,
    InvalidDatetime,
    InvalidTime,
    /// Written in an accepted shape, but no such day (February 30, month 13).
    DateDoesNotExist,
    DatetimeDoesNotExist,
    /// Written in an accepted shape, but no such time of day (25:00).
    TimeDoesNotExist,
    InvalidEmail,
    /// No '@' at all.
    EmailMissingAt,
    /// A local part and '@', but what follows is not a mail domain.
    EmailInvalidDomain,
    InvalidUrl,
    /// Not starting with one of the allowed schemes.
    UrlScheme,
    InvalidUuid,
    NotAllowed,
    /// Not allowed as written, but the allowed value at this index once case and spacing are
    /// ignored.
    NearlyAllowed(usize),
    PatternMismatch,
    /// Valid, but not written in the type's canonical form (only batches are held to it).
    NotCanonical,
}

impl Check {
    /// Checks `value` (already trimmed when the column trims) and appends its canonical form to
    /// `out`; `scratch` is a buffer the check may use.
    pub(crate) fn run(&self, value: &str, out: &mut String, scratch: &mut String) -> Result<Parsed, Failure> {
        // Why a value failed is worked out only when it did.
        let other =
            |ok: bool, failure: &dyn Fn() -> Failure| if ok { Ok(Parsed::Other) } else { Err(failure()) };
        match self {
            Check::Text { min_length, max_length } => text(value, *min_length, *max_length, out),
            Check::Integer { min, max, format } => integer(value, *min, *max, format, out),
            Check::Number { min, max, format } => decimal(value, min.as_ref(), max.as_ref(), format, out),
            Check::Boolean { words } => boolean(value, words, out),
            Check::Temporal { kind, formats, .. } => temporal(value, *kind, formats, out),
            Check::Email => other(email::parse_email(value, out), &|| email_failure(value)),
            Check::Url { schemes } => {
                other(url::parse_url(value, schemes, out), &|| url_failure(value, schemes))
            }
            Check::Uuid => other(uuid::parse_uuid(value, out), &|| Failure::InvalidUuid),
            Check::Enum(e) => enumeration(value, e, out, scratch),
            Check::Regex { regex, .. } => {
                let ok = regex.is_match(value);
                if ok {
                    out.push_str(value);
                }
                other(ok, &|| Failure::PatternMismatch)
            }
        }
    }

    /// The fast path of a `number` column: a decimal already written canonically with '.' and
    /// without exponent (as short as every such value a float holds), compared with the bounds
    /// exactly and appended as it is; `None` leaves the value to [`Check::run`], which decides
    /// the same for every value this accepts.
    pub(crate) fn plain_decimal(&self, value: &str, out: &mut String) -> Option<Result<Parsed, Failure>> {
        let Check::Number { min, max, format } = self else { return None };
        if format.decimal_separator != '.' || value.len() > F64_DIGITS {
            return None;
        }
        let sign = number::canonical_decimal_sign(value.as_bytes())?;
        let cmp = |bound: &DecimalBound| match bound.digits.as_str() {
            "0" => sign,
            digits => compare_decimals(value, digits)
                .unwrap_or_else(|| number::decimal_to_f64(value).total_cmp(&bound.value)),
        };
        let below = min.as_ref().is_some_and(|m| cmp(m) == Ordering::Less);
        let above = max.as_ref().is_some_and(|m| cmp(m) == Ordering::Greater);
        Some(bounds(below, above).map(|()| {
            out.push_str(value);
            Parsed::Other
        }))
    }

    /// Checks a value that should already be in canonical form (as a batch carries it): the
    /// type's canonical spelling is the only one accepted (ISO dates, `.` as decimal point,
    /// `true`/`false`, an enum's value), the constraints apply, and the canonical form must be
    /// the value itself.
    pub(crate) fn run_canonical(
        &self,
        value: &str,
        out: &mut String,
        scratch: &mut String,
    ) -> Result<Parsed, Failure> {
        let start = out.len();
        let canonical_number = NumberFormat::default();
        let parsed = match self {
            Check::Integer { min, max, .. } => integer(value, *min, *max, &canonical_number, out),
            Check::Number { min, max, .. } => {
                decimal(value, min.as_ref(), max.as_ref(), &canonical_number, out)
            }
            Check::Boolean { .. } => match value {
                "true" | "false" => {
                    out.push_str(value);
                    Ok(Parsed::Other)
                }
                _ => Err(Failure::NotABoolean),
            },
            Check::Temporal { kind, canonical, .. } => {
                temporal(value, *kind, std::slice::from_ref(canonical), out)
            }
            _ => self.run(value, out, scratch),
        }?;
        if out.get(start..) != Some(value) {
            out.truncate(start);
            return Err(Failure::NotCanonical);
        }
        Ok(parsed)
    }

    /// Whether the column holds dates with times (a spreadsheet's date cell is midnight there).
    pub(crate) fn is_datetime(&self) -> bool {
        matches!(self, Check::Temporal { kind: TemporalKind::DateTime, .. })
    }

    /// What the column expects, for a failure's message.
    pub(crate) fn message(&self, failure: Failure) -> String {
        super::messages::message(self, failure)
    }

    /// The facts the failure's message is built from, for messages in other languages.
    pub(crate) fn params(&self, failure: Failure) -> crate::validate::Params {
        super::messages::params(self, failure)
    }
}

impl Failure {
    /// The stable error code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Failure::TooShort => "too_short",
            Failure::TooLong => "too_long",
            Failure::NotAnInteger => "not_an_integer",
            Failure::HasDecimals => "has_decimals",
            Failure::NotANumber => "not_a_number",
            Failure::WrongDecimalSeparator => "wrong_decimal_separator",
            Failure::OutOfRange => "out_of_range",
            Failure::BelowMinimum => "below_minimum",
            Failure::AboveMaximum => "above_maximum",
            Failure::NotABoolean => "not_a_boolean",
            Failure::InvalidDate => "invalid_date",
            Failure::InvalidDatetime => "invalid_datetime",
            Failure::InvalidTime => "invalid_time",
            Failure::DateDoesNotExist => "date_does_not_exist",
            Failure::DatetimeDoesNotExist => "datetime_does_not_exist",
            Failure::TimeDoesNotExist => "time_does_not_exist",
            Failure::InvalidEmail => "invalid_email",
            Failure::EmailMissingAt => "email_missing_at",
            Failure::EmailInvalidDomain => "email_invalid_domain",
            Failure::InvalidUrl => "invalid_url",
            Failure::UrlScheme => "url_scheme",
            Failure::InvalidUuid => "invalid_uuid",
            Failure::NotAllowed | Failure::NearlyAllowed(_) => "not_allowed",
            Failure::PatternMismatch => "pattern_mismatch",
            Failure::NotCanonical => "not_canonical",
        }
    }
}

/// Length in characters, counting only as far as needed.
fn char_len(value: &str) -> usize {
    if value.is_ascii() { value.len() } else { value.chars().count() }
}

fn text(value: &str, min: Option<usize>, max: Option<usize>, out: &mut String) -> Result<Parsed, Failure> {
    // Bytes bound characters from above, so most values pass without counting.
    if max.is_some_and(|max| value.len() > max && char_len(value) > max) {
        return Err(Failure::TooLong);
    }
    if min.is_some_and(|min| char_len(value) < min) {
        return Err(Failure::TooShort);
    }
    out.push_str(value);
    Ok(Parsed::Other)
}

/// `BelowMinimum` or `AboveMaximum` when `ordering` (value against min, value against max)
/// says the value is out of bounds.
fn bounds(below: bool, above: bool) -> Result<(), Failure> {
    match (below, above) {
        (true, _) => Err(Failure::BelowMinimum),
        (_, true) => Err(Failure::AboveMaximum),
        _ => Ok(()),
    }
}

fn integer(
    value: &str,
    min: Option<i64>,
    max: Option<i64>,
    f: &NumberFormat,
    out: &mut String,
) -> Result<Parsed, Failure> {
    let len = out.len();
    let n = number::parse_integer(value, f, out).map_err(|e| match e {
        NumberError::OutOfRange => Failure::OutOfRange,
        NumberError::Malformed => integer_failure(value, f),
    })?;
    bounds(min.is_some_and(|m| n < m), max.is_some_and(|m| n > m)).inspect_err(|_| out.truncate(len))?;
    Ok(Parsed::Integer(n))
}

fn decimal(
    value: &str,
    min: Option<&DecimalBound>,
    max: Option<&DecimalBound>,
    f: &NumberFormat,
    out: &mut String,
) -> Result<Parsed, Failure> {
    let len = out.len();
    number::parse_decimal(value, f, out).map_err(|e| match e {
        NumberError::OutOfRange => Failure::OutOfRange,
        NumberError::Malformed => decimal_failure(value, f),
    })?;
    let canonical = out.get(len..).unwrap_or_default();
    if !fits_f64(canonical) {
        out.truncate(len);
        return Err(Failure::OutOfRange);
    }
    if min.is_none() && max.is_none() {
        return Ok(Parsed::Other);
    }
    let cmp = |bound: &DecimalBound| {
        compare_decimals(canonical, &bound.digits)
            .unwrap_or_else(|| number::decimal_to_f64(canonical).total_cmp(&bound.value))
    };
    let below = min.is_some_and(|m| cmp(m) == Ordering::Less);
    let above = max.is_some_and(|m| cmp(m) == Ordering::Greater);
    bounds(below, above).inspect_err(|_| out.truncate(len))?;
    Ok(Parsed::Other)
}

/// Canonical decimals this long or shorter, without an exponent, are within what a 64-bit
/// float holds.
const F64_DIGITS: usize = 300;

/// Whether a canonical decimal is within what a 64-bit float holds; short values without an
/// exponent always are, so most values are not converted.
fn fits_f64(canonical: &str) -> bool {
    let long = canonical.len() > F64_DIGITS || canonical.as_bytes().contains(&b'e');
    !long || number::decimal_to_f64(canonical).is_finite()
}

/// Why a value that is not an integer in format `f` fails: a number with a fraction, or no
/// number at all.
fn integer_failure(value: &str, f: &NumberFormat) -> Failure {
    let mut sink = String::new();
    match number::parse_decimal(value, f, &mut sink) {
        Ok(()) => Failure::HasDecimals,
        Err(_) => Failure::NotAnInteger,
    }
}

/// Why a value that is not a decimal in format `f` fails: `WrongDecimalSeparator` when it
/// reads as a number with '.' and ',' swapped, otherwise `NotANumber`.
fn decimal_failure(value: &str, f: &NumberFormat) -> Failure {
    let swapped = match f.decimal_separator {
        '.' => ',',
        ',' => '.',
        _ => return Failure::NotANumber,
    };
    let other = NumberFormat { decimal_separator: swapped, thousands_separator: None };
    let has_separator = value.contains(swapped);
    let mut sink = String::new();
    match has_separator && number::parse_decimal(value, &other, &mut sink).is_ok() {
        true => Failure::WrongDecimalSeparator,
        false => Failure::NotANumber,
    }
}

/// Why an e-mail address failed: no '@', a bad domain after the last '@', or something else.
fn email_failure(value: &str) -> Failure {
    match value.rsplit_once('@') {
        None => Failure::EmailMissingAt,
        Some((local, domain)) if !local.is_empty() && !email::is_domain(domain) => {
            Failure::EmailInvalidDomain
        }
        Some(_) => Failure::InvalidEmail,
    }
}

/// Why a web address failed: a scheme that is not allowed (or none), or something else.
fn url_failure(value: &str, schemes: &[String]) -> Failure {
    let scheme = value.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some(s) if schemes.iter().any(|allowed| allowed.eq_ignore_ascii_case(s)) => Failure::InvalidUrl,
        _ => Failure::UrlScheme,
    }
}

/// Compares two canonical decimals written without an exponent, exactly; `None` when either
/// has one.
fn compare_decimals<'a>(a: &'a str, b: &'a str) -> Option<Ordering> {
    // Zero, the most common bound, needs only the sign (canonical values have no "-0").
    if b == "0" && !a.as_bytes().contains(&b'e') {
        let zero = a.bytes().all(|d| d == b'0' || d == b'.');
        return Some(if a.starts_with('-') {
            Ordering::Less
        } else if zero {
            Ordering::Equal
        } else {
            Ordering::Greater
        });
    }
    if a.as_bytes().contains(&b'e') || b.as_bytes().contains(&b'e') {
        return None;
    }
    let (a_neg, a) = a.strip_prefix('-').map_or((false, a), |rest| (true, rest));
    let (b_neg, b) = b.strip_prefix('-').map_or((false, b), |rest| (true, rest));
    let magnitude = || {
        let point = |x: &'a str| match x.bytes().position(|c| c == b'.') {
            Some(at) => (x.get(..at).unwrap_or(x), x.get(at + 1..).unwrap_or_default()),
            None => (x, ""),
        };
        let ((ai, af), (bi, bf)) = (point(a), point(b));
        let integer = ai.len().cmp(&bi.len()).then_with(|| ai.cmp(bi));
        integer.then_with(|| compare_fractions(af.as_bytes(), bf.as_bytes()))
    };
    Some(match (a_neg, b_neg) {
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
        (false, false) => magnitude(),
        (true, true) => magnitude().reverse(),
    })
}

/// Compares fraction digits as numbers: the shorter one as if padded with zeros.
fn compare_fractions(a: &[u8], b: &[u8]) -> Ordering {
    let common = a.len().min(b.len());
    let (a_head, a_tail) = a.split_at(common);
    let (b_head, b_tail) = b.split_at(common);
    let nonzero = |tail: &[u8]| tail.iter().any(|&d| d != b'0');
    a_head.cmp(b_head).then_with(|| match (nonzero(a_tail), nonzero(b_tail)) {
        (true, _) => Ordering::Greater,
        (_, true) => Ordering::Less,
        _ => Ordering::Equal,
    })
}

fn boolean(value: &str, words: &[(String, bool)], out: &mut String) -> Result<Parsed, Failure> {
    let ascii = value.is_ascii();
    let lower = if ascii { None } else { Some(value.to_lowercase()) };
    let same = |word: &str| match &lower {
        None => word.eq_ignore_ascii_case(value),
        Some(lower) => word == lower,
    };
    let (_, truth) = words.iter().find(|(word, _)| same(word)).ok_or(Failure::NotABoolean)?;
    out.push_str(if *truth { "true" } else { "false" });
    Ok(Parsed::Other)
}

fn temporal(
    value: &str,
    kind: TemporalKind,
    formats: &[TemporalFormat],
    out: &mut String,
) -> Result<Parsed, Failure> {
    if formats.iter().any(|f| f.parse_into(value, out)) {
        return Ok(Parsed::Other);
    }
    let shaped = formats.iter().any(|f| f.has_shape(value));
    Err(match (kind, shaped) {
        (TemporalKind::Date, false) => Failure::InvalidDate,
        (TemporalKind::DateTime, false) => Failure::InvalidDatetime,
        (TemporalKind::Time, false) => Failure::InvalidTime,
        (TemporalKind::Date, true) => Failure::DateDoesNotExist,
        (TemporalKind::DateTime, true) => Failure::DatetimeDoesNotExist,
        (TemporalKind::Time, true) => Failure::TimeDoesNotExist,
    })
}

fn enumeration(
    value: &str,
    e: &Enumeration,
    out: &mut String,
    scratch: &mut String,
) -> Result<Parsed, Failure> {
    let index = if e.scan {
        let same = |candidate: &str| {
            if e.case_sensitive { candidate == value } else { candidate.eq_ignore_ascii_case(value) }
        };
        e.values.iter().position(|(v, label)| same(v) || same(label))
    } else if e.case_sensitive {
        e.lookup.get(value).copied()
    } else {
        scratch.clear();
        scratch.extend(value.chars().flat_map(char::to_lowercase));
        e.lookup.get(scratch.as_str()).copied()
    };
    let Some((canonical, _)) = index.and_then(|i| e.values.get(i)) else {
        return Err(nearly(value, e).map_or(Failure::NotAllowed, Failure::NearlyAllowed));
    };
    out.push_str(canonical);
    Ok(Parsed::Other)
}

/// The allowed value `value` matches once case, spaces, '-' and '_' are ignored, if any.
fn nearly(value: &str, e: &Enumeration) -> Option<usize> {
    let key = |text: &str| -> String {
        let kept = text.chars().filter(|c| !c.is_whitespace() && *c != '-' && *c != '_');
        kept.flat_map(char::to_lowercase).collect()
    };
    let wanted = key(value);
    let same = |(v, label): &(String, String)| key(v) == wanted || key(label) == wanted;
    (!wanted.is_empty()).then(|| e.values.iter().position(same)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_compare_exactly() {
        let cases = [
            ("0", "0", Ordering::Equal),
            ("0.00", "0", Ordering::Equal),
            ("0.01", "0", Ordering::Greater),
            ("-0.01", "0", Ordering::Less),
            ("0.50", "0.5", Ordering::Equal),
            ("10", "9.99", Ordering::Greater),
            ("-1", "0", Ordering::Less),
            ("-10", "-9", Ordering::Less),
            ("0.1", "0.09", Ordering::Greater),
            ("123456789012345678901", "123456789012345678900.9", Ordering::Greater),
        ];
        for (a, b, expected) in cases {
            assert_eq!(compare_decimals(a, b), Some(expected), "{a} vs {b}");
            assert_eq!(compare_decimals(b, a), Some(expected.reverse()), "{b} vs {a}");
        }
        assert_eq!(compare_decimals("1e3", "5"), None);
    }

    #[test]
    fn bounds_are_written_without_exponent() {
        assert_eq!(DecimalBound::new(1e21).digits, "1000000000000000000000");
        assert_eq!(DecimalBound::new(-0.0).digits, "0");
        assert_eq!(DecimalBound::new(0.1).digits, "0.1");
        assert_eq!(compare_decimals(&DecimalBound::new(1e-7).digits, "0.0000001"), Some(Ordering::Equal));
    }
}
