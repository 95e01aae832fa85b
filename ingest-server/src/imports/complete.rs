//! Completing an import: the client's counts must match what is stored and reach the importer's
//! `min_rows`, what only shows across batches (row order, uniqueness) is checked in order from
//! the summaries kept as the batches arrived (no batch is opened again), then the import is
//! closed and its transport key destroyed.

use super::internal::json_problem;
use super::{ImportError, Imports, Internal};
use crate::config::InvalidRows;
use crate::crypto::{DataKey, Item};
use crate::delivery::now_ms;
use crate::delivery::plan::plan;
use crate::store::{BatchMeta, Completing, ImportRecord, ImportStatus, StoreError};
use serde::{Deserialize, Serialize};
use sluice_parser::verify::{RowError, Verdict, Verifier};
use std::collections::BTreeSet;

/// Most distinct values a unique column is checked across in one import (as in validation).
const MAX_UNIQUE_VALUES: usize = 10_000_000;

/// Most errors a refusal lists (all are counted).
const MAX_LISTED_ERRORS: usize = 1000;

/// Most entries of a column mapping.
const MAX_MAPPING_ENTRIES: usize = 1000;

/// Most bytes of a column mapping as JSON.
const MAX_MAPPING_BYTES: usize = 64 * 1024;

/// What the client says it sent.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Expected {
    /// Batches sent (numbered 0 to `batches - 1`).
    pub batches: u64,
    /// Rows in them.
    pub rows: u64,
    /// How the file's columns were mapped: schema key → the file's header (or `null` when no
    /// file column was mapped to it). Optional; sealed, and delivered in `import.completed`.
    #[serde(default)]
    pub mapping: Option<serde_json::Map<String, serde_json::Value>>,
    /// Rows the widget handed to the host page (`onData`), for importers with `host_page_rows`;
    /// logged, and the count `min_rows` applies to when the importer stores no rows.
    #[serde(default)]
    pub host_page_rows: Option<u64>,
}

/// A completed import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// The import.
    pub import_id: String,
    /// Always `complete`.
    pub status: ImportStatus,
    /// Batches stored.
    pub batches: u64,
    /// Rows stored.
    pub rows: u64,
    /// Rows the server found invalid (kept, as the importer's policy says).
    pub invalid_rows: u64,
    /// When it completed (Unix seconds).
    pub completed_at: i64,
}

/// Whether a completed import holds what a completion request expects.
fn same_counts(record: &ImportRecord, expected: &Expected) -> bool {
    (record.batches, record.rows) == (expected.batches, expected.rows)
}

impl Imports {
    /// Verifies and completes import `id`. Completing a completed import again with the same
    /// counts answers the same.
    pub fn complete(
        &self,
        key: &str,
        id: &str,
        token: &str,
        expected: Expected,
        now: i64,
    ) -> Result<Completion, ImportError> {
        let record = self.authorized(key, id, token, now)?;
        match record.status {
            ImportStatus::Open => {}
            ImportStatus::Complete if same_counts(&record, &expected) => {
                return Ok(completion(&record, record.invalid_rows, record.completed_at.unwrap_or(now)));
            }
            status => return Err(ImportError::Closed(status)),
        }
        let batches = self.store.batches(id)?;
        check_counts(&batches, &expected)?;
        self.check_row_limits(key, &expected)?;
        let mapping = self.seal_mapping(id, expected.mapping.as_ref())?;
        let invalid_rows = self.verify_all(key, &record, &batches)?;
        let importer = self.importer(key)?;
        let messages = plan(id, &batches, &importer.config.destinations, now_ms());
        let (batches, rows) = (expected.batches, expected.rows);
        let completing = Completing { at: now, batches, rows, invalid_rows, mapping, messages };
        if let Err(e) = self.store.complete(id, completing) {
            return self.lost_completion(id, &expected, now, e);
        }
        self.forget_keys(id);
        self.wakeup.ring();
        let mut detail = serde_json::json!({
            "batches": expected.batches,
            "rows": expected.rows,
            "invalidRows": invalid_rows,
            "seconds": now - record.created_at,
        });
        if let Some(rows) = expected.host_page_rows {
            detail["hostPageRows"] = rows.into();
        }
        self.log(id, now, "import_completed", detail);
        Ok(completion(&record, invalid_rows, now))
    }

    /// The answer to a completion the store refused because the import changed while it was
    /// being checked: completed by another request (on this instance or another), the same answer
    /// as a repeated completion; expired or deleted; or a batch stored meanwhile, so that the
    /// counts checked no longer hold.
    fn lost_completion(
        &self,
        id: &str,
        expected: &Expected,
        now: i64,
        e: StoreError,
    ) -> Result<Completion, ImportError> {
        match self.store.import(id)? {
            Some(done) if done.status == ImportStatus::Complete && same_counts(&done, expected) => {
                Ok(completion(&done, done.invalid_rows, done.completed_at.unwrap_or(now)))
            }
            Some(current) if current.status != ImportStatus::Open => Err(ImportError::Closed(current.status)),
            Some(current) if !same_counts(&current, expected) => {
                Err(ImportError::CountMismatch { batches: current.batches, rows: current.rows })
            }
            _ => Err(e.into()),
        }
    }

    /// The import's rows within the importer's `min_rows` and `max_rows`: those stored, or for an
    /// importer that stores none, those handed to the host page.
    fn check_row_limits(&self, key: &str, expected: &Expected) -> Result<(), ImportError> {
        let importer = self.importer(key)?;
        let config = &importer.config;
        let (host, limits) = (expected.host_page_rows, &config.limits);
        if host.is_some() && !config.host_page_rows {
            let message = "hostPageRows is for importers with host_page_rows = true; leave it out";
            return Err(ImportError::BadRequest(message.into()));
        }
        let rows = if config.stores_rows() { expected.rows } else { host.unwrap_or(0) };
        if host.is_some_and(|host| host > limits.max_rows) {
            return Err(ImportError::TooManyRows { limit: limits.max_rows });
        }
        if rows < limits.min_rows {
            return Err(ImportError::TooFewRows { limit: limits.min_rows, rows });
        }
        Ok(())
    }

    /// Checks in order what only shows across batches (row order, uniqueness; each batch's
    /// cells were checked when it arrived); the number of invalid rows, those found on arrival
    /// and those duplicated across batches.
    fn verify_all(
        &self,
        key: &str,
        record: &ImportRecord,
        batches: &[BatchMeta],
    ) -> Result<u64, ImportError> {
        let importer = self.importer(key)?;
        let data = self.keys(&record.id)?.data;
        let schema = self.schema_of(&importer, record)?;
        let mut verifier = Verifier::new(&schema, MAX_UNIQUE_VALUES);
        let mut invalid: BTreeSet<u64> = self.store.invalid_rows(&record.id)?.into_iter().collect();
        let mut errors: Vec<RowError> = Vec::new();
        let mut error_count = 0u64;
        let refuse = importer.config.invalid_rows == InvalidRows::Refuse;
        for meta in batches {
            let verdict = self.across(&mut verifier, &data, &record.id, meta, refuse)?;
            invalid.extend(&verdict.invalid_rows);
            error_count += verdict.error_count;
            let room = MAX_LISTED_ERRORS.saturating_sub(errors.len());
            errors.extend(verdict.errors.into_iter().take(room));
        }
        if error_count > 0 && importer.config.invalid_rows == InvalidRows::Refuse {
            return Err(ImportError::RowsInvalid { error_count, errors });
        }
        Ok(invalid.len() as u64)
    }
}

impl Imports {
    /// One batch's part of the pass across batches, from its summary; from the batch itself when
    /// it was stored without one (by an older server), or when it has invalid rows and the
    /// importer refuses them (its configuration changed since): their errors are listed then,
    /// and a summary holds only valid cells.
    fn across(
        &self,
        verifier: &mut Verifier,
        data: &DataKey,
        id: &str,
        meta: &BatchMeta,
        refuse: bool,
    ) -> Result<Verdict, ImportError> {
        let summary =
            if refuse && meta.invalid_rows > 0 { None } else { self.open_summary(data, id, meta.sequence)? };
        let verdict = match summary {
            Some(summary) => verifier.check_summary(&summary),
            None => {
                let plaintext = self.open_stored(data, id, meta.sequence)?;
                let batch = super::export::decode_stored(id, meta.sequence, &plaintext)?;
                verifier.check_across(&batch)
            }
        };
        verdict.map_err(|e| ImportError::BatchInvalid(format!("batch {}: {e}", meta.sequence)))
    }
}

impl Imports {
    /// The column mapping checked and sealed under the import's data key.
    fn seal_mapping(
        &self,
        id: &str,
        mapping: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Option<Vec<u8>>, ImportError> {
        let Some(mapping) = mapping else { return Ok(None) };
        let headers_only = mapping.values().all(|v| v.is_string() || v.is_null());
        let json = serde_json::to_vec(mapping)
            .map_err(|e| Internal::Encode { what: "a column mapping", problem: json_problem(&e) })?;
        if !headers_only || mapping.len() > MAX_MAPPING_ENTRIES || json.len() > MAX_MAPPING_BYTES {
            return Err(ImportError::BadRequest(format!(
                "mapping must map at most {MAX_MAPPING_ENTRIES} schema keys to a header (a string) or null, \
                 in at most {MAX_MAPPING_BYTES} bytes"
            )));
        }
        let data = self.keys(id)?.data;
        let sealed = data.seal(&self.rng, id, Item::Mapping, &json).map_err(|source| Internal::Seal {
            import: id.to_owned(),
            item: Item::Mapping,
            source,
        })?;
        Ok(Some(sealed))
    }
}

/// The stored batches must be numbered 0, 1, … with nothing missing and hold the rows said.
fn check_counts(batches: &[BatchMeta], expected: &Expected) -> Result<(), ImportError> {
    let stored: BTreeSet<u64> = batches.iter().map(|b| b.sequence).collect();
    let missing: Vec<u64> = (0..expected.batches).filter(|s| !stored.contains(s)).take(1000).collect();
    if !missing.is_empty() {
        return Err(ImportError::Incomplete { missing });
    }
    let rows: u64 = batches.iter().map(|b| u64::from(b.row_count)).sum();
    if batches.len() as u64 != expected.batches || rows != expected.rows {
        return Err(ImportError::CountMismatch { batches: batches.len() as u64, rows });
    }
    Ok(())
}

fn completion(record: &ImportRecord, invalid_rows: u64, completed_at: i64) -> Completion {
    Completion {
        import_id: record.id.clone(),
        status: ImportStatus::Complete,
        batches: record.batches,
        rows: record.rows,
        invalid_rows,
        completed_at,
    }
}
