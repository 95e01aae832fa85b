//! What the import domain gives delivery: an import's record, details, mapping and batches,
//! opened under its data key ([`ImportData`]), and retention once a message's delivery ends.
//! The dependency runs from here to `delivery`, never back.

use super::{ImportError, Imports, Internal};
use crate::crypto::{DataKey, Item};
use crate::delivery::{ImportData, ImportView, SourceError};
use crate::store::ImportRecord;
use serde_json::Value;

impl ImportData for Imports {
    fn import(&self, import_id: &str) -> Result<ImportView, SourceError> {
        let record = self.delivered(import_id)?;
        let data = self.keys(import_id)?.data;
        let about = self.about(&data, &record)?;
        Ok(ImportView { record, about })
    }

    fn mapping(&self, import_id: &str) -> Result<Value, SourceError> {
        let data = self.keys(import_id)?.data;
        let Some(sealed) = self.store.mapping(import_id)? else { return Ok(Value::Null) };
        let corrupt = || SourceError::Corrupt { import_id: import_id.to_owned(), item: "mapping".into() };
        let plain = data.open(import_id, Item::Mapping, &sealed).map_err(|_| corrupt())?;
        serde_json::from_slice(&plain).map_err(|_| corrupt())
    }

    fn batch(&self, import_id: &str, sequence: u64) -> Result<Vec<u8>, SourceError> {
        let data = self.keys(import_id)?.data;
        Ok(self.open_stored(&data, import_id, sequence)?)
    }

    fn delivery_ended(&self, import_id: &str, now: i64) {
        self.after_delivery(import_id, now);
    }
}

impl Imports {
    /// The import whose messages are being delivered, while its data is kept.
    fn delivered(&self, id: &str) -> Result<ImportRecord, SourceError> {
        let record = self.store.import(id)?.ok_or(SourceError::Gone)?;
        if record.data_deleted_at.is_some() {
            return Err(SourceError::Gone);
        }
        Ok(record)
    }

    /// The import's file, user and attributes, opened.
    pub(super) fn about(&self, data: &DataKey, record: &ImportRecord) -> Result<Value, ImportError> {
        let sealed = self.store.metadata(&record.id)?.ok_or(ImportError::Rejected)?;
        let plain = data
            .open(&record.id, Item::Metadata, &sealed)
            .map_err(|_| Internal::SealedDoesNotOpen { import: record.id.clone(), item: Item::Metadata })?;
        let unreadable = |e| Internal::Unreadable {
            import: record.id.clone(),
            item: Item::Metadata,
            problem: super::internal::json_problem(&e),
        };
        Ok(serde_json::from_slice(&plain).map_err(unreadable)?)
    }
}

impl From<ImportError> for SourceError {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Rejected | ImportError::Gone(_) => SourceError::Gone,
            ImportError::Unavailable(detail) => SourceError::Unavailable(detail),
            ImportError::StorageFull => SourceError::Unavailable("the data folder's volume is full".into()),
            other => SourceError::Internal(other.to_string()),
        }
    }
}

impl From<crate::store::StoreError> for SourceError {
    fn from(e: crate::store::StoreError) -> Self {
        ImportError::from(e).into()
    }
}
