//! `make bench`: MB/s and rows/s of the parser on the generated 1,000,000-row file, median of
//! several runs, for parse only; parse, map and validate; and parse, validate and batch. Then a
//! file whose header names one column 10,000 times, read and imported.
//!
//! The file is generated in memory (deterministically, ~120 MB) and fed in 1 MiB chunks, as a
//! browser stream would. `SLUICE_BENCH_ROWS` and `SLUICE_BENCH_RUNS` change the size and the
//! number of runs; `SLUICE_BENCH_MODE` (a word of the mode's name) runs only the modes matching it.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "support/datagen.rs"]
mod datagen;

use sluice_parser::import::{Import, ImportOptions};
use sluice_parser::patch::Patches;
use sluice_parser::reader::{FileLayout, Reader, ReaderOptions, Row, Sink};
use sluice_parser::schema::Schema;
use sluice_parser::validate::{MappingSpec, ValidateOptions, Validator};
use std::hint::black_box;
use std::time::{Duration, Instant};

const CHUNK: usize = 1 << 20;

fn main() {
    let rows: u64 = env("SLUICE_BENCH_ROWS", 1_000_000);
    let runs: usize = env("SLUICE_BENCH_RUNS", 7);
    let file = datagen::file(rows);
    let schema = Schema::from_json(include_str!("schema.json")).unwrap();
    let mb = file.len() as f64 / 1e6;
    println!(
        "sluice-parser throughput: {rows} rows, 10 columns, {mb:.1} MB, {CHUNK} byte chunks, median of {runs}"
    );
    println!("{:<32} {:>10} {:>12} {:>12}", "mode", "median", "MB/s", "rows/s");
    report("parse only", runs, &file, rows, || parse_only(&file, rows));
    report("parse + map + validate", runs, &file, rows, || parse_validate(&file, &schema, rows));
    report("parse + validate + batch", runs, &file, rows, || parse_validate_batch(&file, &schema, rows));
    let wide = wide_file(WIDE_COLUMNS, WIDE_ROWS);
    println!(
        "a header of {WIDE_COLUMNS} columns all named \"v\" (named v, v_2, …), then {WIDE_ROWS} rows, {:.2} MB",
        wide.len() as f64 / 1e6
    );
    report("wide header: read", runs, &wide, WIDE_ROWS, || parse_only(&wide, WIDE_ROWS));
    report("wide header: read + validate + batch", runs, &wide, WIDE_ROWS, || {
        let mut import = Import::new(&schema, ImportOptions::default()).unwrap();
        import.feed(&wide).unwrap();
        let summary = import.finish().unwrap();
        assert_eq!((summary.read.rows, summary.layout.header.names.len()), (WIDE_ROWS, WIDE_COLUMNS));
    });
}

/// The wide file: one header name repeated, as some exports write it, which once took cubic time.
const WIDE_COLUMNS: usize = 10_000;
const WIDE_ROWS: u64 = 10;

fn wide_file(columns: usize, rows: u64) -> Vec<u8> {
    let mut text = vec!["v"; columns].join(",");
    text.push('\n');
    for _ in 0..rows {
        text.push_str(&vec!["1"; columns].join(","));
        text.push('\n');
    }
    text.into_bytes()
}

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn report(mode: &str, runs: usize, file: &[u8], rows: u64, mut run: impl FnMut()) {
    let only: String = env("SLUICE_BENCH_MODE", String::new());
    if !mode.contains(only.as_str()) {
        return;
    }
    run();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2].as_secs_f64();
    let mbs = file.len() as f64 / 1e6 / median;
    let rps = rows as f64 / median;
    println!("{mode:<32} {:>8.1}ms {mbs:>12.1} {rps:>12.0}", median * 1e3);
}

/// Counts fields and bytes so the work cannot be optimised away.
struct Count(u64);

impl Sink for Count {
    fn layout(&mut self, _: &FileLayout) {}

    fn row(&mut self, row: &Row<'_>) {
        self.0 += row.fields().map(|f| f.len() as u64 + 1).sum::<u64>();
    }
}

fn parse_only(file: &[u8], rows: u64) {
    let mut reader = Reader::new(&ReaderOptions::default()).unwrap();
    let mut count = Count(0);
    for chunk in file.chunks(CHUNK) {
        reader.feed(chunk, &mut count).unwrap();
    }
    let summary = reader.finish(&mut count).unwrap();
    assert_eq!(summary.rows, rows);
    black_box(count.0);
}

/// Validates every row, as the widget's review step does, without building batches.
struct Check<'s> {
    schema: &'s Schema,
    validator: Option<Validator>,
    valid: u64,
}

impl Sink for Check<'_> {
    fn layout(&mut self, layout: &FileLayout) {
        let spec = MappingSpec::default();
        let v = Validator::new(
            self.schema,
            &layout.header.names,
            &spec,
            Patches::default(),
            ValidateOptions::default(),
        );
        self.validator = Some(v.unwrap());
    }

    fn row(&mut self, row: &Row<'_>) {
        if let Some(checked) = self.validator.as_mut().unwrap().check(row) {
            self.valid += u64::from(checked.valid);
        }
    }
}

fn parse_validate(file: &[u8], schema: &Schema, rows: u64) {
    let mut reader = Reader::new(&ReaderOptions::default()).unwrap();
    let mut check = Check { schema, validator: None, valid: 0 };
    for chunk in file.chunks(CHUNK) {
        reader.feed(chunk, &mut check).unwrap();
    }
    reader.finish(&mut check).unwrap();
    assert_eq!(check.valid, rows, "every generated row is valid");
}

fn parse_validate_batch(file: &[u8], schema: &Schema, rows: u64) {
    let mut import = Import::new(schema, ImportOptions::default()).unwrap();
    let mut bytes = 0;
    for chunk in file.chunks(CHUNK) {
        import.feed(chunk).unwrap();
        while let Some(batch) = import.next_batch() {
            bytes += batch.len();
        }
    }
    let summary = import.finish().unwrap();
    while let Some(batch) = import.next_batch() {
        bytes += batch.len();
    }
    assert_eq!(summary.batched_rows, rows);
    black_box(bytes);
}
