use super::*;
use std::path::Path;
use std::sync::Arc;

fn store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    (dir, store)
}

fn import(id: &str) -> NewImport {
    NewImport {
        id: id.into(),
        importer: "demo".into(),
        schema_digest: [1; 32],
        token_hash: [2; 32],
        token_expires_at: 2000,
        created_at: 1000,
        expires_at: 5000,
        file_size: Some(123),
        schema: None,
        metadata: vec![9, 9],
        data_key: (vec![7; 16], vec![8; 60]),
        transport_key: vec![6; 60],
    }
}

fn batch(id: &str, sequence: u64, body: u8) -> NewBatch {
    NewBatch {
        import_id: id.into(),
        sequence,
        first_row: sequence * 10 + 1,
        row_count: 10,
        invalid_rows: vec![sequence * 10 + 3],
        fingerprint: [body; 32],
        sealed: vec![body; 100],
        stored_at: 1500,
        token_expires_at: 2000 + 100 * sequence as i64,
    }
}

#[test]
fn imports_and_their_keys_are_stored() {
    let (_dir, store) = store();
    store.create_import(import("imp_a")).unwrap();
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!(
        (record.status, record.file_size, record.schema_digest),
        (ImportStatus::Open, Some(123), [1; 32])
    );
    assert_eq!(store.metadata("imp_a").unwrap(), Some(vec![9, 9]));
    assert_eq!(record.schema, None);
    store.create_import(NewImport { schema: Some("{\"version\":1}".into()), ..import("imp_b") }).unwrap();
    assert_eq!(store.import("imp_b").unwrap().unwrap().schema.as_deref(), Some("{\"version\":1}"));
    assert_eq!(store.key("imp_a", "data").unwrap().unwrap().key_id, vec![7; 16]);
    assert_eq!(store.key("imp_a", "transport").unwrap().unwrap().wrapped, vec![6; 60]);
    assert_eq!(store.import("imp_missing").unwrap(), None);
}

#[test]
fn a_batch_is_stored_once_replays_answer_the_same_and_other_bodies_conflict() {
    let (_dir, store) = store();
    store.create_import(import("imp_a")).unwrap();
    assert_eq!(store.put_batch(batch("imp_a", 0, 1)).unwrap(), PutOutcome::Stored);
    let PutOutcome::Replayed(meta) = store.put_batch(batch("imp_a", 0, 1)).unwrap() else {
        panic!("not a replay")
    };
    assert_eq!((meta.sequence, meta.first_row, meta.row_count, meta.invalid_rows), (0, 1, 10, 1));
    assert_eq!(store.put_batch(batch("imp_a", 0, 2)).unwrap(), PutOutcome::Conflict);
    assert_eq!(store.put_batch(batch("imp_a", 1, 3)).unwrap(), PutOutcome::Stored);
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!((record.batches, record.rows, record.invalid_rows), (2, 20, 2));
    assert_eq!(record.token_expires_at, 2100, "each stored batch extends the token");
    assert_eq!(store.batch("imp_a", 1).unwrap().map(|b| b.first_row), Some(11));
    assert_eq!(store.batch("imp_a", 2).unwrap(), None);
    assert_eq!(store.invalid_rows("imp_a").unwrap(), [3, 13]);
    assert_eq!(store.batches("imp_a").unwrap().iter().map(|b| b.sequence).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(store.sealed_batch("imp_a", 1).unwrap(), Some(vec![3; 100]));
    assert!(store.put_batch(batch("imp_missing", 0, 1)).is_err());
}

#[test]
fn completing_closes_the_import_and_destroys_its_transport_key() {
    let (_dir, store) = store();
    store.create_import(import("imp_a")).unwrap();
    store.complete("imp_a", 3000, 4).unwrap();
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!(
        (record.status, record.completed_at, record.invalid_rows),
        (ImportStatus::Complete, Some(3000), 4)
    );
    assert!(store.key("imp_a", "transport").unwrap().is_none());
    assert!(store.key("imp_a", "data").unwrap().is_some());
    assert_eq!(store.put_batch(batch("imp_a", 0, 1)).unwrap(), PutOutcome::NotOpen(ImportStatus::Complete));
    assert!(store.complete("imp_a", 3001, 0).is_err());
}

#[test]
fn imports_past_their_time_expire() {
    let (_dir, store) = store();
    store.create_import(import("imp_a")).unwrap();
    store.create_import(NewImport { expires_at: 9000, ..import("imp_b") }).unwrap();
    store.put_batch(batch("imp_a", 0, 1)).unwrap();
    store.put_batch(batch("imp_b", 0, 1)).unwrap();
    assert_eq!(store.expire(5000).unwrap(), 1);
    assert_eq!(store.import("imp_a").unwrap().unwrap().status, ImportStatus::Expired);
    assert_eq!(store.import("imp_b").unwrap().unwrap().status, ImportStatus::Open);
    assert!(store.key("imp_a", "transport").unwrap().is_none());
    assert!(store.key("imp_a", "data").unwrap().is_none(), "the data key is destroyed");
    assert!(store.batches("imp_a").unwrap().is_empty(), "the batches are deleted");
    assert!(store.sealed_batch("imp_a", 0).unwrap().is_none());
    assert_eq!(store.batches("imp_b").unwrap().len(), 1, "an open import keeps its batches");
    assert!(store.key("imp_b", "data").unwrap().is_some());
}

#[test]
fn events_hold_what_they_were_given() {
    let (_dir, store) = store();
    let detail = serde_json::json!({"rows": 10, "codes": {"invalid_email": 2}});
    store
        .log(Event { import_id: Some("imp_a".into()), at: 7, kind: "batch_stored", detail: detail.clone() })
        .unwrap();
    assert_eq!(store.events("imp_a").unwrap(), [(7, "batch_stored".to_owned(), detail)]);
}

#[test]
fn the_data_folder_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let store = SqliteStore::open(&dir).unwrap();
    store.create_import(import("imp_a")).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for file in ["sluice.db", "sluice.db-wal", "keys.db", "keys.db-wal"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
}

#[test]
fn reopening_keeps_everything_and_does_not_migrate_twice() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        store.create_import(import("imp_a")).unwrap();
        store.put_batch(batch("imp_a", 0, 1)).unwrap();
    }
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.batches("imp_a").unwrap().len(), 1);
}

#[test]
fn concurrent_batches_are_all_stored_in_groups() {
    let (_dir, store) = store();
    let store = Arc::new(store);
    for i in 0..8 {
        store.create_import(import(&format!("imp_{i}"))).unwrap();
    }
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for s in 0..25 {
                    assert_eq!(
                        store.put_batch(batch(&format!("imp_{i}"), s, 1)).unwrap(),
                        PutOutcome::Stored
                    );
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|t| t.join().unwrap());
    for i in 0..8 {
        assert_eq!(store.import(&format!("imp_{i}")).unwrap().unwrap().batches, 25);
    }
}
