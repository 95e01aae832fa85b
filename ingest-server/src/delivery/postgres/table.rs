//! Writing rows into a PostgreSQL table in the operator's own database: the half of the
//! PostgreSQL destination that talks to the database.
//!
//! The table is the operator's: two columns that say where a row came from, `import_id` (text)
//! and `row_number` (bigint, the data row number in the file), then one column per schema column
//! the destination writes, named by the column's key, of any type PostgreSQL can read the
//! canonical value into (`integer`/`bigint` for integers, `numeric` for numbers, `date`,
//! `timestamp`, `boolean`, `text`, …). [`check_table`] says plainly which table or column is
//! missing before anything is written.
//!
//! Each [`write_rows`] (a chunk of rows, in memory) and each [`write_streamed`] (a whole
//! import, its rows read as they are copied) is one transaction: it deletes the rows the same
//! import wrote before for the same row numbers, then `COPY`s the rows in. A retry (after a crash between the commit and
//! the outbox's record of it, or a lost answer) therefore replaces what the first try wrote and
//! never duplicates a row; a unique index on `(import_id, row_number)` is recommended and never
//! violated. Errors name the row, the column and PostgreSQL's condition, never a value (the
//! database's own message for a bad value quotes it, so it is not passed on).

use postgres::error::SqlState;
use postgres::{Client, GenericClient, Transaction};
use std::fmt;
use std::io::Write;

/// A table name from the configuration: `table` or `schema.table`, each part an SQL identifier
/// written as the table was created (case kept; quoted when used).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableName {
    schema: Option<String>,
    name: String,
}

impl TableName {
    /// Parses `table` or `schema.table`; each part 1 to 63 bytes, no quote or NUL.
    pub fn parse(text: &str) -> Result<TableName, String> {
        let (schema, name) = match text.split_once('.') {
            Some((schema, name)) => (Some(identifier(schema)?), identifier(name)?),
            None => (None, identifier(text)?),
        };
        Ok(TableName { schema, name })
    }

    /// The name as SQL: each part in double quotes.
    fn sql(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote(schema), quote(&self.name)),
            None => quote(&self.name),
        }
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// Checks one part of a table name.
fn identifier(part: &str) -> Result<String, String> {
    if part.is_empty() || part.len() > 63 {
        return Err(format!("\"{part}\" is not a table name: 1 to 63 bytes, as `table` or `schema.table`"));
    }
    if part.contains(['"', '\0', '.']) {
        return Err(format!("\"{part}\" is not a table name: no quotes, NUL or extra dots"));
    }
    Ok(part.to_owned())
}

/// An identifier in double quotes (a double quote inside doubled).
fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// Why rows could not be written.
#[derive(Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The table does not exist (or this role cannot see it).
    MissingTable(String),
    /// The table has no such column.
    MissingColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
    },
    /// The role may not write the table as a delivery does (insert and delete).
    NotWritable {
        /// The table.
        table: String,
        /// What the role may not do: `INSERT`, `DELETE` or both.
        missing: &'static str,
    },
    /// PostgreSQL refused a row: the row number, the column when it said, and its condition.
    Row {
        /// The data row number.
        row: u64,
        /// The column, when PostgreSQL named it.
        column: Option<String>,
        /// SQLSTATE and its name, such as `22P02 invalid_text_representation`.
        condition: String,
    },
    /// Anything else from the database or the connection (never a value): whether trying again
    /// later can help, and what happened.
    Database {
        /// A lost connection, a timeout, a serialisation failure, too many connections, a shutdown.
        transient: bool,
        /// What went wrong.
        message: String,
    },
}

impl WriteError {
    /// Whether trying the same rows again later can succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, WriteError::Database { transient: true, .. })
    }
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::MissingTable(table) => {
                write!(f, "the table {table} does not exist (or the role cannot see it)")
            }
            WriteError::MissingColumn { table, column } => {
                write!(f, "the table {table} has no column \"{column}\"")
            }
            WriteError::NotWritable { table, missing } => {
                write!(f, "the role may not {missing} on {table}: grant it INSERT and DELETE on the table")
            }
            WriteError::Row { row, column: Some(column), condition } => {
                write!(f, "PostgreSQL refused row {row}, column \"{column}\": {condition}")
            }
            WriteError::Row { row, column: None, condition } => {
                write!(f, "PostgreSQL refused row {row}: {condition}")
            }
            WriteError::Database { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for WriteError {}

/// The columns every destination table has before the schema's.
const ORIGIN_COLUMNS: [&str; 2] = ["import_id", "row_number"];

/// Checks that `table` exists with `import_id`, `row_number` and every one of `columns`.
pub fn check_table(
    client: &mut impl GenericClient,
    table: &TableName,
    columns: &[String],
) -> Result<(), WriteError> {
    let sql = "SELECT attname FROM pg_attribute
               WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped";
    let rows = client.query(sql, &[&table.sql()]).map_err(|e| database(&e))?;
    if rows.is_empty() {
        return Err(WriteError::MissingTable(table.to_string()));
    }
    let present: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let needed = ORIGIN_COLUMNS.iter().copied().chain(columns.iter().map(String::as_str));
    match needed.into_iter().find(|c| !present.iter().any(|p| p == c)) {
        Some(column) => {
            Err(WriteError::MissingColumn { table: table.to_string(), column: column.to_owned() })
        }
        None => Ok(()),
    }
}

/// Checks, in a transaction rolled back, that `table` has its columns and that the role may
/// insert into it and delete from it, as a delivery does (the test of a destination).
pub fn check_writable(client: &mut Client, table: &TableName, columns: &[String]) -> Result<(), WriteError> {
    let mut transaction = client.transaction().map_err(|e| database(&e))?;
    check_table(&mut transaction, table, columns)?;
    let sql = "SELECT has_table_privilege(to_regclass($1::text)::oid, 'INSERT'),
                      has_table_privilege(to_regclass($1::text)::oid, 'DELETE')";
    let row = transaction.query_one(sql, &[&table.sql()]).map_err(|e| database(&e))?;
    let (insert, delete): (bool, bool) = (row.get(0), row.get(1));
    transaction.rollback().map_err(|e| database(&e))?;
    let missing = match (insert, delete) {
        (true, true) => return Ok(()),
        (false, true) => "INSERT",
        (true, false) => "DELETE",
        (false, false) => "INSERT and DELETE",
    };
    Err(WriteError::NotWritable { table: table.to_string(), missing })
}

/// One row to write: its data row number and its canonical values, one per column (`None`
/// for an empty cell, written as SQL `NULL`).
pub struct Row<'a> {
    /// The data row number in the file.
    pub number: u64,
    /// The values, in the order of the columns.
    pub values: Vec<Option<&'a str>>,
}

/// Writes `rows` of import `import_id` into `table` in one transaction, replacing what the
/// import wrote before for row numbers `first..=last` (the range the rows belong to, so that a
/// row dropped since is dropped from the table too). Returns the rows written.
pub fn write_rows(
    client: &mut Client,
    table: &TableName,
    columns: &[String],
    import_id: &str,
    range: (u64, u64),
    rows: &[Row<'_>],
) -> Result<u64, WriteError> {
    write_streamed(client, (table, columns), import_id, range, |copy| {
        rows.iter().try_for_each(|row| copy.push(row.number, &row.values))
    })
}

/// As [`write_rows`], with the rows handed to the `COPY` by `fill` as it reads them, so that
/// memory stays one row however many there are (a whole import in one transaction).
pub fn write_streamed(
    client: &mut Client,
    (table, columns): (&TableName, &[String]),
    import_id: &str,
    range: (u64, u64),
    fill: impl FnOnce(&mut CopyRows<'_, '_>) -> Result<(), WriteError>,
) -> Result<u64, WriteError> {
    let mut transaction = client.transaction().map_err(|e| database(&e))?;
    replace(&mut transaction, table, import_id, range)?;
    let mut copy = CopyRows::start(&mut transaction, table, columns, import_id)?;
    fill(&mut copy)?;
    let written = copy.finish()?;
    transaction.commit().map_err(|e| database(&e))?;
    Ok(written)
}

/// Deletes what the import wrote before for these row numbers.
fn replace(
    transaction: &mut Transaction<'_>,
    table: &TableName,
    import_id: &str,
    range: (u64, u64),
) -> Result<(), WriteError> {
    let sql = format!("DELETE FROM {} WHERE import_id = $1 AND row_number BETWEEN $2 AND $3", table.sql());
    let (first, last) = (to_i64(range.0), to_i64(range.1));
    transaction.execute(&sql, &[&import_id, &first, &last]).map_err(|e| database(&e))?;
    Ok(())
}

/// A `COPY` of rows into the table under way, in PostgreSQL's text format; it keeps the row
/// numbers in the order sent, to name the row PostgreSQL refuses by its line.
pub struct CopyRows<'t, 'c> {
    writer: postgres::CopyInWriter<'t>,
    import_id: &'c str,
    numbers: Vec<u64>,
    line: Vec<u8>,
}

impl<'t, 'c> CopyRows<'t, 'c> {
    fn start(
        transaction: &'t mut Transaction<'_>,
        table: &TableName,
        columns: &[String],
        import_id: &'c str,
    ) -> Result<Self, WriteError> {
        let names: Vec<String> =
            ORIGIN_COLUMNS.iter().map(|c| quote(c)).chain(columns.iter().map(|c| quote(c))).collect();
        let sql = format!("COPY {} ({}) FROM STDIN", table.sql(), names.join(", "));
        let writer = transaction.copy_in(&sql).map_err(|e| database(&e))?;
        Ok(CopyRows { writer, import_id, numbers: Vec::new(), line: Vec::with_capacity(256) })
    }

    /// Sends one row: its data row number and its values, one per column (`None` for NULL).
    pub fn push(&mut self, number: u64, values: &[Option<&str>]) -> Result<(), WriteError> {
        self.line.clear();
        escape(&mut self.line, Some(self.import_id));
        self.line.extend_from_slice(format!("\t{number}").as_bytes());
        for value in values {
            self.line.push(b'\t');
            escape(&mut self.line, *value);
        }
        self.line.push(b'\n');
        self.numbers.push(number);
        self.writer.write_all(&self.line).map_err(|e| copy_failed(&e))
    }

    /// Ends the `COPY`; the rows sent.
    fn finish(self) -> Result<u64, WriteError> {
        let CopyRows { writer, numbers, .. } = self;
        writer.finish().map_err(|e| refused(&e, &numbers))?;
        Ok(numbers.len() as u64)
    }
}

/// A value in COPY's text format: `\N` for NULL, backslash, tab, newline and carriage return
/// escaped.
fn escape(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(value) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    for byte in value.bytes() {
        match byte {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(byte),
        }
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A write into the COPY stream failed: the connection went (the server's reason comes with
/// `finish`, which is not reached).
fn copy_failed(e: &std::io::Error) -> WriteError {
    WriteError::Database {
        transient: true,
        message: format!("the connection failed during COPY: {}", e.kind()),
    }
}

/// The end of COPY refused: a row PostgreSQL could not take, named by its line in the COPY.
fn refused(e: &postgres::Error, numbers: &[u64]) -> WriteError {
    let Some(db) = e.as_db_error() else { return database(e) };
    let row_at =
        |line: u64| line.checked_sub(1).and_then(|i| usize::try_from(i).ok()).and_then(|i| numbers.get(i));
    let place = db.where_().and_then(copy_place).and_then(|(line, column)| Some((*row_at(line)?, column)));
    match place {
        Some((row, column)) => WriteError::Row {
            row,
            column: column.or_else(|| db.column().map(str::to_owned)),
            condition: condition(db.code()),
        },
        _ => database(e),
    }
}

/// The line and column of `COPY table, line 3, column age: "…"` (the value after the colon is
/// dropped).
fn copy_place(context: &str) -> Option<(u64, Option<String>)> {
    let after = &context[context.find(", line ")? + ", line ".len()..];
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    let line = after[..digits].parse().ok()?;
    let column = after[digits..].strip_prefix(", column ").map(|rest| {
        let end = rest.find(':').unwrap_or(rest.len());
        rest[..end].to_owned()
    });
    Some((line, column))
}

/// SQLSTATE and the condition's name.
fn condition(code: &SqlState) -> String {
    let name = match code.code() {
        "22P02" => "invalid_text_representation",
        "22003" => "numeric_value_out_of_range",
        "22007" => "invalid_datetime_format",
        "22008" => "datetime_field_overflow",
        "22001" => "string_data_right_truncation",
        "23502" => "not_null_violation",
        "23505" => "unique_violation",
        "23514" => "check_violation",
        "23503" => "foreign_key_violation",
        "22021" => "character_not_in_repertoire",
        _ => "see PostgreSQL's error codes",
    };
    format!("{} {name}", code.code())
}

/// Any other error, without the database's message where it may quote a value.
fn database(e: &postgres::Error) -> WriteError {
    // Without a database error it is the connection (lost, refused, timed out): worth another try.
    let Some(db) = e.as_db_error() else {
        return WriteError::Database { transient: true, message: connection_message(e) };
    };
    let code = db.code();
    let transient = [
        SqlState::T_R_SERIALIZATION_FAILURE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::TOO_MANY_CONNECTIONS,
        SqlState::ADMIN_SHUTDOWN,
        SqlState::CRASH_SHUTDOWN,
        SqlState::CANNOT_CONNECT_NOW,
        SqlState::QUERY_CANCELED,
        SqlState::LOCK_NOT_AVAILABLE,
    ]
    .contains(code);
    let message = match code.code() {
        // Classes whose messages never hold a value: privileges, names, connection, resources.
        c if c.starts_with("42")
            || c.starts_with("08")
            || c.starts_with("53")
            || c.starts_with("57")
            || c.starts_with("28") =>
        {
            format!("PostgreSQL: {} ({})", db.message(), code.code())
        }
        _ => format!("PostgreSQL refused the write: {}", condition(code)),
    };
    WriteError::Database { transient, message }
}

/// A connection error's kind, without the address or credentials.
fn connection_message(e: &postgres::Error) -> String {
    let source = std::error::Error::source(e).map(ToString::to_string).unwrap_or_default();
    if source.is_empty() {
        format!("PostgreSQL connection: {e}")
    } else {
        format!("PostgreSQL connection: {source}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_one_or_two_identifiers() {
        assert_eq!(TableName::parse("contacts").unwrap().sql(), "\"contacts\"");
        assert_eq!(TableName::parse("crm.Contacts").unwrap().sql(), "\"crm\".\"Contacts\"");
        for bad in ["", "a.b.c", "a\"b", ".x", &"x".repeat(64)] {
            assert!(TableName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_are_escaped_for_copy_text() {
        let mut out = Vec::new();
        escape(&mut out, Some("a\tb\\c\nd\re"));
        out.push(b'|');
        escape(&mut out, None);
        assert_eq!(out, b"a\\tb\\\\c\\nd\\re|\\N");
    }

    #[test]
    fn the_place_of_a_refused_row_leaves_its_value_out() {
        assert_eq!(
            copy_place("COPY contacts, line 3, column age: \"abc\""),
            Some((3, Some("age".to_owned())))
        );
        assert_eq!(copy_place("COPY contacts, line 12"), Some((12, None)));
        assert_eq!(copy_place("SQL statement"), None);
    }
}
