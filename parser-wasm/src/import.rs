//! The whole pipeline for one file: read, map, fix, check and cut into batches, fed in chunks.

use crate::batch::{BatchColumn, BatchOptions, BatchWriter, ColumnKind};
use crate::error::{ConfigError, FileError, ReadError, UsageError};
use crate::patch::Patches;
use crate::reader::{FileLayout, ReadSummary, Reader, ReaderOptions, Row, RowStart, Sink};
use crate::schema::{Column, Schema};
use crate::validate::{Mapping, MappingSpec, Report, ValidateOptions, Validator};
use serde::{Deserialize, Serialize};

/// Everything an import can be told. The defaults detect the file's shape, match columns
/// automatically, leave unmapped columns out and ship only valid rows.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ImportOptions {
    /// How the file is read.
    pub reader: ReaderOptions,
    /// How file columns map to schema columns.
    pub mapping: MappingSpec,
    /// The user's fixes.
    pub patches: Patches,
    /// Error and uniqueness limits.
    pub validate: ValidateOptions,
    /// Where batches are cut.
    pub batches: BatchOptions,
    /// Build batches at all (true); a pass that only reports (a review step) can skip them.
    pub batching: bool,
    /// Ship rows with errors too (marked as such), as an importer allowing invalid rows does.
    pub include_invalid: bool,
    /// Record where every N-th row starts, so a grid can read any rows again later (256;
    /// 0 records nothing).
    pub row_index_every: u32,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            reader: ReaderOptions::default(),
            mapping: MappingSpec::default(),
            patches: Patches::default(),
            validate: ValidateOptions::default(),
            batches: BatchOptions::default(),
            batching: true,
            include_invalid: false,
            row_index_every: 256,
        }
    }
}

/// Where rows start, every `every` rows, and which rows have errors: enough to read any rows of
/// a file again ([`Reader::resume`]) without holding the file, and to list only rows with errors.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowIndex {
    /// Rows between two recorded starts.
    pub every: u32,
    /// The starts of rows 1, 1 + every, 1 + 2 × every, …
    pub starts: Vec<RowStart>,
    /// Bit `(r - 1) % 32` of word `(r - 1) / 32` is set when data row `r` has errors (32-bit
    /// words, which JavaScript numbers hold exactly).
    pub invalid: Vec<u32>,
    /// Data rows seen.
    pub rows: u64,
}

impl RowIndex {
    /// The recorded start at or before `row`, from which a reader reaches `row`.
    pub fn start_before(&self, row: u64) -> Option<RowStart> {
        let every = u64::from(self.every.max(1));
        let slot = usize::try_from(row.checked_sub(1)? / every).ok()?;
        self.starts.get(slot).or(self.starts.last()).copied()
    }

    /// The recorded start after the block holding `row`, where a reader of that block may
    /// stop; `None` when the block is the last.
    pub fn start_after(&self, row: u64) -> Option<RowStart> {
        let every = u64::from(self.every.max(1));
        let slot = usize::try_from(row.checked_sub(1)? / every + 1).ok()?;
        self.starts.get(slot).copied()
    }

    /// Whether data row `row` has errors.
    pub fn is_invalid(&self, row: u64) -> bool {
        let Some(bit) = row.checked_sub(1) else { return false };
        let word = self.invalid.get(usize::try_from(bit / 32).unwrap_or(usize::MAX));
        word.is_some_and(|w| w & (1 << (bit % 32)) != 0)
    }

    fn record(&mut self, row: &Row<'_>, valid: bool) {
        let n = row.number();
        self.rows = self.rows.max(n);
        if self.every > 0 && (n - 1) % u64::from(self.every) == 0 {
            let at = row.position();
            self.starts.push(RowStart { row: n, byte: at.byte, line: at.line });
        }
        if !valid {
            let bit = n - 1;
            let word = usize::try_from(bit / 32).unwrap_or(usize::MAX);
            if self.invalid.len() <= word {
                self.invalid.resize(word + 1, 0);
            }
            if let Some(w) = self.invalid.get_mut(word) {
                *w |= 1 << (bit % 32);
            }
        }
    }
}

/// An import in progress.
///
/// ```
/// use sluice_parser::batch::Batch;
/// use sluice_parser::import::{Import, ImportOptions};
/// use sluice_parser::schema::Schema;
///
/// let schema = Schema::from_json(r#"{"version": 1, "columns": [
///     {"key": "email", "type": "email", "required": true},
///     {"key": "age", "type": "integer", "min": 0}]}"#)?;
/// let mut import = Import::new(&schema, ImportOptions::default())?;
/// import.feed(b"E-mail,Age\nann@example.com,31\nbob@,-4\n")?;
/// let summary = import.finish()?;
/// assert_eq!((summary.report.valid_rows, summary.report.invalid_rows), (1, 1));
/// assert_eq!(summary.report.errors[1].code, "below_minimum");
/// let batch = import.next_batch().expect("one batch");
/// let rows: Vec<_> = Batch::decode(&batch)?.rows().collect();
/// assert_eq!(rows[0].cells, [Some("ann@example.com"), Some("31")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Import {
    reader: Reader,
    bytes: u64,
    stage: Stage,
}

/// How far an import is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Bytes fed.
    pub bytes: u64,
    /// Data rows checked.
    pub rows: u64,
    /// Errors found.
    pub errors: u64,
    /// Batches sealed.
    pub batches: u64,
}

/// What an import ended with.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// How the file was read.
    pub layout: FileLayout,
    /// The mapping in force.
    pub mapping: Mapping,
    /// Counts of what was read.
    pub read: ReadSummary,
    /// What validation found.
    pub report: Report,
    /// Batches produced.
    pub batches: u64,
    /// Rows shipped in batches.
    pub batched_rows: u64,
    /// Where rows start and which have errors.
    pub row_index: RowIndex,
}

/// Why an import cannot go on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// An option does not fit the file (such as a mapping naming a column the file lacks).
    Config(ConfigError),
    /// The import was used out of order.
    Usage(UsageError),
    /// The file cannot be imported (empty, no data rows, not text, too wide).
    File(FileError),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::Config(e) => e.fmt(f),
            ImportError::Usage(e) => e.fmt(f),
            ImportError::File(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ImportError {}

impl From<ConfigError> for ImportError {
    fn from(e: ConfigError) -> Self {
        ImportError::Config(e)
    }
}

impl From<UsageError> for ImportError {
    fn from(e: UsageError) -> Self {
        ImportError::Usage(e)
    }
}

impl From<ReadError> for ImportError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Usage(e) => ImportError::Usage(e),
            ReadError::File(e) => ImportError::File(e),
        }
    }
}

/// The part of an import that receives rows from the reader.
struct Stage {
    schema: Schema,
    options: ImportOptions,
    layout: Option<FileLayout>,
    validator: Option<Validator>,
    writer: Option<BatchWriter>,
    batched_rows: u64,
    index: RowIndex,
    error: Option<ConfigError>,
}

impl Import {
    /// Starts an import of one file against `schema`.
    pub fn new(schema: &Schema, options: ImportOptions) -> Result<Import, ConfigError> {
        let keys: Vec<&str> = schema.columns().iter().map(Column::key).collect();
        options.patches.compile(&keys)?;
        let reader = Reader::new(&options.reader)?;
        let index = RowIndex { every: options.row_index_every, ..RowIndex::default() };
        let stage = Stage {
            schema: schema.clone(),
            options,
            layout: None,
            validator: None,
            writer: None,
            batched_rows: 0,
            index,
            error: None,
        };
        Ok(Import { reader, bytes: 0, stage })
    }

    /// Reads the next chunk of the file. Take the batches it completed with
    /// [`next_batch`](Import::next_batch).
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), ImportError> {
        self.stage.check()?;
        self.reader.feed(chunk, &mut self.stage)?;
        self.bytes += chunk.len() as u64;
        self.stage.check()
    }

    /// Ends the file, sealing the last batch.
    pub fn finish(&mut self) -> Result<ImportSummary, ImportError> {
        self.stage.check()?;
        let read = self.reader.finish(&mut self.stage)?;
        self.stage.check()?;
        let stage = &mut self.stage;
        let (Some(layout), Some(validator), Some(writer)) =
            (&stage.layout, &stage.validator, &mut stage.writer)
        else {
            return Err(ImportError::Usage(UsageError::Finished));
        };
        writer.finish();
        Ok(ImportSummary {
            layout: layout.clone(),
            mapping: validator.mapping().clone(),
            read,
            report: validator.report(),
            batches: writer.sealed_count(),
            batched_rows: stage.batched_rows,
            row_index: std::mem::take(&mut stage.index),
        })
    }

    /// How far the import is: bytes read, rows checked, errors found, batches sealed.
    pub fn progress(&self) -> Progress {
        let (rows, errors) = self.stage.validator.as_ref().map_or((0, 0), Validator::counts);
        let batches = self.stage.writer.as_ref().map_or(0, BatchWriter::sealed_count);
        Progress { bytes: self.bytes, rows, errors, batches }
    }

    /// The next completed batch, oldest first.
    pub fn next_batch(&mut self) -> Option<Vec<u8>> {
        self.stage.writer.as_mut().and_then(BatchWriter::next_batch)
    }

    /// How the file is read, once its start has been seen.
    pub fn layout(&self) -> Option<&FileLayout> {
        self.stage.layout.as_ref()
    }

    /// The validation report so far.
    pub fn report(&self) -> Option<Report> {
        self.stage.validator.as_ref().map(Validator::report)
    }
}

impl Stage {
    fn check(&self) -> Result<(), ImportError> {
        self.error.clone().map_or(Ok(()), |e| Err(ImportError::Config(e)))
    }

    fn start(&mut self, layout: &FileLayout) -> Result<(), ConfigError> {
        let o = &mut self.options;
        let patches = std::mem::take(&mut o.patches);
        let validator = Validator::new(&self.schema, &layout.header.names, &o.mapping, patches, o.validate)?;
        let kinds = self.schema.columns().iter().map(|_| ColumnKind::Schema);
        let kinds = kinds.chain(validator.mapping().kept.iter().map(|_| ColumnKind::Kept));
        let columns = kinds.zip(validator.columns()).map(|(kind, name)| BatchColumn { kind, name }).collect();
        self.writer = Some(BatchWriter::new(self.schema.digest(), columns, o.batches));
        self.validator = Some(validator);
        Ok(())
    }
}

impl Sink for Stage {
    fn layout(&mut self, layout: &FileLayout) {
        self.layout = Some(layout.clone());
        if let Err(e) = self.start(layout) {
            self.error = Some(e);
        }
    }

    fn row(&mut self, row: &Row<'_>) {
        let (Some(validator), Some(writer)) = (&mut self.validator, &mut self.writer) else { return };
        let Some(checked) = validator.check(row) else { return };
        self.index.record(row, checked.valid);
        if self.options.batching && (checked.valid || self.options.include_invalid) {
            writer.push(&checked);
            self.batched_rows += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_row_index_finds_any_row_and_the_rows_with_errors() {
        let schema =
            Schema::from_json(r#"{"version": 1, "columns": [{"key": "n", "type": "integer"}]}"#).unwrap();
        let mut csv = String::from("n\n");
        for i in 1..=10 {
            csv.push_str(if i % 4 == 0 { "x\n" } else { "1\n" });
        }
        let options = ImportOptions { row_index_every: 3, ..ImportOptions::default() };
        let mut import = Import::new(&schema, options).unwrap();
        import.feed(csv.as_bytes()).unwrap();
        let index = import.finish().unwrap().row_index;
        let rows: Vec<u64> = index.starts.iter().map(|s| s.row).collect();
        assert_eq!(rows, [1, 4, 7, 10]);
        assert_eq!(index.starts[1], RowStart { row: 4, byte: 8, line: 5 });
        assert_eq!(index.start_before(6).map(|s| s.row), Some(4));
        assert_eq!(index.start_after(6).map(|s| s.row), Some(7));
        assert_eq!(index.start_after(10), None);
        let invalid: Vec<u64> = (1..=10).filter(|&r| index.is_invalid(r)).collect();
        assert_eq!(invalid, [4, 8]);
        assert!(!index.is_invalid(0) && !index.is_invalid(11));
    }
}
