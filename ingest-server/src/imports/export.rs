//! Reading an import's stored rows back: every batch opened under the import's data key and
//! unpacked, in order (for completion's second pass and for the operator's `sluice export`).

use super::{ImportError, Imports, Internal};
use crate::crypto::{DataKey, Item};
use serde_json::{Map, Value};
use sluice_parser::batch::{Batch, ColumnKind};

impl Imports {
    /// The plaintext of stored batch `sequence` of import `id`.
    pub(super) fn open_stored(
        &self,
        data: &DataKey,
        id: &str,
        sequence: u64,
    ) -> Result<Vec<u8>, ImportError> {
        let sealed = self
            .store
            .sealed_batch(id, sequence)?
            .ok_or_else(|| Internal::SealedMissing { import: id.to_owned(), item: Item::Batch(sequence) })?;
        let packed = data.open(id, Item::Batch(sequence), &sealed).map_err(|_| {
            Internal::SealedDoesNotOpen { import: id.to_owned(), item: Item::Batch(sequence) }
        })?;
        let unreadable =
            |problem| Internal::Unreadable { import: id.to_owned(), item: Item::Batch(sequence), problem };
        Ok(super::unpack(&packed).map_err(unreadable)?)
    }

    /// Hands every stored row of import `id` to `each`, in row order, as a JSON object:
    /// `{"row": n, "invalid": bool, "cells": {key: value|null}, "kept": {header: value|null}}`.
    /// Returns the number of rows. An unknown import, or one whose rows are not readable
    /// (deleted, expired, passed through), is an error.
    pub fn export(
        &self,
        id: &str,
        mut each: impl FnMut(Value) -> std::io::Result<()>,
    ) -> Result<u64, ImportError> {
        self.readable(id)?;
        let data = self.keys(id)?.data;
        let mut rows = 0;
        for meta in self.store.batches(id)? {
            let plaintext = self.open_stored(&data, id, meta.sequence)?;
            let batch = decode_stored(id, meta.sequence, &plaintext)?;
            for row in batch.rows() {
                each(row_json(&batch, row.number, row.invalid, &row.cells, &row.extras))
                    .map_err(|source| Internal::Write { import: id.to_owned(), source })?;
                rows += 1;
            }
        }
        Ok(rows)
    }
}

/// Stored batch `sequence` of import `id`, decoded from its opened `plaintext`.
pub(super) fn decode_stored<'a>(
    id: &str,
    sequence: u64,
    plaintext: &'a [u8],
) -> Result<Batch<'a>, ImportError> {
    Batch::decode(plaintext).map_err(|e| {
        let item = Item::Batch(sequence);
        Internal::Unreadable { import: id.to_owned(), item, problem: e.to_string() }.into()
    })
}

fn row_json(
    batch: &Batch<'_>,
    number: u64,
    invalid: bool,
    cells: &[Option<&str>],
    extras: &[Option<&str>],
) -> Value {
    let mut schema = Map::new();
    let mut kept = Map::new();
    for (column, cell) in batch.columns.iter().zip(cells) {
        let value = cell.map_or(Value::Null, |c| Value::String(c.to_owned()));
        match column.kind {
            ColumnKind::Schema => schema.insert(column.name.clone(), value),
            _ => kept.insert(column.name.clone(), value),
        };
    }
    let extras: Vec<Value> =
        extras.iter().map(|c| c.map_or(Value::Null, |c| Value::String(c.to_owned()))).collect();
    let mut out = Map::new();
    out.insert("row".into(), number.into());
    out.insert("invalid".into(), invalid.into());
    out.insert("cells".into(), Value::Object(schema));
    out.insert("kept".into(), Value::Object(kept));
    if !extras.is_empty() {
        out.insert("extras".into(), Value::Array(extras));
    }
    Value::Object(out)
}
