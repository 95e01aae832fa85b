//! A blocking Rust client of protocol v1 that does exactly what the browser does: fetch the
//! importer's config, start an import with an ephemeral P-256 key, derive the transport key, seal
//! each batch with its AAD, PUT it (retrying on network errors, 429 and 5xx with backoff, which
//! is safe because a replay answers the same), resume from the server's status, complete.
//!
//! ```no_run
//! use sluice_server::client::{Client, FileInfo};
//! use sluice_parser::import::{Import, ImportOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new("http://127.0.0.1:8080", "demo")?;
//! let config = client.config()?;
//! let mut import = Import::new(&config.schema()?, ImportOptions::default())?;
//! import.feed(b"email,name\nada@example.com,Ada\n")?;
//! import.finish()?;
//! let upload = client.start(&FileInfo::named("contacts.csv", 33), Default::default(), Default::default())?;
//! while let Some(batch) = import.next_batch() {
//!     upload.send(&batch)?;
//! }
//! let done = upload.complete_all()?;
//! println!("{} rows imported as {}", done.rows, done.import_id);
//! # Ok(())
//! # }
//! ```

mod error;
mod upload;

pub use error::ClientError;
pub use upload::{Ack, Answer, Completed, Resumable, Status, Upload};

use crate::crypto::{ClientHandshake, PublicKey};
use ring::rand::SystemRandom;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sluice_parser::schema::Schema;
use std::time::Duration;

/// A client of one importer on one server.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    importer: String,
    rng: SystemRandom,
}

/// An importer's public configuration.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicConfig {
    /// The protocol version.
    pub protocol: u32,
    /// The importer's key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Its schema, as JSON.
    pub schema: Value,
    /// The schema's digest, hex.
    pub schema_digest: String,
    /// `refuse` or `record`.
    pub invalid_rows: String,
    /// `leave_out`, `keep` or `ask`: whether the file's unmapped columns may be sent (absent
    /// from servers before the setting: `leave_out`).
    #[serde(default = "leave_out")]
    pub unmapped_columns: String,
    /// Its limits.
    pub limits: Limits,
    /// Whether its imports start only with a token the host app's server signed
    /// ([`Client::start_signed`]).
    #[serde(default)]
    pub signed_start: bool,
    /// Whether the widget may hand the rows to the host page (`onData` and its hooks).
    #[serde(default)]
    pub host_page_rows: bool,
    /// Whether the server takes rows (not when they go to the host page only; absent from
    /// servers before the setting: true).
    #[serde(default = "yes")]
    pub stores_rows: bool,
}

fn yes() -> bool {
    true
}

fn leave_out() -> String {
    "leave_out".to_owned()
}

/// An importer's limits, as the public config gives them.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Most rows in an import.
    pub max_rows: u64,
    /// Fewest rows an import may complete with (0: an empty import is allowed).
    pub min_rows: u64,
    /// Largest file.
    pub max_file_size: u64,
    /// Rows per batch.
    pub batch_rows: u32,
    /// Bytes of rows per batch.
    pub batch_bytes: u64,
    /// Largest request body.
    pub max_body: u64,
}

impl PublicConfig {
    /// The schema, ready for `sluice-parser`.
    pub fn schema(&self) -> Result<Schema, ClientError> {
        Schema::from_json(&self.schema.to_string())
            .map_err(|e| ClientError::Protocol(format!("the schema does not load: {e}")))
    }
}

/// What the client says about the file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileInfo {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its media type.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
}

impl FileInfo {
    /// A CSV file's name and size.
    pub fn named(name: &str, size: u64) -> FileInfo {
        FileInfo { name: Some(name.to_owned()), size: Some(size), media_type: Some("text/csv".to_owned()) }
    }
}

/// The server's answer to a new import.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    import_id: String,
    server_key: String,
    upload_token: String,
    schema_digest: String,
}

impl Client {
    /// A client of importer `importer` on the server at `base_url` (no trailing `/`).
    pub fn new(base_url: &str, importer: &str) -> Result<Client, ClientError> {
        Client::build(base_url, importer, None)
    }

    /// A client that trusts the PEM certificate `ca_pem` (a self-signed server, in tests).
    pub fn with_root_certificate(
        base_url: &str,
        importer: &str,
        ca_pem: &[u8],
    ) -> Result<Client, ClientError> {
        let cert = ureq::tls::Certificate::from_pem(ca_pem)
            .map_err(|e| ClientError::Protocol(format!("the certificate does not load: {e}")))?;
        Client::build(base_url, importer, Some(cert))
    }

    fn build(
        base_url: &str,
        importer: &str,
        root: Option<ureq::tls::Certificate<'static>>,
    ) -> Result<Client, ClientError> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(root) = root {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&[root]));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .tls_config(tls.build())
            .build()
            .into();
        let base = base_url.trim_end_matches('/').to_owned();
        Ok(Client { agent, base, importer: importer.to_owned(), rng: SystemRandom::new() })
    }

    /// The URL of `path` under the importer.
    fn url(&self, path: &str) -> String {
        format!("{}/v1/importers/{}{path}", self.base, self.importer)
    }

    /// The importer's public configuration.
    pub fn config(&self) -> Result<PublicConfig, ClientError> {
        let answer = upload::answer(self.agent.get(self.url("")).call())?;
        answer.ok()?.json()
    }

    /// Starts an import: the handshake, then the transport key.
    pub fn start(
        &self,
        file: &FileInfo,
        user: Map<String, Value>,
        attributes: Map<String, Value>,
    ) -> Result<Upload<'_>, ClientError> {
        self.begin(file, user, attributes, &[], None)
    }

    /// Starts an import of an importer that requires signed starts, with `token`, the start
    /// token the host app's server signed for this user and these attributes
    /// (`docs/protocol.md`, §4.8).
    pub fn start_signed(
        &self,
        file: &FileInfo,
        user: Map<String, Value>,
        attributes: Map<String, Value>,
        token: &str,
    ) -> Result<Upload<'_>, ClientError> {
        self.begin(file, user, attributes, &[], Some(token))
    }

    /// Starts an import with columns added to the importer's schema for it (as a host page's
    /// `setDynamicColumns` does); batches must then be made with the combined schema, whose
    /// digest the upload carries.
    pub fn start_with_columns(
        &self,
        file: &FileInfo,
        user: Map<String, Value>,
        attributes: Map<String, Value>,
        dynamic_columns: &[Value],
    ) -> Result<Upload<'_>, ClientError> {
        self.begin(file, user, attributes, dynamic_columns, None)
    }

    /// The handshake, with the columns and start token given, then the transport key.
    fn begin(
        &self,
        file: &FileInfo,
        user: Map<String, Value>,
        attributes: Map<String, Value>,
        dynamic_columns: &[Value],
        start_token: Option<&str>,
    ) -> Result<Upload<'_>, ClientError> {
        let (handshake, public) =
            ClientHandshake::new(&self.rng).map_err(|e| ClientError::Protocol(e.to_string()))?;
        let mut request =
            json!({ "clientKey": public.to_base64(), "file": file, "user": user, "attributes": attributes });
        if !dynamic_columns.is_empty() {
            request["dynamicColumns"] = Value::Array(dynamic_columns.to_vec());
        }
        if let Some(token) = start_token {
            request["startToken"] = token.into();
        }
        let answer = upload::answer(self.agent.post(self.url("/imports")).send_json(&request))?;
        let created: Created = answer.ok()?.json()?;
        let server_key = PublicKey::from_base64(&created.server_key)
            .map_err(|_| ClientError::Protocol("the server's key is not a P-256 public key".into()))?;
        let key = handshake
            .derive(server_key.as_bytes(), &created.import_id)
            .map_err(|_| ClientError::Protocol("the server's key is not on P-256".into()))?;
        let digest = hex32(&created.schema_digest)?;
        Ok(Upload::new(self, created.import_id, created.upload_token, key, digest))
    }

    /// Sends a raw PUT of a batch body, for tests of what the server refuses.
    pub fn put_raw(
        &self,
        import_id: &str,
        token: &str,
        sequence: u64,
        first_row: u64,
        row_count: u32,
        body: &[u8],
    ) -> Result<Answer, ClientError> {
        let request = self
            .agent
            .put(self.url(&format!("/imports/{import_id}/batches/{sequence}")))
            .header("authorization", &format!("Bearer {token}"))
            .header("sluice-first-row", &first_row.to_string())
            .header("sluice-row-count", &row_count.to_string())
            .header("content-type", "application/octet-stream");
        upload::answer(request.send(body))
    }
}

/// 32 bytes from 64 hex digits.
fn hex32(text: &str) -> Result<[u8; 32], ClientError> {
    let bad = || ClientError::Protocol("the schema digest is not 64 hex digits".into());
    if text.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = text.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(bad)?;
    }
    Ok(out)
}
