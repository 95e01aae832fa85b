//! Writes the benchmark's generated CSV file (the same bytes `make bench` measures), for the
//! other benchmarks (the WASM package, the end-to-end run) to use; with `--plain`, the plain
//! variant (same columns, no quoted field).
//!
//! ```text
//! cargo run --release -p sluice-parser --example gen_bench_csv -- [--plain] OUT.csv [ROWS]
//! ```
#![allow(clippy::print_stderr)]

#[path = "../benches/support/datagen.rs"]
#[allow(dead_code)]
mod datagen;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1).peekable();
    let plain = args.next_if(|a| a == "--plain").is_some();
    let Some(path) = args.next() else {
        eprintln!("usage: gen_bench_csv [--plain] OUT.csv [ROWS]");
        return ExitCode::from(2);
    };
    let rows = args.next().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    match std::fs::write(&path, datagen::file_with(rows, !plain)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
