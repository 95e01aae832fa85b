//! Failed admin-token attempts per peer address: ten in a minute and the address is refused
//! until that minute is over, so a token cannot be guessed at the speed of the network.

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
    /// Counts a failure of `peer`.
    pub(super) fn failed(&self, peer: IpAddr) {
        let Ok(mut peers) = self.peers.lock() else { return };
        let now = Instant::now();
        if peers.len() >= MAX_PEERS {
            peers.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = peers.entry(peer).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    /// The seconds `peer` must wait, if it failed too often.
    pub(super) fn blocked(&self, peer: IpAddr) -> Option<u64> {
        let peers = self.peers.lock().ok()?;
        let (start, failures) = peers.get(&peer)?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        (*failures >= MAX_FAILURES).then(|| left.as_secs().max(1))
    }
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
}
