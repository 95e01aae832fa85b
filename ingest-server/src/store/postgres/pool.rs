//! Connections to one database: at most a set number open at once (a caller waits for one beyond
//! it), kept for reuse with the statements prepared on them, broken ones dropped; transactions
//! retried on a serialization failure or a deadlock; PostgreSQL's errors mapped to [`ErrorKind`]
//! by SQLSTATE, without any parameter value.

use super::super::{ErrorKind, Result, StoreError};
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, GenericClient, Row, Statement, Transaction};
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long a caller waits for a connection when all are in use.
const WAIT: Duration = Duration::from_secs(30);

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

/// Statements kept prepared on one connection, at most; past it they are prepared afresh.
const STATEMENTS: usize = 256;

/// A pooled connection and the statements prepared on it, by their SQL: each statement is parsed
/// and planned once per connection, and each use is one round trip instead of two.
pub(super) struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// A transaction on a pooled connection, preparing through its connection's statements.
pub(super) struct Tx<'a> {
    tx: Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

/// What SQL work runs on, a connection or a transaction: the methods of the driver's clients,
/// with the statement prepared once per connection.
pub(super) trait Db {
    /// The driver's client.
    type Inner: GenericClient;

    /// The driver's client and the connection's prepared statements.
    fn parts(&mut self) -> (&mut Self::Inner, &mut HashMap<String, Statement>);

    /// `sql` prepared on this connection, once.
    fn prepare(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        let (client, statements) = self.parts();
        if let Some(statement) = statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        if statements.len() >= STATEMENTS {
            statements.clear();
        }
        statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    /// Runs `sql`; how many rows it changed.
    fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<u64, postgres::Error> {
        let statement = self.prepare(sql)?;
        self.parts().0.execute(&statement, params)
    }

    /// Runs `sql`; its rows.
    fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Vec<Row>, postgres::Error> {
        let statement = self.prepare(sql)?;
        self.parts().0.query(&statement, params)
    }

    /// Runs `sql`; its one row.
    fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Row, postgres::Error> {
        let statement = self.prepare(sql)?;
        self.parts().0.query_one(&statement, params)
    }

    /// Runs `sql`; its row, if any (an error for more than one).
    fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> std::result::Result<Option<Row>, postgres::Error> {
        let statement = self.prepare(sql)?;
        self.parts().0.query_opt(&statement, params)
    }

    /// Runs statements without parameters, unprepared (`VACUUM`, say).
    fn batch_execute(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        self.parts().0.batch_execute(sql)
    }
}

impl Db for Conn {
    type Inner = Client;

    fn parts(&mut self) -> (&mut Client, &mut HashMap<String, Statement>) {
        (&mut self.client, &mut self.statements)
    }
}

impl<'a> Db for Tx<'a> {
    type Inner = Transaction<'a>;

    fn parts(&mut self) -> (&mut Transaction<'a>, &mut HashMap<String, Statement>) {
        (&mut self.tx, self.statements)
    }
}

/// The connections to one database.
pub(super) struct Pool {
    /// Which database, for errors: `data` or `keystore` (never its URL).
    name: &'static str,
    config: postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    state: Mutex<State>,
    /// Signalled when a connection is given back or closed.
    freed: Condvar,
    max: usize,
}

/// The connections: those idle, and how many are open (idle or in use).
#[derive(Default)]
struct State {
    idle: Vec<Conn>,
    open: usize,
}

impl Pool {
    /// A pool of at most `max` connections to the database `config` names.
    pub(super) fn new(
        name: &'static str,
        mut config: postgres::Config,
        tls: tokio_postgres_rustls::MakeRustlsConnect,
        max: usize,
    ) -> Pool {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("sluice");
        Pool { name, config, tls, state: Mutex::default(), freed: Condvar::new(), max: max.max(1) }
    }

    /// A new connection, not from the pool (migrations hold one for their advisory lock).
    pub(super) fn connect(&self) -> Result<Client> {
        self.config.connect(self.tls.clone()).map_err(|e| self.error(&Fail::Db(e)))
    }

    /// Runs `work` on a connection, again (up to [`TRIES`] times) when PostgreSQL aborted it for
    /// a serialization failure or a deadlock.
    pub(super) fn run<T>(&self, mut work: impl FnMut(&mut Conn) -> Sql<T>) -> Result<T> {
        let mut tries = 0;
        loop {
            tries += 1;
            let mut client = self.take()?;
            let outcome = work(&mut client);
            let failure = match outcome {
                Ok(value) => {
                    self.give_back(client, false);
                    return Ok(value);
                }
                Err(failure) => failure,
            };
            let broken = broken(&client.client, &failure);
            self.give_back(client, broken);
            if !(retryable(&failure) && tries < TRIES) {
                return Err(self.error(&failure));
            }
        }
    }

    /// Runs `work` in a transaction, committed when it succeeds (see [`run`](Pool::run)).
    pub(super) fn transaction<T>(&self, mut work: impl FnMut(&mut Tx<'_>) -> Sql<T>) -> Result<T> {
        self.run(|conn| {
            let Conn { client, statements } = conn;
            let mut tx = Tx { tx: client.transaction()?, statements };
            let value = work(&mut tx)?;
            tx.tx.commit()?;
            Ok(value)
        })
    }

    /// An idle connection, or a new one while fewer than `max` are open, or the next one given
    /// back (waiting at most [`WAIT`]).
    fn take(&self) -> Result<Conn> {
        let mut state = self.state();
        loop {
            while let Some(conn) = state.idle.pop() {
                if !conn.client.is_closed() {
                    return Ok(conn);
                }
                state.open = state.open.saturating_sub(1);
            }
            if state.open < self.max {
                state.open += 1;
                drop(state);
                let client = self.connect().inspect_err(|_| self.closed())?;
                return Ok(Conn { client, statements: HashMap::new() });
            }
            let (next, waited) = self.freed.wait_timeout(state, WAIT).unwrap_or_else(PoisonError::into_inner);
            if waited.timed_out() && next.idle.is_empty() && next.open >= self.max {
                return Err(StoreError::new(
                    ErrorKind::Unavailable,
                    format!("every connection to the PostgreSQL {} database stayed busy", self.name),
                ));
            }
            state = next;
        }
    }

    /// Puts `client` back for the next caller, or closes it when it is `broken`, with every idle
    /// one: a connection that broke (the server restarted, a failover) says the others did too,
    /// so one request fails for it rather than one per connection kept.
    fn give_back(&self, conn: Conn, broken: bool) {
        if broken || conn.client.is_closed() {
            drop(conn);
            let mut state = self.state();
            let idle = std::mem::take(&mut state.idle);
            state.open = state.open.saturating_sub(idle.len());
            drop(state);
            drop(idle);
            self.closed();
        } else {
            self.state().idle.push(conn);
            self.freed.notify_one();
        }
    }

    /// Counts a connection as closed (or never made).
    fn closed(&self) {
        let mut state = self.state();
        state.open = state.open.saturating_sub(1);
        drop(state);
        self.freed.notify_one();
    }

    /// The pool's state: one left by a thread that panicked still counts connections right.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
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

fn retryable(failure: &Fail) -> bool {
    let Fail::Db(e) = failure else { return false };
    stale_statement(e)
        || matches!(e.code(), Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED)
}

/// Whether the connection `failure` came from should not be used again.
fn broken(client: &Client, failure: &Fail) -> bool {
    let Fail::Db(e) = failure else { return client.is_closed() };
    client.is_closed() || e.is_closed() || connection_class(e) || stale_statement(e)
}

/// A statement prepared before a newer instance's migration changed its table ("cached plan
/// must not change result type"): the connection, with its prepared statements, is dropped, and
/// the work tried again on a fresh one.
fn stale_statement(e: &postgres::Error) -> bool {
    e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED)
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
