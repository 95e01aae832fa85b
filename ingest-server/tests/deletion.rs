//! Deletion at the operator's request, through the admin API: crypto-shredding (an old copy of
//! the data file put back opens none of the import's batches), no sealed byte or canary left in
//! the data folder, the record and log kept with counts, and the API closed without the token.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::crypto::{DataKey, Item, MasterKey};
use sluice_server::store::{KeyPurpose, SqliteStore, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::receiver::{Behaviour, Receiver};
use support::{ADMIN_TOKEN, Server, canaries, config, csv, upload, webhook};

const ADMIN: &[(&str, &str)] = &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];

/// Which of `needles` occur in `haystack`.
fn found(haystack: &[u8], needles: &[Vec<u8>]) -> BTreeSet<usize> {
    let index: HashMap<&[u8], usize> = needles.iter().enumerate().map(|(i, n)| (n.as_slice(), i)).collect();
    let len = needles[0].len();
    (0..haystack.len().saturating_sub(len - 1))
        .filter_map(|at| index.get(&haystack[at..at + len]).copied())
        .collect()
}

/// Which of `needles` occur in any file of `dir`.
fn found_in_files(dir: &Path, needles: &[Vec<u8>]) -> usize {
    let mut all = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        all.extend(found(&std::fs::read(entry.unwrap().path()).unwrap(), needles));
    }
    all.len()
}

/// 32-byte pieces from the middle of each sealed batch of `id`, read while the server runs.
fn sealed_pieces(data: &Path, id: &str) -> Vec<Vec<u8>> {
    let store = SqliteStore::open(data).unwrap();
    let pieces: Vec<Vec<u8>> = store
        .batches(id)
        .unwrap()
        .iter()
        .map(|b| {
            let sealed = store.sealed_batch(id, b.sequence).unwrap().unwrap();
            sealed[sealed.len() / 2..sealed.len() / 2 + 32].to_vec()
        })
        .collect();
    assert!(!pieces.is_empty());
    pieces
}

#[test]
fn after_deletion_no_canary_or_sealed_byte_is_left_and_the_record_keeps_its_counts() {
    let receiver = Receiver::start(Behaviour::default());
    let server = Server::with_env(&config("", &webhook(&receiver.url, "")), ADMIN);
    let marks = canaries(1000);
    let file = csv(5000, |n| if n % 5 == 0 { marks[(n / 5 - 1) as usize].clone() } else { String::new() });
    let id = upload(&server, &file, 500);
    let delivered = receiver.wait_for(6, Duration::from_secs(30));
    let needles: Vec<Vec<u8>> = marks.iter().map(|m| m.as_bytes().to_vec()).collect();
    let pushed: Vec<u8> = delivered.iter().flat_map(|r| r.body.to_string().into_bytes()).collect();
    assert_eq!(found(&pushed, &needles).len(), 1000, "the canaries went to the receiver");
    let pieces = sealed_pieces(&server.data(), &id);
    assert_eq!(found_in_files(&server.data(), &pieces), pieces.len(), "the sealed batches are in the files");

    let (status, answer) = server.admin("DELETE", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN));
    assert_eq!((status, answer["deleted"].as_bool()), (200, Some(true)));
    let (_, again) = server.admin("DELETE", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN));
    assert_eq!(again["deleted"], false, "the second time there is nothing left");

    let (status, record) = server.admin("GET", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    assert_eq!((record["rows"].as_u64(), record["deletedReason"].as_str()), (Some(5000), Some("operator")));
    assert!(record["dataDeletedAt"].is_i64());
    assert_eq!(record["delivery"]["delivered"], 6, "what was delivered stays recorded");
    assert!(record["events"].as_array().unwrap().iter().any(|e| e["kind"] == "data_deleted"));

    let data = server.data();
    assert_eq!(
        std::fs::metadata(data.join("keys.db-wal")).unwrap().len(),
        0,
        "the keystore's WAL is truncated"
    );
    // Truncated too, then written again by the audit log: a few pages, no batch.
    assert!(std::fs::metadata(data.join("sluice.db-wal")).unwrap().len() < 64 * 1024);
    assert_eq!(found_in_files(&data, &pieces), 0, "a sealed batch's bytes are still in the data folder");
    assert_eq!(found_in_files(&data, &needles), 0, "a canary is in the data folder");
    assert_eq!(found(server.stderr().as_bytes(), &needles).len(), 0, "a canary is in the log");
    assert_eq!(found(record.to_string().as_bytes(), &needles).len(), 0, "a canary is in the log records");
    let store = SqliteStore::open(&data).unwrap();
    assert!(store.key(&id, KeyPurpose::Data).unwrap().is_none() && store.batches(&id).unwrap().is_empty());
    let export = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["export", &id, "--config"])
        .arg(server.dir.path().join("sluice.toml"))
        .output()
        .unwrap();
    assert!(!export.status.success());
    assert!(String::from_utf8_lossy(&export.stderr).contains("its data was deleted (operator)"));
}

/// Opens every sealed batch in `data` with every data key in its keystore: (import, batches
/// opened).
fn openable(data: &Path) -> Vec<(String, usize)> {
    let master = MasterKey::load(&data.join("master.key")).unwrap();
    let keys = rusqlite::Connection::open(data.join("keys.db")).unwrap();
    let mut query =
        keys.prepare("SELECT import_id, key_id, wrapped FROM keys WHERE purpose = 'data'").unwrap();
    let keys: Vec<(String, Vec<u8>, Vec<u8>)> =
        query.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    let db = rusqlite::Connection::open(data.join("sluice.db")).unwrap();
    let mut query = db.prepare("SELECT import_id, sequence, sealed FROM batches").unwrap();
    let sealed: Vec<(String, u64, Vec<u8>)> = query
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs(), r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut opened: BTreeMap<String, usize> = sealed.iter().map(|(id, _, _)| (id.clone(), 0)).collect();
    for (key_import, key_id, wrapped) in &keys {
        let bytes = master.unwrap("data", key_import, wrapped).unwrap();
        let key = DataKey::from_parts(key_id.as_slice().try_into().unwrap(), &bytes);
        for (id, sequence, blob) in &sealed {
            if key.open(id, Item::Batch(*sequence), blob).is_ok() {
                *opened.get_mut(id).unwrap() += 1;
            }
        }
    }
    opened.into_iter().collect()
}

#[test]
fn a_copy_of_the_data_file_put_back_after_deletion_opens_none_of_the_deleted_batches() {
    let server = Server::with_env(&config("", ""), ADMIN);
    let deleted = upload(&server, &csv(2000, |_| String::new()), 500);
    let kept = upload(&server, &csv(1000, |_| String::new()), 500);
    let dir = server.kill9();
    let data = dir.path().join("data");
    let copy = tempfile::tempdir().unwrap();
    for file in ["sluice.db", "sluice.db-wal"] {
        std::fs::copy(data.join(file), copy.path().join(file)).unwrap();
    }
    let server = Server::in_dir(dir, ADMIN);
    let (status, _) = server.admin("DELETE", &format!("/v1/admin/imports/{deleted}"), Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    let dir = server.kill9();
    let data = dir.path().join("data");
    for file in ["sluice.db", "sluice.db-wal", "sluice.db-shm"] {
        let _ = std::fs::remove_file(data.join(file));
    }
    for file in ["sluice.db", "sluice.db-wal"] {
        std::fs::copy(copy.path().join(file), data.join(file)).unwrap();
    }
    let store = SqliteStore::open(&data).unwrap();
    assert_eq!(store.batches(&deleted).unwrap().len(), 4, "the old copy still holds the deleted batches");
    drop(store);
    let opened: BTreeMap<String, usize> = openable(&data).into_iter().collect();
    assert_eq!(opened[&deleted], 0, "a deleted import's batch opens with a key left in the keystore");
    assert_eq!(opened[&kept], 2, "the kept import's batches open: the check can succeed");
}

#[test]
fn the_admin_api_answers_401_without_the_token_and_deletes_by_importer_or_all() {
    let server = Server::with_env(&config("", ""), ADMIN);
    let first = upload(&server, &csv(100, |_| String::new()), 100);
    let routes = [
        ("GET", format!("/v1/admin/imports/{first}")),
        ("DELETE", format!("/v1/admin/imports/{first}")),
        ("DELETE", "/v1/admin/importers/demo/data".to_owned()),
        ("DELETE", "/v1/admin/data?confirm=delete-all-data".to_owned()),
        ("GET", "/v1/admin/deliveries/dead".to_owned()),
        ("POST", format!("/v1/admin/deliveries/{first}/retry")),
    ];
    for (method, path) in &routes {
        for token in [None, Some("wrong-token-wrong-token-wrong-token"), Some("")] {
            let (status, problem) = server.admin(method, path, token);
            assert_eq!(
                (status, problem["code"].as_str()),
                (401, Some("unauthorized")),
                "{method} {path} {token:?}"
            );
        }
    }
    let second = upload(&server, &csv(100, |_| String::new()), 100);
    let (status, problem) = server.admin("DELETE", "/v1/admin/data", Some(ADMIN_TOKEN));
    assert_eq!((status, problem["code"].as_str()), (400, Some("confirmation_required")));
    let (status, answer) = server.admin("DELETE", "/v1/admin/importers/demo/data", Some(ADMIN_TOKEN));
    assert_eq!((status, answer["deleted"].as_u64()), (200, Some(2)));
    let third = upload(&server, &csv(100, |_| String::new()), 100);
    let (_, answer) = server.admin("DELETE", "/v1/admin/data?confirm=delete-all-data", Some(ADMIN_TOKEN));
    assert_eq!(answer["deleted"], 1);
    for id in [first, second, third] {
        let (_, record) = server.admin("GET", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN));
        assert_eq!(
            (record["rows"].as_u64(), record["deletedReason"].as_str()),
            (Some(100), Some("operator"))
        );
    }

    let (status, problem) = server.admin("GET", "/v1/admin/imports/imp_nothing", Some(ADMIN_TOKEN));
    assert_eq!((status, problem["code"].as_str()), (404, Some("unknown_import")));
    let (status, _) = server.admin("DELETE", "/v1/admin/imports/imp_nothing", Some(ADMIN_TOKEN));
    assert_eq!(status, 404);

    // Without a token in the configuration, the admin API is off.
    let closed = Server::with_config(&config("", ""));
    let (status, problem) = closed.admin("GET", "/v1/admin/deliveries/dead", Some(ADMIN_TOKEN));
    assert_eq!(status, 401);
    assert!(problem["detail"].as_str().unwrap().contains("the admin API is off"));
}
