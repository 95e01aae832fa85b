//! The object stores for sealed batches (`store::blobs`), each run through one contract: a folder
//! in a temporary directory, and an S3 bucket on a real S3-compatible server (moto, started for
//! each test on 127.0.0.1). Then what only a bucket can do wrong: a bucket that is not there, and
//! a server that stopped answering, whose error names no credential.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::config::{S3BlobSettings, Secret};
use sluice_server::store::ErrorKind;
use sluice_server::store::blobs::{Blobs, FolderBlobs, S3Blobs, batch_name, import_prefix};
use support::services::S3;

const KEY_ID: &str = "AKIDSLUICEBLOBS";
const SECRET: &str = "sluice-blobs-test-secret";

/// What every implementation of `Blobs` does.
fn contract(blobs: &dyn Blobs) {
    round_trips_keep_every_byte(blobs);
    missing_objects_are_none_and_deleting_twice_is_fine(blobs);
    listing_follows_name_order_across_pages_and_by_prefix(blobs);
    blobs.check().unwrap();
    assert!(!blobs.describe().contains(SECRET) && !blobs.describe().contains(KEY_ID));
}

fn round_trips_keep_every_byte(blobs: &dyn Blobs) {
    let big: Vec<u8> = (0..5 << 20).map(|i: u32| (i % 251) as u8).collect();
    for (n, bytes) in [&b""[..], b"x", &big].into_iter().enumerate() {
        let name = batch_name("imp_trip", n as u64, 7);
        blobs.put(&name, bytes).unwrap();
        assert!(blobs.get(&name).unwrap().as_deref() == Some(bytes), "{} bytes differ", bytes.len());
    }
}

fn missing_objects_are_none_and_deleting_twice_is_fine(blobs: &dyn Blobs) {
    let name = batch_name("imp_gone", 1, 1);
    assert_eq!(blobs.get(&name).unwrap(), None);
    blobs.put(&name, b"sealed").unwrap();
    blobs.delete(&name).unwrap();
    blobs.delete(&name).unwrap();
    assert_eq!(blobs.get(&name).unwrap(), None);
    assert!(blobs.list(&import_prefix("imp_gone")).unwrap().is_empty());
}

fn listing_follows_name_order_across_pages_and_by_prefix(blobs: &dyn Blobs) {
    // More than S3's 1000 keys a page, written out of order.
    let mut many: Vec<String> = (0..1005).rev().map(|n| batch_name("imp_many", n, 0xab)).collect();
    for name in &many {
        blobs.put(name, b"").unwrap();
    }
    let few = [batch_name("imp_m", 2, 1), batch_name("imp_m", 10, 1)];
    for name in &few {
        blobs.put(name, b"").unwrap();
    }
    many.sort();
    assert_eq!(blobs.list(&import_prefix("imp_many")).unwrap(), many);
    assert_eq!(blobs.list(&import_prefix("imp_m")).unwrap(), few);
    let mut both = [&few[..], &many[..]].concat();
    both.sort();
    assert_eq!(blobs.list("imp_m").unwrap(), both, "imp_m/ sorts before imp_many/");
}

#[test]
fn a_folder_keeps_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    contract(&FolderBlobs::open(&dir.path().join("blobs")).unwrap());
}

#[test]
fn an_s3_bucket_keeps_the_contract_under_its_prefix_only() {
    let s3 = S3::start();
    s3.create_bucket("sealed");
    let blobs = S3Blobs::open(&settings(&s3, "sealed", "sluice/")).unwrap();
    let neighbour = S3Blobs::open(&settings(&s3, "sealed", "")).unwrap();
    neighbour.put("imp_m/outside", b"not ours").unwrap();
    contract(&blobs);
    assert_eq!(neighbour.list("imp_m/").unwrap(), ["imp_m/outside"]);
    assert!(neighbour.list("sluice/imp_m/").unwrap().len() == 2, "the objects are under the prefix");
}

#[test]
fn a_bucket_that_is_not_there_is_not_found() {
    let s3 = S3::start();
    let blobs = S3Blobs::open(&settings(&s3, "no-such-bucket", "x/")).unwrap();
    let name = batch_name("imp_a", 1, 1);
    for error in
        [blobs.put(&name, b"x").unwrap_err(), blobs.get(&name).unwrap_err(), blobs.check().unwrap_err()]
    {
        assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
        assert!(error.detail().contains("no such bucket"), "{error}");
    }
}

#[test]
fn a_stopped_server_is_unavailable_and_the_error_names_no_credential() {
    let s3 = S3::start();
    s3.create_bucket("sealed");
    let blobs = S3Blobs::open(&settings(&s3, "sealed", "")).unwrap();
    blobs.check().unwrap();
    drop(s3);
    let name = batch_name("imp_a", 1, 1);
    let errors = [
        blobs.put(&name, b"x").unwrap_err(),
        blobs.get(&name).unwrap_err(),
        blobs.list("").unwrap_err(),
        blobs.check().unwrap_err(),
    ];
    for error in errors {
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{error}");
        let printed = format!("{error} {error:?}");
        for secret in [KEY_ID, SECRET, "X-Amz-Signature", "X-Amz-Credential"] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
    }
}

fn settings(s3: &S3, bucket: &str, prefix: &str) -> S3BlobSettings {
    S3BlobSettings {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
        endpoint: Some(s3.endpoint.clone()),
        region: "us-east-1".to_owned(),
        access_key_id: Secret::new(KEY_ID),
        secret_access_key: Secret::new(SECRET),
        session_token: None,
    }
}
