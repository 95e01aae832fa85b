//! The SQL of remembered column mappings: one row per importer and header set (a hash the
//! widget computes), the mapping as JSON of field keys and header indexes, and when it was last
//! used, so that the least recently used go first when an importer holds too many.

use super::Result;
use rusqlite::{Connection, OptionalExtension, params};

/// The mapping remembered for `hash`, marked as used at `now`.
pub(super) fn take(c: &Connection, importer: &str, hash: &str, now: i64) -> Result<Option<String>> {
    let sql = "UPDATE mappings SET used_at = ?3 WHERE importer = ?1 AND header_hash = ?2 RETURNING mapping";
    Ok(c.prepare_cached(sql)?.query_row(params![importer, hash, now], |r| r.get(0)).optional()?)
}

/// Stores `mapping` for `hash`, then keeps the `keep` most recently used of the importer.
pub(super) fn put(
    c: &Connection,
    importer: &str,
    hash: &str,
    mapping: &str,
    now: i64,
    keep: u32,
) -> Result<()> {
    let upsert = "INSERT INTO mappings (importer, header_hash, mapping, used_at) VALUES (?1, ?2, ?3, ?4)
                  ON CONFLICT (importer, header_hash) DO UPDATE SET mapping = ?3, used_at = ?4";
    c.prepare_cached(upsert)?.execute(params![importer, hash, mapping, now])?;
    let evict = "DELETE FROM mappings WHERE importer = ?1 AND rowid NOT IN
                 (SELECT rowid FROM mappings WHERE importer = ?1 ORDER BY used_at DESC, rowid DESC LIMIT ?2)";
    c.prepare_cached(evict)?.execute(params![importer, keep])?;
    Ok(())
}
