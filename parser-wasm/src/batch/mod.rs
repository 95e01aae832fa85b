//! Batches: checked rows in the one binary format the browser ships and the server reads,
//! written here and read here ([`BatchHeader`] reads a header alone). The byte layout is
//! specified in `docs/batch-format.md`:
//!
//! ```text
//! header  "SLCB" | version u8 = 1 | flags u8 = 0 | schema digest [32] | sequence u64 LE
//!         | first row u64 LE | row count u32 LE | column count varint
//!         | per column: kind u8 (0 schema, 1 kept) | name (varint length, UTF-8)
//! row     row number − previous row number varint (the first row: − first row, so 0)
//!         | flags u8 (bit 0: the row has errors) | extra field count varint
//!         | one length varint per cell (columns, then extra fields): 0 null, n: n − 1 bytes
//!         | the cells' UTF-8 bytes back to back
//! ```

mod header;
pub mod json;
mod read;
mod varint;
mod write;

pub use header::BatchHeader;
pub use read::{Batch, BatchError, BatchRow};
pub use write::{BatchOptions, BatchWriter};

use serde::{Deserialize, Serialize};

/// The four bytes every batch starts with.
pub const MAGIC: [u8; 4] = *b"SLCB";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u8 = 1;
/// Offset of the sequence number in the header (patched when a batch is sealed).
const SEQUENCE_AT: usize = 4 + 1 + 1 + 32;
/// Offset of the first row number in the header.
const FIRST_ROW_AT: usize = SEQUENCE_AT + 8;
/// Offset of the row count in the header.
const ROW_COUNT_AT: usize = FIRST_ROW_AT + 8;
/// Length of the fixed part of the header.
const FIXED_HEADER: usize = ROW_COUNT_AT + 4;
/// Row flag: the row has errors.
const ROW_INVALID: u8 = 1;

/// A column of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchColumn {
    /// Where the column comes from.
    pub kind: ColumnKind,
    /// The schema key, or the header name of a kept file column.
    pub name: String,
}

/// Where a batch column comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ColumnKind {
    /// A schema column: values are canonical when the row is valid.
    Schema,
    /// A file column no schema column takes, kept as written.
    Kept,
}

impl ColumnKind {
    fn byte(self) -> u8 {
        match self {
            ColumnKind::Schema => 0,
            ColumnKind::Kept => 1,
        }
    }

    fn from_byte(b: u8) -> Option<ColumnKind> {
        match b {
            0 => Some(ColumnKind::Schema),
            1 => Some(ColumnKind::Kept),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
