//! A full volume, on a small tmpfs the test mounts (and unmounts) for the data folder: below the
//! free-space floor new imports and batches get 507 `storage_full` with `Retry-After`, readiness
//! says `disk_space_low`, and with the volume filled to its last byte by another process the
//! operator can still delete one import and then everything (the disk reserve is released for
//! it); once room is made, imports go through again.
//!
//! Mounting needs root, as CI runs; the test says so if it cannot.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_parser::schema::Schema;
use sluice_server::client::{Client, ClientError, FileInfo};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::{ADMIN_TOKEN, Server, batches_for};

/// One text column, so that rows of random text fill the volume quickly.
const SCHEMA: &str = "version = 1\n[[columns]]\nkey = \"note\"\ntype = \"text\"\nmax_length = 1000\n";

/// The server's configuration: a floor and a reserve of 8 MiB on the data folder's volume.
const CONFIG: &str = r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[server.disk]
min_free = "8MiB"
reserve = "8MiB"

[[importers]]
key = "notes"
allowed_origins = ["https://app.example.com"]
schema = { version = 1, columns = [{ key = "note", type = "text", max_length = 1000 }] }
"#;

/// A tmpfs of a few megabytes mounted on a folder, unmounted when dropped.
struct Tmpfs {
    at: PathBuf,
}

impl Tmpfs {
    fn mount(at: &Path, megabytes: u32) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m,mode=0700"), "tmpfs"])
            .arg(at)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "cannot mount a tmpfs on {}: this test needs root (CI runs as root)",
            at.display()
        );
        Tmpfs { at: at.to_path_buf() }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.at).status();
        let _ = std::fs::remove_dir_all(&self.at);
    }
}

/// A CSV file of `rows` notes of 400 random hex digits, which do not pack small, and its batches
/// of 1,000 rows.
fn noise(rows: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    use ring::rand::SecureRandom;
    let mut bytes = vec![0u8; 200];
    let mut file = String::from("note\n");
    for _ in 0..rows {
        ring::rand::SystemRandom::new().fill(&mut bytes).unwrap();
        file.extend(bytes.iter().map(|b| format!("{b:02x}")));
        file.push('\n');
    }
    let sealed = batches_for(&Schema::from_toml(SCHEMA).unwrap(), file.as_bytes(), 1000, false);
    (file.into_bytes(), sealed)
}

/// The status and code of a failed call.
fn problem(error: &ClientError) -> (u16, Option<&str>) {
    match error {
        ClientError::Problem { status, .. } => (*status, error.code()),
        other => panic!("not a problem: {other}"),
    }
}

/// `GET /health/ready`: the status and the body.
fn ready(server: &Server) -> (u16, serde_json::Value) {
    std::thread::sleep(std::time::Duration::from_millis(1100));
    server.admin("GET", "/health/ready", None)
}

/// Uploads imports of `batches` until the server refuses a batch or a new import; returns the
/// ids of every import started and the refusal.
fn fill(server: &Server, file: &[u8], batches: &[Vec<u8>]) -> (Vec<String>, ClientError) {
    let client = Client::new(&server.url, "notes").unwrap();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let info = FileInfo::named("noise.csv", file.len() as u64);
        let upload = match client.start(&info, Default::default(), Default::default()) {
            Ok(upload) => upload,
            Err(refused) => return (ids, refused),
        };
        ids.push(upload.import_id.clone());
        for batch in batches {
            if let Err(refused) = upload.send(batch) {
                return (ids, refused);
            }
        }
        upload.complete_all().unwrap();
    }
    panic!("20 imports went into a small volume");
}

/// Writes a file until the volume has no byte left.
fn fill_to_the_last_byte(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0x5a; 64 << 10];
    while file.write_all(&block).is_ok() {}
    let mut byte = [0x5a];
    while file.write_all(&byte).is_ok() {
        byte[0] = 0x5b;
    }
}

#[test]
fn a_full_volume_refuses_new_data_with_507_and_still_lets_the_operator_delete_everything() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), CONFIG).unwrap();
    let mount = Tmpfs::mount(&dir.path().join("data"), 40);
    let server = Server::in_dir(dir, &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)]);
    assert_eq!(ready(&server).0, 200);
    assert!(mount.at.join("sluice.reserve").exists(), "the reserve is set aside at start");

    let (file, sealed) = noise(4000);
    let (ids, refused) = fill(&server, &file, &sealed);
    assert_eq!(problem(&refused), (507, Some("storage_full")), "{refused}");
    assert!(ids.len() > 1, "imports were stored before the floor: {ids:?}");
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let request = serde_json::json!({ "clientKey": "checked after the room" });
    let mut answer =
        agent.post(format!("{}/v1/importers/notes/imports", server.url)).send_json(request).unwrap();
    let body: serde_json::Value = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(
        (answer.status().as_u16(), body["code"].as_str()),
        (507, Some("storage_full")),
        "a new import too"
    );
    assert_eq!(answer.headers().get("retry-after").unwrap(), "60");
    let (status, body) = ready(&server);
    assert_eq!(status, 503);
    assert!(body["failing"].as_array().unwrap().contains(&"disk_space_low".into()), "{body}");

    // Another process takes every byte left.
    fill_to_the_last_byte(&mount.at.join("filler"));
    let client = Client::new(&server.url, "notes").unwrap();
    let refused =
        client.start(&FileInfo::named("x.csv", 1), Default::default(), Default::default()).err().unwrap();
    assert_eq!(problem(&refused), (507, Some("storage_full")), "{refused}");

    let (status, answer) =
        server.admin("DELETE", &format!("/v1/admin/imports/{}", ids[0]), Some(ADMIN_TOKEN));
    assert_eq!((status, answer["deleted"].as_bool()), (200, Some(true)), "{answer}");
    assert!(!mount.at.join("sluice.reserve").exists(), "the reserve was released for it");
    let (status, answer) =
        server.admin("DELETE", "/v1/admin/data?confirm=delete-all-data", Some(ADMIN_TOKEN));
    assert_eq!((status, answer["deleted"].as_u64()), (200, Some(ids.len() as u64 - 1)), "{answer}");
    for id in &ids {
        let (_, record) = server.admin("GET", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN));
        assert!(record["dataDeletedAt"].is_i64(), "{id} deleted: {record}");
    }
    let keys = rusqlite::Connection::open(mount.at.join("keys.db")).unwrap();
    let left: i64 = keys.query_row("SELECT count(*) FROM keys", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0, "every key is gone");
    drop(keys);

    // Room again: imports go through.
    std::fs::remove_file(mount.at.join("filler")).unwrap();
    let upload =
        client.start(&FileInfo::named("noise.csv", 1), Default::default(), Default::default()).unwrap();
    for batch in &sealed {
        upload.send(batch).unwrap();
    }
    assert_eq!(upload.complete_all().unwrap().rows, 4000);
    assert_eq!(ready(&server).0, 200);
    drop(server);
}
