//! Batches checked in parallel and completion from what was kept as they arrived: several
//! batches of one import in flight at once, a unique value repeated across batches sent at once
//! or across a restart, and completion that opens no stored batch again.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::client::{Answer, Client, ClientError, FileInfo, Upload};
use support::{Server, batches, config, csv};

fn start(client: &Client) -> Upload<'_> {
    client.start(&FileInfo::named("contacts.csv", 1234), Default::default(), Default::default()).unwrap()
}

/// Sends every batch from `lanes` threads at once; the acknowledged invalid rows by sequence.
fn send_at_once(client: &Client, upload: &Upload<'_>, sent: &[Vec<u8>], lanes: usize) -> Vec<(u64, u64)> {
    let sealed: Vec<_> = sent.iter().map(|b| upload.seal(b).unwrap()).collect();
    let mut acks: Vec<(u64, u64)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..lanes)
            .map(|lane| {
                let sealed = &sealed;
                scope.spawn(move || {
                    let mine = sealed.iter().skip(lane).step_by(lanes);
                    mine.map(|(sequence, first_row, rows, body)| {
                        let answer = client.put_raw(
                            &upload.import_id,
                            &upload.token,
                            *sequence,
                            *first_row,
                            *rows,
                            body,
                        );
                        let ack: serde_json::Value = answer.and_then(Answer::ok).unwrap().json().unwrap();
                        (*sequence, ack["invalidRows"].as_u64().unwrap())
                    })
                    .collect::<Vec<_>>()
                })
            })
            .collect();
        threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
    });
    acks.sort_unstable();
    acks
}

/// The example file of `rows` rows whose last row repeats the first row's email (a unique column).
fn with_duplicate_email(rows: u64) -> Vec<u8> {
    let mut file = csv(rows - 1, |_| String::new());
    let last = support::row(rows, "").replace(&format!("user{rows}@example.com"), "user1@example.com");
    file.extend_from_slice(last.as_bytes());
    file
}

#[test]
fn batches_of_one_import_sent_all_at_once_are_all_verified_and_the_import_completes() {
    let server = Server::start();
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = start(&client);
    let sent = batches(&csv(4000, |_| String::new()), 250, false);
    assert_eq!(sent.len(), 16);
    let acks = send_at_once(&client, &upload, &sent, 8);
    assert_eq!(acks, (0..16).map(|s| (s, 0)).collect::<Vec<_>>(), "every batch acknowledged once");
    let status = upload.status().unwrap();
    assert_eq!((status.rows, status.batches.len()), (4000, 16));
    let done = upload.complete(16, 4000).unwrap();
    assert_eq!((done.batches, done.rows, done.invalid_rows), (16, 4000, 0));
}

#[test]
fn a_unique_value_repeated_in_two_batches_sent_at_once_is_caught_at_completion() {
    let server = Server::start();
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = start(&client);
    let sent = batches(&with_duplicate_email(40), 10, true);
    let acks = send_at_once(&client, &upload, &sent, 4);
    assert_eq!(acks, [(0, 0), (1, 0), (2, 0), (3, 0)], "each batch alone is valid");
    let refused = upload.complete(4, 40).unwrap_err();
    let ClientError::Problem { status, code, body, .. } = &refused else { panic!("{refused}") };
    assert_eq!((*status, code.as_str()), (422, "rows_invalid"));
    assert_eq!(body["errors"], serde_json::json!([{ "row": 40, "column": "email", "code": "duplicate" }]));
    assert_eq!(upload.status().unwrap().status, "open", "nothing completed");
}

#[test]
fn a_restart_between_batches_keeps_what_completion_needs_duplicates_and_counts() {
    let server = Server::with_config(&config("", "invalid_rows = \"record\""));
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = start(&client);
    let resumable = upload.resumable();
    let sent = batches(&with_duplicate_email(30), 10, true);
    for batch in &sent[..2] {
        upload.send(batch).unwrap();
    }
    let dir = server.kill9();
    let server = Server::in_dir(dir, &[]);
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = resumable.resume(&client);
    assert_eq!(upload.send(&sent[2]).unwrap().invalid_rows, 0, "valid on its own");
    let done = upload.complete(3, 30).unwrap();
    assert_eq!((done.batches, done.rows, done.invalid_rows), (3, 30, 1), "the duplicate across the restart");
}

#[test]
fn completion_opens_no_stored_batch_again() {
    let server = Server::with_config(&config("", "invalid_rows = \"record\""));
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = start(&client);
    let resumable = upload.resumable();
    let sent = batches(&with_duplicate_email(3000), 100, true);
    assert_eq!(send_at_once(&client, &upload, &sent, 4).len(), 30);
    let dir = server.kill9();
    // Every stored batch replaced by noise of its length: opening any of them would fail.
    let data = rusqlite::Connection::open(dir.path().join("data/sluice.db")).unwrap();
    let replaced = data.execute("UPDATE batches SET sealed = randomblob(length(sealed))", []).unwrap();
    assert_eq!(replaced, 30);
    drop(data);
    let server = Server::in_dir(dir, &[]);
    let client = Client::new(&server.url, "demo").unwrap();
    let done = resumable.resume(&client).complete(30, 3000).unwrap();
    assert_eq!((done.batches, done.rows, done.invalid_rows), (30, 3000, 1), "found from the summaries");
}

#[test]
fn batches_sent_at_once_never_take_an_import_past_max_rows() {
    let server = Server::with_config(&config("", "[importers.limits]\nmax_rows = 30"));
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = start(&client);
    let sealed: Vec<_> =
        batches(&csv(80, |_| String::new()), 10, false).iter().map(|b| upload.seal(b).unwrap()).collect();
    let statuses: Vec<(u16, String)> = std::thread::scope(|scope| {
        let threads: Vec<_> = sealed
            .iter()
            .map(|(sequence, first_row, rows, body)| {
                let (client, upload) = (&client, &upload);
                scope.spawn(move || {
                    let answer = client
                        .put_raw(&upload.import_id, &upload.token, *sequence, *first_row, *rows, body)
                        .unwrap();
                    let code =
                        answer.json::<serde_json::Value>().unwrap()["code"].as_str().unwrap_or("").to_owned();
                    (answer.status, code)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let stored = statuses.iter().filter(|(status, _)| *status == 201).count();
    let refused =
        statuses.iter().filter(|(status, code)| (*status, code.as_str()) == (422, "too_many_rows")).count();
    assert_eq!((stored, refused), (3, 5), "{statuses:?}");
    assert_eq!(upload.status().unwrap().rows, 30);
}
