//! Failed admin-token attempts per peer (an IPv4 address, or an IPv6 /64, which one holder
//! usually has whole): ten in a minute and that peer's wrong tokens are answered 429 until the
//! minute is over. The right token always passes, so that nobody (sharing a proxy's address, say)
//! can lock the operator out; with tokens of 32 characters and more, guessing is hopeless anyway,
//! and the limit keeps the log and the audit log from filling with attempts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per window.
const MAX_FAILURES: u32 = 10;

/// The window.
const WINDOW: Duration = Duration::from_secs(60);

/// Addresses tracked at most; past that the oldest windows are dropped.
const MAX_PEERS: usize = 10_000;

/// The failures of each peer in its current window.
#[derive(Default)]
pub(in crate::http) struct FailureGuard {
    peers: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl FailureGuard {
    /// Counts a failure of `peer`; returns its failures in the current window.
    pub(super) fn failed(&self, peer: IpAddr) -> u32 {
        let Ok(mut peers) = self.peers.lock() else { return 0 };
        let now = Instant::now();
        if peers.len() >= MAX_PEERS {
            peers.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if peers.len() >= MAX_PEERS {
                peers.clear();
            }
        }
        let entry = peers.entry(group(peer)).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1
    }

    /// The seconds `peer`'s wrong tokens are refused for, if it failed too often.
    pub(super) fn blocked(&self, peer: IpAddr) -> Option<u64> {
        let peers = self.peers.lock().ok()?;
        let (start, failures) = peers.get(&group(peer))?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        (*failures >= MAX_FAILURES).then(|| left.as_secs().max(1))
    }
}

/// The peer a failure counts against: the IPv4 address, or the IPv6 address's /64.
fn group(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(_) => peer,
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
    }
}

/// Whether a failure count is worth an audit entry: the first of a window, and the one that
/// starts the block.
pub(super) fn worth_recording(failures: u32) -> bool {
    failures == 1 || failures == MAX_FAILURES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_failures_in_a_minute_block_the_peer_and_no_one_else() {
        let guard = FailureGuard::default();
        let (peer, other): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..9 {
            guard.failed(peer);
        }
        assert_eq!(guard.blocked(peer), None);
        guard.failed(peer);
        assert!(guard.blocked(peer).is_some_and(|wait| (1..=60).contains(&wait)));
        assert_eq!(guard.blocked(other), None);
    }

    #[test]
    fn an_ipv6_peer_is_its_64() {
        let guard = FailureGuard::default();
        for host in 0..10 {
            guard.failed(format!("2001:db8:1:2::{host:x}").parse().unwrap());
        }
        assert!(guard.blocked("2001:db8:1:2:ffff::1".parse().unwrap()).is_some());
        assert_eq!(guard.blocked("2001:db8:1:3::1".parse().unwrap()), None);
    }
}
