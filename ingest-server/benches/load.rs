//! `make bench`: the load generator. Starts the release `sluice` binary on loopback in a temporary
//! folder, then runs N concurrent imports, each sending sealed 1,000-row batches one after
//! another (as the widget does) and completing; reports the CSV megabytes carried per second,
//! batches per second, acknowledgement latency (p50, p99, max) and completion time.
//!
//! The rows are the parser benchmark's generated file (10 columns, ~124 bytes a row), cut into
//! batches by `sluice-parser` once; every import seals and sends the same batches under its own
//! key. `SLUICE_LOAD_IMPORTS` (default 50) and `SLUICE_LOAD_BATCHES` (per import, default 100)
//! change the load; `SLUICE_LOAD_ROUNDS` (default 5) how many times it runs against the same
//! server. Each round is printed; the summary is the round with the median throughput, so one
//! noisy round on a shared machine neither makes nor breaks the figure.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../parser-wasm/benches/support/datagen.rs"]
mod datagen;
#[path = "support/server.rs"]
mod server;

use sluice_parser::batch::BatchOptions;
use sluice_parser::import::{Import, ImportOptions};
use sluice_parser::schema::Schema;
use sluice_server::client::{Client, FileInfo};

use std::process::Child;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const SCHEMA: &str = include_str!("../../parser-wasm/benches/schema.json");

fn main() {
    let imports: usize = env("SLUICE_LOAD_IMPORTS", 50);
    let per_import: usize = env("SLUICE_LOAD_BATCHES", 100);
    let rounds: usize = env("SLUICE_LOAD_ROUNDS", 5).max(1);
    let (batches, csv_bytes) = make_batches(per_import);
    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = start_server(dir.path());
    println!(
        "sluice-server load: {imports} concurrent imports x {per_import} batches of 1,000 rows \
         ({:.1} MB of CSV each), release server on loopback, {} cores",
        csv_bytes as f64 / 1e6,
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    let batches = Arc::new(batches);
    let total = csv_bytes as f64 * imports as f64;
    let mut reports: Vec<Report> = (1..=rounds)
        .map(|round| {
            let report = run(&url, imports, &batches);
            println!(
                "  round {round}: {:.1} MB/s, ack p99 {:.1} ms",
                total / 1e6 / report.batches_elapsed.as_secs_f64(),
                at(&report.latencies, 0.99)
            );
            report
        })
        .collect();
    reports.sort_by_key(|r| r.batches_elapsed);
    println!("median of {rounds} rounds:");
    print_report(&reports[rounds / 2], total);
    let _ = server.kill();
    let _ = server.wait();
    let stored = std::fs::read_dir(dir.path().join("data"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum::<u64>();
    println!("{:<28} {:>10.1} MB (sealed, data folder)", "stored", stored as f64 / 1e6);
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The batches of a `batches × 1000`-row file, and the file's size without its header.
fn make_batches(batches: usize) -> (Vec<Vec<u8>>, usize) {
    let file = datagen::file(batches as u64 * 1000);
    let header = file.iter().position(|&b| b == b'\n').unwrap() + 1;
    let schema = Schema::from_json(SCHEMA).unwrap();
    let options = ImportOptions {
        batches: BatchOptions { max_rows: 1000, max_bytes: 4 << 20 },
        include_invalid: true,
        ..ImportOptions::default()
    };
    let mut import = Import::new(&schema, options).unwrap();
    import.feed(&file).unwrap();
    import.finish().unwrap();
    let out: Vec<Vec<u8>> = std::iter::from_fn(|| import.next_batch()).collect();
    assert_eq!(out.len(), batches);
    (out, file.len() - header)
}

/// Starts the release server on port 0 with an importer for the benchmark schema.
fn start_server(dir: &std::path::Path) -> (Child, String) {
    std::fs::write(dir.join("schema.json"), SCHEMA).unwrap();
    let config = r#"
[server]
listen = "127.0.0.1:0"
data_dir = "data"

[server.limits]
rate_limit = 0

[[importers]]
key = "bench"
allowed_origins = ["http://127.0.0.1"]
schema = "schema.json"
invalid_rows = "record"

[importers.limits]
max_rows = 10000000
batch_rows = 1000
batch_bytes = "4MiB"
"#;
    server::start(dir, config, &[])
}

/// What the run measured.
struct Report {
    /// From the first batch sent to the last acknowledged.
    batches_elapsed: Duration,
    /// Acknowledgement latencies, sorted.
    latencies: Vec<Duration>,
    /// Completion latencies, sorted.
    completions: Vec<Duration>,
    /// From the first batch to the last completion.
    total_elapsed: Duration,
}

fn run(url: &str, imports: usize, batches: &Arc<Vec<Vec<u8>>>) -> Report {
    let start_line = Arc::new(Barrier::new(imports + 1));
    let done_sending = Arc::new(Barrier::new(imports + 1));
    let threads: Vec<_> = (0..imports)
        .map(|_| {
            let (url, batches) = (url.to_owned(), Arc::clone(batches));
            let (start_line, done_sending) = (Arc::clone(&start_line), Arc::clone(&done_sending));
            std::thread::spawn(move || one_import(&url, &batches, &start_line, &done_sending))
        })
        .collect();
    start_line.wait();
    let start = Instant::now();
    done_sending.wait();
    let batches_elapsed = start.elapsed();
    let mut latencies = Vec::new();
    let mut completions = Vec::new();
    for thread in threads {
        let (sent, completed) = thread.join().unwrap();
        latencies.extend(sent);
        completions.push(completed);
    }
    let total_elapsed = start.elapsed();
    latencies.sort();
    completions.sort();
    Report { batches_elapsed, latencies, completions, total_elapsed }
}

/// One import: start, send every batch in order, complete. Returns the latencies.
fn one_import(
    url: &str,
    batches: &[Vec<u8>],
    start_line: &Barrier,
    done_sending: &Barrier,
) -> (Vec<Duration>, Duration) {
    let client = Client::new(url, "bench").unwrap();
    let upload =
        client.start(&FileInfo::named("bench.csv", 0), Default::default(), Default::default()).unwrap();
    let sealed: Vec<_> = batches.iter().map(|b| upload.seal(b).unwrap()).collect();
    // Sealing every import's batches on a loaded machine can outlast the server's keep-alive:
    // a fresh client, so that the first batch does not go out on a connection closed meanwhile.
    let resumable = upload.resumable();
    let client = Client::new(url, "bench").unwrap();
    let upload = resumable.resume(&client);
    start_line.wait();
    let mut latencies = Vec::with_capacity(batches.len());
    let mut rows = 0u64;
    for (sequence, first_row, count, body) in &sealed {
        let sent = Instant::now();
        let answer =
            client.put_raw(&upload.import_id, &upload.token, *sequence, *first_row, *count, body).unwrap();
        latencies.push(sent.elapsed());
        assert_eq!(answer.status, 201, "{}", String::from_utf8_lossy(&answer.body));
        rows += u64::from(*count);
    }
    done_sending.wait();
    let completing = Instant::now();
    let done = upload.complete(sealed.len() as u64, rows).unwrap();
    assert_eq!(done.rows, rows);
    (latencies, completing.elapsed())
}

fn print_report(report: &Report, csv_bytes: f64) {
    let seconds = report.batches_elapsed.as_secs_f64();
    let count = report.latencies.len();
    println!("{:<28} {:>10.1} MB/s of CSV", "sustained", csv_bytes / 1e6 / seconds);
    println!(
        "{:<28} {:>10.0} batches/s ({count} batches in {seconds:.2} s)",
        "batches",
        count as f64 / seconds
    );
    println!(
        "{:<28} {:>10.1} ms p50, {:.1} ms p99, {:.1} ms max",
        "acknowledgement latency",
        at(&report.latencies, 0.5),
        at(&report.latencies, 0.99),
        at(&report.latencies, 1.0)
    );
    println!(
        "{:<28} {:>10.1} ms p50, {:.1} ms max (from the batches' summaries; {:.2} s for all)",
        "completion",
        at(&report.completions, 0.5),
        at(&report.completions, 1.0),
        (report.total_elapsed - report.batches_elapsed).as_secs_f64()
    );
}

/// The `q` quantile of sorted durations, in milliseconds.
fn at(sorted: &[Duration], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3
}
