//! Pushing rows onward. Each importer's destinations get their messages from the outbox (in
//! SQLite, so they survive restarts), with retries on a schedule with jitter and dead letters
//! the operator can retry. Delivery is at least once: a message is marked delivered only after
//! its destination acknowledged it, so a crash in between sends it again, with the same id.
//!
//! The seam is [`Destination`]: a kind of destination prepares a message from the import's
//! data and sends it, and says how that went ([`Outcome`]: delivered, retry after, dead).
//! Everything around it is shared by every kind: the plan of messages, the lanes (ordering,
//! in-flight messages, the retry schedule, dead letters, retention after delivery), the
//! network rules and the reading of rows.
//!
//! - [`plan`]: which messages an import makes when it completes;
//! - [`destination`]: the trait a kind implements, and the factory that opens one;
//! - [`source`]: what delivery reads of an import ([`ImportData`], implemented by `imports`);
//! - `lane`: the threads that deliver, one lane per destination;
//! - `conductor`: the running lanes, changed while the server runs when importers change;
//! - [`network`]: no private addresses unless allowed, no proxies, no redirects;
//! - [`rows`]: the JSON of one row, shared by kinds (and the operator's downloads);
//! - [`webhook`]: the first kind, signed Standard Webhooks;
//! - [`postgres`], [`s3`]: the database and bucket halves of the next kinds (rows COPYed into
//!   the operator's table; objects written part by part into a bucket);
//! - `contract` (tests): the suite every kind's tests run on their implementation.
//!
//! Dependencies run one way: `imports` uses `delivery` (to plan messages, wake the lanes and
//! implement [`ImportData`]); `delivery` uses `config` and `store`, never `imports`.

mod conductor;
#[cfg(test)]
mod contract;
pub mod destination;
mod lane;
pub mod network;
pub mod plan;
pub mod postgres;
pub mod rows;
pub mod s3;
pub mod source;
pub mod webhook;

pub use conductor::Deliveries;
pub use destination::{Destination, Failure, Outcome, Probe};
pub use lane::{LEASE, LaneError, Shared};
pub use source::{ImportData, ImportReader, ImportView, SourceError};
pub use webhook::sign;

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
