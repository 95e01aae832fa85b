//! Reading rows `[from, to)` of a file again for a review grid: the caller slices the file at a
//! row index start (from a full pass's [`RowIndex`](crate::import::RowIndex)) and feeds the
//! slice; each row in range comes back with its fields, its checked values and its errors.
//! Uniqueness is file-wide and found by the full pass only.
//!
//! ```
//! use sluice_parser::grid::{GridOptions, GridReader};
//! use sluice_parser::import::{Import, ImportOptions};
//! use sluice_parser::schema::Schema;
//!
//! let schema = Schema::from_json(r#"{"version": 1, "columns": [{"key": "age", "type": "integer"}]}"#)?;
//! let file = b"age\n1\nx\n3\n";
//! let mut import = Import::new(&schema, ImportOptions { row_index_every: 2, ..ImportOptions::default() })?;
//! import.feed(file)?;
//! let summary = import.finish()?;
//!
//! let start = summary.row_index.start_before(2).expect("a start");
//! let options = GridOptions::new(summary.layout, start, 2, 3);
//! let mut grid = GridReader::new(schema, options)?;
//! grid.feed(&file[start.byte as usize..])?;
//! let rows = grid.finish()?;
//! assert_eq!((rows[0].row, rows[0].valid, rows[0].errors[0].code), (2, false, "not_an_integer"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::{ConfigError, ReadError};
use crate::patch::Patches;
use crate::reader::{FileLayout, Reader, ReaderOptions, Row, RowStart, Sink};
use crate::schema::Schema;
use crate::validate::{Cell, CellError, MappingSpec, ValidateOptions, Validator};
use serde::{Deserialize, Serialize};

/// Errors kept per row of the block: one per file column, and a few about the row's shape.
const ERRORS_PER_ROW: usize = 4;

/// What a [`GridReader`] is told besides the schema. In JSON (the package's `RowReader`):
/// `{ layout, start, from, to, reader, mapping, patches }`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GridOptions {
    /// How the file was read, from the full pass's summary.
    pub layout: FileLayout,
    /// The row index start at or before `from`, where the slice fed begins.
    pub start: RowStart,
    /// The first data row wanted.
    pub from: u64,
    /// The data row after the last one wanted.
    pub to: u64,
    /// How the file is read (as for the full pass).
    #[serde(default)]
    pub reader: ReaderOptions,
    /// How file columns map to schema columns (as for the full pass).
    #[serde(default)]
    pub mapping: MappingSpec,
    /// The user's fixes.
    #[serde(default)]
    pub patches: Patches,
}

impl GridOptions {
    /// Rows `[from, to)` read from `start` with the default reader, mapping and no fixes.
    pub fn new(layout: FileLayout, start: RowStart, from: u64, to: u64) -> GridOptions {
        let (reader, mapping, patches) = Default::default();
        GridOptions { layout, start, from, to, reader, mapping, patches }
    }
}

/// One row for the grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GridRow {
    /// The data row number.
    pub row: u64,
    /// The line it starts on (a workbook row's number in its sheet).
    pub line: u64,
    /// The byte offset it starts at.
    pub byte: u64,
    /// The fields as read.
    pub fields: Vec<String>,
    /// One value per schema column as checked (canonical when valid; `None` is null).
    pub values: Vec<Option<String>>,
    /// Whether the row has no errors.
    pub valid: bool,
    /// The row's errors.
    pub errors: Vec<CellError>,
}

/// Reads some rows of a file from a row index start: [`feed`](GridReader::feed) it the slice
/// from the start's byte, in chunks, until [`done`](GridReader::done), then
/// [`finish`](GridReader::finish) it.
pub struct GridReader {
    reader: Reader,
    rows: Rows,
}

impl GridReader {
    /// A reader of rows `[options.from, options.to)` checked against `schema`; a mapping or
    /// fixes that do not fit the file's header (`options.layout`) are refused here.
    pub fn new(schema: Schema, options: GridOptions) -> Result<GridReader, ConfigError> {
        let GridOptions { layout, start, from, to, mut reader, mapping, patches } = options;
        let block = usize::try_from(to.saturating_sub(from)).unwrap_or(usize::MAX);
        let names = &layout.header.names;
        let checks = ValidateOptions {
            max_errors: block.saturating_mul(names.len() + ERRORS_PER_ROW),
            ..ValidateOptions::default()
        };
        let validator = Validator::new(&schema, names, &mapping, patches, checks)?;
        // A workbook is read again from its start, and no further than the block.
        reader.stop_after_rows = Some(to.saturating_sub(1));
        let reader = Reader::resume(&layout, &reader, start)?;
        Ok(GridReader { reader, rows: Rows { from, to, validator, out: Vec::new() } })
    }

    /// Reads the next chunk of the slice.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ReadError> {
        self.reader.feed(chunk, &mut self.rows)
    }

    /// Whether every row up to `to` has been read (the rest of the slice is not needed).
    pub fn done(&self) -> bool {
        self.rows.out.last().is_some_and(|r| r.row + 1 >= self.rows.to)
    }

    /// Ends the slice; returns the rows in range, in order.
    pub fn finish(&mut self) -> Result<Vec<GridRow>, ReadError> {
        self.reader.finish(&mut self.rows)?;
        Ok(std::mem::take(&mut self.rows.out))
    }
}

/// Collects and checks the rows in range.
struct Rows {
    from: u64,
    to: u64,
    validator: Validator,
    out: Vec<GridRow>,
}

impl Rows {
    fn values(&mut self, row: &Row<'_>) -> Vec<Option<String>> {
        let Some(checked) = self.validator.check(row) else { return Vec::new() };
        let value = |cell| match cell {
            Cell::Null => None,
            Cell::Valid(v) | Cell::Invalid(v) => Some(v.to_owned()),
        };
        checked.values.cells().map(value).collect()
    }
}

impl Sink for Rows {
    /// The layout is the full pass's, which the validator was made for.
    fn layout(&mut self, _: &FileLayout) {}

    fn row(&mut self, row: &Row<'_>) {
        let n = row.number();
        if n < self.from || n >= self.to {
            return;
        }
        let before = self.validator.counts().1;
        let values = self.values(row);
        let valid = self.validator.counts().1 == before;
        let errors = self.validator.report().errors.into_iter().filter(|e| e.row == n).collect();
        let at = row.position();
        let fields = row.fields().map(str::to_owned).collect();
        self.out.push(GridRow { row: n, line: at.line, byte: at.byte, fields, values, valid, errors });
    }
}

#[cfg(test)]
mod tests;
