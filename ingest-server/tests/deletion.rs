//! Deletion at the operator's request, through the admin API: crypto-shredding (an old copy of
//! the data put back opens none of the import's batches), no sealed byte or canary left at rest,
//! the record and log kept with counts, and the API closed without the token. On SQLite, or on
//! PostgreSQL and S3 with `SLUICE_TEST_STORE=postgres` (`support::backend`).
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::crypto::{DataKey, Item, MasterKey};
use sluice_server::store::{KeyPurpose, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;
use support::receiver::{Behaviour, Receiver};
use support::{ADMIN_TOKEN, Server, backend, canaries, canaries_in, config, csv, upload, webhook};

const ADMIN: &[(&str, &str)] = &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];

/// Which of `pieces` occur in `haystack`, each searched for on its own (there are a few).
fn found(haystack: &[u8], pieces: &[Vec<u8>]) -> BTreeSet<usize> {
    (0..pieces.len()).filter(|&i| memchr::memmem::find(haystack, &pieces[i]).is_some()).collect()
}

/// How many of `pieces` occur in anything the server whose folder is `dir` keeps at rest.
fn pieces_at_rest(dir: &Path, pieces: &[Vec<u8>]) -> usize {
    let mut all = BTreeSet::new();
    for (_, bytes) in backend::at_rest(dir) {
        all.extend(found(&bytes, pieces));
    }
    all.len()
}

/// How many of `marks` occur in anything the server whose folder is `dir` keeps at rest.
fn canaries_at_rest(dir: &Path, marks: &[String]) -> usize {
    let mut all = BTreeSet::new();
    for (_, bytes) in backend::at_rest(dir) {
        all.extend(canaries_in(&bytes, marks));
    }
    all.len()
}

/// Every sealed batch of `ids` as stored now: (import, sequence, sealed bytes).
fn sealed_batches(store: &dyn Store, ids: &[&str]) -> Vec<(String, u64, Vec<u8>)> {
    let mut sealed = Vec::new();
    for id in ids {
        for batch in store.batches(id).unwrap() {
            let bytes = store.sealed_batch(id, batch.sequence).unwrap().unwrap();
            sealed.push(((*id).to_owned(), batch.sequence, bytes));
        }
    }
    sealed
}

/// 32-byte pieces from the middle of each sealed batch of `id`, read while the server runs.
fn sealed_pieces(dir: &Path, id: &str) -> Vec<Vec<u8>> {
    let (store, _) = backend::open_store(dir);
    let pieces: Vec<Vec<u8>> = sealed_batches(&*store, &[id])
        .iter()
        .map(|(_, _, sealed)| sealed[sealed.len() / 2..sealed.len() / 2 + 32].to_vec())
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
    let pushed: Vec<u8> = delivered.iter().flat_map(|r| r.body.to_string().into_bytes()).collect();
    assert_eq!(canaries_in(&pushed, &marks).len(), 1000, "the canaries went to the receiver");
    let pieces = sealed_pieces(server.dir.path(), &id);
    assert_eq!(pieces_at_rest(server.dir.path(), &pieces), pieces.len(), "the sealed batches are at rest");

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

    if !backend::on_postgres() {
        let data = server.data();
        let wal = |file: &str| std::fs::metadata(data.join(file)).unwrap().len();
        assert_eq!(wal("keys.db-wal"), 0, "the keystore's WAL is truncated");
        // Truncated too, then written again by the audit log: a few pages, no batch.
        assert!(wal("sluice.db-wal") < 64 * 1024);
    }
    let dir = server.dir.path();
    assert_eq!(pieces_at_rest(dir, &pieces), 0, "a sealed batch's bytes are still at rest");
    assert_eq!(canaries_at_rest(dir, &marks), 0, "a canary is at rest");
    assert_eq!(canaries_in(server.stderr().as_bytes(), &marks).len(), 0, "a canary is in the log");
    assert_eq!(canaries_in(record.to_string().as_bytes(), &marks).len(), 0, "a canary is in the log records");
    let (store, _) = backend::open_store(dir);
    assert!(store.key(&id, KeyPurpose::Data).unwrap().is_none() && store.batches(&id).unwrap().is_empty());
    let export = support::sluice()
        .args(["export", &id, "--config"])
        .arg(server.dir.path().join("sluice.toml"))
        .output()
        .unwrap();
    assert!(!export.status.success());
    assert!(String::from_utf8_lossy(&export.stderr).contains("its data was deleted (operator)"));
}

/// Every data key in the keystore of the server whose folder is `dir`, read around the store:
/// (import, key id, wrapped key).
fn data_keys(dir: &Path) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    let sql = "SELECT import_id, key_id, wrapped FROM keys WHERE purpose = 'data'";
    if backend::on_postgres() {
        let sql = "SELECT import_id, encode(key_id, 'hex'), encode(wrapped, 'hex') FROM keys WHERE purpose = 'data'";
        let rows = backend::keystore_sql(dir, sql);
        let hex = |text: &str| {
            (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
        };
        return rows
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split('|').collect();
                (fields[0].to_owned(), hex(fields[1]), hex(fields[2]))
            })
            .collect();
    }
    let keys = rusqlite::Connection::open(dir.join("data/keys.db")).unwrap();
    let mut query = keys.prepare(sql).unwrap();
    query.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
}

/// Opens each of `sealed` with every data key in the keystore of the server whose folder is
/// `dir`: (import, batches opened).
fn openable(dir: &Path, sealed: &[(String, u64, Vec<u8>)]) -> BTreeMap<String, usize> {
    let master = MasterKey::load(&dir.join("data/master.key")).unwrap();
    let mut opened: BTreeMap<String, usize> = sealed.iter().map(|(id, _, _)| (id.clone(), 0)).collect();
    for (key_import, key_id, wrapped) in &data_keys(dir) {
        let bytes = master.unwrap("data", key_import, wrapped).unwrap();
        let key = DataKey::from_parts(key_id.as_slice().try_into().unwrap(), &bytes);
        for (id, sequence, blob) in sealed {
            if key.open(id, Item::Batch(*sequence), blob).is_ok() {
                *opened.get_mut(id).unwrap() += 1;
            }
        }
    }
    opened
}

/// The sealed batches a copy of the data taken before a deletion holds: on SQLite, the data
/// file copied from `copy` back into the server's folder and read around the store; on
/// PostgreSQL and S3, the `before` read through the store (a dump of the data database and a
/// copy of the bucket).
fn old_copy(dir: &Path, copy: &Path, before: Vec<(String, u64, Vec<u8>)>) -> Vec<(String, u64, Vec<u8>)> {
    if backend::on_postgres() {
        return before;
    }
    let data = dir.join("data");
    for file in ["sluice.db", "sluice.db-wal", "sluice.db-shm"] {
        let _ = std::fs::remove_file(data.join(file));
    }
    for file in ["sluice.db", "sluice.db-wal"] {
        std::fs::copy(copy.join(file), data.join(file)).unwrap();
    }
    let db = rusqlite::Connection::open(data.join("sluice.db")).unwrap();
    let mut query = db.prepare("SELECT import_id, sequence, sealed FROM batches").unwrap();
    query
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs(), r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_copy_of_the_data_put_back_after_deletion_opens_none_of_the_deleted_batches() {
    let server = Server::with_env(&config("", ""), ADMIN);
    let deleted = upload(&server, &csv(2000, |_| String::new()), 500);
    let kept = upload(&server, &csv(1000, |_| String::new()), 500);
    let dir = server.kill9();
    let copy = tempfile::tempdir().unwrap();
    if !backend::on_postgres() {
        for file in ["sluice.db", "sluice.db-wal"] {
            std::fs::copy(dir.path().join("data").join(file), copy.path().join(file)).unwrap();
        }
    }
    let (store, _) = backend::open_store(dir.path());
    let before = sealed_batches(&*store, &[&deleted, &kept]);
    drop(store);
    let server = Server::in_dir(dir, ADMIN);
    let (status, _) = server.admin("DELETE", &format!("/v1/admin/imports/{deleted}"), Some(ADMIN_TOKEN));
    assert_eq!(status, 200);
    let dir = server.kill9();
    let (store, _) = backend::open_store(dir.path());
    assert!(store.batches(&deleted).unwrap().is_empty(), "the store holds none of the deleted batches");
    drop(store);
    let old = old_copy(dir.path(), copy.path(), before);
    let in_copy = old.iter().filter(|(id, _, _)| *id == deleted).count();
    assert_eq!(in_copy, 4, "the old copy still holds the deleted batches");
    let opened = openable(dir.path(), &old);
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
