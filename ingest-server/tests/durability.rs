//! What is stored: nothing readable at rest (canaries), and nothing acknowledged lost or
//! duplicated when the server is killed mid-import. On SQLite, or on PostgreSQL and S3 with
//! `SLUICE_TEST_STORE=postgres` (`support::backend`).
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use ring::rand::{SecureRandom, SystemRandom};
use sluice_parser::batch::Batch;
use sluice_server::client::{Answer, Client, ClientError, FileInfo};
use sluice_server::crypto::{DataKey, Item};
use sluice_server::imports::unpack;
use sluice_server::store::KeyPurpose;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use support::{Server, backend, batches, canaries, canaries_in, csv};

/// How many of the canaries occur in anything the server in `dir` keeps at rest.
fn found_at_rest(dir: &Path, canaries: &[String]) -> usize {
    let mut found = BTreeSet::new();
    for (_, bytes) in backend::at_rest(dir) {
        found.extend(canaries_in(&bytes, canaries));
    }
    found.len()
}

/// Every stored row of `import_id`, opened with the keys of the server whose folder is `dir`:
/// (row number, cells joined).
fn stored_rows(dir: &Path, import_id: &str) -> Vec<(u64, String)> {
    let (store, master) = backend::open_store(dir);
    let wrapped = store.key(import_id, KeyPurpose::Data).unwrap().unwrap();
    let bytes = master.unwrap("data", import_id, &wrapped.wrapped).unwrap();
    let key = DataKey::from_parts(wrapped.key_id.as_slice().try_into().unwrap(), &bytes);
    let mut rows = Vec::new();
    for meta in store.batches(import_id).unwrap() {
        let sealed = store.sealed_batch(import_id, meta.sequence).unwrap().unwrap();
        let plaintext = unpack(&key.open(import_id, Item::Batch(meta.sequence), &sealed).unwrap()).unwrap();
        let batch = Batch::decode(&plaintext).unwrap();
        rows.extend(
            batch
                .rows()
                .map(|r| (r.number, r.cells.iter().map(|c| c.unwrap_or("")).collect::<Vec<_>>().join(","))),
        );
    }
    rows
}

#[test]
fn after_a_100000_row_import_no_canary_byte_is_in_the_data_wal_or_keystore() {
    let server = Server::start();
    let marks = canaries(1000);
    let rng = SystemRandom::new();
    let mut carriers = BTreeSet::new();
    while carriers.len() < marks.len() {
        let mut pick = [0u8; 4];
        rng.fill(&mut pick).unwrap();
        carriers.insert(u64::from(u32::from_le_bytes(pick)) % 100_000 + 1);
    }
    let carriers: Vec<u64> = carriers.into_iter().collect();
    let file = csv(100_000, |n| carriers.binary_search(&n).map_or(String::new(), |i| marks[i].clone()));
    assert_eq!(canaries_in(&file, &marks).len(), 1000, "the file carries every canary");

    let client = Client::new(&server.url, "demo").unwrap();
    let upload = client
        .start(&FileInfo::named("canaries.csv", file.len() as u64), Default::default(), Default::default())
        .unwrap();
    for batch in batches(&file, 1000, false) {
        upload.send(&batch).unwrap();
    }
    let done = upload.complete_all().unwrap();
    assert_eq!((done.rows, done.batches), (100_000, 100));

    let log = server.stderr();
    if !backend::on_postgres() {
        let data = server.data();
        assert!(["sluice.db", "sluice.db-wal", "keys.db"].iter().all(|f| data.join(f).exists()));
        assert!(
            std::fs::metadata(data.join("sluice.db-wal")).unwrap().len() > 0
                || std::fs::metadata(data.join("sluice.db")).unwrap().len() > 10 << 20
        );
    }
    let at_rest = backend::at_rest(server.dir.path());
    let id = upload.import_id.as_bytes();
    let holding_id = at_rest.iter().filter(|(_, bytes)| memchr::memmem::find(bytes, id).is_some()).count();
    assert!(holding_id > 0, "the import's id is found at rest: the search reads what is stored");
    assert_eq!(found_at_rest(server.dir.path(), &marks), 0, "a canary is readable at rest");
    assert_eq!(canaries_in(log.as_bytes(), &marks).len(), 0, "a canary is in the server's log");

    // The check can fail: a file holding one canary is found, and the rows are all there once opened.
    std::fs::write(server.data().join("plain"), format!("xx{}yy", marks[500])).unwrap();
    assert_eq!(found_at_rest(server.dir.path(), &marks), 1);
    let dir = server.kill9();
    let rows = stored_rows(dir.path(), &upload.import_id);
    assert_eq!(rows.len(), 100_000);
    let opened = rows.iter().map(|(_, cells)| cells.as_str()).collect::<Vec<_>>().join("\n");
    assert_eq!(canaries_in(opened.as_bytes(), &marks).len(), 1000, "every canary is stored, sealed");
}

#[test]
fn killed_mid_import_restarted_and_resumed_every_acknowledged_batch_is_there_exactly_once() {
    let server = Server::start();
    let file = csv(20_000, |_| String::new());
    let sent = Arc::new(batches(&file, 200, false));
    assert_eq!(sent.len(), 100);
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = client
        .start(&FileInfo::named("big.csv", file.len() as u64), Default::default(), Default::default())
        .unwrap();
    let resumable = upload.resumable();
    let acked = Arc::new(Mutex::new(Vec::new()));

    // Two senders at once, acknowledgements recorded as they come, until the server dies.
    std::thread::scope(|scope| {
        for lane in 0..2 {
            let (sent, acked, upload, client) = (Arc::clone(&sent), Arc::clone(&acked), &upload, &client);
            scope.spawn(move || {
                for batch in sent.iter().skip(lane).step_by(2) {
                    let (sequence, first_row, rows, body) = upload.seal(batch).unwrap();
                    let answer =
                        client.put_raw(&upload.import_id, &upload.token, sequence, first_row, rows, &body);
                    match answer.and_then(Answer::ok) {
                        Ok(_) => acked.lock().unwrap().push(sequence),
                        Err(ClientError::Transport(_)) => return,
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
        while acked.lock().unwrap().len() < 30 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let dir = server.kill9();
        let acked_before = acked.lock().unwrap().clone();
        assert!(acked_before.len() < 100, "killed in the middle");
        resume_and_check(dir, &resumable, &sent, &acked);
    });
}

fn resume_and_check(
    dir: tempfile::TempDir,
    resumable: &sluice_server::client::Resumable,
    sent: &[Vec<u8>],
    acked: &Mutex<Vec<u64>>,
) {
    let server = Server::in_dir(dir, &[]);
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = resumable.resume(&client);
    let stored: BTreeSet<u64> = upload.sync().unwrap().into_iter().collect();
    let acked: BTreeSet<u64> = acked.lock().unwrap().iter().copied().collect();
    assert!(acked.is_subset(&stored), "acknowledged {acked:?}, stored {stored:?}");
    for batch in sent {
        let sequence = Batch::decode(batch).unwrap().sequence;
        if !stored.contains(&sequence) {
            upload.send(batch).unwrap();
        }
    }
    let done = upload.complete_all().unwrap();
    assert_eq!((done.batches, done.rows), (100, 20_000));
    let dir = server.kill9();
    let rows = stored_rows(dir.path(), &resumable.import_id);
    let numbers: Vec<u64> = rows.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, (1..=20_000).collect::<Vec<u64>>(), "every row once, in order");
}
