//! Talking to an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, moto, …): the half of the S3
//! destination that writes objects, shared with the object store for sealed batches
//! (`store::blobs::s3`), which also reads and lists them.
//!
//! Requests are signed with AWS Signature Version 4 by `rusty-s3` (presigned for a minute) and
//! sent with `ureq` under the network rules every kind follows (`super::super::network`). An object of any size is written with a multipart upload as its bytes come
//! ([`Upload`]): parts of [`PART_BYTES`] are sent as they fill, so memory stays one part however
//! large the import; an upload that does not finish is aborted, so the bucket keeps no orphaned
//! parts (a crash mid-upload leaves them to the bucket's lifecycle rule for incomplete uploads,
//! which operators should set; `docs/server.md` says so). Errors name the operation, the HTTP
//! status and S3's error code, never an object's content.

use super::super::network;
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use std::fmt;
use std::time::Duration;

/// The size of each part of a multipart upload but the last (S3's least is 5 MiB).
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// How long a presigned request stays valid.
const SIGNED_FOR: Duration = Duration::from_secs(60);

/// The most bytes of an error response read to find S3's error code.
const MAX_ERROR_BODY: u64 = 16 * 1024;

/// A bucket and the credentials to write into it.
pub struct S3Target {
    bucket: Bucket,
    credentials: Credentials,
    agent: ureq::Agent,
}

/// Where a bucket is and how to reach it.
pub struct BucketConfig<'a> {
    /// The service's URL, such as `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:9000`.
    pub endpoint: &'a str,
    /// The bucket's name.
    pub bucket: &'a str,
    /// The region the requests are signed for (`us-east-1` where the service has none).
    pub region: &'a str,
    /// Path-style URLs (`endpoint/bucket/key`, which MinIO and most self-hosted services need)
    /// rather than virtual-host ones (`bucket.endpoint/key`).
    pub path_style: bool,
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The longest one request may take.
    pub timeout: Duration,
    /// Whether the endpoint may resolve to this machine or a private network.
    pub allow_private_network: bool,
}

/// Why a request to the bucket failed.
#[derive(Debug, PartialEq, Eq)]
pub enum S3Error {
    /// The service answered with an error status.
    Status {
        /// What was asked, such as `UploadPart`.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// S3's error code (`NoSuchBucket`, `AccessDenied`, `SlowDown`, …), when the body had one.
        code: Option<String>,
    },
    /// No answer: the connection failed or timed out.
    Transport {
        /// What was asked.
        operation: &'static str,
        /// What went wrong, without the URL.
        message: String,
    },
    /// An answer that is not what S3 sends.
    Protocol {
        /// What was asked.
        operation: &'static str,
        /// What was wrong with it.
        message: String,
    },
}

impl S3Error {
    /// Whether the same request may succeed later without anyone changing anything: no
    /// answer, a 5xx, 429, or S3's `SlowDown`/`RequestTimeout`.
    pub fn is_transient(&self) -> bool {
        match self {
            S3Error::Transport { .. } => true,
            S3Error::Status { status, code, .. } => {
                *status >= 500
                    || *status == 429
                    || code.as_deref().is_some_and(|c| matches!(c, "SlowDown" | "RequestTimeout"))
            }
            S3Error::Protocol { .. } => false,
        }
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            S3Error::Status { operation, status, code: Some(code) } => {
                write!(f, "S3 {operation}: HTTP {status}, {code}")
            }
            S3Error::Status { operation, status, code: None } => write!(f, "S3 {operation}: HTTP {status}"),
            S3Error::Transport { operation, message } => write!(f, "S3 {operation}: {message}"),
            S3Error::Protocol { operation, message } => write!(f, "S3 {operation}: {message}"),
        }
    }
}

impl std::error::Error for S3Error {}

impl S3Target {
    /// A target for `config`; the endpoint must be an `http` or `https` URL with a host.
    pub fn new(config: &BucketConfig<'_>) -> Result<S3Target, String> {
        let endpoint = config.endpoint.parse().map_err(|e| format!("the endpoint is not a URL: {e}"))?;
        let style = if config.path_style { UrlStyle::Path } else { UrlStyle::VirtualHost };
        let bucket = Bucket::new(endpoint, style, config.bucket.to_owned(), config.region.to_owned())
            .map_err(|e| format!("the bucket cannot be reached this way: {e}"))?;
        let credentials = Credentials::new(config.access_key_id, config.secret_access_key);
        let user_agent = concat!("Sluice-S3/", env!("CARGO_PKG_VERSION"));
        let agent = network::http_agent(config.timeout, config.allow_private_network, user_agent);
        Ok(S3Target { bucket, credentials, agent })
    }

    /// Writes a whole object in one request (for small ones, such as a manifest).
    pub fn put(&self, key: &str, body: &[u8], content_type: &str) -> Result<(), S3Error> {
        let mut action = self.bucket.put_object(Some(&self.credentials), key);
        action.headers_mut().insert("content-type", content_type.to_owned());
        let url = action.sign(SIGNED_FOR);
        let response = self.agent.put(url.as_str()).header("content-type", content_type).send(body);
        expect_ok("PutObject", response).map(drop)
    }

    /// The same target, signing with a temporary session token as well (`AWS_SESSION_TOKEN`).
    pub fn with_session_token(mut self, token: &str) -> S3Target {
        let (key, secret) = (self.credentials.key(), self.credentials.secret());
        self.credentials = Credentials::new_with_token(key, secret, token);
        self
    }

    /// Deletes an object (the test-destination check's).
    pub fn delete(&self, key: &str) -> Result<(), S3Error> {
        let url = self.bucket.delete_object(Some(&self.credentials), key).sign(SIGNED_FOR);
        expect_ok("DeleteObject", self.agent.delete(url.as_str()).call()).map(drop)
    }

    /// Reads a whole object (what the test-destination check and the tests read back).
    pub fn get(&self, key: &str) -> Result<Vec<u8>, S3Error> {
        let url = self.bucket.get_object(Some(&self.credentials), key).sign(SIGNED_FOR);
        let mut response = expect_ok("GetObject", self.agent.get(url.as_str()).call())?;
        response
            .body_mut()
            .with_config()
            .limit(u64::MAX)
            .read_to_vec()
            .map_err(|e| S3Error::Transport { operation: "GetObject", message: e.to_string() })
    }

    /// One page of the keys starting with `prefix`, in key order: the first page, or the one
    /// after `continuation` (the previous page's [`ListPage::next`]).
    pub fn list(&self, prefix: &str, continuation: Option<&str>) -> Result<ListPage, S3Error> {
        let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
        action.with_prefix(prefix);
        if let Some(token) = continuation {
            action.with_continuation_token(token);
        }
        let url = action.sign(SIGNED_FOR);
        let response = expect_ok("ListObjectsV2", self.agent.get(url.as_str()).call())?;
        parse_list_page(&read_text("ListObjectsV2", response)?)
    }

    /// Starts writing the object `key` (of any size) with a multipart upload.
    pub fn upload(&self, key: &str, content_type: &str) -> Result<Upload<'_>, S3Error> {
        let mut action = self.bucket.create_multipart_upload(Some(&self.credentials), key);
        action.headers_mut().insert("content-type", content_type.to_owned());
        let url = action.sign(SIGNED_FOR);
        let response = self.agent.post(url.as_str()).header("content-type", content_type).send_empty();
        let body = read_text("CreateMultipartUpload", expect_ok("CreateMultipartUpload", response)?)?;
        let created = CreateMultipartUpload::parse_response(&body).map_err(|e| S3Error::Protocol {
            operation: "CreateMultipartUpload",
            message: format!("the answer is not an upload: {e}"),
        })?;
        Ok(Upload {
            target: self,
            key: key.to_owned(),
            upload_id: created.upload_id().to_owned(),
            part: Vec::with_capacity(PART_BYTES),
            etags: Vec::new(),
            bytes: 0,
            done: false,
        })
    }
}

/// One page of a listing.
#[derive(Debug, PartialEq, Eq)]
pub struct ListPage {
    /// The keys, in key order (S3 lists in the byte order of their UTF-8).
    pub keys: Vec<String>,
    /// The token that asks for the next page, when there is one.
    pub next: Option<String>,
}

/// An object being written part by part; aborted when dropped unfinished.
pub struct Upload<'t> {
    target: &'t S3Target,
    key: String,
    upload_id: String,
    part: Vec<u8>,
    etags: Vec<String>,
    bytes: u64,
    done: bool,
}

impl Upload<'_> {
    /// Adds bytes to the object, sending each part as it fills.
    pub fn write(&mut self, mut bytes: &[u8]) -> Result<(), S3Error> {
        while !bytes.is_empty() {
            let room = PART_BYTES - self.part.len();
            let (now, rest) = bytes.split_at(room.min(bytes.len()));
            self.part.extend_from_slice(now);
            bytes = rest;
            if self.part.len() == PART_BYTES {
                self.send_part()?;
            }
        }
        Ok(())
    }

    /// Sends the last part and completes the object; returns its size in bytes.
    pub fn finish(mut self) -> Result<u64, S3Error> {
        if !self.part.is_empty() || self.etags.is_empty() {
            self.send_part()?;
        }
        let target = self.target;
        let etags = self.etags.iter().map(String::as_str);
        let action = target.bucket.complete_multipart_upload(
            Some(&target.credentials),
            &self.key,
            &self.upload_id,
            etags,
        );
        let url = action.sign(SIGNED_FOR);
        let response = target.agent.post(url.as_str()).send(action.body());
        let body = read_text("CompleteMultipartUpload", expect_ok("CompleteMultipartUpload", response)?)?;
        // S3 may answer 200 and put its error in the body.
        if body.contains("<Error>") {
            return Err(S3Error::Status {
                operation: "CompleteMultipartUpload",
                status: 200,
                code: error_code(&body),
            });
        }
        self.done = true;
        Ok(self.bytes)
    }

    fn send_part(&mut self) -> Result<(), S3Error> {
        let number = u16::try_from(self.etags.len() + 1).map_err(|_| S3Error::Protocol {
            operation: "UploadPart",
            message: "an object has at most 10,000 parts".to_owned(),
        })?;
        let target = self.target;
        let url = target
            .bucket
            .upload_part(Some(&target.credentials), &self.key, number, &self.upload_id)
            .sign(SIGNED_FOR);
        let response = expect_ok("UploadPart", target.agent.put(url.as_str()).send(&self.part[..]))?;
        let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).ok_or(S3Error::Protocol {
            operation: "UploadPart",
            message: "the answer has no ETag".to_owned(),
        })?;
        self.etags.push(etag.to_owned());
        self.bytes += self.part.len() as u64;
        self.part.clear();
        Ok(())
    }
}

impl Drop for Upload<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let target = self.target;
        let url = target
            .bucket
            .abort_multipart_upload(Some(&target.credentials), &self.key, &self.upload_id)
            .sign(SIGNED_FOR);
        if let Err(e) = expect_ok("AbortMultipartUpload", target.agent.delete(url.as_str()).call()) {
            tracing::warn!(error = %e, "an unfinished upload could not be aborted; the bucket's lifecycle rule will remove its parts");
        }
    }
}

/// The response when it is a 2xx, or the error it says.
fn expect_ok(
    operation: &'static str,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<ureq::http::Response<ureq::Body>, S3Error> {
    let mut response =
        response.map_err(|e| S3Error::Transport { operation, message: transport_message(&e) })?;
    let status = response.status().as_u16();
    if (200..300).contains(&status) {
        return Ok(response);
    }
    let body = response.body_mut().with_config().limit(MAX_ERROR_BODY).read_to_string().unwrap_or_default();
    Err(S3Error::Status { operation, status, code: error_code(&body) })
}

fn read_text(
    operation: &'static str,
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<String, S3Error> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_ERROR_BODY * 64)
        .read_to_string()
        .map_err(|e| S3Error::Transport { operation, message: transport_message(&e) })
}

/// A `ListObjectsV2` answer. `rusty-s3` reads the XML: it decodes the URL-encoded keys it asked
/// for, and refuses a truncated page without a continuation token, which would end a listing
/// early without a word.
fn parse_list_page(body: &str) -> Result<ListPage, S3Error> {
    let page = ListObjectsV2::parse_response(body).map_err(|e| S3Error::Protocol {
        operation: "ListObjectsV2",
        message: format!("the answer is not a listing: {e}"),
    })?;
    let keys = page.contents.into_iter().map(|object| object.key).collect();
    Ok(ListPage { keys, next: page.next_continuation_token })
}

/// S3's `<Code>…</Code>` from an error body, when it is a plain word.
fn error_code(body: &str) -> Option<String> {
    let start = body.find("<Code>")? + "<Code>".len();
    let code = &body[start..start + body[start..].find("</Code>")?];
    code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.').then(|| code.to_owned())
}

/// What went wrong with a connection, without the URL (a presigned URL holds a signature).
fn transport_message(e: &ureq::Error) -> String {
    match e {
        e if network::is_refused(e) => network::PRIVATE.to_owned(),
        ureq::Error::Io(io) => format!("the connection failed: {}", io.kind()),
        ureq::Error::Timeout(_) => "the request timed out".to_owned(),
        ureq::Error::HostNotFound => "the endpoint's host was not found".to_owned(),
        ureq::Error::ConnectionFailed => "the connection failed".to_owned(),
        _ => "the request failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_read_from_s3s_bodies_and_nothing_else() {
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>x</Message></Error>";
        assert_eq!(error_code(body).as_deref(), Some("NoSuchBucket"));
        assert_eq!(error_code("<Code>not a <b>code</b></Code>"), None);
        assert_eq!(error_code("plain text"), None);
    }

    /// A page as S3 writes it, with `encoding-type=url` as `rusty-s3` asks.
    fn listing(keys: &[&str], truncated: bool, token: Option<&str>) -> String {
        let contents: String = keys
            .iter()
            .map(|key| format!("<Contents><Key>{key}</Key><Size>3</Size><ETag>\"e\"</ETag></Contents>"))
            .collect();
        let token =
            token.map_or_else(String::new, |t| format!("<NextContinuationToken>{t}</NextContinuationToken>"));
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Name>b</Name><Prefix>p/</Prefix><KeyCount>{}</KeyCount><MaxKeys>1000</MaxKeys>\
             <EncodingType>url</EncodingType><IsTruncated>{truncated}</IsTruncated>{contents}{token}\
             </ListBucketResult>",
            keys.len()
        )
    }

    #[test]
    fn a_listing_gives_its_keys_decoded_and_the_token_of_the_next_page() {
        let body = listing(&["p/imp_a/1.f", "p/a%20b%2Bc/%C3%A9"], true, Some("1%2Fnext=="));
        let page = parse_list_page(&body).unwrap();
        assert_eq!(page.keys, ["p/imp_a/1.f", "p/a b+c/é"]);
        assert_eq!(page.next.as_deref(), Some("1%2Fnext=="), "the token is passed back as given");

        let last = parse_list_page(&listing(&["p/x"], false, None)).unwrap();
        assert_eq!((last.keys.len(), last.next), (1, None));
        let empty = parse_list_page(&listing(&[], false, None)).unwrap();
        assert_eq!(empty, ListPage { keys: Vec::new(), next: None });
    }

    #[test]
    fn a_truncated_listing_without_a_token_and_what_is_not_a_listing_are_refused() {
        for body in [listing(&["p/x"], true, None), "<Error><Code>x</Code></Error>".to_owned(), String::new()]
        {
            let error = parse_list_page(&body).unwrap_err();
            assert!(matches!(error, S3Error::Protocol { operation: "ListObjectsV2", .. }), "{error}");
        }
    }

    #[test]
    fn slow_downs_and_server_errors_are_worth_another_try_and_refusals_are_not() {
        let status = |status, code: Option<&str>| S3Error::Status {
            operation: "PutObject",
            status,
            code: code.map(str::to_owned),
        };
        assert!(status(503, Some("SlowDown")).is_transient());
        assert!(status(500, None).is_transient());
        assert!(status(400, Some("RequestTimeout")).is_transient());
        assert!(!status(403, Some("AccessDenied")).is_transient());
        assert!(!status(404, Some("NoSuchBucket")).is_transient());
    }
}
