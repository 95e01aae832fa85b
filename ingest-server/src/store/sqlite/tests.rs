use super::*;
use crate::store::{DiskLimits, KeyPurpose, MessageKind};
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
        summary: Some(vec![body; 20]),
        max_rows: 1000,
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
    assert_eq!(store.key("imp_a", KeyPurpose::Data).unwrap().unwrap().key_id, vec![7; 16]);
    assert_eq!(store.key("imp_a", KeyPurpose::Transport).unwrap().unwrap().wrapped, vec![6; 60]);
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
    let over = NewBatch { max_rows: 19, ..batch("imp_a", 1, 3) };
    assert_eq!(store.put_batch(over).unwrap(), PutOutcome::TooManyRows, "10 stored and 10 more");
    assert_eq!(store.put_batch(batch("imp_a", 1, 3)).unwrap(), PutOutcome::Stored);
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!((record.batches, record.rows, record.invalid_rows), (2, 20, 2));
    assert_eq!(record.token_expires_at, 2100, "each stored batch extends the token");
    assert_eq!(store.batch("imp_a", 1).unwrap().map(|b| b.first_row), Some(11));
    assert_eq!(store.batch("imp_a", 2).unwrap(), None);
    assert_eq!(store.invalid_rows("imp_a").unwrap(), [3, 13]);
    assert_eq!(store.batches("imp_a").unwrap().iter().map(|b| b.sequence).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(store.sealed_batch("imp_a", 1).unwrap(), Some(vec![3; 100]));
    assert_eq!(store.summary("imp_a", 1).unwrap(), Some(vec![3; 20]), "the summary is stored with it");
    assert_eq!(store.summary("imp_a", 2).unwrap(), None);
    assert!(store.put_batch(batch("imp_missing", 0, 1)).is_err());
}

#[test]
fn completing_closes_the_import_and_destroys_its_transport_key() {
    let (_dir, store) = store();
    store.create_import(import("imp_a")).unwrap();
    store.complete("imp_a", 3000, 4, None, Vec::new()).unwrap();
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!(
        (record.status, record.completed_at, record.invalid_rows),
        (ImportStatus::Complete, Some(3000), 4)
    );
    assert!(store.key("imp_a", KeyPurpose::Transport).unwrap().is_none());
    assert!(store.key("imp_a", KeyPurpose::Data).unwrap().is_some());
    assert_eq!(store.put_batch(batch("imp_a", 0, 1)).unwrap(), PutOutcome::NotOpen(ImportStatus::Complete));
    assert!(store.complete("imp_a", 3001, 0, None, Vec::new()).is_err());
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
    assert!(store.key("imp_a", KeyPurpose::Transport).unwrap().is_none());
    assert!(store.key("imp_a", KeyPurpose::Data).unwrap().is_none(), "the data key is destroyed");
    assert!(store.batches("imp_a").unwrap().is_empty(), "the batches are deleted");
    assert!(store.sealed_batch("imp_a", 0).unwrap().is_none());
    assert_eq!(store.batches("imp_b").unwrap().len(), 1, "an open import keeps its batches");
    assert!(store.key("imp_b", KeyPurpose::Data).unwrap().is_some());
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

fn message(id: &str, sequence: u32, kind: MessageKind) -> NewMessage {
    NewMessage {
        id: id.into(),
        destination: 0,
        sequence,
        kind,
        first_batch: 0,
        first_offset: sequence * 5,
        row_count: if kind == MessageKind::Rows { 5 } else { 0 },
        chunks: 2,
        due_at: 10_000,
    }
}

/// A completed import `id` with two row messages and a completion message.
fn completed(store: &SqliteStore, id: &str) {
    store.create_import(import(id)).unwrap();
    store.put_batch(batch(id, 0, 1)).unwrap();
    let messages = vec![
        message(&format!("msg_{id}_0"), 0, MessageKind::Rows),
        message(&format!("msg_{id}_1"), 1, MessageKind::Rows),
        message(&format!("msg_{id}_2"), 2, MessageKind::Completed),
    ];
    store.complete(id, 3000, 0, Some(vec![5; 40]), messages).unwrap();
}

#[test]
fn messages_are_added_with_the_completion_and_attempts_move_them_along() {
    let (_dir, store) = store();
    completed(&store, "imp_a");
    assert_eq!(store.mapping("imp_a").unwrap(), Some(vec![5; 40]));
    let pending = store.pending_messages("demo", 0, None, 10).unwrap();
    assert_eq!(pending.iter().map(|m| m.sequence).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!((pending[0].importer.as_str(), pending[0].first_offset, pending[0].chunks), ("demo", 0, 2));
    assert!(store.pending_messages("demo", 0, Some(9_999), 10).unwrap().is_empty(), "none due yet");
    assert!(store.pending_messages("demo", 1, None, 10).unwrap().is_empty(), "another destination");

    let failed =
        |retry_at| Attempt::Failed { at: 10_000, status: Some(503), error: "HTTP 503".into(), retry_at };
    store.record_attempt("msg_imp_a_0", failed(Some(12_000))).unwrap();
    let head = &store.pending_messages("demo", 0, None, 1).unwrap()[0];
    assert_eq!((head.attempts, head.next_attempt_at, head.last_status), (1, 12_000, Some(503)));
    store.record_attempt("msg_imp_a_0", Attempt::Delivered { at: 12_001, status: Some(204) }).unwrap();
    store.record_attempt("msg_imp_a_1", failed(None)).unwrap();
    let summary = store.delivery_summary("imp_a").unwrap();
    assert_eq!((summary.pending, summary.delivered, summary.dead), (1, 1, 1));
    assert_eq!(store.dead_letters(10).unwrap()[0].id, "msg_imp_a_1");

    store.record_attempt("msg_imp_a_2", Attempt::Delivered { at: 12_002, status: Some(200) }).unwrap();
    assert!(store.delivery_done("demo", false).unwrap().is_empty(), "a dead letter is not done");
    assert_eq!(store.delivery_done("demo", true).unwrap(), ["imp_a"]);
    assert_eq!(store.retry_dead("imp_a", 20_000).unwrap(), 1);
    let retried = &store.pending_messages("demo", 0, None, 1).unwrap()[0];
    assert_eq!((retried.id.as_str(), retried.attempts, retried.next_attempt_at), ("msg_imp_a_1", 0, 20_000));
    store.record_attempt("msg_imp_a_1", Attempt::Delivered { at: 20_001, status: Some(200) }).unwrap();
    assert_eq!(store.delivery_done("demo", false).unwrap(), ["imp_a"]);
    store.record_attempt("msg_imp_a_1", failed(Some(1))).unwrap();
    assert_eq!(store.delivery_summary("imp_a").unwrap().delivered, 3, "a delivered message stays delivered");
}

#[test]
fn deleting_data_destroys_keys_rows_and_pending_messages_and_keeps_the_record() {
    let (_dir, store) = store();
    completed(&store, "imp_a");
    completed(&store, "imp_b");
    store.create_import(import("imp_open")).unwrap();
    assert_eq!(store.imports_with_data(None).unwrap().len(), 3);
    assert_eq!(store.imports_with_data(Some("other")).unwrap().len(), 0);
    assert_eq!(store.completed_before("demo", 2999).unwrap().len(), 0);
    assert_eq!(store.completed_before("demo", 3000).unwrap(), ["imp_a", "imp_b"]);

    let ids = vec!["imp_a".to_owned(), "imp_open".to_owned()];
    assert_eq!(store.delete_data(&ids, 4000, DeleteReason::Operator).unwrap(), ids);
    assert!(store.delete_data(&ids, 4001, DeleteReason::Operator).unwrap().is_empty(), "once");
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!(
        (record.status, record.rows, record.data_deleted_at),
        (ImportStatus::Complete, 10, Some(4000))
    );
    assert_eq!(record.deleted_reason.as_deref(), Some("operator"));
    assert_eq!(store.import("imp_open").unwrap().unwrap().status, ImportStatus::Deleted);
    assert!(store.key("imp_a", KeyPurpose::Data).unwrap().is_none());
    assert!(store.batches("imp_a").unwrap().is_empty());
    assert_eq!(store.metadata("imp_a").unwrap(), Some(Vec::new()));
    assert_eq!(store.mapping("imp_a").unwrap(), None);
    assert_eq!(store.delivery_summary("imp_a").unwrap().cancelled, 3);
    assert_eq!(store.retry_dead("imp_a", 5000).unwrap(), 0);
    assert_eq!(store.imports_with_data(None).unwrap(), ["imp_b"]);
    assert_eq!(store.batches("imp_b").unwrap().len(), 1, "other imports keep theirs");
    let events = store.events("imp_a").unwrap();
    assert_eq!(events.last().unwrap().1, "data_deleted");
    assert_eq!(events.last().unwrap().2["reason"], "operator");
}

#[test]
fn an_import_whose_key_is_gone_without_a_recorded_deletion_is_found_and_not_taken_for_one() {
    let (_dir, store) = store();
    completed(&store, "imp_a");
    completed(&store, "imp_b");
    assert!(store.keyless_imports().unwrap().is_empty());
    store.delete_keys(&["imp_b".to_owned()], &["data"]).unwrap();
    assert_eq!(store.keyless_imports().unwrap(), ["imp_b"]);
    assert!(store.unfinished_deletions().unwrap().is_empty(), "a missing key is no deletion");
}

#[test]
fn a_deletion_is_recorded_before_any_key_is_destroyed_and_only_that_is_unfinished() {
    let (_dir, store) = store();
    completed(&store, "imp_a");
    completed(&store, "imp_b");
    // What a crash right after the marker and the keys leaves: both written, the rows not gone.
    let ids = vec!["imp_a".to_owned()];
    store.writer.run(move |c| deletion::mark(c, &ids, 3500, DeleteReason::Operator)).unwrap();
    store.delete_keys(&["imp_a".to_owned()], &["data", "transport"]).unwrap();
    assert_eq!(store.unfinished_deletions().unwrap(), ["imp_a"]);
    assert!(store.keyless_imports().unwrap().is_empty(), "a recorded deletion is not a missing key");
    assert_eq!(store.delete_data(&["imp_a".to_owned()], 4000, DeleteReason::Resumed).unwrap(), ["imp_a"]);
    assert!(store.unfinished_deletions().unwrap().is_empty());
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!(
        (record.data_deleted_at, record.deleted_reason.as_deref()),
        (Some(4000), Some("operator")),
        "finished, with the reason it was started for"
    );
    assert!(store.batches("imp_a").unwrap().is_empty());
    assert_eq!(store.batches("imp_b").unwrap().len(), 1);
}

#[test]
fn large_imports_are_deleted_a_few_megabytes_at_a_time_to_the_last_batch() {
    let (_dir, store) = store();
    store.create_import(import("imp_a")).unwrap();
    store.create_import(import("imp_b")).unwrap();
    for (id, count) in [("imp_a", 7), ("imp_b", 3)] {
        for sequence in 0..count {
            let sealed = vec![sequence as u8; 900 << 10];
            store.put_batch(NewBatch { sealed, ..batch(id, sequence, sequence as u8) }).unwrap();
        }
    }
    let ids = vec!["imp_a".to_owned(), "imp_b".to_owned()];
    let first = ids.clone();
    assert_eq!(
        store.writer.run(move |c| deletion::delete_some_batches(c, &first)).unwrap(),
        3,
        "about 2 MiB"
    );
    assert_eq!(store.delete_data(&ids, 4000, DeleteReason::Operator).unwrap(), ids);
    assert!(store.batches("imp_a").unwrap().is_empty() && store.batches("imp_b").unwrap().is_empty());
    let events = store.events("imp_a").unwrap();
    assert_eq!(events.last().unwrap().2["batches"], 7, "the log counts every batch");
}

#[test]
fn a_folder_holding_a_store_without_its_keystore_is_refused_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        completed(&store, "imp_a");
    }
    let keys = dir.path().join(KEYS_FILE);
    let kept = std::fs::read(&keys).unwrap();
    std::fs::remove_file(&keys).unwrap();
    let error = SqliteStore::open(dir.path()).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Mismatch);
    assert!(error.detail().contains("keys.db is missing"), "{error}");
    assert!(!keys.exists(), "no new keystore");
    std::fs::write(&keys, b"").unwrap();
    let error = SqliteStore::open(dir.path()).err().unwrap();
    assert!(error.detail().contains("keys.db is empty"), "{error}");
    std::fs::write(&keys, kept).unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    assert!(store.key("imp_a", KeyPurpose::Data).unwrap().is_some(), "the right keystore opens it all");
}

#[test]
fn a_keystore_holding_keys_beside_no_data_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        completed(&store, "imp_a");
    }
    std::fs::remove_file(dir.path().join(DATA_FILE)).unwrap();
    let error = SqliteStore::open(dir.path()).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Mismatch);
    assert!(error.detail().contains("holds 1 keys"), "{error}");
    assert!(!dir.path().join(DATA_FILE).exists(), "no new data file");
}

#[test]
fn an_inspection_reads_bindings_imports_and_keys_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let found = SqliteStore::inspect(dir.path()).unwrap();
    assert_eq!(
        (found.data, found.keystore, found.holds_store()),
        (FileState::Absent, FileState::Absent, false)
    );
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "nothing created");
    let binding = Binding { store_id: "sto_x".into(), check: vec![1, 2, 3] };
    {
        let store = SqliteStore::open(dir.path()).unwrap();
        assert!(!SqliteStore::inspect(dir.path()).unwrap().holds_store(), "a store not yet bound is new");
        store.bind(&binding).unwrap();
        completed(&store, "imp_a");
        assert_eq!(
            store.bindings().unwrap(),
            Bindings { data: Some(binding.clone()), keystore: Some(binding.clone()) }
        );
    }
    let before = files(dir.path());
    let found = SqliteStore::inspect(dir.path()).unwrap();
    assert_eq!(files(dir.path()), before);
    assert_eq!((found.data, found.keystore), (FileState::Present, FileState::Present));
    assert_eq!(found.bindings.data.as_ref(), Some(&binding));
    assert_eq!((found.imports, found.keys), (true, 1), "the transport key went with completion");
    assert_eq!(found.sample_key, Some(("imp_a".to_owned(), vec![8; 60])));
}

/// Every file of `dir` with its length and a digest of its bytes, by name.
fn files(dir: &Path) -> Vec<(String, usize, [u8; 32])> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            let bytes = std::fs::read(e.path()).unwrap();
            let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
            (e.file_name().to_string_lossy().into_owned(), bytes.len(), digest.as_ref().try_into().unwrap())
        })
        .collect();
    files.sort();
    files
}

#[test]
fn readiness_notices_a_keystore_removed_under_the_server() {
    let (dir, store) = store();
    store.bind(&Binding { store_id: "sto_x".into(), check: vec![1] }).unwrap();
    assert!(store.with_disk(DiskLimits { min_free: 0, reserve: 0 }).readiness(5).is_empty());
    let store = SqliteStore::open(dir.path()).unwrap().with_disk(DiskLimits { min_free: 0, reserve: 0 });
    std::fs::remove_file(dir.path().join(KEYS_FILE)).unwrap();
    assert_eq!(store.readiness(6), [Unready::KeystoreGone]);
    let store = store.with_disk(DiskLimits { min_free: u64::MAX, reserve: 0 });
    assert_eq!(store.readiness(7), [Unready::KeystoreGone, Unready::LowDiskSpace]);
}

#[test]
fn a_start_over_the_open_limit_is_refused_and_leaves_no_key() {
    let (_dir, store) = store();
    assert_eq!(store.create_import_within(import("imp_a"), 2, 1000).unwrap(), Admission::Created);
    let sooner = NewImport { expires_at: 4000, ..import("imp_b") };
    assert_eq!(store.create_import_within(sooner, 2, 1000).unwrap(), Admission::Created);
    assert_eq!(store.open_imports("demo", 1000).unwrap(), (2, Some(4000)));
    let full = store.create_import_within(import("imp_c"), 2, 1000).unwrap();
    assert_eq!(full, Admission::Full { next_expiry: 4000 });
    assert!(store.import("imp_c").unwrap().is_none());
    assert!(
        store.key("imp_c", KeyPurpose::Data).unwrap().is_none()
            && store.key("imp_c", KeyPurpose::Transport).unwrap().is_none()
    );
    assert_eq!(
        store.open_imports("demo", 4000).unwrap(),
        (1, Some(5000)),
        "past its expiry it holds no place"
    );
    assert_eq!(store.open_imports("other", 1000).unwrap(), (0, None));
}

#[test]
fn a_stored_batch_moves_the_expiry_later_never_earlier() {
    let (_dir, store) = store();
    store.create_import(NewImport { expires_at: 1600, ..import("imp_a") }).unwrap();
    store.put_batch_extending(batch("imp_a", 0, 1), 9000).unwrap();
    assert_eq!(store.import("imp_a").unwrap().unwrap().expires_at, 9000);
    store.put_batch_extending(batch("imp_a", 1, 2), 5000).unwrap();
    store.put_batch(batch("imp_a", 2, 3)).unwrap();
    assert_eq!(store.import("imp_a").unwrap().unwrap().expires_at, 9000);
}

#[test]
fn remembered_mappings_are_kept_per_importer_and_the_least_recently_used_go() {
    let (_dir, store) = store();
    let hash = |n: u8| format!("{n:064x}");
    assert_eq!(store.remembered_mapping("demo", &hash(1), 10).unwrap(), None);
    store.remember_mapping("demo", &hash(1), r#"{"fields":{"id":0}}"#, 10, 2).unwrap();
    store.remember_mapping("demo", &hash(2), r#"{"fields":{"id":1}}"#, 11, 2).unwrap();
    store.remember_mapping("other", &hash(1), r#"{"fields":{"id":9}}"#, 12, 2).unwrap();
    // Reading the first marks it used, so the second is the least recently used.
    assert_eq!(
        store.remembered_mapping("demo", &hash(1), 13).unwrap().as_deref(),
        Some(r#"{"fields":{"id":0}}"#)
    );
    store.remember_mapping("demo", &hash(3), r#"{"fields":{"id":2}}"#, 14, 2).unwrap();
    assert_eq!(store.remembered_mapping("demo", &hash(2), 15).unwrap(), None, "evicted");
    assert!(store.remembered_mapping("demo", &hash(1), 16).unwrap().is_some());
    assert!(store.remembered_mapping("demo", &hash(3), 17).unwrap().is_some());
    assert_eq!(
        store.remembered_mapping("other", &hash(1), 18).unwrap().as_deref(),
        Some(r#"{"fields":{"id":9}}"#)
    );
    store.remember_mapping("demo", &hash(1), r#"{"fields":{"id":5}}"#, 19, 2).unwrap();
    assert_eq!(
        store.remembered_mapping("demo", &hash(1), 20).unwrap().as_deref(),
        Some(r#"{"fields":{"id":5}}"#)
    );
}

#[test]
fn importers_are_stored_replaced_and_deleted_each_with_its_audit_record() {
    let (dir, store) = store();
    let event =
        |kind| Event { import_id: None, at: 10, kind, detail: serde_json::json!({ "importer": "crm" }) };
    let stored = StoredImporter {
        key: "crm".into(),
        document: "key = \"crm\"\n".into(),
        sealed_secrets: vec![1, 2, 3],
        disabled: false,
        created_at: 10,
        updated_at: 10,
    };
    store.put_importer(stored.clone(), event("admin_importer_created")).unwrap();
    let changed = StoredImporter { disabled: true, created_at: 99, updated_at: 20, ..stored.clone() };
    store.put_importer(changed, event("admin_importer_disabled")).unwrap();
    let expected = StoredImporter { disabled: true, updated_at: 20, ..stored };
    assert_eq!(store.stored_importers().unwrap(), [expected], "created_at stays");
    assert!(store.delete_importer("crm", event("admin_importer_deleted")).unwrap());
    assert!(!store.delete_importer("crm", event("admin_importer_deleted")).unwrap(), "gone: no record");
    assert!(store.stored_importers().unwrap().is_empty());
    let kinds: Vec<String> = store.audit(10).unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, ["admin_importer_deleted", "admin_importer_disabled", "admin_importer_created"]);
    drop(store);
    let reopened = SqliteStore::open(dir.path()).unwrap();
    assert!(reopened.stored_importers().unwrap().is_empty());
}
