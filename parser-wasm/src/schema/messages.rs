//! Messages for failed checks: what the column expects, in words a spreadsheet user knows,
//! never repeating the value; and the facts each message is built from, arm for arm, so that
//! a user interface can say the same in another language.

use super::check::{Check, Failure};
use crate::checks::number::NumberFormat;
use crate::datetime::{TemporalFormat, TemporalKind};
use crate::validate::Params;

/// How many allowed values or formats a message lists before "and N more".
const LIST_MAX: usize = 8;

pub(super) fn message(check: &Check, failure: Failure) -> String {
    match (check, failure) {
        (Check::Text { min_length: Some(n), .. }, Failure::TooShort) => {
            format!("must be at least {n} characters long")
        }
        (Check::Text { max_length: Some(n), .. }, Failure::TooLong) => {
            format!("must be at most {n} characters long")
        }
        (Check::Integer { format, .. }, Failure::NotAnInteger) => {
            format!("must be a whole number, such as {}", example(format, false))
        }
        (Check::Number { format, .. }, Failure::NotANumber) => {
            format!("must be a number, such as {}", example(format, true))
        }
        (Check::Integer { .. }, Failure::HasDecimals) => "must be a whole number (no decimals)".to_owned(),
        (Check::Number { format, .. }, Failure::WrongDecimalSeparator) => format!(
            "must use '{}' as the decimal separator, such as {}",
            format.decimal_separator,
            example(format, true)
        ),
        (Check::Integer { .. }, Failure::OutOfRange) => {
            format!("is too large or too small to store: whole numbers go from {} to {}", i64::MIN, i64::MAX)
        }
        (Check::Number { .. }, Failure::OutOfRange) => {
            "is too large or too small to store as a number".to_owned()
        }
        (Check::Integer { min: Some(m), .. }, Failure::BelowMinimum) => format!("must be at least {m}"),
        (Check::Integer { max: Some(m), .. }, Failure::AboveMaximum) => format!("must be at most {m}"),
        (Check::Number { min: Some(m), .. }, Failure::BelowMinimum) => {
            format!("must be at least {}", m.digits)
        }
        (Check::Number { max: Some(m), .. }, Failure::AboveMaximum) => {
            format!("must be at most {}", m.digits)
        }
        (Check::Boolean { words }, _) => {
            format!("must be yes or no, written as one of: {}", listed(words.iter().map(|(w, _)| w.as_str())))
        }
        (_, Failure::NotCanonical) => "is not in canonical form (as a batch must carry it)".to_owned(),
        (Check::Temporal { kind, formats, .. }, _) => temporal_message(*kind, formats, failure),
        (Check::Email, Failure::EmailMissingAt) => {
            "must be an email address with an @, such as name@example.com".to_owned()
        }
        (Check::Email, Failure::EmailInvalidDomain) => {
            "must have a domain after the @, such as example.com".to_owned()
        }
        (Check::Email, _) => "must be an email address, such as name@example.com".to_owned(),
        (Check::Url { schemes }, Failure::UrlScheme) => {
            format!("must start with {}", listed(schemes.iter().map(|s| format!("{s}://"))))
        }
        (Check::Url { schemes }, _) => {
            let starts = listed(schemes.iter().map(|s| format!("{s}://")));
            format!(
                "must be a web address starting with {starts}, such as {}://example.com/page",
                schemes.first().map_or("https", String::as_str)
            )
        }
        (Check::Uuid, _) => "must be a UUID, such as 123e4567-e89b-12d3-a456-426614174000".to_owned(),
        (Check::Enum(e), Failure::NearlyAllowed(i)) => match e.values.get(i) {
            Some((_, label)) => {
                format!(
                    "is not one of the allowed values as written: it differs from {label} only in case or spacing"
                )
            }
            None => not_allowed(e),
        },
        (Check::Enum(e), _) => not_allowed(e),
        (Check::Regex { message: Some(m), .. }, _) => m.clone(),
        _ => "does not have the expected format".to_owned(),
    }
}

/// The facts of [`message`]'s arm for the same check and failure.
pub(super) fn params(check: &Check, failure: Failure) -> Params {
    let none = Params::default();
    match (check, failure) {
        (Check::Text { min_length: Some(n), .. }, Failure::TooShort) => {
            Params { min_length: Some(*n), ..none }
        }
        (Check::Text { max_length: Some(n), .. }, Failure::TooLong) => {
            Params { max_length: Some(*n), ..none }
        }
        (Check::Integer { format, .. }, Failure::NotAnInteger) => {
            Params { example: Some(example(format, false)), ..none }
        }
        (Check::Number { format, .. }, Failure::NotANumber) => {
            Params { example: Some(example(format, true)), ..none }
        }
        (Check::Number { format, .. }, Failure::WrongDecimalSeparator) => Params {
            decimal_separator: Some(format.decimal_separator),
            example: Some(example(format, true)),
            ..none
        },
        (Check::Integer { .. }, Failure::OutOfRange) => {
            Params { min: Some(i64::MIN.to_string()), max: Some(i64::MAX.to_string()), ..none }
        }
        (Check::Integer { min: Some(m), .. }, Failure::BelowMinimum) => {
            Params { min: Some(m.to_string()), ..none }
        }
        (Check::Integer { max: Some(m), .. }, Failure::AboveMaximum) => {
            Params { max: Some(m.to_string()), ..none }
        }
        (Check::Number { min: Some(m), .. }, Failure::BelowMinimum) => {
            Params { min: Some(m.digits.clone()), ..none }
        }
        (Check::Number { max: Some(m), .. }, Failure::AboveMaximum) => {
            Params { max: Some(m.digits.clone()), ..none }
        }
        (Check::Boolean { words }, _) => {
            let (allowed, more) = cut(words.iter().map(|(w, _)| w.clone()));
            Params { allowed: Some(allowed), more, ..none }
        }
        (_, Failure::NotCanonical) => none,
        (Check::Temporal { kind, formats, .. }, _) => temporal_params(*kind, formats, failure),
        (Check::Url { schemes }, _) => Params { schemes: Some(schemes.clone()), ..none },
        (Check::Enum(e), Failure::NearlyAllowed(i)) => match e.values.get(i) {
            Some((_, label)) => Params { closest: Some(label.clone()), ..none },
            None => enum_params(e),
        },
        (Check::Enum(e), _) => enum_params(e),
        (Check::Regex { message: Some(_), .. }, _) => Params { custom: Some(true), ..none },
        _ => none,
    }
}

/// The message of a value of `kind` that fails to read with `formats`: a date column's, or a
/// text column's date transform's.
pub(super) fn temporal_message(kind: TemporalKind, formats: &[TemporalFormat], failure: Failure) -> String {
    match failure {
        Failure::DateDoesNotExist | Failure::DatetimeDoesNotExist => {
            "is not a real date: that month has no such day, or there is no such month".to_owned()
        }
        Failure::TimeDoesNotExist => {
            "is not a real time: hours go up to 23, minutes and seconds up to 59".to_owned()
        }
        _ => temporal(kind, formats),
    }
}

/// The facts of [`temporal_message`].
pub(super) fn temporal_params(kind: TemporalKind, formats: &[TemporalFormat], failure: Failure) -> Params {
    match failure {
        Failure::DateDoesNotExist | Failure::DatetimeDoesNotExist | Failure::TimeDoesNotExist => {
            Params::default()
        }
        _ => {
            let (formats, more) = cut(formats.iter().map(|f| describe_for(kind, f.pattern())));
            Params { formats: Some(formats), more, ..Params::default() }
        }
    }
}

fn enum_params(e: &super::check::Enumeration) -> Params {
    let (allowed, more) = cut(e.values.iter().map(|(_, label)| label.clone()));
    Params { allowed: Some(allowed), more, ..Params::default() }
}

/// The first `LIST_MAX` items, and how many more there are (none when all are listed).
fn cut(items: impl ExactSizeIterator<Item = String>) -> (Vec<String>, Option<usize>) {
    let more = items.len().saturating_sub(LIST_MAX);
    (items.take(LIST_MAX).collect(), (more > 0).then_some(more))
}

fn not_allowed(e: &super::check::Enumeration) -> String {
    format!("is not one of the allowed values: {}", listed(e.values.iter().map(|(_, label)| label.as_str())))
}

fn example(format: &NumberFormat, decimals: bool) -> String {
    let mut text = String::from("1");
    if let Some(sep) = format.thousands_separator {
        text.push(sep);
    }
    text.push_str("234");
    if decimals {
        text.push(format.decimal_separator);
        text.push('5');
    }
    text
}

fn temporal(kind: TemporalKind, formats: &[TemporalFormat]) -> String {
    let what = match kind {
        TemporalKind::Date => "a date",
        TemporalKind::DateTime => "a date and time",
        TemporalKind::Time => "a time",
    };
    let shapes: Vec<String> = formats.iter().map(|f| describe_for(kind, f.pattern())).collect();
    format!("must be {what} written as {}", listed(shapes.iter().map(String::as_str)))
}

/// A pattern of a column of `kind` in the letters people read, the `iso` preset included.
fn describe_for(kind: TemporalKind, pattern: &str) -> String {
    match (pattern, kind) {
        ("iso", TemporalKind::Date) => "YYYY-MM-DD".to_owned(),
        ("iso", TemporalKind::DateTime) => "YYYY-MM-DDThh:mm:ss[.fff][±hh:mm]".to_owned(),
        ("iso", TemporalKind::Time) => "hh:mm:ss[.fff][±hh:mm]".to_owned(),
        _ => describe(pattern),
    }
}

/// A pattern in the letters people read (`%Y-%m-%d` → `YYYY-MM-DD`).
fn describe(pattern: &str) -> String {
    const WORDS: [(&str, &str); 22] = [
        ("%.f", "[.fff]"),
        ("%:z", "±hh:mm"),
        ("%Y", "YYYY"),
        ("%y", "YY"),
        ("%m", "MM"),
        ("%d", "DD"),
        ("%e", "D"),
        ("%H", "hh"),
        ("%I", "hh"),
        ("%M", "mm"),
        ("%S", "ss"),
        ("%f", "fff"),
        ("%p", "AM/PM"),
        ("%b", "Jan"),
        ("%h", "Jan"),
        ("%B", "January"),
        ("%a", "Mon"),
        ("%A", "Monday"),
        ("%z", "±hh:mm"),
        ("%T", "hh:mm:ss"),
        ("%F", "YYYY-MM-DD"),
        ("%R", "hh:mm"),
    ];
    let mut out = String::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Some((from, to)) = WORDS.iter().find(|(from, _)| rest.starts_with(from)) {
            out.push_str(to);
            rest = &rest[from.len()..];
        } else if let Some(tail) = rest.strip_prefix("%D") {
            out.push_str("MM/DD/YY");
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("%%") {
            out.push('%');
            rest = tail;
        } else {
            let mut chars = rest.chars();
            out.extend(chars.next());
            rest = chars.as_str();
        }
    }
    out
}

/// `a, b or c`, cut after `LIST_MAX` items.
fn listed<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    let items: Vec<S> = items.collect();
    let shown: Vec<&str> = items.iter().take(LIST_MAX).map(AsRef::as_ref).collect();
    let more = items.len().saturating_sub(LIST_MAX);
    match (shown.split_last(), more) {
        (None, _) => String::new(),
        (Some((last, [])), 0) => (*last).to_owned(),
        (Some((last, init)), 0) => format!("{} or {last}", init.join(", ")),
        (Some(_), more) => format!("{} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_described_in_plain_letters() {
        assert_eq!(describe("%Y-%m-%d"), "YYYY-MM-DD");
        assert_eq!(describe("%d/%m/%Y %H:%M"), "DD/MM/YYYY hh:mm");
        assert_eq!(describe("%Y-%m-%dT%H:%M:%S%.f%z"), "YYYY-MM-DDThh:mm:ss[.fff]±hh:mm");
        assert_eq!(describe("%D 100%%"), "MM/DD/YY 100%");
        assert_eq!(describe("é%"), "é%");
        assert_eq!(describe_for(TemporalKind::Date, "iso"), "YYYY-MM-DD");
    }

    #[test]
    fn lists_read_naturally_and_stop() {
        assert_eq!(listed(["a"].iter()), "a");
        assert_eq!(listed(["a", "b", "c"].iter()), "a, b or c");
        let many: Vec<String> = (1..=10).map(|i| i.to_string()).collect();
        assert_eq!(listed(many.iter()), "1, 2, 3, 4, 5, 6, 7, 8 and 2 more");
    }
}
