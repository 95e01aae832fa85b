//! Dates, datetimes and times written in strftime-like patterns, and their canonical ISO 8601
//! forms.
//!
//! A column of type date, datetime or time lists the patterns it accepts. Each is compiled once
//! ([`TemporalFormat::compile`]), when the schema loads; a cell is then tried against them in
//! order and the first that reads all of it gives the canonical form. Parsing works on bytes,
//! allocates nothing and never panics, because it runs on every cell of files with millions of
//! rows.
//!
//! Directives:
//!
//! | directive | reads |
//! |---|---|
//! | `%Y` | a four-digit year |
//! | `%y` | a two-digit year: 00–68 are 2000–2068, 69–99 are 1969–1999 |
//! | `%m`, `%d` | month, day of the month |
//! | `%e` | day of the month, also padded with a space (" 5") |
//! | `%b`, `%h`, `%B` | English month abbreviation ("Jan", also "Sept"), full name ("January") |
//! | `%a`, `%A` | English weekday abbreviation ("Mon"), full name ("Monday"); must match the date |
//! | `%H`, `%I` | hour 0–23, hour 1–12 (needs `%p`) |
//! | `%p` | AM or PM, also "a.m." or "p.m." |
//! | `%M`, `%S` | minute, second 0–59 |
//! | `%f` | 1–9 digits of a fraction of a second |
//! | `%.f` | nothing, or '.' or ',' and 1–9 fraction digits |
//! | `%z` | UTC offset: Z, ±HH:MM, ±HHMM or ±HH |
//! | `%:z` | UTC offset: Z or ±HH:MM |
//! | `%T`, `%R` | `%H:%M:%S`, `%H:%M` |
//! | `%F`, `%D` | `%Y-%m-%d`, `%m/%d/%y` |
//! | `%%` | a '%' |
//!
//! Names and AM/PM are matched ignoring case, and so are Z and the 'T' between date and time.
//! Numbers other than years and fractions take one or two digits ("1/5/2024" with
//! "%m/%d/%Y"), or exactly two when another number follows directly ("20240105" with
//! "%Y%m%d"). A space in a pattern matches one or more spaces; any other char matches itself.
//!
//! The pattern "iso" is a preset: ISO 8601 with seconds, optional fraction and, for datetimes
//! and times, an optional UTC offset.
//!
//! Canonical forms: "YYYY-MM-DD", "HH:MM:SS" and "YYYY-MM-DDTHH:MM:SS". A time is followed by
//! its fraction digits as written, if the value had any, and by its UTC offset if it had one
//! ("Z" when zero, otherwise ±HH:MM). Missing minutes and seconds are 0.

mod calendar;
mod directive;
mod error;
mod format;
mod iso;
mod parse;
mod write;

pub(crate) use error::FormatError;

/// What a column holds: a calendar date, a date with a time of day, or a time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TemporalKind {
    /// A calendar date, written "YYYY-MM-DD".
    Date,
    /// A date and a time of day, written "YYYY-MM-DDTHH:MM:SS".
    DateTime,
    /// A time of day, written "HH:MM:SS".
    Time,
}

/// A compiled pattern for one kind of column.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TemporalFormat {
    /// The pattern as the schema gave it.
    pattern: String,
    /// The kind of column it reads values for.
    kind: TemporalKind,
    /// What the pattern compiled to.
    items: Vec<directive::Item>,
    /// The ISO shape read by the fast path, when the pattern has one.
    fast: Option<iso::Shape>,
}

impl TemporalFormat {
    /// Compiles `pattern` for a column of `kind`; "iso" is the ISO 8601 preset.
    ///
    /// Refuses unknown directives, a lone '%' at the end, a field given twice, %I without %p
    /// (and %p without %I), fields the kind does not hold (a time of day in a date, a date in
    /// a time), and patterns that lack a field the kind needs: a year, month and day for a
    /// date, those and an hour for a datetime, an hour for a time; seconds need minutes and a
    /// fraction needs seconds.
    pub(crate) fn compile(pattern: &str, kind: TemporalKind) -> Result<TemporalFormat, FormatError> {
        let items = format::compile(pattern, kind)?;
        let fast = iso::shape(pattern, kind);
        Ok(TemporalFormat { pattern: pattern.to_owned(), kind, items, fast })
    }

    /// The pattern as the schema gave it ("iso" for the preset).
    pub(crate) fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Parses all of `text` (already trimmed); on success appends the canonical form to `out`
    /// and returns true, otherwise returns false and leaves `out` exactly as it was.
    pub(crate) fn parse_into(&self, text: &str, out: &mut String) -> bool {
        if let Some(()) = self.fast.and_then(|shape| iso::parse(shape, text, out)) {
            return true;
        }
        parse::parse_into(&self.items, self.kind, text, out)
    }

    /// Whether all of `text` reads with the pattern when numbers are not held to their ranges
    /// nor the date to the calendar: "29/02/1991" has the shape of "%d/%m/%Y" though no such
    /// day exists. Only for telling the two failures apart, after [`Self::parse_into`] failed.
    pub(crate) fn has_shape(&self, text: &str) -> bool {
        parse::has_shape(&self.items, text)
    }

    /// Reads all of `text` as a real date or time and appends it written with `to`'s pattern
    /// (see [`write`]); returns false and leaves `out` as it was if `text` does not read.
    pub(crate) fn rewrite(&self, text: &str, to: &TemporalFormat, out: &mut String) -> bool {
        match parse::fields(&self.items, self.kind, text) {
            Some(fields) => {
                write::write(&to.items, &fields, out);
                true
            }
            None => false,
        }
    }

    /// Appends the example moment written with the pattern: Tuesday 31 December 2024, 14:30:00,
    /// one hour east of UTC, as far as the pattern gives them.
    pub(crate) fn write_example(&self, out: &mut String) {
        write::write(&self.items, &write::example(), out);
    }

    /// A date (from every day of a few years) that this pattern writes and `other` reads as
    /// another date: the text, and what `other` reads it as (ISO 8601). `None` when every such
    /// text reads as the same date, or not at all.
    pub(crate) fn misread_by(&self, other: &TemporalFormat) -> Option<(String, String)> {
        write::misread(&self.items, &other.items)
    }
}

/// The patterns a column of `kind` accepts when the schema lists none, most common first.
pub(crate) fn default_patterns(kind: TemporalKind) -> &'static [&'static str] {
    match kind {
        TemporalKind::Date => &["%Y-%m-%d"],
        TemporalKind::DateTime => &[
            "%Y-%m-%dT%H:%M:%S%.f%z",
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f%z",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M%z",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ],
        TemporalKind::Time => &["%H:%M:%S%.f", "%H:%M"],
    }
}

#[cfg(test)]
mod tests;
