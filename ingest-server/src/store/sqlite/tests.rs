//! What only the SQLite store has: its files, their modes and write-ahead logs, disk space, the
//! look at a data folder before opening it, and the order of a deletion's steps; everything
//! backend-neutral is in the contract suite (`tests/store_contract.rs`).

use super::*;
use crate::store::{Completing, DiskLimits, KeyPurpose, MessageKind, NewMessage};
use std::path::Path;

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
    let completing = Completing {
        at: 3000,
        batches: 1,
        rows: 10,
        mapping: Some(vec![5; 40]),
        messages,
        ..Completing::default()
    };
    store.complete(id, completing).unwrap();
}

#[test]
fn large_imports_are_deleted_a_few_megabytes_at_a_time() {
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
}

#[test]
fn a_deleted_importer_stays_deleted_after_reopening() {
    let (dir, store) = store();
    let event = |kind| Event { import_id: None, at: 10, kind, detail: serde_json::json!({}) };
    let stored = StoredImporter {
        key: "crm".into(),
        document: "key = \"crm\"\n".into(),
        sealed_secrets: vec![1, 2, 3],
        disabled: false,
        created_at: 10,
        updated_at: 10,
    };
    store.put_importer(stored, event("admin_importer_created")).unwrap();
    assert!(store.delete_importer("crm", event("admin_importer_deleted")).unwrap());
    drop(store);
    let reopened = SqliteStore::open(dir.path()).unwrap();
    assert!(reopened.stored_importers().unwrap().is_empty());
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
