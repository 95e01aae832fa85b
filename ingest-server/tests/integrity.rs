//! The data file, the keystore and the master key bound to each other: a start on a keystore
//! that is missing, empty or another store's, or with a master key that is missing or wrong,
//! stops with exit code 3 and a message, having changed nothing (putting the right part back
//! brings every row back); a deletion is finished after a crash only where it was recorded as
//! started, never because a key is missing; readiness says when the running store breaks.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{ADMIN_TOKEN, Server, config, csv, upload};

const ADMIN: &[(&str, &str)] = &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];

/// Every file of `dir` (recursively) with its bytes, by path; but SQLite's shared-memory index
/// files (`-shm`), a cache that a reader of a write-ahead log may rebuild, not data.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else if !path.to_string_lossy().ends_with("-shm") {
            files.insert(path.clone(), std::fs::read(&path).unwrap());
        }
    }
    files
}

/// Asserts that two snapshots hold the same files with the same bytes (naming what differs).
fn assert_unchanged(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    let names = |s: &BTreeMap<PathBuf, Vec<u8>>| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(before), names(after), "the same files");
    for (path, bytes) in before {
        assert!(after[path] == *bytes, "{} changed", path.display());
    }
}

/// A server with two completed imports of 300 rows, killed: its folder and the import ids.
fn stopped_with_data() -> (tempfile::TempDir, Vec<String>) {
    let server = Server::with_env(&config("", ""), ADMIN);
    let ids = vec![
        upload(&server, &csv(300, |_| String::new()), 100),
        upload(&server, &csv(300, |_| String::new()), 100),
    ];
    (server.kill9(), ids)
}

/// Starts the server on `dir` and checks that every row of `ids` reads back.
fn rows_read_back(dir: tempfile::TempDir, ids: &[String]) -> Server {
    let server = Server::in_dir(dir, ADMIN);
    for id in ids {
        let (status, page) =
            server.admin("GET", &format!("/v1/admin/imports/{id}/rows?limit=1000"), Some(ADMIN_TOKEN));
        assert_eq!((status, page["total"].as_u64()), (200, Some(300)), "{page}");
    }
    server
}

/// Moves `name` and its write-ahead log and shared memory files out of `data` into `aside`.
fn move_aside(data: &Path, name: &str, aside: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{name}{suffix}");
        if data.join(&file).exists() {
            std::fs::rename(data.join(&file), aside.join(&file)).unwrap();
        }
    }
}

fn move_back(aside: &Path, data: &Path) {
    for entry in std::fs::read_dir(aside).unwrap() {
        let entry = entry.unwrap();
        std::fs::rename(entry.path(), data.join(entry.file_name())).unwrap();
    }
}

#[test]
fn a_missing_or_empty_keystore_stops_the_server_and_changes_nothing() {
    let (dir, ids) = stopped_with_data();
    let data = dir.path().join("data");
    let aside = tempfile::tempdir().unwrap();
    move_aside(&data, "keys.db", aside.path());
    let before = snapshot(dir.path());
    let (code, stderr) = Server::refused(dir.path(), ADMIN);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("keys.db is missing") && stderr.contains("Nothing was changed"), "{stderr}");
    assert_unchanged(&before, &snapshot(dir.path()));

    std::fs::write(data.join("keys.db"), b"").unwrap();
    let before = snapshot(dir.path());
    let (code, stderr) = Server::refused(dir.path(), ADMIN);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("keys.db is empty"), "{stderr}");
    assert_unchanged(&before, &snapshot(dir.path()));

    std::fs::remove_file(data.join("keys.db")).unwrap();
    move_back(aside.path(), &data);
    rows_read_back(dir, &ids);
}

#[test]
fn another_stores_keystore_or_data_file_stops_the_server() {
    let (dir, ids) = stopped_with_data();
    let (other, _) = stopped_with_data();
    let data = dir.path().join("data");
    let aside = tempfile::tempdir().unwrap();
    move_aside(&data, "keys.db", aside.path());
    for suffix in ["", "-wal"] {
        let file = format!("keys.db{suffix}");
        std::fs::copy(other.path().join("data").join(&file), data.join(&file)).unwrap();
    }
    let before = snapshot(dir.path());
    let (code, stderr) = Server::refused(dir.path(), ADMIN);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("keys.db belongs to another store"), "{stderr}");
    assert_unchanged(&before, &snapshot(dir.path()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(data.join(format!("keys.db{suffix}")));
    }
    move_back(aside.path(), &data);

    // The data file lost, with the keystore left: no new, empty store on top of its keys.
    move_aside(&data, "sluice.db", aside.path());
    let (code, stderr) = Server::refused(dir.path(), ADMIN);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("sluice.db holds no store, but the keystore"), "{stderr}");
    assert!(!data.join("sluice.db").exists());
    move_back(aside.path(), &data);
    rows_read_back(dir, &ids);
}

#[test]
fn a_missing_master_key_is_not_replaced_and_a_wrong_one_is_noticed() {
    let (dir, ids) = stopped_with_data();
    let key = dir.path().join("data/master.key");
    let right = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    let before = snapshot(dir.path());
    let (code, stderr) = Server::refused(dir.path(), ADMIN);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("master.key is missing")
            && stderr.contains("a new key is only ever made for a new store"),
        "{stderr}"
    );
    assert!(!key.exists(), "no new master key");
    assert_unchanged(&before, &snapshot(dir.path()));

    let other = tempfile::tempdir().unwrap();
    let made = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["keygen", "--out"])
        .arg(other.path().join("other.key"))
        .output()
        .unwrap();
    assert!(made.status.success());
    let wrong = std::fs::read_to_string(other.path().join("other.key")).unwrap();
    let mut env = ADMIN.to_vec();
    env.push(("SLUICE_MASTER_KEY", wrong.trim()));
    let (code, stderr) = Server::refused(dir.path(), &env);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("the master key does not open store sto_"), "{stderr}");
    assert!(!stderr.contains(wrong.trim()), "the key is never printed");
    assert_unchanged(&before, &snapshot(dir.path()));

    std::fs::write(&key, right).unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    rows_read_back(dir, &ids);
}

#[test]
fn a_deletion_is_finished_after_a_crash_only_where_it_was_recorded_as_started() {
    let (dir, ids) = stopped_with_data();
    let data = dir.path().join("data");
    let (started, keyless) = (&ids[0], &ids[1]);
    // What a crash between the keys and the rows leaves for `started`: its deletion recorded,
    // its keys gone, its batches there. For `keyless`, a key missing with nothing recorded (a
    // keystore older than the data file, say).
    let db = rusqlite::Connection::open(data.join("sluice.db")).unwrap();
    db.execute(
        "UPDATE imports SET deletion_started_at = 1, deleted_reason = 'operator' WHERE id = ?1",
        [started],
    )
    .unwrap();
    drop(db);
    let keys = rusqlite::Connection::open(data.join("keys.db")).unwrap();
    keys.execute("DELETE FROM keys WHERE import_id IN (?1, ?2)", [started, keyless]).unwrap();
    drop(keys);

    let server = Server::in_dir(dir, ADMIN);
    let record = |id: &str| server.admin("GET", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN)).1;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while record(started)["dataDeletedAt"].is_null() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(record(started)["deletedReason"], "operator", "finished, with its own reason");
    assert!(record(keyless)["dataDeletedAt"].is_null(), "a missing key alone deletes nothing");
    let dir = server.kill9();
    let db = rusqlite::Connection::open(dir.path().join("data/sluice.db")).unwrap();
    let batches = |id: &str| -> i64 {
        db.query_row("SELECT count(*) FROM batches WHERE import_id = ?1", [id], |r| r.get(0)).unwrap()
    };
    assert_eq!((batches(started), batches(keyless)), (0, 3), "the keyless import's batches are kept");
}

#[test]
fn the_server_warns_of_imports_whose_keys_are_missing_and_of_a_master_key_inside_the_data_folder() {
    let (dir, ids) = stopped_with_data();
    let keys = rusqlite::Connection::open(dir.path().join("data/keys.db")).unwrap();
    keys.execute("DELETE FROM keys WHERE import_id = ?1", [&ids[1]]).unwrap();
    drop(keys);
    let server = Server::in_dir(dir, ADMIN);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let stderr = server.stderr();
    assert!(stderr.contains("imports hold data whose keys are not in the keystore"), "{stderr}");
    assert!(stderr.contains("the master key file is inside the data folder"), "{stderr}");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["check-config"])
        .arg(server.dir.path().join("sluice.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("is inside the data folder"), "{stdout}");
}

#[test]
fn readiness_fails_with_a_code_when_the_keystore_is_removed_under_the_server() {
    let server = Server::with_env(&config("", ""), ADMIN);
    let ready = |server: &Server| {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent.get(format!("{}/health/ready", server.url)).call().unwrap();
        let body: serde_json::Value =
            serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        (response.status().as_u16(), body)
    };
    assert_eq!(ready(&server), (200, serde_json::json!({ "status": "ready" })));
    std::fs::remove_file(server.data().join("keys.db")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (status, body) = ready(&server);
    assert_eq!(status, 503);
    assert_eq!(body["failing"], serde_json::json!(["keystore_file_missing"]), "{body}");
    assert!(!body.to_string().contains(&server.data().display().to_string()), "no path");
    let (status, _) = server.admin("GET", "/health", None);
    assert_eq!(status, 200, "liveness is another question");
}
