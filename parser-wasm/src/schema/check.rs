//! The type check of one cell: is the value of the column's type and within its constraints,
//! and what is its canonical form. Messages say what is expected and never repeat the value.

use crate::checks::number::{self, NumberError, NumberFormat};
use crate::checks::{email, url, uuid};
use crate::datetime::{TemporalFormat, TemporalKind};
use std::collections::HashMap;

/// A compiled column type with its constraints.
#[derive(Clone, Debug)]
pub(crate) enum Check {
    Text { min_length: Option<usize>, max_length: Option<usize> },
    Integer { min: Option<i64>, max: Option<i64>, format: NumberFormat },
    Number { min: Option<f64>, max: Option<f64>, format: NumberFormat },
    Boolean { words: Vec<(String, bool)> },
    Temporal { kind: TemporalKind, formats: Vec<TemporalFormat> },
    Email,
    Url { schemes: Vec<String> },
    Uuid,
    Enum { values: Vec<(String, String)>, case_sensitive: bool, lookup: HashMap<String, usize> },
    Regex { regex: regex_lite::Regex, message: Option<String> },
}

/// Why a value failed its column's check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum Failure {
    TooShort,
    TooLong,
    NotAnInteger,
    NotANumber,
    BelowMinimum,
    AboveMaximum,
    NotABoolean,
    InvalidDate,
    InvalidDatetime,
    InvalidTime,
    InvalidEmail,
    InvalidUrl,
    InvalidUuid,
    NotAllowed,
    PatternMismatch,
}

impl Check {
    /// Checks `value` (already trimmed when the column trims) and appends its canonical form to
    /// `out`; `scratch` is a buffer the check may use.
    pub(crate) fn run(&self, value: &str, out: &mut String, scratch: &mut String) -> Result<(), Failure> {
        match self {
            Check::Text { min_length, max_length } => text(value, *min_length, *max_length, out),
            Check::Integer { min, max, format } => integer(value, *min, *max, format, out),
            Check::Number { min, max, format } => decimal(value, *min, *max, format, out),
            Check::Boolean { words } => boolean(value, words, out),
            Check::Temporal { kind, formats } => temporal(value, *kind, formats, out),
            Check::Email => email::parse_email(value, out).then_some(()).ok_or(Failure::InvalidEmail),
            Check::Url { schemes } => {
                url::parse_url(value, schemes, out).then_some(()).ok_or(Failure::InvalidUrl)
            }
            Check::Uuid => uuid::parse_uuid(value, out).then_some(()).ok_or(Failure::InvalidUuid),
            Check::Enum { values, case_sensitive, lookup } => {
                enumeration(value, values, *case_sensitive, lookup, out, scratch)
            }
            Check::Regex { regex, .. } => {
                regex.is_match(value).then(|| out.push_str(value)).ok_or(Failure::PatternMismatch)
            }
        }
    }

    /// What the column expects, for a failure's message.
    pub(crate) fn message(&self, failure: Failure) -> String {
        super::messages::message(self, failure)
    }
}

impl Failure {
    /// The stable error code.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Failure::TooShort => "too_short",
            Failure::TooLong => "too_long",
            Failure::NotAnInteger => "not_an_integer",
            Failure::NotANumber => "not_a_number",
            Failure::BelowMinimum => "below_minimum",
            Failure::AboveMaximum => "above_maximum",
            Failure::NotABoolean => "not_a_boolean",
            Failure::InvalidDate => "invalid_date",
            Failure::InvalidDatetime => "invalid_datetime",
            Failure::InvalidTime => "invalid_time",
            Failure::InvalidEmail => "invalid_email",
            Failure::InvalidUrl => "invalid_url",
            Failure::InvalidUuid => "invalid_uuid",
            Failure::NotAllowed => "not_allowed",
            Failure::PatternMismatch => "pattern_mismatch",
        }
    }
}

/// Length in characters, counting only as far as needed.
fn char_len(value: &str) -> usize {
    if value.is_ascii() { value.len() } else { value.chars().count() }
}

fn text(value: &str, min: Option<usize>, max: Option<usize>, out: &mut String) -> Result<(), Failure> {
    // Bytes bound characters from above, so most values pass without counting.
    if max.is_some_and(|max| value.len() > max && char_len(value) > max) {
        return Err(Failure::TooLong);
    }
    if min.is_some_and(|min| char_len(value) < min) {
        return Err(Failure::TooShort);
    }
    out.push_str(value);
    Ok(())
}

fn integer(
    value: &str,
    min: Option<i64>,
    max: Option<i64>,
    f: &NumberFormat,
    out: &mut String,
) -> Result<(), Failure> {
    let len = out.len();
    let n = number::parse_integer(value, f, out).map_err(|_| Failure::NotAnInteger)?;
    let bound = if min.is_some_and(|m| n < m) {
        Some(Failure::BelowMinimum)
    } else if max.is_some_and(|m| n > m) {
        Some(Failure::AboveMaximum)
    } else {
        None
    };
    bound.map_or(Ok(()), |failure| {
        out.truncate(len);
        Err(failure)
    })
}

fn decimal(
    value: &str,
    min: Option<f64>,
    max: Option<f64>,
    f: &NumberFormat,
    out: &mut String,
) -> Result<(), Failure> {
    let len = out.len();
    number::parse_decimal(value, f, out).map_err(|e| match e {
        NumberError::Malformed | NumberError::OutOfRange => Failure::NotANumber,
    })?;
    if min.is_none() && max.is_none() {
        return Ok(());
    }
    let n = number::decimal_to_f64(out.get(len..).unwrap_or_default());
    let bound = if min.is_some_and(|m| n < m) {
        Some(Failure::BelowMinimum)
    } else if max.is_some_and(|m| n > m) {
        Some(Failure::AboveMaximum)
    } else {
        None
    };
    bound.map_or(Ok(()), |failure| {
        out.truncate(len);
        Err(failure)
    })
}

fn boolean(value: &str, words: &[(String, bool)], out: &mut String) -> Result<(), Failure> {
    let found = words.iter().find(|(word, _)| same_word(word, value));
    let (_, truth) = found.ok_or(Failure::NotABoolean)?;
    out.push_str(if *truth { "true" } else { "false" });
    Ok(())
}

/// Case-insensitive equality with a word already in lowercase.
fn same_word(lower: &str, value: &str) -> bool {
    if value.is_ascii() { lower.eq_ignore_ascii_case(value) } else { value.to_lowercase() == lower }
}

fn temporal(
    value: &str,
    kind: TemporalKind,
    formats: &[TemporalFormat],
    out: &mut String,
) -> Result<(), Failure> {
    if formats.iter().any(|f| f.parse_into(value, out)) {
        return Ok(());
    }
    Err(match kind {
        TemporalKind::Date => Failure::InvalidDate,
        TemporalKind::DateTime => Failure::InvalidDatetime,
        TemporalKind::Time => Failure::InvalidTime,
    })
}

fn enumeration(
    value: &str,
    values: &[(String, String)],
    case_sensitive: bool,
    lookup: &HashMap<String, usize>,
    out: &mut String,
    scratch: &mut String,
) -> Result<(), Failure> {
    let key = if case_sensitive {
        value
    } else {
        scratch.clear();
        scratch.extend(value.chars().flat_map(char::to_lowercase));
        scratch.as_str()
    };
    let index = *lookup.get(key).ok_or(Failure::NotAllowed)?;
    let (canonical, _) = values.get(index).ok_or(Failure::NotAllowed)?;
    out.push_str(canonical);
    Ok(())
}
