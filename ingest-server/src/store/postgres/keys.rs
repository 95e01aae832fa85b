//! The keystore database's SQL (wrapped keys, by import and purpose) and what both databases
//! hold alike: the binding to each other and to the master key, and the row readiness writes.

use super::super::{Binding, KeyPurpose, NewImport, WrappedKey};
use super::pool::{Conn, Db, Sql, Tx};

/// Writes a new import's wrapped data and transport keys.
pub(super) fn insert(k: &mut Tx<'_>, import: &NewImport) -> Sql<()> {
    let (key_id, wrapped) = &import.data_key;
    let sql = "INSERT INTO keys (import_id, purpose, key_id, wrapped) VALUES ($1, $2, $3, $4)";
    k.execute(sql, &[&import.id, &KeyPurpose::Data.as_str(), key_id, wrapped])?;
    let empty: &[u8] = &[];
    k.execute(sql, &[&import.id, &KeyPurpose::Transport.as_str(), &empty, &import.transport_key])?;
    Ok(())
}

/// Deletes the keys of `purposes` of imports `ids`.
pub(super) fn delete(k: &mut impl Db, ids: &[String], purposes: &[&str]) -> Sql<()> {
    if !ids.is_empty() {
        k.execute("DELETE FROM keys WHERE import_id = ANY($1) AND purpose = ANY($2)", &[&ids, &purposes])?;
    }
    Ok(())
}

/// A wrapped key of an import.
pub(super) fn key(k: &mut impl Db, id: &str, purpose: KeyPurpose) -> Sql<Option<WrappedKey>> {
    let sql = "SELECT key_id, wrapped FROM keys WHERE import_id = $1 AND purpose = $2";
    let found = k.query_opt(sql, &[&id, &purpose.as_str()])?;
    Ok(found
        .map(|r| Ok::<_, postgres::Error>(WrappedKey { key_id: r.try_get(0)?, wrapped: r.try_get(1)? }))
        .transpose()?)
}

/// Which of `ids` have a data key.
pub(super) fn with_data_key(k: &mut impl Db, ids: &[String]) -> Sql<Vec<String>> {
    let sql = "SELECT import_id FROM keys WHERE purpose = 'data' AND import_id = ANY($1)";
    Ok(k.query(sql, &[&ids])?.iter().map(|r| r.try_get(0)).collect::<Result<_, postgres::Error>>()?)
}

/// The binding the database holds.
pub(super) fn binding(c: &mut Conn) -> Sql<Option<Binding>> {
    let found = c.query_opt("SELECT store_id, check_value FROM binding", &[])?;
    Ok(found
        .map(|r| Ok::<_, postgres::Error>(Binding { store_id: r.try_get(0)?, check: r.try_get(1)? }))
        .transpose()?)
}

/// Writes `binding` into the database unless it holds one.
pub(super) fn bind(c: &mut impl Db, binding: &Binding) -> Sql<()> {
    // Only where none is held: instances starting on an empty pair at once must not overwrite
    // each other's binding (each re-reads what is held, see `PostgresStore::bind`).
    let sql = "INSERT INTO binding (store_id, check_value) VALUES ($1, $2) ON CONFLICT (one) DO NOTHING";
    c.execute(sql, &[&binding.store_id, &binding.check])?;
    Ok(())
}

/// Writes to the database, as readiness does to prove it takes writes.
pub(super) fn probe(c: &mut impl Db, now: i64) -> Sql<()> {
    c.execute("UPDATE binding SET probed_at = $1", &[&now])?;
    Ok(())
}
