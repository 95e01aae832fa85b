use super::*;
use crate::batch::{BatchColumn, BatchOptions, BatchWriter};
use crate::import::{Import, ImportOptions};
use crate::validate::{Cell, CheckedRow, Values};

const SCHEMA: &str = r#"{"version": 1, "columns": [
    {"key": "id", "type": "integer", "required": true, "unique": true},
    {"key": "day", "type": "date", "formats": ["%d/%m/%Y"]},
    {"key": "amount", "type": "number", "decimal_separator": ",", "min": 0},
    {"key": "ok", "type": "boolean", "true_values": ["oui"], "false_values": ["non"]}
]}"#;

fn schema() -> Schema {
    Schema::from_json(SCHEMA).unwrap()
}

/// The batches an import of `csv` ships.
fn batches(csv: &str, rows_per_batch: u32) -> Vec<Vec<u8>> {
    let options = ImportOptions {
        include_invalid: true,
        batches: BatchOptions { max_rows: rows_per_batch, ..BatchOptions::default() },
        ..ImportOptions::default()
    };
    let mut import = Import::new(&schema(), options).unwrap();
    import.feed(csv.as_bytes()).unwrap();
    import.finish().unwrap();
    std::iter::from_fn(|| import.next_batch()).collect()
}

/// A batch written by hand, as a dishonest client could.
fn forged(rows: &[(u64, &[Option<&str>])], digest: [u8; 32]) -> Vec<u8> {
    let columns =
        ["id", "day", "amount", "ok"].map(|k| BatchColumn { kind: ColumnKind::Schema, name: k.into() });
    let mut writer = BatchWriter::new(digest, columns.to_vec(), BatchOptions::default());
    for (number, cells) in rows {
        let values = Values::from_cells(cells.iter().map(|c| c.map_or(Cell::Null, Cell::Valid)));
        writer.push(&CheckedRow { number: *number, valid: true, values: &values });
    }
    writer.finish();
    writer.next_batch().unwrap()
}

#[test]
fn what_the_browser_ships_passes_again() {
    let csv = "id,day,amount,ok\n1,31/12/2024,\"1,50\",oui\n2,01/01/2025,3,non\n3,bad,x,peut-être\n";
    let mut verifier = Verifier::new(&schema(), 1000);
    let verdicts: Vec<Verdict> =
        batches(csv, 2).iter().map(|b| verifier.check(&Batch::decode(b).unwrap()).unwrap()).collect();
    assert_eq!(verdicts[0].error_count, 0);
    assert_eq!(verdicts[1].invalid_rows, [3]);
    assert_eq!(verdicts[1].flagged_rows, 1);
    let codes: Vec<&str> = verdicts[1].errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, ["invalid_date", "not_a_number", "not_a_boolean"]);
}

#[test]
fn a_dishonest_batch_is_caught_cell_by_cell() {
    let digest = schema().digest();
    let rows: &[(u64, &[Option<&str>])] = &[
        (1, &[Some("1"), Some("2024-12-31"), Some("1.5"), Some("true")]),
        (2, &[None, Some("31/12/2024"), Some("1,5"), Some("oui")]),
        (3, &[Some("1"), Some("2024-02-30"), Some("-1"), Some("TRUE")]),
        (4, &[Some("007"), None, Some("01.5"), None]),
    ];
    let verdict =
        Verifier::new(&schema(), 1000).check(&Batch::decode(&forged(rows, digest)).unwrap()).unwrap();
    let errors: Vec<(u64, &str, &str)> =
        verdict.errors.iter().map(|e| (e.row, e.column.as_str(), e.code)).collect();
    assert_eq!(
        errors,
        [
            (2, "id", "required"),
            (2, "day", "invalid_date"),
            (2, "amount", "wrong_decimal_separator"),
            (2, "ok", "not_a_boolean"),
            (3, "id", "duplicate"),
            (3, "day", "date_does_not_exist"),
            (3, "amount", "below_minimum"),
            (3, "ok", "not_a_boolean"),
            (4, "id", "not_canonical"),
            (4, "amount", "not_canonical"),
        ]
    );
    assert_eq!(verdict.invalid_rows, [2, 3, 4]);
}

#[test]
fn uniqueness_and_order_hold_across_batches() {
    let digest = schema().digest();
    let mut verifier = Verifier::new(&schema(), 1000);
    let first = forged(&[(1, &[Some("1"), None, None, None])], digest);
    let second = forged(&[(2, &[Some("1"), None, None, None])], digest);
    assert_eq!(verifier.check(&Batch::decode(&first).unwrap()).unwrap().error_count, 0);
    assert_eq!(verifier.check(&Batch::decode(&second).unwrap()).unwrap().errors[0].code, "duplicate");
    let again = forged(&[(2, &[Some("3"), None, None, None])], digest);
    assert_eq!(verifier.check(&Batch::decode(&again).unwrap()), Err(VerifyError::RowOrder { row: 2 }));
}

#[test]
fn the_second_pass_checks_only_order_and_uniqueness() {
    let digest = schema().digest();
    let mut verifier = Verifier::new(&schema(), 1000);
    let first = forged(&[(1, &[Some("1"), Some("not a date"), None, None])], digest);
    let second =
        forged(&[(2, &[Some("2"), None, Some("-5"), None]), (3, &[Some("1"), None, None, None])], digest);
    assert_eq!(verifier.check_across(&Batch::decode(&first).unwrap()).unwrap().error_count, 0);
    let verdict = verifier.check_across(&Batch::decode(&second).unwrap()).unwrap();
    let errors: Vec<(u64, &str, &str)> =
        verdict.errors.iter().map(|e| (e.row, e.column.as_str(), e.code)).collect();
    assert_eq!(errors, [(3, "id", "duplicate")]);
    assert_eq!(verifier.check_across(&Batch::decode(&first).unwrap()), Err(VerifyError::RowOrder { row: 1 }));
}

#[test]
fn another_schema_or_other_columns_are_refused() {
    let other = forged(&[(1, &[Some("1"), None, None, None])], [9; 32]);
    let mut verifier = Verifier::new(&schema(), 1000);
    assert_eq!(verifier.check(&Batch::decode(&other).unwrap()), Err(VerifyError::SchemaDigest));
    let mut writer = BatchWriter::new(
        schema().digest(),
        vec![BatchColumn { kind: ColumnKind::Schema, name: "id".into() }],
        BatchOptions::default(),
    );
    let values = Values::from_cells([Cell::Valid("1")]);
    writer.push(&CheckedRow { number: 1, valid: true, values: &values });
    writer.finish();
    let narrow = writer.next_batch().unwrap();
    assert_eq!(verifier.check(&Batch::decode(&narrow).unwrap()), Err(VerifyError::Columns));
}

#[test]
fn a_batch_with_a_nul_in_any_cell_is_refused_as_binary_content() {
    let digest = schema().digest();
    let mut columns: Vec<BatchColumn> = ["id", "day", "amount", "ok"]
        .map(|k| BatchColumn { kind: ColumnKind::Schema, name: k.into() })
        .to_vec();
    columns.push(BatchColumn { kind: ColumnKind::Kept, name: "note".into() });
    let cells = |id: &'static str, note: &'static str| {
        Values::from_cells([Cell::Valid(id), Cell::Null, Cell::Null, Cell::Null, Cell::Valid(note)])
    };
    let mut writer = BatchWriter::new(digest, columns, BatchOptions::default());
    writer.push(&CheckedRow { number: 1, valid: true, values: &cells("1", "fine") });
    writer.push(&CheckedRow { number: 2, valid: true, values: &cells("2", "PNG\u{0}\u{0}") });
    writer.finish();
    let kept = writer.next_batch().unwrap();
    let refused = Verifier::new(&schema(), 1000).check(&Batch::decode(&kept).unwrap());
    let expected = VerifyError::BinaryContent { row: 2, column: "kept column 1".to_owned() };
    assert_eq!(refused, Err(expected.clone()));
    assert!(expected.to_string().contains("row 2, kept column 1") && expected.to_string().contains("U+0000"));
    let in_schema = forged(&[(1, &[Some("1"), None, Some("\u{0}"), None])], digest);
    let refused = Verifier::new(&schema(), 1000).check(&Batch::decode(&in_schema).unwrap());
    assert_eq!(refused, Err(VerifyError::BinaryContent { row: 1, column: "amount".to_owned() }));
}
