//! `[storage.blobs]`: an object store for sealed batches, an S3-compatible bucket under a key
//! prefix (`s3://bucket/prefix`) or a folder on a mounted volume (`file:///path`). The access
//! keys come from the environment, read at load, and never print.

use super::bucket::{parse_bucket, parse_endpoint, parse_env_name, parse_prefix};
use super::error::Report;
use super::reader::Table;
use super::secret::Secret;
use super::storage::{from_env, refuse_written};
use std::path::PathBuf;
use url::Url;

/// The fields of `[storage.blobs]`.
pub(super) const BLOB_FIELDS: &[&str] = &["url", "endpoint", "region", "access_key_env", "secret_key_env"];

/// The fields of `[storage.blobs]` that only an `s3://` URL reads.
const S3_FIELDS: &[&str] = &["endpoint", "region", "access_key_env", "secret_key_env"];

/// `[storage.blobs]`, checked.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BlobSettings {
    /// An S3-compatible bucket (`s3://bucket/prefix`).
    S3(S3BlobSettings),
    /// A folder on a mounted volume (`file:///path`).
    Folder(PathBuf),
}

impl BlobSettings {
    /// Where it is, without credentials.
    pub fn describe(&self) -> String {
        match self {
            BlobSettings::S3(s3) => s3.describe(),
            BlobSettings::Folder(root) => format!("file://{}", root.display()),
        }
    }
}

/// A bucket for sealed batches, and the keys to it.
#[derive(Clone, Debug)]
pub struct S3BlobSettings {
    /// The bucket's name.
    pub bucket: String,
    /// What every key starts with: empty, or ending in `/`.
    pub prefix: String,
    /// An S3-compatible service's URL (requests are then path-style); `None` is AWS, reached
    /// at `https://s3.<region>.amazonaws.com` with virtual-host requests.
    pub endpoint: Option<String>,
    /// The region requests are signed for (default `us-east-1`).
    pub region: String,
    /// The access key id.
    pub access_key_id: Secret,
    /// The secret access key.
    pub secret_access_key: Secret,
    /// A temporary session's token (`AWS_SESSION_TOKEN`), when set.
    pub session_token: Option<Secret>,
}

impl S3BlobSettings {
    /// `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }

    /// The URL, and the endpoint when not AWS.
    pub fn describe(&self) -> String {
        match &self.endpoint {
            Some(endpoint) => format!("{} at {endpoint}", self.url()),
            None => self.url(),
        }
    }
}

/// Where `[storage.blobs]` points.
enum BlobUrl {
    S3 { bucket: String, prefix: String },
    Folder(PathBuf),
}

pub(super) fn read(
    t: &Table<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report<'_>,
) -> Option<BlobSettings> {
    if !t.require("url", "\"s3://bucket/prefix\"", report) {
        return None;
    }
    match t.parsed("url", "expected a string", report, parse_blob_url)?.value {
        BlobUrl::Folder(root) => {
            refuse_written(t, S3_FIELDS, "only for an s3:// URL", report);
            Some(BlobSettings::Folder(root))
        }
        BlobUrl::S3 { bucket, prefix } => read_s3(t, bucket, prefix, env, report).map(BlobSettings::S3),
    }
}

/// `s3://bucket/prefix` or `file:///path`. Messages never repeat the URL.
fn parse_blob_url(text: &str) -> Result<BlobUrl, String> {
    let url = Url::parse(text).map_err(|e| {
        format!("expected a URL such as \"s3://bucket/prefix\" or \"file:///var/lib/sluice/blobs\": {e}")
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must have no query (?…) or fragment (#…)".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must hold no credentials: they come from the environment".to_owned());
    }
    match url.scheme() {
        "s3" => {
            let bucket = parse_bucket(url.host_str().unwrap_or_default())?;
            let path = url.path().trim_start_matches('/');
            if path.contains('%') {
                return Err(
                    "the prefix must be plain: letters, digits and punctuation other than %".to_owned()
                );
            }
            Ok(BlobUrl::S3 { bucket, prefix: parse_prefix(path)? })
        }
        "file" => match url.host_str() {
            None | Some("" | "localhost") => url
                .to_file_path()
                .map(BlobUrl::Folder)
                .map_err(|()| "expected an absolute path, such as file:///var/lib/sluice/blobs".to_owned()),
            Some(_) => Err("a file:// URL names a folder on this machine: file:///path".to_owned()),
        },
        other => Err(format!("unknown scheme {other:?}: expected s3:// or file://")),
    }
}

fn read_s3(
    t: &Table<'_>,
    bucket: String,
    prefix: String,
    env: &dyn Fn(&str) -> Option<String>,
    report: &mut Report<'_>,
) -> Option<S3BlobSettings> {
    let endpoint = t.parsed("endpoint", "expected a string", report, |e| parse_endpoint(e, true));
    let region = t.string("region", report).map_or_else(|| "us-east-1".to_owned(), |r| r.value);
    let variable = |key: &str, default: &str, report: &mut Report<'_>| {
        let name = t.parsed(key, "expected a string", report, parse_env_name);
        name.unwrap_or_else(|| t.default(key, default.to_owned()))
    };
    let access = variable("access_key_env", "AWS_ACCESS_KEY_ID", report);
    let secret = variable("secret_key_env", "AWS_SECRET_ACCESS_KEY", report);
    let access_key_id = from_env(&access, env, report);
    let secret_access_key = from_env(&secret, env, report);
    // A session token belongs to the AWS keys of the usual variables, not to other keys named.
    let session_token = (access.value == "AWS_ACCESS_KEY_ID")
        .then(|| env("AWS_SESSION_TOKEN"))
        .flatten()
        .filter(|token| !token.trim().is_empty())
        .map(Secret::new);
    Some(S3BlobSettings {
        bucket,
        prefix,
        endpoint: endpoint.map(|e| e.value),
        region,
        access_key_id: access_key_id?,
        secret_access_key: secret_access_key?,
        session_token,
    })
}

#[cfg(test)]
mod tests {
    use super::super::storage::tests::{ENV, POSTGRES, load_env};
    use super::*;
    use std::path::Path;

    #[test]
    fn blobs_take_other_credential_variables_an_endpoint_a_region_or_a_folder() {
        let text = format!(
            "{POSTGRES}[storage.blobs]\nurl = \"s3://batches\"\nendpoint = \"http://minio.internal:9000/\"\n\
             region = \"eu-west-3\"\naccess_key_env = \"MINIO_KEY\"\nsecret_key_env = \"MINIO_SECRET\"\n"
        );
        let env =
            [ENV, &[("MINIO_KEY", "mk"), ("MINIO_SECRET", "ms"), ("AWS_SESSION_TOKEN", "tok")]].concat();
        let config = load_env(&text, Path::new("/srv"), &env).unwrap();
        let Some(BlobSettings::S3(s3)) = &config.storage.blobs else { panic!("s3") };
        assert_eq!((s3.access_key_id.expose(), s3.secret_access_key.expose()), ("mk", "ms"));
        assert_eq!((s3.prefix.as_str(), s3.region.as_str()), ("", "eu-west-3"));
        assert_eq!(s3.describe(), "s3://batches/ at http://minio.internal:9000");
        assert!(s3.session_token.is_none(), "the session token goes with the usual AWS keys only");

        let text = format!("{POSTGRES}[storage.blobs]\nurl = \"file:///var/lib/sluice/blobs\"\n");
        let config = load_env(&text, Path::new("/srv"), ENV).unwrap();
        let Some(BlobSettings::Folder(root)) = &config.storage.blobs else { panic!("folder") };
        assert_eq!(root, Path::new("/var/lib/sluice/blobs"));
    }

    #[test]
    fn bad_blob_settings_are_errors_naming_the_key() {
        let cases = [
            (
                "url = \"gs://bucket\"",
                "storage.blobs.url",
                "unknown scheme \"gs\": expected s3:// or file://",
            ),
            ("url = \"s3://Bucket\"", "storage.blobs.url", "expected a bucket name"),
            ("url = \"s3://key:secret@bucket\"", "storage.blobs.url", "must hold no credentials"),
            ("url = \"s3://bucket?x=1\"", "storage.blobs.url", "must have no query"),
            ("url = \"file://host/path\"", "storage.blobs.url", "names a folder on this machine"),
            (
                "url = \"file:///b\"\nendpoint = \"http://x\"",
                "storage.blobs.endpoint",
                "only for an s3:// URL",
            ),
            (
                "url = \"s3://bucket\"\nendpoint = \"minio\"",
                "storage.blobs.endpoint",
                "the endpoint is not a URL",
            ),
            (
                "url = \"s3://bucket\"\naccess_key_env = \"MISSING\"",
                "storage.blobs.access_key_env",
                "MISSING is not set",
            ),
            (
                "url = \"s3://bucket\"\ncolour = 1",
                "storage.blobs.colour",
                "unknown field; expected one of: url",
            ),
            ("endpoint = \"http://x\"", "storage.blobs.url", "is missing: add url = "),
        ];
        for (blobs, field, message) in cases {
            let text = format!("{POSTGRES}[storage.blobs]\n{blobs}\n");
            let errors = load_env(&text, Path::new("/srv"), ENV).unwrap_err();
            let [error] = errors.as_slice() else { panic!("{blobs}: {errors}") };
            assert_eq!(error.field, field, "{error}");
            assert!(error.message.contains(message), "{error}");
            assert!(!errors.to_string().contains("wJalrXUtnFEMI"), "{errors}");
        }
        let errors = load_env(
            &format!("{POSTGRES}[storage.blobs]\nurl = \"s3://bucket\"\n"),
            Path::new("/srv"),
            &ENV[..2],
        )
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["storage.blobs.access_key_env", "storage.blobs.secret_key_env"], "{errors}");
    }
}
