//! Writing rows into a PostgreSQL table (`delivery::postgres`) against a real PostgreSQL from
//! Debian's package, started for each test on 127.0.0.1: the table checked before writing, a
//! retry that replaces and never duplicates, values PostgreSQL refuses named by row and column
//! but never quoted, and text that needs escaping in COPY.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::delivery::postgres::{Row, TableName, WriteError, check_table, write_rows};
use support::services::Postgres;

const TABLE: &str = "CREATE TABLE crm.contacts (import_id text NOT NULL, row_number bigint NOT NULL,
    email text NOT NULL, age integer, joined date, PRIMARY KEY (import_id, row_number))";

fn columns() -> Vec<String> {
    ["email", "age", "joined"].map(str::to_owned).to_vec()
}

fn start() -> (Postgres, postgres::Client) {
    let pg = Postgres::start();
    pg.psql(&format!("CREATE SCHEMA crm; {TABLE}"));
    let client = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    (pg, client)
}

fn row<'a>(number: u64, values: [Option<&'a str>; 3]) -> Row<'a> {
    Row { number, values: values.to_vec() }
}

#[test]
fn a_missing_table_or_column_is_named_before_anything_is_written() {
    let (pg, mut client) = start();
    let table = TableName::parse("crm.contacts").unwrap();
    check_table(&mut client, &table, &columns()).unwrap();
    let missing = TableName::parse("crm.people").unwrap();
    assert_eq!(
        check_table(&mut client, &missing, &columns()),
        Err(WriteError::MissingTable("crm.people".to_owned()))
    );
    let mut more = columns();
    more.push("phone".to_owned());
    let error = check_table(&mut client, &table, &more).unwrap_err();
    assert_eq!(error.to_string(), "the table crm.contacts has no column \"phone\"");
    pg.psql("ALTER TABLE crm.contacts DROP COLUMN row_number");
    assert_eq!(
        check_table(&mut client, &table, &columns()),
        Err(WriteError::MissingColumn { table: "crm.contacts".to_owned(), column: "row_number".to_owned() })
    );
}

#[test]
fn a_retry_replaces_the_rows_it_wrote_and_never_duplicates_one() {
    let (pg, mut client) = start();
    let table = TableName::parse("crm.contacts").unwrap();
    let rows = [
        row(1, [Some("a@example.com"), Some("41"), Some("2024-02-29")]),
        row(2, [Some("b@example.com"), None, None]),
        row(3, [Some("c@example.com"), Some("7"), Some("1999-12-31")]),
    ];
    for _ in 0..3 {
        assert_eq!(write_rows(&mut client, &table, &columns(), "imp_1", (1, 3), &rows).unwrap(), 3);
    }
    // Another import's rows with the same numbers stay apart.
    write_rows(&mut client, &table, &columns(), "imp_2", (1, 1), &rows[..1]).unwrap();
    // The same range again without row 2 (deleted on review since): it goes from the table too.
    write_rows(&mut client, &table, &columns(), "imp_1", (1, 3), &[&rows[0], &rows[2]].map(clone)).unwrap();
    let table_rows = pg.psql(
        "SELECT import_id, row_number, email, coalesce(age::text, '-'), coalesce(joined::text, '-')
         FROM crm.contacts ORDER BY import_id, row_number",
    );
    assert_eq!(
        table_rows,
        "imp_1|1|a@example.com|41|2024-02-29\nimp_1|3|c@example.com|7|1999-12-31\nimp_2|1|a@example.com|41|2024-02-29\n"
    );
}

fn clone<'a>(row: &Row<'a>) -> Row<'a> {
    Row { number: row.number, values: row.values.clone() }
}

#[test]
fn a_value_postgresql_refuses_is_named_by_row_and_column_but_never_quoted() {
    let (pg, mut client) = start();
    let table = TableName::parse("crm.contacts").unwrap();
    let rows = [
        row(10, [Some("a@example.com"), Some("41"), None]),
        row(11, [Some("b@example.com"), Some("forty-two"), None]),
    ];
    let error = write_rows(&mut client, &table, &columns(), "imp_1", (10, 11), &rows).unwrap_err();
    assert_eq!(
        error,
        WriteError::Row {
            row: 11,
            column: Some("age".to_owned()),
            condition: "22P02 invalid_text_representation".to_owned()
        }
    );
    assert!(!error.to_string().contains("forty"), "{error}");
    assert!(!error.is_transient());
    let missing_email = [row(12, [None, None, None])];
    let error = write_rows(&mut client, &table, &columns(), "imp_1", (12, 12), &missing_email).unwrap_err();
    assert!(
        matches!(&error, WriteError::Row { row: 12, condition, .. } if condition.starts_with("23502")),
        "{error}"
    );
    // Nothing of a refused transaction stays.
    assert_eq!(pg.psql("SELECT count(*) FROM crm.contacts"), "0\n");
}

#[test]
fn text_that_copy_would_read_as_syntax_arrives_as_it_was() {
    let (pg, mut client) = start();
    pg.psql("CREATE TABLE notes (import_id text, row_number bigint, email text, age text, joined text)");
    let table = TableName::parse("notes").unwrap();
    let tricky = "tab\there\\N back\\slash\nnew line\r\ncrlf \u{e9}\u{1f600}";
    let rows = [row(1, [Some(tricky), Some(""), None])];
    write_rows(&mut client, &table, &columns(), "imp_1", (1, 1), &rows).unwrap();
    let back: postgres::Row = client.query_one("SELECT email, age, joined IS NULL FROM notes", &[]).unwrap();
    assert_eq!(back.get::<_, String>(0), tricky);
    assert_eq!(back.get::<_, String>(1), "");
    assert!(back.get::<_, bool>(2));
}

#[test]
fn a_lost_connection_is_worth_another_try() {
    let (pg, mut client) = start();
    let table = TableName::parse("crm.contacts").unwrap();
    pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND usename = 'sluice'");
    let rows = [row(1, [Some("a@example.com"), None, None])];
    let error = write_rows(&mut client, &table, &columns(), "imp_1", (1, 1), &rows).unwrap_err();
    assert!(error.is_transient(), "{error:?}");
}
