//! `make bench`: webhook delivery. Starts the release `sluice` binary on loopback with two
//! importers of the parser benchmark's schema, one delivering sequentially and one in parallel
//! (4 at once), each to a receiver in this process that does what a receiving app must: reads
//! the body, checks the Standard Webhooks signature and parses the JSON. For each mode, one import
//! of `SLUICE_DELIVERY_ROWS` rows (default 500,000, 1,000 per message) is uploaded, then timed
//! from its completion to the receiver holding every message: rows per second sustained.
//! `SLUICE_DELIVERY_ROUNDS` (default 3) rounds per mode; the median round is reported.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../parser-wasm/benches/support/datagen.rs"]
mod datagen;
#[path = "support/server.rs"]
mod server;

use serde::Deserialize;
use serde::de::IgnoredAny;
use sluice_parser::batch::BatchOptions;
use sluice_parser::import::{Import, ImportOptions};
use sluice_parser::schema::Schema;
use sluice_server::client::{Client, FileInfo};
use sluice_server::delivery::sign;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const SCHEMA: &str = include_str!("../../parser-wasm/benches/schema.json");
const SECRET: &str = "whsec_YmVuY2gtYmVuY2gtYmVuY2gtYmVuY2gtYmVuY2g=";

fn main() {
    let rows: u64 = env("SLUICE_DELIVERY_ROWS", 500_000);
    let rounds: usize = env("SLUICE_DELIVERY_ROUNDS", 3).max(1);
    let batches = make_batches(rows);
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = start_server(dir.path(), &receiver.url);
    println!(
        "sluice-server delivery: {rows} rows per import, 1,000 per message, signed, to a loopback \
         receiver that verifies and parses each; release server, {} cores",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    for (importer, label) in [("seq", "sequential"), ("par", "parallel, 4 at once")] {
        let mut results: Vec<(f64, f64)> = (1..=rounds)
            .map(|round| {
                let (seconds, bytes) = run(&url, importer, &batches, rows, &receiver);
                println!(
                    "  {label}, round {round}: {:.0} rows/s, {:.1} MB/s of JSON",
                    rows as f64 / seconds,
                    bytes as f64 / 1e6 / seconds
                );
                (seconds, bytes as f64)
            })
            .collect();
        results.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (seconds, bytes) = results[rounds / 2];
        println!(
            "{:<28} {:>10.0} rows/s sustained ({:.0} messages/s, {:.1} MB/s; median of {rounds})",
            format!("delivery, {label}"),
            rows as f64 / seconds,
            (rows / 1000 + 1) as f64 / seconds,
            bytes / 1e6 / seconds
        );
    }
    let _ = server.kill();
    let _ = server.wait();
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The benchmark file's rows in 1,000-row batches.
fn make_batches(rows: u64) -> Vec<Vec<u8>> {
    let file = datagen::file(rows);
    let schema = Schema::from_json(SCHEMA).unwrap();
    let options = ImportOptions {
        batches: BatchOptions { max_rows: 1000, max_bytes: 4 << 20 },
        include_invalid: true,
        ..ImportOptions::default()
    };
    let mut import = Import::new(&schema, options).unwrap();
    import.feed(&file).unwrap();
    import.finish().unwrap();
    std::iter::from_fn(|| import.next_batch()).collect()
}

/// Starts the release server with a sequential and a parallel importer delivering to `hook`.
fn start_server(dir: &std::path::Path, hook: &str) -> (Child, String) {
    std::fs::write(dir.join("schema.json"), SCHEMA).unwrap();
    let importer = |key: &str, delivery: &str| {
        format!(
            r#"
[[importers]]
key = "{key}"
allowed_origins = ["http://127.0.0.1"]
schema = "schema.json"
invalid_rows = "record"

[importers.limits]
max_rows = 10000000
batch_rows = 1000
batch_bytes = "4MiB"

[[importers.destinations]]
type = "webhook"
url = "{hook}"
secret = "{SECRET}"
allow_private_network = true
{delivery}
"#
        )
    };
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[server.limits]\nrate_limit = 0\n{}{}",
        importer("seq", ""),
        importer("par", "delivery = \"parallel\"\nparallelism = 4")
    );
    server::start(dir, &config)
}

/// Uploads one import, then times its delivery: (seconds, body bytes received).
fn run(url: &str, importer: &str, batches: &[Vec<u8>], rows: u64, receiver: &Receiver) -> (f64, u64) {
    let client = Client::new(url, importer).unwrap();
    let upload =
        client.start(&FileInfo::named("bench.csv", 0), Default::default(), Default::default()).unwrap();
    for batch in batches {
        upload.send(batch).unwrap();
    }
    let (rows_before, messages_before, bytes_before) = receiver.counts();
    let start = Instant::now();
    assert_eq!(upload.complete_all().unwrap().rows, rows);
    let messages = rows.div_ceil(1000) + 1;
    loop {
        let (got_rows, got_messages, bytes) = receiver.counts();
        if got_messages - messages_before >= messages {
            assert_eq!(got_rows - rows_before, rows, "every row arrived once");
            return (start.elapsed().as_secs_f64(), bytes - bytes_before);
        }
        assert!(start.elapsed() < Duration::from_secs(600), "delivery stalled");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The receiving app: counts verified messages, their rows and bytes.
struct Receiver {
    url: String,
    rows: Arc<AtomicU64>,
    messages: Arc<AtomicU64>,
    bytes: Arc<AtomicU64>,
}

/// What the receiver reads of a body: the row count of `import.rows`.
#[derive(Deserialize)]
struct Body {
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    rows: Rows,
}

/// The rows of `import.rows`, or the count in `import.completed`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Rows {
    Chunk(Vec<IgnoredAny>),
    Count(#[allow(dead_code)] u64),
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let receiver = Receiver {
            url: format!("http://{}/hooks", listener.local_addr().unwrap()),
            rows: Arc::default(),
            messages: Arc::default(),
            bytes: Arc::default(),
        };
        let counters =
            (Arc::clone(&receiver.rows), Arc::clone(&receiver.messages), Arc::clone(&receiver.bytes));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let counters = (Arc::clone(&counters.0), Arc::clone(&counters.1), Arc::clone(&counters.2));
                std::thread::spawn(move || serve(stream, &counters.0, &counters.1, &counters.2));
            }
        });
        receiver
    }

    fn counts(&self) -> (u64, u64, u64) {
        (
            self.rows.load(Ordering::SeqCst),
            self.messages.load(Ordering::SeqCst),
            self.bytes.load(Ordering::SeqCst),
        )
    }
}

fn serve(stream: TcpStream, rows: &AtomicU64, messages: &AtomicU64, bytes: &AtomicU64) {
    stream.set_nodelay(true).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut line = String::new();
    loop {
        let mut headers = std::collections::HashMap::new();
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            let Some((name, value)) = line.trim_end().split_once(':') else { break };
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let length: usize = headers["content-length"].parse().unwrap();
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let (id, timestamp, signature) =
            (&headers["webhook-id"], &headers["webhook-timestamp"], &headers["webhook-signature"]);
        if sign::verify(SECRET, id, timestamp, signature, &body, now, 300).is_err() {
            eprintln!("the receiver got a message whose signature does not verify");
            std::process::exit(1);
        }
        let Ok(parsed) = serde_json::from_slice::<Body>(&body) else {
            eprintln!("the receiver could not parse a body");
            std::process::exit(1);
        };
        if let Rows::Chunk(chunk) = &parsed.data.rows {
            rows.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        }
        bytes.fetch_add(length as u64, Ordering::SeqCst);
        messages.fetch_add(1, Ordering::SeqCst);
        writer.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
    }
}
