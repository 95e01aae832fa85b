//! The PostgreSQL kind of destination: each `import.rows` message's rows are written into the
//! operator's table in one transaction (`table`: checked, replaced, `COPY`ed), so a retry never
//! duplicates a row; `import.completed` writes nothing. With `transaction = "import"` the plan
//! gives the destination one message for the whole import, whose rows are read from the sealed
//! batches while they are copied (memory stays one row), so the table shows all of an import's
//! rows or none of them. Rows the server found invalid are not
//! written (their values may not fit the table's types); their numbers are in the admin API.
//!
//! The connection follows the same network rules as every kind (`super::network`): the host is
//! resolved here and refused when it leads to this machine or a private network unless the
//! destination allows it, and the connection goes to the address that passed (the name is kept
//! for TLS). TLS is required unless the destination says `tls = "disable"`, with the server's
//! certificate checked against the public roots or the destination's `ca_file`. Each lane
//! thread keeps its connections for the next message; a failed one is dropped.

mod table;

pub use table::{
    CopyRows, Row, TableName, WriteError, check_table, check_writable, write_rows, write_streamed,
};

use super::destination::{Destination, Failure, Outcome, Probe};
use super::network;
use super::source::{ImportReader, SourceError};
use crate::config::{PgTransaction, PostgresTable};
use crate::store::{Message, MessageKind};
use postgres::Client;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sluice_parser::batch::ColumnKind;
use std::net::ToSocketAddrs;
use std::sync::{Arc, Mutex};

/// A configured table, ready to write into.
pub struct PostgresDestination {
    config: postgres::Config,
    host: String,
    port: u16,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    table: TableName,
    columns: Option<Vec<String>>,
    allow_private: bool,
    whole_import: bool,
    idle: Mutex<Vec<Client>>,
}

/// What one attempt writes.
#[derive(Debug, PartialEq, Eq)]
pub enum Prepared {
    /// Nothing (`import.completed`).
    Nothing,
    /// The rows of one message, owned.
    Chunk(Chunk),
    /// A whole import's rows, read again while they are copied.
    Import(Streamed),
}

/// The rows of one message, owned.
#[derive(Debug, PartialEq, Eq)]
pub struct Chunk {
    range: (u64, u64),
    columns: Vec<String>,
    rows: Vec<(u64, Vec<Option<String>>)>,
}

/// A message whose rows are read while they are copied: which batch columns go to which table
/// columns, and a reader of its own.
pub struct Streamed {
    columns: Vec<(usize, String)>,
    message: Box<Message>,
    reader: ImportReader,
}

// Two preparations are the same when they copy the same columns of the same message.
impl PartialEq for Streamed {
    fn eq(&self, other: &Self) -> bool {
        self.columns == other.columns && self.message.id == other.message.id
    }
}

impl Eq for Streamed {}

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Streamed({}, {} rows, {:?})", self.message.id, self.message.row_count, self.columns)
    }
}

/// Why a PostgreSQL destination cannot be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The URL does not parse as a PostgreSQL connection string.
    Url(String),
    /// `password_env` names a variable that is not set.
    Password(String),
    /// `ca_file` cannot be read or holds no certificate.
    Certificates(String),
    /// The table name is not one.
    Table(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Url(e) => write!(f, "the URL is not a PostgreSQL connection URL ({e})"),
            OpenError::Password(name) => {
                write!(f, "the environment variable {name} (password_env) is not set")
            }
            OpenError::Certificates(e) => write!(f, "ca_file: {e}"),
            OpenError::Table(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for OpenError {}

impl PostgresDestination {
    /// Opens `table`: reads its URL, password and certificates; connects on first use.
    pub fn open(table: &PostgresTable) -> Result<Self, OpenError> {
        let mut config: postgres::Config =
            table.url.parse().map_err(|e: postgres::Error| OpenError::Url(e.to_string()))?;
        if let Some(password) = &table.password {
            config.password(password.expose());
        } else if let Some(name) = &table.password_env {
            let password = std::env::var(name).map_err(|_| OpenError::Password(name.clone()))?;
            config.password(password);
        }
        let (host, port) = endpoint(&config).ok_or_else(|| OpenError::Url("no host".to_owned()))?;
        config.connect_timeout(table.timeout);
        config.options(&format!("-c statement_timeout={}", table.timeout.as_millis()));
        config.application_name("sluice");
        config.ssl_mode(if table.tls {
            postgres::config::SslMode::Require
        } else {
            postgres::config::SslMode::Disable
        });
        let tls = table.tls.then(|| tls(table.ca_file.as_deref())).transpose()?;
        Ok(PostgresDestination {
            config,
            host,
            port,
            tls,
            table: TableName::parse(&table.table).map_err(OpenError::Table)?,
            columns: table.columns.clone(),
            allow_private: table.allow_private_network,
            whole_import: table.transaction == PgTransaction::Import,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// A connection: one kept from before, or a new one to an address the rules allow.
    fn connect(&self) -> Result<Client, Outcome> {
        if let Some(client) = self.idle.lock().ok().and_then(|mut idle| idle.pop())
            && !client.is_closed()
        {
            return Ok(client);
        }
        let resolved = (self.host.as_str(), self.port).to_socket_addrs().map_err(|e| {
            retry(WriteError::Database {
                transient: true,
                message: format!("cannot resolve the host: {}", e.kind()),
            })
        })?;
        let allowed =
            network::public_only(resolved, self.allow_private).map_err(|e| Outcome::Dead(Failure::new(e)))?;
        let mut config = self.config.clone();
        config.hostaddr(allowed[0].ip());
        let connected = match &self.tls {
            Some(tls) => config.connect(tls.clone()),
            None => config.connect(postgres::NoTls),
        };
        connected.map_err(|e| retry(WriteError::Database { transient: true, message: connect_message(&e) }))
    }

    fn keep(&self, client: Client) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(client);
        }
    }
}

impl PostgresDestination {
    /// The batch columns the destination writes, by index and name, from a batch's header.
    fn picked(&self, batch: &sluice_parser::batch::Batch<'_>) -> Vec<(usize, String)> {
        let schema = batch.columns.iter().enumerate().filter(|(_, c)| c.kind == ColumnKind::Schema);
        schema
            .filter(|(_, c)| self.columns.as_ref().is_none_or(|wanted| wanted.contains(&c.name)))
            .map(|(i, c)| (i, c.name.clone()))
            .collect()
    }

    /// The message's valid rows, owned, with the columns written.
    fn chunk(&self, message: &Message, reader: &mut ImportReader) -> Result<Chunk, SourceError> {
        let mut columns: Option<Vec<(usize, String)>> = None;
        let mut rows = Vec::new();
        let range = reader.rows(message, |batch, row| {
            let picked = columns.get_or_insert_with(|| self.picked(batch));
            if !row.invalid {
                let values = picked.iter().map(|(i, _)| cell(row, *i).map(str::to_owned)).collect();
                rows.push((row.number, values));
            }
        })?;
        let columns = columns.unwrap_or_default().into_iter().map(|(_, name)| name).collect();
        Ok(Chunk { range, columns, rows })
    }

    /// A whole import's message: its columns from its first row's batch, and a reader of its own.
    fn streamed(&self, message: &Message, reader: &mut ImportReader) -> Result<Streamed, SourceError> {
        let first = Message { row_count: message.row_count.min(1), ..message.clone() };
        let mut columns = Vec::new();
        reader.rows(&first, |batch, _| columns = self.picked(batch))?;
        Ok(Streamed { columns, message: Box::new(message.clone()), reader: reader.fork() })
    }

    /// Writes `prepared` over `client` in one transaction.
    fn write(&self, client: &mut Client, message: &Message, prepared: Prepared) -> Result<(), Failed> {
        match prepared {
            Prepared::Nothing => Ok(()),
            Prepared::Chunk(chunk) => {
                let rows: Vec<Row<'_>> = chunk
                    .rows
                    .iter()
                    .map(|(number, values)| Row {
                        number: *number,
                        values: values.iter().map(Option::as_deref).collect(),
                    })
                    .collect();
                check_table(client, &self.table, &chunk.columns)?;
                write_rows(client, &self.table, &chunk.columns, &message.import_id, chunk.range, &rows)?;
                Ok(())
            }
            Prepared::Import(streamed) => self.write_import(client, streamed),
        }
    }

    /// Copies a whole import's valid rows as they are read, replacing every row it wrote before.
    fn write_import(&self, client: &mut Client, streamed: Streamed) -> Result<(), Failed> {
        let Streamed { columns, message, mut reader } = streamed;
        let names: Vec<String> = columns.iter().map(|(_, name)| name.clone()).collect();
        check_table(client, &self.table, &names)?;
        let mut read = Ok((0, 0));
        write_streamed(client, (&self.table, &names), &message.import_id, (0, u64::MAX), |copy| {
            let mut failed = Ok(());
            read = reader.rows(&message, |_, row| {
                if row.invalid || failed.is_err() {
                    return;
                }
                let values: Vec<Option<&str>> = columns.iter().map(|(i, _)| cell(row, *i)).collect();
                failed = copy.push(row.number, &values);
            });
            failed
        })?;
        read.map(|_| ()).map_err(Failed::Source)
    }
}

/// Cell `i` of `row`.
fn cell<'r>(row: &'r sluice_parser::batch::BatchRow<'_>, i: usize) -> Option<&'r str> {
    row.cells.get(i).copied().flatten()
}

/// Why writing failed: the database, or reading the import again.
enum Failed {
    Write(WriteError),
    Source(SourceError),
}

impl From<WriteError> for Failed {
    fn from(e: WriteError) -> Self {
        Failed::Write(e)
    }
}

impl Destination for PostgresDestination {
    type Prepared = Prepared;

    fn prepare(&self, message: &Message, reader: &mut ImportReader) -> Result<Prepared, SourceError> {
        // A message of an import whose data is gone is cancelled, not written or failed.
        reader.import(&message.import_id)?;
        Ok(match (message.kind, self.whole_import) {
            (MessageKind::Rows, false) => Prepared::Chunk(self.chunk(message, reader)?),
            (MessageKind::Rows, true) => Prepared::Import(self.streamed(message, reader)?),
            _ => Prepared::Nothing,
        })
    }

    fn test(&self, probe: &Probe<'_>) -> Outcome {
        let mut client = match self.connect() {
            Ok(client) => client,
            Err(outcome) => return outcome,
        };
        let columns: Vec<String> = match &self.columns {
            Some(wanted) => wanted.clone(),
            None => probe.columns.to_vec(),
        };
        match check_writable(&mut client, &self.table, &columns) {
            Ok(()) => {
                self.keep(client);
                Outcome::Delivered { status: None }
            }
            Err(e) => Outcome::Dead(Failure::new(e)),
        }
    }

    fn send(&self, message: &Message, prepared: Prepared) -> Outcome {
        if prepared == Prepared::Nothing {
            return Outcome::Delivered { status: None };
        }
        let mut client = match self.connect() {
            Ok(client) => client,
            Err(outcome) => return outcome,
        };
        match self.write(&mut client, message, prepared) {
            Ok(()) => {
                self.keep(client);
                Outcome::Delivered { status: None }
            }
            // The import was readable when prepared; reading it again failed: try again later.
            Err(Failed::Source(e)) => Outcome::Retry { after: None, failure: Failure::new(e) },
            Err(Failed::Write(e)) => self.failed(client, e),
        }
    }
}

impl PostgresDestination {
    /// What a write that failed means for the message.
    fn failed(&self, client: Client, e: WriteError) -> Outcome {
        match e {
            // The table's rows would be refused again: a dead letter, for the operator to retry
            // once the table takes them.
            WriteError::Row { .. } => {
                self.keep(client);
                Outcome::Dead(Failure::new(e))
            }
            // A missing table or column may be created before the schedule runs out.
            WriteError::MissingTable(_) | WriteError::MissingColumn { .. } => {
                self.keep(client);
                retry(e)
            }
            _ if e.is_transient() => retry(e),
            _ => Outcome::Dead(Failure::new(e)),
        }
    }
}

fn retry(e: WriteError) -> Outcome {
    Outcome::Retry { after: None, failure: Failure::new(e) }
}

/// The URL's one host and port (5432 unless given).
fn endpoint(config: &postgres::Config) -> Option<(String, u16)> {
    let host = match config.get_hosts().first()? {
        postgres::config::Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        postgres::config::Host::Unix(_) => return None,
    };
    Some((host, config.get_ports().first().copied().unwrap_or(5432)))
}

/// The TLS connector: the public roots, or the CAs of `ca_file`.
pub(crate) fn tls(ca_file: Option<&str>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, OpenError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| OpenError::Certificates(format!("cannot read {path}: {e}")))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(OpenError::Certificates(format!("{path} holds no usable certificate")));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| OpenError::Certificates(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Why a connection failed, without the URL or password.
fn connect_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("PostgreSQL refused the connection: {} ({})", db.message(), db.code().code()),
        None => {
            let source =
                std::error::Error::source(e).map(ToString::to_string).unwrap_or_else(|| e.to_string());
            format!("cannot connect to PostgreSQL: {source}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Delivery;
    use crate::delivery::contract::{self, Fixture};
    use std::time::Duration;

    fn table(columns: Option<Vec<String>>) -> PostgresTable {
        PostgresTable {
            url: "postgres://sluice@db.example.com/crm".to_owned(),
            password_env: None,
            password: None,
            table: "crm.contacts".to_owned(),
            columns,
            tls: true,
            ca_file: None,
            allow_private_network: false,
            chunk_rows: 5000,
            transaction: PgTransaction::Chunk,
            delivery: Delivery::Sequential,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_postgres_destination_keeps_the_destination_contract() {
        contract::run(&PostgresDestination::open(&table(None)).unwrap());
    }

    #[test]
    fn a_chunk_holds_the_valid_rows_of_its_range_in_the_columns_asked_for() {
        let destination = PostgresDestination::open(&table(Some(vec!["email".to_owned()]))).unwrap();
        let fixture = Fixture::new();
        let messages = Fixture::messages();
        let Prepared::Chunk(chunk) = destination.prepare(&messages[0], &mut fixture.reader()).unwrap() else {
            panic!("a chunk")
        };
        assert_eq!(chunk.range, (1, 3));
        assert_eq!(chunk.columns, ["email"]);
        assert_eq!(chunk.rows.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 2], "row 3 is invalid");
        assert_eq!(destination.prepare(&messages[2], &mut fixture.reader()).unwrap(), Prepared::Nothing);
    }

    #[test]
    fn in_one_transaction_per_import_a_message_is_read_while_it_is_copied() {
        let mut config = table(Some(vec!["email".to_owned()]));
        config.transaction = PgTransaction::Import;
        let destination = PostgresDestination::open(&config).unwrap();
        contract::run(&destination);
        let fixture = Fixture::new();
        let Prepared::Import(streamed) =
            destination.prepare(&Fixture::messages()[0], &mut fixture.reader()).unwrap()
        else {
            panic!("an import read while it is copied")
        };
        assert_eq!(streamed.columns.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>(), ["email"]);
    }

    #[test]
    fn a_password_variable_that_is_not_set_is_named_when_opening() {
        let mut config = table(None);
        config.password_env = Some("SLUICE_TEST_NO_SUCH_VARIABLE".to_owned());
        let error = PostgresDestination::open(&config).err().unwrap();
        assert_eq!(
            error.to_string(),
            "the environment variable SLUICE_TEST_NO_SUCH_VARIABLE (password_env) is not set"
        );
    }
}
