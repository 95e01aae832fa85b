//! The store's contract, written once against `&dyn Store` and run for every backend: SQLite,
//! PostgreSQL with sealed batches in the data database, and PostgreSQL with sealed batches in
//! object storage (in memory, and in an S3 bucket on moto). Each PostgreSQL backend starts one
//! cluster for all its cases and gives each case two fresh databases (data and keystore), and
//! the S3 backend one server and bucket, with a key prefix per case.
//!
//! What only SQLite has (files, write-ahead logs, disk space, inspection) is tested in
//! `src/store/sqlite/tests.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use sluice_server::config::{S3BlobSettings, Secret};
use sluice_server::store::blobs::{Blobs, FolderBlobs, S3Blobs, batch_name, import_of, import_prefix};
use sluice_server::store::{
    Admission, Attempt, Binding, Bindings, Claim, Completing, DeleteReason, DiskLimits, ErrorKind, Event,
    ImportStatus, KeyPurpose, Lease, MessageKind, MessageStatus, NewBatch, NewImport, NewMessage,
    PostgresOptions, PostgresStore, PutOutcome, SqliteStore, Store, StoreError, StoredImporter, Unready,
};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use support::services::{Postgres, S3};

/// Every case, by name.
const CASES: &[(&str, Case)] = &[
    ("a_start_token_starts_one_import_until_it_expires", a_start_token_starts_one_import),
    ("imports_and_their_keys_are_stored", imports_and_their_keys_are_stored),
    ("a_batch_is_stored_once_replays_answer_the_same_and_other_bodies_conflict", a_batch_is_stored_once),
    ("completing_closes_the_import_and_destroys_its_transport_key", completing_closes_the_import),
    ("imports_past_their_time_expire", imports_past_their_time_expire),
    ("events_hold_what_they_were_given", events_hold_what_they_were_given),
    ("concurrent_batches_of_many_imports_are_all_stored", concurrent_batches_are_all_stored),
    ("messages_are_added_with_the_completion_and_attempts_move_them_along", messages_move_along),
    ("deleting_data_destroys_keys_rows_and_pending_messages_and_keeps_the_record", deleting_data),
    ("large_imports_are_deleted_to_the_last_batch", large_imports_are_deleted),
    ("a_start_over_the_open_limit_is_refused_and_leaves_no_key", a_start_over_the_open_limit),
    ("a_stored_batch_moves_the_expiry_later_never_earlier", the_expiry_moves_later),
    ("remembered_mappings_are_kept_per_importer_and_the_least_recently_used_go", remembered_mappings),
    ("importers_are_stored_replaced_and_deleted_each_with_its_audit_record", importers_with_audit),
    ("imports_are_listed_newest_first_and_error_counts_summed", listings_and_error_counts),
    ("a_binding_is_written_to_both_databases", a_binding_is_written_to_both),
    ("a_healthy_store_is_ready", a_healthy_store_is_ready),
    ("the_same_batch_sent_at_once_from_several_threads_is_stored_once", the_same_batch_at_once),
    ("max_rows_holds_for_batches_stored_at_once", max_rows_at_once),
    ("an_import_completed_at_once_from_several_threads_is_completed_once", completed_at_once),
    ("deletion_leaves_no_key_no_batch_and_no_object", deletion_leaves_nothing),
    ("only_stored_batches_keep_an_object", only_stored_batches_keep_an_object),
    ("an_ordered_lane_waits_for_a_running_lease_and_takes_one_that_ran_out", an_ordered_lane_waits),
    ("an_unordered_lane_takes_the_oldest_message_no_one_holds", an_unordered_lane_takes_any),
    ("an_unordered_lane_hands_no_message_to_two_holders_at_once", unordered_lanes_at_once),
    ("an_ordered_lane_hands_no_message_to_two_holders_at_once", ordered_lanes_at_once),
    ("a_job_has_one_leader_until_its_lease_runs_out", a_job_has_one_leader),
    ("a_deletion_recorded_as_started_is_the_only_one_finished_later", a_started_deletion_is_finished),
    ("an_import_whose_key_is_gone_without_a_recorded_deletion_is_found", a_keyless_import_is_found),
    ("objects_of_deleted_imports_are_swept_once", objects_of_deleted_imports_are_swept),
];

type Case = fn(&Fixture);

#[test]
fn sqlite() {
    run(|_| {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap().with_disk(DiskLimits { min_free: 0, reserve: 0 });
        let raw = Raw::Sqlite(dir.path().to_owned());
        Fixture { store: Box::new(store), objects: None, raw, _dir: Some(dir) }
    });
}

#[test]
fn postgres() {
    let pg = Postgres::start();
    run(|n| postgres_fixture(&pg, &format!("plain_{n}"), None));
    several_instances_open_one_store_at_once(&pg);
    a_refused_connection_names_no_password(&pg);
    tls_is_as_the_url_says(&pg);
    databases_that_do_not_belong_together_are_refused(&pg);
    object_storage_that_fails_is_told(&pg);
    connections_cut_by_the_server_are_replaced(&pg);
}

#[test]
fn postgres_with_a_folder() {
    let pg = Postgres::start();
    run(|n| {
        let dir = tempfile::tempdir().unwrap();
        let blobs = Arc::new(FolderBlobs::open(dir.path()).unwrap());
        Fixture { _dir: Some(dir), ..postgres_fixture(&pg, &format!("folder_{n}"), Some(blobs)) }
    });
}

#[test]
fn postgres_with_s3() {
    let pg = Postgres::start();
    let s3 = S3::start();
    s3.create_bucket("sealed");
    run(|n| {
        let settings = S3BlobSettings {
            bucket: "sealed".into(),
            prefix: format!("case-{n}/"),
            endpoint: Some(s3.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Secret::new(KEY_ID),
            secret_access_key: Secret::new(SECRET),
            session_token: None,
        };
        let blobs = Arc::new(S3Blobs::open(&settings).unwrap());
        postgres_fixture(&pg, &format!("s3_{n}"), Some(blobs))
    });
}

/// A CA, and a server certificate it signed for `localhost` only: (CA PEM, certificate PEM, key PEM).
fn certificates() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert =
        rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap().signed_by(&key, &ca).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// PostgreSQL over TLS, as the URL's `sslmode` and `ca_file` say: `require`, `verify-ca` and
/// `verify-full` all check the certificate against the CA file and the host name (stricter than
/// libpq's `require`), so a certificate from another CA, for another name, or from a CA the
/// public roots do not hold is refused before any query; `disable` connects in plain text; and
/// the connections made with TLS are encrypted.
#[test]
fn postgres_over_tls() {
    let (ca, cert, key) = certificates();
    let (other_ca, _, _) = certificates();
    let pg = Postgres::start_with_tls(&cert, &key);
    let dir = tempfile::tempdir().unwrap();
    let (ca_file, other_file) = (dir.path().join("ca.pem"), dir.path().join("other.pem"));
    std::fs::write(&ca_file, ca).unwrap();
    std::fs::write(&other_file, other_ca).unwrap();
    let url = pg.create_database("tls_data");
    let keys = pg.create_database("tls_keys");
    let with = |host: &str, mode: &str, ca_file: Option<&std::path::PathBuf>| PostgresOptions {
        data_url: format!("{}?sslmode={mode}", url.replace("127.0.0.1", host)),
        keystore_url: format!("{}?sslmode={mode}", keys.replace("127.0.0.1", host)),
        pool_size: 1,
        ca_file: ca_file.cloned(),
    };
    let store = PostgresStore::open(&with("localhost", "verify-full", Some(&ca_file)), None).unwrap();
    store.create_import(import("imp_a")).unwrap();
    let sql = "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid)
               WHERE ssl AND datname IN ('tls_data', 'tls_keys')";
    assert_eq!(pg.psql(sql).trim(), "2", "both pools' connections are encrypted");
    drop(store);
    for mode in ["require", "verify-ca"] {
        let store = PostgresStore::open(&with("localhost", mode, Some(&ca_file)), None).unwrap();
        assert!(store.import("imp_a").unwrap().is_some(), "{mode}");
    }
    let plain = PostgresStore::open(&with("127.0.0.1", "disable", None), None).unwrap();
    assert!(plain.import("imp_a").unwrap().is_some(), "disable: plain text");
    let refused = [
        ("localhost", Some(&other_file), "a certificate from another CA"),
        ("127.0.0.1", Some(&ca_file), "a certificate for another name"),
        ("localhost", None, "a CA the public roots do not hold"),
    ];
    for mode in ["require", "verify-ca", "verify-full"] {
        for (host, ca_file, why) in refused {
            let error = PostgresStore::open(&with(host, mode, ca_file), None).err();
            let error = error.unwrap_or_else(|| panic!("{mode}: {why} was taken"));
            assert_eq!(error.kind(), ErrorKind::Unavailable, "{mode}: {why}: {error}");
            assert!(error.detail().contains("certificate"), "{mode}: {why}: {error}");
        }
    }
}

const KEY_ID: &str = "AKIDSLUICESTORE";
const SECRET: &str = "sluice-store-test-secret";

/// A store for one case, and what it needs kept.
struct Fixture {
    store: Box<dyn Store>,
    /// The object storage, when sealed batches go there.
    objects: Option<Arc<dyn Blobs>>,
    /// Where the store is, to change it behind its back as a crash would leave it.
    raw: Raw,
    _dir: Option<tempfile::TempDir>,
}

/// Where a store's databases are.
enum Raw {
    /// The data folder.
    Sqlite(std::path::PathBuf),
    /// The two databases' URLs.
    Postgres { data: String, keystore: String },
}

impl Fixture {
    /// Runs `sql` (the same in both dialects) on the data database.
    fn data_sql(&self, sql: &str) {
        match &self.raw {
            Raw::Sqlite(dir) => sqlite_sql(&dir.join("sluice.db"), sql),
            Raw::Postgres { data, .. } => postgres_sql(data, sql),
        }
    }

    /// Runs `sql` on the keystore database.
    fn keystore_sql(&self, sql: &str) {
        match &self.raw {
            Raw::Sqlite(dir) => sqlite_sql(&dir.join("keys.db"), sql),
            Raw::Postgres { keystore, .. } => postgres_sql(keystore, sql),
        }
    }
}

fn sqlite_sql(path: &std::path::Path, sql: &str) {
    let connection = rusqlite::Connection::open(path).unwrap();
    connection.busy_timeout(Duration::from_secs(10)).unwrap();
    connection.execute_batch(sql).unwrap();
}

fn postgres_sql(url: &str, sql: &str) {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(sql).unwrap();
}

/// Runs every case on a fresh store; reports those that failed together.
fn run(fixture: impl Fn(usize) -> Fixture) {
    let mut failed = Vec::new();
    for (n, (name, case)) in CASES.iter().enumerate() {
        let fixture = fixture(n);
        if std::panic::catch_unwind(AssertUnwindSafe(|| case(&fixture))).is_err() {
            failed.push(*name);
        }
    }
    assert!(failed.is_empty(), "failed: {failed:#?}");
}

fn postgres_fixture(pg: &Postgres, name: &str, objects: Option<Arc<dyn Blobs>>) -> Fixture {
    let options = PostgresOptions {
        data_url: pg.create_database(&format!("{name}_data")),
        keystore_url: pg.create_database(&format!("{name}_keys")),
        pool_size: 4,
        ca_file: None,
    };
    let store = PostgresStore::open(&options, objects.clone()).unwrap();
    let raw = Raw::Postgres { data: options.data_url, keystore: options.keystore_url };
    Fixture { store: Box::new(store), objects, raw, _dir: None }
}

/// How many objects import `id` has in `blobs`.
fn count(blobs: &dyn Blobs, id: &str) -> usize {
    blobs.list(&import_prefix(id)).unwrap().iter().filter(|name| import_of(name) == Some(id)).count()
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

/// The messages a completion of `id` adds: two of rows and the completion.
fn messages(id: &str) -> Vec<NewMessage> {
    vec![
        message(&format!("msg_{id}_0"), 0, MessageKind::Rows),
        message(&format!("msg_{id}_1"), 1, MessageKind::Rows),
        message(&format!("msg_{id}_2"), 2, MessageKind::Completed),
    ]
}

/// A completed import `id` with one batch, two row messages and a completion message.
fn completed(store: &dyn Store, id: &str) {
    store.create_import(import(id)).unwrap();
    store.put_batch(batch(id, 0, 1)).unwrap();
    store.complete(id, completing(id, 1)).unwrap();
}

/// Completing `id`, checked against its first `batches` batches (10 rows each), with a mapping
/// and [`messages`].
fn completing(id: &str, batches: u64) -> Completing {
    let (mapping, messages) = (Some(vec![5; 40]), messages(id));
    Completing { at: 3000, batches, rows: batches * 10, mapping, messages, ..Completing::default() }
}

fn imports_and_their_keys_are_stored(f: &Fixture) {
    let store = &*f.store;
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
    assert_eq!(store.metadata("imp_missing").unwrap(), None);
}

fn a_batch_is_stored_once(f: &Fixture) {
    let store = &*f.store;
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
    assert_eq!(store.sealed_batch("imp_a", 2).unwrap(), None);
    assert_eq!(store.summary("imp_a", 1).unwrap(), Some(vec![3; 20]), "the summary is stored with it");
    assert_eq!(store.summary("imp_a", 2).unwrap(), None);
    assert!(store.put_batch(batch("imp_missing", 0, 1)).is_err());
}

fn completing_closes_the_import(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    store.put_batch(batch("imp_a", 0, 1)).unwrap();
    let checked =
        Completing { invalid_rows: 4, mapping: None, messages: Vec::new(), ..completing("imp_a", 1) };
    let late = store.put_batch(batch("imp_a", 1, 2)).unwrap();
    assert_eq!(late, PutOutcome::Stored, "a batch stored while the completion was being checked");
    let refused = store.complete("imp_a", checked.clone()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Conflict, "the counts checked no longer hold");
    assert_eq!(store.import("imp_a").unwrap().unwrap().status, ImportStatus::Open);
    assert!(store.messages("imp_a").unwrap().is_empty());
    assert!(store.key("imp_a", KeyPurpose::Transport).unwrap().is_some());
    store.complete("imp_a", Completing { batches: 2, rows: 20, ..checked }).unwrap();
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!(
        (record.status, record.completed_at, record.invalid_rows),
        (ImportStatus::Complete, Some(3000), 4)
    );
    assert!(store.key("imp_a", KeyPurpose::Transport).unwrap().is_none());
    assert!(store.key("imp_a", KeyPurpose::Data).unwrap().is_some());
    assert_eq!(store.put_batch(batch("imp_a", 2, 1)).unwrap(), PutOutcome::NotOpen(ImportStatus::Complete));
    let again = store.complete("imp_a", Completing { at: 3001, ..completing("imp_a", 2) }).unwrap_err();
    assert_eq!(again.kind(), ErrorKind::Conflict);
}

fn imports_past_their_time_expire(f: &Fixture) {
    let store = &*f.store;
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
    assert_eq!(store.expire(5001).unwrap(), 0, "once");
}

fn events_hold_what_they_were_given(f: &Fixture) {
    let store = &*f.store;
    let detail = serde_json::json!({"rows": 10, "codes": {"invalid_email": 2}});
    store
        .log(Event { import_id: Some("imp_a".into()), at: 7, kind: "batch_stored", detail: detail.clone() })
        .unwrap();
    assert_eq!(store.events("imp_a").unwrap(), [(7, "batch_stored".to_owned(), detail)]);
}

fn concurrent_batches_are_all_stored(f: &Fixture) {
    let store = &*f.store;
    for i in 0..8 {
        store.create_import(import(&format!("imp_{i}"))).unwrap();
    }
    std::thread::scope(|scope| {
        for i in 0..8 {
            scope.spawn(move || {
                for s in 0..25 {
                    let stored = store.put_batch(batch(&format!("imp_{i}"), s, 1)).unwrap();
                    assert_eq!(stored, PutOutcome::Stored);
                }
            });
        }
    });
    for i in 0..8 {
        assert_eq!(store.import(&format!("imp_{i}")).unwrap().unwrap().batches, 25);
    }
}

fn messages_move_along(f: &Fixture) {
    let store = &*f.store;
    completed(store, "imp_a");
    assert_eq!(store.mapping("imp_a").unwrap(), Some(vec![5; 40]));
    let pending = store.pending_messages("demo", 0, None, 10).unwrap();
    assert_eq!(pending.iter().map(|m| m.sequence).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!((pending[0].importer.as_str(), pending[0].first_offset, pending[0].chunks), ("demo", 0, 2));
    assert!(store.pending_messages("demo", 0, Some(9_999), 10).unwrap().is_empty(), "none due yet");
    assert!(store.pending_messages("demo", 1, None, 10).unwrap().is_empty(), "another destination");
    assert_eq!(store.messages("imp_a").unwrap().len(), 3);

    let failed =
        |retry_at| Attempt::Failed { at: 10_000, status: Some(503), error: "HTTP 503".into(), retry_at };
    store.record_attempt("msg_imp_a_0", "a", failed(Some(12_000))).unwrap();
    let head = &store.pending_messages("demo", 0, None, 1).unwrap()[0];
    assert_eq!((head.attempts, head.next_attempt_at, head.last_status), (1, 12_000, Some(503)));
    store.record_attempt("msg_imp_a_0", "a", Attempt::Delivered { at: 12_001, status: Some(204) }).unwrap();
    store.record_attempt("msg_imp_a_1", "a", failed(None)).unwrap();
    let summary = store.delivery_summary("imp_a").unwrap();
    assert_eq!((summary.pending, summary.delivered, summary.dead), (1, 1, 1));
    assert_eq!(store.dead_letters(10).unwrap()[0].id, "msg_imp_a_1");

    store.record_attempt("msg_imp_a_2", "a", Attempt::Delivered { at: 12_002, status: Some(200) }).unwrap();
    assert!(store.delivery_done("demo", false).unwrap().is_empty(), "a dead letter is not done");
    assert_eq!(store.delivery_done("demo", true).unwrap(), ["imp_a"]);
    assert_eq!(store.retry_dead("imp_a", 20_000).unwrap(), 1);
    let retried = &store.pending_messages("demo", 0, None, 1).unwrap()[0];
    assert_eq!((retried.id.as_str(), retried.attempts, retried.next_attempt_at), ("msg_imp_a_1", 0, 20_000));
    store.record_attempt("msg_imp_a_1", "a", Attempt::Delivered { at: 20_001, status: Some(200) }).unwrap();
    assert_eq!(store.delivery_done("demo", false).unwrap(), ["imp_a"]);
    store.record_attempt("msg_imp_a_1", "a", failed(Some(1))).unwrap();
    assert_eq!(store.delivery_summary("imp_a").unwrap().delivered, 3, "a delivered message stays delivered");
}

fn deleting_data(f: &Fixture) {
    let store = &*f.store;
    completed(store, "imp_a");
    completed(store, "imp_b");
    store.create_import(import("imp_open")).unwrap();
    assert_eq!(store.imports_with_data(None).unwrap().len(), 3);
    assert_eq!(store.imports_with_data(Some("other")).unwrap().len(), 0);
    assert_eq!(store.importers_with_data().unwrap(), ["demo"]);
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
    assert!(store.unfinished_deletions().unwrap().is_empty());
    assert!(store.keyless_imports().unwrap().is_empty(), "a finished deletion is not a missing key");
}

fn large_imports_are_deleted(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    store.create_import(import("imp_b")).unwrap();
    for (id, count) in [("imp_a", 7), ("imp_b", 3)] {
        for sequence in 0..count {
            let sealed = vec![sequence as u8; 900 << 10];
            store.put_batch(NewBatch { sealed, ..batch(id, sequence, sequence as u8) }).unwrap();
        }
    }
    assert_eq!(store.sealed_batch("imp_a", 6).unwrap().map(|s| s.len()), Some(900 << 10));
    let ids = vec!["imp_a".to_owned(), "imp_b".to_owned()];
    assert_eq!(store.delete_data(&ids, 4000, DeleteReason::Operator).unwrap(), ids);
    assert!(store.batches("imp_a").unwrap().is_empty() && store.batches("imp_b").unwrap().is_empty());
    let events = store.events("imp_a").unwrap();
    assert_eq!(events.last().unwrap().2["batches"], 7, "the log counts every batch");
}

fn a_start_over_the_open_limit(f: &Fixture) {
    let store = &*f.store;
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

fn the_expiry_moves_later(f: &Fixture) {
    let store = &*f.store;
    store.create_import(NewImport { expires_at: 1600, ..import("imp_a") }).unwrap();
    store.put_batch_extending(batch("imp_a", 0, 1), 9000).unwrap();
    assert_eq!(store.import("imp_a").unwrap().unwrap().expires_at, 9000);
    store.put_batch_extending(batch("imp_a", 1, 2), 5000).unwrap();
    store.put_batch(batch("imp_a", 2, 3)).unwrap();
    assert_eq!(store.import("imp_a").unwrap().unwrap().expires_at, 9000);
}

fn remembered_mappings(f: &Fixture) {
    let store = &*f.store;
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

fn importers_with_audit(f: &Fixture) {
    let store = &*f.store;
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
    assert_eq!(store.audit(1).unwrap()[0].detail["importer"], "crm");
}

fn listings_and_error_counts(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    store.create_import(NewImport { created_at: 1001, ..import("imp_b") }).unwrap();
    store.create_import(NewImport { importer: "other".into(), ..import("imp_c") }).unwrap();
    let listed = |importer, limit| -> Vec<String> {
        store.list_imports(importer, limit).unwrap().into_iter().map(|r| r.id).collect()
    };
    assert_eq!(listed(None, 10), ["imp_b", "imp_a", "imp_c"], "newest first, then by id");
    assert_eq!(listed(Some("demo"), 1), ["imp_b"]);
    for errors in
        [serde_json::json!({"email:invalid": 2, "id:required": 1}), serde_json::json!({"email:invalid": 3})]
    {
        let detail = serde_json::json!({ "rows": 10, "errors": errors });
        store.log(Event { import_id: Some("imp_a".into()), at: 1, kind: "batch_stored", detail }).unwrap();
    }
    let counts = store.error_counts("imp_a").unwrap();
    assert_eq!(counts, BTreeMap::from([("email:invalid".to_owned(), 5), ("id:required".to_owned(), 1)]));
    assert!(store.error_counts("imp_b").unwrap().is_empty());
}

fn a_start_token_starts_one_import(f: &Fixture) {
    let store = &f.store;
    assert!(store.use_start_token([1; 32], 100, 10).unwrap(), "fresh");
    assert!(!store.use_start_token([1; 32], 100, 20).unwrap(), "used");
    assert!(store.use_start_token([2; 32], 100, 20).unwrap(), "another token");
    let fresh = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                if store.use_start_token([3; 32], 100, 30).unwrap() {
                    fresh.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(fresh.into_inner(), 1, "one token raced from several threads starts one import");
    assert!(store.use_start_token([1; 32], 300, 200).unwrap(), "forgotten once it expired");
}

fn a_binding_is_written_to_both(f: &Fixture) {
    let store = &*f.store;
    assert_eq!(store.bindings().unwrap(), Bindings::default());
    let binding = Binding { store_id: "sto_x".into(), check: vec![1, 2, 3] };
    store.bind(&binding).unwrap();
    assert_eq!(
        store.bindings().unwrap(),
        Bindings { data: Some(binding.clone()), keystore: Some(binding.clone()) }
    );
    let other = Binding { store_id: "sto_y".into(), check: vec![4] };
    store.bind(&other).unwrap();
    assert_eq!(store.bindings().unwrap().data, Some(binding.clone()), "never replaced");
}

fn a_healthy_store_is_ready(f: &Fixture) {
    let store = &*f.store;
    store.bind(&Binding { store_id: "sto_x".into(), check: vec![1] }).unwrap();
    assert!(store.readiness(5).is_empty());
    store.has_room().unwrap();
    store.maintain().unwrap();
}

fn the_same_batch_at_once(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    let outcomes: Vec<PutOutcome> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8u8)
            .map(|i| scope.spawn(move || store.put_batch(batch("imp_a", 0, 1 + i % 2)).unwrap()))
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let stored = outcomes.iter().filter(|o| **o == PutOutcome::Stored).count();
    assert_eq!(stored, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, PutOutcome::Stored | PutOutcome::Replayed(_) | PutOutcome::Conflict))
    );
    let body = store.batch("imp_a", 0).unwrap().unwrap().fingerprint[0];
    let replays = outcomes.iter().filter(|o| matches!(o, PutOutcome::Replayed(_))).count();
    assert_eq!(replays, 3, "the three others with the stored body ({body}) are replays: {outcomes:?}");
    let record = store.import("imp_a").unwrap().unwrap();
    assert_eq!((record.batches, record.rows), (1, 10));
    if let Some(objects) = &f.objects {
        assert_eq!(count(&**objects, "imp_a"), 1, "the losers' objects are deleted");
    }
}

fn max_rows_at_once(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    let outcomes: Vec<PutOutcome> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8u64)
            .map(|s| {
                scope.spawn(move || {
                    store.put_batch(NewBatch { max_rows: 35, ..batch("imp_a", s, 1) }).unwrap()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let stored = outcomes.iter().filter(|o| **o == PutOutcome::Stored).count();
    let refused = outcomes.iter().filter(|o| **o == PutOutcome::TooManyRows).count();
    assert_eq!((stored, refused), (3, 5), "{outcomes:?}");
    assert_eq!(store.import("imp_a").unwrap().unwrap().rows, 30);
    if let Some(objects) = &f.objects {
        assert_eq!(count(&**objects, "imp_a"), 3);
    }
}

fn completed_at_once(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    store.put_batch(batch("imp_a", 0, 1)).unwrap();
    let results: Vec<Result<(), StoreError>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..6i64)
            .map(|i| {
                scope.spawn(move || {
                    store.complete("imp_a", Completing { at: 3000 + i, ..completing("imp_a", 1) })
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().flat_map(|r| r.as_ref().err()).all(|e| e.kind() == ErrorKind::Conflict));
    assert_eq!(store.messages("imp_a").unwrap().len(), 3, "one completion's messages");
    assert_eq!(store.import("imp_a").unwrap().unwrap().status, ImportStatus::Complete);
}

fn deletion_leaves_nothing(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    for sequence in 0..3 {
        store.put_batch(batch("imp_a", sequence, 1)).unwrap();
    }
    store.complete("imp_a", completing("imp_a", 3)).unwrap();
    if let Some(objects) = &f.objects {
        assert_eq!(count(&**objects, "imp_a"), 3);
    }
    assert_eq!(store.delete_data(&["imp_a".to_owned()], 4000, DeleteReason::Retention).unwrap(), ["imp_a"]);
    for purpose in [KeyPurpose::Data, KeyPurpose::Transport] {
        assert!(store.key("imp_a", purpose).unwrap().is_none(), "{purpose:?}");
    }
    assert!(store.batches("imp_a").unwrap().is_empty());
    for sequence in 0..3 {
        assert_eq!(store.sealed_batch("imp_a", sequence).unwrap(), None);
        assert_eq!(store.summary("imp_a", sequence).unwrap(), None);
    }
    assert!(store.invalid_rows("imp_a").unwrap().is_empty());
    if let Some(objects) = &f.objects {
        assert_eq!(count(&**objects, "imp_a"), 0, "no object left");
    }
    store.maintain().unwrap();
    assert_eq!(store.import("imp_a").unwrap().unwrap().batches, 3, "the record keeps its counts");
}

fn only_stored_batches_keep_an_object(f: &Fixture) {
    let store = &*f.store;
    store.create_import(import("imp_a")).unwrap();
    assert_eq!(store.put_batch(batch("imp_a", 0, 1)).unwrap(), PutOutcome::Stored);
    assert!(matches!(store.put_batch(batch("imp_a", 0, 1)).unwrap(), PutOutcome::Replayed(_)));
    assert_eq!(store.put_batch(batch("imp_a", 0, 2)).unwrap(), PutOutcome::Conflict);
    let over = NewBatch { max_rows: 10, ..batch("imp_a", 1, 1) };
    assert_eq!(store.put_batch(over).unwrap(), PutOutcome::TooManyRows);
    store.complete("imp_a", Completing { messages: Vec::new(), ..completing("imp_a", 1) }).unwrap();
    assert_eq!(store.put_batch(batch("imp_a", 1, 1)).unwrap(), PutOutcome::NotOpen(ImportStatus::Complete));
    let missing = store.put_batch(batch("imp_missing", 0, 1)).unwrap_err();
    assert_ne!(missing.kind(), ErrorKind::Full);
    if let Some(objects) = &f.objects {
        assert_eq!(count(&**objects, "imp_a"), 1, "only the stored batch's object");
        assert_eq!(count(&**objects, "imp_missing"), 0);
    }
    assert_eq!(store.sealed_batch("imp_a", 0).unwrap(), Some(vec![1; 100]));
}

fn lease(holder: &str, until_ms: i64) -> Lease {
    Lease { holder: holder.into(), until_ms }
}

/// The id of the message claimed, if one was.
fn claimed(claim: Claim) -> Option<String> {
    match claim {
        Claim::Message(m) => Some(m.id),
        _ => None,
    }
}

fn an_ordered_lane_waits(f: &Fixture) {
    let store = &*f.store;
    let claim =
        |now, holder, until| store.claim_message("demo", 0, true, now, &lease(holder, until)).unwrap();
    assert_eq!(claim(9_000, "a", 20_000), Claim::Empty);
    completed(store, "imp_a");
    assert_eq!(claim(9_000, "a", 20_000), Claim::Wait { until_ms: 10_000 }, "not due");
    assert_eq!(claimed(claim(10_000, "a", 20_000)).as_deref(), Some("msg_imp_a_0"));
    for holder in ["a", "b"] {
        assert_eq!(claim(15_000, holder, 30_000), Claim::Wait { until_ms: 20_000 }, "{holder}");
    }
    assert_eq!(claimed(claim(20_000, "b", 30_000)).as_deref(), Some("msg_imp_a_0"), "ran out: taken over");
    let stale = Attempt::Failed { at: 21_000, status: None, error: "timed out".into(), retry_at: None };
    store.record_attempt("msg_imp_a_0", "a", stale).unwrap();
    let head = &store.messages("imp_a").unwrap()[0];
    assert_eq!(
        (head.status, head.attempts),
        (MessageStatus::Pending, 0),
        "a's late failure is not b's verdict"
    );
    store.release_message("msg_imp_a_0", "a").unwrap();
    assert_eq!(claim(25_000, "a", 40_000), Claim::Wait { until_ms: 30_000 }, "still b's");
    assert_eq!(store.renew_leases("b", &["msg_imp_a_1".to_owned()], 50_000).unwrap(), 0, "not b's");
    assert_eq!(store.renew_leases("b", &["msg_imp_a_0".to_owned()], 50_000).unwrap(), 1);
    assert_eq!(claim(35_000, "a", 40_000), Claim::Wait { until_ms: 50_000 });
    store.record_attempt("msg_imp_a_0", "b", Attempt::Delivered { at: 35_000, status: Some(200) }).unwrap();
    assert_eq!(claimed(claim(35_000, "a", 60_000)).as_deref(), Some("msg_imp_a_1"), "the attempt ended it");
    store.release_message("msg_imp_a_1", "a").unwrap();
    assert_eq!(claimed(claim(35_000, "b", 60_000)).as_deref(), Some("msg_imp_a_1"), "given back");
    assert_eq!(store.claim_message("demo", 1, true, 35_000, &lease("a", 60_000)).unwrap(), Claim::Empty);
}

fn an_unordered_lane_takes_any(f: &Fixture) {
    let store = &*f.store;
    completed(store, "imp_a");
    let claim =
        |now, holder| claimed(store.claim_message("demo", 0, false, now, &lease(holder, 20_000)).unwrap());
    assert_eq!(claim(9_000, "a"), None, "none due");
    assert_eq!(claim(10_000, "a").as_deref(), Some("msg_imp_a_0"));
    assert_eq!(
        claim(10_000, "a").as_deref(),
        Some("msg_imp_a_1"),
        "its own lease keeps its other threads out"
    );
    assert_eq!(claim(10_000, "b").as_deref(), Some("msg_imp_a_2"));
    assert_eq!(claim(10_000, "b"), None);
    store.release_message("msg_imp_a_1", "a").unwrap();
    assert_eq!(claim(10_000, "b").as_deref(), Some("msg_imp_a_1"));
    assert_eq!(claim(20_000, "c").as_deref(), Some("msg_imp_a_0"), "a lease that ran out is taken over");
}

fn unordered_lanes_at_once(f: &Fixture) {
    lanes_at_once(&*f.store, false);
}

fn ordered_lanes_at_once(f: &Fixture) {
    lanes_at_once(&*f.store, true);
}

/// Four threads, each an instance of its own, send the messages of four imports three times
/// over: each message is sent once each time.
fn lanes_at_once(store: &dyn Store, ordered: bool) {
    for i in 0..4 {
        completed(store, &format!("imp_{i}"));
    }
    for round in 0..3 {
        let sent: Vec<String> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..4)
                .map(|t| scope.spawn(move || deliver_all(store, ordered, &format!("ins_{t}"))))
                .collect();
            threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
        });
        let mut unique = sent.clone();
        unique.sort();
        unique.dedup();
        assert_eq!((sent.len(), unique.len()), (12, 12), "round {round}: {sent:?}");
        for i in 0..4 {
            store.retry_dead(&format!("imp_{i}"), 10_000).unwrap();
        }
    }
}

/// Claims and sends (as dead letters, to claim them again in the next round) until nothing is
/// pending; the ids sent.
fn deliver_all(store: &dyn Store, ordered: bool, holder: &str) -> Vec<String> {
    let mut sent = Vec::new();
    loop {
        match store.claim_message("demo", 0, ordered, 50_000, &lease(holder, 90_000)).unwrap() {
            Claim::Message(m) => {
                // Held a moment, as a send is: the other threads claim meanwhile.
                std::thread::sleep(Duration::from_micros(300));
                let failed = Attempt::Failed { at: 50_000, status: None, error: "x".into(), retry_at: None };
                store.record_attempt(&m.id, holder, failed).unwrap();
                sent.push(m.id);
            }
            Claim::Wait { .. } => std::thread::sleep(Duration::from_millis(1)),
            Claim::Empty => return sent,
        }
    }
}

fn a_job_has_one_leader(f: &Fixture) {
    let store = &*f.store;
    assert!(store.lead("retention", &lease("a", 100), 0).unwrap());
    assert!(!store.lead("retention", &lease("b", 150), 50).unwrap());
    assert!(store.lead("retention", &lease("a", 200), 90).unwrap(), "its holder keeps it");
    assert!(store.lead("retention", &lease("b", 300), 200).unwrap(), "taken over once it ran out");
    assert!(store.lead("other", &lease("a", 300), 200).unwrap(), "jobs are apart");
    let leaders = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..6)
            .map(|i| {
                scope.spawn(move || store.lead("race", &lease(&format!("ins_{i}"), 1_000), 500).unwrap())
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).filter(|led| *led).count()
    });
    assert_eq!(leaders, 1);
}

fn a_started_deletion_is_finished(f: &Fixture) {
    let store = &*f.store;
    completed(store, "imp_a");
    completed(store, "imp_b");
    // What a crash right after the marker and the keys leaves: both written, the rows not gone.
    f.data_sql(
        "UPDATE imports SET deletion_started_at = 3500, deleted_reason = 'operator' WHERE id = 'imp_a'",
    );
    f.keystore_sql("DELETE FROM keys WHERE import_id = 'imp_a'");
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
    if let Some(objects) = &f.objects {
        assert_eq!((count(&**objects, "imp_a"), count(&**objects, "imp_b")), (0, 1));
    }
}

fn a_keyless_import_is_found(f: &Fixture) {
    let store = &*f.store;
    completed(store, "imp_a");
    completed(store, "imp_b");
    assert!(store.keyless_imports().unwrap().is_empty());
    f.keystore_sql("DELETE FROM keys WHERE import_id = 'imp_b' AND purpose = 'data'");
    assert_eq!(store.keyless_imports().unwrap(), ["imp_b"]);
    assert!(store.unfinished_deletions().unwrap().is_empty(), "a missing key is no deletion");
}

fn objects_of_deleted_imports_are_swept(f: &Fixture) {
    let Some(objects) = &f.objects else { return };
    let store = &*f.store;
    completed(store, "imp_a");
    completed(store, "imp_b");
    store.delete_data(&["imp_a".to_owned()], 4000, DeleteReason::Operator).unwrap();
    // An object whose row never committed (its writer died), for a deleted and a live import.
    objects.put(&batch_name("imp_a", 7, 1), b"sealed").unwrap();
    objects.put(&batch_name("imp_b", 7, 1), b"sealed").unwrap();
    store.maintain().unwrap();
    assert_eq!(
        (count(&**objects, "imp_a"), count(&**objects, "imp_b")),
        (0, 2),
        "a live import's objects stay"
    );
    objects.put(&batch_name("imp_a", 8, 1), b"sealed").unwrap();
    store.maintain().unwrap();
    assert_eq!(count(&**objects, "imp_a"), 1, "a swept import is not listed again");
}

/// PostgreSQL only: instances starting together migrate the databases once, and each opens them.
fn several_instances_open_one_store_at_once(pg: &Postgres) {
    let options = PostgresOptions {
        data_url: pg.create_database("shared_data"),
        keystore_url: pg.create_database("shared_keys"),
        pool_size: 2,
        ca_file: None,
    };
    let stores: Vec<PostgresStore> = std::thread::scope(|scope| {
        let threads: Vec<_> =
            (0..4).map(|_| scope.spawn(|| PostgresStore::open(&options, None).unwrap())).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    stores[0].create_import(import("imp_a")).unwrap();
    assert!(stores[3].import("imp_a").unwrap().is_some(), "one store");
    assert!(stores[2].key("imp_a", KeyPurpose::Data).unwrap().is_some());
    for url in [&options.data_url, &options.keystore_url] {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let sql = "SELECT count(*), count(DISTINCT version), max(version) FROM sluice_migrations";
        let row = client.query_one(sql, &[]).unwrap();
        let (applied, distinct, last): (i64, i64, i32) = (row.get(0), row.get(1), row.get(2));
        assert!(
            applied >= 2 && applied == distinct && i64::from(last) == applied,
            "each migration applied once"
        );
    }
}

/// PostgreSQL only: a connection refused for a wrong password says so without the password.
fn a_refused_connection_names_no_password(pg: &Postgres) {
    let wrong = pg.create_database("refused").replace(&pg.password, "not-the-password-123");
    let options =
        PostgresOptions { data_url: wrong.clone(), keystore_url: wrong, pool_size: 1, ca_file: None };
    let error = PostgresStore::open(&options, None).err().unwrap();
    assert_eq!(error.kind(), ErrorKind::Other, "{error}");
    let shown = format!("{error} {error:?} {options:?}");
    assert!(!shown.contains("not-the-password-123") && !shown.contains("127.0.0.1:"), "{shown}");
    let unparsable = PostgresOptions { data_url: "postgres://u:secret-1@[bad".into(), ..options };
    let error = PostgresStore::open(&unparsable, None).err().unwrap();
    assert!(!error.to_string().contains("secret-1"), "{error}");
}

/// PostgreSQL only: `sslmode` as libpq spells it, against a cluster that offers no TLS (see
/// [`postgres_over_tls`] for one that does).
fn tls_is_as_the_url_says(pg: &Postgres) {
    let url = pg.create_database("tls");
    let with = |mode: &str| PostgresOptions {
        data_url: format!("{url}?sslmode={mode}"),
        keystore_url: format!("{url}?sslmode={mode}"),
        pool_size: 1,
        ca_file: None,
    };
    for mode in ["disable", "prefer"] {
        PostgresStore::open(&with(mode), None).unwrap();
    }
    for mode in ["require", "verify-ca", "verify-full"] {
        let error = PostgresStore::open(&with(mode), None).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{mode}: {error}");
    }
}

/// PostgreSQL only: a store beside an empty keystore, and keys beside an empty data database,
/// are refused, and nothing is created in the empty one.
fn databases_that_do_not_belong_together_are_refused(pg: &Postgres) {
    let options = PostgresOptions {
        data_url: pg.create_database("paired_data"),
        keystore_url: pg.create_database("paired_keys"),
        pool_size: 1,
        ca_file: None,
    };
    PostgresStore::open(&options, None).unwrap().create_import(import("imp_a")).unwrap();
    let tables = |url: &str| -> i64 {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let sql = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'";
        client.query_one(sql, &[]).unwrap().get(0)
    };
    let empty = pg.create_database("empty");
    for unpaired in [
        PostgresOptions { keystore_url: empty.clone(), ..options.clone() },
        PostgresOptions { data_url: empty.clone(), ..options.clone() },
    ] {
        let error = PostgresStore::open(&unpaired, None).err().unwrap();
        assert_eq!(error.kind(), ErrorKind::Mismatch, "{error}");
        assert!(error.detail().contains("Nothing was changed"), "{error}");
        assert_eq!(tables(&empty), 0, "nothing created");
    }
    PostgresStore::open(&options, None).unwrap();
}

/// S3 object storage where nothing listens: a real client finding no server.
fn down() -> S3Blobs {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = S3BlobSettings {
        bucket: "sealed".into(),
        prefix: "down/".into(),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        region: "us-east-1".into(),
        access_key_id: Secret::new(KEY_ID),
        secret_access_key: Secret::new(SECRET),
        session_token: None,
    };
    S3Blobs::open(&settings).unwrap()
}

/// PostgreSQL only: object storage that is down makes the store unready and refuses batches
/// with its error, writing no row; a batch whose object is gone is not found.
fn object_storage_that_fails_is_told(pg: &Postgres) {
    let options = PostgresOptions {
        data_url: pg.create_database("down_data"),
        keystore_url: pg.create_database("down_keys"),
        pool_size: 2,
        ca_file: None,
    };
    let down = PostgresStore::open(&options, Some(Arc::new(down()))).unwrap();
    assert_eq!(down.readiness(5), [Unready::ObjectsUnavailable]);
    down.create_import(import("imp_a")).unwrap();
    assert_eq!(down.put_batch(batch("imp_a", 0, 1)).unwrap_err().kind(), ErrorKind::Unavailable);
    assert!(down.batches("imp_a").unwrap().is_empty(), "no row without its object");
    let dir = tempfile::tempdir().unwrap();
    let folder: Arc<dyn Blobs> = Arc::new(FolderBlobs::open(dir.path()).unwrap());
    let store = PostgresStore::open(&options, Some(Arc::clone(&folder))).unwrap();
    assert!(store.readiness(5).is_empty());
    store.put_batch(batch("imp_a", 0, 1)).unwrap();
    let name = folder.list(&import_prefix("imp_a")).unwrap().remove(0);
    folder.delete(&name).unwrap();
    assert_eq!(store.sealed_batch("imp_a", 0).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(down.sealed_batch("imp_a", 0).unwrap_err().kind(), ErrorKind::Unavailable);
}

/// PostgreSQL only: after the server cut every connection (a restart, a failover), one request
/// fails as unavailable and the next ones get new connections.
fn connections_cut_by_the_server_are_replaced(pg: &Postgres) {
    let options = PostgresOptions {
        data_url: pg.create_database("cut_data"),
        keystore_url: pg.create_database("cut_keys"),
        pool_size: 4,
        ca_file: None,
    };
    let store = PostgresStore::open(&options, None).unwrap();
    std::thread::scope(|scope| {
        for i in 0..4 {
            let store = &store;
            scope.spawn(move || store.create_import(import(&format!("imp_{i}"))).unwrap());
        }
    });
    pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'cut_data'");
    let first = store.import("imp_0");
    if let Err(e) = &first {
        assert_eq!(e.kind(), ErrorKind::Unavailable, "{e}");
    }
    for i in 0..4 {
        assert!(store.import(&format!("imp_{i}")).unwrap().is_some());
    }
}
