//! One import in progress on the client side: sealing and sending batches, status, completion.

use super::{Client, ClientError};
use crate::crypto::{BatchAad, TransportKey};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sluice_parser::batch::Batch;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;
use zeroize::Zeroizing;

/// How many times a batch is sent before giving up.
const ATTEMPTS: u32 = 6;

/// The first wait before a retry; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// An answer as it came: status, body, whether it was a replay.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
    /// Whether the server said `Sluice-Replayed: true`.
    pub replayed: bool,
    /// The `Content-Type`.
    pub content_type: String,
}

impl Answer {
    /// The answer if its status is 2xx, else its problem as an error.
    pub fn ok(self) -> Result<Answer, ClientError> {
        if (200..300).contains(&self.status) {
            return Ok(self);
        }
        let body: serde_json::Value = serde_json::from_slice(&self.body).unwrap_or_default();
        let text = |name: &str| body.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        Err(ClientError::Problem { status: self.status, code: text("code"), detail: text("detail"), body })
    }

    /// The body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ClientError::Protocol(format!("unexpected answer: {e}")))
    }
}

/// Reads a response into an [`Answer`].
pub(super) fn answer(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Answer, ClientError> {
    let mut response = response.map_err(|e| ClientError::Transport(e.to_string()))?;
    let header = |name: &str| {
        response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    };
    let replayed = header("sluice-replayed") == "true";
    let content_type = header("content-type");
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 << 20)
        .read_to_vec()
        .map_err(|e| ClientError::Transport(e.to_string()))?;
    Ok(Answer { status, body, replayed, content_type })
}

/// The server's acknowledgement of a batch.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    /// The batch's number.
    pub sequence: u64,
    /// Its first row.
    pub first_row: u64,
    /// Its rows.
    pub row_count: u32,
    /// Rows the server found invalid.
    pub invalid_rows: u32,
}

/// An import's state as the server tells it.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// `open`, `complete` or `expired`.
    pub status: String,
    /// The batches stored, in order.
    pub batches: Vec<Ack>,
    /// Rows stored.
    pub rows: u64,
    /// Rows found invalid.
    pub invalid_rows: u64,
    /// When the import expires unless completed (Unix seconds).
    pub expires_at: i64,
}

/// A completed import.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completed {
    /// The import.
    pub import_id: String,
    /// Batches stored.
    pub batches: u64,
    /// Rows stored.
    pub rows: u64,
    /// Rows found invalid.
    pub invalid_rows: u64,
}

/// An upload's state kept on the client to resume it: ids, token, transport key.
pub struct Resumable {
    /// The import's id.
    pub import_id: String,
    /// Its upload token.
    pub token: String,
    key: Zeroizing<[u8; 32]>,
    schema_digest: [u8; 32],
}

impl Resumable {
    /// The upload again, on `client`, knowing nothing yet of what is stored (see [`Upload::sync`]).
    pub fn resume<'c>(&self, client: &'c Client) -> Upload<'c> {
        let key = TransportKey::from_bytes(&self.key);
        Upload::new(client, self.import_id.clone(), self.token.clone(), key, self.schema_digest)
    }
}

/// An import being uploaded.
pub struct Upload<'c> {
    client: &'c Client,
    /// The import's id.
    pub import_id: String,
    /// Its upload token.
    pub token: String,
    key: TransportKey,
    schema_digest: [u8; 32],
    /// Row counts of the batches acknowledged, by number.
    acked: Mutex<BTreeMap<u64, u32>>,
}

impl<'c> Upload<'c> {
    pub(super) fn new(
        client: &'c Client,
        import_id: String,
        token: String,
        key: TransportKey,
        schema_digest: [u8; 32],
    ) -> Self {
        Upload { client, import_id, token, key, schema_digest, acked: Mutex::new(BTreeMap::new()) }
    }

    /// What to keep to resume this upload later, with another [`Client`] if the server moved.
    pub fn resumable(&self) -> Resumable {
        Resumable {
            import_id: self.import_id.clone(),
            token: self.token.clone(),
            key: self.key.to_bytes(),
            schema_digest: self.schema_digest,
        }
    }

    /// Takes the server's list of stored batches as acknowledged; returns their numbers.
    pub fn sync(&self) -> Result<Vec<u64>, ClientError> {
        let status = self.status()?;
        let mut acked = self
            .acked
            .lock()
            .map_err(|_| ClientError::Protocol("the acknowledgement record is poisoned".into()))?;
        acked.clear();
        acked.extend(status.batches.iter().map(|b| (b.sequence, b.row_count)));
        Ok(acked.keys().copied().collect())
    }

    /// Seals a batch (as `sluice-parser` wrote it) for the wire.
    pub fn seal(&self, batch: &[u8]) -> Result<(u64, u64, u32, Vec<u8>), ClientError> {
        let decoded = Batch::decode(batch).map_err(|e| ClientError::Protocol(format!("not a batch: {e}")))?;
        let aad = BatchAad {
            import_id: &self.import_id,
            sequence: decoded.sequence,
            first_row: decoded.first_row,
            row_count: decoded.row_count,
            schema_digest: self.schema_digest,
        };
        let body = self
            .key
            .seal_batch(&self.client.rng, &aad, batch)
            .map_err(|e| ClientError::Protocol(e.to_string()))?;
        Ok((decoded.sequence, decoded.first_row, decoded.row_count, body))
    }

    /// Seals any bytes under the AAD of the given batch place, without checking that they are a
    /// batch (for tests of what the server refuses).
    pub fn seal_raw(
        &self,
        sequence: u64,
        first_row: u64,
        row_count: u32,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, ClientError> {
        let aad = BatchAad {
            import_id: &self.import_id,
            sequence,
            first_row,
            row_count,
            schema_digest: self.schema_digest,
        };
        self.key
            .seal_batch(&self.client.rng, &aad, plaintext)
            .map_err(|e| ClientError::Protocol(e.to_string()))
    }

    /// Seals and sends a batch, retrying while that may help.
    pub fn send(&self, batch: &[u8]) -> Result<Ack, ClientError> {
        let (sequence, first_row, row_count, body) = self.seal(batch)?;
        let ack: Ack = self.put_with_retries(sequence, first_row, row_count, &body)?.json()?;
        if let Ok(mut acked) = self.acked.lock() {
            acked.insert(ack.sequence, ack.row_count);
        }
        Ok(ack)
    }

    /// PUTs a sealed body, retrying on network errors, 408, 429 and 5xx with backoff.
    pub fn put_with_retries(
        &self,
        sequence: u64,
        first_row: u64,
        row_count: u32,
        body: &[u8],
    ) -> Result<Answer, ClientError> {
        let mut wait = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let result = self
                .client
                .put_raw(&self.import_id, &self.token, sequence, first_row, row_count, body)
                .and_then(Answer::ok);
            match result {
                Err(e) if e.is_retryable() && attempt < ATTEMPTS => {
                    std::thread::sleep(wait);
                    wait *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// What the server has stored.
    pub fn status(&self) -> Result<Status, ClientError> {
        let request = self.client.agent.get(self.client.url(&format!("/imports/{}", self.import_id)));
        let request = request.header("authorization", &format!("Bearer {}", self.token));
        answer(request.call())?.ok()?.json()
    }

    /// Completes the import, saying how many batches and rows were sent.
    pub fn complete(&self, batches: u64, rows: u64) -> Result<Completed, ClientError> {
        self.complete_raw(&serde_json::json!({ "batches": batches, "rows": rows }))?.ok()?.json()
    }

    /// Sends `body` as the completion request as it is (`{"batches", "rows", "mapping",
    /// "hostPageRows"}`, docs/protocol.md §3), and returns the server's answer whatever it is.
    pub fn complete_raw(&self, body: &serde_json::Value) -> Result<Answer, ClientError> {
        let request =
            self.client.agent.post(self.client.url(&format!("/imports/{}/complete", self.import_id)));
        let request = request.header("authorization", &format!("Bearer {}", self.token));
        answer(request.send_json(body))
    }

    /// Completes the import with the counts of every batch acknowledged to this client.
    pub fn complete_all(&self) -> Result<Completed, ClientError> {
        let (batches, rows) = match self.acked.lock() {
            Ok(acked) => (acked.len() as u64, acked.values().map(|&r| u64::from(r)).sum()),
            Err(_) => return Err(ClientError::Protocol("the acknowledgement record is poisoned".into())),
        };
        self.complete(batches, rows)
    }
}
