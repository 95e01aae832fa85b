//! Random bytes through the whole pipeline (read, match, check, batch) with a schema of every
//! type: no panic, and every batch it writes decodes with its rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_parser::batch::Batch;
use sluice_parser::import::{Import, ImportOptions};
use sluice_parser::schema::Schema;
use std::sync::OnceLock;

const SCHEMA: &str = r#"{"version": 1, "columns": [
    {"key": "id", "type": "integer", "unique": true, "min": 0},
    {"key": "name", "type": "text", "required": true, "max_length": 20},
    {"key": "email", "type": "email", "unique": true},
    {"key": "amount", "type": "number", "decimal_separator": ",", "thousands_separator": "."},
    {"key": "ok", "type": "boolean", "default": "yes"},
    {"key": "day", "type": "date", "formats": ["%d/%m/%Y", "%Y-%m-%d"]},
    {"key": "at", "type": "datetime"},
    {"key": "t", "type": "time"},
    {"key": "site", "type": "url"},
    {"key": "uid", "type": "uuid"},
    {"key": "plan", "type": "enum", "values": ["free", {"value": "pro", "label": "Pro"}]},
    {"key": "code", "type": "regex", "pattern": "[A-Z]{2}[0-9]+"}
]}"#;

fuzz_target!(|data: &[u8]| {
    static SCHEMA_ONCE: OnceLock<Schema> = OnceLock::new();
    let schema = SCHEMA_ONCE.get_or_init(|| Schema::from_json(SCHEMA).expect("the fuzz schema is valid"));
    let options = ImportOptions { include_invalid: data.first().is_some_and(|b| b & 1 == 1), ..ImportOptions::default() };
    let mut import = Import::new(schema, options).expect("default options are valid");
    let mut batches = Vec::new();
    for chunk in data.chunks(7) {
        if import.feed(chunk).is_err() {
            return;
        }
        batches.extend(std::iter::from_fn(|| import.next_batch()));
    }
    let Ok(summary) = import.finish() else { return };
    batches.extend(std::iter::from_fn(|| import.next_batch()));
    let mut rows = 0u64;
    for bytes in &batches {
        let batch = Batch::decode(bytes).expect("a written batch decodes");
        rows += batch.rows().count() as u64;
    }
    assert_eq!(rows, summary.batched_rows);
});
