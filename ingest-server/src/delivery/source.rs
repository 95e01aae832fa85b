//! What delivery reads of an import, and the one way it reads it: the [`ImportData`] trait,
//! which the import domain (`crate::imports`) implements, and the [`ImportReader`] every
//! destination kind prepares its messages with (the import's record and details, its mapping,
//! and the rows a message names, walked in order across batch boundaries).
//!
//! The dependency runs one way: `imports` uses `delivery` (it plans messages and implements
//! this trait); nothing in `delivery` names `imports`. Keys, sealing and caches of keys stay
//! behind the trait.

use crate::store::{ImportRecord, Message};
use serde_json::Value;
use sluice_parser::batch::{Batch, BatchRow};
use std::sync::Arc;

/// An import's data as delivery may read it, provided by the import domain.
pub trait ImportData: Send + Sync {
    /// The import's record and its file, user and attributes (opened);
    /// [`SourceError::Gone`] once its data is deleted.
    fn import(&self, import_id: &str) -> Result<ImportView, SourceError>;

    /// The column mapping sent at completion (opened), or `null` when none was sent.
    fn mapping(&self, import_id: &str) -> Result<Value, SourceError>;

    /// Stored batch `sequence`, opened: the plaintext [`Batch::decode`] reads.
    fn batch(&self, import_id: &str, sequence: u64) -> Result<Vec<u8>, SourceError>;

    /// A message of the import was delivered or became a dead letter: its retention applies
    /// (delete after delivery, pass-through). Failures are the domain's to log and retry.
    fn delivery_ended(&self, import_id: &str, now: i64);
}

/// An import as a destination sees it.
#[derive(Clone, Debug)]
pub struct ImportView {
    /// Its record: counts, times, status.
    pub record: ImportRecord,
    /// Its file, user and attributes as the client sent them (a JSON object).
    pub about: Value,
}

/// Why an import's data could not be read for a message.
#[derive(Debug)]
#[non_exhaustive]
pub enum SourceError {
    /// The import or its data is gone (deleted, or passed through): its messages are cancelled
    /// rather than failed.
    Gone,
    /// The store cannot be read now; worth trying again.
    Unavailable(String),
    /// A stored item does not open or decode. Says which item of which import, never a value.
    Corrupt {
        /// The import.
        import_id: String,
        /// The item: `metadata`, `mapping`, `batch 3`, …
        item: String,
    },
    /// A batch holds fewer rows than the message was planned with.
    ShortBatch {
        /// The import.
        import_id: String,
        /// The batch.
        sequence: u64,
    },
    /// Anything else the import domain met; the detail names no value.
    Internal(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Gone => f.write_str("the import's data is gone"),
            SourceError::Unavailable(detail) => write!(f, "storage unavailable: {detail}"),
            SourceError::Corrupt { import_id, item } => write!(f, "the {item} of {import_id} does not open"),
            SourceError::ShortBatch { import_id, sequence } => {
                write!(f, "batch {sequence} of {import_id} has fewer rows than planned")
            }
            SourceError::Internal(detail) => write!(f, "internal: {detail}"),
        }
    }
}

impl std::error::Error for SourceError {}

/// Reads imports for one delivery thread, keeping the last batch it opened: the next message
/// usually starts in it.
pub struct ImportReader {
    data: Arc<dyn ImportData>,
    last: Option<(String, u64, Vec<u8>)>,
}

impl ImportReader {
    /// A reader over `data`.
    pub fn new(data: Arc<dyn ImportData>) -> Self {
        ImportReader { data, last: None }
    }

    /// Another reader over the same imports (with no batch kept yet), for a kind that reads a
    /// message's rows while it sends them rather than when it prepares them.
    pub fn fork(&self) -> ImportReader {
        ImportReader::new(Arc::clone(&self.data))
    }

    /// The import: record, file, user and attributes.
    pub fn import(&self, import_id: &str) -> Result<ImportView, SourceError> {
        self.data.import(import_id)
    }

    /// The import's column mapping, or `null`.
    pub fn mapping(&self, import_id: &str) -> Result<Value, SourceError> {
        self.data.mapping(import_id)
    }

    /// Hands each row `message` names to `each`, in row order, with the batch it is in (for
    /// its columns). Returns the first and last row numbers (`(0, 0)` for no rows).
    pub fn rows(
        &mut self,
        message: &Message,
        mut each: impl FnMut(&Batch<'_>, &BatchRow<'_>),
    ) -> Result<(u64, u64), SourceError> {
        let id = &message.import_id;
        let (mut sequence, mut skip) = (message.first_batch, message.first_offset as usize);
        let mut left = message.row_count as usize;
        let (mut first, mut last) = (None, 0);
        while left > 0 {
            let plaintext = self.batch(id, sequence)?;
            let batch = Batch::decode(plaintext).map_err(|_| SourceError::Corrupt {
                import_id: id.clone(),
                item: format!("batch {sequence}"),
            })?;
            let before = left;
            for row in batch.rows().skip(skip).take(left) {
                each(&batch, &row);
                first.get_or_insert(row.number);
                last = row.number;
                left -= 1;
            }
            if left == before {
                return Err(SourceError::ShortBatch { import_id: id.clone(), sequence });
            }
            sequence += 1;
            skip = 0;
        }
        Ok((first.unwrap_or(0), last))
    }

    /// Stored batch `sequence` of `import_id`, from the last one kept or opened now.
    fn batch(&mut self, import_id: &str, sequence: u64) -> Result<&[u8], SourceError> {
        let hit = matches!(&self.last, Some((id, s, _)) if id == import_id && *s == sequence);
        if !hit {
            self.last = Some((import_id.to_owned(), sequence, self.data.batch(import_id, sequence)?));
        }
        Ok(self.last.as_ref().map_or(&[][..], |(_, _, plaintext)| plaintext.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::contract::Fixture;
    use super::*;

    fn rows_of(reader: &mut ImportReader, message: &Message) -> (Vec<(u64, String)>, (u64, u64)) {
        let mut rows = Vec::new();
        let span = reader
            .rows(message, |batch, row| {
                let first = batch.columns.first().map(|c| c.name.clone()).unwrap_or_default();
                rows.push((row.number, format!("{first}={}", row.cells[0].unwrap_or("null"))));
            })
            .unwrap();
        (rows, span)
    }

    #[test]
    fn a_message_reads_its_rows_once_in_order_across_batch_boundaries() {
        let fixture = Fixture::new();
        let mut reader = fixture.reader();
        let [across, last, completed] = <[Message; 3]>::try_from(Fixture::messages()).unwrap();
        let (rows, span) = rows_of(&mut reader, &across);
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!((rows[0].1.as_str(), span), ("email=ada@example.com", (1, 3)));
        assert_eq!(rows_of(&mut reader, &last).1, (4, 4));
        assert_eq!(rows_of(&mut reader, &completed), (Vec::new(), (0, 0)));
    }

    #[test]
    fn a_message_past_its_batches_rows_is_an_error_naming_the_batch() {
        let fixture = Fixture::new();
        let mut long = Fixture::messages().remove(1);
        long.row_count = 2;
        let error = fixture.reader().rows(&long, |_, _| {}).unwrap_err();
        assert_eq!(error.to_string(), "the batch 2 of imp_fixture does not open");
        long.row_count = 1;
        long.first_offset = 2;
        let error = fixture.reader().rows(&long, |_, _| {}).unwrap_err();
        assert!(matches!(error, SourceError::ShortBatch { sequence: 1, .. }), "{error}");
    }
}
