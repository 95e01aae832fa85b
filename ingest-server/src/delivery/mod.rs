//! Pushing rows onward: each importer's destinations get their messages from the outbox (in
//! SQLite, so they survive restarts), signed with the Standard Webhooks scheme, with retries
//! on a schedule with jitter and dead letters the operator can retry. Delivery is at least once:
//! a message is marked delivered only after its 2xx has arrived, so a crash in between sends it
//! again, with the same `webhook-id`.
//!
//! - [`plan`]: which messages an import makes when it completes;
//! - [`sign`]: signatures, and a verifier for receivers;
//! - `send`: one attempt over HTTP;
//! - `worker`: the threads that deliver, one lane per destination.

pub mod plan;
pub mod postgres;
pub mod s3;
mod send;
pub mod sign;
mod worker;

pub use worker::Deliveries;

use std::sync::{Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wakes the delivery threads when new messages are due (an import completed, the operator
/// retried a dead letter) instead of at their next poll.
#[derive(Default)]
pub struct Wakeup {
    generation: Mutex<u64>,
    ring: Condvar,
}

impl Wakeup {
    /// Wakes every waiting thread.
    pub fn ring(&self) {
        if let Ok(mut generation) = self.generation.lock() {
            *generation += 1;
        }
        self.ring.notify_all();
    }

    /// The current generation, to wait for a later one.
    fn generation(&self) -> u64 {
        self.generation.lock().map_or(0, |g| *g)
    }

    /// Waits until rung after `seen`, or `timeout` passes.
    fn wait(&self, seen: u64, timeout: Duration) {
        if let Ok(generation) = self.generation.lock() {
            let _ = self.ring.wait_timeout_while(generation, timeout, |g| *g == seen);
        }
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}
