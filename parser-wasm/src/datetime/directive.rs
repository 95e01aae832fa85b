//! The directives a pattern may use, and the items they compile to.

use super::calendar::NameLength;
use super::error::Problem;

/// One step of a compiled pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Item {
    /// A byte that must appear as is.
    Literal(u8),
    /// At least this many spaces (consecutive spaces of the pattern are merged).
    Spaces(usize),
    /// The date–time separator 'T', also accepted as 't'.
    TimeSeparator,
    /// A number; `exact` when another number follows directly, so that it needs all its digits.
    Number { field: Numeric, exact: bool },
    /// An English month name.
    MonthName(NameLength),
    /// An English weekday name, checked against the date.
    WeekdayName(NameLength),
    /// AM or PM, also written a.m. or p.m.
    Meridiem,
    /// Fraction digits; when `optional`, they are absent or follow a '.' or ','.
    Fraction { optional: bool },
    /// A UTC offset; `colon` accepts only ±HH:MM (and Z), `optional` lets it be absent.
    Offset { colon: bool, optional: bool },
}

/// The numeric fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Numeric {
    /// Four-digit year.
    Year,
    /// Two-digit year in 1969–2068.
    ShortYear,
    /// Month 1–12.
    Month,
    /// Day of the month.
    Day,
    /// Day of the month, also padded with a space.
    SpacedDay,
    /// Hour 0–23.
    Hour,
    /// Hour 1–12 of a 12-hour clock.
    Hour12,
    /// Minute 0–59.
    Minute,
    /// Second 0–59.
    Second,
}

/// A part of a date or time that a pattern may give only once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    /// %Y, %y.
    Year,
    /// %m, %b, %h, %B.
    Month,
    /// %d, %e.
    Day,
    /// %a, %A.
    Weekday,
    /// %H, %I.
    Hour,
    /// %p.
    Meridiem,
    /// %M.
    Minute,
    /// %S.
    Second,
    /// %f, %.f.
    Fraction,
    /// %z, %:z.
    Offset,
}

/// A directive: the text after '%' and the items it stands for.
pub(super) struct Directive {
    /// The text after '%'.
    pub(super) key: &'static str,
    /// What it compiles to.
    pub(super) items: &'static [Item],
}

/// A number as the directive table writes it; [`super::format`] sets its width.
const fn number(field: Numeric) -> Item {
    Item::Number { field, exact: false }
}
/// The ':' between hours, minutes and seconds.
const COLON: Item = Item::Literal(b':');
/// The '-' between the parts of an ISO date.
const DASH: Item = Item::Literal(b'-');
/// The '/' between the parts of a US date.
const SLASH: Item = Item::Literal(b'/');

/// Every directive, searched in order (so "%.f" and "%:z" are whole keys).
const DIRECTIVES: [Directive; 24] = [
    Directive { key: "Y", items: &[number(Numeric::Year)] },
    Directive { key: "y", items: &[number(Numeric::ShortYear)] },
    Directive { key: "m", items: &[number(Numeric::Month)] },
    Directive { key: "d", items: &[number(Numeric::Day)] },
    Directive { key: "e", items: &[number(Numeric::SpacedDay)] },
    Directive { key: "b", items: &[Item::MonthName(NameLength::Short)] },
    Directive { key: "h", items: &[Item::MonthName(NameLength::Short)] },
    Directive { key: "B", items: &[Item::MonthName(NameLength::Full)] },
    Directive { key: "a", items: &[Item::WeekdayName(NameLength::Short)] },
    Directive { key: "A", items: &[Item::WeekdayName(NameLength::Full)] },
    Directive { key: "H", items: &[number(Numeric::Hour)] },
    Directive { key: "I", items: &[number(Numeric::Hour12)] },
    Directive { key: "p", items: &[Item::Meridiem] },
    Directive { key: "M", items: &[number(Numeric::Minute)] },
    Directive { key: "S", items: &[number(Numeric::Second)] },
    Directive { key: "f", items: &[Item::Fraction { optional: false }] },
    Directive { key: ".f", items: &[Item::Fraction { optional: true }] },
    Directive { key: "z", items: &[Item::Offset { colon: false, optional: false }] },
    Directive { key: ":z", items: &[Item::Offset { colon: true, optional: false }] },
    Directive {
        key: "T",
        items: &[number(Numeric::Hour), COLON, number(Numeric::Minute), COLON, number(Numeric::Second)],
    },
    Directive {
        key: "D",
        items: &[number(Numeric::Month), SLASH, number(Numeric::Day), SLASH, number(Numeric::ShortYear)],
    },
    Directive {
        key: "F",
        items: &[number(Numeric::Year), DASH, number(Numeric::Month), DASH, number(Numeric::Day)],
    },
    Directive { key: "R", items: &[number(Numeric::Hour), COLON, number(Numeric::Minute)] },
    Directive { key: "%", items: &[Item::Literal(b'%')] },
];

impl Item {
    /// The field this item gives, if any.
    pub(super) fn field(self) -> Option<Field> {
        match self {
            Item::Literal(_) | Item::Spaces(_) | Item::TimeSeparator => None,
            Item::Number { field, .. } => Some(match field {
                Numeric::Year | Numeric::ShortYear => Field::Year,
                Numeric::Month => Field::Month,
                Numeric::Day | Numeric::SpacedDay => Field::Day,
                Numeric::Hour | Numeric::Hour12 => Field::Hour,
                Numeric::Minute => Field::Minute,
                Numeric::Second => Field::Second,
            }),
            Item::MonthName(_) => Some(Field::Month),
            Item::WeekdayName(_) => Some(Field::Weekday),
            Item::Meridiem => Some(Field::Meridiem),
            Item::Fraction { .. } => Some(Field::Fraction),
            Item::Offset { .. } => Some(Field::Offset),
        }
    }

    /// Whether a value's text for this item starts with a digit.
    pub(super) fn starts_with_digit(self) -> bool {
        match self {
            Item::Number { .. } | Item::Fraction { optional: false } => true,
            Item::Literal(b) => b.is_ascii_digit(),
            _ => false,
        }
    }
}

impl Field {
    /// The field's name in messages.
    pub(super) fn name(self) -> &'static str {
        match self {
            Field::Year => "year",
            Field::Month => "month",
            Field::Day => "day",
            Field::Weekday => "weekday",
            Field::Hour => "hour",
            Field::Meridiem => "AM/PM",
            Field::Minute => "minute",
            Field::Second => "second",
            Field::Fraction => "fraction of a second",
            Field::Offset => "UTC offset",
        }
    }

    /// The directives that give the field.
    pub(super) fn directives(self) -> &'static str {
        match self {
            Field::Year => "%Y or %y",
            Field::Month => "%m, %b or %B",
            Field::Day => "%d or %e",
            Field::Weekday => "%a or %A",
            Field::Hour => "%H, or %I with %p",
            Field::Meridiem => "%p",
            Field::Minute => "%M",
            Field::Second => "%S",
            Field::Fraction => "%f or %.f",
            Field::Offset => "%z or %:z",
        }
    }

    /// Whether the field belongs to a date rather than a time of day.
    pub(super) fn is_date(self) -> bool {
        matches!(self, Field::Year | Field::Month | Field::Day | Field::Weekday)
    }

    /// The field's bit in a set of fields.
    pub(super) fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// The directive `after` (the text after a '%') starts with.
pub(super) fn lookup(after: &str) -> Result<&'static Directive, Problem> {
    if after.is_empty() {
        return Err(Problem::LonePercent);
    }
    DIRECTIVES.iter().find(|d| after.starts_with(d.key)).ok_or_else(|| {
        let mut chars = after.chars();
        let first = chars.next().unwrap_or_default();
        let second = chars.next().filter(|_| matches!(first, '.' | ':'));
        Problem::UnknownDirective(format!("%{first}{}", second.map(String::from).unwrap_or_default()))
    })
}
