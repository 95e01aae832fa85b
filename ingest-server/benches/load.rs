//! `make bench`: the load generator. Runs N concurrent imports, each sending sealed 1,000-row
//! batches one after another (as the widget does) and completing, against the release `sluice`
//! binary on loopback in three set-ups side by side, rounds interleaved: one instance on SQLite
//! (the default), one instance on PostgreSQL with sealed batches in an S3 bucket, and two
//! instances on one PostgreSQL and bucket, each import's batches alternating between them (as a
//! load balancer would send them). PostgreSQL (Debian's, its own cluster) and an S3-compatible
//! server are started by the benchmark on 127.0.0.1, as the tests start them: `s3s-fs` (a Rust
//! S3 server from crates.io, which `make bench` installs, checking every signature) or, without
//! it or with `SLUICE_LOAD_S3=moto`, moto. Reports the
//! CSV megabytes carried per second, batches per second, acknowledgement latency (p50, p99, max),
//! completion time, and each instance's CPU seconds per megabyte (from `/proc`).
//!
//! The rows are the parser benchmark's generated file (10 columns, ~124 bytes a row), cut into
//! batches by `sluice-parser` once; every import seals and sends the same batches under its own
//! key. `SLUICE_LOAD_IMPORTS` (default 50) and `SLUICE_LOAD_BATCHES` (per import, default 100)
//! change the load; `SLUICE_LOAD_ROUNDS` (default 5) how many rounds each set-up runs;
//! `SLUICE_LOAD_SETUPS` (default `sqlite,postgres,postgres-2`) which set-ups; `postgres-db` is one
//! instance on PostgreSQL with the sealed batches in the database (no bucket), `postgres-folder`
//! one with them in a folder (`file://`, no S3 server sharing the cores). The summary of
//! each set-up is its round with the median throughput, and the spread of its rounds. The CPU
//! the services spent in each round (every `postgres` process, and the S3 server) is printed beside the
//! instances': on this machine they share its cores.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../parser-wasm/benches/support/datagen.rs"]
mod datagen;
#[path = "support/server.rs"]
mod server;
#[path = "../tests/support/services.rs"]
#[allow(dead_code, reason = "the benchmark uses the services, not every helper of the tests")]
mod services;

use sluice_server::client::{Client, FileInfo};

use std::process::Child;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const SCHEMA: &str = include_str!("../../parser-wasm/benches/schema.json");
const KEY_ID: &str = "AKIDSLUICEBENCH";
const KEY_SECRET: &str = "sluice-bench-secret";
const BUCKET: &str = "sealed";

fn main() {
    let imports: usize = env("SLUICE_LOAD_IMPORTS", 50);
    let per_import: usize = env("SLUICE_LOAD_BATCHES", 100);
    let rounds: usize = env("SLUICE_LOAD_ROUNDS", 5).max(1);
    let names: String = env("SLUICE_LOAD_SETUPS", "sqlite,postgres,postgres-2".to_owned());
    let (batches, csv_bytes) = make_batches(per_import);
    let services = Services::start_if(names.contains("postgres"));
    let mut setups: Vec<Setup> =
        names.split(',').map(|name| Setup::start(name.trim(), services.as_ref())).collect();
    println!(
        "sluice-server load: {imports} concurrent imports x {per_import} batches of 1,000 rows \
         ({:.1} MB of CSV each), release server on loopback, {} cores, set-ups {names}, rounds interleaved",
        csv_bytes as f64 / 1e6,
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
    );
    let batches = Arc::new(batches);
    let total = csv_bytes as f64 * imports as f64;
    for round in 1..=rounds {
        for setup in &mut setups {
            let cpu = setup.cpu();
            let around = services.as_ref().map(Services::cpu);
            let report = run(&setup.urls(), imports, &batches);
            let used: Vec<f64> = setup.cpu().iter().zip(&cpu).map(|(after, before)| after - before).collect();
            let theirs = services.as_ref().zip(around).map_or_else(String::new, |(s, (pg, s3))| {
                let (pg_now, s3_now) = s.cpu();
                format!(", PostgreSQL {:.1} s, S3 server {:.1} s", pg_now - pg, s3_now - s3)
            });
            println!(
                "  round {round} {:<12} {:>7.1} MB/s, ack p99 {:>6.1} ms, CPU {} s{theirs}",
                setup.name,
                total / 1e6 / report.batches_elapsed.as_secs_f64(),
                at(&report.latencies, 0.99),
                used.iter().map(|c| format!("{c:.1}")).collect::<Vec<_>>().join(" + ")
            );
            setup.reports.push((report, used));
        }
    }
    for setup in &mut setups {
        setup.summarise(total);
    }
    for setup in &mut setups {
        setup.stop();
    }
}

/// PostgreSQL and the S3-compatible server, when a set-up needs them.
struct Services {
    pg: services::Postgres,
    s3: services::S3,
}

impl Services {
    /// CPU seconds so far of every `postgres` process, and of the S3 server.
    fn cpu(&self) -> (f64, f64) {
        let postgres = std::fs::read_dir("/proc")
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
                    .filter(|pid| {
                        std::fs::read_to_string(format!("/proc/{pid}/comm"))
                            .is_ok_and(|c| c.trim() == "postgres")
                    })
                    .map(cpu_seconds)
                    .sum()
            })
            .unwrap_or(0.0);
        (postgres, cpu_seconds(self.s3.pid()))
    }

    fn start_if(needed: bool) -> Option<Services> {
        needed.then(|| {
            let s3 = match s3s_fs() {
                Some(program) => services::S3::start_s3s_fs(&program, KEY_ID, KEY_SECRET),
                None => services::S3::start(),
            };
            let services = Services { pg: services::Postgres::start(), s3 };
            services.s3.create_bucket_as(BUCKET, KEY_ID, KEY_SECRET);
            services
        })
    }
}

/// The `s3s-fs` server `make bench` installs (`$SLUICE_S3S_FS`, by default
/// `~/.cache/sluice/tools/bin/s3s-fs`), unless `SLUICE_LOAD_S3=moto` asks for moto.
fn s3s_fs() -> Option<std::path::PathBuf> {
    if std::env::var("SLUICE_LOAD_S3").is_ok_and(|s| s == "moto") {
        return None;
    }
    let program = std::env::var_os("SLUICE_S3S_FS").map(std::path::PathBuf::from).or_else(|| {
        std::env::var_os("HOME")
            .map(|home| std::path::Path::new(&home).join(".cache/sluice/tools/bin/s3s-fs"))
    })?;
    program.exists().then_some(program)
}

/// One set-up: its instances, and the rounds it ran.
struct Setup {
    name: String,
    instances: Vec<(Child, String)>,
    _dirs: Vec<tempfile::TempDir>,
    reports: Vec<(Report, Vec<f64>)>,
}

impl Setup {
    fn start(name: &str, services: Option<&Services>) -> Setup {
        let objects = tempfile::tempdir().unwrap();
        let (count, storage) = match name {
            "sqlite" => (1, String::new()),
            "postgres" | "postgres-db" | "postgres-folder" => {
                (1, postgres(name, services.unwrap(), objects.path()))
            }
            "postgres-2" => (2, postgres(name, services.unwrap(), objects.path())),
            other => panic!(
                "unknown set-up {other:?}: sqlite, postgres, postgres-db, postgres-folder or postgres-2"
            ),
        };
        let master = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let password = services.map(|s| s.pg.password.clone()).unwrap_or_default();
        let env = [
            ("SLUICE_MASTER_KEY", master),
            ("BENCH_DB_PASSWORD", password.as_str()),
            ("AWS_ACCESS_KEY_ID", KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", KEY_SECRET),
        ];
        let mut dirs = vec![objects];
        let mut instances = Vec::new();
        for _ in 0..count {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("schema.json"), SCHEMA).unwrap();
            instances.push(server::start(dir.path(), &format!("{CONFIG}{storage}"), &env));
            dirs.push(dir);
        }
        Setup { name: name.to_owned(), instances, _dirs: dirs, reports: Vec::new() }
    }

    fn urls(&self) -> Vec<String> {
        self.instances.iter().map(|(_, url)| url.clone()).collect()
    }

    /// Each instance's CPU seconds so far (user and system, from `/proc/<pid>/stat`).
    fn cpu(&self) -> Vec<f64> {
        self.instances.iter().map(|(child, _)| cpu_seconds(child.id())).collect()
    }

    fn summarise(&mut self, csv_bytes: f64) {
        self.reports.sort_by_key(|(r, _)| r.batches_elapsed);
        let rates: Vec<f64> =
            self.reports.iter().map(|(r, _)| csv_bytes / 1e6 / r.batches_elapsed.as_secs_f64()).collect();
        let (report, cpu) = &self.reports[self.reports.len() / 2];
        println!(
            "{} — median of {} rounds ({:.1}–{:.1} MB/s):",
            self.name,
            rates.len(),
            rates[rates.len() - 1],
            rates[0]
        );
        print_report(report, csv_bytes);
        let mb = csv_bytes / 1e6;
        let each: Vec<String> = cpu.iter().map(|c| format!("{:.4}", c / mb)).collect();
        println!(
            "{:<28} {:>10.4} s/MB for all instances ({} each)",
            "CPU per MB of CSV",
            cpu.iter().sum::<f64>() / mb,
            each.join(" + ")
        );
    }

    fn stop(&mut self) {
        for (child, _) in &mut self.instances {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The benchmark's server configuration, before `[storage]`.
const CONFIG: &str = r#"
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

/// `[storage]` on PostgreSQL (two new databases named after the set-up) with sealed batches in
/// the bucket under a prefix of the set-up's own (in the database for `postgres-db`, in the
/// folder `objects` for `postgres-folder`).
fn postgres(name: &str, services: &Services, objects: &std::path::Path) -> String {
    let db = name.replace('-', "_");
    services.pg.create_database(&format!("{db}_data"));
    services.pg.create_database(&format!("{db}_keys"));
    let url = |database: String| {
        format!("postgres://sluice@127.0.0.1:{}/{database}?sslmode=disable", services.pg.port)
    };
    format!(
        r#"
[storage]
backend = "postgres"
url = "{data}"
password_env = "BENCH_DB_PASSWORD"
keystore_url = "{keys}"
keystore_password_env = "BENCH_DB_PASSWORD"
pool_size = 4
{blobs}"#,
        data = url(format!("{db}_data")),
        keys = url(format!("{db}_keys")),
        blobs = if name == "postgres-db" {
            String::new()
        } else if name == "postgres-folder" {
            format!("\n[storage.blobs]\nurl = \"file://{}\"\n", objects.display())
        } else {
            format!(
                "\n[storage.blobs]\nurl = \"s3://{BUCKET}/{db}\"\nendpoint = \"{}\"\n",
                services.s3.endpoint
            )
        },
    )
}

/// A process's CPU seconds so far, user and system.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) are space-separated; utime and
    // stime are the 14th and 15th fields of the line, the 12th and 13th after the name.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The batches of a `batches × 1000`-row file, and the file's size without its header.
fn make_batches(batches: usize) -> (Vec<Vec<u8>>, usize) {
    let file = datagen::file(batches as u64 * 1000);
    let header = file.iter().position(|&b| b == b'\n').unwrap() + 1;
    let out = server::batches(&file, SCHEMA);
    assert_eq!(out.len(), batches);
    (out, file.len() - header)
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

fn run(urls: &[String], imports: usize, batches: &Arc<Vec<Vec<u8>>>) -> Report {
    let start_line = Arc::new(Barrier::new(imports + 1));
    let done_sending = Arc::new(Barrier::new(imports + 1));
    let threads: Vec<_> = (0..imports)
        .map(|i| {
            // Import i starts on instance i, and its batches take turns across the instances.
            let mut urls = urls.to_vec();
            let turn = i % urls.len();
            urls.rotate_left(turn);
            let batches = Arc::clone(batches);
            let (start_line, done_sending) = (Arc::clone(&start_line), Arc::clone(&done_sending));
            std::thread::spawn(move || one_import(&urls, &batches, &start_line, &done_sending))
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

/// One import: start, send every batch in order (taking turns across `urls`), complete.
/// Returns the latencies.
fn one_import(
    urls: &[String],
    batches: &[Vec<u8>],
    start_line: &Barrier,
    done_sending: &Barrier,
) -> (Vec<Duration>, Duration) {
    let client = Client::new(&urls[0], "bench").unwrap();
    let upload =
        client.start(&FileInfo::named("bench.csv", 0), Default::default(), Default::default()).unwrap();
    let sealed: Vec<_> = batches.iter().map(|b| upload.seal(b).unwrap()).collect();
    // Sealing every import's batches on a loaded machine can outlast the server's keep-alive:
    // a fresh client, so that the first batch does not go out on a connection closed meanwhile.
    let resumable = upload.resumable();
    let clients: Vec<Client> = urls.iter().map(|url| Client::new(url, "bench").unwrap()).collect();
    let upload = resumable.resume(&clients[0]);
    start_line.wait();
    let mut latencies = Vec::with_capacity(batches.len());
    let mut rows = 0u64;
    for (n, (sequence, first_row, count, body)) in sealed.iter().enumerate() {
        let client = &clients[n % clients.len()];
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
