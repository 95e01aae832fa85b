//! One attempt over HTTP: a POST with the Standard Webhooks headers through the destination's
//! agent (see [`network`](crate::delivery::network) for the rules it connects by), its answer
//! classified: a 2xx whose response fully arrived is delivered; anything else is retried on the
//! lane's schedule.

use super::WebhookError;
use crate::delivery::destination::{Failure, Outcome};
use crate::delivery::network;
use std::io::Read;
use ureq::Agent;

/// The most bytes of a response body read (and dropped) before the connection is reused.
const MAX_RESPONSE: u64 = 64 * 1024;

/// The headers of one signed message.
pub(super) struct Signed<'a> {
    pub(super) id: &'a str,
    pub(super) timestamp: i64,
    pub(super) signature: &'a str,
}

/// Posts one signed message.
pub(super) fn post(agent: &Agent, url: &str, signed: &Signed<'_>, body: &[u8]) -> Outcome {
    let response = agent
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", signed.id)
        .header("webhook-timestamp", signed.timestamp.to_string())
        .header("webhook-signature", signed.signature)
        .send(body);
    let mut response = match response {
        Ok(response) => response,
        Err(e) => return retry(Failure::new(describe(&e))),
    };
    let status = response.status().as_u16();
    // The body is read (up to a limit) so the connection can be reused; a 2xx counts once its
    // response has fully arrived.
    let mut sink = Vec::new();
    let read = response.body_mut().as_reader().take(MAX_RESPONSE).read_to_end(&mut sink);
    match (status, read) {
        (200..=299, Ok(_)) => Outcome::Delivered { status: Some(status) },
        (200..=299, Err(e)) => retry(Failure::with_status(status, WebhookError::CutOff(e.kind()))),
        (300..=399, _) => retry(Failure::with_status(status, WebhookError::Redirect(status))),
        _ => retry(Failure::with_status(status, WebhookError::Status(status))),
    }
}

/// Every failure of a webhook is retried on the lane's schedule.
fn retry(failure: Failure) -> Outcome {
    Outcome::Retry { after: None, failure }
}

/// A failure without the URL (which may carry a token).
fn describe(error: &ureq::Error) -> WebhookError {
    match error {
        e if network::is_refused(e) => WebhookError::PrivateRefused,
        ureq::Error::Io(e) => WebhookError::Connection(e.kind()),
        ureq::Error::Timeout(_) => WebhookError::TimedOut,
        ureq::Error::HostNotFound => WebhookError::HostNotFound,
        ureq::Error::ConnectionFailed => WebhookError::ConnectionFailed,
        ureq::Error::Tls(reason) => WebhookError::Tls((*reason).to_owned()),
        ureq::Error::Rustls(e) => WebhookError::Tls(e.to_string()),
        ureq::Error::Protocol(_) => WebhookError::NotHttp,
        _ => WebhookError::RequestFailed,
    }
}
