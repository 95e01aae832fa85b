//! Reading a value with a compiled pattern and writing its canonical ISO 8601 form.

use super::TemporalKind;
use super::calendar;
use super::directive::{Item, Numeric};

/// Longest canonical form: "YYYY-MM-DDTHH:MM:SS.fffffffff+HH:MM".
const MAX_CANONICAL_LEN: usize = 35;

/// Most fraction digits a value may have (nanoseconds).
const MAX_FRACTION_DIGITS: usize = 9;

/// Two-digit years below this are in the 2000s, the others in the 1900s (as POSIX says).
const SHORT_YEAR_PIVOT: u16 = 69;

/// Parses all of `text` with `items` and appends the canonical form for `kind` to `out`;
/// returns false and leaves `out` as it was if `text` does not fit or is not a real date/time.
pub(super) fn parse_into(items: &[Item], kind: TemporalKind, text: &str, out: &mut String) -> bool {
    match read(items, text).and_then(|fields| fields.resolve(kind)) {
        Some(fields) => {
            fields.write(kind, out);
            true
        }
        None => false,
    }
}

/// Reads all of `text` with `items` as a real date/time of `kind`, for writing it again.
pub(super) fn fields<'a>(items: &[Item], kind: TemporalKind, text: &'a str) -> Option<Fields<'a>> {
    read(items, text).and_then(|fields| fields.resolve(kind))
}

/// Whether all of `text` reads with `items` when numbers may be out of their ranges.
pub(super) fn has_shape(items: &[Item], text: &str) -> bool {
    let mut cursor = Cursor { text, pos: 0, lenient: true };
    let mut fields = Fields::default();
    items.iter().all(|&item| cursor.item(item, &mut fields).is_some()) && cursor.pos == text.len()
}

/// Reads all of `text` with `items`.
fn read<'a>(items: &[Item], text: &'a str) -> Option<Fields<'a>> {
    let mut cursor = Cursor { text, pos: 0, lenient: false };
    let mut fields = Fields::default();
    for &item in items {
        cursor.item(item, &mut fields)?;
    }
    (cursor.pos == text.len()).then_some(fields)
}

/// What a value gives; fields the pattern lacks keep their defaults (0: midnight, no offset).
#[derive(Debug, Default)]
pub(super) struct Fields<'a> {
    /// 0–9999.
    pub(super) year: u16,
    /// 1–12.
    pub(super) month: u8,
    /// 1–31 when read; checked against the month by [`Fields::resolve`].
    pub(super) day: u8,
    /// 0 = Monday.
    pub(super) weekday: Option<u8>,
    /// 0–23, or 1–12 when `pm` is given.
    pub(super) hour: u8,
    /// 0–59.
    pub(super) minute: u8,
    /// 0–59.
    pub(super) second: u8,
    /// Whether the 12-hour clock's hour is after noon.
    pub(super) pm: Option<bool>,
    /// The fraction digits as written; empty when there are none.
    pub(super) fraction: &'a str,
    /// Minutes east of UTC.
    pub(super) offset: Option<i16>,
}

impl Fields<'_> {
    /// Stores a number read for `field`, if it is in range.
    fn set(&mut self, field: Numeric, value: u32) -> Option<()> {
        match field {
            Numeric::Year => self.year = u16::try_from(value).ok()?,
            Numeric::ShortYear => {
                let year = u16::try_from(value).ok()?;
                self.year = year + if year < SHORT_YEAR_PIVOT { 2000 } else { 1900 };
            }
            Numeric::Month => self.month = within(value, 1, 12)?,
            Numeric::Day | Numeric::SpacedDay => self.day = within(value, 1, 31)?,
            Numeric::Hour => self.hour = within(value, 0, 23)?,
            Numeric::Hour12 => self.hour = within(value, 1, 12)?,
            Numeric::Minute => self.minute = within(value, 0, 59)?,
            Numeric::Second => self.second = within(value, 0, 59)?,
        }
        Some(())
    }

    /// Turns a 12-hour clock's hour into 0–23 and checks the date, if the kind has one.
    fn resolve(mut self, kind: TemporalKind) -> Option<Self> {
        if let Some(pm) = self.pm {
            self.hour = self.hour % 12 + if pm { 12 } else { 0 };
        }
        if kind == TemporalKind::Time {
            return Some(self);
        }
        if self.day > calendar::days_in_month(self.year, self.month) {
            return None;
        }
        match self.weekday {
            Some(weekday) if weekday != calendar::weekday(self.year, self.month, self.day) => None,
            _ => Some(self),
        }
    }

    /// Appends the canonical form for `kind`.
    fn write(&self, kind: TemporalKind, out: &mut String) {
        out.reserve(MAX_CANONICAL_LEN);
        if kind != TemporalKind::Time {
            push_two_digits(out, self.year / 100);
            push_two_digits(out, self.year % 100);
            out.push('-');
            push_two_digits(out, self.month.into());
            out.push('-');
            push_two_digits(out, self.day.into());
        }
        if kind == TemporalKind::DateTime {
            out.push('T');
        }
        if kind != TemporalKind::Date {
            self.write_time(out);
        }
    }

    /// Appends "HH:MM:SS", the fraction if any and the offset if any.
    fn write_time(&self, out: &mut String) {
        push_two_digits(out, self.hour.into());
        out.push(':');
        push_two_digits(out, self.minute.into());
        out.push(':');
        push_two_digits(out, self.second.into());
        if !self.fraction.is_empty() {
            out.push('.');
            out.push_str(self.fraction);
        }
        match self.offset {
            Some(0) => out.push('Z'),
            Some(minutes) => {
                out.push(if minutes < 0 { '-' } else { '+' });
                push_two_digits(out, minutes.unsigned_abs() / 60);
                out.push(':');
                push_two_digits(out, minutes.unsigned_abs() % 60);
            }
            None => {}
        }
    }
}

/// `value` as a `u8` if it is within `min..=max`.
fn within(value: u32, min: u8, max: u8) -> Option<u8> {
    u8::try_from(value).ok().filter(|v| (min..=max).contains(v))
}

/// Appends a number below 100 as two digits.
pub(super) fn push_two_digits(out: &mut String, value: u16) {
    let digit = |v: u16| char::from(b'0' + u8::try_from(v % 10).unwrap_or(0));
    out.push(digit(value / 10));
    out.push(digit(value));
}

/// A position in the value being read.
struct Cursor<'a> {
    /// The whole value.
    text: &'a str,
    /// Byte offset of the next unread byte.
    pos: usize,
    /// Whether numbers are read without checking their ranges (see [`has_shape`]).
    lenient: bool,
}

impl<'a> Cursor<'a> {
    /// Reads what `item` stands for into `fields`.
    fn item(&mut self, item: Item, fields: &mut Fields<'a>) -> Option<()> {
        match item {
            Item::Literal(byte) => self.eat(|b| b == byte),
            Item::Spaces(min) => self.spaces(min),
            Item::TimeSeparator => self.eat(|b| b.eq_ignore_ascii_case(&b'T')),
            Item::Number { field, exact } => {
                let value = self.number(field, exact)?;
                if self.lenient { Some(()) } else { fields.set(field, value) }
            }
            Item::MonthName(length) => {
                self.advance(calendar::month_name(self.rest(), length)).map(|month| fields.month = month)
            }
            Item::WeekdayName(length) => self
                .advance(calendar::weekday_name(self.rest(), length))
                .map(|weekday| fields.weekday = Some(weekday)),
            Item::Meridiem => self.meridiem().map(|pm| fields.pm = Some(pm)),
            Item::Fraction { optional } => self.fraction(optional).map(|digits| fields.fraction = digits),
            Item::Offset { colon, optional } => {
                self.offset(colon, optional).map(|offset| fields.offset = offset)
            }
        }
    }

    /// The next byte.
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// The unread bytes.
    fn rest(&self) -> &'a [u8] {
        self.text.as_bytes().get(self.pos..).unwrap_or_default()
    }

    /// Skips the next byte if it is one that `wanted` accepts.
    fn eat(&mut self, wanted: impl Fn(u8) -> bool) -> Option<()> {
        self.peek().filter(|&b| wanted(b))?;
        self.pos += 1;
        Some(())
    }

    /// Skips at least `min` spaces.
    fn spaces(&mut self, min: usize) -> Option<()> {
        let rest = self.rest();
        let count = rest.iter().take_while(|&&b| b == b' ').count();
        self.pos += count;
        (count >= min).then_some(())
    }

    /// Reads the digits of a numeric field.
    fn number(&mut self, field: Numeric, exact: bool) -> Option<u32> {
        match field {
            Numeric::Year => self.digits(4, 4),
            Numeric::ShortYear => self.digits(2, 2),
            Numeric::SpacedDay if self.peek() == Some(b' ') => {
                self.pos += 1;
                self.digits(1, 1)
            }
            _ if exact => self.digits(2, 2),
            _ => self.digits(1, 2),
        }
    }

    /// Reads `min` to `max` (at most 9) digits as a number; reads nothing if there are fewer.
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let rest = self.rest();
        let mut value = 0;
        let mut count = 0;
        for &b in rest.iter().take(max).take_while(|b| b.is_ascii_digit()) {
            value = value * 10 + u32::from(b - b'0');
            count += 1;
        }
        if count < min {
            return None;
        }
        self.pos += count;
        Some(value)
    }

    /// Skips the length of what was `found` at the cursor and returns its value.
    fn advance<T>(&mut self, found: Option<(T, usize)>) -> Option<T> {
        let (value, len) = found?;
        self.pos += len;
        Some(value)
    }

    /// Reads AM or PM in any case, also dotted (a.m., P.M.), and returns whether it is PM.
    fn meridiem(&mut self) -> Option<bool> {
        let pm = match self.peek()?.to_ascii_lowercase() {
            b'a' => false,
            b'p' => true,
            _ => return None,
        };
        self.pos += 1;
        let dotted = self.eat(|b| b == b'.').is_some();
        self.eat(|b| b.eq_ignore_ascii_case(&b'm'))?;
        if dotted {
            self.eat(|b| b == b'.')?;
        }
        Some(pm)
    }

    /// Reads fraction digits; when `optional`, a '.' or ',' and the digits, or nothing.
    fn fraction(&mut self, optional: bool) -> Option<&'a str> {
        if optional {
            let rest = self.rest();
            let separated =
                matches!(rest.first(), Some(b'.' | b',')) && rest.get(1).is_some_and(u8::is_ascii_digit);
            if !separated {
                return Some("");
            }
            self.pos += 1;
        }
        let start = self.pos;
        self.digits(1, MAX_FRACTION_DIGITS)?;
        self.text.get(start..self.pos)
    }

    /// Reads a UTC offset (Z, ±HH:MM, and unless `colon` ±HHMM or ±HH) as minutes east of UTC;
    /// `None` if it is `optional` and absent.
    fn offset(&mut self, colon: bool, optional: bool) -> Option<Option<i16>> {
        let negative = match self.peek() {
            Some(b'Z' | b'z') => {
                self.pos += 1;
                return Some(Some(0));
            }
            Some(b'+') => false,
            Some(b'-') => true,
            _ => return optional.then_some(None),
        };
        self.pos += 1;
        let hours = self.digits(2, 2)?;
        let minutes = match (self.eat(|b| b == b':').is_some(), colon) {
            (true, _) => self.digits(2, 2)?,
            (false, true) => return None,
            (false, false) => self.digits(2, 2).unwrap_or(0),
        };
        let total = i16::from(within(hours, 0, 23)?) * 60 + i16::from(within(minutes, 0, 59)?);
        Some(Some(if negative { -total } else { total }))
    }
}

#[cfg(test)]
mod tests {
    use crate::datetime::TemporalKind::{Date, DateTime, Time};
    use crate::datetime::tests::{check_invalid, check_valid, parsed};

    #[test]
    fn leap_days_follow_the_gregorian_rule() {
        let cases = [
            ("2024-02-29", true),
            ("2000-02-29", true),
            ("1600-02-29", true),
            ("0000-02-29", true),
            ("2023-02-29", false),
            ("1900-02-29", false),
            ("2100-02-29", false),
            ("2024-02-30", false),
            ("2023-02-28", true),
        ];
        for (text, valid) in cases {
            let expected = valid.then(|| text.to_owned());
            assert_eq!(parsed("%Y-%m-%d", Date, text), expected, "{text}");
            let datetime = format!("{text}T00:00:00");
            assert_eq!(parsed("iso", DateTime, &datetime), valid.then_some(datetime.clone()), "{text}");
        }
        assert_eq!(parsed("%m/%d/%y", Date, "2/29/00").as_deref(), Some("2000-02-29"));
        assert_eq!(parsed("%m/%d/%y", Date, "2/29/99"), None);
    }

    #[test]
    fn days_must_exist_in_their_month() {
        for month in 1..=12 {
            let last = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
            let text = format!("2024-{month:02}-{last}");
            assert_eq!(parsed("%Y-%m-%d", Date, &text), Some(text.clone()));
            let after = format!("2024-{month:02}-{}", last + 1);
            assert_eq!(parsed("%Y-%m-%d", Date, &after), None, "{after}");
        }
        check_invalid(&[
            ("%Y-%m-%d", Date, "2024-04-31"),
            ("%Y-%m-%d", Date, "2024-06-31"),
            ("%Y-%m-%d", Date, "2024-09-31"),
            ("%Y-%m-%d", Date, "2024-11-31"),
            ("%d %B %Y", Date, "31 November 2024"),
            ("%F %T", DateTime, "2024-09-31 00:00:00"),
        ]);
    }

    #[test]
    fn fields_out_of_range_are_refused() {
        check_invalid(&[
            ("%Y-%m-%d", Date, "2024-00-05"),
            ("%Y-%m-%d", Date, "2024-13-05"),
            ("%Y-%m-%d", Date, "2024-03-00"),
            ("%Y-%m-%d", Date, "2024-03-32"),
            ("%Y-%m-%d", Date, "2024-03-99"),
            ("%Y-%m-%e", Date, "2024-03- 0"),
            ("%Y-%m-%e", Date, "2024-03-  5"),
            ("%Y-%m-%e", Date, "2024-03- 15"),
            ("%H:%M", Time, "24:00"),
            ("%H:%M", Time, "23:60"),
            ("%H:%M:%S", Time, "23:59:60"),
            ("%H:%M:%S", Time, "99:99:99"),
            ("%I:%M %p", Time, "0:30 AM"),
            ("%I:%M %p", Time, "13:30 PM"),
            ("%I:%M %p", Time, "00:30 PM"),
        ]);
    }

    #[test]
    fn twelve_hour_clock_maps_midnight_and_noon() {
        let cases = [
            ("12:00 AM", "00:00:00"),
            ("12:59 am", "00:59:00"),
            ("1:00 AM", "01:00:00"),
            ("11:59 AM", "11:59:00"),
            ("12:00 PM", "12:00:00"),
            ("12:30 p.m.", "12:30:00"),
            ("1:00 PM", "13:00:00"),
            ("11:59 PM", "23:59:00"),
        ];
        for (text, canonical) in cases {
            assert_eq!(parsed("%I:%M %p", Time, text).as_deref(), Some(canonical), "{text}");
        }
        check_invalid(&[
            ("%I:%M %p", Time, "2:22 XM"),
            ("%I:%M %p", Time, "2:22 a.m"),
            ("%I:%M %p", Time, "2:22 am."),
            ("%I:%M %p", Time, "2:22 a.n."),
            ("%I:%M %p", Time, "2:22 a"),
            ("%I:%M %p", Time, "2:22 .m."),
            ("%I:%M %p", Time, "2:22"),
            ("%I:%M %p", Time, "14:22 PM"),
        ]);
    }

    #[test]
    fn names_must_be_known_and_weekdays_must_match_the_date() {
        check_invalid(&[
            ("%a, %d %b %Y", Date, "Mon, 05 Mar 2024"),
            ("%a, %d %b %Y", Date, "Wed, 05 Mar 2024"),
            ("%A %Y-%m-%d", Date, "Monday 2024-03-05"),
            ("%A %Y-%m-%d", Date, "Tue 2024-03-05"),
            ("%a %Y-%m-%d", Date, "Tuesday 2024-03-05"),
            ("%a %Y-%m-%d", Date, "Tues 2024-03-05"),
            ("%a %F %T", DateTime, "Fri 2024-03-05 14:22:31"),
            ("%d %b %Y", Date, "05 Foo 2024"),
            ("%d %b %Y", Date, "05 March 2024"),
            ("%d %b %Y", Date, "05 Ma 2024"),
            ("%d %b %Y", Date, "05 Mär 2024"),
            ("%d %B %Y", Date, "05 Mar 2024"),
            ("%d %B %Y", Date, "05 Sept 2024"),
            ("%d %B %Y", Date, "05 Septembre 2024"),
        ]);
    }

    #[test]
    fn fractions_have_one_to_nine_digits() {
        check_invalid(&[
            ("%H:%M:%S.%f", Time, "14:22:31."),
            ("%H:%M:%S.%f", Time, "14:22:31"),
            ("%H:%M:%S.%f", Time, "14:22:31.1234567890"),
            ("%H:%M:%S.%f", Time, "14:22:31.5x"),
            ("%H:%M:%S%.f", Time, "14:22:31."),
            ("%H:%M:%S%.f", Time, "14:22:31,"),
            ("%H:%M:%S%.f", Time, "14:22:31.x"),
            ("%H:%M:%S%.f", Time, "14:22:31.1234567890"),
            ("%H:%M:%S%.f", Time, "14:22:31..5"),
            ("%H:%M:%S%.f", Time, "14:22:31;5"),
        ]);
    }

    #[test]
    fn offsets_are_checked() {
        let z = "%FT%T%z";
        let colon = "%FT%T%:z";
        check_invalid(&[
            (z, DateTime, "2024-03-05T14:22:31"),
            (z, DateTime, "2024-03-05T14:22:31+"),
            (z, DateTime, "2024-03-05T14:22:31-"),
            (z, DateTime, "2024-03-05T14:22:31+5"),
            (z, DateTime, "2024-03-05T14:22:31+5:30"),
            (z, DateTime, "2024-03-05T14:22:31+05:3"),
            (z, DateTime, "2024-03-05T14:22:31+053"),
            (z, DateTime, "2024-03-05T14:22:31+05:"),
            (z, DateTime, "2024-03-05T14:22:31+05300"),
            (z, DateTime, "2024-03-05T14:22:31+24:00"),
            (z, DateTime, "2024-03-05T14:22:31+2400"),
            (z, DateTime, "2024-03-05T14:22:31+05:60"),
            (z, DateTime, "2024-03-05T14:22:31 +05:00"),
            (z, DateTime, "2024-03-05T14:22:31UTC"),
            (z, DateTime, "2024-03-05T14:22:31ZZ"),
            (z, DateTime, "2024-03-05T14:22:3105:00"),
            (z, DateTime, "2024-03-05T14:22:31\u{2212}05:00"),
            (colon, DateTime, "2024-03-05T14:22:31+0530"),
            (colon, DateTime, "2024-03-05T14:22:31+05"),
            (colon, DateTime, "2024-03-05T14:22:31"),
        ]);
    }

    #[test]
    fn literals_spaces_and_the_t_separator_match_as_documented() {
        check_valid(&[
            ("%d %m %Y", Date, "05 03 2024", "2024-03-05"),
            ("%d %m %Y", Date, "05     03  2024", "2024-03-05"),
            ("%d  %m %Y", Date, "05  03 2024", "2024-03-05"),
            ("%d  %m %Y", Date, "05   03 2024", "2024-03-05"),
        ]);
        check_invalid(&[
            ("%d %m %Y", Date, "0503 2024"),
            ("%d %m %Y", Date, "05\t03 2024"),
            ("%d %m %Y", Date, "05\u{a0}03 2024"),
            ("%d  %m %Y", Date, "05 03 2024"),
            ("%Y-%m-%d", Date, "2024/03/05"),
            ("%Y-%m-%d", Date, "2024-03-05 "),
            ("%Y-%m-%d", Date, " 2024-03-05"),
            ("%Y-%m-%d", Date, "2024-03-05x"),
            ("%Y-%m-%d", Date, "2024-03"),
            ("%Y-%m-%d", Date, ""),
            ("%FT%T", DateTime, "2024-03-05 14:22:31"),
            ("%FT%T", DateTime, "2024-03-05X14:22:31"),
            ("%Y年%m月%d日", Date, "2024年3月5"),
            ("%Y年%m月%d日", Date, "2024年3日5日"),
            ("%Y%%%m%%%d", Date, "2024%03-05"),
        ]);
    }
}
