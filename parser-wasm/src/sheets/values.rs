//! A cell's value as the user saw it, in the canonical text typed schema columns accept: numbers
//! to 15 significant digits as Excel shows them (no float noise), dates and times from serial
//! numbers in the workbook's date system, booleans as `true`/`false`, errors apart.

use crate::reader::CellKind;
use calamine::{CellErrorType, Data, DataRef, ExcelDateTime};
use std::fmt::Write;

/// A cell's value, borrowed from calamine's two representations.
#[derive(Clone, Debug)]
pub(crate) enum Value<'v> {
    Empty,
    Text(&'v str),
    Int(i64),
    Float(f64),
    Bool(bool),
    DateTime(ExcelDateTime),
    /// A date, time or date and time in ISO 8601 (OpenDocument).
    Iso(&'v str),
    /// A duration in ISO 8601, such as `PT14H30M00S` (OpenDocument's times).
    Duration(&'v str),
    Error(CellErrorType),
}

impl<'v> From<&'v DataRef<'_>> for Value<'v> {
    fn from(data: &'v DataRef<'_>) -> Self {
        match data {
            DataRef::Empty => Value::Empty,
            DataRef::String(s) => Value::Text(s),
            DataRef::SharedString(s) => Value::Text(s),
            DataRef::Int(i) => Value::Int(*i),
            DataRef::Float(f) => Value::Float(*f),
            DataRef::Bool(b) => Value::Bool(*b),
            DataRef::DateTime(d) => Value::DateTime(*d),
            DataRef::DateTimeIso(s) => Value::Iso(s),
            DataRef::DurationIso(s) => Value::Duration(s),
            DataRef::Error(e) => Value::Error(e.clone()),
        }
    }
}

impl<'v> From<&'v Data> for Value<'v> {
    fn from(data: &'v Data) -> Self {
        match data {
            Data::Empty => Value::Empty,
            Data::String(s) => Value::Text(s),
            Data::Int(i) => Value::Int(*i),
            Data::Float(f) => Value::Float(*f),
            Data::Bool(b) => Value::Bool(*b),
            Data::DateTime(d) => Value::DateTime(*d),
            Data::DateTimeIso(s) => Value::Iso(s),
            Data::DurationIso(s) => Value::Duration(s),
            Data::Error(e) => Value::Error(e.clone()),
        }
    }
}

impl Value<'_> {
    /// Whether the cell holds nothing (a blank text counts as nothing too).
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// Appends the value's text to `out`; returns its kind. An error cell appends nothing.
    pub(crate) fn write(&self, out: &mut String) -> CellKind {
        match self {
            Value::Empty => CellKind::Text,
            Value::Text(s) => {
                out.push_str(s);
                CellKind::Text
            }
            Value::Int(i) => {
                let _ = write!(out, "{i}");
                CellKind::Number
            }
            Value::Float(f) => {
                number(*f, out);
                CellKind::Number
            }
            Value::Bool(b) => {
                out.push_str(if *b { "true" } else { "false" });
                CellKind::Bool
            }
            Value::DateTime(d) => date_time(d, out),
            Value::Iso(s) => iso(s, out),
            Value::Duration(s) => duration(s, out),
            Value::Error(_) => CellKind::Error,
        }
    }

    /// The error a cell shows, such as `#N/A`.
    pub(crate) fn error(&self) -> Option<String> {
        match self {
            Value::Error(e) => Some(e.to_string()),
            _ => None,
        }
    }
}

/// A number as Excel shows it in the General format: at most 15 significant digits, no
/// exponent, no trailing zeros (`0.1 + 0.2` is `0.3`, `1e21` is `1000000000000000000000`).
pub(crate) fn number(f: f64, out: &mut String) {
    if !f.is_finite() {
        out.push('0');
        return;
    }
    if f == f.trunc() && f.abs() < 1e15 {
        let _ = write!(out, "{}", f as i64);
        return;
    }
    // `{:.14e}` rounds to 15 significant digits; the digits are then placed by the exponent.
    let scientific = format!("{:.14e}", f);
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        let _ = write!(out, "{f}");
        return;
    };
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if negative {
        out.push('-');
    }
    place_point(digits, exponent, out);
}

/// Writes `0.d1d2d3… × 10^(exponent + 1)` in plain decimal notation.
fn place_point(digits: &str, exponent: i32, out: &mut String) {
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    if exponent < 0 {
        out.push_str("0.");
        for _ in 0..(-exponent - 1) {
            out.push('0');
        }
        out.push_str(digits);
    } else if exponent + 1 >= len {
        out.push_str(digits);
        for _ in 0..(exponent + 1 - len) {
            out.push('0');
        }
    } else {
        let split = usize::try_from(exponent + 1).unwrap_or(0);
        let (whole, fraction) = digits.split_at(split.min(digits.len()));
        out.push_str(whole);
        out.push('.');
        out.push_str(fraction);
    }
}

/// A serial date and time: a date when it has no time of day, a time when it has no date (a
/// serial below 1), both otherwise; a duration format gives a time as `[h]:mm:ss` would.
fn date_time(d: &ExcelDateTime, out: &mut String) -> CellKind {
    let serial = d.as_f64();
    if d.is_duration() {
        let total = (serial * 86_400.0).round();
        let seconds = total.abs() as u64;
        let sign = if total < 0.0 { "-" } else { "" };
        let _ = write!(out, "{sign}{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
        return CellKind::Time;
    }
    let (year, month, day, hour, minute, second, milli) = d.to_ymd_hms_milli();
    let has_time = (hour, minute, second, milli) != (0, 0, 0, 0);
    if (0.0..1.0).contains(&serial) {
        time(hour, minute, second, milli, out);
        return CellKind::Time;
    }
    let _ = write!(out, "{year:04}-{month:02}-{day:02}");
    if !has_time {
        return CellKind::Date;
    }
    out.push('T');
    time(hour, minute, second, milli, out);
    CellKind::DateTime
}

fn time(hour: u8, minute: u8, second: u8, milli: u16, out: &mut String) {
    let _ = write!(out, "{hour:02}:{minute:02}:{second:02}");
    if milli != 0 {
        let _ = write!(out, ".{milli:03}");
    }
}

/// An OpenDocument date (`2024-03-05`) or date and time (`2024-03-05T14:30:00`, fractions of
/// a second dropped when zero).
fn iso(s: &str, out: &mut String) -> CellKind {
    match s.split_once('T') {
        None => {
            out.push_str(s);
            CellKind::Date
        }
        Some((date, time)) => {
            let time = time.strip_suffix(".000").unwrap_or(time);
            if time == "00:00:00" {
                out.push_str(date);
                return CellKind::Date;
            }
            let _ = write!(out, "{date}T{time}");
            CellKind::DateTime
        }
    }
}

/// An OpenDocument time, stored as a duration (`PT14H30M00S`), as `14:30:00`.
fn duration(s: &str, out: &mut String) -> CellKind {
    let body = s.strip_prefix("PT").or_else(|| s.strip_prefix("-PT"));
    let Some(body) = body else {
        out.push_str(s);
        return CellKind::Text;
    };
    let mut parts = [0.0f64; 3];
    let mut rest = body;
    for (slot, unit) in [(0, 'H'), (1, 'M'), (2, 'S')] {
        if let Some((n, tail)) = rest.split_once(unit) {
            parts[slot] = n.parse().unwrap_or(0.0);
            rest = tail;
        }
    }
    let seconds = (parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]).round() as u64;
    if s.starts_with('-') {
        out.push('-');
    }
    let _ = write!(out, "{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    CellKind::Time
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::ExcelDateTimeType;

    fn shown(value: Value<'_>) -> (String, CellKind) {
        let mut out = String::new();
        let kind = value.write(&mut out);
        (out, kind)
    }

    fn num(f: f64) -> String {
        let mut out = String::new();
        number(f, &mut out);
        out
    }

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(1.0), "1");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(1234567.891), "1234567.891");
        assert_eq!(num(0.000123), "0.000123");
        assert_eq!(num(1e21), "1000000000000000000000");
        assert_eq!(num(123456789012345678.0), "123456789012346000");
        assert_eq!(num(2.0 / 3.0), "0.666666666666667");
        assert_eq!(num(-0.0), "0");
    }

    #[test]
    fn serial_dates_follow_the_workbook_date_system_and_its_quirks() {
        let date = |serial: f64, is_1904: bool| {
            shown(Value::DateTime(ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, is_1904)))
        };
        assert_eq!(date(45678.0, false), ("2025-01-21".to_owned(), CellKind::Date));
        assert_eq!(date(44216.0, true), ("2025-01-21".to_owned(), CellKind::Date));
        assert_eq!(date(45678.5, false), ("2025-01-21T12:00:00".to_owned(), CellKind::DateTime));
        assert_eq!(date(0.75, false), ("18:00:00".to_owned(), CellKind::Time));
        // Excel's 1900 leap-year bug: serial 60 is the 29th of February 1900, which never was;
        // serial 61 is the 1st of March.
        assert_eq!(date(60.0, false).0, "1900-02-29");
        assert_eq!(date(61.0, false).0, "1900-03-01");
        let long = ExcelDateTime::new(1.5, ExcelDateTimeType::TimeDelta, false);
        assert_eq!(shown(Value::DateTime(long)), ("36:00:00".to_owned(), CellKind::Time));
    }

    #[test]
    fn opendocument_dates_and_times_are_canonical() {
        assert_eq!(shown(Value::Iso("2024-03-05")), ("2024-03-05".to_owned(), CellKind::Date));
        assert_eq!(shown(Value::Iso("2024-03-05T00:00:00")).1, CellKind::Date);
        assert_eq!(
            shown(Value::Iso("2024-03-05T14:30:00")),
            ("2024-03-05T14:30:00".to_owned(), CellKind::DateTime)
        );
        assert_eq!(shown(Value::Duration("PT14H30M00S")), ("14:30:00".to_owned(), CellKind::Time));
    }

    #[test]
    fn booleans_errors_and_text_keep_their_kind() {
        assert_eq!(shown(Value::Bool(true)), ("true".to_owned(), CellKind::Bool));
        assert_eq!(shown(Value::Text("00123")), ("00123".to_owned(), CellKind::Text));
        assert_eq!(shown(Value::Error(CellErrorType::NA)), (String::new(), CellKind::Error));
        assert_eq!(Value::Error(CellErrorType::Div0).error().as_deref(), Some("#DIV/0!"));
        assert!(Value::Text("  ").is_blank() && !Value::Int(0).is_blank());
    }
}
