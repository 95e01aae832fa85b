//! Validation of rows against a schema: mapping file columns to schema columns, applying the
//! user's fixes, checking every cell, uniqueness, and the canonical values that are shipped.

mod mapping;
mod params;
mod plan;
mod report;
pub(crate) mod unique;

pub use mapping::{MappedColumn, Mapping, MappingSpec, Unmapped};
pub use params::{Params, Shared};
pub use report::{CellError, Report};

use crate::error::ConfigError;
use crate::patch::{Patches, Rules};
use crate::reader::{CellKind, Row};
use crate::record::Problem;
use crate::schema::{Buffers, Column, Failure, Parsed, Schema, Transform};
use params::ParamsCache;
use plan::ColumnPlan;
use report::{Place, Tally};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use unique::{Seen, UniqueIndex};

/// Options for a [`Validator`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ValidateOptions {
    /// How many errors are kept in full (1,000); all are counted.
    pub max_errors: usize,
    /// How many distinct values (for integers: runs of consecutive values) a unique column
    /// remembers (10,000,000, about 16–40 bytes each); past it, uniqueness is no longer
    /// checked and the report says so.
    pub max_unique_values: usize,
    /// How many distinct invalid values of each enum or boolean column are listed, with their
    /// counts, for the user to map to allowed values (0, the default: none). They are the
    /// file's values: ask for them only where the file's own user sees them.
    pub max_invalid_values: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions { max_errors: 1000, max_unique_values: 10_000_000, max_invalid_values: 0 }
    }
}

/// Checks rows one by one and produces their canonical values.
pub struct Validator {
    schema: Schema,
    mapping: Mapping,
    header: Vec<String>,
    patches: Patches,
    rules: Rules,
    options: ValidateOptions,
    tally: Tally,
    plan: Vec<ColumnPlan>,
    /// Neither edits nor rules: every cell is the file's own.
    untouched: bool,
    unique: Vec<Option<UniqueIndex>>,
    unique_full: Vec<bool>,
    values: Values,
    scratch: String,
    /// Where transforms write a cell's value.
    buffers: Buffers,
    params: ParamsCache,
}

/// A checked row's values: schema columns in order, then kept columns, then extra fields.
#[derive(Clone, Debug, Default)]
pub struct Values {
    text: String,
    cells: Vec<(usize, usize, CellState)>,
}

/// One cell of a checked row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell<'a> {
    /// Empty, with no default.
    Null,
    /// A valid value in canonical form.
    Valid(&'a str),
    /// An invalid value as the user wrote it (trimmed when the column trims), or as the
    /// column's transforms made it when its check failed after them.
    Invalid(&'a str),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CellState {
    Null,
    Valid,
    Invalid,
}

/// A row after checking.
#[derive(Clone, Copy, Debug)]
pub struct CheckedRow<'a> {
    /// The data row number.
    pub number: u64,
    /// Whether no cell and nothing about the row's shape is wrong.
    pub valid: bool,
    /// The values.
    pub values: &'a Values,
}

impl Values {
    /// Values built from cells, as a batch reader or a test has them.
    pub fn from_cells<'c>(cells: impl IntoIterator<Item = Cell<'c>>) -> Values {
        let mut values = Values::default();
        for cell in cells {
            match cell {
                Cell::Null => values.push("", CellState::Null),
                Cell::Valid(text) => values.push(text, CellState::Valid),
                Cell::Invalid(text) => values.push(text, CellState::Invalid),
            }
        }
        values
    }

    /// The cells, in output column order (extra fields last).
    pub fn cells(&self) -> impl Iterator<Item = Cell<'_>> + '_ {
        self.cells.iter().map(|&(start, end, state)| {
            let text = self.text.get(start..end).unwrap_or_default();
            match state {
                CellState::Null => Cell::Null,
                CellState::Valid => Cell::Valid(text),
                CellState::Invalid => Cell::Invalid(text),
            }
        })
    }

    /// Each cell's length in bytes, `None` for null, in output column order.
    pub(crate) fn cell_lengths(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        self.cells.iter().map(|&(start, end, state)| (state != CellState::Null).then_some(end - start))
    }

    /// The cells' bytes back to back, in output column order (nulls take none).
    pub(crate) fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// The number of cells.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether there are no cells.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    fn clear(&mut self) {
        self.text.clear();
        self.cells.clear();
    }

    fn push(&mut self, value: &str, state: CellState) {
        let start = self.text.len();
        self.text.push_str(value);
        self.cells.push((start, self.text.len(), state));
    }

    /// Closes a cell whose value was appended to `text` since `start`.
    fn close(&mut self, start: usize, state: CellState) {
        self.cells.push((start, self.text.len(), state));
    }
}

impl Validator {
    /// A validator for a file with these header names.
    pub fn new(
        schema: &Schema,
        header: &[String],
        mapping: &MappingSpec,
        patches: Patches,
        options: ValidateOptions,
    ) -> Result<Validator, ConfigError> {
        let mapping = Mapping::resolve(schema, header, mapping)?;
        let keys: Vec<&str> = schema.columns().iter().map(Column::key).collect();
        let rules = patches.compile(&keys)?;
        let unique: Vec<Option<UniqueIndex>> =
            schema.columns().iter().map(|c| c.unique().then(|| UniqueIndex::new(c.is_integer()))).collect();
        let columns = schema.columns().len() + mapping.kept.len();
        Ok(Validator {
            schema: schema.clone(),
            plan: ColumnPlan::all(schema.columns(), &mapping),
            untouched: patches.is_empty() && rules.is_empty(),
            unique_full: vec![false; unique.len()],
            unique,
            tally: Tally::new(columns, options.max_errors).listing_values(options.max_invalid_values),
            mapping,
            header: header.to_vec(),
            patches,
            rules,
            options,
            values: Values::default(),
            scratch: String::new(),
            buffers: Buffers::default(),
            params: ParamsCache::default(),
        })
    }

    /// The mapping in force.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// The output column names: schema keys, then kept header names.
    pub fn columns(&self) -> Vec<String> {
        let keys = self.schema.columns().iter().map(|c| c.key().to_owned());
        keys.chain(self.mapping.kept.iter().cloned()).collect()
    }

    /// Checks one row; `None` when a patch deletes it.
    pub fn check(&mut self, row: &Row<'_>) -> Option<CheckedRow<'_>> {
        let number = row.number();
        if self.patches.deleted(number) {
            self.tally.deleted();
            return None;
        }
        self.values.clear();
        let errors_before = self.tally_count();
        // The plans are read, and transforms write into the buffers, while the validator's state
        // changes; taking them out costs nothing.
        let plan = std::mem::take(&mut self.plan);
        let mut buffers = std::mem::take(&mut self.buffers);
        for (index, column) in plan.iter().enumerate() {
            self.schema_cell(row, index, column, &mut buffers);
        }
        self.plan = plan;
        self.buffers = buffers;
        self.kept_cells(row);
        self.problems(row);
        let valid = self.tally_count() == errors_before;
        self.tally.row(valid);
        Some(CheckedRow { number, valid, values: &self.values })
    }

    /// Rows checked and errors found so far, cheaply (for progress).
    pub fn counts(&self) -> (u64, u64) {
        self.tally.counts()
    }

    /// The report so far.
    pub fn report(&self) -> Report {
        let mut report = self.tally.report(&self.columns());
        report.rule_hits = self.rules.hits().to_vec();
        report
    }

    fn tally_count(&self) -> u64 {
        self.tally.report_count()
    }

    fn schema_cell(&mut self, row: &Row<'_>, index: usize, column: &ColumnPlan, buffers: &mut Buffers) {
        let source = column.source;
        let (fixed, kind) = match self.untouched {
            true => (None, source.map_or(CellKind::Text, |s| row.kind(s))),
            false => self.fixed_value(row, index, source),
        };
        let raw = fixed.as_deref().or_else(|| source.and_then(|s| row.get(s))).unwrap_or("");
        let value = if column.trims { trim(raw) } else { raw };
        if kind == CellKind::Error {
            self.values.push("", CellState::Invalid);
            return;
        }
        let value = match &column.transform {
            None => value,
            Some(transform) => match transformed(transform, value, buffers) {
                Ok(transformed) => transformed,
                Err(failure) => return self.invalid_cell(row, index, column, value, failure),
            },
        };
        self.value_cell(row, index, column, kind, value);
    }

    /// Checks a cell's value, trimmed and transformed, and records it.
    #[inline]
    fn value_cell(&mut self, row: &Row<'_>, index: usize, column: &ColumnPlan, kind: CellKind, value: &str) {
        if value.is_empty() {
            self.empty_cell(row, index, column);
            return;
        }
        // A date cell (a timestamp at midnight looks the same) is midnight in a datetime column.
        let midnight;
        let value = match kind == CellKind::Date && column.datetime {
            true => {
                midnight = format!("{value}T00:00:00");
                midnight.as_str()
            }
            false => value,
        };
        let start = self.values.text.len();
        // Only a workbook has typed cells: without the spreadsheet reader the canonical checks
        // stay out of the CSV WebAssembly module.
        let checked = match cfg!(feature = "spreadsheets") && kind.is_typed() {
            true => column.check.run_canonical(value, &mut self.values.text, &mut self.scratch),
            false => column.run(value, &mut self.values.text, &mut self.scratch),
        };
        match checked {
            Ok(parsed) => {
                self.values.close(start, CellState::Valid);
                if column.unique {
                    self.check_unique(row, index, parsed);
                }
            }
            Err(failure) => {
                self.values.text.truncate(start);
                self.invalid_cell(row, index, column, value, failure);
            }
        }
    }

    /// Records a value that failed its column's check (kept as written, for the user to fix).
    #[cold]
    #[inline(never)]
    fn invalid_cell(
        &mut self,
        row: &Row<'_>,
        index: usize,
        column: &ColumnPlan,
        value: &str,
        failure: Failure,
    ) {
        self.values.push(value, CellState::Invalid);
        let schema = self.schema.clone();
        let key = key(&schema, index);
        let place = Place::cell(row, column.source, index, key);
        let params = || self.params.get(index, failure, || column.params(failure));
        self.tally.error(&place, failure.code(), || column.message(failure), params);
        if column.lists_values {
            self.tally.invalid_value(key, value);
        }
    }

    /// The cell's value when a fix gives it one: the user's edit, else the file's value after
    /// the rules; with the kind of cell it is read as. A spreadsheet cell's own value keeps its
    /// kind (an error is reported once, as the row's problem; a typed value is in canonical
    /// form); a fixed value is text, and an error cell is left to the user's edit.
    fn fixed_value(
        &mut self,
        row: &Row<'_>,
        index: usize,
        source: Option<usize>,
    ) -> (Option<String>, CellKind) {
        let schema = self.schema.clone();
        if let Some(value) = self.patched(row.number(), key(&schema, index)) {
            return (Some(value), CellKind::Text);
        }
        let kind = source.map_or(CellKind::Text, |s| row.kind(s));
        if self.rules.is_empty() || kind == CellKind::Error {
            return (None, kind);
        }
        let file = source.and_then(|s| row.get(s)).unwrap_or("");
        match self.rules.apply(index, file) {
            Some(value) => (Some(value), CellKind::Text),
            None => (None, kind),
        }
    }

    /// The user's fix for a cell, if any (counted as applied). Copied, because fixes are few
    /// and the row is checked while the validator changes.
    fn patched(&mut self, row: u64, key: &str) -> Option<String> {
        if self.patches.is_empty() {
            return None;
        }
        let value = self.patches.row(row).and_then(|cells| cells.get(key))?.clone();
        self.tally.patched();
        Some(value)
    }

    fn empty_cell(&mut self, row: &Row<'_>, index: usize, column: &ColumnPlan) {
        match &column.default {
            Some(default) => self.values.push(default, CellState::Valid),
            None => {
                self.values.push("", CellState::Null);
                if column.required {
                    let place = Place::cell(row, column.source, index, key(&self.schema, index));
                    let params = || self.params.empty();
                    self.tally.error(&place, "required", || "is required".to_owned(), params);
                }
            }
        }
    }

    fn check_unique(&mut self, row: &Row<'_>, index: usize, parsed: Parsed) {
        let Some(Some(seen)) = self.unique.get_mut(index) else { return };
        let Some(&(start, end, _)) = self.values.cells.last() else { return };
        let value = self.values.text.get(start..end).unwrap_or_default();
        match seen.insert(value, parsed, self.options.max_unique_values) {
            Seen::New => {}
            Seen::Before => {
                if let Some(cell) = self.values.cells.last_mut() {
                    cell.2 = CellState::Invalid;
                }
                let source = self.plan_source(index);
                let place = Place::cell(row, source, index, key(&self.schema, index));
                let message = || "must be unique: the same value is in an earlier row".to_owned();
                self.tally.error(&place, "duplicate", message, || self.params.empty());
            }
            Seen::Full => self.unique_full_once(index),
        }
    }

    /// The file field feeding schema column `index` (read from the mapping: the plans are out
    /// of the validator while a row is checked).
    fn plan_source(&self, index: usize) -> Option<usize> {
        self.mapping.columns.get(index).and_then(|m| m.source)
    }

    fn unique_full_once(&mut self, index: usize) {
        if self.unique_full.get(index).copied().unwrap_or(true) {
            return;
        }
        self.unique_full[index] = true;
        let key = self.schema.columns().get(index).map(Column::key).unwrap_or_default();
        let limit = self.options.max_unique_values;
        self.tally.warn(format!(
            "uniqueness of column {key:?} was checked for the first {limit} distinct values only \
             (raise maxUniqueValues to check more)"
        ));
    }

    fn kept_cells(&mut self, row: &Row<'_>) {
        for &i in &self.mapping.kept_indexes {
            let value = row.get(i).unwrap_or("");
            self.values.push(value, if value.is_empty() { CellState::Null } else { CellState::Valid });
        }
        if self.mapping.keep_extra_fields {
            for value in row.fields().skip(self.header.len()) {
                self.values.push(value, CellState::Valid);
            }
        }
    }

    /// Errors about the row's shape or bytes, named by the column of the field they concern.
    fn problems(&mut self, row: &Row<'_>) {
        for problem in row.problems() {
            let field = problem.field();
            let column = field.and_then(|f| self.output_column(f));
            if matches!(problem, Problem::FormulaError { .. }) && self.fixed(row.number(), column) {
                continue;
            }
            let name =
                field.map(|f| self.header.get(f).cloned().unwrap_or_else(|| format!("column_{}", f + 1)));
            let name =
                column.and_then(|c| self.schema.columns().get(c).map(|col| col.key().to_owned())).or(name);
            let at = field.and_then(|f| row.field_position(f)).unwrap_or(row.position());
            let cell = field.and_then(|f| row.cell(f)).map(|c| c.to_string());
            let place = Place { row: row.number(), at, column, name: name.as_deref(), cell };
            let params = || Arc::new(Params::of_problem(problem));
            self.tally.error(&place, problem.code(), || problem.to_string(), params);
        }
    }

    /// Whether the user typed a value for output column `column` of row `row`.
    fn fixed(&self, row: u64, column: Option<usize>) -> bool {
        let key = column.and_then(|c| self.schema.columns().get(c)).map(Column::key);
        key.is_some_and(|key| self.patches.row(row).is_some_and(|cells| cells.contains_key(key)))
    }

    /// The output column fed by file field `field`.
    fn output_column(&self, field: usize) -> Option<usize> {
        let schema = self.mapping.columns.iter().position(|m| m.source == Some(field));
        let kept = || {
            self.mapping.kept_indexes.iter().position(|&k| k == field).map(|k| k + self.mapping.columns.len())
        };
        schema.or_else(kept)
    }
}

/// The key of schema column `index`.
fn key(schema: &Schema, index: usize) -> &str {
    schema.columns().get(index).map(Column::key).unwrap_or_default()
}

/// `value` transformed. Out of line and marked cold so that the row loop is laid out for
/// columns without transforms, which then cost one test of an `Option` per cell.
#[cold]
#[inline(never)]
fn transformed<'v>(
    transform: &Transform,
    value: &'v str,
    buffers: &'v mut Buffers,
) -> Result<&'v str, Failure> {
    transform.apply(value, buffers)
}

/// The string without surrounding whitespace, quickly when there is none.
fn trim(value: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii() && !b.is_ascii_whitespace());
    let bytes = value.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) { value } else { value.trim() }
}

#[cfg(test)]
mod tests;
