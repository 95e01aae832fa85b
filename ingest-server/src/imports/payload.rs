//! The bodies of webhook messages, built from the sealed batches at each attempt (the same bytes
//! every time): `import.rows` with a chunk of rows, `import.completed` with counts, times and the
//! column mapping. Both carry the import's file, user and attributes (see `docs/webhooks.md`).

use super::{ImportError, Imports};
use crate::crypto::{DataKey, Item};
use crate::store::{ImportRecord, Message, MessageKind};
use serde_json::{Value, json};
use sluice_parser::batch::{Batch, ColumnKind};

/// The last batch a worker opened, kept for the next chunk, which usually reads it too.
#[derive(Default)]
pub struct BatchCache {
    last: Option<(String, u64, Vec<u8>)>,
}

impl Imports {
    /// The body of `message`, or `Rejected` when its import's data is gone.
    pub fn message_body(&self, message: &Message, cache: &mut BatchCache) -> Result<Vec<u8>, ImportError> {
        let id = &message.import_id;
        let record = self.store.import(id)?.ok_or(ImportError::Rejected)?;
        if record.data_deleted_at.is_some() {
            return Err(ImportError::Rejected);
        }
        let data = self.keys(id)?.data;
        let about = self.about(&data, &record)?;
        let timestamp = rfc3339(record.completed_at.unwrap_or(record.created_at));
        match message.kind {
            MessageKind::Completed => {
                let mapping = self.open_mapping(&data, id)?;
                let body = json!({ "type": "import.completed", "timestamp": timestamp, "data": completed(&record, message, about, mapping) });
                serde_json::to_vec(&body).map_err(|e| ImportError::Internal(e.to_string()))
            }
            MessageKind::Rows => self.rows_body(&data, &record, message, about, &timestamp, cache),
        }
    }

    /// The import's file, user and attributes, opened.
    pub(super) fn about(&self, data: &DataKey, record: &ImportRecord) -> Result<Value, ImportError> {
        let sealed = self.store.metadata(&record.id)?.ok_or(ImportError::Rejected)?;
        let plain = data
            .open(&record.id, Item::Metadata, &sealed)
            .map_err(|_| ImportError::Internal(format!("the metadata of {} does not open", record.id)))?;
        serde_json::from_slice(&plain).map_err(|e| ImportError::Internal(e.to_string()))
    }

    fn open_mapping(&self, data: &DataKey, id: &str) -> Result<Value, ImportError> {
        let Some(sealed) = self.store.mapping(id)? else { return Ok(Value::Null) };
        let plain = data
            .open(id, Item::Mapping, &sealed)
            .map_err(|_| ImportError::Internal(format!("the mapping of {id} does not open")))?;
        serde_json::from_slice(&plain).map_err(|e| ImportError::Internal(e.to_string()))
    }

    /// `import.rows`, written directly: the rows are most of the bytes.
    fn rows_body(
        &self,
        data: &DataKey,
        record: &ImportRecord,
        message: &Message,
        about: Value,
        timestamp: &str,
        cache: &mut BatchCache,
    ) -> Result<Vec<u8>, ImportError> {
        let mut rows = Vec::with_capacity(message.row_count as usize * 128);
        let (first, last) = self.write_rows(data, message, &mut rows, cache)?;
        let head = json!({
            "importId": record.id,
            "importer": record.importer,
            "chunk": { "index": message.sequence, "count": message.chunks },
            "firstRow": first,
            "lastRow": last,
            "totalRows": record.rows,
            "file": about.get("file"),
            "user": about.get("user"),
            "attributes": about.get("attributes"),
        });
        let mut head = serde_json::to_vec(&head).map_err(|e| ImportError::Internal(e.to_string()))?;
        head.pop(); // the closing brace: the rows go in before it
        let mut body = Vec::with_capacity(rows.len() + head.len() + 80);
        body.extend_from_slice(b"{\"type\":\"import.rows\",\"timestamp\":\"");
        body.extend_from_slice(timestamp.as_bytes());
        body.extend_from_slice(b"\",\"data\":");
        body.extend_from_slice(&head);
        body.extend_from_slice(b",\"rows\":[");
        body.extend_from_slice(&rows);
        body.extend_from_slice(b"]}}");
        Ok(body)
    }

    /// Writes the message's rows as JSON objects separated by commas; returns the first and last
    /// row numbers.
    fn write_rows(
        &self,
        data: &DataKey,
        message: &Message,
        out: &mut Vec<u8>,
        cache: &mut BatchCache,
    ) -> Result<(u64, u64), ImportError> {
        let id = &message.import_id;
        let mut sequence = message.first_batch;
        let mut skip = message.first_offset as usize;
        let mut left = message.row_count as usize;
        let (mut first, mut last) = (None, 0);
        while left > 0 {
            let plaintext = self.cached_batch(data, id, sequence, cache)?;
            let batch = Batch::decode(plaintext).map_err(|e| ImportError::Internal(e.to_string()))?;
            let before = left;
            for row in batch.rows().skip(skip).take(left) {
                if !out.is_empty() {
                    out.push(b',');
                }
                write_row(out, &batch, row.number, row.invalid, (&row.cells, &row.extras), false);
                first.get_or_insert(row.number);
                last = row.number;
                left -= 1;
            }
            if left == before {
                return Err(ImportError::Internal(format!(
                    "batch {sequence} of {id} has fewer rows than planned"
                )));
            }
            sequence += 1;
            skip = 0;
        }
        Ok((first.unwrap_or(0), last))
    }

    fn cached_batch<'c>(
        &self,
        data: &DataKey,
        id: &str,
        sequence: u64,
        cache: &'c mut BatchCache,
    ) -> Result<&'c [u8], ImportError> {
        let hit = matches!(&cache.last, Some((cached, s, _)) if cached == id && *s == sequence);
        if !hit {
            cache.last = Some((id.to_owned(), sequence, self.open_stored(data, id, sequence)?));
        }
        Ok(cache.last.as_ref().map_or(&[][..], |(_, _, plaintext)| plaintext.as_slice()))
    }
}

/// One row: `{"row":n,"invalid":b,"data":{key:value|null},"kept":{header:value|null}}`, with
/// `"extras":[…]` when the row had more fields than the header; values neutralised for
/// spreadsheets if asked (see [`neutralised`]).
pub(super) fn write_row(
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
pub(super) fn neutralised(cell: &str, neutralise: bool) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if neutralise => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The `import.completed` data.
fn completed(record: &ImportRecord, message: &Message, about: Value, mapping: Value) -> Value {
    json!({
        "importId": record.id,
        "importer": record.importer,
        "status": record.status,
        "rows": record.rows,
        "invalidRows": record.invalid_rows,
        "batches": record.batches,
        "chunks": message.chunks,
        "startedAt": rfc3339(record.created_at),
        "completedAt": record.completed_at.map(rfc3339),
        "file": about.get("file"),
        "user": about.get("user"),
        "attributes": about.get("attributes"),
        "mapping": mapping,
    })
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
    use super::{neutralised, rfc3339};

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
