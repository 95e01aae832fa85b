//! The PostgreSQL destination against a real PostgreSQL from Debian's package, started for each
//! test on 127.0.0.1: through the server, every row of an import lands once in the operator's
//! table however often the server is killed while delivering, and with `transaction =
//! "import"` the table shows all of an import's rows or none of them; and its database half
//! (`delivery::postgres`) checks the table before writing, retries by replacing and never
//! duplicating, names refused values by row and column without quoting them, and escapes text
//! for COPY.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::delivery::postgres::{Row, TableName, WriteError, check_table, write_rows};
use std::time::{Duration, Instant};
use support::services::Postgres;
use support::{ADMIN_TOKEN, Server, config, import, retries};

/// The example schema's table, as an operator would create it.
const CONTACTS: &str = "CREATE TABLE contacts (import_id text NOT NULL, row_number bigint NOT NULL,
    id bigint, first_name text, last_name text, email text, phone text, birth_date date, plan text,
    newsletter boolean, PRIMARY KEY (import_id, row_number))";

fn destination(pg: &Postgres, extra: &str) -> String {
    let url = pg.url.replace(&format!(":{}@", pg.password), "@");
    format!(
        "[[importers.destinations]]\ntype = \"postgres\"\nurl = \"{url}\"\npassword_env = \"CRM_DB_PASSWORD\"\n\
         table = \"contacts\"\ntls = \"disable\"\nallow_private_network = true\n{extra}\n"
    )
}

fn count(pg: &Postgres, id: &str) -> u64 {
    pg.psql(&format!("SELECT count(*) FROM contacts WHERE import_id = '{id}'")).trim().parse().unwrap()
}

#[test]
fn every_row_lands_once_in_the_table_however_often_the_server_is_killed() {
    const ROWS: u64 = 20_000;
    let pg = Postgres::start();
    pg.psql(CONTACTS);
    let env = [("CRM_DB_PASSWORD", pg.password.as_str()), ("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];
    let settings = config(&retries(&["100ms", "100ms", "100ms"]), &destination(&pg, "chunk_rows = 200"));
    let mut server = Server::with_env(&settings, &env);
    let id = import(&server, ROWS, 1000);
    // Killed as soon as the first rows are in, then as more arrive.
    let mut kills = 0;
    let start = Instant::now();
    while count(&pg, &id) < ROWS {
        assert!(start.elapsed() < Duration::from_secs(90), "not delivered: {} rows", count(&pg, &id));
        if kills < 4 && count(&pg, &id) > kills * ROWS / 5 {
            server = Server::in_dir(server.kill9(), &env);
            kills += 1;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(kills >= 2, "killed {kills} times only: the delivery ended too soon to test anything");
    let distinct = pg.psql(&format!("SELECT count(DISTINCT row_number), min(row_number), max(row_number) FROM contacts WHERE import_id = '{id}'"));
    assert_eq!(distinct, format!("{ROWS}|1|{ROWS}\n"));
    let first = pg.psql(&format!(
        "SELECT id, email, birth_date, newsletter FROM contacts WHERE import_id = '{id}' AND row_number = 1"
    ));
    assert!(first.starts_with("1|user1@example.com|"), "{first}");
    let path = format!("/v1/admin/imports/{id}");
    let start = Instant::now();
    loop {
        let (status, record) = server.admin("GET", &path, Some(ADMIN_TOKEN));
        assert_eq!(status, 200);
        if record["delivery"]["delivered"] == ROWS / 200 + 1 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the completion was not recorded: {record}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn in_one_transaction_per_import_the_table_shows_all_of_an_import_or_none_of_it() {
    const ROWS: u64 = 30_000;
    let pg = Postgres::start();
    pg.psql(CONTACTS);
    let env = [("CRM_DB_PASSWORD", pg.password.as_str()), ("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];
    let settings =
        config(&retries(&["100ms", "100ms", "100ms"]), &destination(&pg, "transaction = \"import\""));
    let mut server = Server::with_env(&settings, &env);
    let id = import(&server, ROWS, 1000);
    // Killed while the one transaction is under way (or before it starts), then started again.
    std::thread::sleep(Duration::from_millis(150));
    server = Server::in_dir(server.kill9(), &env);
    let start = Instant::now();
    loop {
        let rows = count(&pg, &id);
        assert!(rows == 0 || rows == ROWS, "{rows} rows: part of an import is in the table");
        if rows == ROWS {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "not delivered");
        std::thread::sleep(Duration::from_millis(5));
    }
    let distinct =
        pg.psql(&format!("SELECT count(DISTINCT row_number) FROM contacts WHERE import_id = '{id}'"));
    assert_eq!(distinct.trim(), ROWS.to_string());
    let path = format!("/v1/admin/imports/{id}");
    let start = Instant::now();
    loop {
        let (_, record) = server.admin("GET", &path, Some(ADMIN_TOKEN));
        if record["delivery"]["delivered"] == 2 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "one message for the rows, one for the completion: {record}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_missing_table_is_retried_until_the_operator_creates_it_and_said_plainly_meanwhile() {
    let pg = Postgres::start();
    let env = [("CRM_DB_PASSWORD", pg.password.as_str()), ("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)];
    let settings =
        config(&retries(&["300ms", "300ms", "300ms", "300ms", "300ms", "300ms"]), &destination(&pg, ""));
    let server = Server::with_env(&settings, &env);
    let id = import(&server, 10, 10);
    let path = format!("/v1/admin/imports/{id}");
    let start = Instant::now();
    let record = loop {
        let (_, record) = server.admin("GET", &path, Some(ADMIN_TOKEN));
        if record["messages"][0]["attempts"].as_u64().unwrap_or(0) >= 1 {
            break record;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "never tried: {record}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        record["messages"][0]["lastError"],
        "the table contacts does not exist (or the role cannot see it)"
    );
    pg.psql(CONTACTS);
    let start = Instant::now();
    while count(&pg, &id) < 10 {
        assert!(start.elapsed() < Duration::from_secs(20), "not delivered once the table exists");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!server.stderr().contains(&pg.password), "the password reached the log");
}

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

#[test]
fn testing_the_destination_checks_the_table_and_the_roles_right_to_write_and_writes_nothing() {
    let pg = Postgres::start();
    pg.psql(CONTACTS);
    pg.psql("CREATE ROLE reader LOGIN PASSWORD 'reader-pw-0123456789'; GRANT SELECT ON contacts TO reader");
    let reader =
        destination(&pg, "").replace("sluice@", "reader@").replace("CRM_DB_PASSWORD", "READER_PASSWORD");
    let missing = destination(&pg, "").replace("table = \"contacts\"", "table = \"leads\"");
    let env = [
        ("CRM_DB_PASSWORD", pg.password.as_str()),
        ("READER_PASSWORD", "reader-pw-0123456789"),
        ("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN),
    ];
    let settings = config("", &format!("{}{reader}{missing}", destination(&pg, "")));
    let server = Server::with_env(&settings, &env);
    let test = |index: usize| {
        let path = format!("/v1/admin/importers/demo/destinations/{index}/test");
        let (status, tested) = server.admin("POST", &path, Some(ADMIN_TOKEN));
        assert_eq!(status, 200, "{tested}");
        (tested["outcome"].as_str().unwrap().to_owned(), tested["error"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(test(0), ("delivered".to_owned(), String::new()));
    let (outcome, error) = test(1);
    assert_eq!(outcome, "failed");
    assert_eq!(
        error,
        "the role may not INSERT and DELETE on contacts: grant it INSERT and DELETE on the table"
    );
    let (outcome, error) = test(2);
    assert_eq!(
        (outcome.as_str(), error.as_str()),
        ("failed", "the table leads does not exist (or the role cannot see it)")
    );
    assert_eq!(pg.psql("SELECT count(*) FROM contacts").trim(), "0");
    let (_, audit) = server.admin("GET", "/v1/admin/audit", Some(ADMIN_TOKEN));
    let tested: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "destination_tested")
        .map(|e| e["detail"]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(tested, ["failed", "failed", "delivered"]);
    assert!(!audit.to_string().contains(&pg.password));
}
