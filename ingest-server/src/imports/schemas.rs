//! Each import's schema: the importer's, or the importer's with the columns the host page added
//! at run time (`dynamicColumns`), fixed when the import starts and kept with it (column
//! definitions only). Parsed schemas of open imports are kept in memory.

use super::{ImportError, ImporterRuntime, Imports, Internal};
use crate::store::ImportRecord;
use sluice_parser::schema::Schema;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The most columns a host page may add to an import.
pub const MAX_DYNAMIC_COLUMNS: usize = 64;

/// Parsed import schemas by import id, bounded like the key cache.
pub(super) struct SchemaCache {
    schemas: Mutex<HashMap<String, Arc<Schema>>>,
    limit: usize,
}

impl SchemaCache {
    pub(super) fn new(limit: usize) -> Self {
        SchemaCache { schemas: Mutex::new(HashMap::new()), limit }
    }

    fn get(&self, id: &str) -> Option<Arc<Schema>> {
        self.schemas.lock().ok()?.get(id).cloned()
    }

    fn put(&self, id: &str, schema: Arc<Schema>) {
        if let Ok(mut map) = self.schemas.lock() {
            if map.len() >= self.limit {
                map.clear();
            }
            map.insert(id.to_owned(), schema);
        }
    }

    pub(super) fn forget(&self, id: &str) {
        if let Ok(mut map) = self.schemas.lock() {
            map.remove(id);
        }
    }
}

/// The schema an import is checked against.
pub(super) enum ImportSchema<'a> {
    /// The importer's own.
    Importer(&'a Schema),
    /// The importer's with added columns.
    Own(Arc<Schema>),
}

impl std::ops::Deref for ImportSchema<'_> {
    type Target = Schema;

    fn deref(&self) -> &Schema {
        match self {
            ImportSchema::Importer(schema) => schema,
            ImportSchema::Own(schema) => schema,
        }
    }
}

/// The importer's schema with `columns` appended, checked as any schema is; its canonical JSON.
pub(super) fn with_columns(
    importer: &ImporterRuntime,
    columns: &[serde_json::Value],
) -> Result<(Schema, String), ImportError> {
    if columns.len() > MAX_DYNAMIC_COLUMNS {
        return Err(ImportError::BadRequest(format!(
            "dynamicColumns: at most {MAX_DYNAMIC_COLUMNS} columns may be added"
        )));
    }
    let mut json = importer.schema_json.clone();
    let Some(list) = json.get_mut("columns").and_then(serde_json::Value::as_array_mut) else {
        let problem = "its JSON has no list of columns".to_owned();
        return Err(Internal::ImporterSchema { importer: importer.config.key.clone(), problem }.into());
    };
    list.extend(columns.iter().cloned());
    let schema = Schema::from_json(&json.to_string())
        .map_err(|e| ImportError::BadRequest(format!("dynamicColumns: {e}")))?;
    let canonical = schema.to_json();
    Ok((schema, canonical))
}

impl Imports {
    /// The schema import `record` is checked against.
    pub(super) fn schema_of<'a>(
        &self,
        importer: &'a ImporterRuntime,
        record: &ImportRecord,
    ) -> Result<ImportSchema<'a>, ImportError> {
        let Some(json) = &record.schema else { return Ok(ImportSchema::Importer(importer.schema())) };
        if let Some(schema) = self.schemas.get(&record.id) {
            return Ok(ImportSchema::Own(schema));
        }
        let schema = Arc::new(
            Schema::from_json(json)
                .map_err(|e| Internal::StoredSchema { import: record.id.clone(), problem: e.to_string() })?,
        );
        self.schemas.put(&record.id, Arc::clone(&schema));
        Ok(ImportSchema::Own(schema))
    }
}
