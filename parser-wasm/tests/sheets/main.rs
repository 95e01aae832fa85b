//! Workbooks read into rows: generated in the test (rust_xlsxwriter for xlsx, the zip writer
//! for OpenDocument and for the hostile files), read through the same `Reader` as CSV, each
//! giving its exact rows or its named error, with the process's peak memory bounded.
#![cfg(feature = "spreadsheets")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use sluice_parser::error::{FileError, ReadError};
use sluice_parser::import::{Import, ImportOptions};
use sluice_parser::limits::Limits;
use sluice_parser::reader::{
    CellKind, FileLayout, HeaderChoice, Reader, ReaderOptions, Row, RowSource, Sink,
};
use sluice_parser::schema::Schema;
use sluice_parser::sheets::WorkbookReader;
use std::io::{Cursor, Read, Write};

/// Everything a read gave.
#[derive(Default)]
struct Got {
    layout: Option<FileLayout>,
    rows: Vec<Vec<String>>,
    kinds: Vec<Vec<CellKind>>,
    lines: Vec<u64>,
    cells: Vec<String>,
    problems: Vec<Vec<&'static str>>,
}

impl Sink for Got {
    fn layout(&mut self, layout: &FileLayout) {
        self.layout = Some(layout.clone());
    }

    fn row(&mut self, row: &Row<'_>) {
        self.rows.push(row.fields().map(str::to_owned).collect());
        self.kinds.push((0..row.len()).map(|i| row.kind(i)).collect());
        self.lines.push(row.position().line);
        self.cells.push(row.cell(0).map(|c| c.to_string()).unwrap_or_default());
        self.problems.push(row.problems().iter().map(sluice_parser::record::Problem::code).collect());
    }
}

fn read_with(bytes: &[u8], options: &ReaderOptions) -> Result<Got, ReadError> {
    let mut out = Got::default();
    let mut reader = Reader::new(options).unwrap();
    // Chunks as a browser's file reader gives them.
    for chunk in bytes.chunks(64 * 1024) {
        reader.feed(chunk, &mut out)?;
    }
    reader.finish(&mut out)?;
    Ok(out)
}

fn read(bytes: &[u8]) -> Got {
    read_with(bytes, &ReaderOptions::default()).unwrap()
}

fn refused(bytes: &[u8], options: &ReaderOptions) -> FileError {
    match read_with(bytes, options) {
        Err(ReadError::File(e)) => e,
        Err(e) => panic!("not a file error: {e}"),
        Ok(r) => panic!("read {} rows instead of refusing the file", r.rows.len()),
    }
}

fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|s| (*s).to_owned()).collect()).collect()
}

/// The parts of a zip archive, in order.
fn parts(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().unwrap().into_owned(), data)
        })
        .collect()
}

/// A zip archive of `parts`, deflated.
fn zip_of(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in parts {
        writer.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// `bytes` with part `name`'s text changed by `edit`.
fn edited(bytes: &[u8], name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let parts: Vec<(String, Vec<u8>)> = parts(bytes)
        .into_iter()
        .map(|(n, data)| {
            let data = if n == name { edit(String::from_utf8(data).unwrap()).into_bytes() } else { data };
            (n, data)
        })
        .collect();
    zip_of(&parts)
}

fn date_format(pattern: &str) -> Format {
    Format::new().set_num_format(pattern)
}

/// A workbook with a title block, the header on row 4, and every kind of cell.
fn contacts() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("Contacts").unwrap();
    sheet.write(0, 0, "Contact export").unwrap();
    sheet.write(1, 0, "Generated for the sales team").unwrap();
    let header = ["Name", "Zip", "Joined", "Renewal", "Seen at", "Score", "Active", "Total", "Check"];
    for (c, name) in header.iter().enumerate() {
        sheet.write(3, c as u16, *name).unwrap();
    }
    let us = date_format("mm/dd/yyyy");
    let eu = date_format("dd.mm.yyyy");
    let stamp = date_format("yyyy-mm-dd hh:mm");
    let joined = ExcelDateTime::from_ymd(2024, 3, 5).unwrap();
    let renewal = ExcelDateTime::from_ymd(2025, 12, 31).unwrap();
    let seen = ExcelDateTime::from_ymd(2024, 3, 5).unwrap().and_hms(14, 30, 0).unwrap();
    sheet.write(4, 0, "Ann").unwrap().write(4, 1, "01234").unwrap();
    sheet.write_datetime_with_format(4, 2, &joined, &us).unwrap();
    sheet.write_datetime_with_format(4, 3, &renewal, &eu).unwrap();
    sheet.write_datetime_with_format(4, 4, &seen, &stamp).unwrap();
    sheet.write(4, 5, 0.1 + 0.2).unwrap().write_boolean(4, 6, true).unwrap();
    sheet.write_formula(4, 7, Formula::new("=F5*10").set_result("3")).unwrap();
    sheet.write_formula(4, 8, Formula::new("=NA()").set_result("#N/A")).unwrap();
    sheet.write(5, 0, "Bob").unwrap().write(5, 1, "00077").unwrap();
    sheet.write(5, 5, 42).unwrap();
    sheet.write_formula(5, 8, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
    // Two empty rows, then a merged cell over two columns.
    sheet.merge_range(8, 0, 8, 1, "Merged Co", &Format::new()).unwrap();
    let other = book.add_worksheet().set_name("Notes").unwrap();
    other.write(0, 0, "note").unwrap().write(1, 0, "first").unwrap();
    book.save_to_buffer().unwrap()
}

#[test]
fn a_workbook_gives_values_as_the_user_saw_them() {
    let out = read(&contacts());
    let layout = out.layout.unwrap();
    assert_eq!(layout.format, sluice_parser::reader::Format::Xlsx);
    let workbook = layout.workbook.unwrap();
    assert_eq!(workbook.sheet, "Contacts");
    let names: Vec<&str> = workbook.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Contacts", "Notes"]);
    assert!(!workbook.date1904);
    assert_eq!(
        layout.header.names,
        ["Name", "Zip", "Joined", "Renewal", "Seen at", "Score", "Active", "Total", "Check"]
    );
    assert_eq!(layout.header.record, Some(4));
    assert_eq!(
        out.rows,
        strings(&[
            &["Ann", "01234", "2024-03-05", "2025-12-31", "2024-03-05T14:30:00", "0.3", "true", "3", ""],
            &["Bob", "00077", "", "", "", "42", "", "", ""],
            &["Merged Co", "", "", "", "", "", "", "", ""],
        ])
    );
    assert_eq!(out.lines, [5, 6, 9]);
    assert_eq!(out.cells, ["Contacts!A5", "Contacts!A6", "Contacts!A9"]);
    use CellKind::*;
    assert_eq!(out.kinds[0], [Text, Text, Date, Date, DateTime, Number, Bool, Number, Error]);
    assert_eq!(out.problems, [vec!["formula_error"], vec!["formula_error"], vec![]]);
}

#[test]
fn dates_in_the_1904_system_read_as_the_same_days() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "day").unwrap();
    // Serial 44216 is 2025-01-21 counted from 1904, and serial 1 is 1904-01-02 (a serial
    // below 1 is a time of day, as in a time-only format).
    sheet.write_number_with_format(1, 0, 44216, &date_format("d mmm yyyy")).unwrap();
    sheet.write_number_with_format(2, 0, 1, &date_format("yyyy-mm-dd")).unwrap();
    let bytes = edited(&book.save_to_buffer().unwrap(), "xl/workbook.xml", |xml| {
        xml.replace("<workbookPr ", "<workbookPr date1904=\"1\" ")
    });
    let out = read(&bytes);
    assert!(out.layout.unwrap().workbook.unwrap().date1904);
    assert_eq!(out.rows, strings(&[&["2025-01-21"], &["1904-01-02"]]));
}

#[test]
fn a_sheet_and_a_header_row_can_be_chosen() {
    let bytes = contacts();
    let options = ReaderOptions { sheet: Some("Notes".to_owned()), ..ReaderOptions::default() };
    let out = read_with(&bytes, &options).unwrap();
    assert_eq!(out.layout.unwrap().header.names, ["note"]);
    assert_eq!(out.rows, strings(&[&["first"]]));

    let options = ReaderOptions { header: HeaderChoice::Row(1), ..ReaderOptions::default() };
    let out = read_with(&bytes, &options).unwrap();
    assert_eq!(out.layout.unwrap().header.names, ["Contact export"]);
    assert_eq!(out.rows[0][0], "Generated for the sales team");

    let options = ReaderOptions { sheet: Some("Missing".to_owned()), ..ReaderOptions::default() };
    assert_eq!(refused(&bytes, &options), FileError::SheetNotFound { sheets: 2 });
}

#[test]
fn the_sheet_list_counts_rows_and_columns() {
    let infos = sluice_parser::sheets::sheets(&contacts(), &Limits::default()).unwrap();
    let counts: Vec<(&str, Option<u64>, Option<u64>)> =
        infos.iter().map(|s| (s.name.as_str(), s.rows, s.columns)).collect();
    assert_eq!(counts, [("Contacts", Some(6), Some(9)), ("Notes", Some(2), Some(1))]);
}

#[test]
fn ten_thousand_rows_read_in_order_with_their_cells() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "id").unwrap().write(0, 1, "email").unwrap();
    for i in 1..=10_000u32 {
        sheet.write(i, 0, i).unwrap().write(i, 1, format!("user{i}@example.com")).unwrap();
    }
    let out = read(&book.save_to_buffer().unwrap());
    assert_eq!(out.rows.len(), 10_000);
    assert_eq!(out.rows[9_999], ["10000", "user10000@example.com"]);
    assert_eq!(out.cells[9_999], "Sheet1!A10001");
}

#[test]
fn an_import_checks_spreadsheet_cells_and_names_them() {
    let schema = Schema::from_json(
        r#"{"version": 1, "columns": [
            {"key": "name", "type": "text", "required": true},
            {"key": "joined", "type": "date", "formats": ["%d/%m/%Y"]},
            {"key": "check", "type": "text", "label": "Check"}]}"#,
    )
    .unwrap();
    let mut import = Import::new(&schema, ImportOptions::default()).unwrap();
    import.feed(&contacts()).unwrap();
    let summary = import.finish().unwrap();
    let report = summary.report;
    // The date column's text format is day/month/year, but a date cell is a date whatever it
    // looks like; the #N/A and #DIV/0! cells are errors named by their cells.
    let errors: Vec<(u64, &str, Option<&str>)> =
        report.errors.iter().map(|e| (e.row, e.code, e.cell.as_deref())).collect();
    assert_eq!(
        errors,
        [(1, "formula_error", Some("Contacts!I5")), (2, "formula_error", Some("Contacts!I6"))]
    );
    assert_eq!((report.valid_rows, report.invalid_rows), (1, 2));
}

#[test]
fn an_opendocument_spreadsheet_reads_like_a_workbook() {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Orders">
<table:table-row><table:table-cell office:value-type="string"><text:p>sku</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>qty</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>due</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1021"/></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>007</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="2.5"><text:p>2.5</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2024-03-05"><text:p>05/03/24</text:p></table:table-cell><table:table-cell table:number-columns-repeated="1021"/></table:table-row>
<table:table-row table:number-rows-repeated="1048574"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
    let bytes = opendocument(content);
    let out = read(&bytes);
    let layout = out.layout.unwrap();
    assert_eq!(layout.format, sluice_parser::reader::Format::Ods);
    assert_eq!(layout.header.names, ["sku", "qty", "due"]);
    assert_eq!(out.rows, strings(&[&["007", "2.5", "2024-03-05"]]));
    assert_eq!(out.cells, ["Orders!A2"]);
}

fn opendocument(content: &str) -> Vec<u8> {
    zip_of(&[
        ("mimetype".to_owned(), b"application/vnd.oasis.opendocument.spreadsheet".to_vec()),
        ("content.xml".to_owned(), content.as_bytes().to_vec()),
        (
            "META-INF/manifest.xml".to_owned(),
            br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#.to_vec(),
        ),
    ])
}

fn limit_of(e: &FileError) -> &'static str {
    match e {
        FileError::WorkbookLimit { limit, .. } => limit,
        other => panic!("not a workbook limit: {other}"),
    }
}

#[test]
fn a_zip_bomb_is_refused_before_it_is_inflated() {
    // 64 MiB of one byte deflates to about 64 KiB: a ratio near 1000.
    let bytes = edited(&contacts(), "xl/sharedStrings.xml", |xml| {
        let padding = " ".repeat(64 << 20);
        xml.replacen("<sst ", &format!("{padding}<sst "), 1)
    });
    assert!(bytes.len() < 1 << 20, "the bomb is {} bytes", bytes.len());
    let error = refused(&bytes, &ReaderOptions::default());
    assert_eq!(limit_of(&error), "maxCompressionRatio");
    assert_eq!(error.code(), "workbook_limit");
    assert!(error.to_string().contains("limits.sheets.maxCompressionRatio"), "{error}");

    let mut options = ReaderOptions::default();
    options.limits.sheets.max_entry_bytes = 1 << 20;
    assert_eq!(limit_of(&refused(&bytes, &options)), "maxEntryBytes");
    options.limits.sheets.max_zip_entries = 3;
    assert_eq!(limit_of(&refused(&contacts(), &options)), "maxZipEntries");
}

#[test]
fn a_declared_dimension_bomb_is_refused_before_anything_is_allocated() {
    let bytes = edited(&contacts(), "xl/worksheets/sheet1.xml", |xml| {
        let start = xml.find("<dimension ref=\"").unwrap() + "<dimension ref=\"".len();
        let end = start + xml[start..].find('"').unwrap();
        format!("{}A1:XFD1048576{}", &xml[..start], &xml[end..])
    });
    assert_eq!(limit_of(&refused(&bytes, &ReaderOptions::default())), "maxCells");
}

#[test]
fn a_cell_far_out_is_refused_by_the_column_limit() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "a").unwrap().write(1, 0, "b").unwrap();
    sheet.write(1_048_575, 16_383, "far").unwrap();
    let bytes = edited(&book.save_to_buffer().unwrap(), "xl/worksheets/sheet1.xml", |xml| {
        xml.replace("<dimension ref=\"A1:XFD1048576\"/>", "")
    });
    match refused(&bytes, &ReaderOptions::default()) {
        FileError::TooManyColumns { limit: 10_000, at, .. } => assert_eq!(at.line, 1_048_576),
        other => panic!("{other}"),
    }
}

#[test]
fn a_shared_string_bomb_is_refused_by_count_and_by_size() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "text").unwrap();
    for i in 1..=2_000u32 {
        sheet.write(i, 0, format!("distinct value {i}")).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let mut options = ReaderOptions::default();
    options.limits.sheets.max_shared_strings = 1_000;
    assert_eq!(limit_of(&refused(&bytes, &options)), "maxSharedStrings");
    options.limits.sheets.max_shared_strings = 5_000;
    options.limits.sheets.max_shared_string_bytes = 10_000;
    assert_eq!(limit_of(&refused(&bytes, &options)), "maxSharedStringBytes");
}

#[test]
fn an_opendocument_repeat_bomb_is_refused() {
    let content = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Bomb">
<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="16384"><text:p>1</text:p></table:table-cell></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"#;
    assert_eq!(limit_of(&refused(&opendocument(content), &ReaderOptions::default())), "maxCells");
}

#[test]
fn a_password_protected_workbook_is_named_as_such() {
    // An encrypted OOXML workbook is an OLE compound file holding these two streams.
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    file.create_stream("EncryptionInfo").unwrap().write_all(&[4, 0, 4, 0, 0x40, 0, 0, 0]).unwrap();
    file.create_stream("EncryptedPackage").unwrap().write_all(&[0; 64]).unwrap();
    let bytes = file.into_inner().into_inner();
    let error = refused(&bytes, &ReaderOptions::default());
    assert_eq!(error, FileError::PasswordProtected);
    assert!(error.to_string().contains("password"));
}

#[test]
fn charts_only_empty_and_foreign_archives_get_their_own_errors() {
    let mut book = Workbook::new();
    book.add_worksheet();
    let empty = book.save_to_buffer().unwrap();
    assert_eq!(refused(&empty, &ReaderOptions::default()), FileError::EmptySheet);
    let allowed = ReaderOptions { allow_empty: true, ..ReaderOptions::default() };
    assert_eq!(read_with(&empty, &allowed).unwrap().rows.len(), 0);

    let mut book = Workbook::new();
    book.add_worksheet().write(0, 0, "only a header").unwrap();
    let header_only = book.save_to_buffer().unwrap();
    assert_eq!(refused(&header_only, &ReaderOptions::default()).code(), "no_data_rows");

    let docx = zip_of(&[("word/document.xml".to_owned(), b"<w:document/>".to_vec())]);
    assert_eq!(refused(&docx, &ReaderOptions::default()).code(), "binary_file");

    let damaged = &contacts()[..2_000];
    assert_eq!(refused(damaged, &ReaderOptions::default()).code(), "unreadable_workbook");
}

#[test]
fn the_first_sheet_with_values_is_read_when_none_is_chosen() {
    let mut book = Workbook::new();
    book.add_worksheet().set_name("Cover").unwrap();
    let data = book.add_worksheet().set_name("Data").unwrap();
    data.write(0, 0, "n").unwrap().write(1, 0, 1).unwrap();
    let out = read(&book.save_to_buffer().unwrap());
    assert_eq!(out.layout.unwrap().workbook.unwrap().sheet, "Data");
    assert_eq!(out.rows, strings(&[&["1"]]));
}

#[test]
fn reading_hostile_workbooks_keeps_memory_bounded() {
    // Every refusal above happens before the bomb's memory is taken: read them all here, and
    // the process's peak stays far below what any of them would have cost (gigabytes).
    a_zip_bomb_is_refused_before_it_is_inflated();
    a_declared_dimension_bomb_is_refused_before_anything_is_allocated();
    a_cell_far_out_is_refused_by_the_column_limit();
    an_opendocument_repeat_bomb_is_refused();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak_kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    eprintln!("peak resident memory: {} MiB", peak_kib / 1024);
    assert!(peak_kib < 1 << 20, "peak resident memory {peak_kib} KiB");
}

#[test]
fn a_date_cell_is_midnight_in_a_datetime_column_and_a_time_of_day_is_not_a_date() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "at").unwrap().write(0, 1, "day").unwrap();
    let midnight = ExcelDateTime::from_ymd(2024, 3, 5).unwrap().and_hms(0, 0, 0).unwrap();
    let afternoon = ExcelDateTime::from_ymd(2024, 3, 5).unwrap().and_hms(14, 30, 0).unwrap();
    sheet.write_datetime_with_format(1, 0, &midnight, &date_format("yyyy-mm-dd hh:mm")).unwrap();
    sheet.write_datetime_with_format(1, 1, &afternoon, &date_format("yyyy-mm-dd hh:mm")).unwrap();
    let schema = Schema::from_json(
        r#"{"version": 1, "columns": [{"key": "at", "type": "datetime"}, {"key": "day", "type": "date"}]}"#,
    )
    .unwrap();
    let mut import = Import::new(&schema, ImportOptions::default()).unwrap();
    import.feed(&book.save_to_buffer().unwrap()).unwrap();
    let report = import.finish().unwrap().report;
    let errors: Vec<(&str, Option<&str>)> =
        report.errors.iter().map(|e| (e.code, e.cell.as_deref())).collect();
    assert_eq!(errors, [("invalid_date", Some("Sheet1!B2"))]);
}

#[test]
fn a_preview_reads_a_workbook_no_further_than_its_rows() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "n").unwrap();
    for i in 1..=1_000u32 {
        sheet.write(i, 0, i).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let options = ReaderOptions { stop_after_rows: Some(3), ..ReaderOptions::default() };
    let out = read_with(&bytes, &options).unwrap();
    assert_eq!(out.rows, strings(&[&["1"], &["2"], &["3"]]));
    let csv = read_with(b"n\n1\n2\n3\n4\n5\n", &options).unwrap();
    assert_eq!(csv.rows, out.rows);
}

#[test]
fn an_excel_97_workbook_reads_like_the_others() {
    // Written by xlwt (Debian's python3-xlwt, which `make setup` installs): there is no BIFF8
    // writer in Rust.
    let dir = std::env::temp_dir().join(format!("sluice-xls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("people.xls");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sheets/make_xls.py");
    let status = std::process::Command::new("/usr/bin/python3").arg(script).arg(&path).status();
    assert!(status.is_ok_and(|s| s.success()), "make_xls.py failed: is python3-xlwt installed (make setup)?");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let out = read(&bytes);
    let layout = out.layout.unwrap();
    assert_eq!(layout.format, sluice_parser::reader::Format::Xls);
    assert_eq!(layout.workbook.unwrap().sheets.len(), 2);
    assert_eq!(layout.header.names, ["Name", "Zip", "Joined", "Score", "Active"]);
    assert_eq!(
        out.rows,
        strings(&[
            &["Zoë", "01234", "2024-03-05", "0.3", "true"],
            &["Bob", "00077", "", "42", ""],
            &["Merged Co", "", "", "", ""],
        ])
    );
    assert_eq!(out.cells, ["People!A2", "People!A3", "People!A4"]);
    let options = ReaderOptions { sheet: Some("Notes".to_owned()), ..ReaderOptions::default() };
    assert_eq!(read_with(&bytes, &options).unwrap().rows, strings(&[&["first"]]));
}

#[test]
fn a_preview_of_no_rows_still_knows_the_file_has_data() {
    let mut book = Workbook::new();
    book.add_worksheet().write(0, 0, "n").unwrap().write(1, 0, 1).unwrap();
    let options = ReaderOptions { stop_after_rows: Some(0), ..ReaderOptions::default() };
    let workbook = read_with(&book.save_to_buffer().unwrap(), &options).unwrap();
    assert_eq!((workbook.rows.len(), workbook.layout.unwrap().header.names), (0, vec!["n".to_owned()]));
    let csv = read_with(b"n\n1\n", &options).unwrap();
    assert_eq!((csv.rows.len(), csv.layout.unwrap().header.names), (0, vec!["n".to_owned()]));
}

/// Reads `bytes` through any row source, in chunks.
fn through<R: RowSource>(source: &mut R, bytes: &[u8]) -> Got {
    let mut out = Got::default();
    for chunk in bytes.chunks(1000) {
        source.feed(chunk, &mut out).unwrap();
    }
    source.finish(&mut out).unwrap();
    out
}

#[test]
fn the_csv_reader_and_the_workbook_reader_are_both_row_sources_giving_the_same_rows() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [["id", "name"], ["1", "Ann"], ["2", "Bob"]].iter().enumerate() {
        for (c, value) in row.iter().enumerate() {
            sheet.write(r as u32, c as u16, *value).unwrap();
        }
    }
    let options = ReaderOptions::default();
    let workbook = through(&mut WorkbookReader::new(&options).unwrap(), &book.save_to_buffer().unwrap());
    let csv = through(&mut Reader::new(&options).unwrap(), b"id,name\n1,Ann\n2,Bob\n");
    assert_eq!(workbook.rows, csv.rows);
    assert_eq!(workbook.layout.unwrap().header.names, csv.layout.unwrap().header.names);
    assert_eq!((workbook.cells[1].as_str(), csv.cells[1].as_str()), ("Sheet1!A3", ""));
    let mut limited = options.clone();
    limited.limits.sheets.max_workbook_bytes = 100;
    let mut reader = WorkbookReader::new(&limited).unwrap();
    let error = reader.feed(&[0; 101], &mut Got::default()).unwrap_err();
    assert_eq!(
        error,
        ReadError::File(FileError::WorkbookLimit { limit: "maxWorkbookBytes", max: 100, found: 101 })
    );
    assert_eq!(reader.finish(&mut Got::default()).unwrap_err(), error);
}

#[test]
fn chart_sheets_have_no_rows_and_a_workbook_of_charts_only_says_so() {
    use rust_xlsxwriter::{Chart, ChartType};
    let mut book = Workbook::new();
    let data = book.add_worksheet().set_name("Data").unwrap();
    data.write(0, 0, "n").unwrap().write(1, 0, 1).unwrap().write(2, 0, 2).unwrap();
    let mut chart = Chart::new(ChartType::Column);
    chart.add_series().set_values("Data!$A$2:$A$3");
    book.add_chartsheet().set_name("Chart").unwrap().insert_chart(0, 0, &chart).unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let infos = sluice_parser::sheets::sheets(&bytes, &Limits::default()).unwrap();
    let kinds: Vec<(&str, sluice_parser::reader::SheetKind)> =
        infos.iter().map(|s| (s.name.as_str(), s.kind)).collect();
    use sluice_parser::reader::SheetKind::{Chart as ChartSheet, Worksheet};
    assert_eq!(kinds, [("Data", Worksheet), ("Chart", ChartSheet)]);
    let chosen = ReaderOptions { sheet: Some("Chart".to_owned()), ..ReaderOptions::default() };
    assert_eq!(refused(&bytes, &chosen), FileError::EmptySheet);

    // The data sheet hidden: it is still read. Taken out of the workbook: only a chart is left.
    let hidden = edited(&bytes, "xl/workbook.xml", |xml| {
        xml.replace("<sheet name=\"Data\"", "<sheet state=\"hidden\" name=\"Data\"")
    });
    assert_eq!(read(&hidden).rows, strings(&[&["1"], &["2"]]));
    let charts_only = edited(&bytes, "xl/workbook.xml", |xml| {
        let start = xml.find("<sheet name=\"Data\"").unwrap();
        let end = start + xml[start..].find("/>").unwrap() + 2;
        format!("{}{}", &xml[..start], &xml[end..])
    });
    let error = refused(&charts_only, &ReaderOptions::default());
    assert_eq!(error, FileError::NoWorksheets);
    assert!(error.to_string().contains("only charts"), "{error}");
}
