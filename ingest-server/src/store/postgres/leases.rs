//! The SQL of leases, which let several instances share one outbox and one retention job: a
//! message is sent by the one instance whose lease on it runs (`lease_holder`, `lease_until` on
//! its row), and a job is run by the one instance leading it (a row of `leads`). Taking a lease
//! is one statement on locked rows, so two holders never hold one message; a dead instance's
//! leases run out and are taken over.

use super::super::{Claim, Lease};
use super::outbox::{COLUMNS, message};
use super::pool::{Db, Sql, Tx};

/// An ordered lane's claim: only its oldest pending message, locked while it is looked at.
pub(super) fn claim_head(
    c: &mut Tx<'_>,
    importer: &str,
    destination: u32,
    now_ms: i64,
    lease: &Lease,
) -> Sql<Claim> {
    let head = "SELECT id, next_attempt_at, lease_until FROM outbox
                WHERE importer = $1 AND destination = $2 AND status = 'pending' ORDER BY n LIMIT 1 FOR UPDATE";
    let Some(row) = c.query_opt(head, &[&importer, &i64::from(destination)])? else {
        return Ok(Claim::Empty);
    };
    let (id, due, until): (String, i64, Option<i64>) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    // A running lease keeps everyone out, its own holder too (two threads of one instance
    // never send one message), as on SQLite.
    if let Some(until) = until.filter(|until| *until > now_ms) {
        return Ok(Claim::Wait { until_ms: until });
    }
    if due > now_ms {
        return Ok(Claim::Wait { until_ms: due });
    }
    let take =
        format!("UPDATE outbox SET lease_holder = $2, lease_until = $3 WHERE id = $1 RETURNING {COLUMNS}");
    let taken = c.query_one(&take, &[&id, &lease.holder, &lease.until_ms])?;
    Ok(Claim::Message(message(&taken)?))
}

/// An unordered lane's claim: the oldest due pending message whose lease is free or has run
/// out, skipping those another claim has locked meanwhile.
pub(super) fn claim_any(
    c: &mut impl Db,
    importer: &str,
    destination: u32,
    now_ms: i64,
    lease: &Lease,
) -> Sql<Claim> {
    let sql = format!(
        "UPDATE outbox SET lease_holder = $4, lease_until = $5 WHERE n = (
             SELECT n FROM outbox WHERE importer = $1 AND destination = $2 AND status = 'pending'
             AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
             ORDER BY n LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING {COLUMNS}"
    );
    let params: [&(dyn postgres::types::ToSql + Sync); 5] =
        [&importer, &i64::from(destination), &now_ms, &lease.holder, &lease.until_ms];
    match c.query_opt(&sql, &params)? {
        Some(row) => Ok(Claim::Message(message(&row)?)),
        None => Ok(Claim::Empty),
    }
}

/// Extends `holder`'s leases on the pending messages `ids` to `until_ms` (never shortens one);
/// how many.
pub(super) fn renew(c: &mut impl Db, holder: &str, ids: &[String], until_ms: i64) -> Sql<u64> {
    let sql = "UPDATE outbox SET lease_until = greatest(lease_until, $2)
               WHERE lease_holder = $1 AND status = 'pending' AND id = ANY($3)";
    Ok(c.execute(sql, &[&holder, &until_ms, &ids])?)
}

/// Ends `holder`'s lease on message `id`.
pub(super) fn release(c: &mut impl Db, id: &str, holder: &str) -> Sql<()> {
    let sql = "UPDATE outbox SET lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder = $2";
    c.execute(sql, &[&id, &holder])?;
    Ok(())
}

/// Takes or keeps job `job`'s lease unless another holder's runs; whether `lease.holder` holds
/// it now.
pub(super) fn lead(c: &mut impl Db, job: &str, lease: &Lease, now_ms: i64) -> Sql<bool> {
    let sql = "INSERT INTO leads (job, holder, until_ms) VALUES ($1, $2, $3)
               ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
               WHERE leads.holder = excluded.holder OR leads.until_ms <= $4
               RETURNING holder";
    Ok(c.query_opt(sql, &[&job, &lease.holder, &lease.until_ms, &now_ms])?.is_some())
}
