//! The PostgreSQL store: the same contract as the SQLite one, for several server instances over
//! one database. Two databases, as SQLite has two files: the data database (imports, batch
//! metadata, events, the outbox) and the keystore database (data and transport keys wrapped by
//! the master key), so that a dump of the data database holds no key. Sealed batches live in
//! the data database (`bytea`) or, given a [`Blobs`], in object storage with only their names in
//! the data database.
//!
//! Each file here owns one part: `pool` the connections and errors, `migrations` the schemas,
//! `imports` imports and batches, `keys` the keystore and the bindings, `outbox` messages,
//! `leases` leases on messages and jobs, `deletion` deleting data and sweeping objects, `records` events, importers and
//! remembered mappings.

mod deletion;
mod imports;
mod keys;
mod leases;
mod migrations;
mod outbox;
mod pool;
mod records;

use super::blobs::Blobs;
use super::{
    Admission, Attempt, AuditEntry, BatchMeta, Binding, Bindings, Claim, Completing, DeleteReason,
    DeliverySummary, ErrorKind, Event, ImportRecord, KeyPurpose, Lease, Message, NewBatch, NewImport,
    PutOutcome, Result, Store, StoreError, StoredImporter, Unready, WrappedKey,
};
use pool::{Db, Pool};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the two databases are. The URLs may hold a password: this never prints them. TLS is as
/// each URL's `sslmode` says: `disable`, `prefer` (when it says nothing: TLS when the server
/// offers it), or `require`, `verify-ca` and `verify-full`, which are all one here: TLS always,
/// with the certificate checked against `ca_file` (or the public roots) and the host name.
#[derive(Clone)]
pub struct PostgresOptions {
    /// The data database's URL (`postgres://user:password@host:port/name?sslmode=…`).
    pub data_url: String,
    /// The keystore database's URL: another database, so that a dump of the data holds no key.
    pub keystore_url: String,
    /// The most connections to each database open at once; a request waits for one beyond it.
    pub pool_size: u32,
    /// The CA certificates (PEM) that sign the servers' certificates; the public roots when none.
    pub ca_file: Option<PathBuf>,
}

impl fmt::Debug for PostgresOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresOptions")
            .field("pool_size", &self.pool_size)
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

/// The store on PostgreSQL.
pub struct PostgresStore {
    data: Pool,
    keys: Pool,
    blobs: Option<Arc<dyn Blobs>>,
    random: ring::rand::SystemRandom,
}

impl PostgresStore {
    /// Connects to both databases and brings their schemas up to date; sealed batches go to
    /// `blobs` when given, into the data database otherwise. Refuses ([`ErrorKind::Mismatch`]),
    /// having changed nothing, a store whose keystore database holds no keystore, and keys
    /// beside a data database holding no store. Checking the binding with the master key is the
    /// caller's part (see `crate::integrity`).
    pub fn open(options: &PostgresOptions, blobs: Option<Arc<dyn Blobs>>) -> Result<PostgresStore> {
        let ca_file = match &options.ca_file {
            Some(path) => {
                Some(path.to_str().ok_or_else(|| StoreError::other("ca_file is not a UTF-8 path"))?)
            }
            None => None,
        };
        let tls = crate::delivery::postgres::tls(ca_file).map_err(|e| StoreError::other(e.to_string()))?;
        let size = usize::try_from(options.pool_size).unwrap_or(usize::MAX);
        let data = Pool::new("data", config(&options.data_url, "data")?, tls.clone(), size);
        let keys = Pool::new("keystore", config(&options.keystore_url, "keystore")?, tls, size);
        migrations::refuse_unpaired(&data, &keys)?;
        migrations::migrate(&data, migrations::DATA)?;
        migrations::migrate(&keys, migrations::KEYSTORE)?;
        Ok(PostgresStore { data, keys, blobs, random: ring::rand::SystemRandom::new() })
    }

    /// Connects to both databases and asks each for its server version, changing nothing (what
    /// `sluice check-config` does): whether the URLs, passwords, TLS and the network hold.
    pub fn check_connections(options: &PostgresOptions) -> Result<[String; 2]> {
        let ca_file = match &options.ca_file {
            Some(path) => {
                Some(path.to_str().ok_or_else(|| StoreError::other("ca_file is not a UTF-8 path"))?)
            }
            None => None,
        };
        let tls = crate::delivery::postgres::tls(ca_file).map_err(|e| StoreError::other(e.to_string()))?;
        let version = |which: &'static str, url: &str| {
            let pool = Pool::new(which, config(url, which)?, tls.clone(), 1);
            pool.run(|c| Ok(c.query_one("SHOW server_version", &[])?.try_get::<_, String>(0)?))
        };
        Ok([version("data", &options.data_url)?, version("keystore", &options.keystore_url)?])
    }

    /// Deletes the keys of `purposes` of imports `ids`; the keys table is vacuumed later.
    fn delete_keys(&self, ids: &[String], purposes: &[&str]) -> Result<()> {
        self.keys.run(|k| keys::delete(k, ids, purposes))
    }

    /// Vacuums the keys table, so that deleted keys' rows do not linger in its live pages.
    fn vacuum_keys(&self) -> Result<()> {
        self.keys.run(|k| Ok(k.batch_execute("VACUUM keys")?))
    }
}

/// The connection settings of `url`; the error never quotes it (it may hold a password).
/// libpq's `verify-ca` and `verify-full` are `require` to the driver, whose TLS always checks the
/// certificate and the host name.
fn config(url: &str, which: &str) -> Result<postgres::Config> {
    let url =
        url.replace("sslmode=verify-full", "sslmode=require").replace("sslmode=verify-ca", "sslmode=require");
    url.parse().map_err(|_| StoreError::other(format!("the {which} URL is not a PostgreSQL connection URL")))
}

impl Store for PostgresStore {
    fn create_import(&self, import: NewImport) -> Result<()> {
        self.keys.transaction(|k| keys::insert(k, &import))?;
        let recorded = self.data.transaction(|c| imports::insert(c, &import));
        if recorded.is_err() {
            // Keys of an import that was never recorded would be clutter in the keystore.
            drop(self.delete_keys(std::slice::from_ref(&import.id), &["data", "transport"]));
        }
        recorded
    }

    fn open_imports(&self, importer: &str, now: i64) -> Result<(u64, Option<i64>)> {
        self.data.run(|c| imports::open_imports(c, importer, now))
    }

    fn create_import_within(&self, import: NewImport, max_open: u64, now: i64) -> Result<Admission> {
        self.keys.transaction(|k| keys::insert(k, &import))?;
        let admission = self.data.transaction(|c| imports::admit(c, &import, max_open, now));
        if !matches!(admission, Ok(Admission::Created)) {
            // Refused (another start took the last place meanwhile) or not recorded: its keys go.
            let cleared = self.delete_keys(std::slice::from_ref(&import.id), &["data", "transport"]);
            return admission.and_then(|refused| cleared.map(|()| refused));
        }
        Ok(Admission::Created)
    }

    fn import(&self, id: &str) -> Result<Option<ImportRecord>> {
        self.data.run(|c| imports::record(c, id))
    }

    fn metadata(&self, id: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.data.run(|c| imports::column(c, "metadata", id))?.flatten())
    }

    fn put_batch(&self, batch: NewBatch) -> Result<PutOutcome> {
        self.put_batch_extending(batch, i64::MIN)
    }

    fn put_batch_extending(&self, batch: NewBatch, expires_at: i64) -> Result<PutOutcome> {
        self.put(&batch, expires_at)
    }

    fn batch(&self, id: &str, sequence: u64) -> Result<Option<BatchMeta>> {
        self.data.run(|c| imports::batch(c, id, sequence))
    }

    fn batches(&self, id: &str) -> Result<Vec<BatchMeta>> {
        self.data.run(|c| imports::batches(c, id))
    }

    fn invalid_rows(&self, id: &str) -> Result<Vec<u64>> {
        self.data.run(|c| imports::invalid_rows(c, id))
    }

    fn sealed_batch(&self, id: &str, sequence: u64) -> Result<Option<Vec<u8>>> {
        self.sealed(id, sequence)
    }

    fn summary(&self, id: &str, sequence: u64) -> Result<Option<Vec<u8>>> {
        self.data.run(|c| imports::summary(c, id, sequence))
    }

    fn complete(&self, id: &str, completing: Completing) -> Result<()> {
        self.data.transaction(|c| imports::complete(c, id, &completing))?;
        self.delete_keys(&[id.to_owned()], &["transport"])
    }

    fn mapping(&self, id: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.data.run(|c| imports::column(c, "mapping", id))?.flatten())
    }

    fn expire(&self, now: i64) -> Result<u64> {
        self.expire_imports(now)
    }

    fn delete_data(&self, ids: &[String], at: i64, reason: DeleteReason) -> Result<Vec<String>> {
        self.delete(ids, at, reason)
    }

    /// Sweeps the objects of imports whose data is deleted (an object written for a batch that
    /// was never recorded, a deletion a crash cut short), and vacuums the keys table: keys may
    /// have been deleted by any instance (a deletion, a completion's transport key), and only
    /// the retention job's holder runs this, so it vacuums whatever this process saw.
    fn maintain(&self) -> Result<()> {
        self.sweep()?;
        self.vacuum_keys()
    }

    fn imports_with_data(&self, importer: Option<&str>) -> Result<Vec<String>> {
        self.data.run(|c| imports::with_data(c, importer))
    }

    fn importers_with_data(&self) -> Result<Vec<String>> {
        let sql =
            "SELECT DISTINCT importer FROM imports WHERE data_deleted_at IS NULL AND status = 'complete'
                   ORDER BY importer";
        self.data.run(|c| imports::ids(c, sql, &[]))
    }

    fn completed_before(&self, importer: &str, cutoff: i64) -> Result<Vec<String>> {
        let sql = "SELECT id FROM imports WHERE importer = $1 AND status = 'complete'
                   AND data_deleted_at IS NULL AND completed_at <= $2 ORDER BY created_at, n";
        self.data.run(|c| imports::ids(c, sql, &[&importer, &cutoff]))
    }

    fn delivery_done(&self, importer: &str, dead_counts_as_done: bool) -> Result<Vec<String>> {
        self.data.run(|c| outbox::delivery_done(c, importer, dead_counts_as_done))
    }

    fn unfinished_deletions(&self) -> Result<Vec<String>> {
        let sql = "SELECT id FROM imports WHERE deletion_started_at IS NOT NULL AND data_deleted_at IS NULL
                   ORDER BY n";
        self.data.run(|c| imports::ids(c, sql, &[]))
    }

    fn keyless_imports(&self) -> Result<Vec<String>> {
        let sql = "SELECT id FROM imports WHERE data_deleted_at IS NULL AND deletion_started_at IS NULL
                   AND status IN ('open', 'complete') ORDER BY created_at, n";
        let holding = self.data.run(|c| imports::ids(c, sql, &[]))?;
        let keyed = self.keys.run(|k| keys::with_data_key(k, &holding))?;
        Ok(holding.into_iter().filter(|id| !keyed.contains(id)).collect())
    }

    fn bindings(&self) -> Result<Bindings> {
        Ok(Bindings { data: self.data.run(keys::binding)?, keystore: self.keys.run(keys::binding)? })
    }

    /// Binds the keystore database unless it holds a binding already, then the data database
    /// to whatever the keystore holds, unless it holds one: of several instances binding an
    /// empty pair at once, the first binding written wins in both, and each instance checks it.
    fn bind(&self, binding: &Binding) -> Result<()> {
        self.keys.run(|k| keys::bind(k, binding))?;
        let held = self.keys.run(keys::binding)?.unwrap_or_else(|| binding.clone());
        self.data.run(|c| keys::bind(c, &held))
    }

    /// Always room: PostgreSQL keeps no free-space floor here (its volume is the database
    /// server's to watch); a full disk shows as [`ErrorKind::Full`] on the write itself.
    fn has_room(&self) -> Result<()> {
        Ok(())
    }

    /// Each database written to, and the object store checked; there is no disk floor on
    /// PostgreSQL (see [`has_room`](Store::has_room)).
    fn readiness(&self, now: i64) -> Vec<Unready> {
        let mut unready = Vec::new();
        if self.data.run(|c| keys::probe(c, now)).is_err() {
            unready.push(Unready::DataUnwritable);
        }
        if self.keys.run(|k| keys::probe(k, now)).is_err() {
            unready.push(Unready::KeystoreUnwritable);
        }
        if self.blobs.as_ref().is_some_and(|blobs| blobs.check().is_err()) {
            unready.push(Unready::ObjectsUnavailable);
        }
        unready
    }

    fn pending_messages(
        &self,
        importer: &str,
        destination: u32,
        due_by: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.data.run(|c| outbox::pending(c, importer, destination, due_by, limit))
    }

    fn claim_message(
        &self,
        importer: &str,
        destination: u32,
        ordered: bool,
        now_ms: i64,
        lease: &Lease,
    ) -> Result<Claim> {
        if ordered {
            self.data.transaction(|c| leases::claim_head(c, importer, destination, now_ms, lease))
        } else {
            self.data.run(|c| leases::claim_any(c, importer, destination, now_ms, lease))
        }
    }

    fn renew_leases(&self, holder: &str, ids: &[String], until_ms: i64) -> Result<u64> {
        self.data.run(|c| leases::renew(c, holder, ids, until_ms))
    }

    fn release_message(&self, id: &str, holder: &str) -> Result<()> {
        self.data.run(|c| leases::release(c, id, holder))
    }

    fn lead(&self, job: &str, lease: &Lease, now_ms: i64) -> Result<bool> {
        self.data.run(|c| leases::lead(c, job, lease, now_ms))
    }

    fn record_attempt(&self, id: &str, holder: &str, attempt: Attempt) -> Result<()> {
        self.data.run(|c| outbox::record(c, id, holder, &attempt))
    }

    fn messages(&self, import_id: &str) -> Result<Vec<Message>> {
        self.data.run(|c| outbox::of_import(c, import_id))
    }

    fn dead_letters(&self, limit: u32) -> Result<Vec<Message>> {
        self.data.run(|c| outbox::dead(c, limit))
    }

    fn retry_dead(&self, id: &str, now_ms: i64) -> Result<u64> {
        self.data.run(|c| outbox::retry_dead(c, id, now_ms))
    }

    fn delivery_summary(&self, import_id: &str) -> Result<DeliverySummary> {
        self.data.run(|c| outbox::summary(c, import_id))
    }

    fn key(&self, id: &str, purpose: KeyPurpose) -> Result<Option<WrappedKey>> {
        self.keys.run(|k| keys::key(k, id, purpose))
    }

    fn list_imports(&self, importer: Option<&str>, limit: u32) -> Result<Vec<ImportRecord>> {
        self.data.run(|c| imports::list(c, importer, limit))
    }

    fn error_counts(&self, id: &str) -> Result<std::collections::BTreeMap<String, u64>> {
        self.data.run(|c| records::error_counts(c, id))
    }

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.data.run(|c| records::audit(c, limit))
    }

    fn remembered_mapping(&self, importer: &str, hash: &str, now: i64) -> Result<Option<String>> {
        self.data.run(|c| records::remembered(c, importer, hash, now))
    }

    fn remember_mapping(&self, importer: &str, hash: &str, mapping: &str, now: i64, keep: u32) -> Result<()> {
        self.data.transaction(|c| records::remember(c, importer, hash, mapping, now, keep))
    }

    fn log(&self, event: Event) -> Result<()> {
        self.data.run(|c| records::log(c, &event))
    }

    fn use_start_token(&self, signature: [u8; 32], expires_at: i64, forget_before: i64) -> Result<bool> {
        self.data.run(|c| records::use_start_token(c, &signature, expires_at, forget_before))
    }

    fn stored_importers(&self) -> Result<Vec<StoredImporter>> {
        self.data.run(records::importers)
    }

    fn put_importer(&self, importer: StoredImporter, event: Event) -> Result<()> {
        self.data.transaction(|c| records::put_importer(c, &importer, &event))
    }

    fn delete_importer(&self, key: &str, event: Event) -> Result<bool> {
        self.data.transaction(|c| records::delete_importer(c, key, &event))
    }

    fn events(&self, id: &str) -> Result<Vec<(i64, String, serde_json::Value)>> {
        self.data.run(|c| records::events(c, id))
    }
}

/// `n` as PostgreSQL's `bigint`.
fn signed(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::new(ErrorKind::Other, "a number is too large to store"))
}
