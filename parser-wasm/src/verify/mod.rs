//! Checking batches where they arrive: the server trusts nothing the browser did. A batch must
//! carry the importer's schema digest and columns, rows in increasing order, no U+0000 in any
//! cell, and every schema cell valid and in canonical form (its column's transforms, too, leave
//! it as it is); uniqueness holds across every batch one verifier sees.

use crate::batch::{Batch, BatchRow, ColumnKind};
use crate::schema::{Buffers, Column, Failure, Parsed, Schema};
use crate::validate::unique::{Seen, UniqueIndex};
use serde::Serialize;

mod across;
pub use across::{BatchSummary, UniqueCell, UniqueKey};

/// Most errors a verdict keeps in full (all are counted).
const MAX_ERRORS: usize = 1000;

/// Checks batches against one schema, remembering unique values across them.
pub struct Verifier {
    schema: Schema,
    unique: Vec<Option<UniqueIndex>>,
    max_unique_values: usize,
    last_row: Option<u64>,
    out: String,
    scratch: String,
    buffers: Buffers,
}

/// What checking a batch found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// Rows in the batch.
    pub rows: u32,
    /// Data row numbers of the rows with errors, in order.
    pub invalid_rows: Vec<u64>,
    /// Rows the sender itself marked as having errors.
    pub flagged_rows: u32,
    /// The first errors, in row order.
    pub errors: Vec<RowError>,
    /// Every error found.
    pub error_count: u64,
}

/// One error in a batch: where it is and what, never the value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    /// The data row number.
    pub row: u64,
    /// The schema column's key.
    pub column: String,
    /// A stable code (`required`, `not_an_integer`, `duplicate`, `not_canonical`, …).
    pub code: &'static str,
}

/// Which cells a pass checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cells {
    /// Every schema cell.
    All,
    /// Only the cells of unique columns, for uniqueness.
    Unique,
}

/// Why a batch cannot be checked at all.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The batch was made for another schema.
    SchemaDigest,
    /// Its columns are not the schema's (then kept ones).
    Columns,
    /// Its row numbers do not increase (`row` is the first out of order).
    RowOrder {
        /// The row number out of order.
        row: u64,
    },
    /// A cell holds U+0000, which no text file does: what a binary file read as text leaves
    /// (the parser refuses such files; this catches a client that does not).
    BinaryContent {
        /// The row number of the first such cell.
        row: u64,
        /// Its column: the schema key, `kept column N` or `extra field N` (never a name from
        /// the file, so the error can be logged).
        column: String,
    },
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerifyError::SchemaDigest => {
                f.write_str("the batch was made for another version of the importer's schema")
            }
            VerifyError::Columns => f.write_str("the batch's columns are not the importer's schema columns"),
            VerifyError::RowOrder { row } => write!(f, "row {row} comes after a row with a higher number"),
            VerifyError::BinaryContent { row, column } => write!(
                f,
                "row {row}, {column}: the cell holds a NUL character (U+0000), which no text file \
                 does; the rows come from a binary file, not a CSV file"
            ),
        }
    }
}

impl std::error::Error for VerifyError {}

impl Verifier {
    /// A verifier for batches checked against `schema`; `max_unique_values` bounds the memory
    /// of each unique column as in validation.
    pub fn new(schema: &Schema, max_unique_values: usize) -> Verifier {
        let unique =
            schema.columns().iter().map(|c| c.unique().then(|| UniqueIndex::new(c.is_integer()))).collect();
        Verifier {
            schema: schema.clone(),
            unique,
            max_unique_values,
            last_row: None,
            out: String::new(),
            scratch: String::new(),
            buffers: Buffers::default(),
        }
    }

    /// Checks one batch: its schema and columns, row order (also after the batches this verifier
    /// saw before), every schema cell, uniqueness.
    pub fn check(&mut self, batch: &Batch<'_>) -> Result<Verdict, VerifyError> {
        self.run(batch, Cells::All)
    }

    /// Checks only what spans batches, row order and uniqueness, in a batch whose cells were
    /// already checked on their own by [`Verifier::check`]: a second pass over an import's
    /// batches in order costs little more than reading them.
    pub fn check_across(&mut self, batch: &Batch<'_>) -> Result<Verdict, VerifyError> {
        self.run(batch, Cells::Unique)
    }

    fn run(&mut self, batch: &Batch<'_>, cells: Cells) -> Result<Verdict, VerifyError> {
        if batch.schema_digest != self.schema.digest() {
            return Err(VerifyError::SchemaDigest);
        }
        self.check_columns(batch)?;
        let schema = self.schema.clone();
        let checked: Vec<bool> = (0..schema.columns().len())
            .map(|i| cells == Cells::All || self.unique.get(i).is_some_and(Option::is_some))
            .collect();
        let mut verdict = Verdict { rows: batch.row_count, ..Verdict::default() };
        for row in batch.rows() {
            if self.last_row.is_some_and(|last| row.number <= last) {
                return Err(VerifyError::RowOrder { row: row.number });
            }
            self.last_row = Some(row.number);
            if cells == Cells::All {
                self.check_text(&row)?;
            }
            verdict.flagged_rows += u32::from(row.invalid);
            let before = verdict.error_count;
            for (index, (column, cell)) in schema.columns().iter().zip(&row.cells).enumerate() {
                if checked[index]
                    && let Some(code) = self.cell(index, column, *cell)
                {
                    verdict.error(row.number, column.key(), code);
                }
            }
            if verdict.error_count > before {
                verdict.invalid_rows.push(row.number);
            }
        }
        Ok(verdict)
    }

    /// Refuses a row with U+0000 in any cell, extra fields included.
    fn check_text(&self, row: &BatchRow<'_>) -> Result<(), VerifyError> {
        let has_nul = |cell: &Option<&str>| cell.is_some_and(|c| memchr::memchr(0, c.as_bytes()).is_some());
        let schema_columns = self.schema.columns().len();
        let column = match row.cells.iter().position(has_nul) {
            Some(i) => match self.schema.columns().get(i) {
                Some(c) => c.key().to_owned(),
                None => format!("kept column {}", i - schema_columns + 1),
            },
            None => match row.extras.iter().position(has_nul) {
                Some(i) => format!("extra field {}", i + 1),
                None => return Ok(()),
            },
        };
        Err(VerifyError::BinaryContent { row: row.number, column })
    }

    fn check_columns(&self, batch: &Batch<'_>) -> Result<(), VerifyError> {
        let keys = self.schema.columns().iter().map(Column::key);
        let declared = batch.columns.len() >= self.schema.columns().len()
            && batch.columns.iter().zip(keys).all(|(c, key)| c.kind == ColumnKind::Schema && c.name == key);
        let rest = batch.columns.iter().skip(self.schema.columns().len()).all(|c| c.kind == ColumnKind::Kept);
        if declared && rest { Ok(()) } else { Err(VerifyError::Columns) }
    }

    /// The code of what is wrong with one schema cell, if anything.
    fn cell(&mut self, index: usize, column: &Column, cell: Option<&str>) -> Option<&'static str> {
        let Some(value) = cell else {
            return column.required().then_some("required");
        };
        if let Some(transform) = &column.transform {
            // Transforms are idempotent: a value the browser transformed is its own transform.
            match transform.apply(value, &mut self.buffers) {
                Ok(transformed) if transformed == value => {}
                Ok(_) => return Some(Failure::NotCanonical.code()),
                Err(failure) => return Some(failure.code()),
            }
        }
        self.out.clear();
        let parsed = match column.check.run_canonical(value, &mut self.out, &mut self.scratch) {
            Ok(parsed) => parsed,
            Err(failure) => return Some(failure.code()),
        };
        self.unique_code(index, value, parsed)
    }

    fn unique_code(&mut self, index: usize, value: &str, parsed: Parsed) -> Option<&'static str> {
        let index = self.unique.get_mut(index)?.as_mut()?;
        match index.insert(value, parsed, self.max_unique_values) {
            Seen::Before => Some("duplicate"),
            Seen::New | Seen::Full => None,
        }
    }
}

impl Verdict {
    fn error(&mut self, row: u64, column: &str, code: &'static str) {
        self.error_count += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(RowError { row, column: column.to_owned(), code });
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod transformed;
