//! The JavaScript glue (wasm32 only): each export takes its options as JSON text, calls the
//! core, and returns JSON text, which the package's JavaScript parses (one serde format for both
//! directions keeps the module small). Misuse is a JavaScript `Error` with a sentence, never a
//! panic. The TypeScript types are in `npm/index.d.ts`.
// wasm-bindgen exports are reached from JavaScript, not from Rust.
#![allow(unreachable_pub)]

mod text_decoder;

use crate::batch::{Batch, BatchHeader, BatchRow, json};
use crate::error::FileError;
use crate::grid::{GridOptions, GridReader};
use crate::import::{Import, ImportError, ImportOptions};
use crate::matching::{MatchOptions, match_schema, match_with_values};
use crate::preview::{DEFAULT_PREVIEW_ROWS, preview};
use crate::reader::ReaderOptions;
use crate::schema::Schema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::prelude::*;

/// Runs when the module is instantiated: non-UTF-8 input is decoded by the host's TextDecoder.
#[wasm_bindgen(start)]
pub fn start() {
    crate::decode::set_host_decoders(text_decoder::make);
}

/// The crate's version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// A streaming parser for one file: `feed` it chunks, take its batches, then `finish` it.
#[wasm_bindgen]
pub struct Parser {
    import: Import,
    /// The batch taken by `peekBatch`, readable in memory at `batchPtr` until the next peek.
    current: Vec<u8>,
}

#[wasm_bindgen]
impl Parser {
    /// `options` (JSON): `{ schema, reader, mapping, patches, validate, batches,
    /// includeInvalid, rowIndexEvery }`, the schema as an object or as JSON text.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &str) -> Result<Parser, JsError> {
        let (schema, options): (Schema, ImportOptions) = schema_and(options)?;
        Ok(Parser { import: Import::new(&schema, options).map_err(error)?, current: Vec::new() })
    }

    /// Reads the next chunk; returns the progress so far (JSON).
    pub fn feed(&mut self, chunk: &[u8]) -> Result<String, JsValue> {
        self.import.feed(chunk).map_err(import_error)?;
        Ok(to_json(&self.import.progress())?)
    }

    /// Ends the file; returns the summary: layout, mapping, counts, report, row index (JSON).
    pub fn finish(&mut self) -> Result<String, JsValue> {
        let summary = self.import.finish().map_err(import_error)?;
        Ok(to_json(&summary)?)
    }

    /// The next completed batch, or `undefined`.
    #[wasm_bindgen(js_name = nextBatch)]
    pub fn next_batch(&mut self) -> Option<Vec<u8>> {
        self.import.next_batch()
    }

    /// Takes the next completed batch and returns its length (0: none); its bytes are in the
    /// module's memory at `batchPtr()` until the next call, for the caller to copy into a buffer
    /// of its own (so buffers can be reused rather than allocated for every batch).
    #[wasm_bindgen(js_name = peekBatch)]
    pub fn peek_batch(&mut self) -> usize {
        self.current = self.import.next_batch().unwrap_or_default();
        self.current.len()
    }

    /// Where the batch taken by `peekBatch` is in the module's memory.
    #[wasm_bindgen(js_name = batchPtr)]
    pub fn batch_ptr(&self) -> usize {
        self.current.as_ptr() as usize
    }

    /// The header of the batch taken by `peekBatch` (JSON, as `batchInfo`), read where it is.
    #[wasm_bindgen(js_name = batchHeader)]
    pub fn batch_header(&self) -> Result<String, JsError> {
        batch_info(&self.current)
    }

    /// How the file is read, once its first kilobytes have been fed (JSON; `null` before).
    pub fn layout(&self) -> Result<String, JsError> {
        to_json(&self.import.layout())
    }

    /// The progress so far (JSON).
    pub fn progress(&self) -> Result<String, JsError> {
        to_json(&self.import.progress())
    }
}

/// Reads rows `[from, to)` of a file again from a row index start, for a review grid.
#[wasm_bindgen]
pub struct RowReader(GridReader);

#[wasm_bindgen]
impl RowReader {
    /// `options` (JSON): `{ schema, layout, start, from, to, reader, mapping, patches }`, where
    /// `layout` and `start` come from a full pass's summary and row index.
    #[wasm_bindgen(constructor)]
    pub fn new(options: &str) -> Result<RowReader, JsError> {
        let (schema, options): (Schema, GridOptions) = schema_and(options)?;
        Ok(RowReader(GridReader::new(schema, options).map_err(error)?))
    }

    /// Reads the next chunk of the slice.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), JsValue> {
        self.0.feed(chunk).map_err(import_error)
    }

    /// Whether every row up to `to` has been read (the rest of the slice is not needed).
    pub fn done(&self) -> bool {
        self.0.done()
    }

    /// Ends the slice; returns the rows in range (JSON).
    pub fn finish(&mut self) -> Result<String, JsValue> {
        Ok(to_json(&self.0.finish().map_err(import_error)?)?)
    }
}

/// The encoding, dialect and header of a file's first bytes, and its first rows as a preview
/// (JSON). `options` (JSON) are reader options (`encoding`, `delimiter`, `header`,
/// `allowEmpty`, …) and `previewRows`.
#[wasm_bindgen]
pub fn sniff(bytes: &[u8], options: &str) -> Result<String, JsValue> {
    let (rows, reader): (Option<Value>, ReaderOptions) = take(options, "previewRows")?;
    let rows = rows
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| error(format!("invalid previewRows: {e}")))?;
    let found = preview(bytes, &reader, rows.unwrap_or(DEFAULT_PREVIEW_ROWS)).map_err(import_error)?;
    Ok(to_json(&found)?)
}

/// The sheets of a workbook (JSON): `[{ name, kind, visible, rows, columns }]`, for a sheet
/// picker. `options` (JSON) are `{ limits }`. Only in the spreadsheet module.
#[cfg(feature = "spreadsheets")]
#[wasm_bindgen(js_name = listSheets)]
pub fn list_sheets(bytes: &[u8], options: &str) -> Result<String, JsValue> {
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct SheetOptions {
        limits: crate::limits::Limits,
    }
    let options: SheetOptions = from_json(options)?;
    let sheets = crate::sheets::sheets(bytes, &options.limits).map_err(|e| file_error(&e))?;
    Ok(to_json(&sheets)?)
}

/// Suggestions matching a file's header names to a schema's columns (JSON); `schema` is JSON;
/// `samples`, when given, is JSON sample rows (`string[][]`) whose values weigh each suggestion.
#[wasm_bindgen(js_name = matchColumns)]
pub fn match_columns_js(
    headers: Vec<String>,
    schema: &str,
    samples: Option<String>,
) -> Result<String, JsError> {
    let schema = Schema::from_json(schema).map_err(error)?;
    let names: Vec<&str> = headers.iter().map(String::as_str).collect();
    let options = MatchOptions::default();
    let found = match samples {
        Some(rows) => {
            let rows: Vec<Vec<String>> = serde_json::from_str(&rows).map_err(|e| {
                error(format!("matchColumns: samples must be an array of rows of strings ({e})"))
            })?;
            match_with_values(&names, &schema, &rows, &options)
        }
        None => match_schema(&names, &schema, &options),
    };
    to_json(&found)
}

/// Checks a schema (JSON); returns `{ schema, digest }` with the canonical form (JSON).
#[wasm_bindgen(js_name = checkSchema)]
pub fn check_schema(schema: &str) -> Result<String, JsError> {
    #[derive(Serialize)]
    struct Checked {
        schema: Schema,
        digest: String,
    }
    let schema = Schema::from_json(schema).map_err(error)?;
    let digest = schema.digest_hex();
    to_json(&Checked { schema, digest })
}

/// The importer's template to fill in: CSV text, the header in `options.language` (JSON:
/// `{ language, bom }`) and one example row.
#[wasm_bindgen(js_name = templateCsv)]
pub fn template_csv(schema: &str, options: &str) -> Result<String, JsError> {
    let schema = Schema::from_json(schema).map_err(error)?;
    Ok(crate::template::template_csv(&schema, &options_from(options)?))
}

/// Reads a batch's header without its rows (JSON): `{ schemaDigest, sequence, firstRow,
/// rowCount, columns, headerLength }`; a batch cut short or not a batch is an `Error` naming
/// the byte.
#[wasm_bindgen(js_name = batchInfo)]
pub fn batch_info(bytes: &[u8]) -> Result<String, JsError> {
    to_json(&BatchHeader::read(bytes).map_err(error)?)
}

/// Decodes a batch into `{ header, rows }` (JSON), `header` as `batchInfo` gives it.
#[wasm_bindgen(js_name = decodeBatch)]
pub fn decode_batch(bytes: &[u8]) -> Result<String, JsError> {
    #[derive(Serialize)]
    struct Decoded<'a> {
        header: BatchHeader,
        rows: Vec<BatchRow<'a>>,
    }
    let rows = Batch::decode(bytes).map_err(error)?.rows().collect();
    to_json(&Decoded { header: BatchHeader::read(bytes).map_err(error)?, rows })
}

/// A batch's rows as JSON text in the webhook's row shape (`[{ row, invalid, data, kept }]`).
#[wasm_bindgen(js_name = batchRowsJson)]
pub fn batch_rows_json(bytes: &[u8]) -> Result<String, JsError> {
    json::rows_json(bytes).map_err(error)
}

/// Each row's number and a digest of its values, flattened: `[row, digest, …]`.
#[wasm_bindgen(js_name = batchRowDigests)]
pub fn batch_row_digests(bytes: &[u8]) -> Result<Vec<f64>, JsError> {
    json::row_digests(bytes).map_err(error)
}

/// Options with a `schema` beside the others: an object, or its JSON text.
fn schema_and<T: DeserializeOwned>(options: &str) -> Result<(Schema, T), JsError> {
    let (schema, rest) = take(options, "schema")?;
    let schema = match schema {
        Some(Value::String(text)) => Schema::from_json(&text),
        Some(object @ Value::Object(_)) => Schema::from_json(&object.to_string()),
        _ => {
            return Err(JsError::new(
                "options.schema is missing: give the schema as an object or as JSON text",
            ));
        }
    };
    Ok((schema.map_err(error)?, rest))
}

/// Options (JSON, empty for none), read through a `Value` as `take` reads them.
fn options_from<T: DeserializeOwned>(options: &str) -> Result<T, JsError> {
    let text = if options.trim().is_empty() { "{}" } else { options };
    let invalid = |e: serde_json::Error| JsError::new(&format!("invalid options: {e}"));
    serde_json::from_value(serde_json::from_str(text).map_err(invalid)?).map_err(invalid)
}

/// Options (JSON, empty for none) with the field `key` taken out of them: it, and the rest.
/// Every options type is read from a `Value` so that the module carries one deserialiser each.
fn take<T: DeserializeOwned>(options: &str, key: &str) -> Result<(Option<Value>, T), JsError> {
    let text = if options.trim().is_empty() { "{}" } else { options };
    let invalid = |e: serde_json::Error| JsError::new(&format!("invalid options: {e}"));
    let mut options: Value = serde_json::from_str(text).map_err(invalid)?;
    let field = options.as_object_mut().and_then(|o| o.remove(key));
    Ok((field, serde_json::from_value(options).map_err(invalid)?))
}

#[cfg(feature = "spreadsheets")]
fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, JsError> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    serde_json::from_str(text).map_err(|e| JsError::new(&format!("invalid options: {e}")))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, JsError> {
    serde_json::to_string(value).map_err(error)
}

fn error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// An import's or a reader's error; a refused file's carries its details (see `file_error`).
fn import_error(e: impl Into<ImportError>) -> JsValue {
    match e.into() {
        ImportError::File(e) => file_error(&e),
        e => error(e).into(),
    }
}

/// A JavaScript `Error` for a refused file, with the fields of its JSON form (`code`, and
/// `kind`, `line`, `byte`, `limit` when it has them) set on it.
fn file_error(e: &FileError) -> JsValue {
    let js = js_sys::Error::new(&e.to_string());
    if let Ok(details) = serde_json::to_string(e).map(|json| js_sys::JSON::parse(&json))
        && let Ok(details) = details
    {
        js_sys::Object::assign(&js, &details.unchecked_into());
    }
    js.into()
}
