//! Deleting imports' data in the order that makes it final and lets a crash be finished later:
//! first a marker (only a deletion recorded as started is ever finished without being asked
//! again), then the keys in the keystore database (crypto-shredding), vacuumed out of the keys
//! table's live pages; then the batch rows, metadata and mapping, with the undelivered messages
//! cancelled; then the objects in object storage; then the mark that it is finished. The
//! retention job's upkeep sweeps the objects of deleted imports once more, for objects written by
//! a batch whose row never committed.

use super::super::blobs::{Blobs, import_of, import_prefix};
use super::super::{DeleteReason, Result};
use super::pool::{Db, Sql, Tx};
use super::{PostgresStore, imports, outbox};

/// How many deleted imports one upkeep sweeps the objects of.
const SWEEP: i64 = 100;

impl PostgresStore {
    /// Deletes the data of imports `ids` (see [`Store::delete_data`](super::super::Store::delete_data)).
    pub(super) fn delete(&self, ids: &[String], at: i64, reason: DeleteReason) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marked = self.data.transaction(|c| mark(c, ids, at, reason))?;
        if marked.is_empty() {
            return Ok(marked);
        }
        self.delete_keys(&marked, &["data", "transport"])?;
        if let Err(e) = self.vacuum_keys() {
            tracing::warn!(error = %e, "the keys table could not be vacuumed after a deletion; the retention job will");
        }
        self.data.transaction(|c| clear(c, &marked))?;
        if let Some(blobs) = &self.blobs {
            marked.iter().try_for_each(|id| delete_objects(blobs.as_ref(), id))?;
        }
        self.data.transaction(|c| finish(c, &marked, at, reason))
    }

    /// Marks open imports past their time as expired, then deletes the data of every expired
    /// import still holding some.
    pub(super) fn expire_imports(&self, now: i64) -> Result<u64> {
        let claimed = self.data.run(|c| {
            let sql = "UPDATE imports SET status = 'expired' WHERE status = 'open' AND expires_at <= $1 RETURNING id";
            imports::ids(c, sql, &[&now])
        })?;
        // Those claimed now, and any whose deletion a crash cut short.
        let expired = self.data.run(|c| {
            let sql =
                "SELECT id FROM imports WHERE status = 'expired' AND data_deleted_at IS NULL ORDER BY n";
            imports::ids(c, sql, &[])
        })?;
        if !claimed.is_empty() {
            tracing::debug!(count = claimed.len(), "imports expired");
        }
        Ok(self.delete(&expired, now, DeleteReason::Expired)?.len() as u64)
    }

    /// Deletes the objects of imports whose data is deleted and whose objects were not swept
    /// since, a few imports at a time.
    pub(super) fn sweep(&self) -> Result<()> {
        let Some(blobs) = &self.blobs else { return Ok(()) };
        let sql = "SELECT id FROM imports WHERE data_deleted_at IS NOT NULL AND NOT objects_swept ORDER BY n LIMIT $1";
        for id in self.data.run(|c| imports::ids(c, sql, &[&SWEEP]))? {
            delete_objects(blobs.as_ref(), &id)?;
            self.data
                .run(|c| Ok(c.execute("UPDATE imports SET objects_swept = true WHERE id = $1", &[&id])?))?;
        }
        Ok(())
    }
}

/// Deletes every object of import `id`.
fn delete_objects(blobs: &dyn Blobs, id: &str) -> Result<()> {
    for name in blobs.list(&import_prefix(id))? {
        if import_of(&name) == Some(id) {
            blobs.delete(&name)?;
        }
    }
    Ok(())
}

/// Records that the deletion of each import still holding data started (keeping the time and
/// reason of one started before); returns those imports, in the order asked.
fn mark(c: &mut Tx<'_>, ids: &[String], at: i64, reason: DeleteReason) -> Sql<Vec<String>> {
    let sql = "UPDATE imports SET deletion_started_at = coalesce(deletion_started_at, $2),
               deleted_reason = coalesce(deleted_reason, $3)
               WHERE id = ANY($1) AND data_deleted_at IS NULL RETURNING id";
    let marked = imports::ids(c, sql, &[&ids, &at, &reason.as_str()])?;
    Ok(ids.iter().filter(|id| marked.contains(id)).cloned().collect())
}

/// Deletes the batch rows, metadata and mapping of imports `ids`, and cancels their undelivered
/// messages.
fn clear(c: &mut Tx<'_>, ids: &[String]) -> Sql<()> {
    c.execute("DELETE FROM batches WHERE import_id = ANY($1)", &[&ids])?;
    let sql =
        "UPDATE imports SET metadata = '\\x', mapping = NULL WHERE id = ANY($1) AND data_deleted_at IS NULL";
    c.execute(sql, &[&ids])?;
    outbox::cancel(c, ids)
}

/// Records the deletion of imports `ids` as finished (closing the open ones) and logs it;
/// returns those it finished (another instance may have finished some first).
fn finish(c: &mut Tx<'_>, ids: &[String], at: i64, reason: DeleteReason) -> Sql<Vec<String>> {
    let closed = if reason == DeleteReason::Expired { "expired" } else { "deleted" };
    let sql = "UPDATE imports SET data_deleted_at = $2, deleted_reason = coalesce(deleted_reason, $3),
               status = CASE WHEN status = 'open' THEN $4 ELSE status END
               WHERE id = $1 AND data_deleted_at IS NULL RETURNING batches, deleted_reason";
    let mut finished = Vec::new();
    for id in ids {
        let Some(row) = c.query_opt(sql, &[id, &at, &reason.as_str(), &closed])? else { continue };
        // A batch stored, or a completion recorded, while the deletion ran goes too: its rows,
        // its metadata and mapping, its undelivered messages.
        c.execute("DELETE FROM batches WHERE import_id = $1", &[id])?;
        c.execute("UPDATE imports SET metadata = '\\x', mapping = NULL WHERE id = $1", &[id])?;
        outbox::cancel(c, std::slice::from_ref(id))?;
        let (batches, recorded): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
        let detail = serde_json::json!({ "reason": recorded, "batches": batches });
        log_deleted(c, id, at, &detail)?;
        finished.push(id.clone());
    }
    Ok(finished)
}

fn log_deleted(c: &mut impl Db, id: &str, at: i64, detail: &serde_json::Value) -> Sql<()> {
    let sql = "INSERT INTO events (import_id, at, kind, detail) VALUES ($1, $2, 'data_deleted', $3)";
    c.execute(sql, &[&id, &at, &detail.to_string()])?;
    Ok(())
}
