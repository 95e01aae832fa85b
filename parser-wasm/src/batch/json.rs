//! A batch's rows as JSON, one object per row, in the shape every consumer of rows gets them:
//! the webhook's `import.rows`, the S3 destination's JSON lines, the operator's JSON download,
//! and the host page's `onData` and hooks (through the WebAssembly module). One writer, so they
//! cannot drift apart.

use super::{Batch, BatchError, BatchRow, ColumnKind};
use serde_json::Value;
use std::borrow::Cow;

/// One row: `{"row":n,"invalid":b,"data":{key:value|null},"kept":{header:value|null}}`, with
/// `"extras":[…]` when the row had more fields than the header; values neutralised for
/// spreadsheets if asked (see [`neutralised`]).
pub fn write_row(
    out: &mut Vec<u8>,
    batch: &Batch<'_>,
    number: u64,
    invalid: bool,
    (cells, extras): (&[Option<&str>], &[Option<&str>]),
    neutralise: bool,
) {
    out.extend_from_slice(format!("{{\"row\":{number},\"invalid\":{invalid},\"data\":{{").as_bytes());
    let mut kept = Vec::new();
    let mut first = true;
    for (column, cell) in batch.columns.iter().zip(cells) {
        if column.kind != ColumnKind::Schema {
            kept.push((column.name.as_str(), *cell));
            continue;
        }
        if !first {
            out.push(b',');
        }
        first = false;
        write_pair(out, &column.name, *cell, neutralise);
    }
    out.extend_from_slice(b"},\"kept\":{");
    for (i, (name, cell)) in kept.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_pair(out, name, cell, neutralise);
    }
    out.push(b'}');
    if !extras.is_empty() {
        out.extend_from_slice(b",\"extras\":");
        let values: Vec<Value> = extras
            .iter()
            .map(|c| c.map_or(Value::Null, |c| Value::String(neutralised(c, neutralise).into_owned())))
            .collect();
        let _ = serde_json::to_writer(&mut *out, &values);
    }
    out.push(b'}');
}

fn write_pair(out: &mut Vec<u8>, key: &str, value: Option<&str>, neutralise: bool) {
    // Writing to a Vec cannot fail; a string always serialises. Keys of kept columns are the
    // file's own headers, so they are neutralised too.
    let _ = serde_json::to_writer(&mut *out, neutralised(key, neutralise).as_ref());
    out.push(b':');
    match value {
        Some(text) => {
            let _ = serde_json::to_writer(&mut *out, neutralised(text, neutralise).as_ref());
        }
        None => out.extend_from_slice(b"null"),
    }
}

/// A cell made safe to open in a spreadsheet when `neutralise` is true: one that begins with
/// `=`, `+`, `-`, `@`, a tab or a carriage return (which spreadsheets may run as a formula) gets
/// a leading `'`, which they show as text (OWASP's advice against CSV injection).
pub fn neutralised(cell: &str, neutralise: bool) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if neutralise => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Every row of the batch `bytes` as a JSON array of [`write_row`]'s objects.
pub fn rows_json(bytes: &[u8]) -> Result<String, BatchError> {
    let batch = Batch::decode(bytes)?;
    let mut out = Vec::with_capacity(bytes.len() * 2);
    out.push(b'[');
    for (i, row) in batch.rows().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_row(&mut out, &batch, row.number, row.invalid, (&row.cells, &row.extras), false);
    }
    out.push(b']');
    // serde_json writes UTF-8, and the rest is ASCII.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// For each row of the batch `bytes`, its number and a digest of its values (FNV-1a over its
/// cells, 52 bits so that it is exact as a JavaScript number), flattened: `[row, digest, …]`.
/// Two rows with the same values in the same columns have the same digest, so a caller can
/// tell which rows changed since it last saw them.
pub fn row_digests(bytes: &[u8]) -> Result<Vec<f64>, BatchError> {
    let batch = Batch::decode(bytes)?;
    let mut out = Vec::with_capacity(batch.rows().size_hint().0 * 2);
    for row in batch.rows() {
        #[allow(clippy::cast_precision_loss)] // row numbers and 52-bit digests are exact in an f64
        out.extend([row.number as f64, (digest(&row) & ((1 << 52) - 1)) as f64]);
    }
    Ok(out)
}

/// FNV-1a (64 bits) over a row's cells and extras, each preceded by a byte for null or not,
/// and its length.
fn digest(row: &BatchRow<'_>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for byte in bytes {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for cell in row.cells.iter().chain(&row.extras) {
        match cell {
            Some(text) => {
                eat(&[1]);
                eat(&(text.len() as u64).to_le_bytes());
                eat(text.as_bytes());
            }
            None => eat(&[0]),
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_spreadsheets_would_run_are_neutralised_on_request() {
        for cell in ["=1+2", "+44 20", "-3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralised(cell, true), format!("'{cell}"));
            assert_eq!(neutralised(cell, false), cell);
        }
        for cell in ["", "Ada", "1=1", " =1", "'=1"] {
            assert_eq!(neutralised(cell, true), cell);
        }
    }
}
