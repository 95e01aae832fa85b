//! The example, as `make run` runs it: `examples/sluice.toml` delivers the demo importer's rows
//! to `examples/webhook-receiver.mjs` (Node), which verifies each signature and writes the rows.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use sluice_server::client::{Client, FileInfo};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{Server, batches};

/// The URL the example configuration delivers to.
const EXAMPLE_URL: &str = "http://127.0.0.1:8090/hooks/sluice";

/// The example receiver, stopped when dropped.
struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_example_configuration_delivers_the_example_file_to_the_example_receiver() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let config = std::fs::read_to_string(examples.join("sluice.toml")).unwrap();
    let secret = config
        .lines()
        .find_map(|line| line.strip_prefix("secret = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap()
        .to_owned();
    // The same configuration, with the receiver on a free port instead of 8090.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert!(config.contains(EXAMPLE_URL));
    let config = config.replace(EXAMPLE_URL, &format!("http://127.0.0.1:{port}/hooks/sluice"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sluice.toml"), config).unwrap();
    std::fs::copy(examples.join("schema.toml"), dir.path().join("schema.toml")).unwrap();
    let out = dir.path().join("received");

    let mut node = Command::new("node")
        .arg(examples.join("webhook-receiver.mjs"))
        .args(["--port", &port.to_string(), "--host", "127.0.0.1", "--out"])
        .arg(&out)
        .env("SLUICE_WEBHOOK_SECRET", &secret)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let node = Node(node);
    assert!(lines.next().unwrap().unwrap().starts_with("webhook receiver listening on"));
    let (line_tx, log) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || lines.map_while(Result::ok).try_for_each(|line| line_tx.send(line)));

    let server = Server::in_dir(dir, &[("SLUICE_LISTEN", "127.0.0.1:0")]);
    let file = std::fs::read(examples.join("contacts.csv")).unwrap();
    let client = Client::new(&server.url, "demo").unwrap();
    let upload = client
        .start(&FileInfo::named("contacts.csv", file.len() as u64), Default::default(), Default::default())
        .unwrap();
    for batch in batches(&file, 5000, false) {
        upload.send(&batch).unwrap();
    }
    let done = upload.complete_all().unwrap();
    assert!(done.rows >= 5, "the example file's valid rows: {}", done.rows);

    let written = out.join(format!("{}.jsonl", upload.import_id));
    let start = Instant::now();
    let rows: Vec<serde_json::Value> = loop {
        let text = std::fs::read_to_string(&written).unwrap_or_default();
        let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        if rows.len() as u64 >= done.rows {
            break rows;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{} of {} rows arrived", rows.len(), done.rows);
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(rows.len() as u64, done.rows, "each row once");
    assert_eq!(rows[0]["data"]["email"], "ada@example.com");
    // The receiver logs the completion after it has written the rows: wait for that line, with
    // the server still up (the completion is sent after the rows' 2xx).
    let complete = format!("import {} complete: {} rows", upload.import_id, done.rows);
    let mut seen = Vec::new();
    while !seen.iter().any(|line: &String| line.contains(&complete)) {
        let left = Duration::from_secs(30).saturating_sub(start.elapsed());
        match log.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("the receiver never logged {complete:?}: {seen:#?}"),
        }
    }
    drop(server);
    drop(node);
    seen.extend(log.iter());
    let log = seen.join("\n");
    assert!(!log.contains("ada@example.com"), "the receiver's log holds no cell value");
}
