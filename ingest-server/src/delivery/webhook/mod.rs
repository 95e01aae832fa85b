//! The webhook kind of destination: each message is POSTed as JSON (`import.rows`,
//! `import.completed`, see `docs/webhooks.md`), signed with the Standard Webhooks scheme, its
//! `webhook-id` the message's id on every attempt.
//!
//! - `body`: the JSON bodies, built from the import's sealed batches;
//! - [`sign`]: signatures, and a verifier for receivers;
//! - `send`: one attempt over HTTP and how its answer is classified.

mod body;
mod send;
pub mod sign;

use super::destination::{Destination, Failure, Outcome, Probe};
use super::network;
use super::now_ms;
use super::rows::rfc3339;
use super::source::{ImportReader, SourceError};
use crate::config::Webhook;
use crate::store::Message;
use ring::hmac;

/// A configured webhook, ready to send: its signing key and its HTTP client.
pub struct WebhookDestination {
    url: String,
    key: hmac::Key,
    /// The key of the secret before a rotation, and until when (Unix seconds) it signs too.
    previous: Option<(hmac::Key, i64)>,
    agent: ureq::Agent,
}

impl WebhookDestination {
    /// Opens `hook`: decodes its secret (and the one it was rotated from), builds its client.
    pub fn open(hook: &Webhook) -> Result<Self, WebhookError> {
        let key = sign::signing_key(hook.secret.expose()).map_err(WebhookError::Secret)?;
        let previous = match &hook.previous {
            Some(old) => {
                Some((sign::signing_key(old.secret.expose()).map_err(WebhookError::Secret)?, old.until))
            }
            None => None,
        };
        let user_agent = concat!("Sluice-Webhooks/", env!("CARGO_PKG_VERSION"));
        let agent = network::http_agent(hook.timeout, hook.allow_private_network, user_agent);
        Ok(WebhookDestination { url: hook.url.clone(), key, previous, agent })
    }

    /// The `webhook-signature` of `body` sent at `timestamp`: the secret's signature, and
    /// while a rotation's overlap lasts, the previous secret's after it (space-separated, as
    /// Standard Webhooks allows), so that a receiver still holding the old secret verifies.
    fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let signature = sign::sign(&self.key, id, timestamp, body);
        match &self.previous {
            Some((old, until)) if timestamp < *until => {
                format!("{signature} {}", sign::sign(old, id, timestamp, body))
            }
            _ => signature,
        }
    }
}

impl Destination for WebhookDestination {
    type Prepared = Vec<u8>;

    fn prepare(&self, message: &Message, reader: &mut ImportReader) -> Result<Vec<u8>, SourceError> {
        body::body(message, reader)
    }

    fn send(&self, message: &Message, body: Vec<u8>) -> Outcome {
        let timestamp = now_ms() / 1000;
        let signature = self.signature(&message.id, timestamp, &body);
        let signed = send::Signed { id: &message.id, timestamp, signature: &signature };
        send::post(&self.agent, &self.url, &signed, &body)
    }

    fn test(&self, probe: &Probe<'_>) -> Outcome {
        let timestamp = now_ms() / 1000;
        let Some(id) = test_id() else { return Outcome::Dead(Failure::new(WebhookError::RequestFailed)) };
        let body = serde_json::json!({
            "type": "sluice.test",
            "timestamp": rfc3339(timestamp),
            "data": { "importer": probe.importer, "note": "a test from the Sluice dashboard: no rows, nothing to store" },
        })
        .to_string()
        .into_bytes();
        let signature = self.signature(&id, timestamp, &body);
        send::post(&self.agent, &self.url, &send::Signed { id: &id, timestamp, signature: &signature }, &body)
    }
}

/// A test message's id: `msg_` and 32 random hex digits, like every message's.
fn test_id() -> Option<String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut bytes).ok()?;
    Some(format!("msg_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// What failed with a webhook. Never holds its URL (which may carry a token), its secret or
/// any part of a body.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookError {
    /// The secret is not a `whsec_` key.
    Secret(sign::VerifyError),
    /// The URL's host resolves only to this machine or a private network, which it may not
    /// reach.
    PrivateRefused,
    /// The connection failed with this I/O error.
    Connection(std::io::ErrorKind),
    /// The attempt took longer than the destination's `timeout`.
    TimedOut,
    /// The host's name does not resolve.
    HostNotFound,
    /// No connection could be made.
    ConnectionFailed,
    /// TLS failed: the reason.
    Tls(String),
    /// The answer is not HTTP.
    NotHttp,
    /// The request failed in another way.
    RequestFailed,
    /// A 2xx whose body did not fully arrive.
    CutOff(std::io::ErrorKind),
    /// A 3xx: redirects are not followed.
    Redirect(u16),
    /// Another status that is not a 2xx.
    Status(u16),
}

impl std::fmt::Display for WebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookError::Secret(e) => write!(f, "its secret: {e}"),
            WebhookError::PrivateRefused => f.write_str(network::PRIVATE),
            WebhookError::Connection(kind) => write!(f, "connection: {kind}"),
            WebhookError::TimedOut => f.write_str("timed out"),
            WebhookError::HostNotFound => f.write_str("host not found"),
            WebhookError::ConnectionFailed => f.write_str("connection failed"),
            WebhookError::Tls(reason) => write!(f, "TLS: {reason}"),
            WebhookError::NotHttp => f.write_str("the response is not valid HTTP"),
            WebhookError::RequestFailed => f.write_str("the request failed"),
            WebhookError::CutOff(kind) => write!(f, "the response was cut off: {kind}"),
            WebhookError::Redirect(status) => write!(f, "HTTP {status}: a redirect, which is not followed"),
            WebhookError::Status(status) => write!(f, "HTTP {status}"),
        }
    }
}

impl std::error::Error for WebhookError {}

#[cfg(test)]
mod tests;
