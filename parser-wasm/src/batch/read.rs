//! Reading batches: the whole batch is checked once when decoded (every length, every string,
//! the row count, nothing after the last row), then its rows are read without further checks.

use super::header::{self, MAX_COLUMNS};
use super::{BatchColumn, ROW_INVALID, varint};
use serde::Serialize;

/// A decoded batch, borrowing its bytes.
///
/// ```
/// use sluice_parser::batch::Batch;
///
/// let err = Batch::decode(b"not a batch").unwrap_err();
/// assert_eq!(err.to_string(), "batch byte 0: does not start with \"SLCB\"");
/// ```
#[derive(Clone, Debug)]
pub struct Batch<'a> {
    /// The digest of the schema the rows were checked against.
    pub schema_digest: [u8; 32],
    /// The batch's number in its import, from 0.
    pub sequence: u64,
    /// The data row number of the first row.
    pub first_row: u64,
    /// The number of rows.
    pub row_count: u32,
    /// The columns.
    pub columns: Vec<BatchColumn>,
    rows: &'a [u8],
    /// Each row's cell bytes, checked as UTF-8 once when decoded.
    blocks: Vec<&'a str>,
}

/// A row of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchRow<'a> {
    /// The data row number.
    pub number: u64,
    /// Whether the row had errors when it was checked.
    pub invalid: bool,
    /// One cell per column (`None` is null).
    pub cells: Vec<Option<&'a str>>,
    /// Fields past the file's header, kept.
    pub extras: Vec<Option<&'a str>>,
}

/// Why bytes are not a valid batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchError {
    /// Offset in the batch where reading failed.
    pub offset: usize,
    /// What is wrong there.
    pub reason: &'static str,
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "batch byte {}: {}", self.offset, self.reason)
    }
}

impl std::error::Error for BatchError {}

/// A cursor over a batch's bytes that turns every failure into a positioned error.
pub(super) struct Cursor<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn fail<T>(&self, reason: &'static str) -> Result<T, BatchError> {
        Err(BatchError { offset: self.at, reason })
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], BatchError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(slice) = end.and_then(|e| self.bytes.get(self.at..e)) else {
            return self.fail("the batch ends too early");
        };
        self.at += n;
        Ok(slice)
    }

    pub(super) fn array<const N: usize>(&mut self) -> Result<[u8; N], BatchError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(super) fn byte(&mut self) -> Result<u8, BatchError> {
        Ok(self.array::<1>()?[0])
    }

    pub(super) fn varint(&mut self) -> Result<u64, BatchError> {
        let start = self.at;
        varint::get(self.bytes, &mut self.at)
            .ok_or(BatchError { offset: start, reason: "a length is malformed" })
    }

    pub(super) fn text(&mut self, len: u64) -> Result<&'a str, BatchError> {
        let start = self.at;
        let len = usize::try_from(len).or_else(|_| self.fail("a length is too large"))?;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes)
            .map_err(|e| BatchError { offset: start + e.valid_up_to(), reason: "a value is not valid UTF-8" })
    }
}

impl<'a> Batch<'a> {
    /// Decodes and checks a batch.
    pub fn decode(bytes: &'a [u8]) -> Result<Batch<'a>, BatchError> {
        let mut c = Cursor { bytes, at: 0 };
        let header = header::read(&mut c)?;
        let rows_start = c.at;
        let mut batch = Batch {
            schema_digest: header.schema_digest,
            sequence: header.sequence,
            first_row: header.first_row,
            row_count: header.row_count,
            columns: header.columns,
            rows: bytes.get(rows_start..).unwrap_or_default(),
            blocks: Vec::new(),
        };
        batch.blocks = batch.check_rows(rows_start)?;
        Ok(batch)
    }

    /// The rows, in order.
    pub fn rows(&self) -> impl Iterator<Item = BatchRow<'a>> + '_ {
        let mut c = Cursor { bytes: self.rows, at: 0 };
        let mut number = self.first_row;
        let columns = self.columns.len();
        self.blocks.iter().map_while(move |&block| {
            let head = read_head(&mut c, columns, &mut number).ok()?;
            c.at += block.len();
            cut_cells(&head, block, columns).ok()
        })
    }

    /// Reads every row once: lengths, cell bytes as UTF-8, cells cut at character boundaries.
    /// Returns each row's cell bytes, so that reading the rows again checks nothing twice.
    fn check_rows(&self, offset: usize) -> Result<Vec<&'a str>, BatchError> {
        let mut c = Cursor { bytes: self.rows, at: 0 };
        let mut number = self.first_row;
        let shift = |e: BatchError| BatchError { offset: e.offset + offset, ..e };
        let columns = self.columns.len();
        // Each row takes at least three bytes: the count is not trusted for the allocation.
        let mut blocks = Vec::with_capacity((self.row_count as usize).min(self.rows.len() / 3 + 1));
        for _ in 0..self.row_count {
            let head = read_head(&mut c, columns, &mut number).map_err(shift)?;
            let block = c.text(head.total).map_err(shift)?;
            if !block.is_ascii() {
                cut_cells(&head, block, columns)
                    .map_err(|e| shift(BatchError { offset: e.offset + c.at - block.len(), ..e }))?;
            }
            blocks.push(block);
        }
        if c.at != self.rows.len() {
            return Err(shift(BatchError { offset: c.at, reason: "there are bytes after the last row" }));
        }
        Ok(blocks)
    }
}

/// A row's head: its number, flags, where its cell lengths are and what they add up to.
struct RowHead<'a> {
    number: u64,
    flags: u8,
    /// At the first cell length.
    lengths: Cursor<'a>,
    /// Cells, schema columns and extras.
    count: usize,
    /// Bytes of all cells together.
    total: u64,
}

/// Reads a row up to its cell bytes, leaving the cursor at them.
fn read_head<'a>(c: &mut Cursor<'a>, columns: usize, number: &mut u64) -> Result<RowHead<'a>, BatchError> {
    let delta = c.varint()?;
    *number = number.checked_add(delta).map_or_else(|| c.fail("a row number overflows"), Ok)?;
    let flags = c.byte()?;
    if flags & !ROW_INVALID != 0 {
        return c.fail("unknown row flags are set");
    }
    let extra = c.varint()?;
    if extra > MAX_COLUMNS {
        return c.fail("too many extra fields");
    }
    let count = columns + extra as usize;
    let lengths = Cursor { bytes: c.bytes, at: c.at };
    let mut total = 0u64;
    for _ in 0..count {
        let length = c.varint()?.saturating_sub(1);
        total = total.checked_add(length).map_or_else(|| c.fail("a length is too large"), Ok)?;
    }
    Ok(RowHead { number: *number, flags, lengths, count, total })
}

/// Cuts a row's cell bytes (valid UTF-8 as a whole) into cells by their lengths; a cut inside
/// a character is an error at the offset in the cell bytes of the cell it starts.
fn cut_cells<'a>(head: &RowHead<'a>, block: &'a str, columns: usize) -> Result<BatchRow<'a>, BatchError> {
    let mut lengths = Cursor { bytes: head.lengths.bytes, at: head.lengths.at };
    let mut cells = Vec::with_capacity(columns);
    let mut extras = Vec::with_capacity(head.count - columns);
    let mut start = 0usize;
    for index in 0..head.count {
        let length = lengths.varint()?;
        let cell = if length == 0 {
            None
        } else {
            let end = start.saturating_add(usize::try_from(length - 1).unwrap_or(usize::MAX));
            let text = block
                .get(start..end)
                .ok_or(BatchError { offset: start, reason: "a value is not valid UTF-8" })?;
            start = end;
            Some(text)
        };
        if index < columns { cells.push(cell) } else { extras.push(cell) }
    }
    Ok(BatchRow { number: head.number, invalid: head.flags & ROW_INVALID != 0, cells, extras })
}
