//! The network rules every kind of destination follows: no connection to this machine or a
//! private network unless the destination allows it, checked on the resolved addresses (so a
//! name cannot lead there either); no proxy from the environment (it would resolve the name
//! itself, out of reach of that check); no redirects; a time limit per attempt. HTTP kinds
//! take their client from [`http_agent`]; a kind with its own connections checks the addresses
//! it resolved with [`public_only`].

use crate::config::is_private_address;
use std::net::SocketAddr;
use std::time::Duration;
use ureq::Agent;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// Why a destination's address was refused.
pub const PRIVATE: &str = "refused: the destination resolves to this machine or a private network \
                           (allow_private_network is false)";

/// Every address of a destination led to this machine or a private network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrivateRefused;

impl std::fmt::Display for PrivateRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(PRIVATE)
    }
}

impl std::error::Error for PrivateRefused {}

/// The addresses of `resolved` a destination may connect to: all when `allow_private`, else
/// the public ones, and an error when none is left.
pub fn public_only(
    resolved: impl IntoIterator<Item = SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, PrivateRefused> {
    let allowed: Vec<SocketAddr> =
        resolved.into_iter().filter(|a| allow_private || !is_private_address(&a.ip())).collect();
    if allowed.is_empty() { Err(PrivateRefused) } else { Ok(allowed) }
}

/// Resolves names as usual, then drops private and loopback addresses unless allowed.
#[derive(Debug)]
struct PublicResolver {
    allow_private: bool,
}

impl Resolver for PublicResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = DefaultResolver::default().resolve(uri, config, timeout)?;
        let allowed = public_only(resolved.iter().copied(), self.allow_private)
            .map_err(|e| ureq::Error::Io(std::io::Error::new(std::io::ErrorKind::PermissionDenied, e)))?;
        let mut addresses = self.empty();
        for address in allowed {
            addresses.push(address);
        }
        Ok(addresses)
    }
}

/// An HTTP client for one destination under these rules, keeping its connections alive
/// between messages; `user_agent` names the kind. Statuses are answers, not errors.
pub fn http_agent(timeout: Duration, allow_private: bool, user_agent: &str) -> Agent {
    let config = Agent::config_builder()
        .max_redirects(0)
        .proxy(None)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(user_agent)
        // Enough kept-alive connections for every blocking thread writing to one bucket at once
        // (ureq keeps 3 per host by default: the others would connect anew for each request).
        .max_idle_connections(64)
        .max_idle_connections_per_host(32)
        .build();
    Agent::with_parts(config, DefaultConnector::default(), PublicResolver { allow_private })
}

/// Whether a request failed because its destination's addresses were refused.
pub fn is_refused(error: &ureq::Error) -> bool {
    matches!(error, ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::PermissionDenied)
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
            let refused =
                PublicResolver { allow_private: false }.resolve(&uri, &config, NextTimeout::default());
            assert!(matches!(refused, Err(ref e) if is_refused(e)), "{url}");
            assert!(matches!(refused, Err(ureq::Error::Io(ref e)) if e.to_string() == PRIVATE), "{url}");
            let allowed =
                PublicResolver { allow_private: true }.resolve(&uri, &config, NextTimeout::default());
            assert!(allowed.unwrap().iter().all(|a| a.ip().is_loopback()), "{url}");
        }
    }

    #[test]
    fn only_public_addresses_are_kept_and_none_left_is_refused() {
        let public: SocketAddr = "93.184.215.14:443".parse().unwrap();
        let private: SocketAddr = "10.0.0.8:443".parse().unwrap();
        assert_eq!(public_only([private, public], false), Ok(vec![public]));
        assert_eq!(public_only([private], false), Err(PrivateRefused));
        assert_eq!(public_only([private], true), Ok(vec![private]));
    }
}
