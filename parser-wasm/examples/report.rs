//! Validates CSV files against a schema and prints a readable report.
//!
//! ```text
//! cargo run --release -p sluice-parser --example report -- SCHEMA.toml FILE.csv [FILE.csv …]
//! ```
//!
//! Each file is streamed in 64 KiB chunks through the same pipeline the browser runs: encoding
//! and dialect detection, column matching, validation, and batches ready to ship.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use sluice_parser::import::{Import, ImportOptions, ImportSummary};
use sluice_parser::schema::Schema;
use std::io::Read;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((schema_path, files)) = args.split_first().filter(|(_, files)| !files.is_empty()) else {
        eprintln!("usage: report SCHEMA.(toml|json) FILE.csv [FILE.csv …]");
        return ExitCode::from(2);
    };
    let schema = match load_schema(schema_path) {
        Ok(schema) => schema,
        Err(e) => {
            eprintln!("{schema_path}: {e}");
            return ExitCode::from(2);
        }
    };
    println!(
        "Schema {schema_path}: {} columns, digest {}",
        schema.columns().len(),
        &schema.digest_hex()[..16]
    );
    for file in files {
        match import(&schema, file) {
            Ok((summary, batch_bytes)) => print_report(file, &summary, batch_bytes),
            Err(e) => {
                eprintln!("{file}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

fn load_schema(path: &str) -> Result<Schema, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path)?;
    Ok(if path.ends_with(".json") { Schema::from_json(&text)? } else { Schema::from_toml(&text)? })
}

/// Streams the file through an import, counting the bytes of the batches it produces.
fn import(schema: &Schema, path: &str) -> Result<(ImportSummary, usize), Box<dyn std::error::Error>> {
    let mut file = std::fs::File::open(path)?;
    let mut import = Import::new(schema, ImportOptions::default())?;
    let mut chunk = vec![0; 64 * 1024];
    let mut batch_bytes = 0;
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        import.feed(&chunk[..n])?;
        while let Some(batch) = import.next_batch() {
            batch_bytes += batch.len();
        }
    }
    let summary = import.finish()?;
    while let Some(batch) = import.next_batch() {
        batch_bytes += batch.len();
    }
    Ok((summary, batch_bytes))
}

fn print_report(path: &str, s: &ImportSummary, batch_bytes: usize) {
    let layout = &s.layout;
    let d = &layout.dialect;
    let c = &layout.sniffed.confidence;
    println!("\n━━ {path}");
    println!("  size       {} bytes, {} records", s.read.bytes, s.read.records);
    println!("  encoding   {}", layout.encoding);
    let quote = d.quote.map_or("none".to_owned(), |q| format!("{:?}", char::from(q)));
    println!(
        "  dialect    delimiter {:?}, quote {quote}, line endings {} (confidence {:.2} / {:.2})",
        char::from(d.delimiter),
        format!("{:?}", d.line_ending).to_uppercase(),
        c.delimiter,
        c.quote
    );
    match (layout.header.record, layout.header.position) {
        (Some(record), Some(at)) => {
            println!("  header     record {record} at {at} (confidence {:.2})", c.header);
        }
        _ => println!("  header     none, columns named column_1 … (confidence {:.2})", c.header),
    }
    print_mapping(s);
    let r = &s.report;
    println!(
        "\n  rows       {} read: {} valid, {} with errors, {} deleted; {} blank rows skipped",
        r.rows, r.valid_rows, r.invalid_rows, r.deleted_rows, s.read.empty_rows
    );
    println!("  batches    {} ({} rows, {} bytes) ready to ship", s.batches, s.batched_rows, batch_bytes);
    print_errors(s);
}

fn print_mapping(s: &ImportSummary) {
    println!("\n  column mapping");
    for m in &s.mapping.columns {
        match (&m.header, m.method) {
            (Some(header), method) => {
                let how = method.map_or("chosen".to_owned(), |m| format!("{m:?}").to_lowercase());
                println!("    {:<12} ← {:<22} {how:<8} {:.2}", m.key, format!("{header:?}"), m.confidence);
            }
            (None, _) => println!("    {:<12} ← (no column in the file)", m.key),
        }
    }
    for name in &s.mapping.ignored {
        println!("    {:<12}   {name:?} left out (not in the schema)", "");
    }
    for key in &s.mapping.missing_required {
        println!("    missing    required column {key:?} has no column in the file");
    }
}

fn print_errors(s: &ImportSummary) {
    let r = &s.report;
    if r.error_count == 0 {
        println!("\n  no errors");
        return;
    }
    println!("\n  errors ({} shown of {})", r.errors.len(), r.error_count);
    println!("    {:>4} {:>5} {:>6}  {:<12} {:<20} message", "row", "line", "byte", "column", "code");
    for e in &r.errors {
        let column = e.column.as_deref().unwrap_or("(row)");
        println!("    {:>4} {:>5} {:>6}  {column:<12} {:<20} {}", e.row, e.line, e.byte, e.code, e.message);
    }
    let by_column: Vec<String> = r
        .errors_by_column
        .iter()
        .map(|(k, n)| if k.is_empty() { format!("(row) {n}") } else { format!("{k} {n}") })
        .collect();
    let by_code: Vec<String> = r.errors_by_code.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!("    by column: {}", by_column.join(", "));
    println!("    by code:   {}", by_code.join(", "));
}
