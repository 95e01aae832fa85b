//! Reading rows `[from, to)` of a file again for a review grid: the caller slices the file at a
//! row index start and feeds the slice; each row comes back with its fields, its checked values
//! and its errors. Uniqueness is file-wide and found by the full pass only.

use super::{error, import_error, schema_and, to_json};
use crate::patch::Patches;
use crate::reader::{FileLayout, Reader, ReaderOptions, Row, RowStart, Sink};
use crate::schema::Schema;
use crate::validate::{Cell, CellError, MappingSpec, ValidateOptions, Validator};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

/// Reads some rows of a file from a row index start.
#[wasm_bindgen]
pub struct RowReader {
    reader: Reader,
    rows: Rows,
}

/// What a `RowReader` is told besides the schema.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Options {
    layout: FileLayout,
    start: RowStart,
    from: u64,
    to: u64,
    #[serde(default)]
    reader: ReaderOptions,
    #[serde(default)]
    mapping: MappingSpec,
    #[serde(default)]
    patches: Patches,
}

/// One row for the grid.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct GridRow {
    row: u64,
    line: u64,
    byte: u64,
    fields: Vec<String>,
    values: Vec<Option<String>>,
    valid: bool,
    errors: Vec<CellError>,
}

/// Collects and checks the rows in range.
struct Rows {
    schema: Schema,
    mapping: MappingSpec,
    patches: Patches,
    from: u64,
    to: u64,
    validator: Option<Validator>,
    out: Vec<GridRow>,
    setup: Option<String>,
}

#[wasm_bindgen]
impl RowReader {
    /// `options` (JSON): `{ schema, layout, start, from, to, reader, mapping, patches }`, where
    /// `layout` and `start` come from a full pass's summary and row index.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &str) -> Result<RowReader, JsError> {
        let (schema, mut o): (Schema, Options) = schema_and(options)?;
        // A workbook is read again from its start, and no further than the block.
        o.reader.stop_after_rows = Some(o.to.saturating_sub(1));
        let reader = Reader::resume(&o.layout, &o.reader, o.start).map_err(error)?;
        let rows = Rows {
            schema,
            mapping: o.mapping,
            patches: o.patches,
            from: o.from,
            to: o.to,
            validator: None,
            out: Vec::new(),
            setup: None,
        };
        Ok(RowReader { reader, rows })
    }

    /// Reads the next chunk of the slice.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), JsValue> {
        self.reader.feed(chunk, &mut self.rows).map_err(import_error)?;
        Ok(self.rows.failed()?)
    }

    /// Whether every row up to `to` has been read (the rest of the slice is not needed).
    pub fn done(&self) -> bool {
        self.rows.out.last().is_some_and(|r| r.row + 1 >= self.rows.to)
    }

    /// Ends the slice; returns the rows in range (JSON).
    pub fn finish(&mut self) -> Result<String, JsValue> {
        self.reader.finish(&mut self.rows).map_err(import_error)?;
        self.rows.failed()?;
        Ok(to_json(&self.rows.out)?)
    }
}

impl Rows {
    fn failed(&self) -> Result<(), JsError> {
        self.setup.as_ref().map_or(Ok(()), |e| Err(JsError::new(e)))
    }
}

impl Sink for Rows {
    fn layout(&mut self, layout: &FileLayout) {
        let patches = std::mem::take(&mut self.patches);
        let width = usize::try_from(self.to.saturating_sub(self.from)).unwrap_or(usize::MAX);
        let options = ValidateOptions {
            max_errors: width.saturating_mul(layout.header.names.len() + 4),
            ..ValidateOptions::default()
        };
        match Validator::new(&self.schema, &layout.header.names, &self.mapping, patches, options) {
            Ok(v) => self.validator = Some(v),
            Err(e) => self.setup = Some(e.to_string()),
        }
    }

    fn row(&mut self, row: &Row<'_>) {
        let n = row.number();
        if n < self.from || n >= self.to {
            return;
        }
        let Some(validator) = self.validator.as_mut() else { return };
        let before = validator.counts().1;
        let checked = validator.check(row);
        let values = checked.map_or_else(Vec::new, |c| {
            c.values
                .cells()
                .map(|cell| match cell {
                    Cell::Null => None,
                    Cell::Valid(v) | Cell::Invalid(v) => Some(v.to_owned()),
                })
                .collect()
        });
        let valid = validator.counts().1 == before;
        let errors = validator.report().errors.into_iter().filter(|e| e.row == n).collect();
        let at = row.position();
        let fields = row.fields().map(str::to_owned).collect();
        self.out.push(GridRow { row: n, line: at.line, byte: at.byte, fields, values, valid, errors });
    }
}
