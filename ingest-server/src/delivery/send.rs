//! One attempt over HTTP: a POST with the Standard Webhooks headers, no redirects followed, a
//! time limit from connecting to the end of the response, and (unless the destination allows
//! it) no connection to this machine or a private network, checked on the resolved addresses so
//! that a name cannot lead there either. Connections go straight to the destination: a proxy
//! from the environment (`HTTPS_PROXY`, …) is not used, as it would resolve the name itself,
//! out of reach of that check.

use crate::config::{Webhook, is_private_address};
use std::io::Read;
use ureq::Agent;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// The most bytes of a response body read (and dropped) before the connection is reused.
const MAX_RESPONSE: u64 = 64 * 1024;

/// What an attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Sent {
    /// A 2xx, with its status.
    Delivered(u16),
    /// Anything else: the status if one came, and what went wrong, without any body or URL.
    Failed(Option<u16>, String),
}

/// Resolves names as usual, then drops private and loopback addresses unless allowed.
#[derive(Debug)]
struct PublicOnly {
    allow_private: bool,
}

impl Resolver for PublicOnly {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = DefaultResolver::default().resolve(uri, config, timeout)?;
        if self.allow_private {
            return Ok(resolved);
        }
        let mut public = self.empty();
        for address in resolved.iter().filter(|a| !is_private_address(&a.ip())) {
            public.push(*address);
        }
        if public.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(std::io::ErrorKind::PermissionDenied, PRIVATE)));
        }
        Ok(public)
    }
}

/// Why a destination's address was refused.
const PRIVATE: &str = "refused: the destination resolves to this machine or a private network \
                       (allow_private_network is false)";

/// An HTTP client for one destination, keeping its connections alive between messages.
pub(super) fn agent(hook: &Webhook) -> Agent {
    let config = Agent::config_builder()
        .max_redirects(0)
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(hook.timeout))
        .user_agent(concat!("Sluice-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build();
    Agent::with_parts(
        config,
        DefaultConnector::default(),
        PublicOnly { allow_private: hook.allow_private_network },
    )
}

/// Posts one signed message.
pub(super) fn post(agent: &Agent, url: &str, id: &str, timestamp: i64, signature: &str, body: &[u8]) -> Sent {
    let response = agent
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .send(body);
    let mut response = match response {
        Ok(response) => response,
        Err(e) => return Sent::Failed(None, describe(&e)),
    };
    let status = response.status().as_u16();
    // The body is read (up to a limit) so the connection can be reused; a 2xx counts once its
    // response has fully arrived.
    let mut sink = Vec::new();
    let read = response.body_mut().as_reader().take(MAX_RESPONSE).read_to_end(&mut sink);
    match (status, read) {
        (200..=299, Ok(_)) => Sent::Delivered(status),
        (200..=299, Err(e)) => Sent::Failed(Some(status), format!("the response was cut off: {}", e.kind())),
        (300..=399, _) => {
            Sent::Failed(Some(status), format!("HTTP {status}: a redirect, which is not followed"))
        }
        _ => Sent::Failed(Some(status), format!("HTTP {status}")),
    }
}

/// A failure in words, without the URL (which may carry a token).
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied => PRIVATE.to_owned(),
        ureq::Error::Io(e) => format!("connection: {}", e.kind()),
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        ureq::Error::HostNotFound => "host not found".to_owned(),
        ureq::Error::ConnectionFailed => "connection failed".to_owned(),
        ureq::Error::Tls(reason) => format!("TLS: {reason}"),
        ureq::Error::Rustls(e) => format!("TLS: {e}"),
        ureq::Error::Protocol(_) => "the response is not valid HTTP".to_owned(),
        _ => "the request failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_resolve_to_private_addresses_are_refused_unless_allowed() {
        let config = Agent::config_builder().build();
        // "2130706433" is 127.0.0.1 written as one number: it passes a check of the URL text.
        for url in ["http://2130706433:9/", "http://localhost:9/", "http://127.0.0.1:9/"] {
            let uri: Uri = url.parse().unwrap();
            let refused = PublicOnly { allow_private: false }.resolve(&uri, &config, NextTimeout::default());
            assert!(matches!(refused, Err(ureq::Error::Io(ref e)) if e.to_string() == PRIVATE), "{url}");
            let allowed = PublicOnly { allow_private: true }.resolve(&uri, &config, NextTimeout::default());
            assert!(allowed.unwrap().iter().all(|a| a.ip().is_loopback()), "{url}");
        }
    }
}
