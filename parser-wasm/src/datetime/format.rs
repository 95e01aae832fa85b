//! Compiling a strftime-like pattern into the items a value is read with, checking that it
//! gives each field once and every field its kind of column needs.

use super::TemporalKind;
use super::directive::{self, Field, Item, Numeric};
use super::error::{FormatError, Problem};

/// The pattern name that stands for ISO 8601 in every kind.
const ISO_PRESET: &str = "iso";

/// Compiles `pattern`, or the ISO 8601 preset when it is "iso", for a column of `kind`.
pub(super) fn compile(pattern: &str, kind: TemporalKind) -> Result<Vec<Item>, FormatError> {
    let preset = pattern == ISO_PRESET;
    let expanded = if preset { iso_pattern(kind) } else { pattern };
    let items = compile_pattern(expanded, kind).map_err(|(offset, problem)| FormatError {
        pattern: pattern.to_owned(),
        offset,
        problem,
    })?;
    if !preset {
        return Ok(items);
    }
    // ISO 8601 values may or may not carry an offset; a pattern cannot say so.
    let optional_offset = |item| match item {
        Item::Offset { colon, .. } => Item::Offset { colon, optional: true },
        other => other,
    };
    Ok(items.into_iter().map(optional_offset).collect())
}

/// The pattern of the ISO 8601 preset; its UTC offset is made optional.
fn iso_pattern(kind: TemporalKind) -> &'static str {
    match kind {
        TemporalKind::Date => "%Y-%m-%d",
        TemporalKind::DateTime => "%Y-%m-%dT%H:%M:%S%.f%z",
        TemporalKind::Time => "%H:%M:%S%.f%z",
    }
}

/// Compiles a pattern, reporting a problem with its char offset.
fn compile_pattern(pattern: &str, kind: TemporalKind) -> Result<Vec<Item>, (usize, Problem)> {
    let mut compiler = Compiler { kind, items: Vec::new(), seen: 0, hour12_at: None, meridiem_at: None };
    let mut rest = pattern;
    let mut offset = 0;
    while let Some(c) = rest.chars().next() {
        let (bytes, chars) = if c == '%' {
            let key = compiler.directive(rest.get(1..).unwrap_or_default(), offset)?;
            // Keys are ASCII: as many chars as bytes.
            (1 + key.len(), 1 + key.len())
        } else {
            compiler.literal(c);
            (c.len_utf8(), 1)
        };
        rest = rest.get(bytes..).unwrap_or_default();
        offset += chars;
    }
    compiler.finish(offset)
}

/// A pattern being compiled.
struct Compiler {
    /// The kind of column the pattern is for.
    kind: TemporalKind,
    /// The items so far.
    items: Vec<Item>,
    /// The [`Field::bit`]s of the fields given so far.
    seen: u16,
    /// Offset of %I, if given.
    hour12_at: Option<usize>,
    /// Offset of %p, if given.
    meridiem_at: Option<usize>,
}

impl Compiler {
    /// Adds the directive `after` starts with (the text after a '%' at `offset`) and returns
    /// its key.
    fn directive(&mut self, after: &str, offset: usize) -> Result<&'static str, (usize, Problem)> {
        let directive = directive::lookup(after).map_err(|problem| (offset, problem))?;
        for &item in directive.items {
            if let Some(field) = item.field() {
                self.mark(field, directive.key).map_err(|problem| (offset, problem))?;
            }
            match item {
                Item::Number { field: Numeric::Hour12, .. } => self.hour12_at = Some(offset),
                Item::Meridiem => self.meridiem_at = Some(offset),
                _ => {}
            }
            self.items.push(item);
        }
        Ok(directive.key)
    }

    /// Records that directive `key` gives `field`, if it may.
    fn mark(&mut self, field: Field, key: &'static str) -> Result<(), Problem> {
        let allowed = match self.kind {
            TemporalKind::Date => field.is_date(),
            TemporalKind::DateTime => true,
            TemporalKind::Time => !field.is_date(),
        };
        if !allowed {
            return Err(Problem::WrongKind { key, kind: self.kind });
        }
        if self.has(field) {
            return Err(Problem::Repeated { key, field });
        }
        self.seen |= field.bit();
        Ok(())
    }

    /// Adds a literal char.
    fn literal(&mut self, c: char) {
        match (c, self.items.last_mut()) {
            (' ', Some(Item::Spaces(count))) => *count += 1,
            (' ', _) => self.items.push(Item::Spaces(1)),
            ('T', _) => self.items.push(Item::TimeSeparator),
            _ => self.items.extend(c.encode_utf8(&mut [0; 4]).bytes().map(Item::Literal)),
        }
    }

    /// Whether `field` was given.
    fn has(&self, field: Field) -> bool {
        self.seen & field.bit() != 0
    }

    /// Checks the pattern as a whole (`end` is its length in chars) and returns its items.
    fn finish(mut self, end: usize) -> Result<Vec<Item>, (usize, Problem)> {
        match (self.hour12_at, self.meridiem_at) {
            (Some(at), None) => return Err((at, Problem::HourWithoutMeridiem)),
            (None, Some(at)) => return Err((at, Problem::MeridiemWithoutHour)),
            _ => {}
        }
        if let Some(problem) = self.missing() {
            return Err((end, problem));
        }
        set_widths(&mut self.items);
        Ok(self.items)
    }

    /// The first field the pattern needs and lacks.
    fn missing(&self) -> Option<Problem> {
        let required: &[Field] = match self.kind {
            TemporalKind::Date => &[Field::Year, Field::Month, Field::Day],
            TemporalKind::DateTime => &[Field::Year, Field::Month, Field::Day, Field::Hour],
            TemporalKind::Time => &[Field::Hour],
        };
        if let Some(&field) = required.iter().find(|&&field| !self.has(field)) {
            return Some(Problem::MissingForKind { field, kind: self.kind });
        }
        // Without the larger field, a smaller one would be written in its place: "%H:%S"
        // would turn "10:30" into 10:00:30.
        let chain = [(Field::Minute, Field::Second), (Field::Second, Field::Fraction)];
        let (field, needed_by) = chain.into_iter().find(|&(f, by)| self.has(by) && !self.has(f))?;
        Some(Problem::MissingFor { field, needed_by })
    }
}

/// Makes every number that another number follows directly read exactly two digits.
///
/// "%Y%m%d" can only read "20240131" if the month takes two digits; before a literal, one
/// digit is enough ("1/5/2024" with "%m/%d/%Y"). An optional fraction in between may be
/// absent, so the number after it counts as following directly.
fn set_widths(items: &mut [Item]) {
    for i in 0..items.len() {
        let next = items.get(i + 1..).unwrap_or_default().iter();
        let next_is_digit = next
            .copied()
            .find(|item| *item != Item::Fraction { optional: true })
            .is_some_and(Item::starts_with_digit);
        if let Some(Item::Number { exact, .. }) = items.get_mut(i) {
            *exact = next_is_digit;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TemporalKind::{Date, DateTime, Time};

    /// The problem and offset `pattern` fails to compile with.
    fn failure(pattern: &str, kind: TemporalKind) -> (Problem, usize) {
        match compile(pattern, kind) {
            Ok(items) => panic!("{pattern:?} compiled to {items:?}"),
            Err(error) => {
                assert_eq!(error.pattern, pattern);
                (error.problem, error.offset)
            }
        }
    }

    #[test]
    fn unknown_directives_and_a_lone_percent_are_refused() {
        let unknown = |d: &str| Problem::UnknownDirective(d.to_owned());
        let cases = [
            ("%Y-%m-%Q", unknown("%Q"), 6),
            ("%Q", unknown("%Q"), 0),
            ("%Y-%m-%d %i", unknown("%i"), 9),
            ("%Y-%m-%.x", unknown("%.x"), 6),
            ("%Y-%m-%.", unknown("%."), 6),
            ("%Y-%m-%:Z", unknown("%:Z"), 6),
            ("%Y-%m-%é", unknown("%é"), 6),
            ("日付%Y-%m-%Q", unknown("%Q"), 8),
            ("%Y-%m-% d", unknown("% "), 6),
            ("%Y-%m-%d%", Problem::LonePercent, 8),
            ("%", Problem::LonePercent, 0),
            ("é%", Problem::LonePercent, 1),
            ("%Y-%m-%d%%%", Problem::LonePercent, 10),
        ];
        for (pattern, problem, offset) in cases {
            assert_eq!(failure(pattern, Date), (problem, offset), "{pattern:?}");
        }
    }

    #[test]
    fn a_field_given_twice_is_refused() {
        let repeated = |key, field| Problem::Repeated { key, field };
        let cases = [
            ("%Y-%m-%d %d", Date, repeated("d", Field::Day), 9),
            ("%Y-%m-%d %e", Date, repeated("e", Field::Day), 9),
            ("%F %Y", Date, repeated("Y", Field::Year), 3),
            ("%y %F", Date, repeated("F", Field::Year), 3),
            ("%d %b %m %Y", Date, repeated("m", Field::Month), 6),
            ("%d %B %Y %h", Date, repeated("h", Field::Month), 9),
            ("%a %A %F", Date, repeated("A", Field::Weekday), 3),
            ("%F %H %I %p", DateTime, repeated("I", Field::Hour), 6),
            ("%F %I %p %p", DateTime, repeated("p", Field::Meridiem), 9),
            ("%T %M", Time, repeated("M", Field::Minute), 3),
            ("%R %R", Time, repeated("R", Field::Hour), 3),
            ("%T%S", Time, repeated("S", Field::Second), 2),
            ("%T.%f%.f", Time, repeated(".f", Field::Fraction), 5),
            ("%T%z %:z", Time, repeated(":z", Field::Offset), 5),
        ];
        for (pattern, kind, problem, offset) in cases {
            assert_eq!(failure(pattern, kind), (problem, offset), "{pattern:?}");
        }
    }

    #[test]
    fn twelve_hour_clock_needs_both_halves() {
        let cases = [
            ("%F %I:%M", DateTime, Problem::HourWithoutMeridiem, 3),
            ("%I:%M", Time, Problem::HourWithoutMeridiem, 0),
            ("%H:%M %p", Time, Problem::MeridiemWithoutHour, 6),
            ("%p %F %H", DateTime, Problem::MeridiemWithoutHour, 0),
        ];
        for (pattern, kind, problem, offset) in cases {
            assert_eq!(failure(pattern, kind), (problem, offset), "{pattern:?}");
        }
    }

    #[test]
    fn fields_foreign_to_the_kind_are_refused() {
        let wrong = |key, kind| Problem::WrongKind { key, kind };
        let cases = [
            ("%Y-%m-%d %H", Date, wrong("H", Date), 9),
            ("%F %T", Date, wrong("T", Date), 3),
            ("%F%z", Date, wrong("z", Date), 2),
            ("%F %I %p", Date, wrong("I", Date), 3),
            ("%p %F", Date, wrong("p", Date), 0),
            ("%F.%f", Date, wrong("f", Date), 3),
            ("%H:%M %d", Time, wrong("d", Time), 6),
            ("%a %T", Time, wrong("a", Time), 0),
            ("%R %F", Time, wrong("F", Time), 3),
            ("%D", Time, wrong("D", Time), 0),
            ("%T %y", Time, wrong("y", Time), 3),
            ("%T %B", Time, wrong("B", Time), 3),
        ];
        for (pattern, kind, problem, offset) in cases {
            assert_eq!(failure(pattern, kind), (problem, offset), "{pattern:?}");
        }
    }

    #[test]
    fn fields_the_kind_needs_must_be_given() {
        let for_kind = |field, kind| Problem::MissingForKind { field, kind };
        let for_field = |field, needed_by| Problem::MissingFor { field, needed_by };
        let cases = [
            ("", Date, for_kind(Field::Year, Date), 0),
            ("%m-%d", Date, for_kind(Field::Year, Date), 5),
            ("%Y-%d", Date, for_kind(Field::Month, Date), 5),
            ("%Y-%m", Date, for_kind(Field::Day, Date), 5),
            ("%a %b %Y", Date, for_kind(Field::Day, Date), 8),
            ("%F", DateTime, for_kind(Field::Hour, DateTime), 2),
            ("%m-%d %T", DateTime, for_kind(Field::Year, DateTime), 8),
            ("%Y-%m %T", DateTime, for_kind(Field::Day, DateTime), 8),
            ("%M:%S", Time, for_kind(Field::Hour, Time), 5),
            ("", Time, for_kind(Field::Hour, Time), 0),
            ("%z", Time, for_kind(Field::Hour, Time), 2),
            ("%H:%S", Time, for_field(Field::Minute, Field::Second), 5),
            ("%F %H.%f", DateTime, for_field(Field::Second, Field::Fraction), 8),
            ("%R%.f", Time, for_field(Field::Second, Field::Fraction), 5),
        ];
        for (pattern, kind, problem, offset) in cases {
            assert_eq!(failure(pattern, kind), (problem, offset), "{pattern:?}");
        }
    }

    #[test]
    fn numbers_followed_by_a_number_need_two_digits() {
        let exact = |pattern, kind| -> Vec<bool> {
            let items = compile(pattern, kind).unwrap();
            items
                .iter()
                .filter_map(|item| if let Item::Number { exact, .. } = item { Some(*exact) } else { None })
                .collect()
        };
        let cases: [(&str, TemporalKind, &[bool]); 8] = [
            ("%Y%m%d", Date, &[true, true, false]),
            ("%Y-%m-%d", Date, &[false, false, false]),
            ("%m/%d/%Y", Date, &[false, false, false]),
            ("%d%m%Y", Date, &[true, true, false]),
            ("%d%b%Y", Date, &[false, false]),
            ("%H%M%S%.f", Time, &[true, true, false]),
            ("%H:%M:%S%.f%Y-%m-%d", DateTime, &[false, false, true, false, false, false]),
            ("%H:%M:%S%f", Time, &[false, false, true]),
        ];
        for (pattern, kind, expected) in cases {
            assert_eq!(exact(pattern, kind), expected, "{pattern:?}");
        }
        assert_eq!(exact("%d1%m%Y", Date), [true, true, false]);
    }

    #[test]
    fn literals_compile_to_what_they_match() {
        let items = compile("%d  %m%%T年%Y", Date).unwrap();
        let [y0, y1, y2] = "年".as_bytes() else { panic!() };
        let day = Item::Number { field: Numeric::Day, exact: false };
        let month = Item::Number { field: Numeric::Month, exact: false };
        let year = Item::Number { field: Numeric::Year, exact: false };
        let expected = [
            day,
            Item::Spaces(2),
            month,
            Item::Literal(b'%'),
            Item::TimeSeparator,
            Item::Literal(*y0),
            Item::Literal(*y1),
            Item::Literal(*y2),
            year,
        ];
        assert_eq!(items, expected);
    }

    #[test]
    fn the_iso_preset_makes_the_offset_optional() {
        let offsets = |kind| -> Vec<Item> {
            let items = compile("iso", kind).unwrap();
            items.into_iter().filter(|item| matches!(item, Item::Offset { .. })).collect()
        };
        assert_eq!(offsets(Date), []);
        assert_eq!(offsets(DateTime), [Item::Offset { colon: false, optional: true }]);
        assert_eq!(offsets(Time), [Item::Offset { colon: false, optional: true }]);
        assert_eq!(
            compile("ISO", Date).unwrap_err().problem,
            Problem::MissingForKind { field: Field::Year, kind: Date }
        );
    }

    #[test]
    fn any_pattern_compiles_or_says_where_it_fails() {
        let mut patterns: Vec<String> =
            ["%", "%%%", "%.", "%:", "%é", "é%", "%\u{301}", "%😀%Y", "%%%%%%", "   ", "TTT"]
                .iter()
                .map(|p| (*p).to_owned())
                .collect();
        patterns.push("%Y".repeat(1_000));
        patterns.push(" ".repeat(1_000));
        let full = "%a, %e %B %Y年 %I:%M:%S%.f %p %:z %%";
        for (i, _) in full.char_indices() {
            patterns.push(full[..i].to_owned());
            patterns.push(full[i..].to_owned());
        }
        for pattern in &patterns {
            for kind in [Date, DateTime, Time] {
                if let Err(error) = compile(pattern, kind) {
                    assert!(error.offset <= pattern.chars().count(), "{pattern:?}");
                    assert!(error.to_string().contains(&format!("{pattern:?}")), "{pattern:?}");
                }
            }
        }
    }
}
