//! The PostgreSQL kind of destination: each `import.rows` message's rows are written into the
//! operator's table in one transaction (`table`: checked, replaced, `COPY`ed), so a retry never
//! duplicates a row; `import.completed` writes nothing. Rows the server found invalid are not
//! written (their values may not fit the table's types); their numbers are in the admin API.
//!
//! The connection follows the same network rules as every kind (`super::network`): the host is
//! resolved here and refused when it leads to this machine or a private network unless the
//! destination allows it, and the connection goes to the address that passed (the name is kept
//! for TLS). TLS is required unless the destination says `tls = "disable"`, with the server's
//! certificate checked against the public roots or the destination's `ca_file`. Each lane
//! thread keeps its connections for the next message; a failed one is dropped.

mod table;

pub use table::{Row, TableName, WriteError, check_table, check_writable, write_rows};

use super::destination::{Destination, Failure, Outcome, Probe};
use super::network;
use super::source::{ImportReader, SourceError};
use crate::config::PostgresTable;
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
    idle: Mutex<Vec<Client>>,
}

/// The rows of one message, owned.
#[derive(Debug, PartialEq, Eq)]
pub struct Chunk {
    range: (u64, u64),
    columns: Vec<String>,
    rows: Vec<(u64, Vec<Option<String>>)>,
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
            idle: Mutex::new(Vec::new()),
        })
    }

    /// A connection: one kept from before, or a new one to an address the rules allow.
    fn connect(&self) -> Result<Client, Outcome> {
        if let Some(client) = self.idle.lock().ok().and_then(|mut idle| idle.pop()) {
            if !client.is_closed() {
                return Ok(client);
            }
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

impl Destination for PostgresDestination {
    type Prepared = Option<Chunk>;

    fn prepare(&self, message: &Message, reader: &mut ImportReader) -> Result<Option<Chunk>, SourceError> {
        // A message of an import whose data is gone is cancelled, not written or failed.
        reader.import(&message.import_id)?;
        if message.kind != MessageKind::Rows {
            return Ok(None);
        }
        let mut columns: Option<Vec<(usize, String)>> = None;
        let mut rows = Vec::new();
        let range = reader.rows(message, |batch, row| {
            let picked = columns.get_or_insert_with(|| {
                let schema = batch.columns.iter().enumerate().filter(|(_, c)| c.kind == ColumnKind::Schema);
                schema
                    .filter(|(_, c)| self.columns.as_ref().is_none_or(|wanted| wanted.contains(&c.name)))
                    .map(|(i, c)| (i, c.name.clone()))
                    .collect()
            });
            if !row.invalid {
                let values = picked
                    .iter()
                    .map(|(i, _)| row.cells.get(*i).copied().flatten().map(str::to_owned))
                    .collect();
                rows.push((row.number, values));
            }
        })?;
        let columns = columns.unwrap_or_default().into_iter().map(|(_, name)| name).collect();
        Ok(Some(Chunk { range, columns, rows }))
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

    fn send(&self, message: &Message, chunk: Option<Chunk>) -> Outcome {
        let Some(chunk) = chunk else { return Outcome::Delivered { status: None } };
        let mut client = match self.connect() {
            Ok(client) => client,
            Err(outcome) => return outcome,
        };
        let rows: Vec<Row<'_>> = chunk
            .rows
            .iter()
            .map(|(number, values)| Row {
                number: *number,
                values: values.iter().map(Option::as_deref).collect(),
            })
            .collect();
        let written = check_table(&mut client, &self.table, &chunk.columns).and_then(|()| {
            write_rows(&mut client, &self.table, &chunk.columns, &message.import_id, chunk.range, &rows)
        });
        match written {
            Ok(_) => {
                self.keep(client);
                Outcome::Delivered { status: None }
            }
            // The table's rows would be refused again: a dead letter, for the operator to retry
            // once the table takes them.
            Err(e @ WriteError::Row { .. }) => {
                self.keep(client);
                Outcome::Dead(Failure::new(e))
            }
            // A missing table or column may be created before the schedule runs out.
            Err(e @ (WriteError::MissingTable(_) | WriteError::MissingColumn { .. })) => {
                self.keep(client);
                retry(e)
            }
            Err(e) => {
                if e.is_transient() {
                    retry(e)
                } else {
                    Outcome::Dead(Failure::new(e))
                }
            }
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
fn tls(ca_file: Option<&str>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, OpenError> {
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
        let chunk = destination.prepare(&messages[0], &mut fixture.reader()).unwrap().unwrap();
        assert_eq!(chunk.range, (1, 3));
        assert_eq!(chunk.columns, ["email"]);
        assert_eq!(chunk.rows.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 2], "row 3 is invalid");
        assert_eq!(destination.prepare(&messages[2], &mut fixture.reader()).unwrap(), None);
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
