//! `make bench`: MB/s and rows/s of the parser on the generated 1,000,000-row file and on its
//! plain variant (same columns, no quoted field), for csv-core alone (a `csv_core::Reader` loop
//! counting fields and records: the baseline), parse only; parse, map and validate; parse,
//! validate and batch; and the same with transforms on three columns. The modes run in interleaved rounds (each mode once per round), so a
//! noisy neighbour slows them alike; each line shows the median with min–max, and each mode's
//! ratio to csv-core in the same round (above 1: faster than csv-core). Then a file whose
//! header names one column 10,000 times, read and imported.
//!
//! The files are generated in memory (deterministically, ~120 MB each) and fed in 1 MiB chunks,
//! as a browser stream would. `SLUICE_BENCH_ROWS` and `SLUICE_BENCH_RUNS` change the size and
//! the number of rounds; `SLUICE_BENCH_MODE` (a word of the mode's name) runs only the modes
//! matching it (csv-core alone always runs, for the ratio, unless the word is `wide`);
//! `SLUICE_BENCH_FILE` (`quoted` or `plain`) only that file.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
const BASELINE: &str = "csv-core alone";

fn main() {
    let rows: u64 = env("SLUICE_BENCH_ROWS", 1_000_000);
    let runs: usize = env("SLUICE_BENCH_RUNS", 7);
    let only_file: String = env("SLUICE_BENCH_FILE", String::new());
    let only_mode: String = env("SLUICE_BENCH_MODE", String::new());
    let schema = Schema::from_json(include_str!("schema.json")).unwrap();
    let transformed = with_transforms(include_str!("schema.json"));
    for (name, quoted) in [("quoted", true), ("plain", false)] {
        if name.contains(only_file.as_str()) && only_mode != "wide" {
            let file = if quoted { datagen::file(rows) } else { datagen::file_with(rows, false) };
            compare(name, &file, [&schema, &transformed], rows, runs);
        }
    }
    let wide = wide_file(WIDE_COLUMNS, WIDE_ROWS);
    println!(
        "a header of {WIDE_COLUMNS} columns all named \"v\" (named v, v_2, …), then {WIDE_ROWS} rows, {:.2} MB",
        wide.len() as f64 / 1e6
    );
    println!("{:<32} {:>10} {:>12} {:>12}", "mode", "median", "MB/s", "rows/s");
    report("wide header: read", runs, &wide, WIDE_ROWS, || parse_only(&wide, WIDE_ROWS));
    report("wide header: read + validate + batch", runs, &wide, WIDE_ROWS, || {
        let mut import = Import::new(&schema, ImportOptions::default()).unwrap();
        import.feed(&wide).unwrap();
        let summary = import.finish().unwrap();
        assert_eq!((summary.read.rows, summary.layout.header.names.len()), (WIDE_ROWS, WIDE_COLUMNS));
    });
}

/// Runs the modes on `file` in `runs` interleaved rounds (after one warm-up round) and prints
/// each one's median, min–max and ratio to csv-core alone.
fn compare(name: &str, file: &[u8], [schema, transformed]: [&Schema; 2], rows: u64, runs: usize) {
    let only: String = env("SLUICE_BENCH_MODE", String::new());
    let modes: [(&str, &dyn Fn()); 5] = [
        (BASELINE, &|| csv_core_only(file, rows)),
        ("parse only", &|| parse_only(file, rows)),
        ("parse + map + validate", &|| parse_validate(file, schema, rows)),
        ("parse + validate + batch", &|| parse_validate_batch(file, schema, rows)),
        ("… + batch, 3 transforms", &|| parse_validate_batch(file, transformed, rows)),
    ];
    let modes: Vec<_> =
        modes.into_iter().filter(|(m, _)| *m == BASELINE || m.contains(only.as_str())).collect();
    let mb = file.len() as f64 / 1e6;
    println!(
        "{name} file: {rows} rows, 10 columns, {mb:.1} MB, {CHUNK} byte chunks, {runs} interleaved rounds"
    );
    println!(
        "{:<26} {:>9} {:>20} {:>8} {:>20}",
        "mode", "median", "MB/s (min–max)", "Mrows/s", "× csv-core (min–max)"
    );
    let mut times = vec![Vec::with_capacity(runs); modes.len()];
    for round in 0..=runs {
        for ((_, run), times) in modes.iter().zip(&mut times) {
            let start = Instant::now();
            run();
            if round > 0 {
                times.push(start.elapsed());
            }
        }
    }
    for ((mode, _), mode_times) in modes.iter().zip(&times) {
        let ratios: Vec<f64> =
            times[0].iter().zip(mode_times).map(|(c, t)| c.as_secs_f64() / t.as_secs_f64()).collect();
        let mbs: Vec<f64> = mode_times.iter().map(|t| mb / t.as_secs_f64()).collect();
        let (median, _, _) = spread(mode_times.iter().map(Duration::as_secs_f64).collect());
        let (m, lo, hi) = spread(mbs);
        let (r, rlo, rhi) = spread(ratios);
        println!(
            "{mode:<26} {:>7.1}ms {m:>8.1} ({lo:.0}–{hi:.0}) {:>8.2} {r:>8.2} ({rlo:.2}–{rhi:.2})",
            median * 1e3,
            rows as f64 / median / 1e6
        );
    }
}

/// The bench schema with transforms on three columns: names collapsed and title-cased (already
/// so in the file: scanned, left as they are), emails lowercased (already so), notes collapsed
/// (rewritten where they hold a newline).
fn with_transforms(schema: &str) -> Schema {
    let mut schema: serde_json::Value = serde_json::from_str(schema).unwrap();
    for (key, steps) in
        [("name", ["collapse", "title"].as_slice()), ("email", &["lower"]), ("notes", &["collapse"])]
    {
        let columns = schema["columns"].as_array_mut().unwrap();
        let column = columns.iter_mut().find(|c| c["key"] == key).unwrap();
        column["transform"] = serde_json::json!(steps);
    }
    Schema::from_json(&schema.to_string()).unwrap()
}

/// Median, min and max.
fn spread(mut values: Vec<f64>) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (values[values.len() / 2], values[0], values[values.len() - 1])
}

/// csv-core alone, as a program that only needs fields would use it: records read into a
/// reused output buffer, fields and records counted.
fn csv_core_only(file: &[u8], rows: u64) {
    let mut reader = csv_core::Reader::new();
    let (mut out, mut ends) = (vec![0u8; 1 << 16], vec![0usize; 1024]);
    let (mut records, mut fields, mut nout, mut nend) = (0u64, 0u64, 0, 0);
    let mut chunks = file.chunks(CHUNK);
    let mut input: &[u8] = &[];
    loop {
        if input.is_empty() {
            // Empty input tells csv-core the file ended: only once the chunks are all read.
            input = chunks.next().unwrap_or_default();
        }
        let (result, nin, o, e) = reader.read_record(input, &mut out[nout..], &mut ends[nend..]);
        input = &input[nin..];
        (nout, nend) = (nout + o, nend + e);
        match result {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::Record => {
                (records, fields) = (records + 1, fields + nend as u64);
                (nout, nend) = (0, 0);
            }
            csv_core::ReadRecordResult::End => break,
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {
                panic!("a benchmark record is larger than the output buffer")
            }
        }
    }
    assert_eq!(records, rows + 1, "the header and every row");
    black_box(fields);
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
