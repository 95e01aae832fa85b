//! A fast path for values already in strict ISO 8601 form under the ISO patterns (the
//! defaults): fixed positions read without the general parser. It accepts only what the
//! general parser accepts and writes the same canonical form; anything else, including every
//! invalid value, goes to the general parser, which decides.

use super::TemporalKind;
use super::calendar::days_in_month;

/// The ISO shapes the fast path reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// `YYYY-MM-DD`
    Date,
    /// `YYYY-MM-DDTHH:MM:SS[.f]`, then a `Z` or `±HH:MM` offset when `offset` (required unless
    /// `optional_offset`).
    DateTime { offset: bool, optional_offset: bool },
    /// `HH:MM:SS[.f]`
    Time,
}

/// The shape a pattern has, when it is one the fast path knows.
pub(super) fn shape(pattern: &str, kind: TemporalKind) -> Option<Shape> {
    match (kind, pattern) {
        (TemporalKind::Date, "%Y-%m-%d" | "%F" | "iso") => Some(Shape::Date),
        (TemporalKind::DateTime, "%Y-%m-%dT%H:%M:%S%.f%z") => {
            Some(Shape::DateTime { offset: true, optional_offset: false })
        }
        (TemporalKind::DateTime, "iso") => Some(Shape::DateTime { offset: true, optional_offset: true }),
        (TemporalKind::DateTime, "%Y-%m-%dT%H:%M:%S%.f") => {
            Some(Shape::DateTime { offset: false, optional_offset: false })
        }
        (TemporalKind::Time, "%H:%M:%S%.f") => Some(Shape::Time),
        _ => None,
    }
}

/// Reads `text` in `shape`; `Some(())` when it was valid and its canonical form is appended,
/// `None` when the general parser must decide.
pub(super) fn parse(shape: Shape, text: &str, out: &mut String) -> Option<()> {
    let b = text.as_bytes();
    match shape {
        Shape::Date => {
            date(b)?;
            (b.len() == 10).then(|| out.push_str(text))
        }
        Shape::Time => {
            let end = time(b, 0)?;
            (end == b.len()).then(|| out.push_str(text))
        }
        Shape::DateTime { offset, optional_offset } => {
            date(b)?;
            (b.get(10) == Some(&b'T')).then_some(())?;
            let end = time(b, 11)?;
            let zone = b.get(end..)?;
            let written = text.get(..end)?;
            match zone {
                [] if !offset || optional_offset => out.push_str(written),
                [b'Z'] if offset => push_utc(out, written),
                [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] if offset => {
                    let (hours, minutes) = (two(*h1, *h2)?, two(*m1, *m2)?);
                    (hours <= 23 && minutes <= 59).then_some(())?;
                    if hours == 0 && minutes == 0 {
                        push_utc(out, written);
                    } else {
                        out.push_str(written);
                        out.push(char::from(*sign));
                        out.push_str(text.get(end + 1..)?);
                    }
                }
                _ => return None,
            }
            Some(())
        }
    }
}

fn push_utc(out: &mut String, written: &str) {
    out.push_str(written);
    out.push('Z');
}

/// Checks `YYYY-MM-DD` at the start of `b`.
fn date(b: &[u8]) -> Option<()> {
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, ..] = *b else { return None };
    let year = u16::from(two(y1, y2)?) * 100 + u16::from(two(y3, y4)?);
    let (month, day) = (two(m1, m2)?, two(d1, d2)?);
    (day >= 1 && day <= days_in_month(year, month)).then_some(())
}

/// Checks `HH:MM:SS` and an optional `.` fraction of 1–9 digits at `at`; returns where it ends.
fn time(b: &[u8], at: usize) -> Option<usize> {
    let [h1, h2, b':', m1, m2, b':', s1, s2, ..] = *b.get(at..)? else { return None };
    let ok = two(h1, h2)? <= 23 && two(m1, m2)? <= 59 && two(s1, s2)? <= 59;
    ok.then_some(())?;
    let end = at + 8;
    if b.get(end) != Some(&b'.') {
        return Some(end);
    }
    let digits = b.get(end + 1..)?.iter().take_while(|d| d.is_ascii_digit()).count();
    (1..=9).contains(&digits).then_some(end + 1 + digits)
}

/// Two ASCII digits as a number.
fn two(a: u8, b: u8) -> Option<u8> {
    (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
}
