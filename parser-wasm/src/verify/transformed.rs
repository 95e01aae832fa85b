//! Columns with transforms, from the browser's import to the server's re-check: the server
//! accepts exactly the rows the browser accepted, and holds a value to being its own transform.

use super::*;
use crate::batch::{BatchColumn, BatchOptions, BatchWriter};
use crate::import::{Import, ImportOptions};
use crate::validate::{Cell, CheckedRow, Values};
use proptest::prelude::*;

const SCHEMA: &str = r#"{"version": 1, "columns": [
    {"key": "name", "type": "text", "unique": true, "transform": ["collapse", "title"]},
    {"key": "phone", "type": "regex", "pattern": "[0-9]{6,12}", "transform": ["digits"]},
    {"key": "email", "type": "email", "required": true, "transform": ["lower"]},
    {"key": "born", "type": "text", "transform": [{"date": "%d.%m.%Y", "from": ["%d/%m/%Y", "%b %e %Y"]}]},
    {"key": "code", "type": "text", "max_length": 4, "transform": ["upper"], "default": "none"}
]}"#;

fn schema() -> Schema {
    Schema::from_json(SCHEMA).unwrap()
}

/// The batches an import of `csv` ships, invalid rows included.
fn batches(csv: &str) -> Vec<Vec<u8>> {
    let options = ImportOptions { include_invalid: true, ..ImportOptions::default() };
    let mut import = Import::new(&schema(), options).unwrap();
    import.feed(csv.as_bytes()).unwrap();
    import.finish().unwrap();
    std::iter::from_fn(|| import.next_batch()).collect()
}

/// The rows a batch holds: number, whether the browser flagged it, its schema cells.
fn rows(batch: &[u8]) -> Vec<(u64, bool, Vec<Option<String>>)> {
    let batch = Batch::decode(batch).unwrap();
    let cells = |cells: &[Option<&str>]| cells.iter().map(|c| c.map(str::to_owned)).collect();
    batch.rows().map(|row| (row.number, row.invalid, cells(&row.cells))).collect()
}

/// A batch of one row written by hand, as a client that skipped the transforms would.
fn forged(cells: [Option<&str>; 5]) -> Vec<u8> {
    let keys = ["name", "phone", "email", "born", "code"];
    let columns = keys.map(|k| BatchColumn { kind: ColumnKind::Schema, name: k.into() }).to_vec();
    let mut writer = BatchWriter::new(schema().digest(), columns, BatchOptions::default());
    let values = Values::from_cells(cells.iter().map(|c| c.map_or(Cell::Null, Cell::Valid)));
    writer.push(&CheckedRow { number: 1, valid: true, values: &values });
    writer.finish();
    writer.next_batch().unwrap()
}

fn verdict(batch: &[u8]) -> Verdict {
    Verifier::new(&schema(), 1000).check(&Batch::decode(batch).unwrap()).unwrap()
}

#[test]
fn the_browser_ships_transformed_values_and_the_server_accepts_them() {
    let csv = "name,phone,email,born,code\n\
               \"  jean   DUPONT \",+33 (0)6 12-34-56,Jean@Example.COM,31/12/1999,ab\n\
               ann lee,\"06 12\",ann@example.com,jan  5 2024,\n\
               Ann  Lee,061234567,x@example.com,someday,abcde\n";
    let shipped = batches(csv);
    let rows = rows(&shipped[0]);
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        rows[0],
        (
            1,
            false,
            vec![
                some("Jean Dupont"),
                some("3306123456"),
                some("jean@example.com"),
                some("31.12.1999"),
                some("AB")
            ]
        )
    );
    assert_eq!(rows[1].2[3], some("05.01.2024"));
    assert_eq!(rows[1].2[4], some("NONE"), "a default is transformed and checked as a cell");
    assert!(rows[1].1, "06 12 has too few digits for the pattern");
    let third = &rows[2];
    assert!(third.1);
    assert_eq!(third.2[0], some("Ann Lee"), "a duplicate once transformed");
    assert_eq!(third.2[3], some("someday"), "a date that does not read is kept as written");
    assert_eq!(third.2[4], some("ABCDE"), "a value too long once transformed is kept transformed");
    let verdict = verdict(&shipped[0]);
    assert_eq!(verdict.invalid_rows, [2, 3]);
    let codes: Vec<(u64, &str, &str)> =
        verdict.errors.iter().map(|e| (e.row, e.column.as_str(), e.code)).collect();
    assert_eq!(
        codes,
        [
            (2, "phone", "pattern_mismatch"),
            (3, "name", "duplicate"),
            (3, "born", "invalid_date"),
            (3, "code", "too_long")
        ]
    );
}

#[test]
fn values_that_are_not_their_own_transform_are_refused() {
    let honest =
        [Some("Jean Dupont"), Some("3306123456"), Some("jean@example.com"), Some("31.12.1999"), Some("AB")];
    assert_eq!(verdict(&forged(honest)).error_count, 0);
    let cases: [([Option<&str>; 5], &str, &str); 5] = [
        ([Some("jean  dupont"), None, Some("a@b.co"), None, None], "name", "not_canonical"),
        ([None, Some("+33 6 12 34 56"), Some("a@b.co"), None, None], "phone", "not_canonical"),
        ([None, None, Some("Jean@example.com"), None, None], "email", "not_canonical"),
        ([None, None, Some("a@b.co"), Some("31/12/1999"), None], "born", "not_canonical"),
        ([None, None, Some("a@b.co"), Some("someday"), None], "born", "invalid_date"),
    ];
    for (cells, column, code) in cases {
        let verdict = verdict(&forged(cells));
        let errors: Vec<(&str, &str)> = verdict.errors.iter().map(|e| (e.column.as_str(), e.code)).collect();
        assert_eq!(errors, [(column, code)], "{cells:?}");
    }
}

/// A CSV field: quoted, its quotes doubled.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('"', "\"\""))
}

proptest! {
    #[test]
    fn the_server_accepts_exactly_the_rows_the_browser_accepted(
        rows in prop::collection::vec(
            (
                "[ \\t]{0,2}[a-zA-Zéß' -]{0,10}[ ]{0,2}",
                "[+ ()0-9-]{0,16}",
                "[A-Za-z]{1,3}@[A-Za-z]{1,3}\\.(com|CH)|[a-z@.]{0,6}",
                "(0?[1-9]|[12][0-9]|3[01])/(0?[1-9]|1[0-2])/(19|20)[0-9]{2}|(jan|Feb|MAR) [ 1-3][0-9] 2024|[0-9./]{0,10}",
                "[a-zA-Zß]{0,5}",
            ),
            1..12,
        )
    ) {
        let mut csv = String::from("name,phone,email,born,code\n");
        for (name, phone, email, born, code) in &rows {
            let fields = [name, phone, email, born, code].map(|v| quoted(v));
            csv.push_str(&fields.join(","));
            csv.push('\n');
        }
        let mut verifier = Verifier::new(&schema(), 1000);
        for batch in batches(&csv) {
            let flagged: Vec<u64> = self::rows(&batch).into_iter().filter(|r| r.1).map(|r| r.0).collect();
            let verdict = verifier.check(&Batch::decode(&batch).unwrap()).unwrap();
            prop_assert_eq!(&verdict.invalid_rows, &flagged, "{:?}", verdict.errors);
        }
    }
}
