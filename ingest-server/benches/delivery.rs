//! `make bench`: delivery to each kind of destination. Starts the release `sluice` binary on
//! loopback with importers of the parser benchmark's schema: two webhooks, one delivering
//! sequentially and one in parallel (4 at once), each to a receiver in this process that does
//! what a receiving app must (reads the body, checks the Standard Webhooks signature, parses the
//! JSON); a PostgreSQL table (Debian's PostgreSQL started here, 5,000 rows per transaction,
//! sequential and 4 at once); and an S3 bucket (moto started here, one object per import). For
//! each, one import of `SLUICE_DELIVERY_ROWS` rows (default 500,000) is uploaded, then timed from
//! its completion to every row being there (the receiver holding every message, the table
//! counting every row, the manifest written): rows per second sustained.
//! `SLUICE_DELIVERY_ROUNDS` (default 3) rounds per destination; the median round is reported.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../parser-wasm/benches/support/datagen.rs"]
mod datagen;
#[path = "support/server.rs"]
mod server;
#[path = "../tests/support/services.rs"]
mod services;

use serde::Deserialize;
use serde::de::IgnoredAny;
use sluice_server::client::{Client, FileInfo};
use sluice_server::delivery::s3::{BucketConfig, S3Target};
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
    let postgres = services::Postgres::start();
    postgres.psql(TABLE);
    let s3 = services::S3::start();
    let bucket = bucket(&s3);
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("BENCH_DB_PASSWORD", postgres.password.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIDBENCH"),
        ("AWS_SECRET_ACCESS_KEY", "bench-secret"),
    ];
    let (mut server, url) = start_server(dir.path(), &receiver.url, &postgres, &s3.endpoint, &env);
    println!(
        "sluice-server delivery: {rows} rows per import, 1,000 per message, signed, to a loopback \
         receiver that verifies and parses each; release server, {} cores",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    let kinds = [
        ("seq", "webhook, sequential"),
        ("par", "webhook, 4 at once"),
        ("pgseq", "PostgreSQL, sequential"),
        ("pgpar", "PostgreSQL, 4 at once"),
        ("bucket", "S3, one object"),
    ];
    let only = std::env::var("SLUICE_DELIVERY_KINDS").ok();
    let kinds: Vec<(&str, &str)> = kinds
        .into_iter()
        .filter(|(k, _)| only.as_deref().is_none_or(|o| o.split(',').any(|x| x == *k)))
        .collect();
    // Rounds are interleaved: each round runs every destination once, so a noisy moment of the
    // shared machine falls on all of them.
    let mut results: Vec<Vec<(f64, f64)>> = vec![Vec::new(); kinds.len()];
    for round in 1..=rounds {
        for (i, (importer, label)) in kinds.iter().enumerate() {
            let arrived: &dyn Fn(&str, u64, u64) -> Option<u64> = match *importer {
                "seq" | "par" => &|_, messages, _| receiver.arrived(messages),
                "bucket" => &|id, _, _| object_written(&bucket, importer, id),
                _ => &|id, _, _| table_filled(&postgres, id, rows),
            };
            let (seconds, bytes) = run(&url, importer, &batches, rows, arrived);
            println!(
                "  {label}, round {round}: {:.0} rows/s, {:.1} MB/s written",
                rows as f64 / seconds,
                bytes as f64 / 1e6 / seconds
            );
            results[i].push((seconds, bytes as f64));
        }
    }
    for ((_, label), mut runs) in kinds.into_iter().zip(results) {
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (seconds, bytes) = runs[rounds / 2];
        let (fastest, slowest) = (runs[0].0, runs[rounds - 1].0);
        println!(
            "{:<34} {:>10.0} rows/s sustained ({:.0}–{:.0}; {:.1} MB/s; median of {rounds})",
            format!("delivery, {label}"),
            rows as f64 / seconds,
            rows as f64 / slowest,
            rows as f64 / fastest,
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
    server::batches(&datagen::file(rows), SCHEMA)
}

/// The table the PostgreSQL importers write into.
const TABLE: &str = "CREATE UNLOGGED TABLE bench (import_id text NOT NULL, row_number bigint NOT NULL,
    id bigint, name text, email text, age integer, balance numeric, signup_date date,
    last_login timestamptz, country text, active boolean, notes text,
    PRIMARY KEY (import_id, row_number))";

/// Starts the release server with an importer for each destination to measure.
fn start_server(
    dir: &std::path::Path,
    hook: &str,
    pg: &services::Postgres,
    s3: &str,
    env: &[(&str, &str)],
) -> (Child, String) {
    std::fs::write(dir.join("schema.json"), SCHEMA).unwrap();
    let importer = |key: &str, destination: &str| {
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
allow_private_network = true
{destination}
"#
        )
    };
    let webhook =
        |delivery: &str| format!("type = \"webhook\"\nurl = \"{hook}\"\nsecret = \"{SECRET}\"\n{delivery}");
    let db = pg.url.replace(&format!(":{}@", pg.password), "@");
    let table = |delivery: &str| {
        format!(
            "type = \"postgres\"\nurl = \"{db}\"\npassword_env = \"BENCH_DB_PASSWORD\"\ntable = \"bench\"\ntls = \"disable\"\n{delivery}"
        )
    };
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"data\"\n\n[server.limits]\nrate_limit = 0\n{}{}{}{}{}",
        importer("seq", &webhook("")),
        importer("par", &webhook("delivery = \"parallel\"\nparallelism = 4")),
        importer("pgseq", &table("")),
        importer("pgpar", &table("delivery = \"parallel\"\nparallelism = 4")),
        importer(
            "bucket",
            &format!("type = \"s3\"\nendpoint = \"{s3}\"\nbucket = \"bench\"\npath_style = true")
        ),
    );
    server::start(dir, &config, env)
}

/// The bench's bucket, created.
fn bucket(s3: &services::S3) -> S3Target {
    let bucket =
        rusty_s3::Bucket::new(s3.endpoint.parse().unwrap(), rusty_s3::UrlStyle::Path, "bench", "us-east-1")
            .unwrap();
    let credentials = rusty_s3::Credentials::new("AKIDBENCH", "bench-secret");
    let url = rusty_s3::S3Action::sign(&bucket.create_bucket(&credentials), Duration::from_secs(60));
    ureq::put(url.as_str()).send_empty().unwrap();
    S3Target::new(&BucketConfig {
        endpoint: &s3.endpoint,
        bucket: "bench",
        region: "us-east-1",
        path_style: true,
        access_key_id: "AKIDBENCH",
        secret_access_key: "bench-secret",
        timeout: Duration::from_secs(60),
        allow_private_network: true,
    })
    .unwrap()
}

/// The object's size once its manifest is written.
fn object_written(bucket: &S3Target, importer: &str, id: &str) -> Option<u64> {
    bucket.get(&format!("{importer}/{id}.manifest.json")).ok()?;
    Some(bucket.get(&format!("{importer}/{id}.jsonl")).unwrap().len() as u64)
}

/// The bytes of the import's rows in the table (as PostgreSQL stores them) once it holds every
/// one.
fn table_filled(pg: &services::Postgres, id: &str, rows: u64) -> Option<u64> {
    let sql = format!(
        "SELECT count(*), coalesce(sum(pg_column_size(bench.*)), 0) FROM bench WHERE import_id = '{id}'"
    );
    let answer = pg.psql(&sql);
    let (count, size) = answer.trim().split_once('|')?;
    (count.parse::<u64>().ok()? == rows).then(|| size.parse().unwrap_or(0))
}

/// Uploads one import, then times its delivery until `arrived(import, messages, rows)` says how
/// many bytes arrived: (seconds, bytes).
fn run(
    url: &str,
    importer: &str,
    batches: &[Vec<u8>],
    rows: u64,
    arrived: &dyn Fn(&str, u64, u64) -> Option<u64>,
) -> (f64, u64) {
    let client = Client::new(url, importer).unwrap();
    let upload =
        client.start(&FileInfo::named("bench.csv", 0), Default::default(), Default::default()).unwrap();
    for batch in batches {
        upload.send(batch).unwrap();
    }
    let start = Instant::now();
    assert_eq!(upload.complete_all().unwrap().rows, rows);
    let messages = rows.div_ceil(1000) + 1;
    loop {
        if let Some(bytes) = arrived(&upload.import_id, messages, rows) {
            return (start.elapsed().as_secs_f64(), bytes);
        }
        assert!(start.elapsed() < Duration::from_secs(600), "delivery stalled");
        // Looking costs too (a query, a request): often enough to time a second to 1%.
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The receiving app: counts verified messages, their rows and bytes.
struct Receiver {
    url: String,
    /// Messages, rows and bytes counted by the last `arrived`.
    seen: std::sync::Mutex<(u64, u64, u64)>,
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
            seen: std::sync::Mutex::default(),
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

    /// The body bytes received once `messages` more have arrived since the last time it said
    /// so (every row once: checked).
    fn arrived(&self, messages: u64) -> Option<u64> {
        let got = self.messages.load(Ordering::SeqCst);
        let mut seen = self.seen.lock().unwrap();
        if got - seen.0 < messages {
            return None;
        }
        let (rows, bytes) = (self.rows.load(Ordering::SeqCst), self.bytes.load(Ordering::SeqCst));
        let arrived = (rows - seen.1, bytes - seen.2);
        *seen = (got, rows, bytes);
        Some(arrived.1)
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
