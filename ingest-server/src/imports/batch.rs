//! Storing one batch: authorize, open the transport seal, answer a replay (the same batch under
//! the same number, however it was sealed) from what is stored, decode and re-check every row
//! against the importer's schema, refuse unmapped columns the importer leaves out, apply the
//! invalid-rows policy, seal under the import's data key
//! and store durably, with the batch's summary for completion (see `summary.rs`).
//!
//! Batches run on the blocking pool, so the batches of one import, like those of different
//! imports, are opened, decoded, checked and sealed in parallel; only the store's write is
//! serialised (one writer thread, group commit), and it re-checks the sequence and the import's
//! row limit there, so a replay, a conflict or `max_rows` under concurrency answers as in turn.

use super::create::seconds;
use super::{ImportError, Imports, Internal};
use crate::config::{InvalidRows, UnmappedColumns};
use crate::crypto::{BatchAad, Item};
use crate::store::{BatchMeta, ImportRecord, ImportStatus, NewBatch, PutOutcome};
use serde::Serialize;
use sluice_parser::batch::{Batch, ColumnKind};
use sluice_parser::verify::{BatchSummary, Verdict, Verifier, VerifyError};

/// What a client says about a batch outside its sealed body (all bound by the AAD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchHeaders {
    /// Its number in the import, from 0.
    pub sequence: u64,
    /// The data row number of its first row.
    pub first_row: u64,
    /// How many rows it holds.
    pub row_count: u32,
}

/// The answer to a stored batch; a replay of the same body gets the same answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAck {
    /// The batch's number.
    pub sequence: u64,
    /// The data row number of its first row.
    pub first_row: u64,
    /// Its rows.
    pub row_count: u32,
    /// How many of them the server found invalid (kept, as the importer's policy says).
    pub invalid_rows: u32,
    /// Whether this request stored it (false when the same body was stored before).
    #[serde(skip)]
    pub stored_now: bool,
}

/// A batch that passed its checks: what they found, and what completion needs of it.
struct Checked {
    verdict: Verdict,
    summary: BatchSummary,
}

impl BatchAck {
    fn from_meta(meta: &BatchMeta, stored_now: bool) -> BatchAck {
        BatchAck {
            sequence: meta.sequence,
            first_row: meta.first_row,
            row_count: meta.row_count,
            invalid_rows: meta.invalid_rows,
            stored_now,
        }
    }
}

impl Imports {
    /// Stores batch `headers.sequence` of import `id`, whose sealed body is `body`.
    pub fn put_batch(
        &self,
        key: &str,
        id: &str,
        token: &str,
        headers: BatchHeaders,
        body: &[u8],
        now: i64,
    ) -> Result<BatchAck, ImportError> {
        let record = self.authorized(key, id, token, now)?;
        if !self.importer(key)?.config.stores_rows() {
            return Err(ImportError::RowsNotTaken);
        }
        let plaintext = self.open(&record, headers, body)?;
        let fingerprint = self.keys(id)?.data.fingerprint(&plaintext);
        match self.store.batch(id, headers.sequence)? {
            Some(stored) if stored.fingerprint == fingerprint => {
                return Ok(BatchAck::from_meta(&stored, false));
            }
            Some(_) => return Err(ImportError::Conflict),
            None => {}
        }
        let checked = self.check(key, &record, headers, &plaintext)?;
        self.store_batch(&record, headers, checked, fingerprint, &plaintext, now)
    }

    /// Opens the transport seal; any failure is the uniform rejection.
    fn open(
        &self,
        record: &ImportRecord,
        headers: BatchHeaders,
        body: &[u8],
    ) -> Result<Vec<u8>, ImportError> {
        if record.status != ImportStatus::Open {
            return Err(ImportError::Closed(record.status));
        }
        let transport =
            self.keys(&record.id)?.transport.ok_or(ImportError::Closed(ImportStatus::Complete))?;
        let aad = BatchAad {
            import_id: &record.id,
            sequence: headers.sequence,
            first_row: headers.first_row,
            row_count: headers.row_count,
            schema_digest: record.schema_digest,
        };
        transport.open_batch(&aad, body).map_err(|_| ImportError::Rejected)
    }

    /// Decodes the batch and re-checks it: its header against the request, its size against
    /// the importer's limits, every row against the schema; with the verdict, what completion
    /// needs of the batch.
    fn check(
        &self,
        key: &str,
        record: &ImportRecord,
        headers: BatchHeaders,
        plaintext: &[u8],
    ) -> Result<Checked, ImportError> {
        let importer = self.importer(key)?;
        let limits = &importer.config.limits;
        let batch = Batch::decode(plaintext).map_err(|e| ImportError::BatchInvalid(e.to_string()))?;
        let declared =
            BatchHeaders { sequence: batch.sequence, first_row: batch.first_row, row_count: batch.row_count };
        if declared != headers {
            return Err(ImportError::BatchInvalid(format!(
                "the batch's own header says sequence {}, first row {}, {} rows; the request said \
                 sequence {}, first row {}, {} rows",
                declared.sequence,
                declared.first_row,
                declared.row_count,
                headers.sequence,
                headers.first_row,
                headers.row_count
            )));
        }
        if batch.row_count > limits.batch_rows {
            return Err(ImportError::BatchInvalid(format!(
                "the batch has {} rows; this importer takes at most {} per batch",
                batch.row_count, limits.batch_rows
            )));
        }
        if plaintext.len() as u64 > limits.batch_bytes.0 && batch.row_count > 1 {
            return Err(ImportError::BatchInvalid(format!(
                "the batch is {} bytes; this importer takes at most {} per batch (a single larger row \
                 may have a batch of its own)",
                plaintext.len(),
                limits.batch_bytes.0
            )));
        }
        if importer.config.unmapped_columns == UnmappedColumns::LeaveOut {
            refuse_unmapped(&batch)?;
        }
        if record.rows + u64::from(batch.row_count) > limits.max_rows {
            return Err(ImportError::TooManyRows { limit: limits.max_rows });
        }
        let schema = self.schema_of(&importer, record)?;
        let mut verifier = Verifier::new(&schema, usize::MAX);
        let verdict = verifier.check(&batch).map_err(|e| match e {
            VerifyError::BinaryContent { row, column } => ImportError::BinaryContent { row, column },
            e => ImportError::BatchInvalid(e.to_string()),
        })?;
        if verdict.error_count > 0 && importer.config.invalid_rows == InvalidRows::Refuse {
            return Err(ImportError::RowsInvalid {
                error_count: verdict.error_count,
                errors: verdict.errors,
            });
        }
        Ok(Checked { summary: verifier.summarize(&batch), verdict })
    }

    fn store_batch(
        &self,
        record: &ImportRecord,
        headers: BatchHeaders,
        checked: Checked,
        fingerprint: [u8; 32],
        plaintext: &[u8],
        now: i64,
    ) -> Result<BatchAck, ImportError> {
        self.room_for(record, headers.sequence, fingerprint)?;
        let Checked { verdict, summary } = checked;
        let summary = self.seal_summary(&record.id, headers.sequence, &summary)?;
        let keys = self.keys(&record.id)?;
        let item = Item::Batch(headers.sequence);
        let packed = super::pack(plaintext).map_err(|problem| Internal::Pack {
            import: record.id.clone(),
            item,
            problem,
        })?;
        let sealed = keys
            .data
            .seal(&self.rng, &record.id, item, &packed)
            .map_err(|source| Internal::Seal { import: record.id.clone(), item, source })?;
        let invalid = u32::try_from(verdict.invalid_rows.len()).unwrap_or(u32::MAX);
        let max_rows = self.importer(&record.importer)?.config.limits.max_rows;
        let batch = NewBatch {
            import_id: record.id.clone(),
            sequence: headers.sequence,
            first_row: headers.first_row,
            row_count: headers.row_count,
            invalid_rows: verdict.invalid_rows,
            fingerprint,
            sealed,
            summary: Some(summary),
            stored_at: now,
            token_expires_at: now + seconds(self.config.server.limits.upload_token_ttl),
            max_rows,
        };
        // The first batch gives the import its whole time; until then it had a short one.
        let whole_time = record.created_at + seconds(self.config.server.limits.import_ttl);
        match self.store.put_batch_extending(batch, whole_time)? {
            PutOutcome::Stored => {
                self.log_stored(record, headers, &verdict.errors, invalid, now);
                let meta = BatchMeta {
                    sequence: headers.sequence,
                    first_row: headers.first_row,
                    row_count: headers.row_count,
                    invalid_rows: invalid,
                    fingerprint,
                };
                Ok(BatchAck::from_meta(&meta, true))
            }
            PutOutcome::Replayed(stored) => Ok(BatchAck::from_meta(&stored, false)),
            PutOutcome::Conflict => Err(ImportError::Conflict),
            PutOutcome::NotOpen(status) => Err(ImportError::Closed(status)),
            PutOutcome::TooManyRows => Err(ImportError::TooManyRows { limit: max_rows }),
        }
    }

    /// Refuses a new batch when the volume is below its floor; a batch stored before is let
    /// through, to be answered as the replay it is.
    fn room_for(
        &self,
        record: &ImportRecord,
        sequence: u64,
        fingerprint: [u8; 32],
    ) -> Result<(), ImportError> {
        let Err(full) = self.store.has_room() else { return Ok(()) };
        match self.store.batch(&record.id, sequence)? {
            Some(stored) if stored.fingerprint == fingerprint => Ok(()),
            _ => Err(full.into()),
        }
    }

    /// Logs a stored batch: counts, and error codes by column key, never values.
    fn log_stored(
        &self,
        record: &ImportRecord,
        headers: BatchHeaders,
        errors: &[sluice_parser::verify::RowError],
        invalid: u32,
        now: i64,
    ) {
        let mut codes = serde_json::Map::new();
        for error in errors {
            let entry = codes.entry(format!("{}:{}", error.column, error.code)).or_insert(0.into());
            *entry = (entry.as_u64().unwrap_or(0) + 1).into();
        }
        let detail = serde_json::json!({
            "sequence": headers.sequence,
            "rows": headers.row_count,
            "invalidRows": invalid,
            "errors": codes,
        });
        self.log(&record.id, now, "batch_stored", detail);
    }
}

/// Refuses a batch that carries file columns no schema column takes (kept columns, or fields past
/// the header): its importer leaves them out. Counts only: a header name may itself be data.
fn refuse_unmapped(batch: &Batch<'_>) -> Result<(), ImportError> {
    let kept = batch.columns.iter().filter(|c| c.kind == ColumnKind::Kept).count();
    let extra_row = batch.rows().find(|row| !row.extras.is_empty()).map(|row| row.number);
    if kept == 0 && extra_row.is_none() {
        return Ok(());
    }
    Err(ImportError::UnmappedRefused { kept_columns: kept, first_row_with_extras: extra_row })
}
