//! The contract every kind of destination keeps, as one suite that each kind's tests run on
//! its own implementation ([`run`]), over an import held in memory ([`Fixture`]): preparing a
//! message builds the same thing every time, reads every row the message names, and a gone
//! import cancels the message rather than failing it.

use super::destination::Destination;
use super::source::{ImportData, ImportReader, ImportView, SourceError};
use crate::store::{ImportRecord, ImportStatus, Message, MessageKind, MessageStatus};
use serde_json::{Value, json};
use sluice_parser::batch::{BatchColumn, BatchOptions, BatchWriter, ColumnKind};
use sluice_parser::validate::{Cell, CheckedRow, Values};
use std::sync::{Arc, Mutex};

/// A value no failure, log line or error may hold.
pub(crate) const SECRET_CELL: &str = "s3cret-cell@example.com";

/// An import of four rows in two batches of two (row 3 invalid), with its details and mapping.
pub(crate) struct Fixture {
    batches: Vec<Vec<u8>>,
    gone: bool,
    /// Imports whose delivery ended.
    pub(crate) ended: Mutex<Vec<String>>,
}

impl Fixture {
    /// The import, kept.
    pub(crate) fn new() -> Arc<Fixture> {
        Arc::new(Fixture { batches: batches(), gone: false, ended: Mutex::default() })
    }

    /// The import, its data deleted.
    pub(crate) fn gone() -> Arc<Fixture> {
        Arc::new(Fixture { batches: Vec::new(), gone: true, ended: Mutex::default() })
    }

    /// Its messages to destination 0: rows 1–3 (across the batches' boundary), row 4, and the
    /// completion.
    pub(crate) fn messages() -> Vec<Message> {
        vec![
            message(0, MessageKind::Rows, (0, 0, 3)),
            message(1, MessageKind::Rows, (1, 1, 1)),
            message(2, MessageKind::Completed, (0, 0, 0)),
        ]
    }

    /// A reader over it.
    pub(crate) fn reader(self: &Arc<Self>) -> ImportReader {
        ImportReader::new(Arc::clone(self) as Arc<dyn ImportData>)
    }
}

impl ImportData for Fixture {
    fn import(&self, import_id: &str) -> Result<ImportView, SourceError> {
        if self.gone {
            return Err(SourceError::Gone);
        }
        let about = json!({ "file": { "name": "contacts.csv" }, "user": { "id": "u_1" }, "attributes": {} });
        Ok(ImportView { record: record(import_id), about })
    }

    fn mapping(&self, _: &str) -> Result<Value, SourceError> {
        Ok(json!({ "email": "E-mail", "name": null }))
    }

    fn batch(&self, import_id: &str, sequence: u64) -> Result<Vec<u8>, SourceError> {
        let index = usize::try_from(sequence).unwrap_or(usize::MAX);
        let corrupt =
            || SourceError::Corrupt { import_id: import_id.to_owned(), item: format!("batch {sequence}") };
        self.batches.get(index).cloned().ok_or_else(corrupt)
    }

    fn delivery_ended(&self, import_id: &str, _: i64) {
        self.ended.lock().unwrap().push(import_id.to_owned());
    }
}

/// Runs the contract on `destination`.
pub(crate) fn run<D>(destination: &D)
where
    D: Destination,
    D::Prepared: PartialEq + std::fmt::Debug,
{
    prepares_the_same_every_time(destination);
    a_gone_import_cancels_its_messages(destination);
}

/// Two readers (one warm, one cold) build the same thing from the same message.
fn prepares_the_same_every_time<D>(destination: &D)
where
    D: Destination,
    D::Prepared: PartialEq + std::fmt::Debug,
{
    let fixture = Fixture::new();
    let mut warm = fixture.reader();
    for message in Fixture::messages() {
        let first = destination.prepare(&message, &mut warm).unwrap();
        let again = destination.prepare(&message, &mut fixture.reader()).unwrap();
        assert_eq!(first, again, "{}: prepared differently", message.id);
    }
}

/// A message of an import whose data is gone is cancelled ([`SourceError::Gone`]).
fn a_gone_import_cancels_its_messages<D: Destination>(destination: &D) {
    let fixture = Fixture::gone();
    for message in Fixture::messages() {
        let prepared = destination.prepare(&message, &mut fixture.reader());
        assert!(matches!(prepared, Err(SourceError::Gone)), "{}", message.id);
    }
}

fn batches() -> Vec<Vec<u8>> {
    let columns = vec![
        BatchColumn { kind: ColumnKind::Schema, name: "email".into() },
        BatchColumn { kind: ColumnKind::Schema, name: "name".into() },
        BatchColumn { kind: ColumnKind::Kept, name: "Notes".into() },
    ];
    let mut writer =
        BatchWriter::new([1; 32], columns, BatchOptions { max_rows: 2, ..BatchOptions::default() });
    let rows = [
        [Cell::Valid("ada@example.com"), Cell::Valid("Ada"), Cell::Null],
        [Cell::Valid(SECRET_CELL), Cell::Valid("=1+2"), Cell::Valid("vip")],
        [Cell::Invalid("not an email"), Cell::Null, Cell::Null],
        [Cell::Valid("grace@example.com"), Cell::Valid("Grace \"G\""), Cell::Valid("a,b")],
    ];
    for (number, cells) in (1..).zip(rows) {
        let valid = !cells.iter().any(|c| matches!(c, Cell::Invalid(_)));
        let values = Values::from_cells(cells);
        writer.push(&CheckedRow { number, valid, values: &values });
    }
    writer.finish();
    std::iter::from_fn(|| writer.next_batch()).collect()
}

fn record(import_id: &str) -> ImportRecord {
    ImportRecord {
        id: import_id.to_owned(),
        importer: "demo".into(),
        status: ImportStatus::Complete,
        schema_digest: [1; 32],
        token_hash: [2; 32],
        token_expires_at: 0,
        created_at: 1_614_265_000,
        expires_at: 1_614_351_400,
        completed_at: Some(1_614_265_330),
        file_size: Some(200),
        schema: None,
        batches: 2,
        rows: 4,
        invalid_rows: 1,
        data_deleted_at: None,
        deleted_reason: None,
    }
}

fn message(
    sequence: u32,
    kind: MessageKind,
    (first_batch, first_offset, row_count): (u64, u32, u32),
) -> Message {
    Message {
        id: format!("msg_{sequence}"),
        import_id: "imp_fixture".into(),
        importer: "demo".into(),
        destination: 0,
        sequence,
        kind,
        first_batch,
        first_offset,
        row_count,
        chunks: 2,
        status: MessageStatus::Pending,
        attempts: 0,
        next_attempt_at: 0,
        last_attempt_at: None,
        last_status: None,
        last_error: None,
        delivered_at: None,
    }
}
