//! The SQL of what the data database keeps beside imports: the event log (and the audit and
//! error counts read from it), importers made in the dashboard (each change written with its
//! audit record), and column mappings remembered per importer and header set.

use super::super::{AuditEntry, Event, StoredImporter};
use super::pool::{Conn, Db, Sql, Tx};

use std::collections::BTreeMap;

/// Appends to the event log.
pub(super) fn log(c: &mut impl Db, event: &Event) -> Sql<()> {
    let sql = "INSERT INTO events (import_id, at, kind, detail) VALUES ($1, $2, $3, $4)";
    c.execute(sql, &[&event.import_id, &event.at, &event.kind, &event.detail.to_string()])?;
    Ok(())
}

/// Records a start token as used unless it was (those past their expiry forgotten first);
/// whether it was fresh. The insert is one statement, so two instances given one token at once
/// cannot both find it fresh.
pub(super) fn use_start_token(
    c: &mut impl Db,
    signature: &[u8; 32],
    expires_at: i64,
    forget_before: i64,
) -> Sql<bool> {
    c.execute("DELETE FROM start_tokens WHERE expires_at < $1", &[&forget_before])?;
    let sql = "INSERT INTO start_tokens (signature, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";
    Ok(c.execute(sql, &[&signature.as_slice(), &expires_at])? == 1)
}

/// The events of an import, oldest first.
pub(super) fn events(c: &mut impl Db, id: &str) -> Sql<Vec<(i64, String, serde_json::Value)>> {
    let sql = "SELECT at, kind, detail FROM events WHERE import_id = $1 ORDER BY id";
    let mut events = Vec::new();
    for r in c.query(sql, &[&id])? {
        events.push((r.try_get(0)?, r.try_get(1)?, json(r.try_get(2)?)));
    }
    Ok(events)
}

/// The operator's actions, newest first.
pub(super) fn audit(c: &mut impl Db, limit: u32) -> Sql<Vec<AuditEntry>> {
    let sql = "SELECT at, kind, import_id, detail FROM events WHERE starts_with(kind, 'admin_')
               ORDER BY id DESC LIMIT $1";
    let mut entries = Vec::new();
    for r in c.query(sql, &[&i64::from(limit)])? {
        let detail = json(r.try_get(3)?);
        entries.push(AuditEntry { at: r.try_get(0)?, kind: r.try_get(1)?, import_id: r.try_get(2)?, detail });
    }
    Ok(entries)
}

/// The error counts of an import's stored batches, by `column:code`.
pub(super) fn error_counts(c: &mut impl Db, id: &str) -> Sql<BTreeMap<String, u64>> {
    let sql = "SELECT j.key, sum((j.value)::bigint)::bigint
               FROM events e, jsonb_each_text(e.detail::jsonb -> 'errors') j
               WHERE e.import_id = $1 AND e.kind = 'batch_stored' GROUP BY j.key";
    let mut counts = BTreeMap::new();
    for r in c.query(sql, &[&id])? {
        counts.insert(r.try_get(0)?, r.try_get::<_, i64>(1)?.unsigned_abs());
    }
    Ok(counts)
}

/// Every stored importer, by key.
pub(super) fn importers(c: &mut Conn) -> Sql<Vec<StoredImporter>> {
    let sql = "SELECT key, document, sealed_secrets, disabled, created_at, updated_at FROM importers
               ORDER BY key COLLATE \"C\"";
    let mut importers = Vec::new();
    for r in c.query(sql, &[])? {
        importers.push(StoredImporter {
            key: r.try_get(0)?,
            document: r.try_get(1)?,
            sealed_secrets: r.try_get(2)?,
            disabled: r.try_get(3)?,
            created_at: r.try_get(4)?,
            updated_at: r.try_get(5)?,
        });
    }
    Ok(importers)
}

/// Stores `importer` in place of the one with its key, and `event`.
pub(super) fn put_importer(c: &mut Tx<'_>, importer: &StoredImporter, event: &Event) -> Sql<()> {
    let upsert = "INSERT INTO importers (key, document, sealed_secrets, disabled, created_at, updated_at)
                  VALUES ($1, $2, $3, $4, $5, $6)
                  ON CONFLICT (key) DO UPDATE SET document = $2, sealed_secrets = $3, disabled = $4, updated_at = $6";
    let i = importer;
    c.execute(upsert, &[&i.key, &i.document, &i.sealed_secrets, &i.disabled, &i.created_at, &i.updated_at])?;
    log(c, event)
}

/// Deletes the importer with `key`, and records `event` when there was one.
pub(super) fn delete_importer(c: &mut Tx<'_>, key: &str, event: &Event) -> Sql<bool> {
    let deleted = c.execute("DELETE FROM importers WHERE key = $1", &[&key])? > 0;
    if deleted {
        log(c, event)?;
    }
    Ok(deleted)
}

/// The mapping remembered for `hash`, marked as used at `now`.
pub(super) fn remembered(c: &mut impl Db, importer: &str, hash: &str, now: i64) -> Sql<Option<String>> {
    let sql = "UPDATE mappings SET used_at = $3 WHERE importer = $1 AND header_hash = $2 RETURNING mapping";
    Ok(c.query_opt(sql, &[&importer, &hash, &now])?.map(|r| r.try_get(0)).transpose()?)
}

/// Stores `mapping` for `hash`, then keeps the `keep` most recently used of the importer.
pub(super) fn remember(
    c: &mut Tx<'_>,
    importer: &str,
    hash: &str,
    mapping: &str,
    now: i64,
    keep: u32,
) -> Sql<()> {
    let upsert = "INSERT INTO mappings (importer, header_hash, mapping, used_at) VALUES ($1, $2, $3, $4)
                  ON CONFLICT (importer, header_hash) DO UPDATE SET mapping = $3, used_at = $4";
    c.execute(upsert, &[&importer, &hash, &mapping, &now])?;
    let evict = "DELETE FROM mappings WHERE importer = $1 AND n NOT IN
                 (SELECT n FROM mappings WHERE importer = $1 ORDER BY used_at DESC, n DESC LIMIT $2)";
    c.execute(evict, &[&importer, &i64::from(keep)])?;
    Ok(())
}

fn json(text: String) -> serde_json::Value {
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}
