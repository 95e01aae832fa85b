//! `type = "s3"` destinations: each import written as one JSON-lines (or CSV) object into an
//! S3-compatible bucket, with a manifest beside it. The credentials come from environment
//! variables (by default the usual `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`), never from
//! the file.

use super::destination::{Delivery, read_delivery, read_timeout};
use super::error::Report;
use super::net::HttpUrl;
use super::reader::Table;
use super::secret::Secret;
use std::time::Duration;

/// An S3-compatible bucket.
#[derive(Clone, Debug)]
pub struct S3Bucket {
    /// The service's URL: `https://…`, or `http://…` with `allow_private_network`.
    pub endpoint: String,
    /// The bucket.
    pub bucket: String,
    /// The region requests are signed for (default `us-east-1`).
    pub region: String,
    /// What object keys start with (default none): keys are `<prefix><importer>/<import>.jsonl`
    /// (or `.csv`).
    pub prefix: String,
    /// How the rows' object is written (default JSON lines).
    pub format: ObjectFormat,
    /// Path-style URLs (`endpoint/bucket/key`, MinIO and most self-hosted services; default
    /// false: `bucket.endpoint/key`).
    pub path_style: bool,
    /// The environment variable holding the access key id.
    pub access_key_id_env: String,
    /// The environment variable holding the secret access key.
    pub secret_access_key_env: String,
    /// The keys themselves, for a bucket set up in the dashboard (sealed at rest there); never
    /// from the configuration file. Used before the environment variables.
    pub credentials: Option<S3Credentials>,
    /// Whether the endpoint may resolve to this machine or a private network (default false).
    pub allow_private_network: bool,
    /// Imports written one at a time or several at once.
    pub delivery: Delivery,
    /// The longest one request may take (each part is one request).
    pub timeout: Duration,
}

/// How an import's rows are written into its object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectFormat {
    /// One JSON object per line, as the webhook writes a row (`"jsonl"`).
    #[default]
    JsonLines,
    /// CSV with a header row: `row`, `invalid`, the schema's keys, then the kept columns'
    /// headers (`"csv"`).
    Csv,
}

impl ObjectFormat {
    /// The format's name, as written in the configuration and the manifest, and the key's suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectFormat::JsonLines => "jsonl",
            ObjectFormat::Csv => "csv",
        }
    }
}

/// An access key given in the dashboard.
#[derive(Clone, Debug)]
pub struct S3Credentials {
    /// The access key id (not a secret: it names the key).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: Secret,
}

/// The fields of an `s3` destination.
pub(super) const FIELDS: &[&str] = &[
    "endpoint",
    "bucket",
    "region",
    "prefix",
    "format",
    "path_style",
    "access_key_id_env",
    "secret_access_key_env",
    "allow_private_network",
    "delivery",
    "parallelism",
    "timeout",
];

/// Reads an `s3` destination.
pub(super) fn read(t: &Table<'_>, report: &mut Report<'_>) -> Option<S3Bucket> {
    let private = t.boolean("allow_private_network", report).is_some_and(|a| a.value);
    let has_endpoint = t.require("endpoint", "\"https://s3.eu-west-1.amazonaws.com\"", report);
    let has_bucket = t.require("bucket", "\"imports\"", report);
    let endpoint = has_endpoint
        .then(|| t.parsed("endpoint", "expected a string", report, |e| parse_endpoint(e, private)))??;
    let bucket = has_bucket.then(|| t.parsed("bucket", "expected a string", report, parse_bucket))??;
    let region = t.string("region", report).map_or_else(|| "us-east-1".to_owned(), |r| r.value);
    let prefix =
        t.parsed("prefix", "expected a string", report, parse_prefix).map_or_else(String::new, |p| p.value);
    let path_style = t.boolean("path_style", report).is_some_and(|p| p.value);
    let format = t
        .parsed("format", "expected a string", report, |format| match format {
            "jsonl" => Ok(ObjectFormat::JsonLines),
            "csv" => Ok(ObjectFormat::Csv),
            _ => Err("expected \"jsonl\" or \"csv\"".to_owned()),
        })
        .map_or(ObjectFormat::default(), |f| f.value);
    let env = |key: &str, default: &str, report: &mut Report<'_>| {
        t.parsed(key, "expected a string", report, parse_env_name)
            .map_or_else(|| default.to_owned(), |v| v.value)
    };
    let access_key_id_env = env("access_key_id_env", "AWS_ACCESS_KEY_ID", report);
    let secret_access_key_env = env("secret_access_key_env", "AWS_SECRET_ACCESS_KEY", report);
    Some(S3Bucket {
        endpoint: endpoint.value,
        bucket: bucket.value,
        region,
        prefix,
        format,
        path_style,
        access_key_id_env,
        secret_access_key_env,
        credentials: None,
        allow_private_network: private,
        delivery: read_delivery(t, report),
        timeout: read_timeout(t, report),
    })
}

/// An `https://` URL, or `http://` with `allow_private_network`; the message never repeats it.
pub(super) fn parse_endpoint(text: &str, allow_private_network: bool) -> Result<String, String> {
    let url = HttpUrl::parse(text).map_err(|reason| format!("the endpoint is not a URL: {reason}"))?;
    if !url.is_https() && !allow_private_network {
        return Err(
            "the endpoint must be https:// (plain http:// only with allow_private_network)".to_owned()
        );
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// S3's bucket names: 3 to 63 of lowercase letters, digits, `-` and `.`.
pub(super) fn parse_bucket(text: &str) -> Result<String, String> {
    let good = (3..=63).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !good {
        return Err("expected a bucket name: 3 to 63 lowercase letters, digits, '-' and '.'".to_owned());
    }
    Ok(text.to_owned())
}

/// A key prefix: printable ASCII without a leading `/`; a `/` is added at its end if missing.
pub(super) fn parse_prefix(text: &str) -> Result<String, String> {
    if text.starts_with('/') || !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "expected a key prefix such as \"sluice/\": printable ASCII, not starting with '/'".to_owned()
        );
    }
    Ok(if text.is_empty() || text.ends_with('/') { text.to_owned() } else { format!("{text}/") })
}

/// An environment variable's name: letters, digits and `_`, not starting with a digit.
pub(super) fn parse_env_name(text: &str) -> Result<String, String> {
    let first_ok = text.bytes().next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if !first_ok || !text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err("expected the name of an environment variable, such as \"CRM_DB_PASSWORD\"".to_owned());
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_buckets_and_prefixes_are_checked() {
        assert!(parse_endpoint("https://s3.eu-west-1.amazonaws.com", false).is_ok());
        assert!(parse_endpoint("http://127.0.0.1:9000", false).is_err());
        assert_eq!(parse_endpoint("http://127.0.0.1:9000/", true).unwrap(), "http://127.0.0.1:9000");
        assert!(parse_bucket("imports-2026").is_ok());
        assert!(parse_bucket("Imports").is_err() && parse_bucket("ab").is_err());
        assert_eq!(parse_prefix("sluice").unwrap(), "sluice/");
        assert_eq!(parse_prefix("").unwrap(), "");
        assert!(parse_prefix("/abs").is_err() && parse_prefix("a b").is_err());
    }
}
