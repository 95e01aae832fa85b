//! The SQLite store: all of the server's SQL. Two files in the data folder: `sluice.db` (imports,
//! sealed batches, events) and `keys.db` (data and transport keys wrapped by the master key), so
//! that deleting a key makes its data unreadable even in an old copy of `sluice.db`. WAL mode,
//! `synchronous = FULL`, `secure_delete`, temporary tables in memory, migrations by
//! `user_version`.

use super::writer::Writer;
use super::{
    Admission, Attempt, AuditEntry, BatchMeta, DeleteReason, DeliverySummary, Event, ImportRecord,
    ImportStatus, Message, NewBatch, NewImport, NewMessage, PutOutcome, Result, Store, StoreError,
    WrappedKey,
};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The data file's migrations, in order; `user_version` counts those applied.
const DATA_MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE imports (
        id TEXT PRIMARY KEY,
        importer TEXT NOT NULL,
        status TEXT NOT NULL,
        schema_digest BLOB NOT NULL,
        token_hash BLOB NOT NULL,
        token_expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        completed_at INTEGER,
        file_size INTEGER,
        metadata BLOB NOT NULL,
        batches INTEGER NOT NULL DEFAULT 0,
        rows INTEGER NOT NULL DEFAULT 0,
        invalid_rows INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX imports_open ON imports (status, expires_at);
    CREATE TABLE batches (
        import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
        sequence INTEGER NOT NULL,
        first_row INTEGER NOT NULL,
        row_count INTEGER NOT NULL,
        invalid_rows BLOB NOT NULL,
        fingerprint BLOB NOT NULL,
        sealed BLOB NOT NULL,
        stored_at INTEGER NOT NULL,
        PRIMARY KEY (import_id, sequence)
    ) STRICT;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        import_id TEXT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_import ON events (import_id, id);
",
    "
    ALTER TABLE imports ADD COLUMN schema TEXT;
",
    "
    ALTER TABLE imports ADD COLUMN mapping BLOB;
    ALTER TABLE imports ADD COLUMN data_deleted_at INTEGER;
    ALTER TABLE imports ADD COLUMN deleted_reason TEXT;
    CREATE INDEX imports_done ON imports (importer, status, completed_at) WHERE data_deleted_at IS NULL;
    CREATE TABLE outbox (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        import_id TEXT NOT NULL REFERENCES imports (id),
        importer TEXT NOT NULL,
        destination INTEGER NOT NULL,
        sequence INTEGER NOT NULL,
        kind TEXT NOT NULL,
        first_batch INTEGER NOT NULL,
        first_offset INTEGER NOT NULL,
        row_count INTEGER NOT NULL,
        chunks INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        delivered_at INTEGER
    ) STRICT;
    CREATE INDEX outbox_queue ON outbox (importer, destination, status, n);
    CREATE INDEX outbox_import ON outbox (import_id, destination, sequence);
    CREATE INDEX outbox_dead ON outbox (status, n) WHERE status = 'dead';
",
    "
    CREATE INDEX imports_holding ON imports (created_at) WHERE data_deleted_at IS NULL;
    CREATE INDEX imports_created ON imports (importer, created_at);
    CREATE INDEX events_kind ON events (kind, id);
",
];

/// The keystore's migrations.
const KEY_MIGRATIONS: &[&str] = &["
    CREATE TABLE keys (
        import_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        key_id BLOB NOT NULL,
        wrapped BLOB NOT NULL,
        PRIMARY KEY (import_id, purpose)
    ) STRICT;
"];

/// Connections for reads, so that requests do not queue behind one (WAL lets them read while
/// the writer writes).
const READERS: usize = 4;

/// The store on SQLite.
pub struct SqliteStore {
    writer: Writer,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    keys: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`.
    pub fn open(dir: &Path) -> Result<SqliteStore> {
        private_dir(dir)?;
        let data = dir.join("sluice.db");
        let writer = connect(&data)?;
        migrate(&writer, DATA_MIGRATIONS)?;
        let keys = connect(&dir.join("keys.db"))?;
        migrate(&keys, KEY_MIGRATIONS)?;
        let readers = (0..READERS).map(|_| connect(&data).map(Mutex::new)).collect::<Result<_>>()?;
        Ok(SqliteStore {
            writer: Writer::start(writer)?,
            readers,
            next_reader: AtomicUsize::new(0),
            keys: Mutex::new(keys),
        })
    }

    /// Runs `work` on a free reader connection, or waits for the next one in turn.
    fn read<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let free = self.readers.iter().find_map(|reader| reader.try_lock().ok());
        let connection = match free {
            Some(connection) => connection,
            None => {
                let turn = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
                let reader =
                    self.readers.get(turn).ok_or_else(|| StoreError("no reader connection".into()))?;
                reader.lock().map_err(|_| StoreError("a reader lock is poisoned".into()))?
            }
        };
        work(&connection)
    }

    fn keystore<T>(&self, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let connection = self.keys.lock().map_err(|_| StoreError("the keystore lock is poisoned".into()))?;
        work(&connection)
    }

    fn delete_keys(&self, ids: &[String], purpose: &str) -> Result<()> {
        self.keystore(|k| {
            let tx = k.unchecked_transaction()?;
            for id in ids {
                tx.prepare_cached("DELETE FROM keys WHERE import_id = ?1 AND purpose = ?2")?
                    .execute(params![id, purpose])?;
            }
            tx.commit()?;
            Ok(())
        })?;
        self.keystore(checkpoint)
    }
}

/// Creates the data folder readable by its owner only (0700), if it does not exist.
fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError(format!("cannot create the data folder {}: {e}", dir.display())))
}

/// Creates a database file readable by its owner only (0600), if it does not exist; SQLite gives
/// its WAL and shared-memory files the same mode.
fn private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| StoreError(format!("cannot create {}: {e}", path.display())))
}

/// Opens a connection with the settings every connection needs.
fn connect(path: &Path) -> Result<Connection> {
    private_file(path)?;
    let connection = Connection::open(path)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = ON;",
    )?;
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(connection)
}

/// Applies the migrations not applied yet, each with its `user_version` bump.
fn migrate(connection: &Connection, migrations: &[&str]) -> Result<()> {
    let applied: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > migrations.len() {
        return Err(StoreError(format!("the database is from a newer Sluice (schema version {applied})")));
    }
    for (version, sql) in migrations.iter().enumerate().skip(applied) {
        let tx = connection.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
        tx.commit()?;
    }
    Ok(())
}

/// Folds the WAL back into the main file and truncates it, so deleted pages leave no copy;
/// tries again while readers keep it busy, then leaves it to the next checkpoint (the
/// retention job makes one every minute).
fn checkpoint(connection: &Connection) -> Result<()> {
    for _ in 0..CHECKPOINT_TRIES {
        let busy: i64 = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    tracing::warn!("the write-ahead log stayed busy; the next checkpoint will truncate it");
    Ok(())
}

/// How often a checkpoint is tried while readers keep the log busy.
const CHECKPOINT_TRIES: usize = 50;

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
    i64::try_from(n).map_err(|_| StoreError("a number is too large to store".into()))
}

impl Store for SqliteStore {
    fn create_import(&self, import: NewImport) -> Result<()> {
        self.keystore(|k| starts::insert_keys(k, &import))?;
        self.writer.run(move |c| starts::insert_import(c, &import))
    }

    fn open_imports(&self, importer: &str, now: i64) -> Result<(u64, Option<i64>)> {
        self.read(|c| starts::open_imports(c, importer, now))
    }

    fn create_import_within(&self, import: NewImport, max_open: u64, now: i64) -> Result<Admission> {
        let id = import.id.clone();
        self.keystore(|k| starts::insert_keys(k, &import))?;
        let admission = self.writer.run(move |c| starts::admit(c, &import, max_open, now))?;
        if admission != Admission::Created {
            // Another start took the last place meanwhile: its keys go with it.
            self.delete_keys(std::slice::from_ref(&id), "data")?;
            self.delete_keys(std::slice::from_ref(&id), "transport")?;
        }
        Ok(admission)
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
            let status: Option<String> = c
                .prepare_cached("SELECT status FROM imports WHERE id = ?1")?
                .query_row(params![batch.import_id], |r| r.get(0))
                .optional()?;
            let Some(status) = status else { return Err(StoreError("the import does not exist".into())) };
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

    fn complete(
        &self,
        id: &str,
        at: i64,
        invalid_rows: u64,
        mapping: Option<Vec<u8>>,
        messages: Vec<NewMessage>,
    ) -> Result<()> {
        let owned = id.to_owned();
        self.writer.run(move |c| {
            let sql =
                "UPDATE imports SET status = 'complete', completed_at = ?2, invalid_rows = ?3, mapping = ?4
                       WHERE id = ?1 AND status = 'open'";
            let changed =
                c.prepare_cached(sql)?.execute(params![owned, at, signed(invalid_rows)?, mapping])?;
            if changed == 0 {
                return Err(StoreError("the import is not open".into()));
            }
            outbox::insert(c, &owned, &messages)
        })?;
        self.delete_keys(&[id.to_owned()], "transport")
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
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.delete_keys(ids, "data")?;
        self.delete_keys(ids, "transport")?;
        let owned = ids.to_vec();
        let deleted = self.writer.run(move |c| outbox::delete_data(c, &owned, at, reason))?;
        if let Err(e) = self.read(checkpoint) {
            tracing::warn!(error = %e, "the write-ahead log could not be truncated after a deletion; the retention job will");
        }
        Ok(deleted)
    }

    fn checkpoint(&self) -> Result<()> {
        self.read(checkpoint)?;
        self.keystore(checkpoint)
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

    fn keyless_imports(&self) -> Result<Vec<String>> {
        let holding = self.imports_with_data(None)?;
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

    fn pending_messages(
        &self,
        importer: &str,
        destination: u32,
        due_by: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>> {
        self.read(|c| outbox::pending(c, importer, destination, due_by, limit))
    }

    fn record_attempt(&self, id: &str, attempt: Attempt) -> Result<()> {
        let owned = id.to_owned();
        self.writer.run(move |c| outbox::record(c, &owned, &attempt))
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

    fn key(&self, id: &str, purpose: &str) -> Result<Option<WrappedKey>> {
        self.keystore(|k| {
            let sql = "SELECT key_id, wrapped FROM keys WHERE import_id = ?1 AND purpose = ?2";
            let found = k.prepare_cached(sql)?.query_row(params![id, purpose], |r| {
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

    fn log(&self, event: Event) -> Result<()> {
        self.writer.run(move |c| {
            c.prepare_cached("INSERT INTO events (import_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![event.import_id, event.at, event.kind, event.detail.to_string()])?;
            Ok(())
        })
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
    c.prepare_cached("INSERT INTO batches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(params![
        batch.import_id,
        signed(batch.sequence)?,
        signed(batch.first_row)?,
        i64::from(batch.row_count),
        encode_rows(&batch.invalid_rows),
        batch.fingerprint.to_vec(),
        batch.sealed,
        batch.stored_at,
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

mod outbox;
mod starts;
#[cfg(test)]
mod tests;
