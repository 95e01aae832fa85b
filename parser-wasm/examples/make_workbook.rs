//! Writes the workbook the JavaScript tests read (the npm package's in Node and Chromium, the
//! widget's end to end), so that no binary fixture is kept in the repository.
//!
//! ```text
//! cargo run -p sluice-parser --example make_workbook -- OUT.xlsx
//! ```
//!
//! Three sheets: `Notes` (two lines of text, the sheet read when none is chosen), `Chart` (a
//! chart sheet, which has no rows) and `Customers`: a title block, the header on row 4 with the
//! example schema's column names (`examples/schema.toml`), and three customers holding a date
//! cell, a phone number typed with leading zeros, a boolean and a `#N/A` formula (the email of
//! customer 2, cell `Customers!D6`).
#![allow(clippy::print_stderr)]

use rust_xlsxwriter::{Chart, ChartType, ExcelDateTime, Format, Formula, Workbook, XlsxError};
use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: make_workbook OUT.xlsx");
        return ExitCode::from(2);
    };
    match workbook().and_then(|mut book| book.save(&path)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workbook() -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    let notes = book.add_worksheet().set_name("Notes")?;
    notes.write(0, 0, "About this file")?;
    notes.write(1, 0, "The customers are on the Customers sheet")?;
    let mut chart = Chart::new(ChartType::Column);
    chart.add_series().set_values("Customers!$A$5:$A$7");
    book.add_chartsheet().set_name("Chart")?.insert_chart(0, 0, &chart)?;
    customers(&mut book)?;
    Ok(book)
}

fn customers(book: &mut Workbook) -> Result<(), XlsxError> {
    let sheet = book.add_worksheet().set_name("Customers")?;
    sheet.write_with_format(0, 0, "Customer export", &Format::new().set_bold())?;
    sheet.write(1, 0, "Exported for the sales team")?;
    let header =
        ["Customer ID", "First Name", "Last Name", "E-mail Address", "Phone", "DOB", "Plan", "Newsletter"];
    for (column, name) in (0u16..).zip(header) {
        sheet.write(3, column, name)?;
    }
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let people = [
        (1, "Ann", "Lee", Some("ann@example.com"), "0044 20 7946 0001", (1990, 1, 2), "pro", true),
        (2, "Bob", "Ray", None, "+44 20 7946 0002", (1985, 12, 31), "free", false),
        (3, "Cy", "Moe", Some("cy@example.com"), "020 7946 0003", (1970, 6, 15), "enterprise", true),
    ];
    for (row, (id, first, last, email, phone, (y, m, d), plan, newsletter)) in (4u32..).zip(people) {
        sheet.write(row, 0, id)?.write(row, 1, first)?.write(row, 2, last)?;
        match email {
            Some(email) => sheet.write(row, 3, email)?,
            None => sheet.write_formula(row, 3, Formula::new("=NA()").set_result("#N/A"))?,
        };
        sheet.write(row, 4, phone)?;
        sheet.write_datetime_with_format(row, 5, &ExcelDateTime::from_ymd(y, m, d)?, &date)?;
        sheet.write(row, 6, plan)?.write_boolean(row, 7, newsletter)?;
    }
    Ok(())
}
