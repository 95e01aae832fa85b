//! Where the test servers keep what they store: SQLite in each server's folder (the default),
//! or, with `SLUICE_TEST_STORE=postgres`, PostgreSQL with its sealed batches in an S3 bucket.
//! Then one PostgreSQL cluster and one S3 server (moto) serve every server the test binary
//! starts, each server in a data and a keystore database and under a bucket prefix of its own.
//! `make test` runs the protocol, durability, delivery and deletion tests both ways.
//!
//! A test binary cannot run code when it exits, so the shared servers are stopped by a watcher
//! process that waits for the binary to end (however it ends), then stops PostgreSQL, stops the
//! S3 server and removes their folders.

use super::services::{Postgres, S3};
use sluice_server::config::Config;
use sluice_server::crypto::MasterKey;
use sluice_server::integrity::{Mode, open};
use sluice_server::store::Store;
use sluice_server::store::blobs::open_blobs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

/// The environment variable that chooses the backend: `postgres`, or anything else for SQLite.
pub(crate) const STORE_VARIABLE: &str = "SLUICE_TEST_STORE";

/// The bucket every server of the binary keeps its objects in, each under its own prefix.
const BUCKET: &str = "sluice-tests";

/// The variable the servers read their database password from.
const PASSWORD_VARIABLE: &str = "SLUICE_TEST_DB_PASSWORD";

/// Whether the servers store in PostgreSQL and S3.
pub(crate) fn on_postgres() -> bool {
    std::env::var(STORE_VARIABLE).is_ok_and(|v| v == "postgres")
}

/// The services every server of this binary shares.
struct Shared {
    pg: Postgres,
    s3: S3,
    servers: AtomicU32,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let pg = Postgres::start();
        let s3 = S3::start();
        s3.create_bucket(BUCKET);
        stop_after_exit(&pg, &s3);
        Shared { pg, s3, servers: AtomicU32::new(0) }
    })
}

/// Starts the watcher that stops `pg` and `s3` once this process has ended.
fn stop_after_exit(pg: &Postgres, s3: &S3) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop}; kill {s3} 2>/dev/null; rm -rf {dirs}",
        pid = std::process::id(),
        stop = pg.stop_command(),
        s3 = s3.pid(),
        dirs = [pg.dir(), s3.log_path()].map(|p| format!("'{}'", p.display())).join(" "),
    );
    // In the background of a shell that ends at once: the watcher outlives this process.
    let started = Command::new("sh")
        .args(["-c", &format!("({script}) &")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("cannot start the watcher that stops the shared PostgreSQL and S3 servers");
    assert!(started.success());
}

/// What a server's configuration gets when it has no `[storage]` of its own: on PostgreSQL,
/// two new databases and a new bucket prefix; nothing on SQLite.
pub(crate) fn storage_section() -> String {
    if !on_postgres() {
        return String::new();
    }
    let shared = shared();
    let name = format!("server{}", shared.servers.fetch_add(1, Ordering::SeqCst));
    let data = shared.pg.create_database(&name);
    let keys = shared.pg.create_database(&format!("{name}_keys"));
    let without_password = |url: &str| url.replacen(&format!(":{}@", shared.pg.password), "@", 1);
    format!(
        r#"
[storage]
backend = "postgres"
url = "{data}?sslmode=disable"
password_env = "{PASSWORD_VARIABLE}"
keystore_url = "{keys}?sslmode=disable"
keystore_password_env = "{PASSWORD_VARIABLE}"
pool_size = 4

[storage.blobs]
url = "s3://{BUCKET}/{name}"
endpoint = "{endpoint}"
"#,
        data = without_password(&data),
        keys = without_password(&keys),
        endpoint = shared.s3.endpoint,
    )
}

/// The environment a server needs on top of its test's: the database password and the bucket's
/// credentials on PostgreSQL; nothing on SQLite.
pub(crate) fn env() -> Vec<(&'static str, String)> {
    if !on_postgres() {
        return Vec::new();
    }
    vec![
        (PASSWORD_VARIABLE, shared().pg.password.clone()),
        ("AWS_ACCESS_KEY_ID", super::services::KEY_ID.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", super::services::KEY_SECRET.to_owned()),
    ]
}

/// Adds [`storage_section`] to the configuration in `dir` unless it names its storage already
/// (a server started again on its folder keeps its databases).
pub(crate) fn prepare(dir: &Path) {
    let path = dir.join("sluice.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    if config.lines().any(|line| line.trim() == "[storage]") {
        return;
    }
    std::fs::write(&path, config + &storage_section()).unwrap();
}

/// The store of the server whose folder is `dir` (running or not), as `sluice export` opens
/// it, and its master key.
pub(crate) fn open_store(dir: &Path) -> (Arc<dyn Store>, MasterKey) {
    let config = config(dir);
    open(&config, Mode::Read).unwrap_or_else(|e| panic!("cannot open the store: {e}"))
}

fn config(dir: &Path) -> Config {
    let env = env();
    let lookup = |name: &str| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
            .or_else(|| std::env::var(name).ok())
    };
    Config::load_with_env(&dir.join("sluice.toml"), &lookup).unwrap()
}

/// Everything the server whose folder is `dir` keeps at rest, as (where, bytes): the files of
/// its data folder, and on PostgreSQL also every file of the cluster (tables, indexes and
/// write-ahead log of every database) and each of the server's objects.
pub(crate) fn at_rest(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    files(&dir.join("data"), &mut found);
    if on_postgres() {
        files(&shared().pg.dir().join("data"), &mut found);
        if let Some(settings) = &config(dir).storage.blobs {
            let blobs = open_blobs(settings).unwrap();
            for name in blobs.list("").unwrap() {
                if let Some(bytes) = blobs.get(&name).unwrap() {
                    found.push((format!("object {name}"), bytes));
                }
            }
        }
    }
    found
}

/// Every file under `dir`, as (path, bytes).
fn files(dir: &Path, found: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries {
        let path: PathBuf = entry.unwrap().path();
        if path.is_dir() {
            files(&path, found);
        } else if let Ok(bytes) = std::fs::read(&path) {
            found.push((path.display().to_string(), bytes));
        }
    }
}

/// Runs `sql` in the keystore database of the server whose folder is `dir`; what it printed.
pub(crate) fn keystore_sql(dir: &Path, sql: &str) -> String {
    let config = std::fs::read_to_string(dir.join("sluice.toml")).unwrap();
    let url = config.lines().find_map(|l| l.strip_prefix("keystore_url = \"")).unwrap();
    let database = url.split(['/', '?']).nth(3).unwrap();
    shared().pg.psql_in(database, sql)
}
