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

    /// Every type of check, valid and invalid values in many spellings, fixes, kept columns and
    /// extra fields: the batches and the report of issue 15's faster checks are byte for byte
    /// those of the code before it (the digest was taken there).
    #[test]
    fn issue_15_batches_and_report_are_byte_identical_to_before() {
        use sha2::{Digest, Sha256};
        let schema = Schema::from_json(PINNED_SCHEMA).unwrap();
        let patches: Patches = serde_json::from_str(
            r#"{"rules": [{"kind": "replace", "column": "plan", "find": "Gold", "with": "gold"}],
                "delete": [7, 300]}"#,
        )
        .unwrap();
        let mut patches = patches;
        patches.set_value(5, "amount", "1 234,5").set_value(9, "id", "");
        let options = ImportOptions {
            mapping: serde_json::from_str(r#"{"unmapped": "keep"}"#).unwrap(),
            patches,
            include_invalid: true,
            batches: BatchOptions { max_rows: 700, max_bytes: 16 << 10 },
            ..ImportOptions::default()
        };
        let mut import = Import::new(&schema, options).unwrap();
        let file = pinned_file(3000);
        let mut digest = Sha256::new();
        for chunk in file.as_bytes().chunks(4093) {
            import.feed(chunk).unwrap();
            std::iter::from_fn(|| import.next_batch()).for_each(|b| digest.update(&b));
        }
        let summary = import.finish().unwrap();
        std::iter::from_fn(|| import.next_batch()).for_each(|b| digest.update(&b));
        digest.update(serde_json::to_vec(&summary.report).unwrap());
        let hex: String = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            (summary.batches, summary.report.error_count, hex.as_str()),
            (30, 7741, "40829c65a161c041e40ab4dc90764e5a3e6cf812a9fe03c1d8c72eaab5bf1133")
        );
    }

    const PINNED_SCHEMA: &str = r#"{"version": 1, "columns": [
        {"key": "id", "type": "integer", "required": true, "unique": true, "min": 1},
        {"key": "code", "type": "text", "unique": true, "min_length": 2, "max_length": 6},
        {"key": "email", "type": "email", "required": true},
        {"key": "age", "type": "integer", "min": 0, "max": 150, "thousands_separator": ","},
        {"key": "amount", "type": "number", "min": -10.5, "max": 1e6, "decimal_separator": ",", "thousands_separator": " "},
        {"key": "ratio", "type": "number", "min": 0},
        {"key": "day", "type": "date", "formats": ["%Y-%m-%d", "%d/%m/%Y"], "default": "2000-01-01"},
        {"key": "seen", "type": "datetime"},
        {"key": "at", "type": "time"},
        {"key": "plan", "type": "enum", "values": ["free", "pro", {"value": "gold", "label": "Gold plan"}]},
        {"key": "land", "type": "enum", "case_sensitive": true, "values": ["FR", "DE", "GB", "US", "NL", "SE", "ES", "IT", "CA", "JP", "BR", "IN", "PT", "PL", "BE", "CH", "AT", "IE", "DK", "NO"]},
        {"key": "ok", "type": "boolean", "true_values": ["oui", "yes"], "false_values": ["non", "no"]},
        {"key": "site", "type": "url"},
        {"key": "uid", "type": "uuid", "unique": true},
        {"key": "sku", "type": "regex", "pattern": "[A-Z]{3}-[0-9]+", "message": "must be a SKU"},
        {"key": "note", "type": "text", "trim": false, "max_length": 12}
    ]}"#;

    /// A CSV file for [`PINNED_SCHEMA`] with an extra kept column, each cell drawn from valid
    /// and invalid spellings by a fixed generator.
    fn pinned_file(rows: u64) -> String {
        const CELLS: [&[&str]; 17] = [
            &["1", "2", " 3 ", "0", "x", "1.0", "99999999999999999999", "-4", ""],
            &["ab", "abcdef", "a", "abcdefg", "Zoë", "ÄÖ", "", " cd "],
            &["ann@example.com", "Bob@Example.COM", "bob@", "x", "é@exämple.de", "a@b.c", "a@1.23", ""],
            &["31", "1,234", "151", "-1", "12.00", "12.5", "1,23", "", "+7"],
            &["1 234,5", "0,5", "-11", "2000000", "1.5", "1e3", ",5", "abc", "-0,00", "12"],
            &["0.5", "-0.1", "007.50", "1E+03", "0", ".5", "5.", "1e400", "x"],
            &["2024-02-29", "29/02/2023", "31/12/1999", "2024-13-01", "", "yesterday", "2024-1-1"],
            &[
                "2024-12-31T23:59:00",
                "2024-12-31 23:59",
                "2024-12-31T23:59:00.5+02:00",
                "2024-12-31T25:00:00",
                "nope",
            ],
            &["23:59:00", "7:05", "23:59", "25:00", "12:00:00.250", "x"],
            &["free", "PRO", "Gold plan", "gold", "Gold", "premium", "Pro ", "p-r-o"],
            &["FR", "fr", "JP", "XX", "", "NO"],
            &["oui", "NON", "Yes", "true", "maybe", ""],
            &["https://Example.com/a?b", "ftp://x.org", "example.com", "http://", ""],
            &["123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000", "123", ""],
            &["ABC-12", "abc-12", "ABC-", "XYZ-999"],
            &[" spaced ", "", "toolongtoolong", "\"quoted, with comma\"", "\"two\nlines\""],
            &["kept", "", "\"a \"\"quote\"\"\""],
        ];
        let mut text =
            String::from("id,code,email,age,amount,ratio,day,seen,at,plan,land,ok,site,uid,sku,note,kept\n");
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for row in 1..=rows {
            let cells = CELLS.iter().map(|choices| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                choices[(state % choices.len() as u64) as usize]
            });
            let id = row.to_string();
            let mut line: Vec<&str> = cells.collect();
            if row % 3 != 0 {
                line[0] = &id;
            }
            match row % 50 {
                0 => line.push("extra"),
                1 => line.truncate(10),
                _ => {}
            }
            text.push_str(&line.join(","));
            text.push('\n');
        }
        text
    }
}
