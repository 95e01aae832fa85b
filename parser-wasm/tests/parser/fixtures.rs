//! The fixture table: every case read whole, byte by byte and in random splits, each time
//! rendering exactly the expected rows, problems and positions.

use crate::support::{cuttings, read, read_rows, read_rows_from};
use sluice_parser::limits::Limits;
use sluice_parser::reader::{HeaderChoice, LongRows, QuoteChoice, ReaderOptions, ShortRows};

struct Fixture {
    name: &'static str,
    input: Vec<u8>,
    options: ReaderOptions,
    expected: &'static str,
}

fn fixture(name: &'static str, input: impl Into<Vec<u8>>, expected: &'static str) -> Fixture {
    let expected = expected.strip_prefix('\n').unwrap_or(expected);
    Fixture { name, input: input.into(), options: ReaderOptions::default(), expected }
}

fn with(mut f: Fixture, change: impl FnOnce(&mut ReaderOptions)) -> Fixture {
    change(&mut f.options);
    f
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let bom: &[u8] = if bom { b"\xFF\xFE" } else { b"" };
    bom.iter().copied().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
}

fn utf16be(text: &str) -> Vec<u8> {
    b"\xFE\xFF".iter().copied().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect()
}

fn windows_1252(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

fn table() -> Vec<Fixture> {
    vec![
        fixture(
            "rfc4180 crlf",
            "a,b,c\r\n1,2,3\r\n4,5,6\r\n",
            r#"
encoding UTF-8 (the first 21 bytes are valid UTF-8)
dialect ',' quote '"' CrLf
header ["a", "b", "c"] (record 1 at line 1, byte 0)
row 1 @2:7 ["1", "2", "3"]
row 2 @3:14 ["4", "5", "6"]
ReadSummary { bytes: 21, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "rfc4180 quoted fields",
            "id,text\r\n1,\"comma, inside\"\r\n2,\"line\r\nbreak\"\r\n3,\"say \"\"hi\"\"\"\r\n4,\"\"\r\n",
            r#"
encoding UTF-8 (the first 67 bytes are valid UTF-8)
dialect ',' quote '"' CrLf
header ["id", "text"] (record 1 at line 1, byte 0)
row 1 @2:9 ["1", "comma, inside"]
row 2 @3:28 ["2", "line\r\nbreak"]
row 3 @5:45 ["3", "say \"hi\""]
row 4 @6:61 ["4", ""]
ReadSummary { bytes: 67, records: 5, rows: 4, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "lf endings and no final newline",
            "name,age\nAnn,31\nBob,42",
            r#"
encoding UTF-8 (the first 22 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["name", "age"] (record 1 at line 1, byte 0)
row 1 @2:9 ["Ann", "31"]
row 2 @3:16 ["Bob", "42"]
ReadSummary { bytes: 22, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "cr endings",
            "name,age\rAnn,31\rBob,42\r",
            r#"
encoding UTF-8 (the first 23 bytes are valid UTF-8)
dialect ',' quote '"' Cr
header ["name", "age"] (record 1 at line 1, byte 0)
row 1 @2:9 ["Ann", "31"]
row 2 @3:16 ["Bob", "42"]
ReadSummary { bytes: 23, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "mixed line endings",
            "name,age\r\nAnn,31\nBob,42\rCy,7\n",
            r#"
encoding UTF-8 (the first 29 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["name", "age"] (record 1 at line 1, byte 0)
row 1 @2:10 ["Ann", "31"]
row 2 @3:17 ["Bob", "42"]
row 3 @4:24 ["Cy", "7"]
ReadSummary { bytes: 29, records: 4, rows: 3, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "blank and empty rows are skipped",
            "\n\nname,age\n\nAnn,31\n,\n  ,  \n\r\nBob,42\n\n",
            r#"
encoding UTF-8 (the first 37 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["name", "age"] (record 1 at line 3, byte 2)
row 1 @5:12 ["Ann", "31"]
row 2 @9:29 ["Bob", "42"]
ReadSummary { bytes: 37, records: 5, rows: 2, preamble: 0, empty_rows: 2 }
"#,
        ),
        fixture(
            "utf-8 bom",
            "\u{FEFF}name,city\nZoë,Malmö\n",
            r#"
encoding UTF-8 (byte order mark)
dialect ',' quote '"' Lf
header ["name", "city"] (record 1 at line 1, byte 3)
row 1 @2:13 ["Zoë", "Malmö"]
ReadSummary { bytes: 25, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "utf-16le bom",
            utf16le("name,city\r\nZoë,Malmö\r\nBjörk,Reykjavík 😀\r\n", true),
            r#"
encoding UTF-16LE (byte order mark)
dialect ',' quote '"' CrLf
header ["name", "city"] (record 1 at line 1, byte 2)
row 1 @2:24 ["Zoë", "Malmö"]
row 2 @3:46 ["Björk", "Reykjavík 😀"]
ReadSummary { bytes: 86, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "utf-16be bom",
            utf16be("name\tcity\nZoë\tMalmö\n"),
            r#"
encoding UTF-16BE (byte order mark)
dialect '\t' quote '"' Lf
header ["name", "city"] (record 1 at line 1, byte 2)
row 1 @2:22 ["Zoë", "Malmö"]
ReadSummary { bytes: 42, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "utf-16le without bom",
            utf16le("name,city\nZoë,Malmö\nAnn,Oslo\n", false),
            r#"
encoding UTF-16LE (NUL bytes in every other position of the first 58 bytes)
dialect ',' quote '"' Lf
header ["name", "city"] (record 1 at line 1, byte 0)
row 1 @2:20 ["Zoë", "Malmö"]
row 2 @3:40 ["Ann", "Oslo"]
ReadSummary { bytes: 58, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "windows-1252 accents and semicolons",
            windows_1252(
                "Nom;Prénom;Ville;Solde\nDupont;François;Besançon;1 234,50\nMüller;Jürgen;Köln;-7,5\n",
            ),
            r#"
encoding windows-1252 (fallback: byte 6 is not valid UTF-8)
dialect ';' quote '"' Lf
header ["Nom", "Prénom", "Ville", "Solde"] (record 1 at line 1, byte 0)
row 1 @2:23 ["Dupont", "François", "Besançon", "1 234,50"]
row 2 @3:57 ["Müller", "Jürgen", "Köln", "-7,5"]
ReadSummary { bytes: 81, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "semicolons with decimal commas",
            "id;amount;note\n1;3,50;a\n2;1.234,00;b, c\n3;0,99;d\n",
            r#"
encoding UTF-8 (the first 49 bytes are valid UTF-8)
dialect ';' quote '"' Lf
header ["id", "amount", "note"] (record 1 at line 1, byte 0)
row 1 @2:15 ["1", "3,50", "a"]
row 2 @3:24 ["2", "1.234,00", "b, c"]
row 3 @4:40 ["3", "0,99", "d"]
ReadSummary { bytes: 49, records: 4, rows: 3, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "tabs",
            "id\tname\n1\tAnn Lee\n2\tBob\n",
            r#"
encoding UTF-8 (the first 24 bytes are valid UTF-8)
dialect '\t' quote '"' Lf
header ["id", "name"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "Ann Lee"]
row 2 @3:18 ["2", "Bob"]
ReadSummary { bytes: 24, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "pipes",
            "id|name|note\n1|Ann|x\n2|Bob|y\n",
            r#"
encoding UTF-8 (the first 29 bytes are valid UTF-8)
dialect '|' quote '"' Lf
header ["id", "name", "note"] (record 1 at line 1, byte 0)
row 1 @2:13 ["1", "Ann", "x"]
row 2 @3:21 ["2", "Bob", "y"]
ReadSummary { bytes: 29, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        fixture(
            "ragged rows are errors by default",
            "a,b,c\n1,2\n1,2,3,4\n1,2,3\n",
            r#"
encoding UTF-8 (the first 24 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["a", "b", "c"] (record 1 at line 1, byte 0)
row 1 @2:6 ["1", "2"] !too_few_fields
row 2 @3:10 ["1", "2", "3", "4"] !too_many_fields
row 3 @4:18 ["1", "2", "3"]
ReadSummary { bytes: 24, records: 4, rows: 3, preamble: 0, empty_rows: 0 }
"#,
        ),
        with(
            fixture(
                "ragged rows padded and kept",
                "a,b,c\n1,2\n1,2,3,4\n",
                r#"
encoding UTF-8 (the first 18 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["a", "b", "c"] (record 1 at line 1, byte 0)
row 1 @2:6 ["1", "2"]
row 2 @3:10 ["1", "2", "3", "4"]
ReadSummary { bytes: 18, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| {
                o.short_rows = ShortRows::Pad;
                o.long_rows = LongRows::Keep;
            },
        ),
        fixture(
            "an unterminated quote",
            "id,note\n1,ok\n2,\"never closed\n3,lost\n",
            r#"
encoding UTF-8 (the first 36 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "note"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "ok"]
row 2 @3:13 ["2", "never closed\n3,lost\n"] !unterminated_quote[1]
ReadSummary { bytes: 36, records: 3, rows: 2, preamble: 0, empty_rows: 0 }
"#,
        ),
        with(
            fixture(
                "an oversized field",
                "id,note\n1,short\n2,this one is far too long\n3,\"quoted and long\n",
                r#"
encoding UTF-8 (the first 62 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "note"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "short"]
row 2 @3:16 ["2", ""] !field_too_large[1]
row 3 @4:43 ["3", ""] !field_too_large[1] !unterminated_quote[1]
ReadSummary { bytes: 62, records: 4, rows: 3, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| {
                o.limits = Limits { max_field_bytes: 10, ..Limits::default() };
            },
        ),
        with(
            fixture(
                "too many columns",
                "a,b\n1,2,3,4,5\n",
                r#"
encoding UTF-8 (the first 14 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["a", "b"] (record 1 at line 1, byte 0)
row 1 @2:4 ["1", "2", "3"] !too_many_columns
ReadSummary { bytes: 14, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| {
                o.limits = Limits { max_columns: 3, ..Limits::default() };
                o.long_rows = LongRows::Keep;
            },
        ),
        fixture(
            "a preamble before the header",
            "Contacts export\nCreated by CRM\nid,name,email\n1,Ann,a@x.io\n2,Bob,b@x.io\n",
            r#"
encoding UTF-8 (the first 71 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "name", "email"] (record 3 at line 3, byte 31)
row 1 @4:45 ["1", "Ann", "a@x.io"]
row 2 @5:58 ["2", "Bob", "b@x.io"]
ReadSummary { bytes: 71, records: 5, rows: 2, preamble: 2, empty_rows: 0 }
"#,
        ),
        with(
            fixture(
                "an explicit header row",
                "x\ny,z\nid,name\n1,Ann\n",
                r#"
encoding UTF-8 (the first 20 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "name"] (record 3 at line 3, byte 6)
row 1 @4:14 ["1", "Ann"]
ReadSummary { bytes: 20, records: 4, rows: 1, preamble: 2, empty_rows: 0 }
"#,
            ),
            |o| o.header = HeaderChoice::Row(3),
        ),
        fixture(
            "no header detected",
            "1,Ann,2024-01-01\n2,Bob,2024-02-02\n3,Cy,2024-03-03\n",
            r#"
encoding UTF-8 (the first 50 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["column_1", "column_2", "column_3"] (generated)
row 1 @1:0 ["1", "Ann", "2024-01-01"]
row 2 @2:17 ["2", "Bob", "2024-02-02"]
row 3 @3:34 ["3", "Cy", "2024-03-03"]
ReadSummary { bytes: 50, records: 3, rows: 3, preamble: 0, empty_rows: 0 }
"#,
        ),
        with(
            fixture(
                "no header chosen",
                "id,name\n1,Ann\n",
                r#"
encoding UTF-8 (the first 14 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["column_1", "column_2"] (generated)
row 1 @1:0 ["id", "name"]
row 2 @2:8 ["1", "Ann"]
ReadSummary { bytes: 14, records: 2, rows: 2, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| o.header = HeaderChoice::None,
        ),
        fixture(
            "blank and repeated header names",
            "id,,name,name, id \n1,2,3,4,5\n",
            r#"
encoding UTF-8 (the first 29 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "column_2", "name", "name_2", "id_2"] (record 1 at line 1, byte 0)
row 1 @2:19 ["1", "2", "3", "4", "5"]
ReadSummary { bytes: 29, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
        ),
        with(
            fixture(
                "an encoding label overrides",
                "name\nZoë\n",
                r#"
encoding windows-1252 (chosen explicitly)
dialect ',' quote '"' Lf
header ["name"] (record 1 at line 1, byte 0)
row 1 @2:5 ["ZoÃ«"]
ReadSummary { bytes: 10, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| o.encoding = Some("latin1".into()),
        ),
        with(
            fixture(
                "invalid utf-8 after the sniff window",
                b"id,name\n1,Ann\n2,Fran\xe7ois\n3,Bob\n".to_vec(),
                r#"
encoding UTF-8 (the first 16 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "name"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "Ann"]
row 2 @3:14 ["2", "Fran�ois"] !invalid_encoding[1]
row 3 @4:25 ["3", "Bob"]
ReadSummary { bytes: 31, records: 4, rows: 3, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| {
                o.sniff_bytes = 16;
            },
        ),
        fixture(
            "single quotes",
            "id,name\n1,'Doe, Jane'\n2,'Roe, Rick'\n3,'Poe, Ed'\n",
            r#"
encoding UTF-8 (the first 48 bytes are valid UTF-8)
dialect ',' quote '\'' Lf
header ["id", "name"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "Doe, Jane"]
row 2 @3:22 ["2", "Roe, Rick"]
row 3 @4:36 ["3", "Poe, Ed"]
ReadSummary { bytes: 48, records: 4, rows: 3, preamble: 0, empty_rows: 0 }
"#,
        ),
        with(
            fixture(
                "comments",
                "# exported\nid,name\n# note\n1,Ann\n",
                r#"
encoding UTF-8 (the first 32 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "name"] (record 1 at line 2, byte 11)
row 1 @4:26 ["1", "Ann"]
ReadSummary { bytes: 32, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| o.comment = Some(b'#'),
        ),
        with(
            fixture(
                "backslash escapes",
                "id,name\n1,\"say \\\"hi\\\"\"\n",
                r#"
encoding UTF-8 (the first 23 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "name"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "say \"hi\""]
ReadSummary { bytes: 23, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| o.escape = Some(b'\\'),
        ),
        with(
            fixture(
                "quotes ignored",
                "id,name\n1,\"Ann\n",
                r#"
encoding UTF-8 (the first 15 bytes are valid UTF-8)
dialect ',' quote none Lf
header ["id", "name"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "\"Ann"]
ReadSummary { bytes: 15, records: 2, rows: 1, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| o.quote = QuoteChoice::None,
        ),
        fixture(
            "empty input",
            "",
            r#"
refused empty_file: the file is empty: it has no header and no rows; choose a file with data
"#,
        ),
        fixture(
            "a byte order mark, blank lines and a blank record",
            "\u{FEFF}\r\n\n , \n\r\n",
            r#"
encoding UTF-8 (byte order mark)
dialect ',' quote '"' Lf
header ["column_1", "column_2"] (record 1 at line 3, byte 6)
refused empty_file: the file is empty: it has no header and no rows; choose a file with data
"#,
        ),
        fixture(
            "header only",
            "id,name\r\n",
            r#"
encoding UTF-8 (the first 9 bytes are valid UTF-8)
dialect ',' quote '"' CrLf
header ["id", "name"] (record 1 at line 1, byte 0)
refused no_data_rows: the file has a header row (line 1, byte 0) but no data rows below it; add rows, or choose another file
"#,
        ),
        with(
            fixture(
                "empty input, allowed",
                "",
                r#"
encoding UTF-8 (the first 0 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header [] (generated)
ReadSummary { bytes: 0, records: 0, rows: 0, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| o.allow_empty = true,
        ),
        with(
            fixture(
                "header only, allowed",
                "id,name\r\n",
                r#"
encoding UTF-8 (the first 9 bytes are valid UTF-8)
dialect ',' quote '"' CrLf
header ["id", "name"] (record 1 at line 1, byte 0)
ReadSummary { bytes: 9, records: 1, rows: 0, preamble: 0, empty_rows: 0 }
"#,
            ),
            |o| o.allow_empty = true,
        ),
        fixture(
            "a PNG image",
            b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1F\xF3\xFFa".to_vec(),
            r#"
refused binary_file: this is a PNG image, not a CSV file; choose a CSV file
"#,
        ),
        fixture(
            "NUL bytes in the first bytes",
            b"id,name\n1,A\0\0\0\n".to_vec(),
            r#"
refused binary_file: the file is not text: it holds a NUL byte (line 2, byte 11), which a CSV file never does; choose a CSV file (a text file saved as UTF-16 or UTF-32 may look like this: save it as UTF-8)
"#,
        ),
        with(
            fixture(
                "a NUL byte after the first bytes",
                b"id,name\n1,Ann\r\n2,\"B\0b\"\n3,Cy\n".to_vec(),
                r#"
encoding UTF-8 (the first 8 bytes are valid UTF-8)
dialect ',' quote '"' Lf
header ["id", "name"] (record 1 at line 1, byte 0)
row 1 @2:8 ["1", "Ann"]
refused binary_file: the file is not text: it holds a NUL byte (line 3, byte 17), which a CSV file never does; choose a CSV file (a text file saved as UTF-16 or UTF-32 may look like this: save it as UTF-8)
"#,
            ),
            |o| o.sniff_bytes = 8,
        ),
        with(
            fixture(
                "a header wider than the column limit",
                "# note\na,b,c,d\n1,2,3,4\n",
                r#"
refused too_many_columns: the header row (line 2, byte 7) has more than 3 columns, the most a file may have; remove columns or split the file
"#,
            ),
            |o| {
                o.comment = Some(b'#');
                o.limits = Limits { max_columns: 3, ..Limits::default() };
            },
        ),
        with(
            fixture(
                "a first row wider than the column limit, without a header",
                "1,2,3,4\n5,6,7,8\n",
                r#"
refused too_many_columns: the first row (line 1, byte 0) has more than 3 columns, the most a file may have; remove columns or split the file
"#,
            ),
            |o| {
                o.header = HeaderChoice::None;
                o.limits = Limits { max_columns: 3, ..Limits::default() };
            },
        ),
    ]
}

#[test]
fn every_fixture_reads_as_expected_however_it_is_cut() {
    let mut failures = Vec::new();
    for f in table() {
        for (how, cuts) in cuttings(f.input.len()) {
            let got = read(&f.input, &f.options, &cuts);
            if got != f.expected {
                failures.push(format!("== {} ({how}) ==\n{got}", f.name));
                break;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_fixture_resumes_at_every_row_with_the_same_rows_and_positions() {
    for f in table() {
        let (layout, rows) = read_rows(&f.input, &f.options);
        let Some(layout) = layout else { continue };
        for (i, (start, _)) in rows.iter().enumerate() {
            let rest = &f.input[start.byte as usize..];
            let resumed = read_rows_from(rest, &layout, &f.options, *start);
            let expected: Vec<String> = rows[i..].iter().map(|(_, line)| line.clone()).collect();
            assert_eq!(resumed, expected, "{} from row {}", f.name, start.row);
        }
    }
}
