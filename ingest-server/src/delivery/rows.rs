//! The rows as every kind writes them: JSON, one object per row (the webhook's `import.rows`,
//! the operator's JSON download, a JSON-lines object), or CSV lines (a CSV object); timestamps
//! as RFC 3339, and the neutralising of cells that spreadsheets would run as formulas.

use serde_json::Value;
use sluice_parser::batch::{Batch, ColumnKind};

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

/// The CSV header of `batch`'s rows: `row`, `invalid`, then its columns' names (schema keys,
/// then the kept columns' headers), ending with CRLF.
pub fn write_csv_header(out: &mut Vec<u8>, batch: &Batch<'_>) {
    out.extend_from_slice(b"row,invalid");
    for column in &batch.columns {
        out.push(b',');
        write_csv_field(out, &column.name);
    }
    out.extend_from_slice(b"\r\n");
}

/// One row as a CSV line (RFC 4180, CRLF): its number, `true`/`false`, then its cells in the
/// header's order, an empty cell for none. Fields past the header (`extras`) are not written:
/// a CSV has as many fields on each line as its header.
pub fn write_csv_row(out: &mut Vec<u8>, number: u64, invalid: bool, cells: &[Option<&str>]) {
    out.extend_from_slice(format!("{number},{invalid}").as_bytes());
    for cell in cells {
        out.push(b',');
        write_csv_field(out, cell.unwrap_or_default());
    }
    out.extend_from_slice(b"\r\n");
}

/// A CSV field: in double quotes (doubled inside) when it holds a comma, a quote or a line break.
fn write_csv_field(out: &mut Vec<u8>, field: &str) {
    if !field.contains([',', '"', '\n', '\r']) {
        out.extend_from_slice(field.as_bytes());
        return;
    }
    out.push(b'"');
    out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
    out.push(b'"');
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
pub fn neutralised(cell: &str, neutralise: bool) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if neutralise => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn rfc3339(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let time = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", time / 3600, time % 3600 / 60, time % 60)
}

#[cfg(test)]
mod tests {
    use super::{neutralised, rfc3339, write_csv_row};

    #[test]
    fn csv_fields_are_quoted_only_when_they_hold_a_comma_a_quote_or_a_line_break() {
        let mut out = Vec::new();
        write_csv_row(
            &mut out,
            7,
            false,
            &[Some("plain"), None, Some("a,b"), Some("say \"hi\""), Some("x\ny")],
        );
        assert_eq!(String::from_utf8(out).unwrap(), "7,false,plain,,\"a,b\",\"say \"\"hi\"\"\",\"x\ny\"\r\n");
    }

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

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_614_265_330), "2021-02-25T15:02:10Z");
        assert_eq!(rfc3339(1_795_779_698), "2026-11-27T11:41:38Z");
    }
}
