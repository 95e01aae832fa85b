//! Configuration errors: what is wrong and where (file, line, column, field), collected all
//! together so that an operator fixes a file in one pass.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in the configuration.
///
/// Displays as `file:line:column: field: message`, the form editors and terminals link to;
/// `line` and `column` are left out when unknown (a value from the environment, an unreadable
/// file), and `field` when the problem belongs to no field (a TOML syntax error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the problem is in: the configuration file, or an importer's schema file.
    pub file: PathBuf,
    /// The line, counted from 1.
    pub line: Option<usize>,
    /// The column in characters, counted from 1.
    pub column: Option<usize>,
    /// The field, as a path (`importers[0].limits.max_file_size`), or the name of the
    /// environment variable the value came from (`SLUICE_LISTEN`).
    pub field: String,
    /// What is wrong and what to do about it. Never contains a secret.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Every problem found in one configuration, in the order of the file; never empty.
///
/// Displays one error per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigErrors {
    errors: Vec<ConfigError>,
}

impl ConfigErrors {
    /// The errors, in the order of the file (errors in schema files and in the environment
    /// come after those of the configuration file).
    pub fn as_slice(&self) -> &[ConfigError] {
        &self.errors
    }

    /// How many errors there are (at least one).
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// Always false: a `ConfigErrors` holds at least one error. Here for the `len` convention.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The errors, in the order of [`as_slice`](Self::as_slice).
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.errors.iter()
    }

    /// One error about a whole file, such as one that cannot be read.
    pub(super) fn file(file: &Path, message: String) -> Self {
        let error =
            ConfigError { file: file.to_owned(), line: None, column: None, field: String::new(), message };
        ConfigErrors { errors: vec![error] }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;

    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

/// Where a value came from: the field (or environment variable) that names it in messages and,
/// for a value of the configuration file, its span there. A default value carries the span of
/// the table it would have been written in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Place {
    /// The field path or the environment variable.
    pub(super) field: String,
    /// Byte offsets in the configuration text.
    pub(super) span: Option<Range<usize>>,
}

impl Place {
    /// A value of the environment variable `name`.
    pub(super) fn env(name: &str) -> Place {
        Place { field: name.to_owned(), span: None }
    }
}

/// A value and where it came from, kept until the checks that may need to point at it are done.
#[derive(Clone, Debug)]
pub(super) struct Located<T> {
    /// The value.
    pub(super) value: T,
    /// Where it came from.
    pub(super) place: Place,
}

impl<T> Located<T> {
    /// Pairs a value with its place.
    pub(super) fn new(value: T, place: Place) -> Self {
        Located { value, place }
    }
}

/// Collects the errors of one configuration while it is read and checked.
pub(super) struct Report<'t> {
    file: PathBuf,
    text: &'t str,
    errors: Vec<ConfigError>,
    weak: Vec<ConfigError>,
}

impl<'t> Report<'t> {
    /// A report on `text`, the contents of `file`.
    pub(super) fn new(file: &Path, text: &'t str) -> Self {
        Report { file: file.to_owned(), text, errors: Vec::new(), weak: Vec::new() }
    }

    /// Records an error about the value at `place` in the configuration file.
    pub(super) fn error(&mut self, place: &Place, message: impl Into<String>) {
        let error = self.at(place, message.into());
        self.errors.push(error);
    }

    /// Records a weak secret at `place`: not an error, but refused unless allowed.
    pub(super) fn weak(&mut self, place: &Place, message: String) {
        let weak = self.at(place, message);
        self.weak.push(weak);
    }

    /// The weak secrets recorded, in the order of the file.
    pub(super) fn take_weak(&mut self) -> Vec<ConfigError> {
        let mut weak = std::mem::take(&mut self.weak);
        weak.sort_by_key(|e| (e.line.is_none(), e.line, e.column));
        weak
    }

    /// A problem with the value at `place`.
    fn at(&self, place: &Place, message: String) -> ConfigError {
        let location = place.span.as_ref().and_then(|span| line_column(self.text, span.start));
        ConfigError {
            file: self.file.clone(),
            line: location.map(|(line, _)| line),
            column: location.map(|(_, column)| column),
            field: place.field.clone(),
            message,
        }
    }

    /// Records an error found in another file (a schema file), at a line and column if known.
    pub(super) fn in_file(
        &mut self,
        file: PathBuf,
        at: Option<(usize, usize)>,
        field: &str,
        message: String,
    ) {
        let (line, column) = (at.map(|(line, _)| line), at.map(|(_, column)| column));
        self.errors.push(ConfigError { file, line, column, field: field.to_owned(), message });
    }

    /// `value` when nothing was wrong, otherwise every error sorted by position.
    pub(super) fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.errors.is_empty() {
            return Ok(value);
        }
        let mut errors = self.errors;
        let file = self.file;
        errors.sort_by_key(|e| (e.file != file, e.line.is_none(), e.line, e.column));
        Err(ConfigErrors { errors })
    }
}

/// The line and the column (in characters), both from 1, of a byte offset in `text`.
fn line_column(text: &str, offset: usize) -> Option<(usize, usize)> {
    let before = text.get(..offset)?;
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some((line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(line: Option<usize>, column: Option<usize>, field: &str) -> ConfigError {
        let file = PathBuf::from("sluice.toml");
        ConfigError { file, line, column, field: field.into(), message: "is wrong".into() }
    }

    #[test]
    fn an_error_displays_as_file_line_column_field_message_leaving_out_what_is_unknown() {
        let cases = [
            (error(Some(14), Some(9), "server.listen"), "sluice.toml:14:9: server.listen: is wrong"),
            (error(Some(3), None, "server"), "sluice.toml:3: server: is wrong"),
            (error(None, None, "SLUICE_LISTEN"), "sluice.toml: SLUICE_LISTEN: is wrong"),
            (error(Some(2), Some(1), ""), "sluice.toml:2:1: is wrong"),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), expected);
        }
    }

    #[test]
    fn line_and_column_count_from_one_and_columns_count_characters() {
        let text = "a = 1\nnom = \"é\" x\n";
        let cases = [(0, Some((1, 1))), (4, Some((1, 5))), (6, Some((2, 1))), (17, Some((2, 11)))];
        for (offset, expected) in cases {
            assert_eq!(line_column(text, offset), expected, "offset {offset}");
        }
        assert_eq!(line_column(text, 100), None);
    }

    #[test]
    fn a_report_sorts_errors_by_file_then_line_and_puts_errors_without_a_line_last() {
        let text = "a = 1\nb = 2\nc = 3\n";
        let mut report = Report::new(Path::new("sluice.toml"), text);
        report.error(&Place::env("SLUICE_LISTEN"), "env");
        report.in_file(PathBuf::from("schema.toml"), Some((1, 1)), "importers[0].schema", "schema".into());
        report.error(&Place { field: "c".into(), span: Some(12..13) }, "third");
        report.error(&Place { field: "a".into(), span: Some(0..1) }, "first");
        let errors = report.finish(()).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.line)).collect();
        let expected =
            [("a", Some(1)), ("c", Some(3)), ("SLUICE_LISTEN", None), ("importers[0].schema", Some(1))];
        assert_eq!(fields, expected);
        assert_eq!(errors.to_string().lines().count(), 4);
    }
}
