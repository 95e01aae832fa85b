//! Storage behind one narrow interface: imports, their sealed batches, the wrapped keys (in a
//! separate keystore file) and the event log. Everything here is already sealed or holds only
//! counts, codes and column keys; SQLite (`sqlite`) and PostgreSQL (`postgres`, for several
//! instances over one database) implement the same trait.

pub mod blobs;
mod outbox;
mod postgres;
mod space;
mod sqlite;
mod writer;

pub use outbox::{
    Attempt, Claim, DeleteReason, DeliverySummary, Lease, Message, MessageKind, MessageStatus, NewMessage,
};
pub use postgres::{PostgresOptions, PostgresStore};
pub use space::{DiskLimits, RESERVE_FILE};
pub use sqlite::{DATA_FILE, FileState, Inspection, KEYS_FILE, SqliteStore};

use std::fmt;

/// A storage failure: its kind, and what could not be done, never which values were involved.
#[derive(Debug)]
pub struct StoreError {
    kind: ErrorKind,
    detail: String,
}

/// What kind of storage failure it is, so that a caller can answer it and an operator's log can
/// tell it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The volume is full, or below its free-space floor: nothing new can be stored now, but
    /// deletions still go through.
    Full,
    /// The files cannot be read or written now (an I/O error, permissions, a lock held too long).
    Unavailable,
    /// A file or a database is damaged, or is not a Sluice store.
    Corrupt,
    /// What was asked for is not there (a missing import, a missing object).
    NotFound,
    /// The write clashes with what is stored (a key taken, a change another instance made
    /// first); nothing was written.
    Conflict,
    /// The data file, the keystore and the master key do not belong together, or one is missing:
    /// the server must not start on them.
    Mismatch,
    /// Anything else.
    Other,
}

impl StoreError {
    /// A failure of `kind`; `detail` says what could not be done.
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> StoreError {
        StoreError { kind, detail: detail.into() }
    }

    /// A failure of no particular kind.
    pub fn other(detail: impl Into<String>) -> StoreError {
        StoreError::new(ErrorKind::Other, detail)
    }

    /// Its kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What could not be done.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The same failure, with what was being done put in front.
    pub fn context(self, doing: &str) -> StoreError {
        StoreError { kind: self.kind, detail: format!("{doing}: {}", self.detail) }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage: {}", self.detail)
    }
}

impl std::error::Error for StoreError {}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        let kind = match e.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => ErrorKind::Full,
            _ => ErrorKind::Unavailable,
        };
        StoreError::new(kind, e.to_string())
    }
}

/// A storage result.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Where an import is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Batches may be sent.
    Open,
    /// Verified and closed.
    Complete,
    /// Not completed in time.
    Expired,
    /// Deleted by the operator before it was completed.
    Deleted,
}

impl ImportStatus {
    fn parse(text: &str) -> Result<Self> {
        match text {
            "open" => Ok(ImportStatus::Open),
            "complete" => Ok(ImportStatus::Complete),
            "expired" => Ok(ImportStatus::Expired),
            "deleted" => Ok(ImportStatus::Deleted),
            other => Err(StoreError::new(ErrorKind::Corrupt, format!("unknown import status {other:?}"))),
        }
    }
}

/// A new import, with its keys already wrapped by the master key.
#[derive(Clone, Debug)]
pub struct NewImport {
    /// The import id (`imp_…`).
    pub id: String,
    /// The importer's key.
    pub importer: String,
    /// The digest of the schema batches must carry.
    pub schema_digest: [u8; 32],
    /// SHA-256 of the upload token.
    pub token_hash: [u8; 32],
    /// When the upload token expires (Unix seconds).
    pub token_expires_at: i64,
    /// When the import started (Unix seconds).
    pub created_at: i64,
    /// When the import expires unless completed (Unix seconds).
    pub expires_at: i64,
    /// The file size the client declared.
    pub file_size: Option<u64>,
    /// The import's own schema (canonical JSON) when the host page added columns to the
    /// importer's; `None` for the importer's schema. Column definitions only, never data.
    pub schema: Option<String>,
    /// Sealed (file name, type, user, attributes).
    pub metadata: Vec<u8>,
    /// The data key's id and wrapped bytes.
    pub data_key: (Vec<u8>, Vec<u8>),
    /// The wrapped transport key.
    pub transport_key: Vec<u8>,
}

/// What became of a new import under a limit on open imports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Recorded, with its keys.
    Created,
    /// Not recorded: its importer has as many imports open as it may.
    Full {
        /// The soonest expiry of those imports (Unix seconds): a place is free by then at the
        /// latest.
        next_expiry: i64,
    },
}

/// An import as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRecord {
    /// The import id.
    pub id: String,
    /// The importer's key.
    pub importer: String,
    /// Where it is in its life.
    pub status: ImportStatus,
    /// The digest of the schema batches must carry.
    pub schema_digest: [u8; 32],
    /// SHA-256 of the upload token.
    pub token_hash: [u8; 32],
    /// When the upload token expires (Unix seconds); each stored batch extends it.
    pub token_expires_at: i64,
    /// When the import started (Unix seconds).
    pub created_at: i64,
    /// When the import expires unless completed (Unix seconds).
    pub expires_at: i64,
    /// When it was completed (Unix seconds).
    pub completed_at: Option<i64>,
    /// The file size the client declared.
    pub file_size: Option<u64>,
    /// The import's own schema, when it has one (see [`NewImport::schema`]).
    pub schema: Option<String>,
    /// Batches stored.
    pub batches: u64,
    /// Rows stored.
    pub rows: u64,
    /// Rows stored that the server found invalid.
    pub invalid_rows: u64,
    /// When its rows, metadata and keys were deleted (Unix seconds); the record stays.
    pub data_deleted_at: Option<i64>,
    /// Why they were deleted.
    pub deleted_reason: Option<String>,
}

/// A batch to store: its place, the server's verdict, and its sealed bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBatch {
    /// The import.
    pub import_id: String,
    /// Its number in the import, from 0.
    pub sequence: u64,
    /// The data row number of its first row.
    pub first_row: u64,
    /// Its rows.
    pub row_count: u32,
    /// Data row numbers the server found invalid.
    pub invalid_rows: Vec<u64>,
    /// The keyed fingerprint of the batch as opened (its plaintext), to tell a replay from a
    /// conflict.
    pub fingerprint: [u8; 32],
    /// The batch as sealed under the import's data key.
    pub sealed: Vec<u8>,
    /// What completion needs of the batch (row span, unique cells' keys), sealed under the
    /// import's data key; none for a store that keeps no summaries.
    pub summary: Option<Vec<u8>>,
    /// When it arrived (Unix seconds).
    pub stored_at: i64,
    /// The upload token's new expiry: each stored batch extends it (never shortens it).
    pub token_expires_at: i64,
    /// The most rows the import may hold with this batch, checked in the write's transaction:
    /// batches of one import checked at the same time cannot pass the limit together.
    pub max_rows: u64,
}

/// A stored batch without its sealed bytes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchMeta {
    /// Its number in the import.
    pub sequence: u64,
    /// The data row number of its first row.
    pub first_row: u64,
    /// Its rows.
    pub row_count: u32,
    /// How many of its rows the server found invalid.
    pub invalid_rows: u32,
    /// The keyed fingerprint of the batch as opened.
    #[serde(skip)]
    pub fingerprint: [u8; 32],
}

/// What storing a batch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PutOutcome {
    /// Stored now (durably: the transaction is committed with a full sync).
    Stored,
    /// The same body was stored under this number before; nothing was written.
    Replayed(BatchMeta),
    /// Another body is stored under this number.
    Conflict,
    /// The import is not open.
    NotOpen(ImportStatus),
    /// The import would hold more than the batch's `max_rows`; nothing was written.
    TooManyRows,
}

/// What completing an import records: what it was checked against, and what it adds.
#[derive(Clone, Debug, Default)]
pub struct Completing {
    /// When (Unix seconds).
    pub at: i64,
    /// The batches the completion checked: the import must hold exactly these many.
    pub batches: u64,
    /// The rows in them: the import must hold exactly these many.
    pub rows: u64,
    /// The final count of invalid rows (those across batches included).
    pub invalid_rows: u64,
    /// The sealed column mapping, if the client gave one.
    pub mapping: Option<Vec<u8>>,
    /// The messages to deliver.
    pub messages: Vec<NewMessage>,
}

/// An event for the import's log: a kind and a JSON detail of counts, codes and column keys.
#[derive(Clone, Debug)]
pub struct Event {
    /// The import it concerns, if any.
    pub import_id: Option<String>,
    /// When (Unix seconds).
    pub at: i64,
    /// What happened (`import_created`, `batch_stored`, …).
    pub kind: &'static str,
    /// Counts, codes and column keys; never a cell value.
    pub detail: serde_json::Value,
}

/// An importer made in the dashboard, as stored: its settings as a TOML document holding no
/// secret, and its destinations' secrets sealed under the master key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredImporter {
    /// The importer's key.
    pub key: String,
    /// Its `[[importers]]` table as TOML, without secrets.
    pub document: String,
    /// Its secrets, sealed (`MasterKey::seal_secrets`).
    pub sealed_secrets: Vec<u8>,
    /// Whether it refuses new imports.
    pub disabled: bool,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// When it was last changed (Unix seconds).
    pub updated_at: i64,
}

/// An operator action from the audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// When (Unix seconds).
    pub at: i64,
    /// What (`admin_delete_import`, …).
    pub kind: String,
    /// The import it concerns, if any.
    pub import_id: Option<String>,
    /// Ids, counts and options; never a cell value.
    pub detail: serde_json::Value,
}

/// What an import's key is for; each is wrapped under its own purpose, so one cannot stand in
/// for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPurpose {
    /// The data key: seals the import's batches, metadata and mapping at rest.
    Data,
    /// The transport key: opens the client's encrypted batches; destroyed at completion.
    Transport,
}

impl KeyPurpose {
    /// Its name in the keystore and in the key-wrapping AAD.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::Data => "data",
            KeyPurpose::Transport => "transport",
        }
    }
}

/// A wrapped key from the keystore.
#[derive(Clone, Debug)]
pub struct WrappedKey {
    /// The key's id (the data key's 16 bytes; empty for the transport key).
    pub key_id: Vec<u8>,
    /// The key wrapped by the master key.
    pub wrapped: Vec<u8>,
}

/// What binds a data file to its keystore and to the master key; both files hold the same one.
#[derive(Clone, PartialEq, Eq)]
pub struct Binding {
    /// The store's id (`sto_` and 32 hex digits), random, made with the store.
    pub store_id: String,
    /// A random key wrapped by the master key for this store id: only that master key opens it.
    pub check: Vec<u8>,
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding").field("store_id", &self.store_id).finish_non_exhaustive()
    }
}

/// The binding each file of a store holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bindings {
    /// The data file's.
    pub data: Option<Binding>,
    /// The keystore's.
    pub keystore: Option<Binding>,
}

/// Why a store cannot take writes now (readiness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unready {
    /// A write to the data file failed.
    DataUnwritable,
    /// A write to the keystore failed.
    KeystoreUnwritable,
    /// The data file the server opened is no longer at its path (removed or replaced).
    DataFileGone,
    /// The keystore the server opened is no longer at its path (removed or replaced).
    KeystoreGone,
    /// Free space is below the floor.
    LowDiskSpace,
    /// The object storage holding sealed batches does not answer or take writes.
    ObjectsUnavailable,
}

impl Unready {
    /// Its stable code, as `/health/ready` shows it.
    pub fn code(self) -> &'static str {
        match self {
            Unready::DataUnwritable => "store_unwritable",
            Unready::KeystoreUnwritable => "keystore_unwritable",
            Unready::DataFileGone => "store_file_missing",
            Unready::KeystoreGone => "keystore_file_missing",
            Unready::LowDiskSpace => "disk_space_low",
            Unready::ObjectsUnavailable => "object_storage_unavailable",
        }
    }
}

/// The storage interface.
pub trait Store: Send + Sync {
    /// Records a new import and its keys.
    fn create_import(&self, import: NewImport) -> Result<()>;
    /// How many imports of `importer` are open and not past their expiry at `now`, and the
    /// soonest of their expiries.
    fn open_imports(&self, importer: &str, now: i64) -> Result<(u64, Option<i64>)>;
    /// Records a new import and its keys as [`create_import`](Store::create_import) does,
    /// unless its importer has `max_open` imports open at `now` (counted in the transaction
    /// that records it).
    fn create_import_within(&self, import: NewImport, max_open: u64, now: i64) -> Result<Admission>;
    /// The import with `id`, if any.
    fn import(&self, id: &str) -> Result<Option<ImportRecord>>;
    /// The import's sealed metadata.
    fn metadata(&self, id: &str) -> Result<Option<Vec<u8>>>;
    /// Stores a batch unless its number is taken; durable when it returns `Stored`.
    fn put_batch(&self, batch: NewBatch) -> Result<PutOutcome>;
    /// Stores a batch as [`put_batch`](Store::put_batch) does and, in the same transaction,
    /// moves the import's expiry to `expires_at` unless it is later already (the first batch of
    /// an import gives it its whole time).
    fn put_batch_extending(&self, batch: NewBatch, expires_at: i64) -> Result<PutOutcome>;
    /// One stored batch of an import, without its sealed bytes.
    fn batch(&self, id: &str, sequence: u64) -> Result<Option<BatchMeta>>;
    /// The batches stored for an import, in sequence order.
    fn batches(&self, id: &str) -> Result<Vec<BatchMeta>>;
    /// The row numbers found invalid in the stored batches of an import, in order.
    fn invalid_rows(&self, id: &str) -> Result<Vec<u64>>;
    /// One stored batch's sealed bytes.
    fn sealed_batch(&self, id: &str, sequence: u64) -> Result<Option<Vec<u8>>>;
    /// One stored batch's sealed summary; none when the batch, or its summary, is not stored.
    fn summary(&self, id: &str, sequence: u64) -> Result<Option<Vec<u8>>>;
    /// Marks an import complete with its final invalid row count, its sealed column mapping and
    /// the messages to deliver, in one transaction; destroys its transport key. Decided once,
    /// and only on what was checked: on an import no longer open, or holding other counts than
    /// `completing`'s (a batch stored while the completion was being checked), it fails with
    /// [`ErrorKind::Conflict`] and writes nothing.
    fn complete(&self, id: &str, completing: Completing) -> Result<()>;
    /// The import's sealed column mapping, if the client gave one.
    fn mapping(&self, id: &str) -> Result<Option<Vec<u8>>>;
    /// Marks open imports past their time as expired (in one write, so that a completion
    /// cannot slip in between), then deletes the data of every expired import still holding
    /// some, as [`delete_data`](Store::delete_data) does; returns how many.
    fn expire(&self, now: i64) -> Result<u64>;
    /// Deletes the data of imports: first records that their deletion started, then deletes
    /// their keys (crypto-shredding: even an old copy of the data file cannot be read after
    /// this), then their batches, metadata and mapping; cancels their undelivered messages;
    /// checkpoints both files with truncation. The records stay, with counts. Goes through on a
    /// full volume (the disk reserve is released for it). Returns the imports that still had
    /// data.
    fn delete_data(&self, ids: &[String], at: i64, reason: DeleteReason) -> Result<Vec<String>>;
    /// Upkeep the retention job does every minute: folds both write-ahead logs into their files
    /// and truncates them (in case a deletion's own checkpoint found them busy), and puts the
    /// disk reserve back once there is room for it.
    fn maintain(&self) -> Result<()>;
    /// The imports that still hold data: of one importer, or of all.
    fn imports_with_data(&self, importer: Option<&str>) -> Result<Vec<String>>;
    /// The importers whose imports still hold data.
    fn importers_with_data(&self) -> Result<Vec<String>>;
    /// The complete imports of `importer` that still hold data and were completed at or before
    /// `cutoff` (Unix seconds).
    fn completed_before(&self, importer: &str, cutoff: i64) -> Result<Vec<String>>;
    /// The complete imports of `importer` that still hold data, have messages, and none pending
    /// (nor dead, unless `dead_counts_as_done`).
    fn delivery_done(&self, importer: &str, dead_counts_as_done: bool) -> Result<Vec<String>>;
    /// The imports whose deletion was recorded as started and did not finish (a crash cut it
    /// short): only these are ever finished without being asked again.
    fn unfinished_deletions(&self) -> Result<Vec<String>>;
    /// The imports that hold data, with no deletion recorded, whose data key is not in the
    /// keystore (a keystore older than the data file, say): they are kept, unreadable, until the
    /// right keystore is back or the operator deletes them.
    fn keyless_imports(&self) -> Result<Vec<String>>;
    /// The binding each file holds now.
    fn bindings(&self) -> Result<Bindings>;
    /// Writes `binding` into the keystore unless it holds one, then the keystore's binding into
    /// the data file (or database) unless it holds one: a new store, or one made before bindings
    /// existed, once its master key is proven. A binding is never replaced, so instances binding
    /// one new store at once end up with the first one written in both places.
    fn bind(&self, binding: &Binding) -> Result<()>;
    /// Whether a new import or batch may be stored now: [`ErrorKind::Full`] below the free-space
    /// floor.
    fn has_room(&self) -> Result<()>;
    /// What keeps the store from taking writes now (each file written to, both still in place,
    /// the free space); empty when it is ready.
    fn readiness(&self, now: i64) -> Vec<Unready>;
    /// Pending messages to one destination of an importer, oldest first: all of them, or only
    /// those due by `due_by` (Unix milliseconds).
    fn pending_messages(
        &self,
        importer: &str,
        destination: u32,
        due_by: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>>;
    /// Takes the next message of one destination of an importer under `lease`. An `ordered`
    /// lane looks only at its oldest pending message: it waits while that one is not due or
    /// another holder's lease on it runs. An unordered lane takes the oldest due message whose
    /// lease is free or has run out. Taking and leasing are one write, so no two holders ever
    /// hold one message.
    fn claim_message(
        &self,
        importer: &str,
        destination: u32,
        ordered: bool,
        now_ms: i64,
        lease: &Lease,
    ) -> Result<Claim>;
    /// Extends `holder`'s leases on the pending messages `ids` (those it has in flight) to
    /// `until_ms`; returns how many. Only messages still in flight are renewed, so a lease whose
    /// attempt could not be recorded runs out and another claim takes the message again.
    fn renew_leases(&self, holder: &str, ids: &[String], until_ms: i64) -> Result<u64>;
    /// Gives back `holder`'s lease on message `id` without recording an attempt.
    fn release_message(&self, id: &str, holder: &str) -> Result<()>;
    /// Takes or keeps the lease on job `job` (the retention job runs on one instance at a
    /// time): whether `lease.holder` holds it now, until `lease.until_ms`.
    fn lead(&self, job: &str, lease: &Lease, now_ms: i64) -> Result<bool>;
    /// Records `holder`'s attempt to deliver message `id` and ends its lease. A delivery is
    /// always recorded. A failure is recorded only while no other holder has taken the message
    /// (after `holder`'s lease ran out): that holder's attempt decides what happens next, so a
    /// stale failure can neither reschedule the message nor make it a dead letter under it.
    fn record_attempt(&self, id: &str, holder: &str, attempt: Attempt) -> Result<()>;
    /// The messages of an import, in order.
    fn messages(&self, import_id: &str) -> Result<Vec<Message>>;
    /// Dead letters, oldest first.
    fn dead_letters(&self, limit: u32) -> Result<Vec<Message>>;
    /// Makes dead letters pending again, due at `now_ms`, with a fresh retry schedule: one
    /// message (`id` starting `msg_`) or every dead message of an import. Returns how many.
    fn retry_dead(&self, id: &str, now_ms: i64) -> Result<u64>;
    /// How an import's messages stand.
    fn delivery_summary(&self, import_id: &str) -> Result<DeliverySummary>;
    /// A wrapped key of an import.
    fn key(&self, id: &str, purpose: KeyPurpose) -> Result<Option<WrappedKey>>;
    /// Imports, newest first: of one importer, or of all.
    fn list_imports(&self, importer: Option<&str>, limit: u32) -> Result<Vec<ImportRecord>>;
    /// The error counts of an import's stored batches, by `column:code`.
    fn error_counts(&self, id: &str) -> Result<std::collections::BTreeMap<String, u64>>;
    /// The operator's actions (events whose kind starts with `admin_`), newest first.
    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>>;
    /// The column mapping remembered for header set `hash` of `importer` (JSON), marking it used
    /// at `now`.
    fn remembered_mapping(&self, importer: &str, hash: &str, now: i64) -> Result<Option<String>>;
    /// Remembers `mapping` (JSON) for header set `hash` of `importer`, keeping the `keep` most
    /// recently used of the importer's; the others are forgotten.
    fn remember_mapping(&self, importer: &str, hash: &str, mapping: &str, now: i64, keep: u32) -> Result<()>;
    /// Appends to the event log.
    fn log(&self, event: Event) -> Result<()>;
    /// Records that the start token whose signature is `signature`, valid until `expires_at`
    /// (Unix seconds), starts an import; whether it was fresh. Every instance sharing the store
    /// sees the record, so a token starts one import in all of them, and a restart does not
    /// forget it. Tokens that expired before `forget_before` are forgotten (they are refused as
    /// expired; the caller leaves a margin for instances whose clocks differ).
    fn use_start_token(&self, signature: [u8; 32], expires_at: i64, forget_before: i64) -> Result<bool>;
    /// Every importer made in the dashboard, by key.
    fn stored_importers(&self) -> Result<Vec<StoredImporter>>;
    /// Stores `importer` in place of the one with its key, with `event` in the same
    /// transaction (the change and its audit record are one).
    fn put_importer(&self, importer: StoredImporter, event: Event) -> Result<()>;
    /// Deletes the importer with `key`, with `event` in the same transaction; whether there
    /// was one.
    fn delete_importer(&self, key: &str, event: Event) -> Result<bool>;
    /// The events of an import, oldest first.
    fn events(&self, id: &str) -> Result<Vec<(i64, String, serde_json::Value)>>;
}
