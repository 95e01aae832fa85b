//! The rows as every kind writes them: JSON, one object per row (the webhook's `import.rows`,
//! the operator's JSON download, a JSON-lines object: the parser core's writer, which the
//! browser's host page hooks get too), or CSV lines (a CSV object); timestamps as RFC 3339, and
//! the neutralising of cells that spreadsheets would run as formulas.

use sluice_parser::batch::Batch;

pub use sluice_parser::batch::json::{neutralised, write_row};

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
    use super::{rfc3339, write_csv_row};

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
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_614_265_330), "2021-02-25T15:02:10Z");
        assert_eq!(rfc3339(1_795_779_698), "2026-11-27T11:41:38Z");
    }
}
