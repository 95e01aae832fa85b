//! Protocol v1 against the real server: the happy path, replays, conflicts, the uniform refusal,
//! re-validation on the server, completion checks. On SQLite, or on PostgreSQL and S3 with
//! `SLUICE_TEST_STORE=postgres` (`support::backend`).
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_parser::batch::{Batch, BatchColumn, BatchOptions, BatchWriter, ColumnKind};
use sluice_parser::validate::{Cell, CheckedRow, Values};
use sluice_server::client::{Client, ClientError, FileInfo, Upload};
use support::{Server, batches, config, csv};

fn client(server: &Server) -> Client {
    Client::new(&server.url, "demo").unwrap()
}

fn start(client: &Client) -> Upload<'_> {
    client.start(&FileInfo::named("contacts.csv", 1234), Default::default(), Default::default()).unwrap()
}

/// The problem document of a refused request, as bytes, with its status.
fn refusal(result: Result<sluice_server::client::Answer, ClientError>) -> (u16, serde_json::Value) {
    let answer = result.unwrap();
    assert_eq!(answer.content_type, "application/problem+json");
    (answer.status, serde_json::from_slice(&answer.body).unwrap())
}

#[test]
fn an_import_goes_from_handshake_to_verified_completion() {
    let server = Server::start();
    let client = client(&server);
    let config = client.config().unwrap();
    assert_eq!((config.protocol, config.key.as_str(), config.invalid_rows.as_str()), (1, "demo", "refuse"));
    assert_eq!(config.schema().unwrap().digest_hex(), config.schema_digest);
    let upload = start(&client);
    assert!(upload.import_id.starts_with("imp_") && upload.token.starts_with("sut_"));
    let sent = batches(&csv(2500, |_| String::new()), 1000, false);
    assert_eq!(sent.len(), 3);
    for (sequence, batch) in sent.iter().enumerate() {
        let ack = upload.send(batch).unwrap();
        assert_eq!((ack.sequence, ack.invalid_rows), (sequence as u64, 0));
    }
    let status = upload.status().unwrap();
    assert_eq!((status.status.as_str(), status.rows, status.batches.len()), ("open", 2500, 3));
    assert_eq!(status.batches[2].first_row, 2001);
    let done = upload.complete_all().unwrap();
    assert_eq!((done.batches, done.rows, done.invalid_rows), (3, 2500, 0));
    assert_eq!(upload.status().unwrap().status, "complete");
    let again = upload.complete(3, 2500).unwrap();
    assert_eq!((again.rows, again.batches), (2500, 3), "completing again answers the same");
    let late = upload.send(&sent[0]).unwrap_err();
    assert_eq!(late.code(), Some("import_closed"));
}

#[test]
fn a_replayed_batch_answers_the_same_and_is_stored_once() {
    let server = Server::start();
    let client = client(&server);
    let upload = start(&client);
    let sent = batches(&csv(10, |_| String::new()), 1000, false);
    let (sequence, first_row, rows, body) = upload.seal(&sent[0]).unwrap();
    let first = client.put_raw(&upload.import_id, &upload.token, sequence, first_row, rows, &body).unwrap();
    let second = client.put_raw(&upload.import_id, &upload.token, sequence, first_row, rows, &body).unwrap();
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.body, second.body);
    assert!(!first.replayed && second.replayed);
    let resealed = upload.seal(&sent[0]).unwrap().3;
    assert_ne!(resealed, body, "a fresh nonce makes a different body");
    let third =
        client.put_raw(&upload.import_id, &upload.token, sequence, first_row, rows, &resealed).unwrap();
    assert_eq!(
        (third.status, &third.body, third.replayed),
        (201, &first.body, true),
        "the same batch resealed is a replay"
    );
    let status = upload.status().unwrap();
    assert_eq!((status.batches.len(), status.rows), (1, 10));
}

#[test]
fn another_batch_under_a_used_number_is_a_conflict() {
    let server = Server::start();
    let client = client(&server);
    let upload = start(&client);
    let one = batches(&csv(10, |_| String::new()), 1000, false);
    let other = batches(&csv(10, |n| format!("note {n}")), 1000, false);
    upload.send(&one[0]).unwrap();
    let error = upload.send(&other[0]).unwrap_err();
    assert!(matches!(error, ClientError::Problem { status: 409, .. }), "{error}");
    assert_eq!(error.code(), Some("batch_conflict"));
    assert_eq!(upload.status().unwrap().rows, 10);
}

#[test]
fn tampering_wrong_aad_another_import_and_an_expired_token_get_one_uniform_refusal() {
    let server = Server::with_config(&config("upload_token_ttl = \"2s\"", ""));
    let client = client(&server);
    let a = start(&client);
    let b = start(&client);
    let batch = &batches(&csv(10, |_| String::new()), 1000, false)[0];
    let (sequence, first_row, rows, body) = a.seal(batch).unwrap();
    let mut tampered = body.clone();
    tampered[40] ^= 1;
    let mut refusals = vec![
        refusal(client.put_raw(&a.import_id, &a.token, sequence, first_row, rows, &tampered)),
        refusal(client.put_raw(&a.import_id, &a.token, sequence, first_row + 1, rows, &body)),
        refusal(client.put_raw(&a.import_id, &a.token, sequence + 1, first_row, rows, &body)),
        refusal(client.put_raw(&b.import_id, &b.token, sequence, first_row, rows, &body)),
        refusal(client.put_raw(&b.import_id, &a.token, sequence, first_row, rows, &body)),
        refusal(client.put_raw(
            "imp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            &a.token,
            sequence,
            first_row,
            rows,
            &body,
        )),
        refusal(client.put_raw(&a.import_id, "sut_not-a-token", sequence, first_row, rows, &body)),
        refusal(client.put_raw(&a.import_id, &a.token, sequence, first_row, rows, &body[..20])),
    ];
    std::thread::sleep(std::time::Duration::from_millis(2100));
    refusals.push(refusal(client.put_raw(&a.import_id, &a.token, sequence, first_row, rows, &body)));
    for (i, refused) in refusals.iter().enumerate() {
        assert_eq!(refused, &refusals[0], "refusal {i} differs");
    }
    assert_eq!(refusals[0].0, 403);
    assert_eq!(refusals[0].1["code"], "rejected");
    assert_eq!(a.status().unwrap_err().code(), Some("rejected"), "the token expired");
}

#[test]
fn invalid_rows_are_refused_with_where_and_what_never_the_value() {
    let server = Server::start();
    let client = client(&server);
    let upload = start(&client);
    let mut file = csv(20, |_| String::new());
    file.extend_from_slice(
        support::row(21, "").replace("user21@example.com", "SECRET-not-an-email").as_bytes(),
    );
    let sent = batches(&file, 1000, true);
    let error = upload.send(&sent[0]).unwrap_err();
    let ClientError::Problem { status, code, body, .. } = &error else { panic!("{error}") };
    assert_eq!((*status, code.as_str()), (422, "rows_invalid"));
    assert_eq!(
        body["errors"],
        serde_json::json!([{ "row": 21, "column": "email", "code": "email_missing_at" }])
    );
    assert!(!body.to_string().contains("SECRET"));
    assert!(!server.stderr().contains("SECRET"));
    assert_eq!(upload.status().unwrap().rows, 0);
}

#[test]
fn an_importer_that_records_invalid_rows_stores_and_counts_them() {
    let server = Server::with_config(&config("", "invalid_rows = \"record\""));
    let client = client(&server);
    let upload = start(&client);
    let mut file = csv(20, |_| String::new());
    file.extend_from_slice(support::row(21, "").replace("user21@example.com", "nope").as_bytes());
    file.extend_from_slice(
        support::row(22, "").replace("user22@example.com", "user1@example.com").as_bytes(),
    );
    let sent = batches(&file, 10, true);
    let acks: Vec<u32> = sent.iter().map(|b| upload.send(b).unwrap().invalid_rows).collect();
    assert_eq!(acks, [0, 0, 1], "the bad email; the duplicate spans batches");
    let done = upload.complete_all().unwrap();
    assert_eq!((done.rows, done.invalid_rows), (22, 2), "completion finds the duplicate across batches");
}

#[test]
fn a_batch_with_unmapped_columns_is_refused_when_the_importer_leaves_them_out() {
    let server = Server::start();
    let client = client(&server);
    assert_eq!(client.config().unwrap().unmapped_columns, "leave_out", "the default");
    let upload = start(&client);
    let kept = support::batches_keeping_unmapped(&csv(3, |_| String::new()), 10).remove(0);
    assert!(Batch::decode(&kept).unwrap().columns.iter().any(|c| c.name == "Notes"), "Notes is kept");
    let refused = upload.send(&kept).unwrap_err();
    let ClientError::Problem { status, code, body, .. } = &refused else { panic!("{refused}") };
    assert_eq!((*status, code.as_str(), &body["keptColumns"]), (422, "unmapped_columns_refused", &1.into()));
    assert!(body["detail"].as_str().unwrap().contains("unmapped_columns = \"leave_out\""), "{body}");

    let mut file = csv(3, |_| String::new());
    file.extend_from_slice(support::row(4, "").replace("yes,\n", "yes,,surplus\n").as_bytes());
    let extras = support::batches_keeping_unmapped(&file, 10).remove(0);
    let refused = upload.send(&extras).unwrap_err();
    let ClientError::Problem { code, body, .. } = &refused else { panic!("{refused}") };
    assert_eq!((code.as_str(), &body["row"]), ("unmapped_columns_refused", &4.into()), "{body}");
    assert!(body["detail"].as_str().unwrap().contains("row 4 has fields past the header"), "{body}");
    assert_eq!(upload.status().unwrap().rows, 0, "nothing is stored");
    let plain = batches(&csv(3, |_| String::new()), 10, false).remove(0);
    assert_eq!(upload.send(&plain).unwrap().row_count, 3, "the schema's columns alone pass");
}

#[test]
fn an_importer_that_keeps_unmapped_columns_stores_them() {
    let server = Server::with_config(&config("", "unmapped_columns = \"keep\""));
    let client = client(&server);
    assert_eq!(client.config().unwrap().unmapped_columns, "keep");
    let upload = start(&client);
    let kept = support::batches_keeping_unmapped(&csv(3, |_| String::new()), 10).remove(0);
    assert_eq!(upload.send(&kept).unwrap().row_count, 3);
    assert_eq!(upload.complete_all().unwrap().rows, 3);
}

#[test]
fn the_server_checks_every_row_itself_whatever_the_browser_says() {
    let server = Server::start();
    let client = client(&server);
    let upload = start(&client);
    let mut file = csv(3, |_| String::new());
    file.extend_from_slice(support::row(4, "").replace(",pro,", ",platinum,").as_bytes());
    let original = batches(&file, 1000, true).remove(0);
    let mut batch = original.clone();
    // The browser flagged row 4; a lying one clears the flag. Rows start after the fixed
    // header (58 bytes), the column count and the columns; row 4 is the last.
    let decoded = Batch::decode(&original).unwrap();
    let rows_start = 59 + decoded.columns.iter().map(|c| 2 + c.name.len()).sum::<usize>();
    let candidates: Vec<usize> = (rows_start..batch.len()).filter(|&i| batch[i] == 1).collect();
    for at in candidates {
        let mut lying = batch.clone();
        lying[at] = 0;
        let same_cells =
            |a: &Batch<'_>, b: &Batch<'_>| a.rows().map(|r| r.cells).eq(b.rows().map(|r| r.cells));
        if let Ok(lie) = Batch::decode(&lying)
            && lie.rows().all(|r| !r.invalid)
            && same_cells(&lie, &decoded)
        {
            batch = lying;
            break;
        }
    }
    assert!(Batch::decode(&batch).unwrap().rows().all(|r| !r.invalid), "the flag is cleared");
    let error = upload.send(&batch).unwrap_err();
    let ClientError::Problem { code, body, .. } = &error else { panic!("{error}") };
    assert_eq!(code, "rows_invalid");
    assert_eq!(body["errors"], serde_json::json!([{ "row": 4, "column": "plan", "code": "not_allowed" }]));

    let not_a_batch = upload.seal_raw(0, 1, 1, b"SLCB but nothing more").unwrap();
    let refused = client.put_raw(&upload.import_id, &upload.token, 0, 1, 1, &not_a_batch).unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&refused.body).unwrap();
    assert_eq!((refused.status, problem["code"].as_str()), (422, Some("batch_invalid")));
    assert!(problem["detail"].as_str().unwrap().starts_with("batch byte "), "{problem}");

    let renumbered = upload.seal_raw(7, 1, 4, &batch).unwrap();
    let refused = client.put_raw(&upload.import_id, &upload.token, 7, 1, 4, &renumbered).unwrap();
    let problem: serde_json::Value = serde_json::from_slice(&refused.body).unwrap();
    assert_eq!((refused.status, problem["code"].as_str()), (422, Some("batch_invalid")));
    assert!(problem["detail"].as_str().unwrap().contains("header says sequence 0"), "{problem}");
}

#[test]
fn completion_checks_the_counts_and_names_missing_batches() {
    let server = Server::start();
    let client = client(&server);
    let upload = start(&client);
    let sent = batches(&csv(30, |_| String::new()), 10, false);
    upload.send(&sent[0]).unwrap();
    upload.send(&sent[2]).unwrap();
    let missing = upload.complete(3, 30).unwrap_err();
    let ClientError::Problem { status, code, body, .. } = &missing else { panic!("{missing}") };
    assert_eq!((*status, code.as_str(), &body["missing"]), (409, "incomplete", &serde_json::json!([1])));
    upload.send(&sent[1]).unwrap();
    let wrong = upload.complete(3, 31).unwrap_err();
    assert_eq!(wrong.code(), Some("count_mismatch"));
    assert_eq!(upload.complete(3, 30).unwrap().rows, 30);
}

#[test]
fn files_and_imports_over_the_importer_limits_are_refused() {
    let server = Server::with_config(&config(
        "",
        "[importers.limits]\nmax_rows = 15\nmax_file_size = \"1MB\"\nbatch_rows = 10",
    ));
    let client = client(&server);
    let big = client.start(&FileInfo::named("big.csv", 2_000_000), Default::default(), Default::default());
    assert_eq!(big.err().and_then(|e| e.code().map(str::to_owned)).as_deref(), Some("file_too_large"));
    let upload = start(&client);
    let sent = batches(&csv(20, |_| String::new()), 10, false);
    upload.send(&sent[0]).unwrap();
    assert_eq!(upload.send(&sent[1]).unwrap_err().code(), Some("too_many_rows"));
    let eleven = batches(&csv(11, |_| String::new()), 11, false);
    let other = start(&client);
    assert_eq!(other.send(&eleven[0]).unwrap_err().code(), Some("batch_invalid"));
}

#[test]
fn bad_requests_say_what_is_wrong() {
    let server = Server::start();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let post = |body: &str| {
        let mut response = agent
            .post(format!("{}/v1/importers/demo/imports", server.url))
            .content_type("application/json")
            .send(body)
            .unwrap();
        let status = response.status().as_u16();
        (status, response.body_mut().read_json::<serde_json::Value>().unwrap())
    };
    let (status, body) = post("{\"clientKey\": 12}");
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_json")));
    assert!(body["detail"].as_str().unwrap().contains("line 1"), "{body}");
    let (status, body) = post("{\"clientKey\": \"AAAA\"}");
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    let mut response = agent.get(format!("{}/v1/importers/nope", server.url)).call().unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.body_mut().read_json::<serde_json::Value>().unwrap()["code"], "unknown_importer");
    let response = agent.get(format!("{}/nowhere", server.url)).call().unwrap();
    assert_eq!(response.status(), 404);
}

#[test]
fn columns_added_by_the_host_page_are_checked_and_stored_for_that_import_only() {
    let server = Server::start();
    let client = client(&server);
    let columns =
        [serde_json::json!({ "key": "team", "label": "Team", "type": "enum", "values": ["red", "blue"] })];
    let file = |team: &str| {
        let mut text = String::from_utf8(csv(3, |_| String::new())).unwrap();
        text = text.replacen(",Notes\n", ",Notes,Team\n", 1);
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| if i == 0 { l.to_owned() } else { format!("{l},{team}") })
            .collect();
        (lines.join("\n") + "\n").into_bytes()
    };
    let mut combined: serde_json::Value = serde_json::from_str(&support::schema().to_json()).unwrap();
    combined["columns"].as_array_mut().unwrap().push(columns[0].clone());
    let combined = sluice_parser::schema::Schema::from_json(&combined.to_string()).unwrap();

    let upload = client
        .start_with_columns(
            &FileInfo::named("teams.csv", 1),
            Default::default(),
            Default::default(),
            &columns,
        )
        .unwrap();
    let plain = batches(&file("red"), 100, false);
    let refused = upload.send(&plain[0]).unwrap_err();
    assert_eq!(refused.code(), Some("batch_invalid"), "a batch made for the importer's schema does not fit");
    let bad = support::batches_for(&combined, &file("green"), 100, true);
    let refused = upload.send(&bad[0]).unwrap_err();
    assert_eq!(refused.code(), Some("rows_invalid"), "the added column is checked on the server");
    let good = support::batches_for(&combined, &file("blue"), 100, false);
    upload.send(&good[0]).unwrap();
    assert_eq!(upload.complete_all().unwrap().rows, 3);
    let rows = support::sluice()
        .args(["export", "--config", "sluice.toml", &upload.import_id])
        .current_dir(server.dir.path())
        .output()
        .unwrap();
    let first: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&rows.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(first["cells"]["team"], "blue");

    let other = start(&client);
    assert_eq!(other.send(&plain[0]).unwrap().sequence, 0, "other imports keep the importer's schema");

    let clash = client.start_with_columns(
        &FileInfo::named("x.csv", 1),
        Default::default(),
        Default::default(),
        &[serde_json::json!({ "key": "email", "type": "text" })],
    );
    let Err(ClientError::Problem { status, code, detail, .. }) = clash else {
        panic!("a clashing key is refused")
    };
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    assert!(detail.contains("dynamicColumns"), "{detail}");
}

/// An importer whose columns transform their values (docs/schema.md, "Transforms").
const TRANSFORMED: &str = r#"
version = 1

[[columns]]
key = "name"
type = "text"
unique = true
transform = ["collapse", "title"]

[[columns]]
key = "phone"
type = "regex"
pattern = "[0-9]{10,15}"
transform = ["digits"]

[[columns]]
key = "email"
type = "email"
transform = ["lower"]

[[columns]]
key = "born"
type = "text"
transform = [{ date = "%d.%m.%Y", from = ["%d/%m/%Y", "%b %e %Y"] }]
"#;

/// The rows `sluice export` prints for an import: each one's cells.
fn exported(server: &Server, import_id: &str) -> Vec<serde_json::Value> {
    let output = support::sluice()
        .args(["export", "--config", "sluice.toml", import_id])
        .current_dir(server.dir.path())
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&output.stdout).into_owned();
    rows.lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["cells"].clone())
        .collect()
}

#[test]
fn transformed_values_pass_the_servers_check_and_untransformed_ones_do_not() {
    let server = Server::with_schema(TRANSFORMED);
    let schema = sluice_parser::schema::Schema::from_toml(TRANSFORMED).unwrap();
    let client = client(&server);
    assert_eq!(client.config().unwrap().schema_digest, schema.digest_hex());
    let file = "name,phone,email,born\n\
                \"  jean   DUPONT \",+44 (20) 7946-0958,Jean@Example.COM,31/12/1999\n\
                ANN lee,020 7946 0959,ann@example.com,jan  5 2024\n\
                zoë o'neil-smith,0033 1 23 45 67 89,ZOE@EXAMPLE.COM,05.01.2024\n";
    let upload = start(&client);
    let shipped = support::batches_for(&schema, file.as_bytes(), 1000, false);
    assert_eq!(
        upload.send(&shipped[0]).unwrap().invalid_rows,
        0,
        "what the browser accepted, the server accepts"
    );
    assert_eq!(upload.complete_all().unwrap().rows, 3);
    let cells = exported(&server, &upload.import_id);
    let expected = [
        ["Jean Dupont", "442079460958", "jean@example.com", "31.12.1999"],
        ["Ann Lee", "02079460959", "ann@example.com", "05.01.2024"],
        ["Zoë O'neil-Smith", "0033123456789", "zoe@example.com", "05.01.2024"],
    ];
    let keys = ["name", "phone", "email", "born"];
    for (row, values) in cells.iter().zip(expected) {
        assert_eq!(keys.map(|k| row[k].as_str().unwrap_or_default()), values, "{row}");
    }

    // A client that skipped the transforms: the values are valid for the checks alone.
    let columns = keys.map(|k| BatchColumn { kind: ColumnKind::Schema, name: k.into() }).to_vec();
    let mut writer = BatchWriter::new(schema.digest(), columns, BatchOptions::default());
    let raw = ["jean  dupont", "+44 20 7946 0958", "Jean@example.com", "31/12/1999"];
    let values = Values::from_cells(raw.map(Cell::Valid));
    writer.push(&CheckedRow { number: 1, valid: true, values: &values });
    writer.finish();
    let other = start(&client);
    let refused = other.send(&writer.next_batch().unwrap()).unwrap_err();
    let ClientError::Problem { code, body, .. } = &refused else { panic!("{refused}") };
    assert_eq!(code, "rows_invalid");
    let errors: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["column"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    let not_canonical = keys.map(|k| (k, "not_canonical"));
    assert_eq!(errors, not_canonical, "each value is held to being its own transform");
}

/// `batch` (as `sluice-parser` wrote it) moved to another sequence number and first row: the
/// two fields of its header (`docs/batch-format.md`), little-endian at bytes 38 and 46.
fn placed(batch: &[u8], sequence: u64, first_row: u64) -> Vec<u8> {
    let mut moved = batch.to_vec();
    moved[38..46].copy_from_slice(&sequence.to_le_bytes());
    moved[46..54].copy_from_slice(&first_row.to_le_bytes());
    moved
}

#[test]
fn batch_numbers_and_first_rows_from_2_to_the_63_up_are_bad_numbers_not_internal_errors() {
    let server = Server::start();
    let client = client(&server);
    let upload = start(&client);
    let sent = batches(&csv(1, |_| String::new()), 10, false);
    for (sequence, first_row) in [(1 << 63, 1), (u64::MAX, 1), (0, 1 << 63), (0, u64::MAX)] {
        let batch = placed(&sent[0], sequence, first_row);
        let body = upload.seal_raw(sequence, first_row, 1, &batch).unwrap();
        let answer = client.put_raw(&upload.import_id, &upload.token, sequence, first_row, 1, &body);
        let (status, problem) = refusal(answer);
        assert_eq!((status, problem["code"].as_str()), (400, Some("bad_number")), "{sequence} {first_row}");
    }
    let last = (1u64 << 63) - 1;
    let batch = placed(&sent[0], 0, last);
    let body = upload.seal_raw(0, last, 1, &batch).unwrap();
    let answer = client.put_raw(&upload.import_id, &upload.token, 0, last, 1, &body).unwrap();
    assert_eq!(
        answer.status,
        201,
        "2^63 - 1 is the largest first row: {}",
        String::from_utf8_lossy(&answer.body)
    );
    // Rows after the first are numbered past it; their numbers are not stored as integers.
    let other = start(&client);
    let two = placed(&batches(&csv(2, |_| String::new()), 10, false)[0], 0, last);
    let body = other.seal_raw(0, last, 2, &two).unwrap();
    let answer = client.put_raw(&other.import_id, &other.token, 0, last, 2, &body).unwrap();
    assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(other.complete(1, 2).unwrap().rows, 2);
    assert!(server.stderr().contains("bad_number") && !server.stderr().contains("internal error"));
}

#[test]
fn a_declared_file_size_from_2_to_the_63_up_is_too_large_not_an_internal_error() {
    let server = Server::with_config(&config("", "[importers.limits]\nmax_file_size = 18446744073709551615"));
    let client = client(&server);
    for size in [1 << 63, u64::MAX] {
        let refused =
            client.start(&FileInfo::named("huge.csv", size), Default::default(), Default::default());
        let Err(ClientError::Problem { status, code, .. }) = refused else { panic!("{size} is refused") };
        assert_eq!((status, code.as_str()), (413, "file_too_large"), "{size}");
    }
    assert!(
        client
            .start(&FileInfo::named("big.csv", (1 << 63) - 1), Default::default(), Default::default())
            .is_ok()
    );
}

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn an_importer_takes_only_so_many_open_imports_and_says_when_to_try_again() {
    let server =
        Server::with_config(&config("", "[importers.start]\nmax_open = 2\nfirst_batch_within = \"2s\""));
    let client = client(&server);
    let first = start(&client);
    let _second = start(&client);
    let refused = client.start(&FileInfo::named("third.csv", 1), Default::default(), Default::default());
    let Err(ClientError::Problem { status, code, body, .. }) = refused else {
        panic!("the third is refused")
    };
    assert_eq!((status, code.as_str(), body["limit"].as_u64()), (429, "too_many_open_imports", Some(2)));
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let answer = agent
        .post(format!("{}/v1/importers/demo/imports", server.url))
        .send_json(serde_json::json!({ "clientKey": "x" }))
        .unwrap();
    assert_eq!(answer.status(), 429);
    let wait: u64 = answer.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "until the first of them expires: {wait}");

    first.send(&batches(&csv(2, |_| String::new()), 10, false)[0]).unwrap();
    first.complete_all().unwrap();
    assert!(start(&client).import_id.starts_with("imp_"), "a completed import frees its place");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let _fourth = start(&client);
    let _fifth = start(&client);
    assert!(server.stderr().contains("too_many_open_imports"));
}

#[test]
fn an_import_without_a_batch_expires_soon_and_its_first_batch_gives_it_the_whole_time() {
    let server =
        Server::with_config(&config("import_ttl = \"1h\"", "[importers.start]\nfirst_batch_within = \"3s\""));
    let client = client(&server);
    let idle = start(&client);
    let used = start(&client);
    let created = unix_now();
    assert!((created + 2..=created + 3).contains(&idle.status().unwrap().expires_at));
    used.send(&batches(&csv(2, |_| String::new()), 10, false)[0]).unwrap();
    let moved = used.status().unwrap().expires_at;
    assert!(
        (created + 3599..=created + 3601).contains(&moved),
        "the whole import_ttl from the start: {moved}"
    );
    std::thread::sleep(std::time::Duration::from_millis(3100));
    assert_eq!(idle.status().unwrap_err().code(), Some("rejected"), "expired without a batch");
    assert_eq!(used.complete_all().unwrap().rows, 2);
}

#[test]
fn user_and_attributes_over_the_importer_metadata_limit_are_refused_as_too_large() {
    let sized = |bytes: usize| {
        let user = serde_json::json!({ "user_id": "u_42", "note": "x".repeat(bytes) });
        user.as_object().unwrap().clone()
    };
    let server = Server::start();
    let client = client(&server);
    assert!(client.start(&FileInfo::named("a.csv", 1), sized(15_000), Default::default()).is_ok());
    let refused = client.start(&FileInfo::named("a.csv", 1), sized(17_000), Default::default());
    let Err(ClientError::Problem { status, code, body, .. }) = refused else { panic!("16 KiB by default") };
    assert_eq!((status, code.as_str(), body["limit"].as_u64()), (413, "metadata_too_large", Some(16384)));

    let small = Server::with_config(&config("", "[importers.start]\nmax_metadata = \"1KiB\""));
    let client = Client::new(&small.url, "demo").unwrap();
    let attributes = sized(2_000);
    let refused = client.start(&FileInfo::named("a.csv", 1), Default::default(), attributes);
    assert_eq!(
        refused.err().and_then(|e| e.code().map(str::to_owned)).as_deref(),
        Some("metadata_too_large")
    );
    let large = Server::with_config(&config("", "[importers.start]\nmax_metadata = \"100KiB\""));
    let client = Client::new(&large.url, "demo").unwrap();
    assert!(
        client.start(&FileInfo::named("a.csv", 1), sized(90_000), Default::default()).is_ok(),
        "the body limit follows"
    );
}

/// The start secret of the tests' importers that require signed starts.
const START_SECRET: &str = "Xq9-2hR7mV4kP1zL8cN3bT6wY0sG5dJf";

/// A start token signed with `secret` for these claims.
fn start_token(secret: &str, claims: &serde_json::Value) -> String {
    sluice_server::crypto::sign_start_token(secret, claims.to_string().as_bytes())
}

/// Claims for importer `demo`, user `u_42` of team `sales`, expiring in `seconds`.
fn claims(seconds: i64, nonce: &str) -> serde_json::Value {
    serde_json::json!({
        "importer": "demo", "exp": unix_now() + seconds, "nonce": nonce,
        "user": { "user_id": "u_42" }, "attributes": { "team": "sales" },
    })
}

fn object(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    value.as_object().unwrap().clone()
}

#[test]
fn an_unsigned_start_is_refused_when_the_importer_requires_a_signature() {
    let server = Server::with_config(&config("", &format!("[importers.start]\nsecret = \"{START_SECRET}\"")));
    let client = client(&server);
    assert!(client.config().unwrap().signed_start);
    let refused = client.start(&FileInfo::named("a.csv", 1), Default::default(), Default::default());
    let Err(ClientError::Problem { status, code, .. }) = refused else {
        panic!("an unsigned start is refused")
    };
    assert_eq!((status, code.as_str()), (403, "start_token_required"));
    let open = Server::start();
    assert!(!Client::new(&open.url, "demo").unwrap().config().unwrap().signed_start);
}

#[test]
fn a_signed_start_passes_once_and_only_for_what_was_signed() {
    let server = Server::with_config(&config("", &format!("[importers.start]\nsecret = \"{START_SECRET}\"")));
    let client = client(&server);
    let file = FileInfo::named("a.csv", 1);
    let (user, team) =
        (object(serde_json::json!({ "user_id": "u_42" })), object(serde_json::json!({ "team": "sales" })));
    let start = |token: &str, user: &serde_json::Map<_, _>, team: &serde_json::Map<_, _>| {
        client.start_signed(&file, user.clone(), team.clone(), token).map(|upload| upload.import_id.clone())
    };
    let code = |result: Result<String, ClientError>| result.err().and_then(|e| e.code().map(str::to_owned));

    let token = start_token(START_SECRET, &claims(60, "nonce-0000000000001"));
    let upload = client.start_signed(&file, user.clone(), team.clone(), &token).unwrap();
    upload.send(&batches(&csv(2, |_| String::new()), 10, false)[0]).unwrap();
    assert_eq!(upload.complete_all().unwrap().rows, 2);
    assert_eq!(code(start(&token, &user, &team)).as_deref(), Some("start_token_used"), "single use");

    let cases = [
        (
            start_token(START_SECRET, &claims(60, "nonce-0000000000002")),
            object(serde_json::json!({ "user_id": "u_43" })),
            team.clone(),
            "start_token_mismatch",
        ),
        (
            start_token(START_SECRET, &claims(60, "nonce-0000000000003")),
            user.clone(),
            Default::default(),
            "start_token_mismatch",
        ),
        (
            start_token(START_SECRET, &claims(-1, "nonce-0000000000004")),
            user.clone(),
            team.clone(),
            "start_token_expired",
        ),
        (
            start_token(START_SECRET, &claims(7200, "nonce-0000000000005")),
            user.clone(),
            team.clone(),
            "start_token_invalid",
        ),
        (
            start_token("another-secret-Zk4pQ8wR2nV6xB0m", &claims(60, "nonce-0000000000006")),
            user.clone(),
            team.clone(),
            "start_token_invalid",
        ),
        ("sst1.e30.AAAA".to_owned(), user.clone(), team.clone(), "start_token_invalid"),
    ];
    for (token, user, team, expected) in cases {
        assert_eq!(code(start(&token, &user, &team)).as_deref(), Some(expected), "{expected}");
    }
    let mut other = claims(60, "nonce-0000000000007");
    other["importer"] = "contacts".into();
    assert_eq!(
        code(start(&start_token(START_SECRET, &other), &user, &team)).as_deref(),
        Some("start_token_wrong_importer")
    );
    let mut extra = claims(60, "nonce-0000000000008");
    extra["admin"] = true.into();
    assert_eq!(
        code(start(&start_token(START_SECRET, &extra), &user, &team)).as_deref(),
        Some("start_token_invalid")
    );
    let mut short = claims(60, "short");
    short["nonce"] = "short".into();
    assert_eq!(
        code(start(&start_token(START_SECRET, &short), &user, &team)).as_deref(),
        Some("start_token_invalid")
    );
    let log = server.stderr();
    assert!(log.contains("start_token_mismatch"), "refusals are logged by code");
    assert!(
        !log.contains("u_4") && !log.contains("sales") && !log.contains("sst1."),
        "no user, attribute or token in the log"
    );
}

#[test]
fn an_import_with_fewer_rows_than_min_rows_is_refused_at_completion() {
    let server = Server::start();
    let client = client(&server);
    let empty = start(&client);
    let refused = empty.complete(0, 0).unwrap_err();
    let ClientError::Problem { status, code, body, .. } = &refused else { panic!("{refused}") };
    assert_eq!(
        (*status, code.as_str(), &body["limit"], &body["rows"]),
        (422, "too_few_rows", &1.into(), &0.into())
    );
    assert!(body["detail"].as_str().unwrap().contains("at least 1 row"), "{body}");
    assert_eq!(empty.status().unwrap().status, "open", "a refused completion leaves the import open");

    let three = Server::with_config(&config("", "[importers.limits]\nmin_rows = 3"));
    let client = Client::new(&three.url, "demo").unwrap();
    let upload = start(&client);
    upload.send(&batches(&csv(2, |_| String::new()), 10, false)[0]).unwrap();
    let refused = upload.complete(1, 2).unwrap_err();
    assert_eq!(refused.code(), Some("too_few_rows"));

    let allowed = Server::with_config(&config("", "[importers.limits]\nmin_rows = 0"));
    let client = Client::new(&allowed.url, "demo").unwrap();
    let public: serde_json::Value = ureq::get(format!("{}/v1/importers/demo", allowed.url))
        .call()
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    assert_eq!(public["limits"]["minRows"], 0);
    assert_eq!(start(&client).complete(0, 0).unwrap().rows, 0, "min_rows = 0 allows an empty import");
}

#[test]
fn a_batch_with_a_nul_in_a_cell_is_refused_as_binary_content() {
    let server = Server::start();
    let client = client(&server);
    let upload = start(&client);
    // A client that skips the parser's checks: a text cell holding what a binary file decoded as
    // text leaves.
    let mut batch =
        batches(&csv(3, |n| if n == 2 { "QQQQ".to_owned() } else { String::new() }), 10, false).remove(0);
    let at = batch.windows(4).position(|w| w == b"QQQQ").unwrap();
    batch[at..at + 4].copy_from_slice(b"\0\x01\0\0");
    let refused = upload.send(&batch).unwrap_err();
    let ClientError::Problem { status, code, body, .. } = &refused else { panic!("{refused}") };
    assert_eq!(
        (*status, code.as_str(), &body["row"], &body["column"]),
        (422, "binary_content", &2.into(), &"last_name".into())
    );
    assert!(body["detail"].as_str().unwrap().contains("U+0000"), "{body}");
    assert_eq!(upload.status().unwrap().rows, 0, "nothing is stored");
}

#[test]
fn a_mapping_remembered_for_a_header_set_comes_back_for_the_same_hash_only() {
    let server = Server::start();
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let url = |importer: &str, hash: &str| format!("{}/v1/importers/{importer}/mappings/{hash}", server.url);
    let (hash, other) = ("ab".repeat(32), "cd".repeat(32));
    assert_eq!(agent.get(url("demo", &hash)).call().unwrap().status(), 204, "nothing remembered yet");
    let mapping = serde_json::json!({ "fields": { "id": 0, "email": 9 } });
    let put =
        agent.put(url("demo", &hash)).header("content-type", "application/json").send_json(&mapping).unwrap();
    assert_eq!(put.status(), 204);
    let mut got = agent.get(url("demo", &hash)).call().unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.body_mut().read_json::<serde_json::Value>().unwrap(), mapping);
    assert_eq!(agent.get(url("demo", &other)).call().unwrap().status(), 204, "another header set");

    let refused = |response: Result<ureq::http::Response<ureq::Body>, ureq::Error>| {
        let mut response = response.unwrap();
        let body: serde_json::Value = response.body_mut().read_json().unwrap();
        (response.status().as_u16(), body["code"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(refused(agent.get(url("demo", "not-a-hash")).call()), (400, "bad_request".to_owned()));
    assert_eq!(refused(agent.get(url("nobody", &hash)).call()).0, 404);
    let names = serde_json::json!({ "fields": { "id": 0 }, "headers": ["Customer Id"] });
    let with_names =
        agent.put(url("demo", &hash)).header("content-type", "application/json").send_json(&names);
    assert_eq!(refused(with_names).0, 400, "nothing but field keys and indexes is taken");
    let too_many: serde_json::Map<String, serde_json::Value> =
        (0..200).map(|i| (format!("f{i}"), i.into())).collect();
    let big = agent
        .put(url("demo", &hash))
        .header("content-type", "application/json")
        .send_json(serde_json::json!({ "fields": too_many }));
    assert_eq!(refused(big), (400, "bad_request".to_owned()));
}
