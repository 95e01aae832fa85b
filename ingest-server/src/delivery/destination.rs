//! The destination seam: what a kind of destination implements ([`Destination`]: prepare one
//! message from the import's data, send it, say how it went as an [`Outcome`]), and the one
//! factory ([`open`]) that turns a configured destination into a running one.
//!
//! A kind owns only its wire: its format, its connection, its credentials, and how it tells a
//! passing failure from a final one. The lanes own everything else, for every kind alike: the
//! outbox, the order, the retry schedule with jitter, in-flight messages, dead letters and
//! retention after delivery. A new kind is one variant of [`config::Destination`], one module
//! implementing [`Destination`], and one arm in [`open`].

use super::source::{ImportReader, SourceError};
use super::webhook::{self, WebhookError};
use super::{postgres, s3};
use crate::config;
use crate::store::Message;
use std::time::Duration;

/// A kind of destination, as the delivery lanes drive it.
///
/// `prepare` is called before every attempt and must build the same thing each time from the
/// same message (receivers and tables deduplicate by the message's id, its import and its
/// rows). `send` makes one attempt and must not retry by itself: the lane schedules retries.
/// Both run on the lane's threads, several at once for a parallel lane.
pub trait Destination: Send + Sync {
    /// What one attempt sends: a body, a part, a block of rows.
    type Prepared;

    /// Builds what `message` sends, reading its import (record, rows, mapping) through
    /// `reader`. An error here fails the attempt without reaching the destination;
    /// [`SourceError::Gone`] cancels the message.
    fn prepare(&self, message: &Message, reader: &mut ImportReader) -> Result<Self::Prepared, SourceError>;

    /// One attempt to deliver `prepared`, the content of `message`.
    fn send(&self, message: &Message, prepared: Self::Prepared) -> Outcome;

    /// Tries the destination without an import (the dashboard's "Test destination"): what a
    /// delivery needs, leaving nothing behind. A webhook gets a signed `sluice.test` message; a
    /// table is checked (its columns, the role's right to write) in a transaction rolled back; a
    /// bucket gets a small object put and deleted. `Delivered` when it would take messages.
    fn test(&self, probe: &Probe<'_>) -> Outcome;
}

/// What a test of a destination knows of its importer.
#[derive(Clone, Copy, Debug)]
pub struct Probe<'a> {
    /// The importer's key.
    pub importer: &'a str,
    /// Its schema's column keys.
    pub columns: &'a [String],
}

/// How one attempt went.
#[derive(Debug)]
pub enum Outcome {
    /// The destination has the message; `status` is its HTTP status when it speaks HTTP.
    Delivered {
        /// The acknowledging status, if any.
        status: Option<u16>,
    },
    /// It failed, and another attempt may succeed: after `after` when the destination said
    /// when (a `Retry-After`), else after the next wait of the lane's retry schedule. Once the
    /// schedule is used up the message becomes a dead letter all the same.
    Retry {
        /// The destination's own wait, if it gave one.
        after: Option<Duration>,
        /// What failed.
        failure: Failure,
    },
    /// It failed and no retry can help (the destination refuses the message for good): the
    /// message becomes a dead letter now, which the operator may retry.
    Dead(Failure),
}

/// Why an attempt failed, as the outbox records it for the operator: the status the
/// destination answered with (when it answered), and the kind's own typed error. Its text never
/// holds a cell value, a secret or a URL.
#[derive(Debug)]
pub struct Failure {
    status: Option<u16>,
    cause: Box<dyn std::error::Error + Send + Sync>,
}

impl Failure {
    /// A failure with no answer from the destination.
    pub fn new(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Failure { status: None, cause: Box::new(cause) }
    }

    /// A failure the destination answered with `status`.
    pub fn with_status(status: u16, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Failure { status: Some(status), cause: Box::new(cause) }
    }

    /// The destination's status, if it answered.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The kind's error (for a caller that knows the kind, by downcasting).
    pub fn cause(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self.cause.as_ref()
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cause.fmt(f)
    }
}

/// A destination whose prepared type is hidden, so that a lane can hold any kind.
pub trait Attempts: Send + Sync {
    /// Prepares and sends `message` once; an error when it could not be prepared.
    fn attempt(&self, message: &Message, reader: &mut ImportReader) -> Result<Outcome, SourceError>;

    /// Tries the destination without an import ([`Destination::test`]).
    fn try_without_import(&self, probe: &Probe<'_>) -> Outcome;
}

impl<D: Destination> Attempts for D {
    fn attempt(&self, message: &Message, reader: &mut ImportReader) -> Result<Outcome, SourceError> {
        let prepared = self.prepare(message, reader)?;
        Ok(self.send(message, prepared))
    }

    fn try_without_import(&self, probe: &Probe<'_>) -> Outcome {
        self.test(probe)
    }
}

/// Why a configured destination cannot be opened.
#[derive(Debug)]
#[non_exhaustive]
pub enum OpenError {
    /// A webhook's settings are not usable.
    Webhook(WebhookError),
    /// A PostgreSQL table's settings are not usable.
    Postgres(postgres::OpenError),
    /// An S3 bucket's settings are not usable.
    S3(s3::OpenError),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Webhook(e) => write!(f, "webhook: {e}"),
            OpenError::Postgres(e) => write!(f, "postgres: {e}"),
            OpenError::S3(e) => write!(f, "s3: {e}"),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Webhook(e) => Some(e),
            OpenError::Postgres(e) => Some(e),
            OpenError::S3(e) => Some(e),
        }
    }
}

/// The running destination of a configured one: the one place a kind is chosen.
pub fn open(destination: &config::Destination) -> Result<Box<dyn Attempts>, OpenError> {
    match destination {
        config::Destination::Webhook(hook) => {
            Ok(Box::new(webhook::WebhookDestination::open(hook).map_err(OpenError::Webhook)?))
        }
        config::Destination::Postgres(table) => {
            Ok(Box::new(postgres::PostgresDestination::open(table).map_err(OpenError::Postgres)?))
        }
        config::Destination::S3(bucket) => {
            Ok(Box::new(s3::S3Destination::open(bucket).map_err(OpenError::S3)?))
        }
    }
}
