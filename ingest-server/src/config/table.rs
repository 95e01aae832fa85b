//! `type = "postgres"` destinations: rows written into a table of the operator's own PostgreSQL
//! database. The URL names the server, database and role; its password comes from an
//! environment variable (`password_env`), never from the file or the URL, so it is in no
//! configuration file, log or error.

use super::bucket::parse_env_name;
use super::destination::{Delivery, read_delivery, read_timeout};
use super::error::Report;
use super::reader::Table;
use super::secret::Secret;
use std::time::Duration;

/// Rows per transaction by default (one message per chunk).
const DEFAULT_CHUNK_ROWS: u32 = 5000;

/// What one transaction writes into the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum PgTransaction {
    /// Each chunk of `chunk_rows` rows, so a large import shows in the table as it arrives
    /// (`"chunk"`).
    #[default]
    Chunk,
    /// The whole import: the table shows all of its rows or none (`"import"`).
    Import,
}

/// A table in the operator's PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PostgresTable {
    /// `postgres://role@host:port/database`, with no password.
    pub url: String,
    /// The environment variable that holds the role's password, if it has one.
    pub password_env: Option<String>,
    /// The role's password itself, for a table set up in the dashboard (sealed at rest there);
    /// never from the configuration file. Used before `password_env`.
    pub password: Option<Secret>,
    /// `table` or `schema.table`.
    pub table: String,
    /// The schema columns written (by key); all of them by default.
    pub columns: Option<Vec<String>>,
    /// Whether the connection must use TLS, with the server's certificate checked against the
    /// usual public roots or `ca_file` (`tls = "require"`, the default), or may be plain
    /// (`tls = "disable"`, for a database on this machine or a private network).
    pub tls: bool,
    /// A PEM file of the certificate authorities that sign the database server's certificate.
    pub ca_file: Option<String>,
    /// Whether the host may resolve to this machine or a private network (default false).
    pub allow_private_network: bool,
    /// Rows per message, each written in its own transaction (default 5000).
    pub chunk_rows: u32,
    /// A transaction per chunk of `chunk_rows` (the default) or per import.
    pub transaction: PgTransaction,
    /// One transaction at a time in order, or several at once.
    pub delivery: Delivery,
    /// The longest one transaction may take, connecting included.
    pub timeout: Duration,
}

/// The fields of a `postgres` destination.
pub(super) const FIELDS: &[&str] = &[
    "url",
    "password_env",
    "table",
    "columns",
    "tls",
    "ca_file",
    "allow_private_network",
    "chunk_rows",
    "transaction",
    "delivery",
    "parallelism",
    "timeout",
];

/// Reads a `postgres` destination.
pub(super) fn read(t: &Table<'_>, report: &mut Report<'_>) -> Option<PostgresTable> {
    let has_url = t.require("url", "\"postgres://sluice@db.example.com:5432/crm\"", report);
    let has_table = t.require("table", "\"public.contacts\"", report);
    let url = has_url.then(|| t.parsed("url", "expected a string", report, parse_url))??;
    let table = has_table.then(|| t.parsed("table", "expected a string", report, parse_table))??;
    let password_env = t.parsed("password_env", "expected a string", report, parse_env_name).map(|l| l.value);
    let columns =
        t.strings("columns", report, |c| Ok(c.to_owned())).map(|c| c.into_iter().map(|l| l.value).collect());
    let tls = t
        .parsed("tls", "expected a string", report, |mode| match mode {
            "require" => Ok(true),
            "disable" => Ok(false),
            _ => Err("expected \"require\" or \"disable\"".to_owned()),
        })
        .is_none_or(|tls| tls.value);
    let ca_file = t.string("ca_file", report).map(|l| l.value);
    let allow_private_network = t.boolean("allow_private_network", report).is_some_and(|a| a.value);
    let transaction = read_transaction(t, report);
    let chunk_rows = super::destination::chunk_rows(t, report, DEFAULT_CHUNK_ROWS);
    let delivery = read_delivery(t, report);
    let timeout = read_timeout(t, report);
    Some(PostgresTable {
        url: url.value,
        password_env,
        password: None,
        table: table.value,
        columns,
        tls,
        ca_file,
        allow_private_network,
        chunk_rows,
        transaction,
        delivery,
        timeout,
    })
}

/// Reads `transaction`; `"import"` takes no `chunk_rows` (the import is one message).
fn read_transaction(t: &Table<'_>, report: &mut Report<'_>) -> PgTransaction {
    let transaction = t
        .parsed("transaction", "expected a string", report, |mode| match mode {
            "chunk" => Ok(PgTransaction::Chunk),
            "import" => Ok(PgTransaction::Import),
            _ => Err("expected \"chunk\" or \"import\"".to_owned()),
        })
        .map_or(PgTransaction::Chunk, |l| l.value);
    if transaction == PgTransaction::Import && t.node("chunk_rows").is_some() {
        let message =
            "does not apply with transaction = \"import\": the import is written in one transaction";
        report.error(&t.place("chunk_rows"), message);
    }
    transaction
}

/// A `postgres://` or `postgresql://` URL with a host and no password; the message never
/// repeats it.
fn parse_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("postgres://")
        .or_else(|| text.strip_prefix("postgresql://"))
        .ok_or("expected a postgres:// URL, such as \"postgres://sluice@db.example.com:5432/crm\"")?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let (user, host) = authority.rsplit_once('@').unwrap_or(("", authority));
    if user.contains(':') {
        return Err(
            "the URL holds a password: put it in an environment variable named by password_env".to_owned()
        );
    }
    if host.is_empty() {
        return Err("the URL has no host".to_owned());
    }
    Ok(text.to_owned())
}

/// `table` or `schema.table`: 1 to 63 bytes each, no quote, NUL or further dot.
fn parse_table(text: &str) -> Result<String, String> {
    let parts: Vec<&str> = text.split('.').collect();
    let good = |p: &&str| !p.is_empty() && p.len() <= 63 && !p.contains(['"', '\0']);
    if parts.len() > 2 || !parts.iter().all(good) {
        return Err(
            "expected a table name as \"table\" or \"schema.table\", each part 1 to 63 bytes, no quotes"
                .to_owned(),
        );
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_a_password_or_without_a_host_are_refused_without_repeating_them() {
        assert!(parse_url("postgres://sluice@db.example.com:5432/crm").is_ok());
        assert!(parse_url("postgresql://db.example.com/crm?application_name=x").is_ok());
        let error = parse_url("postgres://sluice:hunter2@db.example.com/crm").unwrap_err();
        assert!(error.contains("password_env") && !error.contains("hunter2"), "{error}");
        assert!(parse_url("postgres:///crm").is_err());
        assert!(parse_url("mysql://db/crm").is_err());
    }

    #[test]
    fn table_names_and_variable_names_are_checked() {
        assert!(parse_table("contacts").is_ok() && parse_table("crm.contacts").is_ok());
        assert!(parse_table("a.b.c").is_err() && parse_table("x\"y").is_err() && parse_table("").is_err());
        assert!(parse_env_name("CRM_DB_PASSWORD").is_ok());
        assert!(parse_env_name("1X").is_err() && parse_env_name("A-B").is_err());
    }
}
