//! One thread writes the data file, committing whatever work is waiting in one transaction
//! (group commit): with `synchronous = FULL` each commit waits for the disk once, for as many
//! batches as arrived meanwhile, and every caller is answered only after that commit.

use super::{ErrorKind, Result, StoreError};
use rusqlite::Connection;
use std::sync::mpsc;

/// Most pieces of work in one transaction.
const MAX_GROUP: usize = 512;

/// A piece of work for the writer.
trait Job: Send {
    /// Runs inside the group's transaction; returns what to do once the commit is known.
    fn apply(self: Box<Self>, connection: &Connection) -> Box<dyn Done>;
    /// The group could not start: answers the caller without running.
    fn abandon(self: Box<Self>, error: &StoreError);
}

/// What a piece of work does once its transaction has been committed, or has failed to.
trait Done: Send {
    fn done(self: Box<Self>, committed: std::result::Result<(), &StoreError>);
}

/// Work with a caller waiting for its result.
struct Work<T, F> {
    work: F,
    reply: mpsc::SyncSender<Result<T>>,
}

/// A result waiting for its commit.
struct Pending<T> {
    outcome: Result<T>,
    reply: mpsc::SyncSender<Result<T>>,
}

impl<T: Send + 'static, F: FnOnce(&Connection) -> Result<T> + Send> Job for Work<T, F> {
    fn apply(self: Box<Self>, connection: &Connection) -> Box<dyn Done> {
        let outcome = savepoint(connection, self.work);
        Box::new(Pending { outcome, reply: self.reply })
    }

    fn abandon(self: Box<Self>, error: &StoreError) {
        // The caller may have gone; then nobody needs the answer.
        let _ = self.reply.send(Err(StoreError::new(
            error.kind(),
            format!("the write could not start: {}", error.detail()),
        )));
    }
}

impl<T: Send> Done for Pending<T> {
    fn done(self: Box<Self>, committed: std::result::Result<(), &StoreError>) {
        let result = match committed {
            Ok(()) => self.outcome,
            Err(e) => Err(StoreError::new(e.kind(), format!("the commit failed: {}", e.detail()))),
        };
        let _ = self.reply.send(result);
    }
}

/// The handle to the writer thread; dropping it waits for the thread to finish its work and close
/// its connection, so that the files are complete once the store is gone.
pub(super) struct Writer {
    jobs: mpsc::Sender<Box<dyn Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Starts the writer thread on `connection`.
    pub(super) fn start(connection: Connection) -> Result<Writer> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("sluice-store-writer".into())
            .spawn(move || run(&connection, &queue))
            .map_err(|e| StoreError::other(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { jobs, thread: Some(thread) })
    }

    /// Runs `work` in the next group and waits until it is committed; returns its result.
    pub(super) fn run<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = mpsc::sync_channel(1);
        let stopped = || StoreError::new(ErrorKind::Unavailable, "the writer thread has stopped");
        self.jobs.send(Box::new(Work { work, reply })).map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has done what is queued.
        self.jobs = mpsc::channel().0;
        if let Some(thread) = self.thread.take() {
            drop(thread.join());
        }
    }
}

/// Runs `work` in a savepoint, so that its failure undoes only its own changes.
fn savepoint<T>(connection: &Connection, work: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
    connection.execute_batch("SAVEPOINT job")?;
    let outcome = work(connection);
    let end = if outcome.is_ok() { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
    connection.execute_batch(end)?;
    outcome
}

fn run(connection: &Connection, queue: &mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit(connection, group);
    }
}

fn commit(connection: &Connection, group: Vec<Box<dyn Job>>) {
    if let Err(e) = connection.execute_batch("BEGIN IMMEDIATE") {
        let error = StoreError::from(e);
        group.into_iter().for_each(|job| job.abandon(&error));
        return;
    }
    let pending: Vec<Box<dyn Done>> = group.into_iter().map(|job| job.apply(connection)).collect();
    let committed = connection.execute_batch("COMMIT").map_err(StoreError::from);
    if committed.is_err() {
        let _ = connection.execute_batch("ROLLBACK");
    }
    for done in pending {
        done.done(committed.as_ref().map(|_| ()));
    }
}
