//! Writing a date or time with a compiled pattern, the reverse of reading it: what a text
//! column's `date` transform writes, and a template's example value.
//!
//! What is written reads back with the same pattern as the same text, so writing is
//! idempotent: numbers take their full width ("05", a four-digit year), `%e` pads with a space,
//! names are English with a capital ("Dec", "Tuesday"), `%p` is "AM"/"PM", a fraction is written
//! as it was read (`%f` writes "0" for none), and an offset is "Z" or ±HH:MM.

use super::calendar;
use super::directive::{Item, Numeric};
use super::parse::{Fields, push_two_digits};

/// Appends `fields` written with `items`.
pub(super) fn write(items: &[Item], fields: &Fields<'_>, out: &mut String) {
    // A non-ASCII literal is one item per byte: its bytes are gathered until they form a char.
    let mut pending = Utf8::default();
    for &item in items {
        match item {
            Item::Literal(byte) => pending.push(byte, out),
            Item::Spaces(count) => out.extend(std::iter::repeat_n(' ', count)),
            Item::TimeSeparator => out.push('T'),
            Item::Number { field, .. } => number(field, fields, out),
            Item::MonthName(length) => out.push_str(calendar::month_text(fields.month, length)),
            Item::WeekdayName(length) => {
                let weekday = calendar::weekday(fields.year, fields.month, fields.day);
                out.push_str(calendar::weekday_text(weekday, length));
            }
            Item::Meridiem => out.push_str(if fields.hour >= 12 { "PM" } else { "AM" }),
            Item::Fraction { optional } => fraction(fields.fraction, optional, out),
            Item::Offset { optional, .. } => offset(fields.offset, optional, out),
        }
    }
}

/// The moment a template's example values show: Tuesday 31 December 2024 (a day above 12, so
/// day and month cannot be mistaken), 14:30:00 (after noon, for %p), one hour east of UTC.
pub(super) fn example() -> Fields<'static> {
    Fields {
        year: 2024,
        month: 12,
        day: 31,
        weekday: None,
        hour: 14,
        minute: 30,
        second: 0,
        pm: None,
        fraction: "",
        offset: Some(60),
    }
}

fn number(field: Numeric, fields: &Fields<'_>, out: &mut String) {
    match field {
        Numeric::Year => {
            push_two_digits(out, fields.year / 100);
            push_two_digits(out, fields.year % 100);
        }
        Numeric::ShortYear => push_two_digits(out, fields.year % 100),
        Numeric::Month => push_two_digits(out, fields.month.into()),
        Numeric::Day => push_two_digits(out, fields.day.into()),
        Numeric::SpacedDay if fields.day < 10 => {
            out.push(' ');
            out.push(char::from(b'0' + fields.day));
        }
        Numeric::SpacedDay => push_two_digits(out, fields.day.into()),
        Numeric::Hour => push_two_digits(out, fields.hour.into()),
        Numeric::Hour12 => push_two_digits(out, u16::from((fields.hour + 11) % 12 + 1)),
        Numeric::Minute => push_two_digits(out, fields.minute.into()),
        Numeric::Second => push_two_digits(out, fields.second.into()),
    }
}

fn fraction(digits: &str, optional: bool, out: &mut String) {
    match (digits.is_empty(), optional) {
        (true, true) => {}
        (true, false) => out.push('0'),
        (false, true) => {
            out.push('.');
            out.push_str(digits);
        }
        (false, false) => out.push_str(digits),
    }
}

fn offset(minutes: Option<i16>, optional: bool, out: &mut String) {
    match minutes {
        None if optional => {}
        None | Some(0) => out.push('Z'),
        Some(minutes) => {
            out.push(if minutes < 0 { '-' } else { '+' });
            push_two_digits(out, minutes.unsigned_abs() / 60);
            out.push(':');
            push_two_digits(out, minutes.unsigned_abs() % 60);
        }
    }
}

/// The bytes of one UTF-8 char being gathered.
#[derive(Default)]
struct Utf8 {
    bytes: [u8; 4],
    len: usize,
}

impl Utf8 {
    /// Adds a byte; appends the char once its bytes are complete (a pattern is valid UTF-8, so
    /// they always are by the next char).
    fn push(&mut self, byte: u8, out: &mut String) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
        if let Ok(text) = std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()) {
            out.push_str(text);
            self.len = 0;
        }
    }
}

/// Years whose every day is tried by [`misread`]: a leap year, the years around it, and one
/// whose two last digits are a month.
const PROBE_YEARS: [u16; 4] = [1999, 2000, 2001, 2012];

/// The first probe date `written` writes and `reader` reads as another date: that text and
/// the date it reads as, in ISO 8601.
pub(super) fn misread(written: &[Item], reader: &[Item]) -> Option<(String, String)> {
    let mut text = String::new();
    for year in PROBE_YEARS {
        for month in 1..=12 {
            for day in 1..=calendar::days_in_month(year, month) {
                let date = Fields { year, month, day, ..Fields::default() };
                text.clear();
                write(written, &date, &mut text);
                let read = super::parse::fields(reader, super::TemporalKind::Date, &text);
                if let Some(other) = read.filter(|r| (r.year, r.month, r.day) != (year, month, day)) {
                    let iso = format!("{:04}-{:02}-{:02}", other.year, other.month, other.day);
                    return Some((text, iso));
                }
            }
        }
    }
    None
}
