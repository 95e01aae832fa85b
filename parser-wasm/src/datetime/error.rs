//! Why a pattern does not compile, in messages that say what, where and what to do.

use super::TemporalKind;
use super::directive::Field;
use std::fmt;

/// The supported directives, as error messages list them.
const SUPPORTED: &str = "%Y %y %m %d %e %b %h %B %a %A %H %I %p %M %S %f %.f %z %:z %T %D %F %R %%";

/// A pattern that cannot be compiled: where (in chars from its start) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FormatError {
    /// The pattern as given.
    pub(super) pattern: String,
    /// Offset in chars of the offending directive, or the pattern's length when a field is
    /// missing.
    pub(super) offset: usize,
    /// What is wrong.
    pub(super) problem: Problem,
}

/// What is wrong with a pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// '%' followed by something that is not a directive (the directive as written).
    UnknownDirective(String),
    /// '%' ends the pattern.
    LonePercent,
    /// A directive gives a field that an earlier one gave (the text after '%').
    Repeated { key: &'static str, field: Field },
    /// A directive gives a field that the column's kind does not hold.
    WrongKind { key: &'static str, kind: TemporalKind },
    /// %I without %p.
    HourWithoutMeridiem,
    /// %p without %I.
    MeridiemWithoutHour,
    /// The column's kind needs a field that the pattern lacks.
    MissingForKind { field: Field, kind: TemporalKind },
    /// A field needs a larger one that the pattern lacks.
    MissingFor { field: Field, needed_by: Field },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (offset, pattern) = (self.offset, &self.pattern);
        match &self.problem {
            Problem::UnknownDirective(directive) => write!(f, "unknown directive {directive}")?,
            Problem::LonePercent => f.write_str("lone % at the end")?,
            Problem::Repeated { key, field } => write!(f, "%{key} repeats the {}", field.name())?,
            Problem::WrongKind { key, kind: TemporalKind::Time } => write!(f, "%{key} is part of a date")?,
            Problem::WrongKind { key, .. } => write!(f, "%{key} is part of a time of day")?,
            Problem::HourWithoutMeridiem => f.write_str("%I without %p")?,
            Problem::MeridiemWithoutHour => f.write_str("%p without %I")?,
            Problem::MissingForKind { field, .. } | Problem::MissingFor { field, .. } => {
                write!(f, "missing {} ({})", field.name(), field.directives())?;
            }
        }
        write!(f, " at offset {offset} in pattern {pattern:?} (")?;
        self.problem.help(f)?;
        f.write_str(")")
    }
}

impl std::error::Error for FormatError {}

impl Problem {
    /// Writes what to do about the problem.
    fn help(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::UnknownDirective(_) => write!(f, "supported: {SUPPORTED}"),
            Problem::LonePercent => f.write_str("write %% for a literal %"),
            Problem::Repeated { .. } => f.write_str("each field may appear only once"),
            Problem::WrongKind { kind: TemporalKind::Time, .. } => {
                f.write_str("a time column holds no date; declare the column as datetime")
            }
            Problem::WrongKind { .. } => {
                f.write_str("a date column holds no time of day; declare the column as datetime")
            }
            Problem::HourWithoutMeridiem => f.write_str("add %p for AM/PM, or use %H for a 24-hour clock"),
            Problem::MeridiemWithoutHour => f.write_str("use %I for the hour of a 12-hour clock"),
            Problem::MissingForKind { kind, .. } => f.write_str(match kind {
                TemporalKind::Date => "a date needs a year, a month and a day",
                TemporalKind::DateTime => "a datetime needs a year, a month, a day and an hour",
                TemporalKind::Time => "a time needs an hour",
            }),
            Problem::MissingFor { field, needed_by } => {
                write!(f, "the {} needs the {}", needed_by.name(), field.name())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::datetime::TemporalFormat;
    use crate::datetime::TemporalKind::{Date, DateTime, Time};

    #[test]
    fn messages_say_what_where_and_what_to_do() {
        let cases = [
            (
                "%Y-%m-%Q",
                Date,
                "unknown directive %Q at offset 6 in pattern \"%Y-%m-%Q\" (supported: %Y %y %m %d %e %b %h %B \
                 %a %A %H %I %p %M %S %f %.f %z %:z %T %D %F %R %%)",
            ),
            ("%F%", Date, "lone % at the end at offset 2 in pattern \"%F%\" (write %% for a literal %)"),
            (
                "%F %d",
                Date,
                "%d repeats the day at offset 3 in pattern \"%F %d\" (each field may appear only once)",
            ),
            (
                "%F %H",
                Date,
                "%H is part of a time of day at offset 3 in pattern \"%F %H\" (a date column holds no time \
                 of day; declare the column as datetime)",
            ),
            (
                "%T %F",
                Time,
                "%F is part of a date at offset 3 in pattern \"%T %F\" (a time column holds no date; declare \
                 the column as datetime)",
            ),
            (
                "%I:%M",
                Time,
                "%I without %p at offset 0 in pattern \"%I:%M\" (add %p for AM/PM, or use %H for a 24-hour \
                 clock)",
            ),
            (
                "%H %p",
                Time,
                "%p without %I at offset 3 in pattern \"%H %p\" (use %I for the hour of a 12-hour clock)",
            ),
            (
                "%Y-%m",
                Date,
                "missing day (%d or %e) at offset 5 in pattern \"%Y-%m\" (a date needs a year, a month and a \
                 day)",
            ),
            (
                "%F",
                DateTime,
                "missing hour (%H, or %I with %p) at offset 2 in pattern \"%F\" (a datetime needs a year, a \
                 month, a day and an hour)",
            ),
            (
                "%M",
                Time,
                "missing hour (%H, or %I with %p) at offset 2 in pattern \"%M\" (a time needs an hour)",
            ),
            (
                "%H:%S",
                Time,
                "missing minute (%M) at offset 5 in pattern \"%H:%S\" (the second needs the minute)",
            ),
        ];
        for (pattern, kind, message) in cases {
            let error = TemporalFormat::compile(pattern, kind).unwrap_err();
            assert_eq!(error.to_string(), message);
        }
        let error: Box<dyn std::error::Error> = Box::new(TemporalFormat::compile("%", Date).unwrap_err());
        assert!(error.to_string().starts_with("lone %"));
    }
}
