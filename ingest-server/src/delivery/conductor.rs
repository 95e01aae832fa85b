//! The set of running lanes, and the one thread that changes it while the server runs: when an
//! importer made in the dashboard is created, edited or deleted, its old lanes are stopped and
//! waited for (each finishes and records the attempt it is making) before its new lanes start,
//! so that no message is ever sent by two lanes at once. Changes are made one at a time, in the
//! order they were asked for.

use super::destination;
use super::lane::{Lane, LaneError, Shared, renew_leases};
use crate::config::Importer;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

/// The running delivery lanes.
pub struct Deliveries {
    changes: Mutex<Sender<Change>>,
    shared: Shared,
    lanes: usize,
    /// Set when dropped: ends the thread renewing this instance's leases.
    stopped: Arc<AtomicBool>,
}

impl Drop for Deliveries {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

/// What the conductor is asked to do.
enum Change {
    /// Run these lanes for the importer in place of its current ones (none: stop them).
    Replace { importer: String, lanes: Vec<Arc<Lane>> },
}

/// A lane and its threads.
struct Running {
    lane: Arc<Lane>,
    threads: Vec<JoinHandle<()>>,
}

impl Deliveries {
    /// Opens every destination of every importer and starts its lane.
    pub fn start(importers: &[Importer], shared: &Shared) -> Result<Deliveries, LaneError> {
        let mut running: HashMap<String, Vec<Running>> = HashMap::new();
        let mut count = 0;
        for importer in importers {
            let lanes = lanes_of(importer, shared)?;
            count += lanes.len();
            running.insert(importer.key.clone(), spawn_all(lanes)?);
        }
        let (changes, received) = mpsc::channel();
        std::thread::Builder::new()
            .name("sluice-lanes".to_owned())
            .spawn(move || conduct(running, &received))
            .map_err(|error| LaneError::Thread { importer: String::new(), destination: 0, error })?;
        let stopped = Arc::new(AtomicBool::new(false));
        let (renewing, flag) = (shared.clone(), Arc::clone(&stopped));
        std::thread::Builder::new()
            .name("sluice-leases".to_owned())
            .spawn(move || renew_leases(&renewing, &flag))
            .map_err(|error| LaneError::Thread { importer: String::new(), destination: 0, error })?;
        Ok(Deliveries { changes: Mutex::new(changes), shared: shared.clone(), lanes: count, stopped })
    }

    /// How many lanes ran at start.
    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// Delivers `importer`'s messages through its destinations as they are now: its lanes are
    /// stopped and started again with its settings. Refused when a destination cannot be
    /// opened (then its lanes are left as they were).
    pub fn replace(&self, importer: &Importer) -> Result<(), LaneError> {
        let lanes = lanes_of(importer, &self.shared)?;
        self.send(Change::Replace { importer: importer.key.clone(), lanes });
        Ok(())
    }

    /// Stops the lanes of the importer with `key`; its pending messages stay in the outbox.
    pub fn remove(&self, key: &str) {
        self.send(Change::Replace { importer: key.to_owned(), lanes: Vec::new() });
    }

    fn send(&self, change: Change) {
        let sent = self.changes.lock().unwrap_or_else(PoisonError::into_inner).send(change);
        if sent.is_err() {
            tracing::error!("the delivery lanes' conductor has stopped: restart the server to apply changes");
        }
    }
}

/// The lanes of every destination of `importer`, opened and not started.
fn lanes_of(importer: &Importer, shared: &Shared) -> Result<Vec<Arc<Lane>>, LaneError> {
    let mut lanes = Vec::new();
    for (index, configured) in importer.destinations.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(u32::MAX);
        let open = |error| LaneError::Open { importer: importer.key.clone(), destination: index, error };
        let destination = destination::open(configured).map_err(open)?;
        lanes.push(Lane::new(&importer.key, index, configured.delivery(), destination, shared.clone()));
    }
    Ok(lanes)
}

/// Starts every lane's threads.
fn spawn_all(lanes: Vec<Arc<Lane>>) -> Result<Vec<Running>, LaneError> {
    lanes.into_iter().map(|lane| Ok(Running { threads: lane.spawn()?, lane })).collect()
}

/// The conductor's loop: each change in turn, until the server stops.
fn conduct(mut running: HashMap<String, Vec<Running>>, changes: &Receiver<Change>) {
    while let Ok(Change::Replace { importer, lanes }) = changes.recv() {
        for old in running.remove(&importer).unwrap_or_default() {
            old.lane.stop();
            for thread in old.threads {
                if thread.join().is_err() {
                    tracing::warn!(%importer, "a delivery thread had panicked");
                }
            }
        }
        match spawn_all(lanes) {
            Ok(started) => {
                tracing::info!(%importer, lanes = started.len(), "delivery lanes started");
                running.insert(importer, started);
            }
            Err(e) => {
                tracing::error!(%importer, error = %e, "cannot start a delivery lane; restart the server");
            }
        }
    }
}
