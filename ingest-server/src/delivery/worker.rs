//! The delivery threads. Each destination of each importer is a lane: `sequential` lanes have one
//! thread that sends the oldest pending message and nothing after it until it is delivered or
//! dead; `parallel` lanes have `parallelism` threads taking any due message not in flight. After
//! each attempt the import's retention is applied (delete after delivery, pass-through).

use super::send::{self, Sent};
use super::{Wakeup, now_ms, sign};
use crate::config::{Delivery, DeliverySettings, Destination, Webhook};
use crate::imports::{BatchCache, ImportError, Imports};
use crate::store::{Attempt, Message};
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The longest a lane sleeps before looking at the outbox again.
const POLL: Duration = Duration::from_secs(1);

/// Messages a parallel thread looks at to find one not in flight.
const LOOKAHEAD: u32 = 256;

/// The running delivery threads.
pub struct Deliveries {
    lanes: Vec<Arc<Lane>>,
}

/// One destination of one importer.
struct Lane {
    importer: String,
    index: u32,
    hook: Webhook,
    key: hmac::Key,
    agent: ureq::Agent,
    in_flight: Mutex<HashSet<String>>,
    imports: Arc<Imports>,
    schedule: Vec<Duration>,
}

impl Deliveries {
    /// Starts a lane for every destination of every importer.
    pub fn start(imports: &Arc<Imports>, settings: &DeliverySettings) -> Result<Deliveries, String> {
        let mut lanes = Vec::new();
        for importer in imports.importers() {
            for (index, destination) in importer.config.destinations.iter().enumerate() {
                let Destination::Webhook(hook) = destination;
                let key = sign::signing_key(hook.secret.expose())
                    .map_err(|e| format!("importer {}: destination {index}: {e}", importer.config.key))?;
                let lane = Arc::new(Lane {
                    importer: importer.config.key.clone(),
                    index: u32::try_from(index).unwrap_or(u32::MAX),
                    agent: send::agent(hook),
                    hook: hook.clone(),
                    key,
                    in_flight: Mutex::new(HashSet::new()),
                    imports: Arc::clone(imports),
                    schedule: settings.retry_schedule.clone(),
                });
                let threads = match hook.delivery {
                    Delivery::Sequential => 1,
                    Delivery::Parallel { parallelism } => parallelism,
                };
                for thread in 0..threads {
                    let running = Arc::clone(&lane);
                    std::thread::Builder::new()
                        .name(format!("sluice-deliver-{}-{index}-{thread}", lane.importer))
                        .spawn(move || running.run())
                        .map_err(|e| format!("cannot start a delivery thread: {e}"))?;
                }
                lanes.push(lane);
            }
        }
        Ok(Deliveries { lanes })
    }

    /// How many lanes run.
    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }
}

impl Lane {
    fn run(&self) {
        let wakeup: &Wakeup = self.imports.wakeup();
        let mut cache = BatchCache::default();
        loop {
            let seen = wakeup.generation();
            match self.next() {
                Ok(Next::Send(message)) => {
                    if !self.attempt(&message, &mut cache) {
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

    /// The next message to send, or how long to wait.
    fn next(&self) -> Result<Next, ImportError> {
        let store = self.imports.store();
        let now = now_ms();
        match self.hook.delivery {
            Delivery::Sequential => {
                let head = store.pending_messages(&self.importer, self.index, None, 1)?.pop();
                Ok(match head {
                    Some(m) if m.next_attempt_at <= now => Next::Send(m),
                    Some(m) => Next::Wait(Duration::from_millis((m.next_attempt_at - now).unsigned_abs())),
                    None => Next::Wait(POLL),
                })
            }
            Delivery::Parallel { .. } => {
                // Read under the lock: a message another thread is finishing stays in flight
                // until its attempt is recorded, so this read sees it one way or the other.
                let mut in_flight =
                    self.in_flight.lock().map_err(|_| ImportError::Internal("poisoned".into()))?;
                let due = store.pending_messages(&self.importer, self.index, Some(now), LOOKAHEAD)?;
                Ok(match due.into_iter().find(|m| !in_flight.contains(&m.id)) {
                    Some(m) => {
                        in_flight.insert(m.id.clone());
                        Next::Send(m)
                    }
                    None => Next::Wait(POLL),
                })
            }
        }
    }

    /// Sends one message, records the outcome, applies retention; whether an outcome was
    /// recorded.
    fn attempt(&self, message: &Message, cache: &mut BatchCache) -> bool {
        let outcome = self.send(message, cache);
        let store = self.imports.store();
        let recorded = outcome.map(|attempt| {
            let ended = !matches!(attempt, Attempt::Failed { retry_at: Some(_), .. });
            self.log(message, &attempt);
            (store.record_attempt(&message.id, attempt), ended)
        });
        if let Ok(mut in_flight) = self.in_flight.lock() {
            in_flight.remove(&message.id);
        }
        match recorded {
            Some((Err(e), _)) => {
                tracing::warn!(message = %message.id, error = %e, "cannot record a delivery attempt");
                false
            }
            Some((Ok(()), ended)) => {
                if ended {
                    self.imports.after_delivery(&message.import_id, now_ms() / 1000);
                }
                true
            }
            None => false,
        }
    }

    /// One attempt; `None` when the import's data is gone (its messages are cancelled).
    fn send(&self, message: &Message, cache: &mut BatchCache) -> Option<Attempt> {
        let at = now_ms();
        let body = match self.imports.message_body(message, cache) {
            Ok(body) => body,
            Err(ImportError::Rejected) => return None,
            Err(e) => return Some(self.failed(message, at, None, format!("cannot build the message: {e}"))),
        };
        let timestamp = at / 1000;
        let signature = sign::sign(&self.key, &message.id, timestamp, &body);
        match send::post(&self.agent, &self.hook.url, &message.id, timestamp, &signature, &body) {
            Sent::Delivered(status) => Some(Attempt::Delivered { at: now_ms(), status }),
            Sent::Failed(status, error) => Some(self.failed(message, now_ms(), status, error)),
        }
    }

    /// A failed attempt, with the next one scheduled, or none when the schedule is used up.
    fn failed(&self, message: &Message, at: i64, status: Option<u16>, error: String) -> Attempt {
        let retry_at = self.schedule.get(message.attempts as usize).map(|wait| at + jittered(*wait));
        Attempt::Failed { at, status, error, retry_at }
    }

    fn log(&self, message: &Message, attempt: &Attempt) {
        let (importer, destination, id) = (&self.importer, self.index, &message.id);
        match attempt {
            Attempt::Delivered { status, .. } => {
                tracing::debug!(%importer, destination, message = %id, import = %message.import_id, status, "delivered");
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

/// `wait` in milliseconds, give or take up to 20 %, so that retries after an outage spread out.
fn jittered(wait: Duration) -> i64 {
    let millis = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2);
    let mut byte = [0u8; 2];
    let random = match SystemRandom::new().fill(&mut byte) {
        Ok(()) => i64::from(u16::from_be_bytes(byte)),
        Err(_) => 32_768,
    };
    // random / 65535 spans [0, 1]: the factor spans [0.8, 1.2].
    millis + millis * (random - 32_768) / 163_840
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_fifth_of_the_wait() {
        for _ in 0..1000 {
            let wait = jittered(Duration::from_secs(100));
            assert!((80_000..=120_000).contains(&wait), "{wait}");
        }
    }
}
