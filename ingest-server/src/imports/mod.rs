//! The import lifecycle, independent of HTTP: create an import (handshake, keys, token), store
//! batches (open, verify, seal), report status, complete (verify all, destroy the transport
//! key). The HTTP layer maps its errors to statuses; nothing here sees a request.
//!
//! It depends on `delivery` and not the reverse: completion plans the outbox's messages and
//! wakes the lanes, and `delivered` gives delivery the import's data through
//! [`ImportData`](crate::delivery::ImportData).

mod batch;
mod complete;
mod create;
mod delivered;
mod export;
mod health;
mod instance;
mod internal;
mod keys;
mod mappings;
mod operator;
mod packing;
mod reading;
mod retention;
mod schemas;
mod starts;
mod summary;

pub use batch::{BatchAck, BatchHeaders};
pub use complete::{Completion, Expected};
pub use create::{CreateImport, Created, FileMeta};
pub use health::Readiness;
pub use instance::{INSTANCE_FILE, Instance, RETENTION_JOB, instance};
pub use internal::Internal;
pub use mappings::{MAX_MAPPINGS, RememberedMapping};
pub use packing::{pack, unpack};
pub use reading::{Format, MAX_PAGE, RowsPage};
pub use retention::Swept;
pub use schemas::MAX_DYNAMIC_COLUMNS;
pub use starts::{MAX_TOKEN_LIFETIME, StartRefusal};

/// The largest batch sequence number, row number or file size an import may have: SQLite's
/// largest integer, 2^63 − 1.
pub const MAX_NUMBER: u64 = i64::MAX.unsigned_abs();

use crate::config::{Config, Importer};
use crate::crypto::{MasterKey, UploadToken};
use crate::delivery::Wakeup;
use crate::store::{BatchMeta, ErrorKind, Event, ImportRecord, ImportStatus, Store, StoreError};
use keys::KeyCache;
use ring::rand::SystemRandom;
use serde::Serialize;
use sluice_parser::schema::Schema;
use sluice_parser::verify::RowError;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};

/// An importer as the server runs it.
pub struct ImporterRuntime {
    /// Its configuration.
    pub config: Importer,
    /// Its schema's canonical JSON, as the public config shows it.
    pub schema_json: serde_json::Value,
    /// Where it is defined: the configuration file, or the dashboard (stored in the data file).
    pub source: Source,
    /// Whether it refuses new imports (`importer_disabled`); imports already started finish,
    /// and their messages are delivered.
    pub disabled: bool,
}

impl ImporterRuntime {
    /// The running form of `config`, defined in `source`.
    pub fn new(config: Importer, source: Source, disabled: bool) -> Result<ImporterRuntime, ImportError> {
        let schema_json = serde_json::from_str(&config.schema.to_json()).map_err(|e| {
            Internal::ImporterSchema { importer: config.key.clone(), problem: internal::json_problem(&e) }
        })?;
        Ok(ImporterRuntime { config, schema_json, source, disabled })
    }

    /// The importer's schema.
    pub fn schema(&self) -> &Schema {
        &self.config.schema
    }
}

/// Where an importer is defined.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// `[[importers]]` in the configuration file: read-only in the dashboard.
    File,
    /// Made in the dashboard and stored in the data file.
    Dashboard {
        /// Its settings, without secrets, as the dashboard's form edits them.
        document: serde_json::Value,
        /// The same as TOML text.
        toml: String,
    },
}

/// Why an operation on imports failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ImportError {
    /// No importer has this key.
    UnknownImporter,
    /// The importer is disabled: it starts no new import.
    ImporterDisabled,
    /// The request was refused without saying why: wrong or expired token, another import's id,
    /// a batch that cannot be opened. One answer for all, so nothing can be learned from it.
    Rejected,
    /// The request is malformed; the message says what to do.
    BadRequest(String),
    /// The file is larger than the importer allows.
    FileTooLarge {
        /// The importer's limit in bytes.
        limit: u64,
    },
    /// The file's details, user and attributes take more bytes than the importer allows.
    MetadataTooLarge {
        /// The importer's `max_metadata` in bytes.
        limit: u64,
    },
    /// The importer requires signed starts and the start token is missing or not accepted.
    StartRefused(StartRefusal),
    /// The importer has as many imports open as it may.
    TooManyOpen {
        /// The importer's `max_open`.
        limit: u64,
        /// Seconds until a place is free at the latest (the soonest expiry of the open imports).
        retry_after: u64,
    },
    /// Another body is stored under this batch number.
    Conflict,
    /// The import is complete or expired.
    Closed(ImportStatus),
    /// The batch does not fit the importer (schema, columns, row order, header fields).
    BatchInvalid(String),
    /// The batch carries file columns no schema column takes, and the importer leaves them out
    /// (`unmapped_columns = "leave_out"`).
    UnmappedRefused {
        /// Kept columns in the batch's header.
        kept_columns: usize,
        /// The first row with fields past the header, if any.
        first_row_with_extras: Option<u64>,
    },
    /// Rows have errors and the importer refuses invalid rows.
    RowsInvalid {
        /// Every error found.
        error_count: u64,
        /// The first errors: row, column key, code.
        errors: Vec<RowError>,
    },
    /// The file has more rows than the importer allows.
    TooManyRows {
        /// The importer's limit.
        limit: u64,
    },
    /// Completion: the import has fewer rows than the importer's `min_rows`.
    TooFewRows {
        /// The importer's `min_rows`.
        limit: u64,
        /// Rows stored.
        rows: u64,
    },
    /// A batch's cell holds U+0000: the rows come from a binary file read as text.
    BinaryContent {
        /// The row.
        row: u64,
        /// The column: a schema key, `kept column N` or `extra field N`.
        column: String,
    },
    /// Batches are missing for completion.
    Incomplete {
        /// The first missing batch numbers.
        missing: Vec<u64>,
    },
    /// The counts given for completion are not what was stored.
    CountMismatch {
        /// Batches stored.
        batches: u64,
        /// Rows stored.
        rows: u64,
    },
    /// The importer hands rows to the host page only (`host_page_rows` with `never_store` and
    /// no destination): the server takes no batch.
    RowsNotTaken,
    /// The import's rows are not readable (deleted, or passed through); the message says why.
    Gone(String),
    /// The data folder's volume is full (or below its free-space floor): nothing new is stored
    /// until room is made.
    StorageFull,
    /// The store cannot be written or read now; the detail is logged, not shown.
    Unavailable(String),
    /// Something failed inside: which part, and why. The cause is logged, not shown.
    Internal(Internal),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::UnknownImporter => f.write_str("no importer has this key"),
            ImportError::ImporterDisabled => f.write_str("the importer is disabled"),
            ImportError::Rejected => f.write_str("the request was not accepted for this import"),
            ImportError::BadRequest(detail) | ImportError::BatchInvalid(detail) => f.write_str(detail),
            ImportError::FileTooLarge { limit } => write!(f, "the file is larger than {limit} bytes"),
            ImportError::MetadataTooLarge { limit } => write!(f, "the metadata is larger than {limit} bytes"),
            ImportError::TooManyOpen { limit, .. } => write!(f, "{limit} imports are open"),
            ImportError::StartRefused(refusal) => write!(f, "start refused: {refusal:?}"),
            ImportError::Conflict => f.write_str("another batch is stored under this number"),
            ImportError::Closed(status) => write!(f, "the import is {status:?}"),
            ImportError::RowsInvalid { error_count, .. } => write!(f, "{error_count} cells are invalid"),
            ImportError::UnmappedRefused { kept_columns, .. } => {
                write!(f, "{kept_columns} unmapped columns, which the importer leaves out")
            }
            ImportError::TooManyRows { limit } => write!(f, "more than {limit} rows"),
            ImportError::TooFewRows { limit, rows } => write!(f, "{rows} rows, fewer than {limit}"),
            ImportError::BinaryContent { row, column } => write!(f, "row {row}, {column}: U+0000"),
            ImportError::Incomplete { missing } => write!(f, "{} batches are missing", missing.len()),
            ImportError::CountMismatch { batches, rows } => {
                write!(f, "stored {batches} batches, {rows} rows")
            }
            ImportError::RowsNotTaken => f.write_str("the importer takes no rows"),
            ImportError::Gone(detail) => f.write_str(detail),
            ImportError::StorageFull => f.write_str("the data folder's volume is full"),
            ImportError::Unavailable(detail) => write!(f, "storage unavailable: {detail}"),
            ImportError::Internal(cause) => write!(f, "internal: {cause}"),
        }
    }
}

impl std::error::Error for ImportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ImportError::Internal(cause) => Some(cause),
            _ => None,
        }
    }
}

impl From<Internal> for ImportError {
    fn from(cause: Internal) -> Self {
        ImportError::Internal(cause)
    }
}

impl From<StoreError> for ImportError {
    fn from(e: StoreError) -> Self {
        match e.kind() {
            ErrorKind::Full => ImportError::StorageFull,
            ErrorKind::Unavailable => ImportError::Unavailable(e.to_string()),
            _ => ImportError::Internal(Internal::Store(e)),
        }
    }
}

/// An import's state as a client may see it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The import.
    pub import_id: String,
    /// Where it is in its life.
    pub status: ImportStatus,
    /// The batches stored, in order.
    pub batches: Vec<BatchMeta>,
    /// Rows stored.
    pub rows: u64,
    /// Rows stored that the server found invalid.
    pub invalid_rows: u64,
    /// When it expires unless completed (Unix seconds); the first stored batch moves it later.
    pub expires_at: i64,
}

/// The server's imports.
pub struct Imports {
    store: Arc<dyn Store>,
    master: MasterKey,
    rng: SystemRandom,
    config: Arc<Config>,
    importers: RwLock<HashMap<String, Arc<ImporterRuntime>>>,
    keys: KeyCache,
    schemas: schemas::SchemaCache,
    wakeup: Arc<Wakeup>,
    readiness: health::LastReadiness,
}

impl Imports {
    /// The imports service over `store`, with keys wrapped by `master`.
    pub fn new(
        config: Arc<Config>,
        store: Arc<dyn Store>,
        master: MasterKey,
    ) -> Result<Imports, ImportError> {
        let importers = config
            .importers
            .iter()
            .map(|i| Ok((i.key.clone(), Arc::new(ImporterRuntime::new(i.clone(), Source::File, false)?))))
            .collect::<Result<_, ImportError>>()?;
        Ok(Imports {
            store,
            master,
            rng: SystemRandom::new(),
            config,
            importers: RwLock::new(importers),
            keys: KeyCache::new(10_000, keys::MAX_AGE),
            schemas: schemas::SchemaCache::new(10_000),
            wakeup: Arc::default(),
            readiness: health::LastReadiness::default(),
        })
    }

    /// Every importer, in no order.
    pub fn importers(&self) -> Vec<Arc<ImporterRuntime>> {
        self.registry().values().cloned().collect()
    }

    /// Puts `importer` in the registry, in place of the one with its key: the routes and
    /// retention use it from their next lookup; imports under way keep their own schema.
    pub fn put_importer(&self, importer: ImporterRuntime) {
        let mut registry = self.importers.write().unwrap_or_else(PoisonError::into_inner);
        registry.insert(importer.config.key.clone(), Arc::new(importer));
    }

    /// Takes the importer with `key` out of the registry.
    pub fn remove_importer(&self, key: &str) {
        self.importers.write().unwrap_or_else(PoisonError::into_inner).remove(key);
    }

    /// The registry, for reading. A registry left by a thread that panicked holds whole
    /// entries (each is replaced in one insert): use it.
    fn registry(&self) -> RwLockReadGuard<'_, HashMap<String, Arc<ImporterRuntime>>> {
        self.importers.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The master key, which also seals the secrets of importers made in the dashboard.
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// What wakes the delivery threads.
    pub fn wakeup(&self) -> &Arc<Wakeup> {
        &self.wakeup
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The importer with `key`.
    pub fn importer(&self, key: &str) -> Result<Arc<ImporterRuntime>, ImportError> {
        self.registry().get(key).cloned().ok_or(ImportError::UnknownImporter)
    }

    /// The store, for the delivery lanes, which `serve` wires to it directly. Everything else
    /// reads and writes through the domain's methods.
    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The import `id` of importer `key`, if `token` is its upload token and still valid.
    fn authorized(&self, key: &str, id: &str, token: &str, now: i64) -> Result<ImportRecord, ImportError> {
        let record = self.store.import(id)?.ok_or(ImportError::Rejected)?;
        let valid = record.importer == key
            && UploadToken::matches(token, &record.token_hash)
            && now < record.token_expires_at
            && (record.status != ImportStatus::Open || now < record.expires_at);
        if valid { Ok(record) } else { Err(ImportError::Rejected) }
    }

    /// An import's state.
    pub fn status(&self, key: &str, id: &str, token: &str, now: i64) -> Result<Status, ImportError> {
        let record = self.authorized(key, id, token, now)?;
        Ok(Status {
            import_id: record.id.clone(),
            status: record.status,
            batches: self.store.batches(id)?,
            rows: record.rows,
            invalid_rows: record.invalid_rows,
            expires_at: record.expires_at,
        })
    }

    /// Marks imports past their time as expired, deletes their data and forgets their keys.
    pub fn expire(&self, now: i64) -> Result<u64, ImportError> {
        let expired = self.store.expire(now)?;
        if expired > 0 {
            self.keys.clear();
        }
        Ok(expired)
    }

    /// Records an event (counts, codes and column keys only) and logs it: imports starting and
    /// ending at `info`, each batch at `debug`.
    fn log(&self, import_id: &str, at: i64, kind: &'static str, detail: serde_json::Value) {
        if kind.starts_with("import_") {
            tracing::info!(import = import_id, %detail, "{kind}");
        } else {
            tracing::debug!(import = import_id, %detail, "{kind}");
        }
        let event = Event { import_id: Some(import_id.to_owned()), at, kind, detail };
        if let Err(e) = self.store.log(event) {
            tracing::warn!(import = import_id, error = %e, "could not log an event");
        }
    }
}
