//! From a sheet's cells, in row order, to rows for a [`Sink`]: the header row (chosen, or found
//! under a title block), empty rows, padding to the header's width, the cell budget, and rows
//! numbered as a text file's are, each carrying its cells' kinds and its sheet row.

use super::bounds::over;
use super::values::Value;
use crate::error::FileError;
use crate::limits::Limits;
use crate::position::Position;
use crate::reader::rows::{RowParts, generated_header, header_names};
use crate::reader::{CellKind, FileLayout, HeaderChoice, LongRows, ReadSummary, ReaderOptions, Row, Sink};
use crate::record::Problem;

/// Non-empty rows looked at to find the header when it is detected.
const LOOKAHEAD: usize = 32;

/// One row's cells, as text with spans, kinds and problems.
#[derive(Clone, Debug, Default)]
pub(crate) struct Cells {
    /// The sheet's row number (from 1).
    line: u64,
    text: String,
    spans: Vec<(usize, usize)>,
    kinds: Vec<CellKind>,
    problems: Vec<Problem>,
}

impl Cells {
    fn clear(&mut self, line: u64) {
        self.line = line;
        self.text.clear();
        self.spans.clear();
        self.kinds.clear();
        self.problems.clear();
    }

    fn push_empty(&mut self) {
        self.spans.push((self.text.len(), self.text.len()));
        self.kinds.push(CellKind::Text);
    }

    fn push(&mut self, value: &Value<'_>) {
        let start = self.text.len();
        let kind = value.write(&mut self.text);
        if let Some(error) = value.error() {
            self.problems.push(Problem::FormulaError { field: self.spans.len(), error });
        }
        self.spans.push((start, self.text.len()));
        self.kinds.push(kind);
    }

    fn field(&self, i: usize) -> &str {
        self.spans.get(i).and_then(|&(s, e)| self.text.get(s..e)).unwrap_or_default()
    }

    /// Fields up to the last that is not blank (trailing empty cells are formatting only).
    fn trim_end(&mut self) {
        while !self.spans.is_empty()
            && self.field(self.spans.len() - 1).trim().is_empty()
            && !self.is_error(self.spans.len() - 1)
        {
            self.spans.pop();
            self.kinds.pop();
        }
    }

    fn is_error(&self, i: usize) -> bool {
        self.kinds.get(i) == Some(&CellKind::Error)
    }

    fn is_blank(&self) -> bool {
        self.spans.is_empty()
    }

    /// Fields that hold a value.
    fn filled(&self) -> usize {
        (0..self.spans.len()).filter(|&i| !self.field(i).trim().is_empty() || self.is_error(i)).count()
    }

    /// Whether every field with a value is text.
    fn all_text(&self) -> bool {
        (0..self.spans.len()).all(|i| self.kinds.get(i) == Some(&CellKind::Text))
    }
}

/// What the assembler needs from the reader's options.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) header: HeaderChoice,
    pub(crate) long_rows: LongRows,
    pub(crate) skip_empty_rows: bool,
    pub(crate) allow_empty: bool,
    pub(crate) limits: Limits,
    /// Rows before this data row are read but not given to the sink (a re-read).
    pub(crate) first_row: u64,
    /// The sheet is read no further once this many data rows are given (a preview).
    pub(crate) stop_after_rows: Option<u64>,
}

impl Settings {
    pub(crate) fn new(options: &ReaderOptions, first_row: u64) -> Self {
        Settings {
            header: options.header,
            long_rows: options.long_rows,
            skip_empty_rows: options.skip_empty_rows,
            allow_empty: options.allow_empty,
            limits: options.limits,
            first_row,
            stop_after_rows: options.stop_after_rows,
        }
    }
}

/// Turns one sheet's cells into rows.
pub(crate) struct Assembler<'s> {
    settings: &'s Settings,
    sheet: &'s str,
    first_column: u32,
    /// The layout, until it is sent with its header.
    layout: Option<FileLayout>,
    width: usize,
    /// The row being filled.
    current: Cells,
    /// Non-empty rows kept until the header is known.
    pending: Vec<Cells>,
    /// The last sheet row finished.
    last_line: u64,
    header_line: Option<u64>,
    cells: u64,
    summary: ReadSummary,
}

impl<'s> Assembler<'s> {
    pub(crate) fn new(settings: &'s Settings, sheet: &'s str, first_column: u32, layout: FileLayout) -> Self {
        Assembler {
            settings,
            sheet,
            first_column,
            layout: Some(layout),
            width: 0,
            current: Cells::default(),
            pending: Vec::new(),
            last_line: 0,
            header_line: None,
            cells: 0,
            summary: ReadSummary::default(),
        }
    }

    /// Takes the cell at `row`, `column` (both from 0, as calamine counts); cells come in row
    /// order, and in column order within a row.
    pub(crate) fn cell<S: Sink>(
        &mut self,
        row: u32,
        column: u32,
        value: &Value<'_>,
        sink: &mut S,
    ) -> Result<(), FileError> {
        let line = u64::from(row) + 1;
        if line != self.current.line {
            if line < self.current.line {
                return Err(FileError::Unreadable { format: "spreadsheet" });
            }
            self.end_row(sink)?;
            self.current.clear(line);
        }
        if value.is_blank() && value.error().is_none() {
            return Ok(());
        }
        let index =
            column.checked_sub(self.first_column).ok_or(FileError::Unreadable { format: "spreadsheet" })?;
        let index = index as usize;
        if index >= self.settings.limits.max_columns {
            let at = Position { byte: 0, line };
            return Err(FileError::TooManyColumns {
                limit: self.settings.limits.max_columns,
                at,
                header: self.layout.is_some(),
            });
        }
        let pad = index.saturating_sub(self.current.spans.len());
        for _ in 0..pad {
            self.current.push_empty();
        }
        self.current.push(value);
        self.cells = self.cells.saturating_add(pad as u64 + 1);
        over("maxCells", self.cells, self.settings.limits.sheets.max_cells)
    }

    /// Whether a row past `stop_after_rows` was met: the rest of the sheet is not read.
    pub(crate) fn done(&self) -> bool {
        self.settings.stop_after_rows.is_some_and(|n| self.layout.is_none() && self.summary.rows > n)
    }

    /// Ends the sheet: the last row, the header if it is still undecided, the summary.
    pub(crate) fn finish<S: Sink>(mut self, bytes: u64, sink: &mut S) -> Result<ReadSummary, FileError> {
        self.end_row(sink)?;
        if self.layout.is_some() {
            if self.pending.is_empty() && !self.settings.allow_empty {
                return Err(FileError::EmptySheet);
            }
            self.decide(sink)?;
        }
        if self.summary.rows == 0 && !self.settings.allow_empty {
            let header = self.header_line.map(|line| Position { byte: 0, line });
            return Err(FileError::NoDataRows { header });
        }
        self.summary.bytes = bytes;
        Ok(self.summary)
    }

    fn end_row<S: Sink>(&mut self, sink: &mut S) -> Result<(), FileError> {
        if self.current.line == 0 {
            return Ok(());
        }
        self.current.trim_end();
        let previous = self.last_line;
        self.last_line = self.current.line;
        if self.layout.is_some() {
            if !self.current.is_blank() {
                self.pending.push(std::mem::take(&mut self.current));
            }
            if self.pending.len() >= LOOKAHEAD
                || (self.settings.header != HeaderChoice::Detect && self.header_ready())
            {
                self.decide(sink)?;
            }
            return Ok(());
        }
        let current = std::mem::take(&mut self.current);
        self.empty_rows(previous + 1, current.line, sink)?;
        self.data(&current, sink)?;
        self.current = current;
        Ok(())
    }

    /// Whether a chosen header can be decided now: the header row (or, without one, the first
    /// row) has been read.
    fn header_ready(&self) -> bool {
        match self.settings.header {
            HeaderChoice::Row(n) => self.last_line >= n,
            _ => !self.pending.is_empty(),
        }
    }

    /// Picks the header among the rows read so far, sends the layout, then the rows after it.
    fn decide<S: Sink>(&mut self, sink: &mut S) -> Result<(), FileError> {
        let Some(mut layout) = self.layout.take() else { return Ok(()) };
        let pending = std::mem::take(&mut self.pending);
        let header = match self.settings.header {
            HeaderChoice::Row(n) => pending.iter().position(|r| r.line == n),
            HeaderChoice::None => None,
            _ => detect_header(&pending),
        };
        let (names, data) = match header {
            Some(h) => {
                let row = &pending[h];
                self.header_line = Some(row.line);
                self.summary.preamble = h as u64;
                let names = header_names((0..row.spans.len()).map(|i| row.field(i)));
                (names, h + 1)
            }
            None => {
                let skip = match self.settings.header {
                    HeaderChoice::Row(n) => pending.iter().take_while(|r| r.line <= n).count(),
                    _ => 0,
                };
                self.summary.preamble = skip as u64;
                let width = pending.iter().skip(skip).map(|r| r.spans.len()).max().unwrap_or(0);
                (generated_header(width).names, skip)
            }
        };
        layout.header.names = names;
        layout.header.record = self.header_line;
        layout.header.position = self.header_line.map(|line| Position { byte: 0, line });
        self.width = layout.header.names.len();
        sink.layout(&layout);
        let mut previous = self.header_line;
        for row in pending.iter().skip(data) {
            if let Some(p) = previous {
                self.empty_rows(p + 1, row.line, sink)?;
            }
            previous = Some(row.line);
            self.data(row, sink)?;
        }
        Ok(())
    }

    /// The rows with no value from sheet row `from` up to `to` (not included): skipped, or
    /// given as rows of empty fields.
    fn empty_rows<S: Sink>(&mut self, from: u64, to: u64, sink: &mut S) -> Result<(), FileError> {
        let count = to.saturating_sub(from);
        if self.settings.skip_empty_rows {
            self.summary.empty_rows += count;
            return Ok(());
        }
        self.cells = self.cells.saturating_add(count.saturating_mul(self.width as u64));
        over("maxCells", self.cells, self.settings.limits.sheets.max_cells)?;
        let mut empty = Cells::default();
        for line in from..to {
            empty.clear(line);
            self.data(&empty, sink)?;
        }
        Ok(())
    }

    /// Gives one data row to the sink, padded to the header's width.
    fn data<S: Sink>(&mut self, row: &Cells, sink: &mut S) -> Result<(), FileError> {
        // Past the last row wanted, a row is counted (so that a preview of 0 rows still knows
        // the sheet has data) but not given, and the sheet is read no further.
        if self.settings.stop_after_rows.is_some_and(|n| self.summary.rows >= n) {
            self.summary.records += 1;
            self.summary.rows += 1;
            return Ok(());
        }
        self.summary.records += 1;
        self.summary.rows += 1;
        let mut row = std::borrow::Cow::Borrowed(row);
        if row.spans.len() < self.width {
            let pad = self.width - row.spans.len();
            for _ in 0..pad {
                row.to_mut().push_empty();
            }
            self.cells = self.cells.saturating_add(pad as u64);
            over("maxCells", self.cells, self.settings.limits.sheets.max_cells)?;
        }
        let mut problems = std::borrow::Cow::Borrowed(&row.problems);
        if row.spans.len() > self.width && self.settings.long_rows == LongRows::Error {
            problems.to_mut().push(Problem::TooManyFields { expected: self.width, found: row.spans.len() });
        }
        if self.summary.rows < self.settings.first_row {
            return Ok(());
        }
        sink.row(&Row::from_cells(RowParts {
            number: self.summary.rows,
            start: Position { byte: 0, line: row.line },
            text: &row.text,
            spans: &row.spans,
            problems: &problems,
            kinds: &row.kinds,
            sheet: self.sheet,
            first_column: self.first_column,
        }));
        Ok(())
    }
}

/// The header under a title block: the first row at least 60% as full as the fullest of the
/// rows looked at, when all its values are text; otherwise there is none.
fn detect_header(rows: &[Cells]) -> Option<usize> {
    let fullest = rows.iter().map(Cells::filled).max()?;
    let enough = (fullest * 3).div_ceil(5).max(1);
    let candidate = rows.iter().position(|r| r.filled() >= enough)?;
    let row = rows.get(candidate)?;
    row.all_text().then_some(candidate)
}
