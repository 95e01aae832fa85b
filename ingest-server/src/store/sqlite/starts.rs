//! The SQL of starting an import: its keys in the keystore, its record, and the count of an
//! importer's open imports that a start may be refused on.

use super::{Admission, NewImport, Result, signed};
use rusqlite::{Connection, params};

/// Writes a new import's wrapped data and transport keys to the keystore.
pub(super) fn insert_keys(k: &Connection, import: &NewImport) -> Result<()> {
    let tx = k.unchecked_transaction()?;
    let (key_id, wrapped) = &import.data_key;
    tx.prepare_cached("INSERT INTO keys VALUES (?1, 'data', ?2, ?3)")?
        .execute(params![import.id, key_id, wrapped])?;
    tx.prepare_cached("INSERT INTO keys VALUES (?1, 'transport', x'', ?2)")?
        .execute(params![import.id, import.transport_key])?;
    tx.commit()?;
    Ok(())
}

/// Records a new import, open.
pub(super) fn insert_import(c: &Connection, import: &NewImport) -> Result<()> {
    let sql = "INSERT INTO imports (id, importer, status, schema_digest, token_hash, token_expires_at,
               created_at, expires_at, file_size, metadata, schema)
               VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
    c.prepare_cached(sql)?.execute(params![
        import.id,
        import.importer,
        import.schema_digest.to_vec(),
        import.token_hash.to_vec(),
        import.token_expires_at,
        import.created_at,
        import.expires_at,
        import.file_size.map(signed).transpose()?,
        import.metadata,
        import.schema,
    ])?;
    Ok(())
}

/// The imports of `importer` open and not past their expiry at `now`, and the soonest expiry.
pub(super) fn open_imports(c: &Connection, importer: &str, now: i64) -> Result<(u64, Option<i64>)> {
    // `data_deleted_at IS NULL` lets SQLite use the partial index on (importer, status).
    let sql = "SELECT count(*), min(expires_at) FROM imports
               WHERE importer = ?1 AND status = 'open' AND data_deleted_at IS NULL AND expires_at > ?2";
    let (count, soonest): (i64, Option<i64>) =
        c.prepare_cached(sql)?.query_row(params![importer, now], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok((count.unsigned_abs(), soonest))
}

/// Records `import` unless its importer has `max_open` imports open at `now`.
pub(super) fn admit(c: &Connection, import: &NewImport, max_open: u64, now: i64) -> Result<Admission> {
    let (open, soonest) = open_imports(c, &import.importer, now)?;
    if open >= max_open {
        return Ok(Admission::Full { next_expiry: soonest.unwrap_or(now) });
    }
    insert_import(c, import)?;
    Ok(Admission::Created)
}
