use super::*;
use crate::validate::{Cell, CheckedRow, Values};

fn columns() -> Vec<BatchColumn> {
    vec![
        BatchColumn { kind: ColumnKind::Schema, name: "id".into() },
        BatchColumn { kind: ColumnKind::Schema, name: "name".into() },
        BatchColumn { kind: ColumnKind::Kept, name: "Notes".into() },
    ]
}

fn row(number: u64, valid: bool, cells: &[Cell<'_>]) -> (u64, bool, Values) {
    (number, valid, Values::from_cells(cells.iter().copied()))
}

fn write(rows: &[(u64, bool, Values)], options: BatchOptions) -> Vec<Vec<u8>> {
    let mut writer = BatchWriter::new([7; 32], columns(), options);
    for (number, valid, values) in rows {
        writer.push(&CheckedRow { number: *number, valid: *valid, values });
    }
    writer.finish();
    std::iter::from_fn(|| writer.next_batch()).collect()
}

fn sample() -> Vec<(u64, bool, Values)> {
    vec![
        row(1, true, &[Cell::Valid("1"), Cell::Valid("Zoë"), Cell::Null]),
        row(2, false, &[Cell::Valid("2"), Cell::Invalid("x"), Cell::Valid("n"), Cell::Valid("extra")]),
        row(5, true, &[Cell::Valid("5"), Cell::Valid(""), Cell::Null]),
    ]
}

#[test]
fn batches_round_trip_with_row_numbers_cells_and_extras() {
    let batches = write(&sample(), BatchOptions::default());
    assert_eq!(batches.len(), 1);
    let batch = Batch::decode(&batches[0]).unwrap();
    assert_eq!((batch.schema_digest, batch.sequence, batch.first_row, batch.row_count), ([7; 32], 0, 1, 3));
    assert_eq!(batch.columns, columns());
    let rows: Vec<BatchRow<'_>> = batch.rows().collect();
    assert_eq!(
        rows,
        vec![
            BatchRow {
                number: 1, invalid: false, cells: vec![Some("1"), Some("Zoë"), None], extras: vec![]
            },
            BatchRow {
                number: 2,
                invalid: true,
                cells: vec![Some("2"), Some("x"), Some("n")],
                extras: vec![Some("extra")]
            },
            BatchRow { number: 5, invalid: false, cells: vec![Some("5"), Some(""), None], extras: vec![] },
        ]
    );
}

#[test]
fn batches_are_cut_by_rows_and_numbered_in_order() {
    let rows: Vec<_> = (1..=7).map(|n| row(n, true, &[Cell::Valid("1"), Cell::Null, Cell::Null])).collect();
    let batches = write(&rows, BatchOptions { max_rows: 3, ..BatchOptions::default() });
    let decoded: Vec<(u64, u64, u32)> = batches
        .iter()
        .map(|b| Batch::decode(b).unwrap())
        .map(|b| (b.sequence, b.first_row, b.row_count))
        .collect();
    assert_eq!(decoded, vec![(0, 1, 3), (1, 4, 3), (2, 7, 1)]);
}

#[test]
fn batches_are_cut_by_bytes_and_a_large_row_stands_alone() {
    let big = "x".repeat(300);
    let rows = vec![
        row(1, true, &[Cell::Valid("a"), Cell::Null, Cell::Null]),
        row(2, true, &[Cell::Valid(&big), Cell::Null, Cell::Null]),
        row(3, true, &[Cell::Valid("b"), Cell::Null, Cell::Null]),
        row(4, true, &[Cell::Valid("c"), Cell::Null, Cell::Null]),
    ];
    let batches = write(&rows, BatchOptions { max_bytes: 120, ..BatchOptions::default() });
    let counts: Vec<u32> = batches.iter().map(|b| Batch::decode(b).unwrap().row_count).collect();
    assert_eq!(counts, vec![1, 1, 2]);
    assert!(batches.iter().enumerate().all(|(i, b)| i == 1 || b.len() <= 120));
}

#[test]
fn every_truncation_is_a_positioned_error() {
    let batch = write(&sample(), BatchOptions::default()).remove(0);
    for len in 0..batch.len() {
        let err = Batch::decode(&batch[..len]).unwrap_err();
        assert!(err.offset <= len, "{len}: {err}");
    }
    let mut longer = batch.clone();
    longer.push(0);
    assert_eq!(Batch::decode(&longer).unwrap_err().reason, "there are bytes after the last row");
}

#[test]
fn corrupt_headers_are_named() {
    let batch = write(&sample(), BatchOptions::default()).remove(0);
    let cases: &[(usize, u8, &str)] = &[
        (0, b'X', "does not start with \"SLCB\""),
        (4, 2, "the format version is not 1"),
        (5, 1, "unknown flags are set"),
    ];
    for &(at, byte, reason) in cases {
        let mut bad = batch.clone();
        bad[at] = byte;
        assert_eq!(Batch::decode(&bad).unwrap_err().reason, reason);
    }
}

#[test]
fn flipped_bits_never_panic() {
    let batch = write(&sample(), BatchOptions::default()).remove(0);
    for i in 0..batch.len() {
        for bit in 0..8 {
            let mut bad = batch.clone();
            bad[i] ^= 1 << bit;
            if let Ok(decoded) = Batch::decode(&bad) {
                assert_eq!(decoded.rows().count(), decoded.row_count as usize);
            }
        }
    }
}

#[test]
fn text_that_is_not_utf8_is_named_at_its_byte_even_split_across_cells() {
    let batch = write(&sample(), BatchOptions::default()).remove(0);
    // Row 1: lengths 1+1, 3+1 ("Zoë" is 4 bytes: +1 gives 5), null; then "1Zoë".
    let row_one: &[u8] = &[2, 5, 0, b'1', b'Z', b'o', 0xC3, 0xAB];
    let at = batch.windows(row_one.len()).position(|w| w == row_one).unwrap();
    let mut broken = batch.clone();
    broken[at + 7] = b'A';
    let err = Batch::decode(&broken).unwrap_err();
    assert_eq!((err.offset, err.reason), (at + 6, "a value is not valid UTF-8"));
    // "1Zo\xC3" and "\xAB": each cell's bytes are not UTF-8 though the row's together are.
    let mut split = batch.clone();
    split[at] = 5;
    split[at + 1] = 2;
    let err = Batch::decode(&split).unwrap_err();
    assert_eq!((err.offset, err.reason), (at + 3, "a value is not valid UTF-8"));
}

#[test]
fn rows_come_out_as_json_in_the_webhooks_row_shape() {
    let batches = write(&sample(), BatchOptions::default());
    let rows: serde_json::Value = serde_json::from_str(&json::rows_json(&batches[0]).unwrap()).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            { "row": 1, "invalid": false, "data": { "id": "1", "name": "Zoë" }, "kept": { "Notes": null } },
            { "row": 2, "invalid": true, "data": { "id": "2", "name": "x" }, "kept": { "Notes": "n" }, "extras": ["extra"] },
            { "row": 5, "invalid": false, "data": { "id": "5", "name": "" }, "kept": { "Notes": null } },
        ])
    );
    assert!(json::rows_json(&batches[0][..10]).is_err(), "a batch cut short");
}

#[test]
fn row_digests_change_with_any_cell_and_only_then() {
    let before = write(&sample(), BatchOptions::default());
    let mut changed = sample();
    changed[1] =
        row(2, false, &[Cell::Valid("2"), Cell::Invalid("y"), Cell::Valid("n"), Cell::Valid("extra")]);
    changed[2] = row(5, true, &[Cell::Valid("5"), Cell::Null, Cell::Null]);
    let after = write(&changed, BatchOptions::default());
    let (a, b) = (json::row_digests(&before[0]).unwrap(), json::row_digests(&after[0]).unwrap());
    assert_eq!((a.len(), a[0], a[2], a[4]), (6, 1.0, 2.0, 5.0));
    assert_eq!(a[1], b[1], "row 1 is the same");
    assert_ne!(a[3], b[3], "row 2 has another cell");
    assert_ne!(a[5], b[5], "row 5's empty text became null");
    assert!(a.iter().all(|d| d.fract() == 0.0 && *d < 2f64.powi(52)));
}
