//! From records to rows: the header, row numbers, skipped rows, ragged rows and text.

use super::options::{LongRows, ShortRows};
use crate::binary::BinaryKind;
use crate::decode::EncodingChoice;
use crate::dialect::Dialect;
use crate::error::FileError;
use crate::position::{CellRef, Position};
use crate::record::{Problem, RawRecord, Text};
use crate::sniff::Sniffed;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Receives what a [`Reader`](super::Reader) reads.
pub trait Sink {
    /// Called once, before the first row (and also for a file without rows that is read all
    /// the same), with how the file is read; never for a file refused before its layout is known.
    fn layout(&mut self, layout: &FileLayout);
    /// Called for every data row, in order.
    fn row(&mut self, row: &Row<'_>);
}

/// How a file is read: its format, its header and, for text, its encoding and dialect; for a
/// workbook, which sheet and what sheets there are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileLayout {
    /// What kind of file it is.
    #[serde(default)]
    pub format: Format,
    /// For a workbook: the sheet read and the sheets it has (`None` for text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workbook: Option<WorkbookLayout>,
    /// The encoding and why (text; UTF-8 for a workbook).
    pub encoding: EncodingChoice,
    /// What sniffing guessed (before the caller's overrides).
    pub sniffed: Sniffed,
    /// The dialect in use (the guess with the caller's overrides).
    pub dialect: Dialect,
    /// The column names.
    pub header: Header,
}

/// The kinds of file rows are read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// Delimited text (CSV, TSV, …), read as a stream.
    #[default]
    Csv,
    /// An Excel workbook (Office Open XML).
    Xlsx,
    /// An Excel workbook with macros (its macros are never run or read).
    Xlsm,
    /// An Excel binary workbook.
    Xlsb,
    /// An Excel 97–2003 workbook (BIFF8).
    Xls,
    /// An OpenDocument spreadsheet.
    Ods,
}

impl Format {
    /// Whether the format is a workbook, read whole rather than streamed.
    pub fn is_workbook(self) -> bool {
        self != Format::Csv
    }
}

/// Which sheet of a workbook rows are read from, and the sheets there are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkbookLayout {
    /// The sheet read.
    pub sheet: String,
    /// Every sheet, in the workbook's order.
    pub sheets: Vec<SheetInfo>,
    /// Whether dates count from 1904 (old Mac workbooks) rather than 1900.
    pub date1904: bool,
}

/// One sheet of a workbook.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SheetInfo {
    /// Its name.
    pub name: String,
    /// `worksheet`, or `chart` for a sheet holding only a chart (which has no rows).
    pub kind: SheetKind,
    /// Whether the workbook shows it (hidden sheets are listed but never preselected).
    pub visible: bool,
    /// Rows holding at least one value, as [`sheets`](crate::sheets::sheets) counts them
    /// (absent in a read's layout, which does not count the sheets it does not read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The widest such row, in columns (counted as `rows` is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<u64>,
}

/// What a sheet holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetKind {
    /// Cells.
    #[default]
    Worksheet,
    /// A chart, a dialog or a macro sheet: nothing to import.
    Chart,
}

/// What a cell of a spreadsheet held, when it was not text. Such a cell's text is in canonical
/// form (`1234.5`, `true`, `2024-03-05`, `2024-03-05T14:30:00`, `14:30:00`), which typed schema
/// columns accept whatever their text formats are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CellKind {
    /// Text, as typed (or any field of a text file).
    #[default]
    Text,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// A date.
    Date,
    /// A date and time.
    DateTime,
    /// A time of day, or a duration.
    Time,
    /// A formula's error (`#N/A`, `#DIV/0!`); the text is empty and the row has a problem.
    Error,
}

impl CellKind {
    /// Whether the text is a value's canonical spelling rather than what the user typed.
    pub fn is_typed(self) -> bool {
        !matches!(self, CellKind::Text | CellKind::Error)
    }
}

/// The column names of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// One name per column, trimmed, never empty and never repeated: a blank name becomes
    /// `column_N` and a repeated one gets the first of `_2`, `_3`, … that no earlier column
    /// has (so `v_2, v, v` is named `v_2, v, v_3`).
    pub names: Vec<String>,
    /// The record number of the header row, or `None` when the names were generated.
    pub record: Option<u64>,
    /// Where the header row starts.
    pub position: Option<Position>,
}

/// One data row, borrowed from the reader for the duration of a [`Sink::row`] call.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    number: u64,
    start: Position,
    text: &'a str,
    spans: &'a [(usize, usize)],
    starts: &'a [Position],
    problems: &'a [Problem],
    /// What each field held, for a spreadsheet's row (empty for text: every field is text).
    kinds: &'a [CellKind],
    /// For a spreadsheet's row: its sheet and the column of its first field.
    sheet: Option<(&'a str, u32)>,
}

impl<'a> Row<'a> {
    /// The data row number: 1 for the first row after the header.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Where the row starts.
    pub fn position(&self) -> Position {
        self.start
    }

    /// The number of fields the row has.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether the row has no fields (never true for a row a reader emits).
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Field `i`, or `None` past the row's end.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let &(start, end) = self.spans.get(i)?;
        self.text.get(start..end)
    }

    /// Where field `i` starts.
    pub fn field_position(&self, i: usize) -> Option<Position> {
        self.starts.get(i).copied()
    }

    /// The fields in order.
    pub fn fields(&self) -> impl Iterator<Item = &'a str> + 'a {
        let text = self.text;
        self.spans.iter().map(move |&(start, end)| text.get(start..end).unwrap_or_default())
    }

    /// Problems with the row's shape or bytes.
    pub fn problems(&self) -> &'a [Problem] {
        self.problems
    }

    /// What field `i` held: always [`CellKind::Text`] for a text file.
    pub fn kind(&self, i: usize) -> CellKind {
        self.kinds.get(i).copied().unwrap_or_default()
    }

    /// The spreadsheet cell of field `i` (`None` for a text file), such as `Sheet1!C12`.
    pub fn cell(&self, i: usize) -> Option<CellRef<'a>> {
        let (sheet, first) = self.sheet?;
        let column = first.checked_add(u32::try_from(i).ok()?)?;
        Some(CellRef { sheet, row: self.start.line, column })
    }

    /// A spreadsheet's row, built by the workbook reader: `start.line` is the sheet's row.
    #[cfg(feature = "spreadsheets")]
    pub(crate) fn from_cells(parts: RowParts<'a>) -> Self {
        Row {
            number: parts.number,
            start: parts.start,
            text: parts.text,
            spans: parts.spans,
            starts: &[],
            problems: parts.problems,
            kinds: parts.kinds,
            sheet: Some((parts.sheet, parts.first_column)),
        }
    }
}

/// What a spreadsheet's row is made of.
#[cfg(feature = "spreadsheets")]
pub(crate) struct RowParts<'a> {
    pub(crate) number: u64,
    pub(crate) start: Position,
    pub(crate) text: &'a str,
    pub(crate) spans: &'a [(usize, usize)],
    pub(crate) problems: &'a [Problem],
    pub(crate) kinds: &'a [CellKind],
    pub(crate) sheet: &'a str,
    pub(crate) first_column: u32,
}

/// Where a row starts: its number, byte offset and line. A reader can start there
/// ([`Reader::resume`](super::Reader::resume)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowStart {
    /// The data row number.
    pub row: u64,
    /// Byte offset in the original file.
    pub byte: u64,
    /// Line number.
    pub line: u64,
}

/// Counts of what was read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadSummary {
    /// Bytes of input.
    pub bytes: u64,
    /// Records, including the header, preamble and skipped rows.
    pub records: u64,
    /// Data rows given to the sink.
    pub rows: u64,
    /// Records before the header row.
    pub preamble: u64,
    /// Rows skipped because every field was empty.
    pub empty_rows: u64,
}

/// Turns records into a layout and rows.
pub(crate) struct Rows {
    header_record: Option<u64>,
    short_rows: ShortRows,
    long_rows: LongRows,
    skip_empty_rows: bool,
    allow_empty: bool,
    max_columns: usize,
    stop_after_rows: Option<u64>,
    /// The layout until it is sent; after that only its header width matters.
    layout: Option<FileLayout>,
    /// The layout's header is the file's own (a resumed read), not to be replaced.
    header_known: bool,
    width: usize,
    summary: ReadSummary,
    /// Records starting before this stream offset may hold U+FFFD put in by the transcoder.
    replaced_until: u64,
    /// Records starting before this stream offset may hold a NUL.
    nul_until: u64,
    /// Where the header row starts, once it is read.
    header_at: Option<Position>,
    /// Whether a record with a field that is not blank has been seen.
    content: bool,
    /// Why the file is refused, once it is: no record is taken after that.
    failure: Option<FileError>,
    lossy: Lossy,
    problems: Vec<Problem>,
}

/// The text of a record whose bytes are not valid UTF-8, repaired.
#[derive(Default)]
struct Lossy {
    text: String,
    spans: Vec<(usize, usize)>,
}

/// The row settings `Rows` needs.
pub(crate) struct RowSettings {
    pub(crate) header_record: Option<u64>,
    pub(crate) short_rows: ShortRows,
    pub(crate) long_rows: LongRows,
    pub(crate) skip_empty_rows: bool,
    /// A file without data rows is read, not refused.
    pub(crate) allow_empty: bool,
    /// The column limit, which the header may not cross.
    pub(crate) max_columns: usize,
    /// No row numbered past this is given.
    pub(crate) stop_after_rows: Option<u64>,
}

impl Rows {
    pub(crate) fn new(layout: FileLayout, settings: RowSettings) -> Self {
        let width = layout.sniffed.field_count;
        Rows {
            header_record: settings.header_record,
            short_rows: settings.short_rows,
            long_rows: settings.long_rows,
            skip_empty_rows: settings.skip_empty_rows,
            allow_empty: settings.allow_empty,
            max_columns: settings.max_columns,
            stop_after_rows: settings.stop_after_rows,
            layout: Some(layout),
            header_known: false,
            width,
            summary: ReadSummary::default(),
            replaced_until: 0,
            nul_until: 0,
            header_at: None,
            content: false,
            failure: None,
            lossy: Lossy::default(),
            problems: Vec::new(),
        }
    }

    /// Rows of a part of a file whose layout is known, numbered from `first_row`. A part may
    /// hold no rows, so it is never refused as empty.
    pub(crate) fn resumed(layout: FileLayout, settings: RowSettings, first_row: u64) -> Self {
        let width = layout.header.names.len();
        let mut rows = Rows::new(layout, RowSettings { allow_empty: true, ..settings });
        rows.header_known = true;
        rows.width = width;
        rows.summary.rows = first_row.saturating_sub(1);
        rows
    }

    /// Notes that the transcoder replaced malformed input before stream offset `until`.
    pub(crate) fn replaced_before(&mut self, until: u64) {
        self.replaced_until = self.replaced_until.max(until);
    }

    /// Notes that the input before stream offset `until` holds a NUL.
    pub(crate) fn nul_before(&mut self, until: u64) {
        self.nul_until = self.nul_until.max(until);
    }

    /// Why the file is refused, if it is.
    pub(crate) fn failure(&self) -> Option<&FileError> {
        self.failure.as_ref()
    }

    /// Takes a record read from `buf`, whose valid UTF-8 prefix is `buf_text`.
    pub(crate) fn record<S: Sink>(&mut self, raw: &RawRecord, buf: &[u8], buf_text: &str, sink: &mut S) {
        if self.failure.is_some() {
            return;
        }
        if raw.stream_start < self.nul_until
            && let Some(at) = nul_field(raw, buf)
        {
            self.failure = Some(FileError::Binary { kind: BinaryKind::Unknown, at });
            return;
        }
        self.content = self.content || !is_blank(raw, buf);
        self.summary.records += 1;
        let number = self.summary.records;
        match self.header_record {
            Some(h) if number < h => self.summary.preamble += 1,
            Some(h) if number == h => self.send_layout(Some((raw, buf)), sink),
            _ => self.data(raw, buf, buf_text, sink),
        }
    }

    /// Ends the input: a file with no rows still gets its layout, unless it is refused for
    /// having none.
    pub(crate) fn finish<S: Sink>(&mut self, bytes: u64, sink: &mut S) -> Result<ReadSummary, FileError> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }
        if !self.allow_empty && !self.content {
            return Err(FileError::Empty);
        }
        self.send_layout(None, sink);
        if !self.allow_empty && self.summary.rows == 0 {
            return Err(FileError::NoDataRows { header: self.header_at });
        }
        self.summary.bytes = bytes;
        Ok(self.summary)
    }

    fn send_layout<S: Sink>(&mut self, header: Option<(&RawRecord, &[u8])>, sink: &mut S) {
        let Some(mut layout) = self.layout.take() else {
            return;
        };
        if self.header_known {
            sink.layout(&layout);
            return;
        }
        if let Some((raw, _)) = header {
            self.header_at = Some(raw.start);
            if let Some(failure) = self.too_wide(raw, true) {
                self.failure = Some(failure);
                return;
            }
        }
        layout.header = match header {
            Some((raw, buf)) => header_from(raw, buf, self.header_record),
            None if self.summary.records == 0 => Header::default(),
            None => generated_header(self.width.min(self.max_columns)),
        };
        self.width = layout.header.names.len();
        sink.layout(&layout);
    }

    /// The error for a record that names the columns (the header, or without one the first
    /// row) and has more fields than the limit: its columns could not all be named.
    fn too_wide(&self, raw: &RawRecord, header: bool) -> Option<FileError> {
        let wide = raw.problems.iter().any(|p| matches!(p, Problem::TooManyColumns { .. }));
        wide.then_some(FileError::TooManyColumns { limit: self.max_columns, at: raw.start, header })
    }

    fn data<S: Sink>(&mut self, raw: &RawRecord, buf: &[u8], buf_text: &str, sink: &mut S) {
        if self.layout.is_some() && !self.header_known {
            self.failure = self.too_wide(raw, false);
            if self.failure.is_some() {
                return;
            }
        }
        self.send_layout(None, sink);
        if self.skip_empty_rows && is_blank(raw, buf) {
            self.summary.empty_rows += 1;
            return;
        }
        self.summary.rows += 1;
        // Past the last row wanted, rows are counted but not given (text is read as fed).
        if self.stop_after_rows.is_some_and(|n| self.summary.rows > n) {
            return;
        }
        self.problems.clear();
        self.problems.extend_from_slice(&raw.problems);
        self.check_width(raw.len());
        let replaced = raw.stream_start < self.replaced_until;
        let (text, spans) = text_of(raw, buf, buf_text, replaced, &mut self.lossy, &mut self.problems);
        let row = Row {
            number: self.summary.rows,
            start: raw.start,
            text,
            spans,
            starts: &raw.starts,
            problems: &self.problems,
            kinds: &[],
            sheet: None,
        };
        sink.row(&row);
    }

    fn check_width(&mut self, found: usize) {
        let expected = self.width;
        if found < expected && self.short_rows == ShortRows::Error {
            self.problems.push(Problem::TooFewFields { expected, found });
        } else if found > expected && self.long_rows == LongRows::Error {
            self.problems.push(Problem::TooManyFields { expected, found });
        }
    }
}

/// Whether every field is empty or blank.
fn is_blank(raw: &RawRecord, buf: &[u8]) -> bool {
    (0..raw.len()).all(|i| raw.field(buf, i).iter().all(u8::is_ascii_whitespace))
}

/// Where the first field holding a NUL starts, if one does.
fn nul_field(raw: &RawRecord, buf: &[u8]) -> Option<Position> {
    let field = (0..raw.len()).find(|&i| memchr::memchr(0, raw.field(buf, i)).is_some())?;
    raw.starts.get(field).copied().or(Some(raw.start))
}

/// The record's text and field spans: borrowed when the bytes are valid UTF-8 field by field,
/// otherwise a repaired copy with an `invalid_encoding` problem per bad field. `replaced` says
/// the transcoder may have put U+FFFD in the record.
fn text_of<'s>(
    raw: &'s RawRecord,
    buf: &'s [u8],
    buf_text: &'s str,
    replaced: bool,
    lossy: &'s mut Lossy,
    problems: &mut Vec<Problem>,
) -> (&'s str, &'s [(usize, usize)]) {
    let text = match raw.text {
        Text::Buffer { start, end } => buf_text.get(start..end).ok_or(()),
        Text::Data => Err(()),
    };
    let text = text.or_else(|()| std::str::from_utf8(raw.source(buf)).map_err(|_| ()));
    if let Ok(text) = text {
        let whole = raw.spans.iter().all(|&(s, e)| text.is_char_boundary(s) && text.is_char_boundary(e));
        if whole && !(replaced && text.contains('\u{FFFD}')) {
            return (text, &raw.spans);
        }
    }
    lossy.text.clear();
    lossy.spans.clear();
    for i in 0..raw.len() {
        let field = String::from_utf8_lossy(raw.field(buf, i));
        let bad = matches!(field, std::borrow::Cow::Owned(_)) || (replaced && field.contains('\u{FFFD}'));
        if bad {
            problems.push(Problem::InvalidEncoding { field: i });
        }
        let start = lossy.text.len();
        lossy.text.push_str(&field);
        lossy.spans.push((start, lossy.text.len()));
    }
    (&lossy.text, &lossy.spans)
}

fn header_from(raw: &RawRecord, buf: &[u8], record: Option<u64>) -> Header {
    let names = header_names((0..raw.len()).map(|i| String::from_utf8_lossy(raw.field(buf, i))));
    Header { names, record, position: Some(raw.start) }
}

/// Column names from a header row's fields: trimmed, blank ones numbered, repeated ones
/// suffixed (see [`Header::names`]).
pub(crate) fn header_names<T: AsRef<str>>(fields: impl Iterator<Item = T>) -> Vec<String> {
    let mut taken = TakenNames::default();
    fields
        .enumerate()
        .map(|(i, text)| {
            let name = text.as_ref().trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
            taken.unique(if name.is_empty() { format!("column_{}", i + 1) } else { name.to_owned() })
        })
        .collect()
}

/// The names given so far, and for each repeated name the next suffix to try. A suffix is never
/// tried twice, and a name that is taken stays taken, so the first free `name_N` is found in
/// time linear in the header's width (a header of one name repeated thousands of times included).
#[derive(Default)]
struct TakenNames {
    taken: HashSet<String>,
    next_suffix: HashMap<String, u64>,
}

impl TakenNames {
    /// `name`, or `name_N` with the smallest N from 2 that no earlier column has.
    fn unique(&mut self, name: String) -> String {
        if !self.taken.contains(&name) {
            self.taken.insert(name.clone());
            return name;
        }
        let next = self.next_suffix.entry(name.clone()).or_insert(2);
        loop {
            let candidate = format!("{name}_{next}");
            *next += 1;
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

pub(crate) fn generated_header(width: usize) -> Header {
    let names = (1..=width).map(|i| format!("column_{i}")).collect();
    Header { names, record: None, position: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(raw: &[&str]) -> Vec<String> {
        let mut record = RawRecord::default();
        for field in raw {
            let start = record.data.len();
            record.data.extend_from_slice(field.as_bytes());
            record.spans.push((start, record.data.len()));
        }
        header_from(&record, &[], Some(1)).names
    }

    #[test]
    fn repeated_names_get_the_first_free_suffix() {
        assert_eq!(named(&["v", "v", "w", "v"]), ["v", "v_2", "w", "v_3"]);
        assert_eq!(named(&[" id ", "id", "\u{FEFF}id"]), ["id", "id_2", "id_3"]);
    }

    #[test]
    fn a_generated_name_never_takes_a_real_header() {
        assert_eq!(named(&["v_2", "v", "v", "v"]), ["v_2", "v", "v_3", "v_4"]);
        assert_eq!(named(&["v", "v", "v_2", "v_2"]), ["v", "v_2", "v_2_2", "v_2_3"]);
        assert_eq!(named(&["v", "v_3", "v", "v", "v"]), ["v", "v_3", "v_2", "v_4", "v_5"]);
    }

    #[test]
    fn blank_names_are_numbered_by_column_and_kept_apart() {
        assert_eq!(
            named(&["", "column_1", " ", "column_3"]),
            ["column_1", "column_1_2", "column_3", "column_3_2"]
        );
    }
}
