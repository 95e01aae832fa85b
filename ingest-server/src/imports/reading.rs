//! What the operator reads of an import (the dashboard, through the admin API): its file, user
//! and attributes, its rows page by page, and the whole import as CSV or JSON, decrypted on
//! demand and never kept. Cells that spreadsheets would run as formulas are neutralised unless
//! the operator turns that off. Pass-through (`never_store`) imports are never readable.

use super::{ImportError, Imports};
use crate::config::Retention;
use crate::delivery::rows::{neutralised, write_row};
use crate::store::ImportRecord;
use serde::Serialize;
use serde_json::{Map, Value};
use sluice_parser::batch::{Batch, ColumnKind};

/// Rows a page holds at most.
pub const MAX_PAGE: u64 = 1000;

/// One page of an import's rows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowsPage {
    /// The columns: schema keys, then kept file headers.
    pub columns: Vec<Value>,
    /// The rows: `{"row", "invalid", "cells": {key: value}, "kept": {header: value}}`.
    pub rows: Vec<Value>,
    /// The index of the first row of the page.
    pub offset: u64,
    /// Rows in the import.
    pub total: u64,
}

/// A download's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated, a header line of keys and kept headers, RFC 4180 quoting.
    Csv,
    /// A JSON array of `{"row", "invalid", "data", "kept"}` objects.
    Json,
}

impl Imports {
    /// The import's file, user and attributes, while its data is kept.
    pub fn about_import(&self, record: &ImportRecord) -> Result<Option<Value>, ImportError> {
        if record.data_deleted_at.is_some() {
            return Ok(None);
        }
        let data = self.keys(&record.id)?.data;
        self.about(&data, record).map(Some)
    }

    /// The import with readable rows: kept, and not pass-through.
    pub(super) fn readable(&self, id: &str) -> Result<ImportRecord, ImportError> {
        let record = self.store.import(id)?.ok_or(ImportError::Rejected)?;
        if let Some(reason) = record.data_deleted_at.and(record.deleted_reason.clone()) {
            return Err(ImportError::Gone(format!("its data was deleted ({reason})")));
        }
        if self.importer(&record.importer).is_ok_and(|i| i.config.retention == Retention::NeverStore) {
            return Err(ImportError::Gone(
                "its importer passes rows through (never_store): they are not kept for reading".into(),
            ));
        }
        Ok(record)
    }

    /// Rows `offset` to `offset + limit` (at most [`MAX_PAGE`]) of import `id`, in order.
    pub fn rows_page(&self, id: &str, offset: u64, limit: u64) -> Result<RowsPage, ImportError> {
        let record = self.readable(id)?;
        let data = self.keys(id)?.data;
        let limit = limit.clamp(1, MAX_PAGE);
        let mut page = RowsPage { columns: Vec::new(), rows: Vec::new(), offset, total: record.rows };
        let mut start = 0u64;
        for meta in self.store.batches(id)? {
            let end = start + u64::from(meta.row_count);
            if end > offset && (page.rows.len() as u64) < limit {
                let plaintext = self.open_stored(&data, id, meta.sequence)?;
                let batch = super::export::decode_stored(id, meta.sequence, &plaintext)?;
                if page.columns.is_empty() {
                    page.columns = columns(&batch);
                }
                let skip = usize::try_from(offset.saturating_sub(start)).unwrap_or(usize::MAX);
                let room = usize::try_from(limit).unwrap_or(usize::MAX) - page.rows.len();
                page.rows.extend(batch.rows().skip(skip).take(room).map(|row| page_row(&batch, &row)));
            }
            start = end;
        }
        Ok(page)
    }

    /// Writes import `id` as `format` to `out`, a piece per stored batch; stops when `out` says
    /// so (the reader went away). Returns the rows written.
    pub fn download(
        &self,
        id: &str,
        format: Format,
        neutralise: bool,
        mut out: impl FnMut(Vec<u8>) -> bool,
    ) -> Result<u64, ImportError> {
        let record = self.readable(id)?;
        let data = self.keys(id)?.data;
        let mut rows = 0u64;
        let mut header_written = format == Format::Json;
        if format == Format::Json && !out(b"[".to_vec()) {
            return Ok(0);
        }
        for meta in self.store.batches(id)? {
            let plaintext = self.open_stored(&data, id, meta.sequence)?;
            let batch = super::export::decode_stored(id, meta.sequence, &plaintext)?;
            let mut piece = Vec::with_capacity(plaintext.len() * 2);
            if !header_written {
                let header: Vec<Option<&str>> = batch.columns.iter().map(|c| Some(c.name.as_str())).collect();
                csv_line(&mut piece, &header, neutralise);
                header_written = true;
            }
            for row in batch.rows() {
                match format {
                    Format::Csv => csv_line(&mut piece, &row.cells, neutralise),
                    Format::Json => {
                        piece.extend_from_slice(if rows == 0 { b"\n" } else { b",\n" });
                        write_row(
                            &mut piece,
                            &batch,
                            row.number,
                            row.invalid,
                            (&row.cells, &row.extras),
                            neutralise,
                        );
                    }
                }
                rows += 1;
            }
            if !out(piece) {
                return Ok(rows);
            }
        }
        if !header_written {
            // No batch: the header of the import's schema alone.
            let importer = self.importer(&record.importer)?;
            let schema = self.schema_of(&importer, &record)?;
            let keys: Vec<Option<&str>> = schema.columns().iter().map(|c| Some(c.key())).collect();
            let mut piece = Vec::new();
            csv_line(&mut piece, &keys, neutralise);
            out(piece);
        }
        if format == Format::Json {
            out(b"\n]\n".to_vec());
        }
        Ok(rows)
    }
}

/// The batch's columns as the page shows them.
fn columns(batch: &Batch<'_>) -> Vec<Value> {
    batch
        .columns
        .iter()
        .map(|c| {
            let kind = if c.kind == ColumnKind::Schema { "schema" } else { "kept" };
            serde_json::json!({ "key": c.name, "kind": kind })
        })
        .collect()
}

fn page_row(batch: &Batch<'_>, row: &sluice_parser::batch::BatchRow<'_>) -> Value {
    let mut cells = Map::new();
    let mut kept = Map::new();
    for (column, cell) in batch.columns.iter().zip(&row.cells) {
        let value = cell.map_or(Value::Null, |c| Value::String(c.to_owned()));
        match column.kind {
            ColumnKind::Schema => cells.insert(column.name.clone(), value),
            _ => kept.insert(column.name.clone(), value),
        };
    }
    serde_json::json!({ "row": row.number, "invalid": row.invalid, "cells": cells, "kept": kept })
}

/// One CSV record: fields quoted when they hold a comma, quote, CR or LF; `None` is empty.
fn csv_line(out: &mut Vec<u8>, cells: &[Option<&str>], neutralise: bool) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let text = neutralised(cell.unwrap_or(""), neutralise);
        if text.contains([',', '"', '\r', '\n']) {
            out.push(b'"');
            out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn csv_fields_are_quoted_when_needed_and_neutralised_on_request() {
        let mut out = Vec::new();
        csv_line(&mut out, &[Some("Ada"), None, Some("a,b"), Some("say \"hi\""), Some("=1+2")], true);
        csv_line(&mut out, &[Some("=1+2"), Some("-\n")], false);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "Ada,,\"a,b\",\"say \"\"hi\"\"\",'=1+2\r\n=1+2,\"-\n\"\r\n"
        );
    }
}
