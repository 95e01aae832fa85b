//! The SQL of importers made in the dashboard: one row per importer, its settings as TOML
//! without secrets and its secrets sealed, written together with the audit record of the change.

use super::super::{Event, StoredImporter};
use super::Result;
use rusqlite::{Connection, params};

/// Every stored importer, by key.
pub(super) fn all(c: &Connection) -> Result<Vec<StoredImporter>> {
    let sql =
        "SELECT key, document, sealed_secrets, disabled, created_at, updated_at FROM importers ORDER BY key";
    let mut query = c.prepare_cached(sql)?;
    let rows = query.query_map([], |r| {
        Ok(StoredImporter {
            key: r.get(0)?,
            document: r.get(1)?,
            sealed_secrets: r.get(2)?,
            disabled: r.get(3)?,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Stores `importer` in place of the one with its key, and `event`.
pub(super) fn put(c: &Connection, importer: &StoredImporter, event: &Event) -> Result<()> {
    let upsert = "INSERT INTO importers (key, document, sealed_secrets, disabled, created_at, updated_at)
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                  ON CONFLICT (key) DO UPDATE SET document = ?2, sealed_secrets = ?3, disabled = ?4, updated_at = ?6";
    let i = importer;
    c.prepare_cached(upsert)?.execute(params![
        i.key,
        i.document,
        i.sealed_secrets,
        i.disabled,
        i.created_at,
        i.updated_at
    ])?;
    insert_event(c, event)
}

/// Deletes the importer with `key`, and records `event` when there was one.
pub(super) fn delete(c: &Connection, key: &str, event: &Event) -> Result<bool> {
    let deleted = c.prepare_cached("DELETE FROM importers WHERE key = ?1")?.execute(params![key])? > 0;
    if deleted {
        insert_event(c, event)?;
    }
    Ok(deleted)
}

fn insert_event(c: &Connection, event: &Event) -> Result<()> {
    c.prepare_cached("INSERT INTO events (import_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![event.import_id, event.at, event.kind, event.detail.to_string()])?;
    Ok(())
}
