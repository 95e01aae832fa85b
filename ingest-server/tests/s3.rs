//! Writing objects into an S3-compatible bucket (`delivery::s3`) against a real S3-compatible
//! server (moto in server mode, started for each test on 127.0.0.1): objects larger than a part
//! written part by part and read back whole, an empty one, an upload dropped unfinished leaving
//! nothing, and a missing bucket named by S3's code.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use sluice_server::delivery::s3::{BucketConfig, PART_BYTES, S3Error, S3Target};
use std::time::Duration;
use support::services::S3;

const KEY_ID: &str = "AKIDSLUICETEST";
const SECRET: &str = "sluice-test-secret";

fn target<'a>(s3: &'a S3, bucket: &'a str) -> S3Target {
    S3Target::new(&BucketConfig {
        endpoint: &s3.endpoint,
        bucket,
        region: "us-east-1",
        path_style: true,
        access_key_id: KEY_ID,
        secret_access_key: SECRET,
        timeout: Duration::from_secs(30),
    })
    .unwrap()
}

fn create_bucket(s3: &S3, name: &str) {
    let bucket =
        Bucket::new(s3.endpoint.parse().unwrap(), UrlStyle::Path, name.to_owned(), "us-east-1").unwrap();
    let credentials = Credentials::new(KEY_ID, SECRET);
    let url = bucket.create_bucket(&credentials).sign(Duration::from_secs(60));
    let response = ureq::put(url.as_str()).send_empty().unwrap();
    assert_eq!(response.status(), 200);
}

/// Bytes that differ from part to part, so a part out of place shows.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ (i / PART_BYTES) as u8).collect()
}

#[test]
fn an_object_larger_than_a_part_is_written_part_by_part_and_reads_back_whole() {
    let s3 = S3::start();
    create_bucket(&s3, "rows");
    let target = target(&s3, "rows");
    let data = content(2 * PART_BYTES + 12_345);
    let mut upload = target.upload("imports/demo/imp_1.jsonl", "application/x-ndjson").unwrap();
    for piece in data.chunks(100_003) {
        upload.write(piece).unwrap();
    }
    assert_eq!(upload.finish().unwrap(), data.len() as u64);
    assert!(
        target.get("imports/demo/imp_1.jsonl").unwrap() == data,
        "the object differs from what was written"
    );
    target.put("imports/demo/imp_1.manifest.json", b"{\"rows\":3}", "application/json").unwrap();
    assert_eq!(target.get("imports/demo/imp_1.manifest.json").unwrap(), b"{\"rows\":3}");
}

#[test]
fn an_empty_object_is_an_object() {
    let s3 = S3::start();
    create_bucket(&s3, "rows");
    let target = target(&s3, "rows");
    let upload = target.upload("empty.jsonl", "application/x-ndjson").unwrap();
    assert_eq!(upload.finish().unwrap(), 0);
    assert_eq!(target.get("empty.jsonl").unwrap(), b"");
}

#[test]
fn an_upload_dropped_unfinished_leaves_no_object() {
    let s3 = S3::start();
    create_bucket(&s3, "rows");
    let target = target(&s3, "rows");
    let mut upload = target.upload("half.jsonl", "application/x-ndjson").unwrap();
    upload.write(&content(PART_BYTES + 10)).unwrap();
    drop(upload);
    let error = target.get("half.jsonl").unwrap_err();
    assert_eq!(
        error,
        S3Error::Status { operation: "GetObject", status: 404, code: Some("NoSuchKey".to_owned()) }
    );
}

#[test]
fn a_missing_bucket_is_named_by_s3s_code_and_not_tried_again() {
    let s3 = S3::start();
    let target = target(&s3, "nowhere");
    let error = target.put("x.json", b"{}", "application/json").unwrap_err();
    assert_eq!(error.to_string(), "S3 PutObject: HTTP 404, NoSuchBucket");
    assert!(!error.is_transient());
    let stopped = S3Target::new(&BucketConfig { endpoint: "http://127.0.0.1:9", ..config_of(&s3) }).unwrap();
    let error = stopped.put("x.json", b"{}", "application/json").unwrap_err();
    assert!(error.is_transient(), "{error}");
    assert!(!error.to_string().contains("X-Amz-Signature"), "{error}");
}

fn config_of(s3: &S3) -> BucketConfig<'_> {
    BucketConfig {
        endpoint: &s3.endpoint,
        bucket: "nowhere",
        region: "us-east-1",
        path_style: true,
        access_key_id: KEY_ID,
        secret_access_key: SECRET,
        timeout: Duration::from_secs(5),
    }
}
