//! Hostile workbooks through the spreadsheet reader: the first byte picks what the rest is —
//! a whole file, a worksheet's XML or the shared strings inside a valid xlsx, or the content of
//! a valid OpenDocument file — and the reader must refuse or read it without a panic, with every
//! row no wider than the column limit.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_parser::limits::Limits;
use sluice_parser::reader::{FileLayout, Reader, ReaderOptions, Row, RowSource, Sink};
use std::io::{Cursor, Write};

#[derive(Default)]
struct Rows {
    rows: usize,
    workbook: bool,
}

impl Sink for Rows {
    fn layout(&mut self, layout: &FileLayout) {
        assert!(layout.header.names.len() <= Limits::default().max_columns);
        self.workbook = layout.format.is_workbook();
    }

    fn row(&mut self, row: &Row<'_>) {
        assert!(row.len() <= Limits::default().max_columns);
        // A workbook's fields each name their cell; a text file's none.
        assert!((0..row.len()).all(|i| row.cell(i).is_some() == self.workbook));
        self.rows += 1;
    }
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2"><v>1</v></c></row></sheetData></worksheet>"#;
const STRINGS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>n</t></si></sst>"#;

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in parts {
        writer.start_file(*name, stored).expect("a zip entry starts");
        writer.write_all(data).expect("a zip entry is written");
    }
    writer.finish().expect("the zip is finished").into_inner()
}

fn xlsx(sheet: &[u8], strings: &[u8]) -> Vec<u8> {
    zip_of(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
        ("xl/sharedStrings.xml", strings),
    ])
}

fn ods(content: &[u8]) -> Vec<u8> {
    zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", content)])
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let file = match mode % 4 {
        0 => rest.to_vec(),
        1 => xlsx(rest, STRINGS.as_bytes()),
        2 => xlsx(SHEET.as_bytes(), rest),
        _ => ods(rest),
    };
    let mut options = ReaderOptions::default();
    // Small limits, so that the fuzzer finds their edges rather than running out of memory.
    options.limits.sheets.max_cells = 100_000;
    options.limits.sheets.max_rows = 10_000;
    let mut reader = Reader::new(&options).expect("default options are valid");
    let mut rows = Rows::default();
    for chunk in file.chunks(4096) {
        if reader.feed(chunk, &mut rows).is_err() {
            return;
        }
    }
    if let Ok(summary) = RowSource::finish(&mut reader, &mut rows) {
        assert!(rows.rows as u64 <= summary.rows);
    }
    let _ = sluice_parser::sheets::sheets(&file, &options.limits);
});
