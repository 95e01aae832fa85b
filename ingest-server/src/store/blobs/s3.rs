//! [`Blobs`] in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph, moto), under a key prefix,
//! through the same signed requests as the S3 destination ([`S3Target`]).
//!
//! Errors name the operation, the bucket and S3's answer; never an object's bytes, a credential
//! or a signed URL (which holds a signature).

use super::{Blobs, random_hex};
use crate::config::S3BlobSettings;
use crate::delivery::s3::{BucketConfig, S3Error, S3Target};
use crate::store::{ErrorKind, Result, StoreError};
use std::time::Duration;

/// The longest one request may take (a batch is at most a few MiB).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Objects in a bucket, each at `<prefix><name>`.
pub struct S3Blobs {
    target: S3Target,
    prefix: String,
    described: String,
}

impl S3Blobs {
    /// Opens the bucket of `settings`: path-style requests to its endpoint when one is given
    /// (MinIO, moto and most self-hosted services), virtual-host ones to AWS otherwise.
    pub fn open(settings: &S3BlobSettings) -> Result<S3Blobs> {
        let aws = format!("https://s3.{}.amazonaws.com", settings.region);
        let endpoint = settings.endpoint.as_deref().unwrap_or(&aws);
        let target = S3Target::new(&BucketConfig {
            endpoint,
            bucket: &settings.bucket,
            region: &settings.region,
            path_style: settings.endpoint.is_some(),
            access_key_id: settings.access_key_id.expose(),
            secret_access_key: settings.secret_access_key.expose(),
            timeout: REQUEST_TIMEOUT,
            // The operator's own storage, which often is on a private network.
            allow_private_network: true,
        })
        .map_err(|e| StoreError::new(ErrorKind::Other, format!("object storage {}: {e}", settings.url())))?;
        let target = match &settings.session_token {
            Some(token) => target.with_session_token(token.expose()),
            None => target,
        };
        Ok(S3Blobs { target, prefix: settings.prefix.clone(), described: settings.describe() })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// `e` as a storage error, saying what was being done.
    fn error(&self, doing: &str, e: &S3Error) -> StoreError {
        let (kind, why) = match e {
            S3Error::Transport { .. } => (ErrorKind::Unavailable, ""),
            S3Error::Status { status: 403, .. } => (
                ErrorKind::Unavailable,
                ": the credentials are refused (check the access key and its policy)",
            ),
            S3Error::Status { status: 404, code: Some(code), .. } if code == "NoSuchBucket" => {
                (ErrorKind::NotFound, ": there is no such bucket")
            }
            e if e.is_transient() => (ErrorKind::Unavailable, ""),
            _ => (ErrorKind::Other, ""),
        };
        StoreError::new(kind, format!("{doing} in {}: {e}{why}", self.described))
    }
}

impl Blobs for S3Blobs {
    fn put(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let put = self.target.put(&self.key(name), bytes, "application/octet-stream");
        put.map_err(|e| self.error(&format!("writing {name}"), &e))
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        match self.target.get(&self.key(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(S3Error::Status { status: 404, code, .. }) if code.as_deref() != Some("NoSuchBucket") => {
                Ok(None)
            }
            Err(e) => Err(self.error(&format!("reading {name}"), &e)),
        }
    }

    fn delete(&self, name: &str) -> Result<()> {
        // S3 answers 204 to deleting a key that is not there.
        self.target.delete(&self.key(name)).map_err(|e| self.error(&format!("deleting {name}"), &e))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let full = self.key(prefix);
        let mut names = Vec::new();
        let mut next = None;
        loop {
            let page = self.target.list(&full, next.as_deref()).map_err(|e| self.error("listing", &e))?;
            let ours =
                page.keys.into_iter().filter_map(|key| key.strip_prefix(&self.prefix).map(str::to_owned));
            names.extend(ours.filter(|name| name.starts_with(prefix)));
            match page.next {
                Some(token) => next = Some(token),
                None => return Ok(names),
            }
        }
    }

    fn check(&self) -> Result<()> {
        let probe = format!("sluice-check-{}", random_hex()?);
        let body = b"A probe from Sluice's readiness check; deleted right after it was written.\n";
        self.put(&probe, body).map_err(|e| e.context("checking object storage"))?;
        self.delete(&probe).map_err(|e| e.context("checking object storage"))
    }

    fn describe(&self) -> String {
        self.described.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn blobs() -> S3Blobs {
        S3Blobs::open(&S3BlobSettings {
            bucket: "sealed".to_owned(),
            prefix: "sluice/".to_owned(),
            endpoint: None,
            region: "eu-west-1".to_owned(),
            access_key_id: Secret::new("AKIDUNIT"),
            secret_access_key: Secret::new("unit-secret"),
            session_token: Some(Secret::new("unit-token")),
        })
        .unwrap()
    }

    fn status(status: u16, code: &str) -> S3Error {
        S3Error::Status { operation: "PutObject", status, code: Some(code.to_owned()) }
    }

    #[test]
    fn answers_map_to_kinds_an_operator_can_act_on() {
        let blobs = blobs();
        let cases = [
            (status(403, "AccessDenied"), ErrorKind::Unavailable, "the credentials are refused"),
            (status(404, "NoSuchBucket"), ErrorKind::NotFound, "there is no such bucket"),
            (status(503, "SlowDown"), ErrorKind::Unavailable, "HTTP 503, SlowDown"),
            (status(500, "InternalError"), ErrorKind::Unavailable, "HTTP 500"),
            (status(400, "InvalidArgument"), ErrorKind::Other, "HTTP 400, InvalidArgument"),
            (
                S3Error::Transport { operation: "GetObject", message: "the request timed out".to_owned() },
                ErrorKind::Unavailable,
                "the request timed out",
            ),
        ];
        for (e, kind, says) in cases {
            let error = blobs.error("writing imp_a/1", &e);
            assert_eq!(error.kind(), kind, "{error}");
            let printed = error.to_string();
            assert!(printed.contains(says) && printed.contains("in s3://sealed/sluice/"), "{printed}");
            assert!(!printed.contains("AKIDUNIT") && !printed.contains("unit-"), "{printed}");
        }
    }

    #[test]
    fn keys_sit_under_the_prefix_and_the_description_is_the_bucket_url() {
        let blobs = blobs();
        assert_eq!(blobs.describe(), "s3://sealed/sluice/");
        assert_eq!(blobs.key("imp_a/1"), "sluice/imp_a/1");
    }
}
