//! Writes the spreadsheet benchmark's workbook: the CSV benchmark's columns as typed cells (ids
//! and ages as numbers, balances as decimals, dates and timestamps as date cells, `active` as
//! booleans, the rest as text), deterministically, for `make bench`.
//!
//! ```text
//! cargo run --release -p sluice-parser --example gen_bench_xlsx -- OUT.xlsx [ROWS]
//! ```
#![allow(clippy::print_stderr)]

#[path = "../benches/support/datagen.rs"]
#[allow(dead_code)]
mod datagen;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: gen_bench_xlsx OUT.xlsx [ROWS]");
        return ExitCode::from(2);
    };
    let rows = args.next().and_then(|r| r.parse().ok()).unwrap_or(100_000);
    match write(&path, rows) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The CSV benchmark's rows, parsed back and written as cells of their types.
fn write(path: &str, rows: u32) -> Result<(), XlsxError> {
    let csv = datagen::file(u64::from(rows));
    let text = String::from_utf8_lossy(&csv);
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Customers")?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut reader = Records::new(&text);
    let mut row = 0u32;
    while let Some(fields) = reader.next() {
        for (c, field) in fields.iter().enumerate() {
            let col = c as u16;
            match (row, c) {
                (0, _) | (_, 1 | 2 | 7 | 9) => {
                    sheet.write(row, col, field.as_str())?;
                }
                (_, 0 | 3) => {
                    sheet.write(row, col, field.parse::<f64>().unwrap_or(0.0))?;
                }
                (_, 4) => {
                    sheet.write(row, col, field.parse::<f64>().unwrap_or(0.0))?;
                }
                (_, 5) => {
                    sheet.write_datetime_with_format(
                        row,
                        col,
                        ExcelDateTime::parse_from_str(field)?,
                        &date,
                    )?;
                }
                (_, 6) => {
                    let day = ExcelDateTime::parse_from_str(field.trim_end_matches('Z'))?;
                    sheet.write_datetime_with_format(row, col, day, &stamp)?;
                }
                _ => {
                    sheet.write_boolean(row, col, field == "true")?;
                }
            }
        }
        row += 1;
    }
    book.save(path)
}

/// The CSV's records (quoted fields with commas, quotes and newlines included).
struct Records<'a> {
    rest: &'a str,
}

impl<'a> Records<'a> {
    fn new(text: &'a str) -> Self {
        Records { rest: text }
    }

    fn next(&mut self) -> Option<Vec<String>> {
        if self.rest.is_empty() {
            return None;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = self.rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek().map(|&(_, n)| n) == Some('"') => {
                    field.push('"');
                    chars.next();
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') => quoted = true,
                (false, ',') => fields.push(std::mem::take(&mut field)),
                (false, '\n') => {
                    fields.push(std::mem::take(&mut field));
                    self.rest = &self.rest[i + 1..];
                    return Some(fields);
                }
                (false, c) => field.push(c),
            }
        }
        fields.push(field);
        self.rest = "";
        Some(fields)
    }
}
