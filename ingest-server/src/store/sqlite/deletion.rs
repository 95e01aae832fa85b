//! Deleting imports' data in the order that makes it final and lets a crash be finished later:
//! first a marker in the data file (only a deletion recorded as started is ever finished without
//! being asked again), then the keys (crypto-shredding: from here no copy of the data file opens
//! the batches), then the sealed batches a few megabytes at a time with a checkpoint after each
//! (so that the write-ahead log never needs much room), then the record's metadata, mapping and
//! messages. On a full volume the disk reserve is released, so that this always goes through.

use super::super::{DeleteReason, ErrorKind, Result, Store};
use super::SqliteStore;
use super::files::checkpoint;
use rusqlite::{Connection, OptionalExtension, params};

/// About how many bytes of sealed batches one transaction deletes.
const CHUNK_BYTES: i64 = 2 << 20;

impl SqliteStore {
    /// Deletes the data of imports `ids` (see [`Store::delete_data`](super::super::Store::delete_data)).
    pub(super) fn delete(&self, ids: &[String], at: i64, reason: DeleteReason) -> Result<Vec<String>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        if self.has_room().is_err() {
            self.space.release_reserve();
        }
        let owned = ids.to_vec();
        let marked: Vec<String> = self.with_room(|| {
            let ids = owned.clone();
            self.writer.run(move |c| mark(c, &ids, at, reason))
        })?;
        self.with_room(|| self.delete_keys(&marked, &["data", "transport"]))?;
        loop {
            let ids = marked.clone();
            let deleted = self.with_room(|| {
                let ids = ids.clone();
                self.writer.run(move |c| delete_some_batches(c, &ids))
            })?;
            self.checkpoint_data();
            if deleted == 0 {
                break;
            }
        }
        let deleted = self.with_room(|| {
            let ids = marked.clone();
            self.writer.run(move |c| finish(c, &ids, at, reason))
        })?;
        self.checkpoint_data();
        Ok(deleted)
    }

    /// Runs `step`; when the volume is full, releases the reserve and runs it once more.
    fn with_room<T>(&self, step: impl Fn() -> Result<T>) -> Result<T> {
        match step() {
            Err(e) if e.kind() == ErrorKind::Full && self.space.release_reserve() => step(),
            other => other,
        }
    }

    /// Truncates the data file's log, or leaves it to the retention job when readers keep it busy.
    fn checkpoint_data(&self) {
        if let Err(e) = self.read(checkpoint) {
            tracing::warn!(error = %e, "the write-ahead log could not be truncated after a deletion; the retention job will");
        }
    }
}

/// Records that the deletion of each import still holding data started (keeping the time and
/// reason of one started before); returns those imports.
pub(super) fn mark(c: &Connection, ids: &[String], at: i64, reason: DeleteReason) -> Result<Vec<String>> {
    let mut marked = Vec::new();
    for id in ids {
        let changed = c
            .prepare_cached(
                "UPDATE imports SET deletion_started_at = coalesce(deletion_started_at, ?2),
                 deleted_reason = coalesce(deleted_reason, ?3)
                 WHERE id = ?1 AND data_deleted_at IS NULL",
            )?
            .execute(params![id, at, reason.as_str()])?;
        if changed > 0 {
            marked.push(id.clone());
        }
    }
    Ok(marked)
}

/// Deletes the first batches of `ids`, about [`CHUNK_BYTES`] of them; returns how many.
pub(super) fn delete_some_batches(c: &Connection, ids: &[String]) -> Result<usize> {
    let mut bytes = 0;
    let mut deleted = 0;
    for id in ids {
        let mut sizes = c.prepare_cached(
            "SELECT sequence, length(sealed) FROM batches WHERE import_id = ?1 ORDER BY sequence",
        )?;
        let mut last = None;
        let mut rows = sizes.query(params![id])?;
        while let Some(row) = rows.next()? {
            last = Some(row.get::<_, i64>(0)?);
            bytes += row.get::<_, i64>(1)?;
            if bytes >= CHUNK_BYTES {
                break;
            }
        }
        drop(rows);
        if let Some(last) = last {
            deleted += c
                .prepare_cached("DELETE FROM batches WHERE import_id = ?1 AND sequence <= ?2")?
                .execute(params![id, last])?;
        }
        if bytes >= CHUNK_BYTES {
            break;
        }
    }
    Ok(deleted)
}

/// Clears the metadata and mapping of imports whose keys and batches are gone, cancels their
/// undelivered messages, closes the open ones, and logs it; returns those it finished.
fn finish(c: &Connection, ids: &[String], at: i64, reason: DeleteReason) -> Result<Vec<String>> {
    let closed = if reason == DeleteReason::Expired { "expired" } else { "deleted" };
    let mut deleted = Vec::new();
    for id in ids {
        let batches: Option<i64> = c
            .prepare_cached("SELECT batches FROM imports WHERE id = ?1 AND data_deleted_at IS NULL")?
            .query_row(params![id], |r| r.get(0))
            .optional()?;
        let Some(batches) = batches else { continue };
        c.prepare_cached(
            "UPDATE imports SET data_deleted_at = ?2, deleted_reason = coalesce(deleted_reason, ?3),
             metadata = x'', mapping = NULL, status = CASE WHEN status = 'open' THEN ?4 ELSE status END
             WHERE id = ?1",
        )?
        .execute(params![id, at, reason.as_str(), closed])?;
        c.prepare_cached(
            "UPDATE outbox SET status = 'cancelled' WHERE import_id = ?1 AND status IN ('pending', 'dead')",
        )?
        .execute(params![id])?;
        let recorded: String = c
            .prepare_cached("SELECT deleted_reason FROM imports WHERE id = ?1")?
            .query_row(params![id], |r| r.get(0))?;
        let detail = serde_json::json!({ "reason": recorded, "batches": batches });
        c.prepare_cached(
            "INSERT INTO events (import_id, at, kind, detail) VALUES (?1, ?2, 'data_deleted', ?3)",
        )?
        .execute(params![id, at, detail.to_string()])?;
        deleted.push(id.clone());
    }
    Ok(deleted)
}
