//! The delivery lanes, the same for every kind of destination. Each destination of each
//! importer is a lane: `sequential` lanes have one thread that sends the oldest pending message
//! and nothing after it until it is delivered or dead; `parallel` lanes have `parallelism`
//! threads taking any due message not in flight. A lane turns its kind's [`Outcome`] into the
//! outbox's record: delivered, retried after the destination's wait or the next of the retry
//! schedule (with jitter), or a dead letter. After each delivered or dead message the import's
//! retention is applied (delete after delivery, pass-through).

use super::destination::{Attempts, OpenError, Outcome};
use super::source::{ImportData, ImportReader, SourceError};
use super::{Wakeup, now_ms};
use crate::config::Delivery;
use crate::store::{Attempt, Claim, Lease, Message, Store, StoreError};
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The longest a lane sleeps before looking at the outbox again.
const POLL: Duration = Duration::from_secs(1);

/// How long a message taken for an attempt stays this instance's: the instance renews the leases
/// of the messages it has in flight every third of it (through [`Store::renew_leases`]), so a
/// lease runs out only when its instance died, lost the store, or could neither record nor give
/// back its attempt; then another claim takes the message over.
pub const LEASE: Duration = Duration::from_secs(30);

/// What every lane shares: the outbox (in the store), the imports' data, what wakes the lanes
/// and the retry schedule.
#[derive(Clone)]
pub struct Shared {
    /// The store holding the outbox.
    pub store: Arc<dyn Store>,
    /// The imports' data, as the import domain provides it.
    pub data: Arc<dyn ImportData>,
    /// Rung when messages become due (an import completed, a dead letter retried).
    pub wakeup: Arc<Wakeup>,
    /// The wait before each retry; once used up, a failed message is a dead letter.
    pub schedule: Vec<Duration>,
    /// This instance's id (`ins_…`), under which it leases the messages it sends.
    pub instance: Arc<str>,
    /// The messages this instance has in flight: the only leases it renews.
    pub in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Shared {
    /// The messages in flight, locked: a set left by a thread that panicked is still a set of
    /// ids.
    fn in_flight(&self) -> MutexGuard<'_, HashSet<String>> {
        self.in_flight.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Keeps this instance's message leases running while `stopped` is unset: renews them every
/// third of [`LEASE`]. A failed renewal is logged; the next one tries again, and a lease that
/// ran out meanwhile at worst lets another instance send the message too (at least once).
pub(super) fn renew_leases(shared: &Shared, stopped: &AtomicBool) {
    let every = LEASE / 3;
    while !stopped.load(Ordering::SeqCst) {
        let until = now_ms() + millis(LEASE);
        let ids: Vec<String> = shared.in_flight().iter().cloned().collect();
        if ids.is_empty() {
            std::thread::sleep(every);
            continue;
        }
        if let Err(e) = shared.store.renew_leases(&shared.instance, &ids, until) {
            tracing::warn!(error = %e, "cannot renew this instance's delivery leases");
        }
        std::thread::sleep(every);
    }
}

/// Why delivery could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum LaneError {
    /// A configured destination cannot be opened.
    Open {
        /// The importer's key.
        importer: String,
        /// The destination's index in its `destinations`.
        destination: u32,
        /// What is wrong with it.
        error: OpenError,
    },
    /// The system refused a thread.
    Thread {
        /// The importer's key.
        importer: String,
        /// The destination's index.
        destination: u32,
        /// The system's error.
        error: std::io::Error,
    },
}

impl std::fmt::Display for LaneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaneError::Open { importer, destination, error } => {
                write!(f, "importer {importer}: destination {destination}: {error}")
            }
            LaneError::Thread { importer, destination, error } => {
                write!(
                    f,
                    "importer {importer}: destination {destination}: cannot start a delivery thread: {error}"
                )
            }
        }
    }
}

impl std::error::Error for LaneError {}

/// One destination of one importer.
pub(super) struct Lane {
    importer: String,
    index: u32,
    delivery: Delivery,
    destination: Box<dyn Attempts>,
    shared: Shared,
    /// Set when the importer's destinations change or it is deleted: its threads end after
    /// the attempt they are making.
    stopped: AtomicBool,
}

impl Lane {
    pub(super) fn new(
        importer: &str,
        index: u32,
        delivery: Delivery,
        destination: Box<dyn Attempts>,
        shared: Shared,
    ) -> Arc<Lane> {
        let stopped = AtomicBool::new(false);
        Arc::new(Lane { importer: importer.to_owned(), index, delivery, destination, shared, stopped })
    }

    /// Starts the lane's threads: one for a sequential lane, `parallelism` for a parallel one.
    pub(super) fn spawn(self: &Arc<Self>) -> Result<Vec<JoinHandle<()>>, LaneError> {
        let threads = match self.delivery {
            Delivery::Sequential => 1,
            Delivery::Parallel { parallelism } => parallelism,
        };
        let mut handles = Vec::new();
        for thread in 0..threads {
            let running = Arc::clone(self);
            let handle = std::thread::Builder::new()
                .name(format!("sluice-deliver-{}-{}-{thread}", self.importer, self.index))
                .spawn(move || running.run())
                .map_err(|error| LaneError::Thread {
                    importer: self.importer.clone(),
                    destination: self.index,
                    error,
                });
            match handle {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    self.stop();
                    return Err(error);
                }
            }
        }
        Ok(handles)
    }

    /// Ends the lane's threads once their attempts under way are recorded.
    pub(super) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.shared.wakeup.ring();
    }

    fn run(&self) {
        let wakeup = &self.shared.wakeup;
        let mut reader = ImportReader::new(Arc::clone(&self.shared.data));
        while !self.stopped.load(Ordering::SeqCst) {
            let seen = wakeup.generation();
            match self.next() {
                Ok(Next::Send(message)) => {
                    if !self.attempt(&message, &mut reader) {
                        // Nothing was recorded (the store failed, or the import is going): wait
                        // rather than send it again at once.
                        wakeup.wait(seen, POLL);
                    }
                }
                Ok(Next::Wait(wait)) => wakeup.wait(seen, wait.min(POLL)),
                Err(e) => {
                    tracing::warn!(importer = %self.importer, destination = self.index, error = %e, "cannot read the outbox");
                    wakeup.wait(seen, POLL);
                }
            }
        }
    }

    /// The next message to send, leased to this instance, or how long to wait.
    fn next(&self) -> Result<Next, StoreError> {
        let now = now_ms();
        let ordered = matches!(self.delivery, Delivery::Sequential);
        let lease = Lease { holder: self.shared.instance.to_string(), until_ms: now + millis(LEASE) };
        let claim = self.shared.store.claim_message(&self.importer, self.index, ordered, now, &lease)?;
        Ok(match claim {
            Claim::Message(m) => {
                self.shared.in_flight().insert(m.id.clone());
                Next::Send(m)
            }
            Claim::Wait { until_ms } => Next::Wait(Duration::from_millis((until_ms - now).unsigned_abs())),
            Claim::Empty => Next::Wait(POLL),
        })
    }

    /// Sends one message, records the outcome, applies retention; whether an outcome was
    /// recorded.
    fn attempt(&self, message: &Message, reader: &mut ImportReader) -> bool {
        let attempt = self.try_once(message, reader);
        let recorded = attempt.map(|attempt| {
            let ended = !matches!(attempt, Attempt::Failed { retry_at: Some(_), .. });
            self.log(message, &attempt);
            (self.shared.store.record_attempt(&message.id, &self.shared.instance, attempt), ended)
        });
        if !matches!(recorded, Some((Ok(()), _))) {
            // Nothing recorded (the import is going, or the store failed): give the message
            // back, so that it is not held until its lease runs out.
            self.release(message);
        }
        self.shared.in_flight().remove(&message.id);
        match recorded {
            Some((Err(e), _)) => {
                tracing::warn!(message = %message.id, error = %e, "cannot record a delivery attempt");
                false
            }
            Some((Ok(()), ended)) => {
                if ended {
                    self.shared.data.delivery_ended(&message.import_id, now_ms() / 1000);
                }
                true
            }
            None => false,
        }
    }

    /// Gives back the lease on a message no attempt was recorded for.
    fn release(&self, message: &Message) {
        if let Err(e) = self.shared.store.release_message(&message.id, &self.shared.instance) {
            tracing::warn!(message = %message.id, error = %e, "cannot give back a delivery lease; it runs out by itself");
        }
    }

    /// One attempt, as the outbox records it; `None` when the import's data is gone (its
    /// messages are cancelled).
    fn try_once(&self, message: &Message, reader: &mut ImportReader) -> Option<Attempt> {
        let at = now_ms();
        match self.destination.attempt(message, reader) {
            Ok(outcome) => Some(self.recorded(message, outcome)),
            Err(SourceError::Gone) => None,
            Err(e) => Some(self.failed(message, at, None, format!("cannot build the message: {e}"), None)),
        }
    }

    /// The record of an attempt that reached the destination.
    fn recorded(&self, message: &Message, outcome: Outcome) -> Attempt {
        let at = now_ms();
        match outcome {
            Outcome::Delivered { status } => Attempt::Delivered { at, status },
            Outcome::Retry { after, failure } => {
                self.failed(message, at, failure.status(), failure.to_string(), after)
            }
            Outcome::Dead(failure) => {
                Attempt::Failed { at, status: failure.status(), error: failure.to_string(), retry_at: None }
            }
        }
    }

    /// A failed attempt, with the next one scheduled (after the destination's own wait, if it
    /// gave one), or none when the schedule is used up.
    fn failed(
        &self,
        message: &Message,
        at: i64,
        status: Option<u16>,
        error: String,
        after: Option<Duration>,
    ) -> Attempt {
        let wait = |scheduled: &Duration| after.map_or_else(|| jittered(*scheduled), millis);
        let retry_at = self.shared.schedule.get(message.attempts as usize).map(|w| at + wait(w));
        Attempt::Failed { at, status, error, retry_at }
    }

    fn log(&self, message: &Message, attempt: &Attempt) {
        let (importer, destination, id) = (&self.importer, self.index, &message.id);
        match attempt {
            Attempt::Delivered { status, .. } => {
                tracing::debug!(%importer, destination, message = %id, import = %message.import_id, ?status, "delivered");
            }
            Attempt::Failed { status, error, retry_at: Some(at), .. } => tracing::info!(
                %importer, destination, message = %id, attempt = message.attempts + 1, ?status, %error,
                retry_in_ms = at - now_ms(), "delivery failed; will retry"
            ),
            Attempt::Failed { status, error, retry_at: None, .. } => tracing::warn!(
                %importer, destination, message = %id, import = %message.import_id, attempts = message.attempts + 1,
                ?status, %error, "delivery failed for good: dead letter (retry it with the admin API)"
            ),
        }
    }
}

/// What a lane does next.
enum Next {
    Send(Message),
    Wait(Duration),
}

/// `wait` in milliseconds.
fn millis(wait: Duration) -> i64 {
    i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2)
}

/// `wait` in milliseconds, give or take up to 20 %, so that retries after an outage spread out.
fn jittered(wait: Duration) -> i64 {
    let millis = millis(wait);
    let mut byte = [0u8; 2];
    let random = match SystemRandom::new().fill(&mut byte) {
        Ok(()) => i64::from(u16::from_be_bytes(byte)),
        Err(_) => 32_768,
    };
    // random / 65535 spans [0, 1]: the factor spans [0.8, 1.2].
    millis + millis * (random - 32_768) / 163_840
}

#[cfg(test)]
mod tests;
