//! Webhook delivery against a real receiver on loopback: retries with a stable id and the same
//! body, across a restart; a crash between the 2xx and its record; rows deleted after delivery
//! never before it, however often the server is killed; private addresses refused; parallel
//! lanes. On SQLite, or on PostgreSQL and S3 with `SLUICE_TEST_STORE=postgres`
//! (`support::backend`).
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::store::KeyPurpose;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use support::receiver::{Behaviour, Received, Receiver};
use support::{ADMIN_TOKEN, Server, backend, config, import, retries, webhook};

/// The row numbers in the delivered `import.rows` messages, in delivery order.
fn delivered_rows(delivered: &[Received]) -> Vec<u64> {
    delivered
        .iter()
        .filter(|r| r.body["type"] == "import.rows")
        .flat_map(|r| {
            r.body["data"]["rows"].as_array().unwrap().iter().map(|row| row["row"].as_u64().unwrap())
        })
        .collect()
}

/// Every attempt of a message carried the same body.
fn bodies_are_stable(all: &[Received]) {
    let mut digests: BTreeMap<&str, HashSet<&[u8]>> = BTreeMap::new();
    for r in all {
        digests.entry(&r.id).or_default().insert(&r.digest);
    }
    assert!(digests.values().all(|d| d.len() == 1), "a retry carried another body");
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn every_message_arrives_signed_with_a_stable_id_after_retries_and_across_a_restart() {
    let receiver = Receiver::start(Behaviour { fail_first: 3, ..Behaviour::default() });
    let waits = retries(&["100ms", "100ms", "100ms", "100ms", "100ms"]);
    let server = Server::with_config(&config(&waits, &webhook(&receiver.url, "chunk_rows = 100")));
    let id = import(&server, 1000, 250);

    receiver.wait_for(3, Duration::from_secs(30));
    let dir = server.kill9();
    let before = receiver.delivered().len();
    assert!(before < 11, "killed in the middle of the delivery");
    let _server = Server::in_dir(dir, &[]);
    let delivered = receiver.wait_for(11, Duration::from_secs(60));

    let all = receiver.all();
    assert!(all.iter().all(|r| r.verified), "every request is signed with the secret");
    assert!(all.iter().all(|r| (now() - r.timestamp).abs() < 120), "timestamps are fresh");
    for message in &delivered {
        let attempts: Vec<u16> = all.iter().filter(|r| r.id == message.id).map(|r| r.status).collect();
        assert_eq!(&attempts[..4], [503, 503, 503, 200], "{}: retried under the same id", message.id);
    }
    bodies_are_stable(&all);
    let chunks: Vec<u64> =
        delivered.iter().take(10).map(|r| r.body["data"]["chunk"]["index"].as_u64().unwrap()).collect();
    assert_eq!(chunks, (0..10).collect::<Vec<_>>(), "sequential: in order");
    assert_eq!(delivered_rows(&delivered), (1..=1000).collect::<Vec<_>>(), "every row once, in order");
    let first = &delivered[0].body["data"];
    assert_eq!((first["importId"].as_str(), first["totalRows"].as_u64()), (Some(id.as_str()), Some(1000)));
    assert_eq!(first["rows"][0]["data"]["email"], "user1@example.com");
    assert_eq!(first["file"]["name"], "contacts.csv");
    let done = &delivered[10].body;
    assert_eq!(done["type"], "import.completed");
    assert_eq!((done["data"]["rows"].as_u64(), done["data"]["chunks"].as_u64()), (Some(1000), Some(10)));
    assert_eq!(done["data"]["status"], "complete");
}

#[test]
fn killed_between_the_2xx_and_its_record_the_message_comes_again_with_the_same_id() {
    let receiver = Receiver::start(Behaviour { stall_chunk: Some(2), ..Behaviour::default() });
    let server = Server::with_env(
        &config(&retries(&["100ms"]), &webhook(&receiver.url, "chunk_rows = 100")),
        &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)],
    );
    let id = import(&server, 500, 500);
    let start = Instant::now();
    while !receiver.stalled.load(Ordering::SeqCst) {
        assert!(start.elapsed() < Duration::from_secs(30), "the third message never came");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The receiver has answered 200 for chunk 2; the server is reading the rest of the answer.
    let dir = server.kill9();
    let server = Server::in_dir(dir, &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)]);
    let delivered = receiver.wait_for(6, Duration::from_secs(30));

    let all = receiver.all();
    let third = &delivered[2];
    let copies: Vec<&Received> = all.iter().filter(|r| r.id == third.id).collect();
    assert_eq!(copies.len(), 2, "the message whose 2xx was not recorded came again");
    assert!(copies.iter().all(|r| r.status == 200 && r.digest == third.digest));
    assert_eq!(delivered_rows(&delivered), (1..=500).collect::<Vec<_>>());
    // The receiver has the last message before the server has read its answer and recorded it.
    let start = Instant::now();
    loop {
        let (status, record) = server.admin("GET", &format!("/v1/admin/imports/{id}"), Some(ADMIN_TOKEN));
        assert_eq!(status, 200);
        if record["delivery"]["delivered"] == 6 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "recorded: {}", record["delivery"]);
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How far the deletion of an import's rows went, read from the data folder of a stopped server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deletion {
    /// Not started: keys, rows and record are all there.
    None,
    /// Started (the record says why) and killed before its end: keys or rows may be gone.
    Started,
    /// Done: keys and rows are gone, the record says when.
    Done,
}

/// How the deletion of `id` stands in the store of the server whose folder is `dir`.
fn deletion(dir: &Path, id: &str) -> Deletion {
    let (store, _) = backend::open_store(dir);
    let record = store.import(id).unwrap().unwrap();
    let gone = store.key(id, KeyPurpose::Data).unwrap().is_none() || store.batches(id).unwrap().is_empty();
    match (record.deleted_reason.is_some(), record.data_deleted_at.is_some()) {
        (false, _) => {
            assert!(!gone, "keys or rows gone with no deletion recorded as started");
            Deletion::None
        }
        (true, false) => Deletion::Started,
        (true, true) => {
            assert!(gone, "the record says deleted but keys and rows are there");
            Deletion::Done
        }
    }
}

#[test]
fn delete_after_delivery_is_never_ahead_of_delivery_when_the_server_is_killed() {
    let receiver = Receiver::start(Behaviour {
        delay: Duration::from_millis(15),
        fail_first: 1,
        ..Behaviour::default()
    });
    let importer = format!(
        "[importers.retention]\nmode = \"delete_after_delivery\"\n{}",
        webhook(&receiver.url, "chunk_rows = 100")
    );
    let mut server = Server::with_config(&config(&retries(&["50ms", "50ms"]), &importer));
    let id = import(&server, 2000, 400);
    for stop in [4, 9, 15, 21] {
        receiver.wait_for(stop, Duration::from_secs(60));
        let dir = server.kill9();
        // A kill may land in the middle of a deletion; the restarted server finishes it.
        if deletion(dir.path(), &id) != Deletion::None {
            assert_eq!(receiver.delivered().len(), 21, "deleted before every message was acknowledged");
        }
        server = Server::in_dir(dir, &[]);
    }
    let start = Instant::now();
    loop {
        let dir = server.kill9();
        let done = deletion(dir.path(), &id) == Deletion::Done;
        server = Server::in_dir(dir, &[]);
        if done {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "the rows were never deleted");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(delivered_rows(&receiver.delivered()), (1..=2000).collect::<Vec<_>>());
    let dir = server.kill9();
    let (store, _) = backend::open_store(dir.path());
    let record = store.import(&id).unwrap().unwrap();
    assert_eq!((record.rows, record.deleted_reason.as_deref()), (2000, Some("delivered")));
}

#[test]
fn a_destination_that_resolves_to_a_private_address_is_refused() {
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = trap.local_addr().unwrap().port();
    trap.set_nonblocking(true).unwrap();
    // 2130706433 is 127.0.0.1 written as one number: the configuration cannot tell, the
    // resolver can.
    let destination = format!(
        "[[importers.destinations]]\ntype = \"webhook\"\nurl = \"https://2130706433:{port}/hooks\"\nsecret = \"{}\"\n",
        support::receiver::SECRET
    );
    let server =
        Server::with_env(&config(&retries(&["50ms"]), &destination), &[("SLUICE_ADMIN_TOKEN", ADMIN_TOKEN)]);
    let id = import(&server, 10, 10);
    let path = format!("/v1/admin/imports/{id}");
    let start = Instant::now();
    let record = loop {
        let (_, record) = server.admin("GET", &path, Some(ADMIN_TOKEN));
        if record["delivery"]["dead"] == 2 {
            break record;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "not refused: {record}");
        std::thread::sleep(Duration::from_millis(50));
    };
    for message in record["messages"].as_array().unwrap() {
        assert_eq!(message["attempts"], 2);
        assert!(
            message["lastError"]
                .as_str()
                .unwrap()
                .contains("refused: the destination resolves to this machine")
        );
    }
    assert!(trap.accept().is_err(), "no connection was made");
    let (_, dead) = server.admin("GET", "/v1/admin/deliveries/dead", Some(ADMIN_TOKEN));
    assert_eq!(dead["messages"].as_array().unwrap().len(), 2);
    let (status, retried) =
        server.admin("POST", &format!("/v1/admin/deliveries/{id}/retry"), Some(ADMIN_TOKEN));
    assert_eq!((status, retried["retried"].as_u64()), (200, Some(2)));
    assert!(!server.stderr().contains("2130706433"), "the log does not repeat the URL");
}

#[test]
fn parallel_lanes_deliver_every_row_once_straight_past_an_environment_proxy() {
    let receiver = Receiver::start(Behaviour { delay: Duration::from_millis(5), ..Behaviour::default() });
    let hook = webhook(&receiver.url, "chunk_rows = 250\ndelivery = \"parallel\"\nparallelism = 4");
    // A proxy that is not there: were it used, nothing would arrive.
    let proxy = "http://127.0.0.1:9";
    let env = [
        ("ALL_PROXY", proxy),
        ("HTTP_PROXY", proxy),
        ("http_proxy", proxy),
        ("NO_PROXY", ""),
        ("no_proxy", ""),
    ];
    let server = Server::with_env(&config("", &hook), &env);
    import(&server, 10_000, 1000);
    let delivered = receiver.wait_for(41, Duration::from_secs(60));
    let mut rows = delivered_rows(&delivered);
    rows.sort_unstable();
    assert_eq!(rows, (1..=10_000).collect::<Vec<_>>());
    assert_eq!(receiver.all().len(), 41, "nothing was sent twice");
}
