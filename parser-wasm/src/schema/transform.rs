//! A column's transforms (`transform = ["collapse", "title"]`): its cell's text rewritten after
//! trimming and before the check, so that the review grid, the batches and the server's
//! re-check all see one value. Compiled once with the schema; a step that would change nothing
//! writes nothing, so a clean value costs a scan and no allocation. Every step is idempotent and
//! any list of them is too (the steps commute, and a date rewrite stands alone), which is what
//! lets the server hold a batch's values to being their own transform.

use super::check::Failure;
use super::raw::{RawStep, TypeName};
use crate::datetime::{TemporalFormat, TemporalKind};
use crate::validate::Params;

/// A column's compiled transforms, in order; never empty.
#[derive(Clone, Debug)]
pub(crate) struct Transform {
    steps: Vec<Step>,
}

#[derive(Clone, Debug)]
enum Step {
    Upper,
    Lower,
    Title,
    Digits,
    Collapse,
    Date(Box<DateStep>),
}

/// A date read with the first of `read` that reads it, written with `write`.
#[derive(Clone, Debug)]
struct DateStep {
    /// `write`'s own pattern first (a value already rewritten stays as it is), then `from`,
    /// then ISO 8601 (a spreadsheet's date cell).
    read: Vec<TemporalFormat>,
    write: TemporalFormat,
}

/// Two buffers the steps write into in turn, reused from cell to cell.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    a: String,
    b: String,
}

/// A field of the column (`transform[1]`) and what is wrong with it.
pub(super) type FieldError = (String, String);

impl Transform {
    /// Compiles a column's `transform` for a column of type `kind`; `None` for no field.
    pub(super) fn compile(raw: Option<&[RawStep]>, kind: TypeName) -> Result<Option<Transform>, FieldError> {
        let Some(raw) = raw else { return Ok(None) };
        if raw.is_empty() {
            return Err((
                "transform".to_owned(),
                "must list at least one transform, or be left out".to_owned(),
            ));
        }
        let mut steps = Vec::with_capacity(raw.len());
        for (i, step) in raw.iter().enumerate() {
            let field = format!("transform[{i}]");
            applies(step, kind).map_err(|reason| (field.clone(), reason))?;
            fits_beside(step, raw.get(..i).unwrap_or_default(), raw.len()).map_err(|r| (field.clone(), r))?;
            steps.push(Step::compile(step, &field)?);
        }
        Ok(Some(Transform { steps }))
    }

    /// `value` transformed: `value` itself when no step changes it, otherwise the result in
    /// one of `buffers`. A date that does not read fails as a date column's would.
    pub(crate) fn apply<'v>(&self, value: &'v str, buffers: &'v mut Buffers) -> Result<&'v str, Failure> {
        let Buffers { a, b } = buffers;
        // Where the value is now: the input (None), `a` or `b`.
        let mut at: Option<bool> = None;
        for step in &self.steps {
            let (from, to, into_b) = match at {
                None => (value, &mut *a, false),
                Some(false) => (a.as_str(), &mut *b, true),
                Some(true) => (b.as_str(), &mut *a, false),
            };
            to.clear();
            if step.run(from, to)? {
                at = Some(into_b);
            }
        }
        Ok(match at {
            None => value,
            Some(false) => a.as_str(),
            Some(true) => b.as_str(),
        })
    }

    /// The message of `failure` when it is the transform's own (a date it cannot read).
    pub(crate) fn message(&self, failure: Failure) -> Option<String> {
        let formats = self.own(failure)?;
        Some(super::messages::temporal_message(TemporalKind::Date, formats, failure))
    }

    /// The facts of [`Transform::message`].
    pub(crate) fn params(&self, failure: Failure) -> Option<Params> {
        let formats = self.own(failure)?;
        Some(super::messages::temporal_params(TemporalKind::Date, formats, failure))
    }

    /// The formats of the date rewrite, when `failure` is one it gives. Its codes are a date
    /// column's, and a date rewrite is refused on date columns, so they cannot be the check's.
    fn own(&self, failure: Failure) -> Option<&[TemporalFormat]> {
        if !matches!(failure, Failure::InvalidDate | Failure::DateDoesNotExist) {
            return None;
        }
        self.steps.iter().find_map(|step| match step {
            Step::Date(date) => Some(date.read.as_slice()),
            _ => None,
        })
    }

    /// The pattern a template's example date is written with: the first format the date
    /// rewrite reads from the file, else the one it writes.
    pub(crate) fn example_date(&self) -> Option<&TemporalFormat> {
        self.steps.iter().find_map(|step| match step {
            // `read` is the output pattern, then `from`, then ISO.
            Step::Date(date) => date.read.get(1).filter(|_| date.read.len() > 2).or(Some(&date.write)),
            _ => None,
        })
    }

    /// Whether the column ends up holding ASCII digits only.
    pub(crate) fn keeps_digits(&self) -> bool {
        self.steps.iter().any(|step| matches!(step, Step::Digits))
    }
}

/// Whether `step` applies to a column of type `kind`: transforms are for values delivered as
/// written (text, regex); the other types have a canonical form of their own, except that an
/// email column may also be lowercased whole (its canonical form lowercases only the domain).
fn applies(step: &RawStep, kind: TypeName) -> Result<(), String> {
    match (kind, step) {
        (TypeName::Text | TypeName::Regex, _) | (TypeName::Email, RawStep::Lower) => Ok(()),
        (TypeName::Date | TypeName::Datetime | TypeName::Time, RawStep::Date { .. }) => {
            Err("does not apply to a date, datetime or time column, which reads its own `formats` and \
             delivers ISO 8601: list the formats read there, or make the column type text to \
             deliver another format"
                .to_owned())
        }
        _ => Err(format!(
            "{:?} does not apply to this column's type, which delivers a canonical form of its own: \
             transforms apply to text and regex columns (and \"lower\" to email columns)",
            step.name()
        )),
    }
}

/// Whether `step` may follow `before` in a list of `count` steps: one case, each step once,
/// and a date rewrite alone.
fn fits_beside(step: &RawStep, before: &[RawStep], count: usize) -> Result<(), String> {
    let is_case = |s: &RawStep| matches!(s, RawStep::Upper | RawStep::Lower | RawStep::Title);
    if matches!(step, RawStep::Date { .. }) && count > 1 {
        return Err("a date transform stands alone: it already reads month names in any case and a \
                    run of spaces as one; remove the other transforms"
            .to_owned());
    }
    if let Some(case) = before.iter().find(|s| is_case(s)).filter(|_| is_case(step)) {
        return Err(format!("a column takes one case, and {:?} is already given: keep one", case.name()));
    }
    if before.contains(step) {
        return Err(format!("{:?} is given twice: keep one", step.name()));
    }
    Ok(())
}

impl Step {
    fn compile(raw: &RawStep, field: &str) -> Result<Step, FieldError> {
        Ok(match raw {
            RawStep::Upper => Step::Upper,
            RawStep::Lower => Step::Lower,
            RawStep::Title => Step::Title,
            RawStep::Digits => Step::Digits,
            RawStep::Collapse => Step::Collapse,
            RawStep::Date { to, from } => {
                Step::Date(Box::new(DateStep::compile(to, from.as_deref(), field)?))
            }
        })
    }

    /// Writes `from` transformed into `to` (empty) and returns true, or returns false when the
    /// step would not change it (`to` is then left empty).
    fn run(&self, from: &str, to: &mut String) -> Result<bool, Failure> {
        match self {
            Step::Date(date) => date.run(from, to),
            _ if from.is_ascii() => Ok(self.run_ascii(from, to)),
            _ => Ok(self.run_chars(from, to)),
        }
    }

    /// [`Step::run`] on ASCII text, what [`Step::run_chars`] does on it: whether anything
    /// changes is asked of all the bytes at once (folds without an early exit, which the
    /// compiler vectorises), and only a value that changes is written.
    fn run_ascii(&self, from: &str, to: &mut String) -> bool {
        let bytes = from.as_bytes();
        let ascii = |b: &u8| char::from(*b);
        match self {
            Step::Upper if any_byte(bytes, u8::is_ascii_lowercase) => {
                to.push_str(from);
                to.make_ascii_uppercase();
            }
            Step::Lower if any_byte(bytes, u8::is_ascii_uppercase) => {
                to.push_str(from);
                to.make_ascii_lowercase();
            }
            Step::Title if !title_cased(bytes) => {
                let befores = std::iter::once(None).chain(bytes.iter().copied().map(Some));
                to.extend(befores.zip(bytes).map(|(before, &b)| char::from(title_byte(before, b))));
            }
            Step::Digits if any_byte(bytes, |b| !b.is_ascii_digit()) => {
                to.extend(bytes.iter().filter(|b| b.is_ascii_digit()).map(ascii));
            }
            Step::Collapse if !collapsed(bytes) => {
                let befores = std::iter::once(None).chain(bytes.iter().copied().map(Some));
                for (before, &b) in befores.zip(bytes) {
                    match is_space(b) {
                        true if before.is_some_and(is_space) => {}
                        true => to.push(' '),
                        false => to.push(char::from(b)),
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// [`Step::run`] on any text, char by char.
    fn run_chars(&self, from: &str, to: &mut String) -> bool {
        match self {
            Step::Upper => map_chars(
                from,
                to,
                |_, c| single(c.to_uppercase()) != Some(c),
                |_, c, to| {
                    to.extend(c.to_uppercase());
                },
            ),
            Step::Lower => map_chars(
                from,
                to,
                |_, c| single(c.to_lowercase()) != Some(c),
                |_, c, to| {
                    to.extend(c.to_lowercase());
                },
            ),
            Step::Title => map_chars(
                from,
                to,
                |before, c| title_case(before, c) != c,
                |before, c, to| {
                    to.push(title_case(before, c));
                },
            ),
            Step::Digits => map_chars(
                from,
                to,
                |_, c| !c.is_ascii_digit(),
                |_, c, to| {
                    if c.is_ascii_digit() {
                        to.push(c);
                    }
                },
            ),
            Step::Collapse => map_chars(from, to, collapses, |before, c, to| match c.is_whitespace() {
                true if before.is_some_and(char::is_whitespace) => {}
                true => to.push(' '),
                false => to.push(c),
            }),
            Step::Date(_) => false,
        }
    }
}

/// An ASCII byte in title case after `before` (see [`title_case`]).
fn title_byte(before: Option<u8>, b: u8) -> u8 {
    let in_word = |b: u8| b.is_ascii_alphanumeric() || b == b'\'';
    match before.is_some_and(in_word) {
        false => b.to_ascii_uppercase(),
        true => b.to_ascii_lowercase(),
    }
}

/// The ASCII whitespace of `char::is_whitespace` (with the vertical tab, unlike `u8`'s).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// Whether any of `bytes` is one `test` accepts, looking at every one.
fn any_byte(bytes: &[u8], test: impl Fn(&u8) -> bool) -> bool {
    bytes.iter().fold(false, |found, b| found | test(b))
}

/// Whether ASCII text is in title case already (see [`title_case`]).
fn title_cased(bytes: &[u8]) -> bool {
    let pairs = bytes.iter().zip(bytes.iter().skip(1));
    let first = bytes.first().is_none_or(|&b| title_byte(None, b) == b);
    first && !pairs.fold(false, |found, (&before, &b)| found | (title_byte(Some(before), b) != b))
}

/// Whether ASCII text has no whitespace but single spaces (see [`collapses`]).
fn collapsed(bytes: &[u8]) -> bool {
    let pairs = bytes.iter().zip(bytes.iter().skip(1));
    let doubled = pairs.fold(false, |found, (&a, &b)| found | (a == b' ' && b == b' '));
    !any_byte(bytes, |b| (b'\t'..=b'\r').contains(b)) && !doubled
}

/// Copies `from` into `to` through `write` from its first char that `changes` (each given the
/// char before it); returns false, writing nothing, when no char changes.
fn map_chars(
    from: &str,
    to: &mut String,
    changes: impl Fn(Option<char>, char) -> bool,
    write: impl Fn(Option<char>, char, &mut String),
) -> bool {
    let mut before = None;
    let first = from.char_indices().find(|&(_, c)| {
        let found = changes(before, c);
        before = Some(c);
        found
    });
    let Some((at, _)) = first else { return false };
    let (head, tail) = from.split_at(at);
    to.push_str(head);
    let mut before = head.chars().next_back();
    for c in tail.chars() {
        write(before, c, to);
        before = Some(c);
    }
    true
}

/// The one char a case mapping gives, if it gives exactly one.
fn single(mut mapped: impl Iterator<Item = char>) -> Option<char> {
    match (mapped.next(), mapped.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// Part of a word for `title`: letters, digits and apostrophes (`O'neil`, `it's`, `3rd`).
fn in_word(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '\u{2019}'
}

/// `c` in title case after `before`: upper case at the start of a word, lower case inside
/// one, as it is where the mapping would take more than one char (ß) or outside words.
fn title_case(before: Option<char>, c: char) -> char {
    let starts = !before.is_some_and(in_word);
    let mapped = match (in_word(c), starts) {
        (false, _) => None,
        (true, true) => single(c.to_uppercase()),
        (true, false) => single(c.to_lowercase()),
    };
    mapped.unwrap_or(c)
}

/// Whether `collapse` changes `c` after `before`: whitespace other than a space, or any
/// whitespace after whitespace.
fn collapses(before: Option<char>, c: char) -> bool {
    c.is_whitespace() && (c != ' ' || before.is_some_and(char::is_whitespace))
}

impl DateStep {
    fn compile(to: &str, from: Option<&[String]>, field: &str) -> Result<DateStep, FieldError> {
        let date = |pattern: &str, at: String| {
            TemporalFormat::compile(pattern, TemporalKind::Date).map_err(|e| (at, e.to_string()))
        };
        let write = date(to, format!("{field}.date"))?;
        refuse_lossy_or_iso(&write, &format!("{field}.date"))?;
        let mut read = vec![write.clone()];
        for (i, pattern) in from.unwrap_or_default().iter().enumerate() {
            let at = format!("{field}.from[{i}]");
            let format = date(pattern, at.clone())?;
            refuse_confusion(&write, &format, &at)?;
            read.push(format);
        }
        let iso = date("iso", format!("{field}.date"))?;
        refuse_confusion(&write, &iso, &format!("{field}.date"))?;
        read.push(iso);
        Ok(DateStep { read, write })
    }

    fn run(&self, from: &str, to: &mut String) -> Result<bool, Failure> {
        if !self.read.iter().any(|format| format.rewrite(from, &self.write, to)) {
            let shaped = self.read.iter().any(|format| format.has_shape(from));
            return Err(if shaped { Failure::DateDoesNotExist } else { Failure::InvalidDate });
        }
        Ok(to.as_str() != from)
    }
}

/// Refuses an output pattern that loses the century, or that writes ISO 8601, which a date
/// column already delivers.
fn refuse_lossy_or_iso(write: &TemporalFormat, field: &str) -> Result<(), FieldError> {
    let pattern = write.pattern();
    let short_year = pattern.contains("%y") || pattern.contains("%D");
    if short_year {
        let reason = "writes a two-digit year (%y or %D), which loses the century: write %Y";
        return Err((field.to_owned(), reason.to_owned()));
    }
    let mut written = String::new();
    write.write_example(&mut written);
    if written == "2024-12-31" {
        let reason = "writes ISO 8601 (YYYY-MM-DD), which a date column delivers: make the column \
                      type = \"date\" with these formats instead";
        return Err((field.to_owned(), reason.to_owned()));
    }
    Ok(())
}

/// Refuses a read pattern that reads some date as another one than the output pattern does:
/// such a value could not be told from one already rewritten.
fn refuse_confusion(write: &TemporalFormat, read: &TemporalFormat, field: &str) -> Result<(), FieldError> {
    let misread = write.misread_by(read).map(|(text, date)| (text, date, read.pattern(), write.pattern()));
    let misread = misread
        .or_else(|| read.misread_by(write).map(|(text, date)| (text, date, write.pattern(), read.pattern())));
    match misread {
        None => Ok(()),
        Some((text, date, reader, writer)) => Err((
            field.to_owned(),
            format!(
                "reads dates the transform writes as other dates ({text:?} written with {writer:?} \
                 reads as {date} with {reader:?}): write the output with a month name (%b) or the \
                 year first, or leave this format out"
            ),
        )),
    }
}

#[cfg(test)]
mod tests;
