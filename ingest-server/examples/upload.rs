//! Uploads a CSV file to a running Sluice server exactly as the browser widget does: fetch the
//! importer's schema, parse and validate the file with `sluice-parser`, start an import (ECDH
//! handshake), send every batch sealed with AES-256-GCM, complete.
//!
//! ```text
//! cargo run -p sluice-server --example upload -- http://127.0.0.1:8080 demo examples/contacts.csv
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use sluice_parser::batch::BatchOptions;
use sluice_parser::import::{Import, ImportOptions};
use sluice_server::client::{Client, FileInfo};
use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, importer, path] = args.as_slice() else {
        eprintln!("usage: upload SERVER_URL IMPORTER_KEY FILE.csv");
        return ExitCode::from(2);
    };
    match upload(url, importer, path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("upload: {e}");
            ExitCode::FAILURE
        }
    }
}

fn upload(url: &str, importer: &str, path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let client = Client::new(url, importer)?;
    let config = client.config()?;
    let schema = config.schema()?;
    let batches = BatchOptions {
        max_rows: config.limits.batch_rows,
        max_bytes: usize::try_from(config.limits.batch_bytes)?,
    };
    let include_invalid = config.invalid_rows == "record";
    let mut import =
        Import::new(&schema, ImportOptions { batches, include_invalid, ..ImportOptions::default() })?;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let name = std::path::Path::new(path).file_name().and_then(|n| n.to_str()).unwrap_or("file.csv");
    let upload = client.start(&FileInfo::named(name, size), Default::default(), Default::default())?;
    println!("import {} started on {url} (importer {:?})", upload.import_id, config.name);
    let mut chunk = vec![0; 256 * 1024];
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        import.feed(&chunk[..n])?;
        while let Some(batch) = import.next_batch() {
            upload.send(&batch)?;
        }
    }
    let summary = import.finish()?;
    while let Some(batch) = import.next_batch() {
        upload.send(&batch)?;
    }
    let errors = summary.report.error_count;
    if errors > 0 && !include_invalid {
        println!(
            "{errors} cells are invalid; those rows were left out, as the importer refuses invalid rows"
        );
    }
    let done = upload.complete_all()?;
    println!(
        "complete: {} rows in {} batches, {} invalid, in {:.2} s",
        done.rows,
        done.batches,
        done.invalid_rows,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
