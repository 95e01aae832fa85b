//! Regressions from issue 12 ("fail closed, never lose data"), each named after what it proves
//! and read whole, byte by byte and in random splits with identical results.

use crate::support::{cuttings, read};
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
