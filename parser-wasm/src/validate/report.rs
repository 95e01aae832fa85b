//! What validation found: every error in full up to a limit, and counts of all of them by
//! column and by code, so memory stays bounded however bad the file is.

use super::params::Shared;
use crate::position::Position;
use serde::Serialize;
use std::collections::BTreeMap;

/// One error in one cell (or one row when `column` is `None`).
///
/// Messages say what is expected and never contain the cell's value, so errors can be logged
/// and stored without leaking data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CellError {
    /// The data row number (1 = the first row after the header).
    pub row: u64,
    /// The line the cell starts on.
    pub line: u64,
    /// The byte offset in the original file where the cell starts (0 in a spreadsheet).
    pub byte: u64,
    /// The spreadsheet cell, such as `Sheet1!C12` (absent for a text file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// The column: a schema key, a kept header name, or `column_N` for a field past the header.
    pub column: Option<String>,
    /// A stable code such as `required`, `not_an_integer` or `unterminated_quote`.
    pub code: &'static str,
    /// What is wrong and what is expected, in English.
    pub message: String,
    /// The facts `message` is built from, to say it in another language (which code carries
    /// which: `error-codes.json`); shared by the errors of one column and code.
    pub params: Shared,
}

/// The outcome of validating a file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Data rows read.
    pub rows: u64,
    /// Rows without errors.
    pub valid_rows: u64,
    /// Rows with at least one error.
    pub invalid_rows: u64,
    /// Rows left out by a patch.
    pub deleted_rows: u64,
    /// Cells whose value came from a patch.
    pub patched_cells: u64,
    /// Every error found, also those not kept in `errors`.
    pub error_count: u64,
    /// The first errors, in row order, in full.
    pub errors: Vec<CellError>,
    /// Whether more errors were found than `errors` holds.
    pub errors_truncated: bool,
    /// Error counts by column (`""` for errors about a whole row).
    pub errors_by_column: BTreeMap<String, u64>,
    /// Error counts by code.
    pub errors_by_code: BTreeMap<String, u64>,
    /// Things the user should know that are not errors in a cell.
    pub warnings: Vec<String>,
    /// How many cells each of the patches' rules changed, in rule order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_hits: Vec<u64>,
    /// Enum and boolean columns' distinct invalid values with their counts (column key → value
    /// → count), up to `maxInvalidValues` values a column; only when asked for.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub invalid_values: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Collects errors as they are found.
#[derive(Debug)]
pub(crate) struct Tally {
    report: Report,
    max_errors: usize,
    by_column: Vec<u64>,
    by_code: BTreeMap<&'static str, u64>,
    max_invalid_values: usize,
}

/// Where an error is and which column it names.
pub(crate) struct Place<'a> {
    pub(crate) row: u64,
    pub(crate) at: Position,
    /// Index into the output columns, `None` for the whole row.
    pub(crate) column: Option<usize>,
    pub(crate) name: Option<&'a str>,
    /// The spreadsheet cell, for a spreadsheet's row.
    pub(crate) cell: Option<String>,
}

impl<'a> Place<'a> {
    /// The place of a schema column's cell fed by file field `source`.
    pub(crate) fn cell(
        row: &crate::reader::Row<'_>,
        source: Option<usize>,
        column: usize,
        name: &'a str,
    ) -> Self {
        let at = source.and_then(|s| row.field_position(s)).unwrap_or(row.position());
        let cell = source.and_then(|s| row.cell(s)).map(|c| c.to_string());
        Place { row: row.number(), at, column: Some(column), name: Some(name), cell }
    }
}

impl Tally {
    pub(crate) fn new(columns: usize, max_errors: usize) -> Self {
        Tally {
            report: Report::default(),
            max_errors,
            by_column: vec![0; columns + 1],
            by_code: BTreeMap::new(),
            max_invalid_values: 0,
        }
    }

    /// Lists up to `max` distinct invalid values a column (see [`Tally::invalid_value`]).
    pub(crate) fn listing_values(mut self, max: usize) -> Self {
        self.max_invalid_values = max;
        self
    }

    /// Counts an invalid value of column `key`, while the column lists fewer than the maximum
    /// (a value listed already is always counted).
    pub(crate) fn invalid_value(&mut self, key: &str, value: &str) {
        if self.max_invalid_values == 0 {
            return;
        }
        let max = self.max_invalid_values;
        let listed = self.report.invalid_values.entry(key.to_owned()).or_default();
        let room = listed.len() < max;
        match listed.get_mut(value) {
            Some(n) => *n += 1,
            None if room => {
                listed.insert(value.to_owned(), 1);
            }
            None => {}
        }
    }

    /// Counts an error; `message` and `params` are only called while errors are still kept in
    /// full.
    pub(crate) fn error(
        &mut self,
        place: &Place<'_>,
        code: &'static str,
        message: impl FnOnce() -> String,
        params: impl FnOnce() -> Shared,
    ) {
        self.report.error_count += 1;
        *self.by_code.entry(code).or_insert(0) += 1;
        let slot = place.column.map_or(0, |c| c + 1);
        if let Some(n) = self.by_column.get_mut(slot) {
            *n += 1;
        }
        if self.report.errors.len() < self.max_errors {
            self.report.errors.push(CellError {
                row: place.row,
                line: place.at.line,
                byte: place.at.byte,
                cell: place.cell.clone(),
                column: place.name.map(str::to_owned),
                code,
                message: message(),
                params: params(),
            });
        } else {
            self.report.errors_truncated = true;
        }
    }

    /// Rows counted and errors found so far.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (self.report.rows, self.report.error_count)
    }

    /// Errors found so far.
    pub(crate) fn report_count(&self) -> u64 {
        self.report.error_count
    }

    pub(crate) fn row(&mut self, valid: bool) {
        self.report.rows += 1;
        if valid {
            self.report.valid_rows += 1;
        } else {
            self.report.invalid_rows += 1;
        }
    }

    pub(crate) fn deleted(&mut self) {
        self.report.deleted_rows += 1;
    }

    pub(crate) fn patched(&mut self) {
        self.report.patched_cells += 1;
    }

    pub(crate) fn warn(&mut self, warning: String) {
        self.report.warnings.push(warning);
    }

    /// The report, with counts named by `columns` (the output column names, in order).
    pub(crate) fn report(&self, columns: &[String]) -> Report {
        let mut report = self.report.clone();
        let names = std::iter::once("").chain(columns.iter().map(String::as_str));
        report.errors_by_column = names
            .zip(&self.by_column)
            .filter(|(_, n)| **n > 0)
            .map(|(name, n)| (name.to_owned(), *n))
            .collect();
        report.errors_by_code = self.by_code.iter().map(|(code, n)| ((*code).to_owned(), *n)).collect();
        report
    }
}
