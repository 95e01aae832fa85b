//! Connections to one database: a few kept idle for reuse, new ones made on demand, broken ones
//! dropped; transactions retried on a serialization failure or a deadlock; PostgreSQL's errors
//! mapped to [`ErrorKind`] by SQLSTATE, without any parameter value.

use super::super::{ErrorKind, Result, StoreError};
use postgres::error::SqlState;
use postgres::{Client, Transaction};
use std::sync::Mutex;
use std::time::Duration;

/// How often a transaction is tried when PostgreSQL aborts it for a serialization failure or a
/// deadlock, before the store answers [`ErrorKind::Unavailable`].
const TRIES: u32 = 5;

/// What a piece of SQL work can fail with: PostgreSQL's error (classified once the retries are
/// done), or the store's own.
#[derive(Debug)]
pub(super) enum Fail {
    /// PostgreSQL refused or could not be reached.
    Db(postgres::Error),
    /// The store found something wrong itself (a damaged row, say).
    Store(StoreError),
}

impl From<postgres::Error> for Fail {
    fn from(e: postgres::Error) -> Self {
        Fail::Db(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

/// A result of SQL work.
pub(super) type Sql<T> = std::result::Result<T, Fail>;

/// The connections to one database.
pub(super) struct Pool {
    /// Which database, for errors: `data` or `keystore` (never its URL).
    name: &'static str,
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    idle: Mutex<Vec<Client>>,
    max_idle: usize,
}

impl Pool {
    /// A pool for the database `config` names, keeping at most `max_idle` connections idle.
    pub(super) fn new(
        name: &'static str,
        mut config: postgres::Config,
        tls: tokio_postgres_rustls::MakeRustlsConnect,
        max_idle: usize,
    ) -> Pool {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("sluice");
        Pool { name, config, tls, idle: Mutex::new(Vec::new()), max_idle: max_idle.max(1) }
    }

    /// A new connection, not from the pool (migrations hold one for their advisory lock).
    pub(super) fn connect(&self) -> Result<Client> {
        self.config.connect(self.tls.clone()).map_err(|e| self.error(&Fail::Db(e)))
    }

    /// Runs `work` on a connection, again (up to [`TRIES`] times) when PostgreSQL aborted it for
    /// a serialization failure or a deadlock.
    pub(super) fn run<T>(&self, mut work: impl FnMut(&mut Client) -> Sql<T>) -> Result<T> {
        let mut tries = 0;
        loop {
            tries += 1;
            let mut client = match self.take() {
                Some(client) => client,
                None => self.connect()?,
            };
            let outcome = work(&mut client);
            let failure = match outcome {
                Ok(value) => {
                    self.keep(client);
                    return Ok(value);
                }
                Err(failure) => failure,
            };
            if !broken(&client, &failure) {
                self.keep(client);
            }
            if !(retryable(&failure) && tries < TRIES) {
                return Err(self.error(&failure));
            }
        }
    }

    /// Runs `work` in a transaction, committed when it succeeds (see [`run`](Pool::run)).
    pub(super) fn transaction<T>(&self, mut work: impl FnMut(&mut Transaction<'_>) -> Sql<T>) -> Result<T> {
        self.run(|client| {
            let mut tx = client.transaction()?;
            let value = work(&mut tx)?;
            tx.commit()?;
            Ok(value)
        })
    }

    fn take(&self) -> Option<Client> {
        let mut idle = self.idle.lock().ok()?;
        while let Some(client) = idle.pop() {
            if !client.is_closed() {
                return Some(client);
            }
        }
        None
    }

    fn keep(&self, client: Client) {
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle && !client.is_closed() {
                idle.push(client);
            }
        }
    }

    /// `failure` as a store error naming this database.
    pub(super) fn error(&self, failure: &Fail) -> StoreError {
        match failure {
            Fail::Store(e) => StoreError::new(e.kind(), e.detail()),
            Fail::Db(e) => {
                let (kind, detail) = classify(e);
                StoreError::new(kind, format!("the PostgreSQL {} database: {detail}", self.name))
            }
        }
    }
}

/// Whether `e` is PostgreSQL's unique violation.
pub(super) fn unique_violation(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
}

fn retryable(failure: &Fail) -> bool {
    let Fail::Db(e) = failure else { return false };
    matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// Whether the connection `failure` came from should not be used again.
fn broken(client: &Client, failure: &Fail) -> bool {
    let Fail::Db(e) = failure else { return client.is_closed() };
    client.is_closed() || e.is_closed() || connection_class(e)
}

/// A connection failure: no SQLSTATE (an I/O error), class 08, or the server shutting down.
fn connection_class(e: &postgres::Error) -> bool {
    match e.code() {
        None => true,
        Some(code) => code.code().starts_with("08") || code.code().starts_with("57P"),
    }
}

/// The kind of `e` and what to say of it. Data exceptions (class 22) and integrity violations
/// (class 23) quote values in their messages, so those are named by code and constraint only.
fn classify(e: &postgres::Error) -> (ErrorKind, String) {
    let Some(db) = e.as_db_error() else {
        let source = std::error::Error::source(e).map(ToString::to_string).unwrap_or_else(|| e.to_string());
        return (ErrorKind::Unavailable, format!("cannot reach it: {source}"));
    };
    let code = db.code().code();
    let kind = match code {
        "23505" => ErrorKind::Conflict,
        "53100" => ErrorKind::Full,
        "XX001" | "XX002" => ErrorKind::Corrupt,
        "40001" | "40P01" | "57014" => ErrorKind::Unavailable,
        _ if code.starts_with("08") || code.starts_with("57P") || code.starts_with("53") => {
            ErrorKind::Unavailable
        }
        _ => ErrorKind::Other,
    };
    let detail = if code.starts_with("22") || code.starts_with("23") {
        let constraint = db.constraint().map(|c| format!(" on {c}")).unwrap_or_default();
        format!("SQLSTATE {code}{constraint}")
    } else {
        format!("{} (SQLSTATE {code})", db.message())
    };
    (kind, detail)
}
