//! Writing batches: checked rows appended to the open batch, which is sealed when the next row
//! would take it past its row or byte limit.

use super::{
    BatchColumn, FIRST_ROW_AT, FIXED_HEADER, FORMAT_VERSION, MAGIC, ROW_COUNT_AT, ROW_INVALID, SEQUENCE_AT,
    varint,
};
use crate::validate::CheckedRow;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Where batches are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct BatchOptions {
    /// Most rows in a batch (5,000).
    pub max_rows: u32,
    /// Most bytes in a batch (1 MiB); a single row larger than this gets a batch of its own.
    pub max_bytes: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions { max_rows: 5000, max_bytes: 1 << 20 }
    }
}

/// Builds batches from checked rows.
///
/// ```
/// use sluice_parser::batch::{Batch, BatchColumn, BatchOptions, BatchWriter, ColumnKind};
///
/// let columns = vec![BatchColumn { kind: ColumnKind::Schema, name: "email".into() }];
/// let mut writer = BatchWriter::new([0; 32], columns, BatchOptions::default());
/// writer.finish();
/// assert!(writer.next_batch().is_none(), "no rows, no batch");
/// ```
#[derive(Debug)]
pub struct BatchWriter {
    options: BatchOptions,
    /// The header as written at the start of every batch.
    header: Vec<u8>,
    columns: usize,
    /// The open batch: header, then rows.
    open: Vec<u8>,
    rows: u32,
    /// Length of the last sealed batch.
    last_len: usize,
    first_row: u64,
    last_row: u64,
    sequence: u64,
    sealed: VecDeque<Vec<u8>>,
}

impl BatchWriter {
    /// A writer for batches of rows checked against the schema with `schema_digest`.
    pub fn new(schema_digest: [u8; 32], columns: Vec<BatchColumn>, options: BatchOptions) -> Self {
        let mut header = Vec::with_capacity(FIXED_HEADER + 16 * columns.len());
        header.extend_from_slice(&MAGIC);
        header.extend_from_slice(&[FORMAT_VERSION, 0]);
        header.extend_from_slice(&schema_digest);
        header.extend_from_slice(&[0; 8 + 8 + 4]);
        varint::put(&mut header, columns.len() as u64);
        for column in &columns {
            header.push(column.kind.byte());
            put_text(&mut header, &column.name);
        }
        let options = BatchOptions { max_rows: options.max_rows.max(1), ..options };
        BatchWriter {
            options,
            header,
            columns: columns.len(),
            open: Vec::new(),
            rows: 0,
            last_len: 0,
            first_row: 0,
            last_row: 0,
            sequence: 0,
            sealed: VecDeque::new(),
        }
    }

    /// Adds a row to the open batch, sealing it first when the row does not fit.
    pub fn push(&mut self, row: &CheckedRow<'_>) {
        if self.rows >= self.options.max_rows {
            self.seal();
        }
        if self.rows == 0 {
            self.start(row.number);
        }
        let before = self.open.len();
        self.put_row(row);
        if self.open.len() > self.options.max_bytes && self.rows > 0 {
            self.open.truncate(before);
            self.seal();
            self.start(row.number);
            self.put_row(row);
        }
        self.rows += 1;
        self.last_row = row.number;
    }

    /// Seals the open batch, if it has rows.
    pub fn finish(&mut self) {
        self.seal();
    }

    /// The next sealed batch, oldest first.
    pub fn next_batch(&mut self) -> Option<Vec<u8>> {
        self.sealed.pop_front()
    }

    /// How many batches have been sealed so far.
    pub fn sealed_count(&self) -> u64 {
        self.sequence
    }

    fn start(&mut self, first_row: u64) {
        self.open.clear();
        // Batches tend to be alike: room for one as large as the last avoids copying the
        // batch again at every doubling.
        self.open.reserve(self.last_len.max(4096));
        self.open.extend_from_slice(&self.header);
        self.first_row = first_row;
        self.last_row = first_row;
    }

    fn put_row(&mut self, row: &CheckedRow<'_>) {
        let out = &mut self.open;
        varint::put(out, row.number.saturating_sub(self.last_row));
        out.push(if row.valid { 0 } else { ROW_INVALID });
        varint::put(out, row.values.len().saturating_sub(self.columns) as u64);
        for length in row.values.cell_lengths() {
            match length {
                Some(n) if n < 0x7F => out.push(n as u8 + 1),
                Some(n) => varint::put(out, n as u64 + 1),
                None => out.push(0),
            }
        }
        out.extend_from_slice(row.values.bytes());
    }

    fn seal(&mut self) {
        if self.rows == 0 {
            return;
        }
        let mut batch = std::mem::take(&mut self.open);
        patch(&mut batch, SEQUENCE_AT, &self.sequence.to_le_bytes());
        patch(&mut batch, FIRST_ROW_AT, &self.first_row.to_le_bytes());
        patch(&mut batch, ROW_COUNT_AT, &self.rows.to_le_bytes());
        self.last_len = batch.len();
        self.sealed.push_back(batch);
        self.sequence += 1;
        self.rows = 0;
    }
}

fn patch(batch: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(slot) = batch.get_mut(at..at + bytes.len()) {
        slot.copy_from_slice(bytes);
    }
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    varint::put(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}
