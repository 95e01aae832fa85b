//! Regressions from issue 12 ("fail closed, never lose data"), each named after what it proves
//! and read whole, byte by byte and in random splits with identical results.

use crate::support::{cuttings, read};
use sluice_parser::binary::BinaryKind;
use sluice_parser::error::{FileError, ReadError};
use sluice_parser::position::Position;
use sluice_parser::reader::{FileLayout, HeaderChoice, Reader, ReaderOptions, Row, Sink};
use sluice_parser::record::Problem;

/// What a reader produced, for checks on its parts.
#[derive(Default)]
struct Collect {
    layout: Option<FileLayout>,
    rows: Vec<(Vec<String>, Vec<&'static str>)>,
}

impl Sink for Collect {
    fn layout(&mut self, layout: &FileLayout) {
        self.layout = Some(layout.clone());
    }

    fn row(&mut self, row: &Row<'_>) {
        let fields = row.fields().map(str::to_owned).collect();
        self.rows.push((fields, row.problems().iter().map(Problem::code).collect()));
    }
}

/// Reads `input` every way of cutting it, checks that each gives the same rendering, and
/// returns what reading it whole gave.
fn read_every_way(input: &[u8], options: &ReaderOptions) -> Collect {
    let whole = read(input, options, &[]);
    for (how, cuts) in cuttings(input.len()) {
        assert_eq!(read(input, options, &cuts), whole, "read {how}");
    }
    let mut reader = Reader::new(options).unwrap();
    let mut out = Collect::default();
    reader.feed(input, &mut out).unwrap();
    reader.finish(&mut out).unwrap();
    out
}

/// Reads `input` every way of cutting it, checks that each refuses it the same way, and returns
/// why.
fn refusal(input: &[u8], options: &ReaderOptions) -> FileError {
    let whole = read(input, options, &[]);
    for (how, cuts) in cuttings(input.len()) {
        assert_eq!(read(input, options, &cuts), whole, "read {how}");
    }
    let mut reader = Reader::new(options).unwrap();
    let fed = reader.feed(input, &mut Collect::default());
    match fed.and_then(|()| reader.finish(&mut Collect::default()).map(drop)) {
        Err(ReadError::File(e)) => e,
        other => panic!("not refused: {other:?}"),
    }
}

fn names(out: &Collect) -> &[String] {
    &out.layout.as_ref().unwrap().header.names
}

#[test]
fn a_header_wider_than_1024_columns_stays_the_header() {
    let header: Vec<String> = (1..=1100).map(|i| format!("c{i}")).collect();
    let row: Vec<String> = (1..=1100).map(|i| i.to_string()).collect();
    let input = format!("{}\n{}\n{}\n", header.join(","), row.join(","), row.join(","));
    let out = read_every_way(input.as_bytes(), &ReaderOptions::default());
    assert_eq!(names(&out), header);
    assert_eq!(out.layout.as_ref().unwrap().header.record, Some(1));
    assert_eq!(out.rows.len(), 2);
    assert!(out.rows.iter().all(|(fields, problems)| fields.len() == 1100 && problems.is_empty()));
}

#[test]
fn a_comment_line_in_a_cr_only_file_ends_at_its_cr() {
    let options = ReaderOptions { comment: Some(b'#'), ..ReaderOptions::default() };
    let out = read_every_way(b"id,name\r1,Ann\r#note\r2,Bob\r", &options);
    assert_eq!(names(&out), ["id", "name"]);
    let rows: Vec<&[String]> = out.rows.iter().map(|(fields, _)| fields.as_slice()).collect();
    assert_eq!(rows, [["1", "Ann"], ["2", "Bob"]]);
    let crlf = read_every_way(b"id,name\r\n1,Ann\r\n#note\r\n2,Bob\r\n", &options);
    assert_eq!(crlf.rows, out.rows);
}

#[test]
fn a_last_record_without_a_line_ending_counts_when_sniffing() {
    let options = ReaderOptions { header: HeaderChoice::None, ..ReaderOptions::default() };
    let out = read_every_way(b"a;b;c", &options);
    let layout = out.layout.as_ref().unwrap();
    assert_eq!((layout.dialect.delimiter, layout.sniffed.field_count), (b';', 3));
    assert!(layout.sniffed.confidence.delimiter > 0.0);
    assert_eq!(out.rows, [(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()], vec![])]);
    let two = read_every_way(b"id;name\n1;Ann", &ReaderOptions::default());
    let sniffed = &two.layout.as_ref().unwrap().sniffed;
    assert_eq!(sniffed.field_count, 2);
    assert_eq!(sniffed.confidence.delimiter, 0.5 + 0.1 * 2.0);
}

#[test]
fn ten_thousand_columns_of_one_name_are_named_apart() {
    let input = format!("{}\n{}\n", vec!["v"; 10_000].join(","), vec!["1"; 10_000].join(","));
    let mut reader = Reader::new(&ReaderOptions::default()).unwrap();
    let mut out = Collect::default();
    reader.feed(input.as_bytes(), &mut out).unwrap();
    reader.finish(&mut out).unwrap();
    let names = names(&out);
    assert_eq!(names.len(), 10_000);
    assert_eq!((names[0].as_str(), names[1].as_str(), names[9_999].as_str()), ("v", "v_2", "v_10000"));
    let distinct: std::collections::HashSet<&String> = names.iter().collect();
    assert_eq!(distinct.len(), 10_000);
}

#[test]
fn a_header_wider_than_the_column_limit_is_refused_naming_the_limit_and_the_line() {
    let input = format!("id,{}\n1,{}\n", vec!["v"; 10_000].join(","), vec!["2"; 10_000].join(","));
    let error = refusal(input.as_bytes(), &ReaderOptions::default());
    let at = Position { byte: 0, line: 1 };
    assert_eq!(error, FileError::TooManyColumns { limit: 10_000, at, header: true });
    assert_eq!(error.code(), "too_many_columns");
    assert!(error.to_string().contains("the header row (line 1, byte 0) has more than 10000 columns"));
}

#[test]
fn an_empty_file_a_bom_alone_and_a_header_alone_are_refused_unless_allowed() {
    let header = Some(Position { byte: 3, line: 1 });
    let cases: [(&[u8], FileError); 4] = [
        (b"", FileError::Empty),
        (b"\xEF\xBB\xBF", FileError::Empty),
        (b"\n\r\n\n", FileError::Empty),
        (b"\xEF\xBB\xBFid,name\r\n\r\n,\n", FileError::NoDataRows { header }),
    ];
    let allowed = ReaderOptions { allow_empty: true, ..ReaderOptions::default() };
    for (input, expected) in cases {
        assert_eq!(refusal(input, &ReaderOptions::default()), expected, "{input:?}");
        assert!(read_every_way(input, &allowed).rows.is_empty());
    }
    assert_eq!(FileError::Empty.code(), "empty_file");
    assert_eq!(FileError::NoDataRows { header }.code(), "no_data_rows");
}

#[test]
fn binary_files_are_refused_before_any_row_naming_their_kind() {
    let noise: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let starts: [(&[u8], BinaryKind, &str); 9] = [
        (
            b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml",
            BinaryKind::Xlsx,
            "an Excel workbook (.xlsx)",
        ),
        (
            b"PK\x03\x04\x14\0\0\0\0\0mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
            BinaryKind::Ods,
            ".ods",
        ),
        (b"PK\x03\x04\x14\0\0\0\x08\0data.csv", BinaryKind::Zip, "a ZIP archive"),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", BinaryKind::Xls, "(.xls)"),
        (b"%PDF-1.7\n", BinaryKind::Pdf, "a PDF document"),
        (b"\x89PNG\r\n\x1A\n", BinaryKind::Png, "a PNG image"),
        (b"\xFF\xD8\xFF\xE0", BinaryKind::Jpeg, "a JPEG image"),
        (b"GIF89a", BinaryKind::Gif, "a GIF image"),
        (b"\x1F\x8B\x08\0", BinaryKind::Gzip, "gzip"),
    ];
    for (start, kind, said) in starts {
        let mut file = start.to_vec();
        file.extend_from_slice(if kind == BinaryKind::Xlsx { b"xl/workbook.xml" } else { b"" });
        file.extend_from_slice(&noise);
        let error = refusal(&file, &ReaderOptions::default());
        // With the spreadsheet reader, a workbook's signature leads to it, and these are no
        // workbooks but their first bytes.
        let workbook = matches!(kind, BinaryKind::Xlsx | BinaryKind::Ods | BinaryKind::Xls);
        if cfg!(feature = "spreadsheets") && workbook {
            assert_eq!(error.code(), "unreadable_workbook", "{kind:?}");
            continue;
        }
        assert_eq!(error, FileError::Binary { kind, at: Position::START }, "{kind:?}");
        assert!(error.to_string().starts_with("this is ") && error.to_string().contains(said), "{error}");
    }
    let text_with_nul = refusal(b"id,name\r\n1,Ann\0\r\n", &ReaderOptions::default());
    let at = Position { byte: 14, line: 2 };
    assert_eq!(text_with_nul, FileError::Binary { kind: BinaryKind::Unknown, at });
}

#[test]
fn utf16_text_is_not_taken_for_binary() {
    let utf16: Vec<u8> = "id,name\r\n1,Ann\r\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let out = read_every_way(&utf16, &ReaderOptions::default());
    assert_eq!(out.rows, [(vec!["1".to_owned(), "Ann".to_owned()], vec![])]);
    let labelled = ReaderOptions { encoding: Some("utf-16le".to_owned()), ..ReaderOptions::default() };
    assert_eq!(read_every_way(&utf16, &labelled).rows, out.rows);
}
