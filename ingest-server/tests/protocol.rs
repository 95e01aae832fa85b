//! Protocol v1 against the real server: the happy path, replays, conflicts, the uniform refusal,
//! re-validation on the server, completion checks.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_parser::batch::Batch;
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
        serde_json::json!([{ "row": 21, "column": "email", "code": "invalid_email" }])
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
    let rows = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
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
