//! The S3 kind of destination: each import becomes one JSON-lines object in the operator's
//! bucket, `<prefix><importer>/<import>.jsonl` (one row per line, as the webhook's `import.rows`
//! writes a row: `{"row","invalid","data","kept"}`), or with `format = "csv"` one CSV object,
//! `<import>.csv` (a header, then a line per row), written with a multipart upload as the rows
//! are read from the sealed batches (memory stays one part however large the import), then a
//! manifest beside it, `<prefix><importer>/<import>.manifest.json`, once the object is whole. A
//! reader that finds the manifest knows the object is complete.
//!
//! The plan gives an S3 destination one `import.rows` message for the whole import (its
//! `chunk_rows` is unbounded), which writes the object, and the `import.completed`, which writes
//! the manifest. A retry writes the same object again from the start (a PUT replaces an object
//! whole, so a retry never duplicates a row); an upload cut off is aborted.

mod bucket;

pub use bucket::{BucketConfig, ListPage, PART_BYTES, S3Error, S3Target, Upload};

use super::destination::{Destination, Failure, Outcome, Probe};
use super::rows::{write_csv_header, write_csv_row, write_row};
use super::source::{ImportReader, SourceError};
use crate::config::{ObjectFormat, S3Bucket};
use crate::store::{Message, MessageKind};
use serde_json::json;

/// A configured bucket, ready to write into.
pub struct S3Destination {
    target: S3Target,
    prefix: String,
    format: ObjectFormat,
}

/// What one attempt writes.
pub enum Written {
    /// The rows' object: the message's rows, read again from the import while they are sent.
    Object {
        /// The object's key.
        key: String,
        /// The message, to read its rows.
        message: Box<Message>,
        /// A reader of its own, for the rows.
        reader: ImportReader,
    },
    /// The manifest, whole.
    Manifest {
        /// The manifest's key.
        key: String,
        /// Its JSON.
        body: Vec<u8>,
    },
}

// Two preparations are the same when they write the same object from the same message, or the
// same manifest: the rows are read from the same sealed batches when the object is sent.
impl PartialEq for Written {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Written::Object { key: a, message: m, .. }, Written::Object { key: b, message: n, .. }) => {
                a == b && m.id == n.id && m.row_count == n.row_count
            }
            (Written::Manifest { key: a, body: x }, Written::Manifest { key: b, body: y }) => {
                a == b && x == y
            }
            _ => false,
        }
    }
}

impl std::fmt::Debug for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Written::Object { key, message, .. } => write!(f, "Object({key}, {} rows)", message.row_count),
            Written::Manifest { key, .. } => write!(f, "Manifest({key})"),
        }
    }
}

/// Why an S3 destination cannot be opened.
#[derive(Debug)]
pub enum OpenError {
    /// A credentials variable is not set.
    Credentials(String),
    /// The endpoint or bucket cannot be used.
    Bucket(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Credentials(name) => write!(f, "the environment variable {name} is not set"),
            OpenError::Bucket(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for OpenError {}

impl S3Destination {
    /// Opens `bucket`: takes its credentials as given in the dashboard, or reads them from
    /// the environment.
    pub fn open(bucket: &S3Bucket) -> Result<Self, OpenError> {
        let variable = |name: &str| std::env::var(name).map_err(|_| OpenError::Credentials(name.to_owned()));
        let (access_key_id, secret_access_key) = match &bucket.credentials {
            Some(given) => (given.access_key_id.clone(), given.secret_access_key.expose().to_owned()),
            None => (variable(&bucket.access_key_id_env)?, variable(&bucket.secret_access_key_env)?),
        };
        let target = S3Target::new(&BucketConfig {
            endpoint: &bucket.endpoint,
            bucket: &bucket.bucket,
            region: &bucket.region,
            path_style: bucket.path_style,
            access_key_id: &access_key_id,
            secret_access_key: &secret_access_key,
            timeout: bucket.timeout,
            allow_private_network: bucket.allow_private_network,
        })
        .map_err(OpenError::Bucket)?;
        Ok(S3Destination::new(target, &bucket.prefix, bucket.format))
    }

    /// A destination writing through `target`, keys starting with `prefix`, rows in `format`.
    pub fn new(target: S3Target, prefix: &str, format: ObjectFormat) -> Self {
        S3Destination { target, prefix: prefix.to_owned(), format }
    }

    fn key(&self, message: &Message, suffix: &str) -> String {
        format!("{}{}/{}{suffix}", self.prefix, message.importer, message.import_id)
    }

    /// The rows' object's key.
    fn object_key(&self, message: &Message) -> String {
        self.key(message, &format!(".{}", self.format.as_str()))
    }

    /// Writes the message's rows as one object.
    fn write_object(&self, key: &str, message: &Message, reader: &mut ImportReader) -> Result<(), Failed> {
        let content_type = match self.format {
            ObjectFormat::Csv => "text/csv; charset=utf-8",
            _ => "application/x-ndjson",
        };
        let mut upload = self.target.upload(key, content_type).map_err(Failed::S3)?;
        let mut line = Vec::with_capacity(512);
        let mut failed = None;
        let mut first = true;
        reader
            .rows(message, |batch, row| {
                if failed.is_some() {
                    return;
                }
                line.clear();
                match self.format {
                    ObjectFormat::Csv => {
                        if std::mem::take(&mut first) {
                            write_csv_header(&mut line, batch);
                        }
                        write_csv_row(&mut line, row.number, row.invalid, &row.cells);
                    }
                    _ => {
                        write_row(
                            &mut line,
                            batch,
                            row.number,
                            row.invalid,
                            (&row.cells, &row.extras),
                            false,
                        );
                        line.push(b'\n');
                    }
                }
                failed = upload.write(&line).err();
            })
            .map_err(Failed::Source)?;
        if let Some(e) = failed {
            return Err(Failed::S3(e));
        }
        upload.finish().map_err(Failed::S3)?;
        Ok(())
    }
}

/// Why writing failed: the bucket, or reading the import again.
enum Failed {
    S3(S3Error),
    Source(SourceError),
}

impl Destination for S3Destination {
    type Prepared = Written;

    fn prepare(&self, message: &Message, reader: &mut ImportReader) -> Result<Written, SourceError> {
        let view = reader.import(&message.import_id)?;
        if message.kind == MessageKind::Rows {
            let key = self.object_key(message);
            return Ok(Written::Object { key, message: Box::new(message.clone()), reader: reader.fork() });
        }
        let body = json!({
            "importId": message.import_id,
            "importer": message.importer,
            "object": self.object_key(message),
            "format": self.format.as_str(),
            "rows": view.record.rows,
            "invalidRows": view.record.invalid_rows,
            "completedAt": view.record.completed_at,
            "file": view.about.get("file"),
        });
        Ok(Written::Manifest {
            key: self.key(message, ".manifest.json"),
            body: body.to_string().into_bytes(),
        })
    }

    fn test(&self, probe: &Probe<'_>) -> Outcome {
        let key = format!("{}{}/sluice-test.txt", self.prefix, probe.importer);
        let body = b"A test from the Sluice dashboard; deleted right after it was written.\n";
        let tried = self.target.put(&key, body, "text/plain").and_then(|()| self.target.delete(&key));
        match tried {
            Ok(()) => Outcome::Delivered { status: Some(200) },
            Err(e) => Outcome::Dead(s3_failure(e)),
        }
    }

    fn send(&self, _message: &Message, written: Written) -> Outcome {
        let result = match written {
            Written::Object { key, message, mut reader } => self.write_object(&key, &message, &mut reader),
            Written::Manifest { key, body } => {
                self.target.put(&key, &body, "application/json").map_err(Failed::S3)
            }
        };
        match result {
            Ok(()) => Outcome::Delivered { status: Some(200) },
            Err(Failed::S3(e)) => {
                let transient = e.is_transient();
                let failure = s3_failure(e);
                if transient { Outcome::Retry { after: None, failure } } else { Outcome::Dead(failure) }
            }
            // The import was readable when prepared; reading it again failed: try again later.
            Err(Failed::Source(e)) => Outcome::Retry { after: None, failure: Failure::new(e) },
        }
    }
}

/// A bucket's refusal, with its HTTP status when it answered.
fn s3_failure(e: S3Error) -> Failure {
    match &e {
        S3Error::Status { status, .. } => Failure::with_status(*status, e),
        _ => Failure::new(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::contract::{self, Fixture};
    use std::time::Duration;

    fn destination() -> S3Destination {
        let target = S3Target::new(&BucketConfig {
            endpoint: "https://s3.eu-west-1.amazonaws.com",
            bucket: "imports",
            region: "eu-west-1",
            path_style: false,
            access_key_id: "AKID",
            secret_access_key: "secret",
            timeout: Duration::from_secs(5),
            allow_private_network: false,
        })
        .unwrap();
        S3Destination::new(target, "sluice/", ObjectFormat::JsonLines)
    }

    #[test]
    fn the_s3_destination_keeps_the_destination_contract() {
        contract::run(&destination());
    }

    #[test]
    fn the_rows_go_to_one_object_per_import_and_the_completion_to_its_manifest() {
        let fixture = Fixture::new();
        let messages = Fixture::messages();
        let object = destination().prepare(&messages[0], &mut fixture.reader()).unwrap();
        assert!(
            matches!(&object, Written::Object { key, .. } if key.starts_with("sluice/") && key.ends_with(".jsonl"))
        );
        let Written::Manifest { key, body } =
            destination().prepare(&messages[2], &mut fixture.reader()).unwrap()
        else {
            panic!("a manifest")
        };
        assert!(key.ends_with(".manifest.json"), "{key}");
        let manifest: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(manifest["format"], "jsonl");
        assert!(manifest["object"].as_str().unwrap().ends_with(".jsonl"));
    }
}
