//! Gregorian calendar facts and English month and weekday names.
//!
//! The proleptic Gregorian calendar is used for every year, as ISO 8601 does, so year 0 exists
//! and is a leap year.

/// English month names, January first.
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// English weekday names, Monday first (ISO 8601 order).
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// Length of every English month and weekday abbreviation ("Jan", "Mon").
const ABBREVIATION_LEN: usize = 3;

/// Index of September, the one month also abbreviated with four letters ("Sept").
const SEPTEMBER: usize = 8;

/// Whether a name is written in full ("January") or abbreviated ("Jan").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NameLength {
    /// The three-letter abbreviation.
    Short,
    /// The whole name.
    Full,
}

/// The month (1–12) whose name `bytes` starts with, ignoring ASCII case, and the name's length.
pub(super) fn month_name(bytes: &[u8], length: NameLength) -> Option<(u8, usize)> {
    let (index, len) = find_name(bytes, &MONTHS, length)?;
    let sept = length == NameLength::Short
        && index == SEPTEMBER
        && bytes.get(len).is_some_and(|b| b.eq_ignore_ascii_case(&b't'));
    let month = u8::try_from(index + 1).ok()?;
    Some((month, len + usize::from(sept)))
}

/// The weekday (0 = Monday) whose name `bytes` starts with, ignoring ASCII case, and the
/// name's length.
pub(super) fn weekday_name(bytes: &[u8], length: NameLength) -> Option<(u8, usize)> {
    let (index, len) = find_name(bytes, &WEEKDAYS, length)?;
    Some((u8::try_from(index).ok()?, len))
}

/// The English name of `month` (1–12), abbreviated or in full ("" for a month out of range).
pub(super) fn month_text(month: u8, length: NameLength) -> &'static str {
    let name = usize::from(month).checked_sub(1).and_then(|i| MONTHS.get(i)).copied().unwrap_or("");
    shortened(name, length)
}

/// The English name of `weekday` (0 = Monday), abbreviated or in full.
pub(super) fn weekday_text(weekday: u8, length: NameLength) -> &'static str {
    shortened(WEEKDAYS.get(usize::from(weekday)).copied().unwrap_or(""), length)
}

fn shortened(name: &'static str, length: NameLength) -> &'static str {
    match length {
        NameLength::Short => name.get(..ABBREVIATION_LEN).unwrap_or(name),
        NameLength::Full => name,
    }
}

/// The index of the first of `names` that `bytes` starts with, and the matched length.
fn find_name(bytes: &[u8], names: &[&str], length: NameLength) -> Option<(usize, usize)> {
    names.iter().enumerate().find_map(|(index, name)| {
        let name = match length {
            NameLength::Short => name.as_bytes().get(..ABBREVIATION_LEN)?,
            NameLength::Full => name.as_bytes(),
        };
        let start = bytes.get(..name.len())?;
        start.eq_ignore_ascii_case(name).then_some((index, name.len()))
    })
}

/// Whether `year` has a February 29th.
fn is_leap(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Number of days in `month` (1–12) of `year`; 0 for a month out of range.
pub(super) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Day of the week (0 = Monday) of a valid date.
///
/// Counts days from 0000-03-01 with years starting in March, so that the leap day is the last
/// day of its year and the day-of-year has a closed form (the method of H. Hinnant's
/// `days_from_civil`).
pub(super) fn weekday(year: u16, month: u8, day: u8) -> u8 {
    let (year, month, day) = (i64::from(year), i64::from(month), i64::from(day));
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era;
    // 0000-03-01 was a Wednesday (index 2).
    u8::try_from((days + 2).rem_euclid(7)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        let cases = [(2024, true), (2023, false), (1900, false), (2000, true), (0, true), (2100, false)];
        for (year, leap) in cases {
            assert_eq!(is_leap(year), leap, "{year}");
            assert_eq!(days_in_month(year, 2), if leap { 29 } else { 28 }, "{year}");
        }
    }

    #[test]
    fn months_have_their_lengths() {
        let lengths = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0];
        for (month, len) in (0..).zip(lengths) {
            assert_eq!(days_in_month(2023, month), len, "{month}");
        }
        assert_eq!(days_in_month(2023, 255), 0);
    }

    #[test]
    fn weekdays_match_known_dates() {
        let cases = [
            ((2024, 3, 5), 1),
            ((2024, 2, 29), 3),
            ((2024, 1, 1), 0),
            ((2023, 12, 31), 6),
            ((1970, 1, 1), 3),
            ((2000, 2, 29), 1),
            ((2000, 3, 1), 2),
            ((1900, 1, 1), 0),
            ((1969, 7, 20), 6),
            ((0, 1, 1), 5),
            ((0, 3, 1), 2),
            ((9999, 12, 31), 4),
        ];
        for ((y, m, d), expected) in cases {
            assert_eq!(weekday(y, m, d), expected, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn names_match_ignoring_case() {
        let months = [
            ("Jan", NameLength::Short, Some((1, 3))),
            ("jAN 5", NameLength::Short, Some((1, 3))),
            ("Sept", NameLength::Short, Some((9, 4))),
            ("SEPT", NameLength::Short, Some((9, 4))),
            ("Sep", NameLength::Short, Some((9, 3))),
            ("Sepu", NameLength::Short, Some((9, 3))),
            ("Septe", NameLength::Short, Some((9, 4))),
            ("December", NameLength::Short, Some((12, 3))),
            ("December", NameLength::Full, Some((12, 8))),
            ("may", NameLength::Full, Some((5, 3))),
            ("Decembe", NameLength::Full, None),
            ("Dec", NameLength::Full, None),
            ("Sept", NameLength::Full, None),
            ("Ja", NameLength::Short, None),
            ("", NameLength::Short, None),
            ("Jän", NameLength::Short, None),
        ];
        for (text, length, expected) in months {
            assert_eq!(month_name(text.as_bytes(), length), expected, "{text:?}");
        }
        let weekdays = [
            ("Mon", NameLength::Short, Some((0, 3))),
            ("sun", NameLength::Short, Some((6, 3))),
            ("Wednesday", NameLength::Full, Some((2, 9))),
            ("WEDNESDAY", NameLength::Full, Some((2, 9))),
            ("Wed", NameLength::Full, None),
            ("Tues", NameLength::Short, Some((1, 3))),
            ("Xyz", NameLength::Short, None),
        ];
        for (text, length, expected) in weekdays {
            assert_eq!(weekday_name(text.as_bytes(), length), expected, "{text:?}");
        }
    }
}
