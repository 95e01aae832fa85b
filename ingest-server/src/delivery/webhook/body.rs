//! The bodies of webhook messages, built from the sealed batches at each attempt (the same bytes
//! every time): `import.rows` with a chunk of rows, `import.completed` with counts, times and the
//! column mapping. Both carry the import's file, user and attributes (see `docs/webhooks.md`).

use crate::delivery::rows::{rfc3339, write_row};
use crate::delivery::source::{ImportReader, ImportView, SourceError};
use crate::store::{ImportRecord, Message, MessageKind};
use serde_json::{Value, json};

/// The body of `message`.
pub(super) fn body(message: &Message, reader: &mut ImportReader) -> Result<Vec<u8>, SourceError> {
    let ImportView { record, about } = reader.import(&message.import_id)?;
    let timestamp = rfc3339(record.completed_at.unwrap_or(record.created_at));
    match message.kind {
        MessageKind::Completed => {
            let mapping = reader.mapping(&message.import_id)?;
            let data = completed(&record, message, about, mapping);
            let body = json!({ "type": "import.completed", "timestamp": timestamp, "data": data });
            serde_json::to_vec(&body).map_err(|e| SourceError::Internal(e.to_string()))
        }
        MessageKind::Rows => rows_body(&record, message, &about, &timestamp, reader),
    }
}

/// `import.rows`, written directly: the rows are most of the bytes.
fn rows_body(
    record: &ImportRecord,
    message: &Message,
    about: &Value,
    timestamp: &str,
    reader: &mut ImportReader,
) -> Result<Vec<u8>, SourceError> {
    let mut rows = Vec::with_capacity(message.row_count as usize * 128);
    let (first, last) = reader.rows(message, |batch, row| {
        if !rows.is_empty() {
            rows.push(b',');
        }
        write_row(&mut rows, batch, row.number, row.invalid, (&row.cells, &row.extras), false);
    })?;
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
    let mut head = serde_json::to_vec(&head).map_err(|e| SourceError::Internal(e.to_string()))?;
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
