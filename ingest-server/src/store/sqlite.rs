//! The SQLite store: all of the server's SQL. Two files in the data folder: `sluice.db` (imports,
//! sealed batches, events) and `keys.db` (data and transport keys wrapped by the master key), so
//! that deleting a key makes its data unreadable even in an old copy of `sluice.db`. WAL mode,
//! `synchronous = FULL`, `secure_delete`, temporary tables in memory, migrations by
//! `user_version`.

use super::space::{DiskLimits, Space};
use super::writer::Writer;
use super::{
    Admission, Attempt, AuditEntry, BatchMeta, Binding, Bindings, Claim, Completing, DeleteReason,
    DeliverySummary, ErrorKind, Event, ImportRecord, ImportStatus, KeyPurpose, Lease, Message, NewBatch,
    NewImport, PutOutcome, Result, Store, StoreError, StoredImporter, Unready, WrappedKey,
};
pub use files::{DATA_FILE, FileState, Inspection, KEYS_FILE};
use files::{DATA_MIGRATIONS, KEY_MIGRATIONS, checkpoint, connect, migrate, private_dir};
use leases::Leases;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Connections for reads, so that requests do not queue behind one (WAL lets them read while
/// the writer writes).
const READERS: usize = 4;

/// The store on SQLite.
pub struct SqliteStore {
    writer: Writer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    keys: Mutex<Connection>,
    space: Space,
    /// Leases on messages and jobs (in memory: one process serves a SQLite store).
    leases: Leases,
    /// The two files as opened, to notice when either is removed or replaced under the server.
    opened: [(PathBuf, FileId); 2],
}

/// A file's device and inode.
type FileId = (u64, u64);

impl SqliteStore {
    /// Looks at the data folder `dir` without writing anything: which files are there, what
    /// binds them, whether they hold imports and keys.
    pub fn inspect(dir: &Path) -> Result<Inspection> {
        files::inspect(dir)
    }

    /// Opens the store in `dir`, creating its files when the folder holds no store yet. Refuses
    /// ([`ErrorKind::Mismatch`]), having changed nothing, a store whose keystore is missing or
    /// empty, and a keystore holding keys beside no data file. Checking the binding with the
    /// master key is the caller's part (see `crate::integrity`).
    pub fn open(dir: &Path) -> Result<SqliteStore> {
        files::inspect(dir)?.refuse_unpaired()?;
        private_dir(dir)?;
        let data = dir.join(DATA_FILE);
        let keys_path = dir.join(KEYS_FILE);
        let writer = connect(&data)?;
        migrate(&writer, DATA_MIGRATIONS)?;
        let keys = connect(&keys_path)?;
        migrate(&keys, KEY_MIGRATIONS)?;
        let readers = (0..READERS).map(|_| connect(&data).map(Mutex::new)).collect::<Result<_>>()?;
        let opened =
            [(file_id(&data)?, data), (file_id(&keys_path)?, keys_path)].map(|(id, path)| (path, id));
        Ok(SqliteStore {
            writer: Writer::start(writer)?,
            readers,
            next_reader: AtomicUsize::new(0),
            keys: Mutex::new(keys),
            space: Space::new(dir, DiskLimits::default()),
            leases: Leases::default(),
            opened,
        })
    }

    /// The same store, keeping the volume's room by `limits` (the defaults otherwise).
    pub fn with_disk(mut self, limits: DiskLimits) -> SqliteStore {
        self.space = self.space.with_limits(limits);
        self
    }

    /// Runs `work` on a free reader connection, or waits for the next one in turn.
    fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let free = self.readers.iter().find_map(|reader| reader.try_lock().ok());
        let connection = match free {
            Some(connection) => connection,
            None => {
                let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
                let reader =
                    self.readers.get(turn).ok_or_else(|| StoreError::other("no reader connection"))?;
                reader.lock().map_err(|_| StoreError::other("a reader lock is poisoned"))?
            }
        };
        work(&connection)
    }

    fn keystore<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let connection = self.keys.lock().map_err(|_| StoreError::other("the keystore lock is poisoned"))?;
        work(&connection)
    }

    /// Deletes the keys of `purposes` of imports `ids` in one transaction, then truncates the
    /// keystore's log so that no copy of them stays in it.
    fn delete_keys(&self, ids: &[String], purposes: &[&str]) -> Result<()> {
        self.keystore(|k| {
            let tx = k.unchecked_transaction()?;
            for id in ids {
                for purpose in purposes {
                    tx.prepare_cached("DELETE FROM keys WHERE import_id = ?1 AND purpose = ?2")?
                        .execute(params![id, purpose])?;
                }
            }
            tx.commit()?;
            Ok(())
        })?;
        self.keystore(checkpoint)
    }

    /// Bytes free inside the data file (pages a deletion freed), which new batches reuse.
    fn reusable(&self) -> Result<u64> {
        self.read(|c| {
            let pages: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
            let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            Ok(pages.unsigned_abs().saturating_mul(size.unsigned_abs()))
        })
    }

    /// Which of the files opened are no longer at their paths.
    fn files_gone(&self) -> Vec<Unready> {
        let gone = |(path, id): &(PathBuf, FileId)| file_id(path).ok() != Some(*id);
        let [data, keys] = &self.opened;
        [(data, Unready::DataFileGone), (keys, Unready::KeystoreGone)]
            .into_iter()
            .filter(|(file, _)| gone(file))
            .map(|(_, unready)| unready)
            .collect()
    }
}

/// The device and inode of the file at `path`.
/// SQLite's errors, by the kind an operator can act on.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let kind = match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => ErrorKind::Full,
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => ErrorKind::Corrupt,
            Some(
                ErrorCode::CannotOpen
                | ErrorCode::ReadOnly
                | ErrorCode::SystemIoFailure
                | ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::PermissionDenied
                | ErrorCode::FileLockingProtocolFailed,
            ) => ErrorKind::Unavailable,
            _ => ErrorKind::Other,
        };
        StoreError::new(kind, e.to_string())
    }
}

fn file_id(path: &Path) -> Result<FileId> {
    use std::os::unix::fs::MetadataExt;
    let meta =
        std::fs::metadata(path).map_err(|e| StoreError::from(e).context(&path.display().to_string()))?;
    Ok((meta.dev(), meta.ino()))
}

fn digest(bytes: Vec<u8>) -> rusqlite::Result<[u8; 32]> {
    bytes.try_into().map_err(|_| rusqlite::Error::InvalidQuery)
}

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<(ImportRecord, String)> {
    let status: String = row.get("status")?;
    let file_size: Option<i64> = row.get("file_size")?;
    let record = ImportRecord {
        id: row.get("id")?,
        importer: row.get("importer")?,
        status: ImportStatus::Open,
        schema_digest: digest(row.get("schema_digest")?)?,
        token_hash: digest(row.get("token_hash")?)?,
        token_expires_at: row.get("token_expires_at")?,
        created_at: row.get("created_at")?,
        expires_at: row.get("expires_at")?,
        completed_at: row.get("completed_at")?,
        file_size: file_size.and_then(|s| u64::try_from(s).ok()),
        schema: row.get("schema")?,
        batches: row.get::<_, i64>("batches")?.unsigned_abs(),
        rows: row.get::<_, i64>("rows")?.unsigned_abs(),
        invalid_rows: row.get::<_, i64>("invalid_rows")?.unsigned_abs(),
        data_deleted_at: row.get("data_deleted_at")?,
        deleted_reason: row.get("deleted_reason")?,
    };
    Ok((record, status))
}

fn meta(row: &rusqlite::Row<'_>) -> rusqlite::Result<BatchMeta> {
    let invalid: Vec<u8> = row.get("invalid_rows")?;
    Ok(BatchMeta {
        sequence: row.get::<_, i64>("sequence")?.unsigned_abs(),
        first_row: row.get::<_, i64>("first_row")?.unsigned_abs(),
        row_count: u32::try_from(row.get::<_, i64>("row_count")?).unwrap_or(0),
        invalid_rows: u32::try_from(decode_rows(&invalid).len()).unwrap_or(u32::MAX),
        fingerprint: digest(row.get("fingerprint")?)?,
    })
}

/// Row numbers as 8-byte big-endian integers back to back.
fn encode_rows(rows: &[u64]) -> Vec<u8> {
    rows.iter().flat_map(|r| r.to_be_bytes()).collect()
}

fn decode_rows(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).filter_map(|c| c.try_into().ok().map(u64::from_be_bytes)).collect()
}

fn signed(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::other("a number is too large to store"))
}

impl Store for SqliteStore {
    fn create_import(&self, import: NewImport) -> Result<()> {
        let id = import.id.clone();
        self.keystore(|k| starts::insert_keys(k, &import))?;
        let recorded = self.writer.run(move |c| starts::insert_import(c, &import));
        if recorded.is_err() {
            // Keys of an import that was never recorded would be clutter in the keystore.
            drop(self.delete_keys(&[id], &["data", "transport"]));
        }
        recorded
    }

    fn open_imports(&self, importer: &str, now: i64) -> Result<(u64, Option<i64>)> {
        self.read(|c| starts::open_imports(c, importer, now))
    }

    fn create_import_within(&self, import: NewImport, max_open: u64, now: i64) -> Result<Admission> {
        let id = import.id.clone();
        self.keystore(|k| starts::insert_keys(k, &import))?;
        let admission = self.writer.run(move |c| starts::admit(c, &import, max_open, now));
        if !matches!(admission, Ok(Admission::Created)) {
            // Refused (another start took the last place meanwhile) or not recorded: its keys go.
            let cleared = self.delete_keys(std::slice::from_ref(&id), &["data", "transport"]);
            return admission.and_then(|refused| cleared.map(|()| refused));
        }
        Ok(Admission::Created)
    }

    fn import(&self, id: &str) -> Result<Option<ImportRecord>> {
        let found = self.read(|c| {
            Ok(c.prepare_cached("SELECT * FROM imports WHERE id = ?1")?
                .query_row(params![id], record)
                .optional()?)
        })?;
        found
            .map(|(mut record, status)| {
                record.status = ImportStatus::parse(&status)?;
                Ok(record)
            })
            .transpose()
    }

    fn metadata(&self, id: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c| {
            Ok(c.prepare_cached("SELECT metadata FROM imports WHERE id = ?1")?
                .query_row(params![id], |r| r.get(0))
                .optional()?)
        })
    }

    fn put_batch(&self, batch: NewBatch) -> Result<PutOutcome> {
        self.put_batch_extending(batch, i64::MIN)
    }

    fn put_batch_extending(&self, batch: NewBatch, expires_at: i64) -> Result<PutOutcome> {
        self.writer.run(move |c| {
            let found: Option<(String, i64)> = c
                .prepare_cached("SELECT status, rows FROM imports WHERE id = ?1")?
                .query_row(params![batch.import_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((status, rows)) = found else {
                return Err(StoreError::other("the import does not exist"));
            };
            let status = ImportStatus::parse(&status)?;
            let existing = c
                .prepare_cached(
                    "SELECT sequence, first_row, row_count, invalid_rows, fingerprint FROM batches
                     WHERE import_id = ?1 AND sequence = ?2",
                )?
                .query_row(params![batch.import_id, signed(batch.sequence)?], meta)
                .optional()?;
            match existing {
                Some(stored) if stored.fingerprint == batch.fingerprint => {
                    return Ok(PutOutcome::Replayed(stored));
                }
                Some(_) => return Ok(PutOutcome::Conflict),
                None if status != ImportStatus::Open => return Ok(PutOutcome::NotOpen(status)),
                None if rows.unsigned_abs().saturating_add(u64::from(batch.row_count)) > batch.max_rows => {
                    return Ok(PutOutcome::TooManyRows);
                }
                None => {}
            }
            insert_batch(c, &batch, expires_at)?;
            Ok(PutOutcome::Stored)
        })
    }

    fn batch(&self, id: &str, sequence: u64) -> Result<Option<BatchMeta>> {
        let sequence = signed(sequence)?;
        self.read(|c| {
            let sql = "SELECT sequence, first_row, row_count, invalid_rows, fingerprint FROM batches
                       WHERE import_id = ?1 AND sequence = ?2";
            Ok(c.prepare_cached(sql)?.query_row(params![id, sequence], meta).optional()?)
        })
    }

    fn batches(&self, id: &str) -> Result<Vec<BatchMeta>> {
        self.read(|c| {
            let mut query = c.prepare_cached(
                "SELECT sequence, first_row, row_count, invalid_rows, fingerprint FROM batches
                 WHERE import_id = ?1 ORDER BY sequence",
            )?;
            let rows = query.query_map(params![id], meta)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    fn invalid_rows(&self, id: &str) -> Result<Vec<u64>> {
        self.read(|c| {
            let mut query =
                c.prepare_cached("SELECT invalid_rows FROM batches WHERE import_id = ?1 ORDER BY sequence")?;
            let blobs = query.query_map(params![id], |r| r.get::<_, Vec<u8>>(0))?;
            let mut rows = Vec::new();
            for blob in blobs {
                rows.extend(decode_rows(&blob?));
            }
            Ok(rows)
        })
    }

    fn sealed_batch(&self, id: &str, sequence: u64) -> Result<Option<Vec<u8>>> {
        let sequence = signed(sequence)?;
        self.read(|c| {
            let sql = "SELECT sealed FROM batches WHERE import_id = ?1 AND sequence = ?2";
            Ok(c.prepare_cached(sql)?.query_row(params![id, sequence], |r| r.get(0)).optional()?)
        })
    }

    fn summary(&self, id: &str, sequence: u64) -> Result<Option<Vec<u8>>> {
        let sequence = signed(sequence)?;
        self.read(|c| {
            let sql = "SELECT summary FROM batches WHERE import_id = ?1 AND sequence = ?2";
            let found = c.prepare_cached(sql)?.query_row(params![id, sequence], |r| r.get(0)).optional()?;
            Ok(found.flatten())
        })
    }

    fn complete(&self, id: &str, completing: Completing) -> Result<()> {
        let owned = id.to_owned();
        self.writer.run(move |c| {
            let sql =
                "UPDATE imports SET status = 'complete', completed_at = ?2, invalid_rows = ?3, mapping = ?4
                       WHERE id = ?1 AND status = 'open' AND deletion_started_at IS NULL
                       AND batches = ?5 AND rows = ?6";
            let Completing { at, batches, rows, invalid_rows, mapping, messages } = completing;
            let values = params![owned, at, signed(invalid_rows)?, mapping, signed(batches)?, signed(rows)?];
            if c.prepare_cached(sql)?.execute(values)? == 0 {
                return Err(StoreError::new(
                    ErrorKind::Conflict,
                    "the import is not open, or holds other counts",
                ));
            }
            outbox::insert(c, &owned, &messages)
        })?;
        self.delete_keys(&[id.to_owned()], &["transport"])
    }

    fn mapping(&self, id: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c| {
            let sql = "SELECT mapping FROM imports WHERE id = ?1";
            Ok(c.prepare_cached(sql)?.query_row(params![id], |r| r.get(0)).optional()?.flatten())
        })
    }

    fn expire(&self, now: i64) -> Result<u64> {
        let claimed: Vec<String> = self.writer.run(move |c| {
            let sql = "UPDATE imports SET status = 'expired' WHERE status = 'open' AND expires_at <= ?1 RETURNING id";
            ids(c, sql, params![now])
        })?;
        // Those claimed now, and any whose deletion a crash cut short.
        let expired = self.read(|c| {
            ids(c, "SELECT id FROM imports WHERE status = 'expired' AND data_deleted_at IS NULL", params![])
        })?;
        if !claimed.is_empty() {
            tracing::debug!(count = claimed.len(), "imports expired");
        }
        Ok(self.delete_data(&expired, now, DeleteReason::Expired)?.len() as u64)
    }

    fn delete_data(&self, ids: &[String], at: i64, reason: DeleteReason) -> Result<Vec<String>> {
        self.delete(ids, at, reason)
    }

    fn maintain(&self) -> Result<()> {
        self.read(checkpoint)?;
        self.keystore(checkpoint)?;
        self.space.restore_reserve()
    }

    fn imports_with_data(&self, importer: Option<&str>) -> Result<Vec<String>> {
        self.read(|c| {
            let sql =
                "SELECT id FROM imports WHERE data_deleted_at IS NULL AND status IN ('open', 'complete')
                       AND (?1 IS NULL OR importer = ?1) ORDER BY created_at";
            ids(c, sql, params![importer])
        })
    }

    fn importers_with_data(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let sql =
                "SELECT DISTINCT importer FROM imports WHERE data_deleted_at IS NULL AND status = 'complete'";
            ids(c, sql, params![])
        })
    }

    fn completed_before(&self, importer: &str, cutoff: i64) -> Result<Vec<String>> {
        self.read(|c| {
            let sql = "SELECT id FROM imports WHERE importer = ?1 AND status = 'complete'
                       AND data_deleted_at IS NULL AND completed_at <= ?2";
            ids(c, sql, params![importer, cutoff])
        })
    }

    fn delivery_done(&self, importer: &str, dead_counts_as_done: bool) -> Result<Vec<String>> {
        self.read(|c| outbox::delivery_done(c, importer, dead_counts_as_done))
    }

    fn unfinished_deletions(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let sql =
                "SELECT id FROM imports WHERE deletion_started_at IS NOT NULL AND data_deleted_at IS NULL";
            ids(c, sql, params![])
        })
    }

    fn keyless_imports(&self) -> Result<Vec<String>> {
        let holding = self.read(|c| {
            let sql = "SELECT id FROM imports WHERE data_deleted_at IS NULL AND deletion_started_at IS NULL
                       AND status IN ('open', 'complete') ORDER BY created_at";
            ids(c, sql, params![])
        })?;
        self.keystore(|k| {
            let mut query =
                k.prepare_cached("SELECT 1 FROM keys WHERE import_id = ?1 AND purpose = 'data'")?;
            let mut keyless = Vec::new();
            for id in holding {
                if !query.exists(params![id])? {
                    keyless.push(id);
                }
            }
            Ok(keyless)
        })
    }

    fn bindings(&self) -> Result<Bindings> {
        Ok(Bindings { data: self.read(files::binding)?, keystore: self.keystore(files::binding)? })
    }

    fn bind(&self, binding: &Binding) -> Result<()> {
        self.keystore(|k| files::bind(k, binding))?;
        let held = self.keystore(files::binding)?.unwrap_or_else(|| binding.clone());
        self.writer.run(move |c| files::bind(c, &held))
    }

    fn has_room(&self) -> Result<()> {
        self.space.has_room(self.reusable()?)
    }

    fn readiness(&self, now: i64) -> Vec<Unready> {
        let mut unready = self.files_gone();
        let probe = "UPDATE binding SET probed_at = ?1";
        if self.writer.run(move |c| Ok(c.prepare_cached(probe)?.execute(params![now])?)).is_err() {
            unready.push(Unready::DataUnwritable);
        }
        if self.keystore(|k| Ok(k.prepare_cached(probe)?.execute(params![now])?)).is_err() {
            unready.push(Unready::KeystoreUnwritable);
        }
        match self.has_room() {
            Err(e) if e.kind() == ErrorKind::Full => unready.push(Unready::LowDiskSpace),
            Err(_) => unready.push(Unready::DataUnwritable),
            Ok(()) => {}
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
        self.read(|c| outbox::pending(c, importer, destination, due_by, limit))
    }

    fn claim_message(
        &self,
        importer: &str,
        destination: u32,
        ordered: bool,
        now_ms: i64,
        lease: &Lease,
    ) -> Result<Claim> {
        // Read under the lock: a message recorded (its lease ended) between the read and the
        // claim would otherwise be taken again.
        let mut held = self.leases.messages();
        if ordered {
            let head = self.read(|c| outbox::pending(c, importer, destination, None, 1))?.pop();
            return Ok(Leases::claim_head(&mut held, head, now_ms, lease));
        }
        let due =
            self.read(|c| outbox::pending(c, importer, destination, Some(now_ms), leases::LOOKAHEAD))?;
        Ok(Leases::claim_any(&mut held, due, now_ms, lease))
    }

    fn renew_leases(&self, holder: &str, ids: &[String], until_ms: i64) -> Result<u64> {
        Ok(self.leases.renew(holder, ids, until_ms))
    }

    fn release_message(&self, id: &str, holder: &str) -> Result<()> {
        self.leases.release(id, holder);
        Ok(())
    }

    fn lead(&self, job: &str, lease: &Lease, now_ms: i64) -> Result<bool> {
        self.leases.lead(job, lease, now_ms)
    }

    fn record_attempt(&self, id: &str, holder: &str, attempt: Attempt) -> Result<()> {
        let delivered = matches!(attempt, Attempt::Delivered { .. });
        if !delivered && self.leases.held_by_other(id, holder) {
            return Ok(());
        }
        let owned = id.to_owned();
        let recorded = self.writer.run(move |c| outbox::record(c, &owned, &attempt));
        // Ended once recorded: a claim in between would take the message again.
        self.leases.end(id, holder, delivered);
        recorded
    }

    fn messages(&self, import_id: &str) -> Result<Vec<Message>> {
        self.read(|c| outbox::of_import(c, import_id))
    }

    fn dead_letters(&self, limit: u32) -> Result<Vec<Message>> {
        self.read(|c| outbox::dead(c, limit))
    }

    fn retry_dead(&self, id: &str, now_ms: i64) -> Result<u64> {
        let owned = id.to_owned();
        self.writer.run(move |c| outbox::retry_dead(c, &owned, now_ms))
    }

    fn delivery_summary(&self, import_id: &str) -> Result<DeliverySummary> {
        self.read(|c| outbox::summary(c, import_id))
    }

    fn key(&self, id: &str, purpose: KeyPurpose) -> Result<Option<WrappedKey>> {
        self.keystore(|k| {
            let sql = "SELECT key_id, wrapped FROM keys WHERE import_id = ?1 AND purpose = ?2";
            let found = k.prepare_cached(sql)?.query_row(params![id, purpose.as_str()], |r| {
                Ok(WrappedKey { key_id: r.get(0)?, wrapped: r.get(1)? })
            });
            Ok(found.optional()?)
        })
    }

    fn list_imports(&self, importer: Option<&str>, limit: u32) -> Result<Vec<ImportRecord>> {
        let found = self.read(|c| {
            let mut query = c.prepare_cached(
                "SELECT * FROM imports WHERE (?1 IS NULL OR importer = ?1) ORDER BY created_at DESC, id LIMIT ?2",
            )?;
            let rows = query.query_map(params![importer, limit], record)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        found
            .into_iter()
            .map(|(mut record, status)| {
                record.status = ImportStatus::parse(&status)?;
                Ok(record)
            })
            .collect()
    }

    fn error_counts(&self, id: &str) -> Result<std::collections::BTreeMap<String, u64>> {
        self.read(|c| {
            let mut query = c.prepare_cached(
                "SELECT j.key, sum(j.value) FROM events e, json_each(e.detail, '$.errors') j
                 WHERE e.import_id = ?1 AND e.kind = 'batch_stored' GROUP BY j.key",
            )?;
            let rows = query.query_map(params![id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            let mut counts = std::collections::BTreeMap::new();
            for row in rows {
                let (key, count) = row?;
                counts.insert(key, count.unsigned_abs());
            }
            Ok(counts)
        })
    }

    fn audit(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        self.read(|c| {
            let mut query = c.prepare_cached(
                "SELECT at, kind, import_id, detail FROM events WHERE kind LIKE 'admin\\_%' ESCAPE '\\'
                 ORDER BY id DESC LIMIT ?1",
            )?;
            let rows = query.query_map(params![limit], |r| {
                let detail: String = r.get(3)?;
                let detail = serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null);
                Ok(AuditEntry { at: r.get(0)?, kind: r.get(1)?, import_id: r.get(2)?, detail })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    fn remembered_mapping(&self, importer: &str, hash: &str, now: i64) -> Result<Option<String>> {
        let (importer, hash) = (importer.to_owned(), hash.to_owned());
        self.writer.run(move |c| mappings::take(c, &importer, &hash, now))
    }

    fn remember_mapping(&self, importer: &str, hash: &str, mapping: &str, now: i64, keep: u32) -> Result<()> {
        self.has_room()?;
        let (importer, hash, mapping) = (importer.to_owned(), hash.to_owned(), mapping.to_owned());
        self.writer.run(move |c| mappings::put(c, &importer, &hash, &mapping, now, keep))
    }

    fn log(&self, event: Event) -> Result<()> {
        self.writer.run(move |c| {
            c.prepare_cached("INSERT INTO events (import_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![event.import_id, event.at, event.kind, event.detail.to_string()])?;
            Ok(())
        })
    }

    fn use_start_token(&self, signature: [u8; 32], expires_at: i64, forget_before: i64) -> Result<bool> {
        self.writer.run(move |c| {
            c.prepare_cached("DELETE FROM start_tokens WHERE expires_at < ?1")?
                .execute(params![forget_before])?;
            let sql = "INSERT OR IGNORE INTO start_tokens (signature, expires_at) VALUES (?1, ?2)";
            Ok(c.prepare_cached(sql)?.execute(params![signature.as_slice(), expires_at])? == 1)
        })
    }

    fn stored_importers(&self) -> Result<Vec<StoredImporter>> {
        self.read(importers::all)
    }

    fn put_importer(&self, importer: StoredImporter, event: Event) -> Result<()> {
        self.has_room()?;
        self.writer.run(move |c| importers::put(c, &importer, &event))
    }

    fn delete_importer(&self, key: &str, event: Event) -> Result<bool> {
        let key = key.to_owned();
        self.writer.run(move |c| importers::delete(c, &key, &event))
    }

    fn events(&self, id: &str) -> Result<Vec<(i64, String, serde_json::Value)>> {
        self.read(|c| {
            let mut query =
                c.prepare_cached("SELECT at, kind, detail FROM events WHERE import_id = ?1 ORDER BY id")?;
            let rows = query.query_map(params![id], |r| {
                let detail: String = r.get(2)?;
                Ok((r.get(0)?, r.get(1)?, serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null)))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

/// The first column of every row of `sql`, as text.
fn ids(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<String>> {
    let mut query = c.prepare_cached(sql)?;
    Ok(query.query_map(params, |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?)
}

fn insert_batch(c: &Connection, batch: &NewBatch, expires_at: i64) -> Result<()> {
    c.prepare_cached("INSERT INTO batches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(params![
        batch.import_id,
        signed(batch.sequence)?,
        signed(batch.first_row)?,
        i64::from(batch.row_count),
        encode_rows(&batch.invalid_rows),
        batch.fingerprint.to_vec(),
        batch.sealed,
        batch.stored_at,
        batch.summary,
    ])?;
    c.prepare_cached(
        "UPDATE imports SET batches = batches + 1, rows = rows + ?2, invalid_rows = invalid_rows + ?3,
         token_expires_at = max(token_expires_at, ?4), expires_at = max(expires_at, ?5) WHERE id = ?1",
    )?
    .execute(params![
        batch.import_id,
        i64::from(batch.row_count),
        signed(batch.invalid_rows.len() as u64)?,
        batch.token_expires_at,
        expires_at
    ])?;
    Ok(())
}

mod deletion;
mod files;
mod importers;
mod leases;
mod mappings;
mod outbox;
mod starts;
#[cfg(test)]
mod tests;
