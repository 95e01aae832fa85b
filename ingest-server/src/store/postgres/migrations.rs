//! The two databases' schemas, as embedded SQL migrations applied in order at open, each
//! recorded in a `sluice_migrations` table of its database. Several instances may start at once:
//! the migrations run under a session advisory lock, on a connection of their own. Before them,
//! a look that changes nothing refuses a data database holding a store beside a keystore holding
//! none, and keys beside a data database holding no store.

use super::super::{ErrorKind, Result, StoreError};
use super::pool::{Db, Pool, Sql};
use postgres::Client;

/// The advisory lock the migrations of either database run under (`sluice` in ASCII).
const LOCK: i64 = 0x736c_7569_6365;

/// The data database's migrations, in order.
pub(super) const DATA: &[&str] = &[
    "
    CREATE TABLE imports (
        n bigserial UNIQUE,
        id text PRIMARY KEY,
        importer text NOT NULL,
        status text NOT NULL,
        schema_digest bytea NOT NULL,
        token_hash bytea NOT NULL,
        token_expires_at bigint NOT NULL,
        created_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        completed_at bigint,
        file_size bigint,
        metadata bytea NOT NULL,
        schema text,
        mapping bytea,
        batches bigint NOT NULL DEFAULT 0,
        rows bigint NOT NULL DEFAULT 0,
        invalid_rows bigint NOT NULL DEFAULT 0,
        deletion_started_at bigint,
        data_deleted_at bigint,
        deleted_reason text,
        objects_swept boolean NOT NULL DEFAULT false
    );
    CREATE INDEX imports_open ON imports (importer, status, expires_at) WHERE data_deleted_at IS NULL;
    CREATE INDEX imports_expiry ON imports (status, expires_at);
    CREATE INDEX imports_holding ON imports (created_at, n) WHERE data_deleted_at IS NULL;
    CREATE INDEX imports_created ON imports (importer, created_at);
    CREATE INDEX imports_deleting ON imports (deletion_started_at)
        WHERE deletion_started_at IS NOT NULL AND data_deleted_at IS NULL;
    CREATE INDEX imports_unswept ON imports (n) WHERE data_deleted_at IS NOT NULL AND NOT objects_swept;
    CREATE TABLE batches (
        import_id text NOT NULL REFERENCES imports (id),
        sequence bigint NOT NULL,
        first_row bigint NOT NULL,
        row_count bigint NOT NULL,
        invalid_rows bytea NOT NULL,
        fingerprint bytea NOT NULL,
        sealed bytea,
        object text,
        summary bytea,
        stored_at bigint NOT NULL,
        PRIMARY KEY (import_id, sequence),
        CHECK ((sealed IS NULL) <> (object IS NULL))
    );
    CREATE TABLE events (
        id bigserial PRIMARY KEY,
        import_id text,
        at bigint NOT NULL,
        kind text NOT NULL,
        detail text NOT NULL
    );
    CREATE INDEX events_import ON events (import_id, id);
    CREATE INDEX events_kind ON events (kind, id);
    CREATE TABLE outbox (
        n bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        import_id text NOT NULL REFERENCES imports (id),
        importer text NOT NULL,
        destination bigint NOT NULL,
        sequence bigint NOT NULL,
        kind text NOT NULL,
        first_batch bigint NOT NULL,
        first_offset bigint NOT NULL,
        row_count bigint NOT NULL,
        chunks bigint NOT NULL,
        status text NOT NULL,
        attempts bigint NOT NULL DEFAULT 0,
        next_attempt_at bigint NOT NULL,
        last_attempt_at bigint,
        last_status bigint,
        last_error text,
        delivered_at bigint,
        lease_holder text,
        lease_until bigint
    );
    CREATE INDEX outbox_queue ON outbox (importer, destination, status, n);
    CREATE INDEX outbox_import ON outbox (import_id, destination, sequence);
    CREATE INDEX outbox_dead ON outbox (n) WHERE status = 'dead';
    CREATE INDEX outbox_leases ON outbox (lease_holder) WHERE lease_holder IS NOT NULL;
    CREATE TABLE mappings (
        n bigserial,
        importer text NOT NULL,
        header_hash text NOT NULL,
        mapping text NOT NULL,
        used_at bigint NOT NULL,
        PRIMARY KEY (importer, header_hash)
    );
    CREATE TABLE importers (
        key text PRIMARY KEY,
        document text NOT NULL,
        sealed_secrets bytea NOT NULL,
        disabled boolean NOT NULL,
        created_at bigint NOT NULL,
        updated_at bigint NOT NULL
    );
    CREATE TABLE leads (
        job text PRIMARY KEY,
        holder text NOT NULL,
        until_ms bigint NOT NULL
    );
",
    BINDING,
    "
    CREATE TABLE start_tokens (
        signature bytea PRIMARY KEY,
        expires_at bigint NOT NULL
    );
    CREATE INDEX start_tokens_expiry ON start_tokens (expires_at);
",
];

/// The keystore database's migrations, in order.
pub(super) const KEYSTORE: &[&str] = &[
    "
    CREATE TABLE keys (
        import_id text NOT NULL,
        purpose text NOT NULL,
        key_id bytea NOT NULL,
        wrapped bytea NOT NULL,
        PRIMARY KEY (import_id, purpose)
    );
",
    BINDING,
];

/// In both databases: the binding of the data, the keystore and the master key (one row), and
/// when readiness last wrote to the database.
const BINDING: &str = "
    CREATE TABLE binding (
        one boolean PRIMARY KEY DEFAULT true CHECK (one),
        store_id text NOT NULL,
        check_value bytea NOT NULL,
        probed_at bigint
    );
";

/// Refuses ([`ErrorKind::Mismatch`]), having changed nothing, a data database holding a store
/// (imports or a binding) beside a keystore holding neither keys nor a binding, and a keystore
/// holding keys beside a data database holding no store. Checking the binding with the master
/// key is the caller's part.
pub(super) fn refuse_unpaired(data: &Pool, keys: &Pool) -> Result<()> {
    let holds_store = data.run(|c| holds(c, "imports", "SELECT EXISTS (SELECT 1 FROM imports)"))?;
    let bound = |pool: &Pool| pool.run(|c| holds(c, "binding", "SELECT EXISTS (SELECT 1 FROM binding)"));
    let store = holds_store || bound(data)?;
    let keyed = keys.run(|k| holds(k, "keys", "SELECT EXISTS (SELECT 1 FROM keys)"))?;
    if store && !keyed && !bound(keys)? {
        return Err(StoreError::new(
            ErrorKind::Mismatch,
            "the keystore database holds no keystore, but the data database holds a store: without \
             the keystore none of its imports can be read. Point keystore_url at the keystore taken \
             with the data, or restore it. Nothing was changed",
        ));
    }
    if !store && keyed {
        return Err(StoreError::new(
            ErrorKind::Mismatch,
            "the data database holds no store, but the keystore database holds keys: the data is \
             missing or was replaced. Restore it, or give a new store a new keystore database. \
             Nothing was changed",
        ));
    }
    Ok(())
}

/// Whether `table` exists and `exists` (a query of it) says true.
fn holds(c: &mut impl Db, table: &str, exists: &str) -> Sql<bool> {
    let found: bool = c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])?.try_get(0)?;
    Ok(found && c.query_one(exists, &[])?.try_get(0)?)
}

/// Applies the migrations of `migrations` the database of `pool` has not had yet.
pub(super) fn migrate(pool: &Pool, migrations: &[&str]) -> Result<()> {
    let mut client = pool.connect()?;
    // The session lock goes with the connection, however this ends.
    apply(&mut client, migrations).map_err(|e| pool.error(&e).context("migrating"))
}

fn apply(client: &mut Client, migrations: &[&str]) -> Sql<()> {
    client.execute("SELECT pg_advisory_lock($1)", &[&LOCK])?;
    client.batch_execute(
        "CREATE TABLE IF NOT EXISTS sluice_migrations (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )?;
    let applied: i32 =
        client.query_one("SELECT coalesce(max(version), 0) FROM sluice_migrations", &[])?.try_get(0)?;
    for (version, sql) in (1..).zip(migrations) {
        if version <= applied {
            continue;
        }
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO sluice_migrations (version) VALUES ($1)", &[&version])?;
        tx.commit()?;
    }
    client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK])?;
    Ok(())
}
