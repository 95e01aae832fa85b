use super::*;
use crate::import::{Import, ImportOptions, ImportSummary};

const SCHEMA: &str = r#"{"version": 1, "columns": [
    {"key": "id", "type": "integer", "required": true},
    {"key": "email", "type": "email", "required": true},
    {"key": "age", "type": "integer", "min": 0}
]}"#;

/// Ten rows: bad cells in rows 3 (three), 5 (a line break in a quoted email), 6 and 9, a short
/// row 8.
const FILE: &str = "id,email,age\n\
    1,ann@example.com,31\n\
    2,bob@example.com,\n\
    x,carl@,-1\n\
    4,dan@example.com,40\n\
    5,\"eve\n@example.com\",22\n\
    6,fay@example.com,old\n\
    7,gus@example.com,7\n\
    8,hal@example.com\n\
    9,,9\n\
    10,ivy@example.com,10\n";

fn schema() -> Schema {
    Schema::from_json(SCHEMA).unwrap()
}

/// The full pass, recording a row start every `every` rows.
fn full_pass(every: u32) -> ImportSummary {
    let options = ImportOptions { row_index_every: every, ..ImportOptions::default() };
    let mut import = Import::new(&schema(), options).unwrap();
    import.feed(FILE.as_bytes()).unwrap();
    import.finish().unwrap()
}

/// Rows `[from, to)` read as the package does: from the start before `from` to the start after
/// the block holding `to - 1` (or the end), fed in chunks of `chunk` bytes until done.
fn grid(summary: &ImportSummary, from: u64, to: u64, chunk: usize, patches: Patches) -> Vec<GridRow> {
    let index = &summary.row_index;
    let start = index.start_before(from).unwrap();
    let end = index.start_after(to - 1).map_or(FILE.len(), |s| s.byte as usize);
    let options = GridOptions { patches, ..GridOptions::new(summary.layout.clone(), start, from, to) };
    let mut reader = GridReader::new(schema(), options).unwrap();
    for piece in FILE.as_bytes()[start.byte as usize..end].chunks(chunk) {
        if reader.done() {
            break;
        }
        reader.feed(piece).unwrap();
    }
    reader.finish().unwrap()
}

fn numbers(rows: &[GridRow]) -> Vec<u64> {
    rows.iter().map(|r| r.row).collect()
}

#[test]
fn every_block_is_the_same_rows_however_it_is_cut_and_fed() {
    let summary = full_pass(3);
    let whole = grid(&summary, 1, 11, FILE.len(), Patches::default());
    assert_eq!(numbers(&whole), (1..=10).collect::<Vec<_>>());
    for from in 1..=10 {
        for to in from + 1..=11 {
            for chunk in [1, 7, FILE.len()] {
                let rows = grid(&summary, from, to, chunk, Patches::default());
                let expected = &whole[from as usize - 1..to as usize - 1];
                assert_eq!(rows, expected, "rows [{from}, {to}) in chunks of {chunk}");
            }
        }
    }
}

#[test]
fn a_block_past_the_last_row_ends_at_the_file_end() {
    let summary = full_pass(4);
    assert_eq!(numbers(&grid(&summary, 9, 40, 5, Patches::default())), [9, 10]);
}

#[test]
fn each_row_has_the_errors_the_full_pass_found_in_it_and_no_others() {
    let summary = full_pass(2);
    let rows = grid(&summary, 1, 11, 64, Patches::default());
    for row in &rows {
        let found: Vec<&CellError> = summary.report.errors.iter().filter(|e| e.row == row.row).collect();
        let codes =
            |errors: &[&CellError]| errors.iter().map(|e| (e.column.clone(), e.code)).collect::<Vec<_>>();
        assert_eq!(codes(&row.errors.iter().collect::<Vec<_>>()), codes(&found), "row {}", row.row);
        assert_eq!(row.valid, found.is_empty(), "row {}", row.row);
    }
    let invalid: Vec<u64> = rows.iter().filter(|r| !r.valid).map(|r| r.row).collect();
    assert_eq!(invalid, [3, 5, 6, 8, 9]);
    assert_eq!(rows[2].errors.len(), 3);
}

#[test]
fn rows_carry_their_fields_values_and_where_they_start() {
    let summary = full_pass(256);
    let rows = grid(&summary, 4, 7, 3, Patches::default());
    let eve = &rows[1];
    assert_eq!((eve.row, eve.line), (5, 6));
    assert_eq!(eve.byte as usize, FILE.find("5,\"eve").unwrap());
    assert_eq!(eve.fields, ["5", "eve\n@example.com", "22"]);
    assert_eq!(
        rows[0].values,
        [Some("4".to_owned()), Some("dan@example.com".to_owned()), Some("40".to_owned())]
    );
    assert_eq!(rows[2].line, 8);
}

#[test]
fn done_says_when_the_rest_of_the_slice_is_not_needed() {
    let summary = full_pass(256);
    let start = summary.row_index.start_before(1).unwrap();
    let mut reader =
        GridReader::new(schema(), GridOptions::new(summary.layout.clone(), start, 1, 3)).unwrap();
    let (first, second_row_end) = (start.byte as usize, FILE.find("x,carl").unwrap());
    reader.feed(&FILE.as_bytes()[first..second_row_end - 1]).unwrap();
    assert!(!reader.done());
    reader.feed(&FILE.as_bytes()[second_row_end - 1..second_row_end + 2]).unwrap();
    assert!(reader.done());
    assert_eq!(numbers(&reader.finish().unwrap()), [1, 2]);
}

#[test]
fn rows_after_the_block_are_not_read_even_when_fed() {
    let summary = full_pass(256);
    let start = summary.row_index.start_before(1).unwrap();
    let mut options = GridOptions::new(summary.layout.clone(), start, 2, 4);
    // The block's end wins over a caller's stopAfterRows.
    options.reader.stop_after_rows = Some(100);
    let mut reader = GridReader::new(schema(), options).unwrap();
    reader.feed(&FILE.as_bytes()[start.byte as usize..]).unwrap();
    assert_eq!(numbers(&reader.finish().unwrap()), [2, 3]);
}

#[test]
fn fixes_apply_and_a_deleted_row_has_no_values() {
    let summary = full_pass(256);
    let mut patches = Patches::default();
    patches.set_value(3, "id", "3").set_value(3, "email", "carl@example.com").set_value(3, "age", "1");
    patches.delete_row(4);
    let rows = grid(&summary, 3, 5, 16, patches);
    assert!(rows[0].valid && rows[0].errors.is_empty());
    assert_eq!(rows[0].values[1].as_deref(), Some("carl@example.com"));
    assert_eq!(rows[0].fields, ["x", "carl@", "-1"]);
    assert!(rows[1].values.is_empty());
}

#[test]
fn a_mapping_that_does_not_fit_the_header_is_refused_before_reading() {
    let summary = full_pass(256);
    let start = summary.row_index.start_before(1).unwrap();
    let mut options = GridOptions::new(summary.layout.clone(), start, 1, 2);
    options.mapping = serde_json::from_str(r#"{"columns": {"email": "E-mail"}}"#).unwrap();
    let err = GridReader::new(schema(), options).err().unwrap();
    assert_eq!(
        err.to_string(),
        r#"option "mapping.columns": "email" maps from "E-mail", which is not a column of the file"#
    );
    let mut options = GridOptions::new(summary.layout.clone(), start, 1, 2);
    options.patches.set_value(1, "nope", "1");
    let err = GridReader::new(schema(), options).err().unwrap();
    assert_eq!(err.to_string(), r#"option "patches": row 1: "nope" is not a column of the schema"#);
}

#[test]
fn a_chosen_mapping_orders_values_by_the_schema() {
    let summary = full_pass(256);
    let start = summary.row_index.start_before(1).unwrap();
    let mut options = GridOptions::new(summary.layout.clone(), start, 1, 2);
    options.mapping =
        serde_json::from_str(r#"{"columns": {"id": "age", "email": "email", "age": "id"}}"#).unwrap();
    let mut reader = GridReader::new(schema(), options).unwrap();
    reader.feed(&FILE.as_bytes()[start.byte as usize..]).unwrap();
    let rows = reader.finish().unwrap();
    assert_eq!(
        rows[0].values,
        [Some("31".to_owned()), Some("ann@example.com".to_owned()), Some("1".to_owned())]
    );
}

#[test]
fn options_read_from_the_packages_json() {
    let summary = full_pass(256);
    let json = serde_json::json!({
        "layout": summary.layout,
        "start": { "row": 1, "byte": 13, "line": 2 },
        "from": 1,
        "to": 2,
        "patches": { "delete": [1] },
    });
    let options: GridOptions = serde_json::from_value(json).unwrap();
    assert_eq!((options.start.byte, options.from, options.to), (13, 1, 2));
    assert_eq!(options.patches.delete.len(), 1);
}
