//! The outbox's SQL: messages added with their import's completion, read in order per
//! destination, their attempts recorded.

use super::super::{
    Attempt, DeliverySummary, Message, MessageKind, MessageStatus, NewMessage, Result, StoreError,
};
use super::{ids, signed};
use rusqlite::{Connection, params};

/// The columns a [`Message`] is read from.
const COLUMNS: &str = "id, import_id, importer, destination, sequence, kind, first_batch, first_offset, \
                       row_count, chunks, status, attempts, next_attempt_at, last_attempt_at, last_status, last_error, \
                       delivered_at";

/// Adds the messages of a completing import.
pub(super) fn insert(c: &Connection, import_id: &str, messages: &[NewMessage]) -> Result<()> {
    let mut insert = c.prepare_cached(
        "INSERT INTO outbox (id, import_id, importer, destination, sequence, kind, first_batch,
                             first_offset, row_count, chunks, status, next_attempt_at)
         SELECT ?2, id, importer, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10 FROM imports WHERE id = ?1",
    )?;
    for m in messages {
        insert.execute(params![
            import_id,
            m.id,
            m.destination,
            m.sequence,
            m.kind.as_str(),
            signed(m.first_batch)?,
            m.first_offset,
            m.row_count,
            m.chunks,
            m.due_at
        ])?;
    }
    Ok(())
}

fn message(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let kind: String = r.get("kind")?;
    let status: String = r.get("status")?;
    let bad =
        |what: &str| rusqlite::Error::InvalidColumnType(0, what.to_owned(), rusqlite::types::Type::Text);
    Ok(Message {
        id: r.get("id")?,
        import_id: r.get("import_id")?,
        importer: r.get("importer")?,
        destination: r.get("destination")?,
        sequence: r.get("sequence")?,
        kind: MessageKind::parse(&kind).ok_or_else(|| bad("kind"))?,
        first_batch: r.get::<_, i64>("first_batch")?.unsigned_abs(),
        first_offset: r.get("first_offset")?,
        row_count: r.get("row_count")?,
        chunks: r.get("chunks")?,
        status: MessageStatus::parse(&status).ok_or_else(|| bad("status"))?,
        attempts: r.get("attempts")?,
        next_attempt_at: r.get("next_attempt_at")?,
        last_attempt_at: r.get("last_attempt_at")?,
        last_status: r.get("last_status")?,
        last_error: r.get("last_error")?,
        delivered_at: r.get("delivered_at")?,
    })
}

fn messages(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Message>> {
    let mut query = c.prepare_cached(sql)?;
    Ok(query.query_map(params, message)?.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Pending messages to one destination, oldest first; only those due by `due_by` if given.
pub(super) fn pending(
    c: &Connection,
    importer: &str,
    destination: u32,
    due_by: Option<i64>,
    limit: u32,
) -> Result<Vec<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox WHERE importer = ?1 AND destination = ?2 AND status = 'pending'
         AND (?3 IS NULL OR next_attempt_at <= ?3) ORDER BY n LIMIT ?4"
    );
    messages(c, &sql, params![importer, destination, due_by, limit])
}

/// The messages of an import, in order.
pub(super) fn of_import(c: &Connection, import_id: &str) -> Result<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE import_id = ?1 ORDER BY destination, sequence");
    messages(c, &sql, params![import_id])
}

/// Dead letters, oldest first.
pub(super) fn dead(c: &Connection, limit: u32) -> Result<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE status = 'dead' ORDER BY n LIMIT ?1");
    messages(c, &sql, params![limit])
}

/// Records one attempt; a message no longer pending (cancelled meanwhile) stays as it is.
pub(super) fn record(c: &Connection, id: &str, attempt: &Attempt) -> Result<()> {
    match attempt {
        Attempt::Delivered { at, status } => c
            .prepare_cached(
                "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_attempt_at = ?2,
                 delivered_at = ?2, last_status = ?3, last_error = NULL WHERE id = ?1 AND status = 'pending'",
            )?
            .execute(params![id, at, status])?,
        Attempt::Failed { at, status, error, retry_at } => c
            .prepare_cached(
                "UPDATE outbox SET status = CASE WHEN ?5 IS NULL THEN 'dead' ELSE 'pending' END,
                 attempts = attempts + 1, last_attempt_at = ?2, last_status = ?3, last_error = ?4,
                 next_attempt_at = coalesce(?5, next_attempt_at) WHERE id = ?1 AND status = 'pending'",
            )?
            .execute(params![id, at, status, error, retry_at])?,
    };
    Ok(())
}

/// Makes dead letters pending again: one message, or all of an import's.
pub(super) fn retry_dead(c: &Connection, id: &str, now_ms: i64) -> Result<u64> {
    let column = if id.starts_with("msg_") { "id" } else { "import_id" };
    let sql = format!(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?2
         WHERE {column} = ?1 AND status = 'dead'
         AND import_id IN (SELECT id FROM imports WHERE data_deleted_at IS NULL)"
    );
    Ok(c.prepare_cached(&sql)?.execute(params![id, now_ms])? as u64)
}

/// How an import's messages stand.
pub(super) fn summary(c: &Connection, import_id: &str) -> Result<DeliverySummary> {
    let mut query =
        c.prepare_cached("SELECT status, count(*) FROM outbox WHERE import_id = ?1 GROUP BY status")?;
    let mut summary = DeliverySummary::default();
    let rows = query.query_map(params![import_id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (status, count) = row?;
        let count = count.unsigned_abs();
        match MessageStatus::parse(&status) {
            Some(MessageStatus::Pending) => summary.pending = count,
            Some(MessageStatus::Delivered) => summary.delivered = count,
            Some(MessageStatus::Dead) => summary.dead = count,
            Some(MessageStatus::Cancelled) => summary.cancelled = count,
            None => return Err(StoreError::other(format!("unknown message status {status:?}"))),
        }
    }
    Ok(summary)
}

/// Complete imports of `importer` that still hold data, have messages, and none waiting.
pub(super) fn delivery_done(
    c: &Connection,
    importer: &str,
    dead_counts_as_done: bool,
) -> Result<Vec<String>> {
    let sql = "SELECT i.id FROM imports i WHERE i.importer = ?1 AND i.status = 'complete'
               AND i.data_deleted_at IS NULL
               AND EXISTS (SELECT 1 FROM outbox o WHERE o.import_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.import_id = i.id
                               AND (o.status = 'pending' OR (o.status = 'dead' AND NOT ?2)))";
    ids(c, sql, params![importer, dead_counts_as_done])
}
