//! The store's two files and what is done to them as files: where they are, their migrations,
//! connections with the settings every one needs, checkpoints, and a look at a data folder that
//! changes nothing (which files are there, what binds them, whether they hold imports and keys),
//! so that a start can be refused before anything is written.

use super::super::{Binding, Bindings, ErrorKind, Result, StoreError};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};

/// The data file's name in the data folder.
pub const DATA_FILE: &str = "sluice.db";

/// The keystore's name in the data folder.
pub const KEYS_FILE: &str = "keys.db";

/// The data file's migrations, in order; `user_version` counts those applied.
pub(super) const DATA_MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE imports (
        id TEXT PRIMARY KEY,
        importer TEXT NOT NULL,
        status TEXT NOT NULL,
        schema_digest BLOB NOT NULL,
        token_hash BLOB NOT NULL,
        token_expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        completed_at INTEGER,
        file_size INTEGER,
        metadata BLOB NOT NULL,
        batches INTEGER NOT NULL DEFAULT 0,
        rows INTEGER NOT NULL DEFAULT 0,
        invalid_rows INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX imports_open ON imports (status, expires_at);
    CREATE TABLE batches (
        import_id TEXT NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
        sequence INTEGER NOT NULL,
        first_row INTEGER NOT NULL,
        row_count INTEGER NOT NULL,
        invalid_rows BLOB NOT NULL,
        fingerprint BLOB NOT NULL,
        sealed BLOB NOT NULL,
        stored_at INTEGER NOT NULL,
        PRIMARY KEY (import_id, sequence)
    ) STRICT;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        import_id TEXT,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        detail TEXT NOT NULL
    ) STRICT;
    CREATE INDEX events_import ON events (import_id, id);
",
    "
    ALTER TABLE imports ADD COLUMN schema TEXT;
",
    "
    ALTER TABLE imports ADD COLUMN mapping BLOB;
    ALTER TABLE imports ADD COLUMN data_deleted_at INTEGER;
    ALTER TABLE imports ADD COLUMN deleted_reason TEXT;
    CREATE INDEX imports_done ON imports (importer, status, completed_at) WHERE data_deleted_at IS NULL;
    CREATE TABLE outbox (
        n INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        import_id TEXT NOT NULL REFERENCES imports (id),
        importer TEXT NOT NULL,
        destination INTEGER NOT NULL,
        sequence INTEGER NOT NULL,
        kind TEXT NOT NULL,
        first_batch INTEGER NOT NULL,
        first_offset INTEGER NOT NULL,
        row_count INTEGER NOT NULL,
        chunks INTEGER NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        delivered_at INTEGER
    ) STRICT;
    CREATE INDEX outbox_queue ON outbox (importer, destination, status, n);
    CREATE INDEX outbox_import ON outbox (import_id, destination, sequence);
    CREATE INDEX outbox_dead ON outbox (status, n) WHERE status = 'dead';
",
    "
    CREATE INDEX imports_holding ON imports (created_at) WHERE data_deleted_at IS NULL;
    CREATE INDEX imports_created ON imports (importer, created_at);
    CREATE INDEX events_kind ON events (kind, id);
",
    BINDING,
    DELETION_MARKER,
    MAPPINGS,
    SUMMARIES,
    IMPORTERS,
    START_TOKENS,
];

/// In the data file: the start tokens used, until they expire.
const START_TOKENS: &str = "
    CREATE TABLE start_tokens (
        signature BLOB PRIMARY KEY,
        expires_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX start_tokens_expiry ON start_tokens (expires_at);
";

/// In the data file: importers made in the dashboard (settings without secrets, and the
/// secrets sealed under the master key).
const IMPORTERS: &str = "
    CREATE TABLE importers (
        key TEXT PRIMARY KEY,
        document TEXT NOT NULL,
        sealed_secrets BLOB NOT NULL,
        disabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    ) STRICT;
";

/// In both files: the binding of the data file, the keystore and the master key (one row), and
/// when readiness last wrote to the file.
const BINDING: &str = "
    CREATE TABLE binding (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        store_id TEXT NOT NULL,
        check_value BLOB NOT NULL,
        probed_at INTEGER
    ) STRICT;
";

/// In the data file: the mark a deletion writes before it destroys any key.
const DELETION_MARKER: &str = "
    ALTER TABLE imports ADD COLUMN deletion_started_at INTEGER;
    CREATE INDEX imports_deleting ON imports (deletion_started_at)
        WHERE deletion_started_at IS NOT NULL AND data_deleted_at IS NULL;
";

/// In the data file: each batch's sealed summary for completion (null for batches stored before).
const SUMMARIES: &str = "ALTER TABLE batches ADD COLUMN summary BLOB;";

/// In the data file: column mappings remembered per importer and header set (no values).
const MAPPINGS: &str = "
    CREATE TABLE mappings (
        importer TEXT NOT NULL,
        header_hash TEXT NOT NULL,
        mapping TEXT NOT NULL,
        used_at INTEGER NOT NULL,
        PRIMARY KEY (importer, header_hash)
    ) STRICT;
";

/// The keystore's migrations.
pub(super) const KEY_MIGRATIONS: &[&str] = &[
    "
    CREATE TABLE keys (
        import_id TEXT NOT NULL,
        purpose TEXT NOT NULL,
        key_id BLOB NOT NULL,
        wrapped BLOB NOT NULL,
        PRIMARY KEY (import_id, purpose)
    ) STRICT;
",
    BINDING,
];

/// Creates the data folder readable by its owner only (0700), if it does not exist.
pub(super) fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| StoreError::other(format!("cannot create the data folder {}: {e}", dir.display())))
}

/// Creates a database file readable by its owner only (0600), if it does not exist; SQLite gives
/// its WAL and shared-memory files the same mode.
pub(super) fn private_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::other(format!("cannot create {}: {e}", path.display())))
}

/// Opens a connection with the settings every connection needs.
pub(super) fn connect(path: &Path) -> Result<Connection> {
    private_file(path)?;
    let connection = Connection::open(path)?;
    connection.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = ON;",
    )?;
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(connection)
}

/// Applies the migrations not applied yet, each with its `user_version` bump.
pub(super) fn migrate(connection: &Connection, migrations: &[&str]) -> Result<()> {
    let applied: i64 = connection.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(usize::MAX);
    if applied > migrations.len() {
        return Err(StoreError::other(format!(
            "the database is from a newer Sluice (schema version {applied})"
        )));
    }
    for (version, sql) in migrations.iter().enumerate().skip(applied) {
        let tx = connection.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", version + 1))?;
        tx.commit()?;
    }
    Ok(())
}

/// Folds the WAL back into the main file and truncates it, so deleted pages leave no copy;
/// tries again while readers keep it busy, then leaves it to the next checkpoint (the
/// retention job makes one every minute).
pub(super) fn checkpoint(connection: &Connection) -> Result<()> {
    for _ in 0..CHECKPOINT_TRIES {
        let busy: i64 = connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        if busy == 0 {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    tracing::warn!("the write-ahead log stayed busy; the next checkpoint will truncate it");
    Ok(())
}

/// How often a checkpoint is tried while readers keep the log busy.
const CHECKPOINT_TRIES: usize = 50;

/// How a file of the store stands on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileState {
    /// There is no such file.
    Absent,
    /// The file is there with no bytes in it.
    Empty,
    /// The file has content.
    Present,
}

impl FileState {
    /// How the file at `path` stands; an error for anything but a regular file or a missing one.
    fn of(path: &Path) -> Result<FileState> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileState::Absent),
            Err(e) => Err(StoreError::from(e).context(&format!("cannot read {}", path.display()))),
            Ok(meta) if !meta.is_file() => {
                Err(StoreError::new(ErrorKind::Corrupt, format!("{} is not a regular file", path.display())))
            }
            Ok(meta) if meta.len() == 0 => Ok(FileState::Empty),
            Ok(_) => Ok(FileState::Present),
        }
    }
}

/// What a data folder holds, read without writing anything.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// The data file, `sluice.db`.
    pub data_path: PathBuf,
    /// The keystore, `keys.db`.
    pub keys_path: PathBuf,
    /// How the data file stands.
    pub data: FileState,
    /// How the keystore stands.
    pub keystore: FileState,
    /// The binding each file holds.
    pub bindings: Bindings,
    /// Whether the data file holds any import record.
    pub imports: bool,
    /// How many keys the keystore holds.
    pub keys: u64,
    /// One wrapped data key (import id, wrapped bytes), to try a master key on a store made
    /// before bindings existed.
    pub sample_key: Option<(String, Vec<u8>)>,
}

impl Inspection {
    /// Whether the data file holds a store: a binding or an import. Otherwise the folder is new
    /// (or its creation was cut short before anything was stored) and may be set up afresh.
    pub fn holds_store(&self) -> bool {
        self.bindings.data.is_some() || self.imports
    }

    /// Refuses the pairs of files no start may go on with, whatever the master key: a store
    /// without its keystore, and keys without their data file. Says which file and what to do.
    pub fn refuse_unpaired(&self) -> Result<()> {
        let keys = self.keys_path.display();
        let data = self.data_path.display();
        let missing = match self.keystore {
            FileState::Absent => Some("is missing"),
            FileState::Empty => Some("is empty"),
            FileState::Present => None,
        };
        if self.holds_store()
            && let Some(missing) = missing
        {
            return Err(mismatch(format!(
                "the keystore {keys} {missing}, but {data} holds a store: without the keystore none of \
                 its imports can be read. Restore {keys} from the backup taken with {data}. Nothing \
                 was changed"
            )));
        }
        if !self.holds_store() && self.keys > 0 {
            return Err(mismatch(format!(
                "{data} holds no store, but the keystore {keys} holds {} keys: the data file is missing \
                 or was replaced. Restore {data} from the backup taken with {keys}, or move {keys} away \
                 to start a new store. Nothing was changed",
                self.keys
            )));
        }
        Ok(())
    }
}

/// A failure of the [`Mismatch`](ErrorKind::Mismatch) kind.
pub(super) fn mismatch(detail: String) -> StoreError {
    StoreError::new(ErrorKind::Mismatch, detail)
}

/// Looks at the data folder `dir` without writing to it (connections are read-only, and no file
/// is created that is not there).
pub(super) fn inspect(dir: &Path) -> Result<Inspection> {
    let data_path = dir.join(DATA_FILE);
    let keys_path = dir.join(KEYS_FILE);
    let mut found = Inspection {
        data: FileState::of(&data_path)?,
        keystore: FileState::of(&keys_path)?,
        data_path,
        keys_path,
        bindings: Bindings::default(),
        imports: false,
        keys: 0,
        sample_key: None,
    };
    if found.data == FileState::Present {
        let data = read_only(&found.data_path)?;
        found.bindings.data = binding(&data)?;
        found.imports = has_table(&data, "imports")?
            && data.query_row("SELECT EXISTS (SELECT 1 FROM imports)", [], |r| r.get(0))?;
    }
    if found.keystore == FileState::Present {
        let keys = read_only(&found.keys_path)?;
        found.bindings.keystore = binding(&keys)?;
        if has_table(&keys, "keys")? {
            found.keys =
                keys.query_row("SELECT count(*) FROM keys", [], |r| r.get::<_, i64>(0))?.unsigned_abs();
            found.sample_key = keys
                .query_row("SELECT import_id, wrapped FROM keys WHERE purpose = 'data' LIMIT 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
        }
    }
    Ok(found)
}

/// A read-only connection: it creates no file and writes to none. A file without a write-ahead
/// log beside it is complete in itself and is opened as immutable (no lock, no `-shm`); one with
/// a log (after a crash, or while a server runs) is read through it.
fn read_only(path: &Path) -> Result<Connection> {
    let mut log = path.as_os_str().to_owned();
    log.push("-wal");
    let flags =
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI;
    let opened = if Path::new(&log).exists() {
        Connection::open_with_flags(path, flags)
    } else {
        Connection::open_with_flags(format!("file:{}?immutable=1", uri_path(path)), flags)
    };
    let connection =
        opened.map_err(|e| StoreError::from(e).context(&format!("cannot open {}", path.display())))?;
    connection.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(connection)
}

/// `path` as the path of a `file:` URI: the characters a URI gives a meaning escaped.
fn uri_path(path: &Path) -> String {
    let mut escaped = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => escaped.push_str(&format!("%{:02X}", c as u32)),
            c => escaped.push(c),
        }
    }
    escaped
}

fn has_table(connection: &Connection, name: &str) -> Result<bool> {
    let sql = "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?1)";
    connection
        .query_row(sql, [name], |r| r.get(0))
        .map_err(|e| StoreError::from(e).context("not a Sluice store"))
}

/// The binding a file holds, if it has one.
pub(super) fn binding(connection: &Connection) -> Result<Option<Binding>> {
    if !has_table(connection, "binding")? {
        return Ok(None);
    }
    let sql = "SELECT store_id, check_value FROM binding WHERE only = 1";
    Ok(connection.query_row(sql, [], |r| Ok(Binding { store_id: r.get(0)?, check: r.get(1)? })).optional()?)
}

/// Writes `binding` into a file, replacing the one it held.
pub(super) fn bind(connection: &Connection, binding: &Binding) -> Result<()> {
    connection
        .prepare_cached("INSERT OR IGNORE INTO binding (only, store_id, check_value) VALUES (1, ?1, ?2)")?
        .execute(rusqlite::params![binding.store_id, binding.check])?;
    Ok(())
}
