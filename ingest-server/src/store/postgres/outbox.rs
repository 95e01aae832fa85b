//! The outbox's SQL: messages added with their import's completion, read in order per
//! destination, their attempts recorded (which ends their lease, see `leases`).

use super::super::{
    Attempt, DeliverySummary, ErrorKind, Message, MessageKind, MessageStatus, NewMessage, StoreError,
};
use super::pool::{Db, Sql, Tx};
use super::{imports, signed};
use postgres::Row;

/// The columns a [`Message`] is read from.
pub(super) const COLUMNS: &str = "id, import_id, importer, destination, sequence, kind, first_batch, first_offset, \
                       row_count, chunks, status, attempts, next_attempt_at, last_attempt_at, last_status, last_error, \
                       delivered_at";

/// Adds the messages of a completing import.
pub(super) fn insert(c: &mut Tx<'_>, import_id: &str, messages: &[NewMessage]) -> Sql<()> {
    let sql = "INSERT INTO outbox (id, import_id, importer, destination, sequence, kind, first_batch,
                                   first_offset, row_count, chunks, status, next_attempt_at)
               SELECT $2, id, importer, $3, $4, $5, $6, $7, $8, $9, 'pending', $10 FROM imports WHERE id = $1";
    for m in messages {
        c.execute(
            sql,
            &[
                &import_id,
                &m.id,
                &i64::from(m.destination),
                &i64::from(m.sequence),
                &m.kind.as_str(),
                &signed(m.first_batch)?,
                &i64::from(m.first_offset),
                &i64::from(m.row_count),
                &i64::from(m.chunks),
                &m.due_at,
            ],
        )?;
    }
    Ok(())
}

/// Pending messages to one destination, oldest first; only those due by `due_by` if given.
pub(super) fn pending(
    c: &mut impl Db,
    importer: &str,
    destination: u32,
    due_by: Option<i64>,
    limit: u32,
) -> Sql<Vec<Message>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM outbox WHERE importer = $1 AND destination = $2 AND status = 'pending'
         AND ($3::bigint IS NULL OR next_attempt_at <= $3) ORDER BY n LIMIT $4"
    );
    messages(c, &sql, &[&importer, &i64::from(destination), &due_by, &i64::from(limit)])
}

/// The messages of an import, in order.
pub(super) fn of_import(c: &mut impl Db, import_id: &str) -> Sql<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE import_id = $1 ORDER BY destination, sequence");
    messages(c, &sql, &[&import_id])
}

/// Dead letters, oldest first.
pub(super) fn dead(c: &mut impl Db, limit: u32) -> Sql<Vec<Message>> {
    let sql = format!("SELECT {COLUMNS} FROM outbox WHERE status = 'dead' ORDER BY n LIMIT $1");
    messages(c, &sql, &[&i64::from(limit)])
}

/// Records `holder`'s attempt and gives the message's lease back; a message no longer pending
/// (cancelled meanwhile) stays as it is, and so does one another holder took over (see
/// [`Store::record_attempt`](super::super::Store::record_attempt)).
pub(super) fn record(c: &mut impl Db, id: &str, holder: &str, attempt: &Attempt) -> Sql<()> {
    match attempt {
        Attempt::Delivered { at, status } => c.execute(
            "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_attempt_at = $2,
             delivered_at = $2, last_status = $3, last_error = NULL, lease_holder = NULL, lease_until = NULL
             WHERE id = $1 AND status = 'pending'",
            &[&id, at, &status.map(i64::from)],
        )?,
        Attempt::Failed { at, status, error, retry_at } => c.execute(
            "UPDATE outbox SET status = CASE WHEN $5::bigint IS NULL THEN 'dead' ELSE 'pending' END,
             attempts = attempts + 1, last_attempt_at = $2, last_status = $3, last_error = $4,
             next_attempt_at = coalesce($5, next_attempt_at), lease_holder = NULL, lease_until = NULL
             WHERE id = $1 AND status = 'pending' AND (lease_holder IS NULL OR lease_holder = $6)",
            &[&id, at, &status.map(i64::from), error, retry_at, &holder],
        )?,
    };
    Ok(())
}

/// Makes dead letters pending again: one message, or all of an import's.
pub(super) fn retry_dead(c: &mut impl Db, id: &str, now_ms: i64) -> Sql<u64> {
    let column = if id.starts_with("msg_") { "id" } else { "import_id" };
    let sql = format!(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2,
         lease_holder = NULL, lease_until = NULL
         WHERE {column} = $1 AND status = 'dead'
         AND import_id IN (SELECT id FROM imports WHERE data_deleted_at IS NULL)"
    );
    Ok(c.execute(&sql, &[&id, &now_ms])?)
}

/// How an import's messages stand.
pub(super) fn summary(c: &mut impl Db, import_id: &str) -> Sql<DeliverySummary> {
    let sql = "SELECT status, count(*) FROM outbox WHERE import_id = $1 GROUP BY status";
    let mut summary = DeliverySummary::default();
    for row in c.query(sql, &[&import_id])? {
        let status: String = row.try_get(0)?;
        let count = row.try_get::<_, i64>(1)?.unsigned_abs();
        match MessageStatus::parse(&status) {
            Some(MessageStatus::Pending) => summary.pending = count,
            Some(MessageStatus::Delivered) => summary.delivered = count,
            Some(MessageStatus::Dead) => summary.dead = count,
            Some(MessageStatus::Cancelled) => summary.cancelled = count,
            None => return Err(corrupt("status").into()),
        }
    }
    Ok(summary)
}

/// Complete imports of `importer` that still hold data, have messages, and none waiting.
pub(super) fn delivery_done(c: &mut impl Db, importer: &str, dead_counts_as_done: bool) -> Sql<Vec<String>> {
    let sql = "SELECT i.id FROM imports i WHERE i.importer = $1 AND i.status = 'complete'
               AND i.data_deleted_at IS NULL
               AND EXISTS (SELECT 1 FROM outbox o WHERE o.import_id = i.id)
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.import_id = i.id
                               AND (o.status = 'pending' OR (o.status = 'dead' AND NOT $2)))
               ORDER BY i.created_at, i.n";
    imports::ids(c, sql, &[&importer, &dead_counts_as_done])
}

/// Cancels the undelivered messages of imports `ids`.
pub(super) fn cancel(c: &mut impl Db, ids: &[String]) -> Sql<()> {
    let sql = "UPDATE outbox SET status = 'cancelled', lease_holder = NULL, lease_until = NULL
               WHERE import_id = ANY($1) AND status IN ('pending', 'dead')";
    c.execute(sql, &[&ids])?;
    Ok(())
}

fn messages(
    c: &mut impl Db,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Sql<Vec<Message>> {
    c.query(sql, params)?.iter().map(message).collect()
}

/// A message from a row of [`COLUMNS`].
pub(super) fn message(r: &Row) -> Sql<Message> {
    let small = |column: &str| -> Sql<u32> {
        u32::try_from(r.try_get::<_, i64>(column)?).map_err(|_| corrupt(column).into())
    };
    let last_status: Option<i64> = r.try_get("last_status")?;
    Ok(Message {
        id: r.try_get("id")?,
        import_id: r.try_get("import_id")?,
        importer: r.try_get("importer")?,
        destination: small("destination")?,
        sequence: small("sequence")?,
        kind: MessageKind::parse(r.try_get("kind")?).ok_or_else(|| corrupt("kind"))?,
        first_batch: r.try_get::<_, i64>("first_batch")?.unsigned_abs(),
        first_offset: small("first_offset")?,
        row_count: small("row_count")?,
        chunks: small("chunks")?,
        status: MessageStatus::parse(r.try_get("status")?).ok_or_else(|| corrupt("status"))?,
        attempts: small("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_attempt_at: r.try_get("last_attempt_at")?,
        last_status: last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: r.try_get("last_error")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

fn corrupt(column: &str) -> StoreError {
    StoreError::new(ErrorKind::Corrupt, format!("an outbox row holds an unknown {column}"))
}
