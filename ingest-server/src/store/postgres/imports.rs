//! The SQL of imports and their batches: starting an import (under a per-importer lock, so that
//! the limit on open imports holds across instances), storing a batch (in one statement, under a
//! lock on its import's row, so that `max_rows` and the batch number hold across instances), reading them
//! back, and completing an import once.

use super::super::blobs::batch_name;
use super::super::{
    Admission, BatchMeta, Completing, ErrorKind, ImportRecord, ImportStatus, NewBatch, NewImport, PutOutcome,
    Result, StoreError,
};
use super::pool::{Db, Fail, Sql, Tx};
use super::{PostgresStore, outbox, signed};
use postgres::Row;
use postgres::types::ToSql;

/// The class of the advisory locks taken per importer while admitting a start.
const ADMISSION_LOCK: i32 = 0x736c_7569;

/// The columns a [`BatchMeta`] is read from.
const META: &str = "sequence, first_row, row_count, invalid_rows, fingerprint";

impl PostgresStore {
    /// Stores `batch` (see [`Store::put_batch_extending`](super::super::Store::put_batch_extending)):
    /// with object storage, the object first under a fresh name, then its row; an object whose
    /// row was not stored is deleted again.
    pub(super) fn put(&self, batch: &NewBatch, expires_at: i64) -> Result<PutOutcome> {
        let Some(blobs) = &self.blobs else {
            return self.data.run(|c| put(c, batch, None, expires_at));
        };
        // Written before its row is; a replay (a retry of a batch stored) writes it, then
        // deletes it again, so that the usual case takes one statement.
        let name = batch_name(&batch.import_id, batch.sequence, self.suffix()?);
        blobs.put(&name, &batch.sealed)?;
        let outcome = self.data.run(|c| put(c, batch, Some(&name), expires_at));
        let recorded = match &outcome {
            Ok(PutOutcome::Stored) => true,
            Ok(_) => false,
            // The commit may have gone through before the connection failed: keep the object
            // unless the row is known not to point at it (the sweep finds it otherwise).
            Err(_) => self.data.run(|c| points_at(c, batch, &name)).unwrap_or(true),
        };
        if !recorded && let Err(e) = blobs.delete(&name) {
            tracing::warn!(error = %e, "an object of a batch not stored could not be deleted; the sweep will");
        }
        outcome
    }

    /// One stored batch's sealed bytes, from its row or through its object's name.
    pub(super) fn sealed(&self, id: &str, sequence: u64) -> Result<Option<Vec<u8>>> {
        let sql = "SELECT sealed, object FROM batches WHERE import_id = $1 AND sequence = $2";
        let sequence = signed(sequence)?;
        let found = self.data.run(|c| {
            let row = c.query_opt(sql, &[&id, &sequence])?;
            row.map(|r| Ok::<_, Fail>((r.try_get(0)?, r.try_get(1)?))).transpose()
        })?;
        let Some((sealed, object)): Option<(Option<Vec<u8>>, Option<String>)> = found else {
            return Ok(None);
        };
        if let Some(sealed) = sealed {
            return Ok(Some(sealed));
        }
        let (Some(blobs), Some(name)) = (&self.blobs, object) else {
            return Err(StoreError::other("the batch is in object storage, and none is configured"));
        };
        match blobs.get(&name)? {
            Some(bytes) => Ok(Some(bytes)),
            None => Err(StoreError::new(ErrorKind::NotFound, "the batch's object is missing")),
        }
    }

    /// A random object name suffix.
    fn suffix(&self) -> Result<u64> {
        let bytes: [u8; 8] = ring::rand::generate(&self.random)
            .map_err(|_| StoreError::other("no random bytes for an object name"))?
            .expose();
        Ok(u64::from_be_bytes(bytes))
    }
}

/// Records a new import, open.
pub(super) fn insert(c: &mut Tx<'_>, import: &NewImport) -> Sql<()> {
    let sql = "INSERT INTO imports (id, importer, status, schema_digest, token_hash, token_expires_at,
               created_at, expires_at, file_size, metadata, schema)
               VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10)";
    let file_size = import.file_size.map(signed).transpose()?;
    c.execute(
        sql,
        &[
            &import.id,
            &import.importer,
            &import.schema_digest.as_slice(),
            &import.token_hash.as_slice(),
            &import.token_expires_at,
            &import.created_at,
            &import.expires_at,
            &file_size,
            &import.metadata,
            &import.schema,
        ],
    )?;
    Ok(())
}

/// The imports of `importer` open and not past their expiry at `now`, and the soonest expiry.
pub(super) fn open_imports(c: &mut impl Db, importer: &str, now: i64) -> Sql<(u64, Option<i64>)> {
    let sql = "SELECT count(*), min(expires_at) FROM imports
               WHERE importer = $1 AND status = 'open' AND data_deleted_at IS NULL AND expires_at > $2";
    let row = c.query_one(sql, &[&importer, &now])?;
    Ok((row.try_get::<_, i64>(0)?.unsigned_abs(), row.try_get(1)?))
}

/// Records `import` unless its importer has `max_open` imports open at `now`; starts of one
/// importer take their turn on an advisory lock, so that two cannot take the last place.
pub(super) fn admit(c: &mut Tx<'_>, import: &NewImport, max_open: u64, now: i64) -> Sql<Admission> {
    c.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", &[&ADMISSION_LOCK, &import.importer])?;
    let (open, soonest) = open_imports(c, &import.importer, now)?;
    if open >= max_open {
        return Ok(Admission::Full { next_expiry: soonest.unwrap_or(now) });
    }
    insert(c, import)?;
    Ok(Admission::Created)
}

/// The import with `id`.
pub(super) fn record(c: &mut impl Db, id: &str) -> Sql<Option<ImportRecord>> {
    c.query_opt("SELECT * FROM imports WHERE id = $1", &[&id])?.as_ref().map(import).transpose()
}

/// Imports, newest first: of one importer, or of all.
pub(super) fn list(c: &mut impl Db, importer: Option<&str>, limit: u32) -> Sql<Vec<ImportRecord>> {
    let sql = "SELECT * FROM imports WHERE ($1::text IS NULL OR importer = $1)
               ORDER BY created_at DESC, id COLLATE \"C\" LIMIT $2";
    c.query(sql, &[&importer, &i64::from(limit)])?.iter().map(import).collect()
}

/// The imports holding data: of one importer, or of all.
pub(super) fn with_data(c: &mut impl Db, importer: Option<&str>) -> Sql<Vec<String>> {
    let sql = "SELECT id FROM imports WHERE data_deleted_at IS NULL AND status IN ('open', 'complete')
               AND ($1::text IS NULL OR importer = $1) ORDER BY created_at, n";
    ids(c, sql, &[&importer])
}

/// One nullable `bytea` column of the import with `id`; `column` is one of ours, never input.
pub(super) fn column(c: &mut impl Db, column: &str, id: &str) -> Sql<Option<Option<Vec<u8>>>> {
    let sql = format!("SELECT {column} FROM imports WHERE id = $1");
    Ok(c.query_opt(&sql, &[&id])?.map(|r| r.try_get(0)).transpose()?)
}

/// The first column of every row of `sql`, as text.
pub(super) fn ids(c: &mut impl Db, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Sql<Vec<String>> {
    Ok(c.query(sql, params)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, postgres::Error>>()?)
}

/// Stores `batch` unless its number is taken, in one statement that commits on its own (one
/// round trip): the import's row locked and read (`imp`, the latest version once the lock is
/// had, so that `max_rows` holds across writers), a batch stored under the number read (`prior`),
/// the batch inserted only while the import is open, within `max_rows` and the number free, and
/// the import's counts added only where it was inserted. `object` names where its sealed bytes
/// are, when not in the row. The statement's answer decides the outcome; a number another
/// writer took meanwhile is read again.
fn put(c: &mut impl Db, batch: &NewBatch, object: Option<&str>, expires_at: i64) -> Sql<PutOutcome> {
    let sql = "WITH imp AS (
                   SELECT status, rows FROM imports WHERE id = $1 FOR UPDATE
               ), prior AS (
                   SELECT 1 FROM batches WHERE import_id = $1 AND sequence = $2
               ), stored AS (
                   INSERT INTO batches (import_id, sequence, first_row, row_count, invalid_rows, fingerprint,
                                        sealed, object, summary, stored_at)
                   SELECT $1::text, $2::bigint, $3::bigint, $4::bigint, $5::bytea, $6::bytea, $7::bytea,
                          $8::text, $9::bytea, $10::bigint
                   FROM imp WHERE imp.status = 'open' AND imp.rows + $4::bigint <= $14::bigint
                       AND NOT EXISTS (SELECT 1 FROM prior)
                   ON CONFLICT (import_id, sequence) DO NOTHING
                   RETURNING 1
               ), counted AS (
                   UPDATE imports SET batches = batches + 1, rows = rows + $4::bigint,
                       invalid_rows = invalid_rows + $11::bigint,
                       token_expires_at = greatest(token_expires_at, $12::bigint),
                       expires_at = greatest(expires_at, $13::bigint)
                   WHERE id = $1 AND EXISTS (SELECT 1 FROM stored)
                   RETURNING 1
               )
               SELECT imp.status, imp.rows, EXISTS (SELECT 1 FROM prior), EXISTS (SELECT 1 FROM counted)
               FROM imp";
    let sealed = object.is_none().then_some(batch.sealed.as_slice());
    let max_rows = i64::try_from(batch.max_rows).unwrap_or(i64::MAX);
    let params: [&(dyn ToSql + Sync); 14] = [
        &batch.import_id,
        &signed(batch.sequence)?,
        &signed(batch.first_row)?,
        &i64::from(batch.row_count),
        &encode_rows(&batch.invalid_rows),
        &batch.fingerprint.as_slice(),
        &sealed,
        &object,
        &batch.summary,
        &batch.stored_at,
        &signed(batch.invalid_rows.len() as u64)?,
        &batch.token_expires_at,
        &expires_at,
        &max_rows,
    ];
    let Some(row) = c.query_opt(sql, &params)? else {
        return Err(StoreError::new(ErrorKind::NotFound, "the import does not exist").into());
    };
    let status = ImportStatus::parse(&row.try_get::<_, String>(0)?)?;
    let rows = row.try_get::<_, i64>(1)?.unsigned_abs();
    let (prior, stored): (bool, bool) = (row.try_get(2)?, row.try_get(3)?);
    if stored {
        Ok(PutOutcome::Stored)
    } else if prior {
        Ok(existing(c, batch)?.unwrap_or(PutOutcome::Conflict))
    } else if status != ImportStatus::Open {
        Ok(PutOutcome::NotOpen(status))
    } else if rows.saturating_add(u64::from(batch.row_count)) > batch.max_rows {
        Ok(PutOutcome::TooManyRows)
    } else {
        // Another writer stored this number after the statement began: answer as for a batch
        // found stored.
        Ok(existing(c, batch)?.unwrap_or(PutOutcome::Conflict))
    }
}

/// What a batch already stored under `batch`'s number makes of it: a replay or a conflict.
fn existing(c: &mut impl Db, batch: &NewBatch) -> Sql<Option<PutOutcome>> {
    let Some(stored) = self::batch(c, &batch.import_id, batch.sequence)? else { return Ok(None) };
    Ok(Some(if stored.fingerprint == batch.fingerprint {
        PutOutcome::Replayed(stored)
    } else {
        PutOutcome::Conflict
    }))
}

/// Whether the row of `batch` names the object `name`.
fn points_at(c: &mut impl Db, batch: &NewBatch, name: &str) -> Sql<bool> {
    let sql = "SELECT 1 FROM batches WHERE import_id = $1 AND sequence = $2 AND object = $3";
    Ok(c.query_opt(sql, &[&batch.import_id, &signed(batch.sequence)?, &name])?.is_some())
}

/// One stored batch, without its sealed bytes.
pub(super) fn batch(c: &mut impl Db, id: &str, sequence: u64) -> Sql<Option<BatchMeta>> {
    let sql = format!("SELECT {META} FROM batches WHERE import_id = $1 AND sequence = $2");
    c.query_opt(&sql, &[&id, &signed(sequence)?])?.as_ref().map(meta).transpose()
}

/// The batches of an import, in order.
pub(super) fn batches(c: &mut impl Db, id: &str) -> Sql<Vec<BatchMeta>> {
    let sql = format!("SELECT {META} FROM batches WHERE import_id = $1 ORDER BY sequence");
    c.query(&sql, &[&id])?.iter().map(meta).collect()
}

/// The invalid row numbers of an import's batches, in order.
pub(super) fn invalid_rows(c: &mut impl Db, id: &str) -> Sql<Vec<u64>> {
    let sql = "SELECT invalid_rows FROM batches WHERE import_id = $1 ORDER BY sequence";
    let mut rows = Vec::new();
    for row in c.query(sql, &[&id])? {
        rows.extend(decode_rows(row.try_get(0)?));
    }
    Ok(rows)
}

/// One stored batch's sealed summary.
pub(super) fn summary(c: &mut impl Db, id: &str, sequence: u64) -> Sql<Option<Vec<u8>>> {
    let sql = "SELECT summary FROM batches WHERE import_id = $1 AND sequence = $2";
    let found: Option<Option<Vec<u8>>> =
        c.query_opt(sql, &[&id, &signed(sequence)?])?.map(|r| r.try_get(0)).transpose()?;
    Ok(found.flatten())
}

/// Completes an open import holding `completing`'s counts, with its messages; decided once: an
/// import no longer open, or holding other counts, is a [`ErrorKind::Conflict`].
pub(super) fn complete(c: &mut Tx<'_>, id: &str, completing: &Completing) -> Sql<()> {
    let sql = "UPDATE imports SET status = 'complete', completed_at = $2, invalid_rows = $3, mapping = $4
               WHERE id = $1 AND status = 'open' AND deletion_started_at IS NULL
               AND batches = $5 AND rows = $6";
    let Completing { at, batches, rows, invalid_rows, mapping, messages } = completing;
    let values: [&(dyn ToSql + Sync); 6] =
        [&id, at, &signed(*invalid_rows)?, mapping, &signed(*batches)?, &signed(*rows)?];
    if c.execute(sql, &values)? == 0 {
        return Err(
            StoreError::new(ErrorKind::Conflict, "the import is not open, or holds other counts").into()
        );
    }
    outbox::insert(c, id, messages)
}

fn import(row: &Row) -> Sql<ImportRecord> {
    let file_size: Option<i64> = row.try_get("file_size")?;
    Ok(ImportRecord {
        id: row.try_get("id")?,
        importer: row.try_get("importer")?,
        status: ImportStatus::parse(row.try_get("status")?)?,
        schema_digest: digest(row.try_get("schema_digest")?)?,
        token_hash: digest(row.try_get("token_hash")?)?,
        token_expires_at: row.try_get("token_expires_at")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        completed_at: row.try_get("completed_at")?,
        file_size: file_size.and_then(|s| u64::try_from(s).ok()),
        schema: row.try_get("schema")?,
        batches: row.try_get::<_, i64>("batches")?.unsigned_abs(),
        rows: row.try_get::<_, i64>("rows")?.unsigned_abs(),
        invalid_rows: row.try_get::<_, i64>("invalid_rows")?.unsigned_abs(),
        data_deleted_at: row.try_get("data_deleted_at")?,
        deleted_reason: row.try_get("deleted_reason")?,
    })
}

fn meta(row: &Row) -> Sql<BatchMeta> {
    Ok(BatchMeta {
        sequence: row.try_get::<_, i64>("sequence")?.unsigned_abs(),
        first_row: row.try_get::<_, i64>("first_row")?.unsigned_abs(),
        row_count: u32::try_from(row.try_get::<_, i64>("row_count")?).unwrap_or(0),
        invalid_rows: u32::try_from(decode_rows(row.try_get("invalid_rows")?).len()).unwrap_or(u32::MAX),
        fingerprint: digest(row.try_get("fingerprint")?)?,
    })
}

fn digest(bytes: &[u8]) -> Result<[u8; 32]> {
    bytes.try_into().map_err(|_| StoreError::new(ErrorKind::Corrupt, "a digest is not 32 bytes"))
}

/// Row numbers as 8-byte big-endian integers back to back (as the SQLite store keeps them).
fn encode_rows(rows: &[u64]) -> Vec<u8> {
    rows.iter().flat_map(|r| r.to_be_bytes()).collect()
}

fn decode_rows(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).filter_map(|c| c.try_into().ok().map(u64::from_be_bytes)).collect()
}
