//! Reading the spanned TOML tree: typed values paired with their field path and span, wrong
//! types and unknown fields reported where they are written. Reading goes on after an error, so
//! that one pass finds every problem.

use super::error::{Located, Place, Report};
use super::units::{self, ByteSize};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One table of the file (or a table that was left out, whose fields all take their default),
/// with the path that names its fields in messages.
pub(super) struct Table<'a> {
    entries: Option<&'a DeTable<'a>>,
    path: String,
    span: Range<usize>,
}

impl<'a> Table<'a> {
    /// The document's root table; reports keys not in `known`.
    pub(super) fn root(root: &'a Spanned<DeTable<'a>>, known: &[&str], report: &mut Report<'_>) -> Self {
        Table::checked(root.get_ref(), String::new(), root.span(), known, report)
    }

    /// A table that is present, after reporting its keys that are not in `known`.
    fn checked(
        entries: &'a DeTable<'a>,
        path: String,
        span: Range<usize>,
        known: &[&str],
        report: &mut Report<'_>,
    ) -> Self {
        for key in entries.keys() {
            if !known.contains(&key.get_ref().as_ref()) {
                let place = Place { field: join(&path, key.get_ref()), span: Some(key.span()) };
                report.error(&place, format!("unknown field; expected one of: {}", known.join(", ")));
            }
        }
        Table { entries: Some(entries), path, span }
    }

    /// Whether the table is written in the file.
    pub(super) fn is_present(&self) -> bool {
        self.entries.is_some()
    }

    /// The place of the table itself: its header, or its parent's when it was left out.
    pub(super) fn own_place(&self) -> Place {
        Place { field: self.path.clone(), span: Some(self.span.clone()) }
    }

    /// The place of `key`: its value, or the table when it was left out.
    pub(super) fn place(&self, key: &str) -> Place {
        let span = self.node(key).map_or_else(|| self.span.clone(), Spanned::span);
        Place { field: join(&self.path, key), span: Some(span) }
    }

    /// `value`, placed where `key` would be written: a default.
    pub(super) fn default<T>(&self, key: &str, value: T) -> Located<T> {
        Located::new(value, self.place(key))
    }

    /// The value of `key`, if written.
    pub(super) fn node(&self, key: &str) -> Option<&'a Spanned<DeValue<'a>>> {
        self.entries?.get(key)
    }

    /// Reports `key` as missing unless it is written; says whether it is.
    pub(super) fn require(&self, key: &str, example: &str, report: &mut Report<'_>) -> bool {
        let present = self.node(key).is_some();
        if !present {
            report.error(&self.place(key), format!("is missing: add {key} = {example}"));
        }
        present
    }

    /// A value of `key` converted by `convert`, which names the TOML type it expected when it
    /// returns `None`; the conversion's own errors are reported at the value.
    fn typed<T>(
        &self,
        key: &str,
        expected: &str,
        report: &mut Report<'_>,
        convert: impl FnOnce(&DeValue<'a>) -> Option<Result<T, String>>,
    ) -> Option<Located<T>> {
        let node = self.node(key)?;
        let place = self.place(key);
        match convert(node.get_ref()) {
            Some(Ok(value)) => Some(Located::new(value, place)),
            Some(Err(message)) => {
                report.error(&place, message);
                None
            }
            None => {
                report.error(&place, found(expected, node.get_ref()));
                None
            }
        }
    }

    /// A string parsed by `parse`.
    pub(super) fn parsed<T>(
        &self,
        key: &str,
        expected: &str,
        report: &mut Report<'_>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<Located<T>> {
        self.typed(key, expected, report, |value| value.as_str().map(parse))
    }

    /// A string that is not empty.
    pub(super) fn string(&self, key: &str, report: &mut Report<'_>) -> Option<Located<String>> {
        self.parsed(key, "expected a string", report, |text| match text.trim() {
            "" => Err("must not be empty".to_owned()),
            _ => Ok(text.to_owned()),
        })
    }

    /// A boolean.
    pub(super) fn boolean(&self, key: &str, report: &mut Report<'_>) -> Option<Located<bool>> {
        self.typed(key, "expected true or false", report, |value| value.as_bool().map(Ok))
    }

    /// An integer that is not negative.
    pub(super) fn unsigned(&self, key: &str, report: &mut Report<'_>) -> Option<Located<u64>> {
        self.typed(key, "expected a whole number", report, |value| {
            let integer = value.as_integer()?;
            Some(
                u64::from_str_radix(integer.as_str(), integer.radix())
                    .map_err(|_| "must be a whole number from 0 to 18446744073709551615".to_owned()),
            )
        })
    }

    /// A duration such as `"30s"`.
    pub(super) fn duration(&self, key: &str, report: &mut Report<'_>) -> Option<Located<Duration>> {
        self.parsed(key, units::duration_expected(), report, units::parse_duration)
    }

    /// A size such as `"10MB"`, or a number of bytes written as an integer.
    pub(super) fn size(&self, key: &str, report: &mut Report<'_>) -> Option<Located<ByteSize>> {
        self.typed(key, ByteSize::expected(), report, |value| match value {
            DeValue::String(text) => Some(ByteSize::parse(text)),
            DeValue::Integer(integer) => Some(
                u64::from_str_radix(integer.as_str(), integer.radix())
                    .map(ByteSize)
                    .map_err(|_| ByteSize::expected().to_owned()),
            ),
            _ => None,
        })
    }

    /// A path, relative to `base` unless absolute.
    pub(super) fn path(&self, key: &str, base: &Path, report: &mut Report<'_>) -> Option<Located<PathBuf>> {
        self.parsed(key, "expected a path", report, |text| resolve_path(text, base))
    }

    /// An array of strings, each parsed by `parse` and placed at its own index; `None` when any
    /// item is wrong.
    pub(super) fn strings<T>(
        &self,
        key: &str,
        report: &mut Report<'_>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Vec<Located<T>>> {
        let items = self.array(key, "expected an array of strings", report)?;
        let parsed = items.map(|(place, item)| {
            let value = match item.get_ref().as_str() {
                Some(text) => parse(text),
                None => Err(found("expected a string", item.get_ref())),
            };
            value
                .map_err(|message| report.error(&place, message))
                .ok()
                .map(|value| Located::new(value, place))
        });
        // Collecting every item first reports every bad one, not only the first.
        parsed.collect::<Vec<_>>().into_iter().collect()
    }

    /// The table under `key`, present or not; reports keys not in `known` and a value that is
    /// not a table.
    pub(super) fn table(&self, key: &str, known: &[&str], report: &mut Report<'_>) -> Table<'a> {
        let path = join(&self.path, key);
        match self.node(key) {
            Some(node) => match node.get_ref().as_table() {
                Some(entries) => Table::checked(entries, path, node.span(), known, report),
                None => {
                    report.error(
                        &self.place(key),
                        found(&format!("expected a table ([{path}])"), node.get_ref()),
                    );
                    Table { entries: None, path, span: node.span() }
                }
            },
            None => Table { entries: None, path, span: self.span.clone() },
        }
    }

    /// The tables of the array of tables under `key` (`[[key]]`), each named by its index.
    pub(super) fn tables(&self, key: &str, known: &[&str], report: &mut Report<'_>) -> Vec<Table<'a>> {
        let expected = format!("expected an array of tables ([[{}]])", join(&self.path, key));
        let Some(items) = self.array(key, &expected, report) else { return Vec::new() };
        let tables = items.filter_map(|(place, item)| match item.get_ref().as_table() {
            Some(entries) => Some(Table::checked(entries, place.field, item.span(), known, report)),
            None => {
                report.error(&place, found(&expected, item.get_ref()));
                None
            }
        });
        tables.collect()
    }

    /// The items of the array under `key`, each with its place.
    fn array(
        &self,
        key: &str,
        expected: &str,
        report: &mut Report<'_>,
    ) -> Option<impl Iterator<Item = (Place, &'a Spanned<DeValue<'a>>)> + use<'a>> {
        let node = self.node(key)?;
        let Some(items) = node.get_ref().as_array() else {
            report.error(&self.place(key), found(expected, node.get_ref()));
            return None;
        };
        let field = join(&self.path, key);
        let place = move |(i, item): (usize, &'a Spanned<DeValue<'a>>)| {
            (Place { field: format!("{field}[{i}]"), span: Some(item.span()) }, item)
        };
        Some(items.iter().enumerate().map(place))
    }
}

/// A value that must be greater than zero (limits, timeouts); reports it when it is zero.
pub(super) fn nonzero<T: Default + PartialEq>(
    value: Option<Located<T>>,
    report: &mut Report<'_>,
) -> Option<T> {
    let value = value?;
    if value.value == T::default() {
        report.error(&value.place, "must be greater than 0");
        return None;
    }
    Some(value.value)
}

/// A path relative to `base` unless absolute; an empty path is refused.
pub(super) fn resolve_path(text: &str, base: &Path) -> Result<PathBuf, String> {
    match text.trim() {
        "" => Err("must not be empty: expected a path".to_owned()),
        _ => Ok(base.join(text)),
    }
}

/// `parent.key`, or `key` at the root.
fn join(parent: &str, key: &str) -> String {
    match parent {
        "" => key.to_owned(),
        _ => format!("{parent}.{key}"),
    }
}

/// The message for a value of the wrong type.
pub(super) fn found(expected: &str, value: &DeValue<'_>) -> String {
    let kind = value.type_str();
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{expected}, found {article} {kind}")
}
