//! Spreadsheets (xlsx, xlsm, xlsb, xls, ods) read into rows with calamine, in the same crate
//! and to the same [`Sink`] as CSV. A workbook is a container, not a stream: it is read whole,
//! in memory, bounded by [`SheetLimits`] that are checked before
//! any part is inflated (see `bounds`). Cells become text as the user saw them (see `values`),
//! then rows (see `rows`): positions are the sheet's rows, and each field names its cell.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use rust_xlsxwriter::Workbook;
//! use sluice_parser::limits::Limits;
//! use sluice_parser::reader::{FileLayout, Reader, ReaderOptions, Row, Sink};
//!
//! let mut workbook = Workbook::new();
//! let sheet = workbook.add_worksheet().set_name("People")?;
//! sheet.write(0, 0, "Name")?.write(0, 1, "Zip")?;
//! sheet.write(1, 0, "Ann")?.write(1, 1, "01234")?;
//! let bytes = workbook.save_to_buffer()?;
//!
//! let sheets = sluice_parser::sheets::sheets(&bytes, &Limits::default())?;
//! assert_eq!((sheets[0].name.as_str(), sheets[0].rows), ("People", Some(2)));
//!
//! #[derive(Default)]
//! struct Collect(Vec<(String, Vec<String>)>);
//! impl Sink for Collect {
//!     fn layout(&mut self, layout: &FileLayout) {
//!         assert_eq!(layout.header.names, ["Name", "Zip"]);
//!     }
//!     fn row(&mut self, row: &Row<'_>) {
//!         let cell = row.cell(1).map(|c| c.to_string()).unwrap_or_default();
//!         self.0.push((cell, row.fields().map(str::to_owned).collect()));
//!     }
//! }
//! let mut rows = Collect::default();
//! let mut reader = Reader::new(&ReaderOptions::default())?;
//! reader.feed(&bytes, &mut rows)?;
//! reader.finish(&mut rows)?;
//! assert_eq!(rows.0, [("People!B2".to_owned(), vec!["Ann".to_owned(), "01234".to_owned()])]);
//! # Ok(()) }
//! ```

mod bounds;
mod rows;
mod values;

use crate::error::{ConfigError, FileError, ReadError, UsageError};
use crate::limits::{Limits, SheetLimits};
use crate::reader::{
    FileLayout, Format, Header, ReadSummary, ReaderOptions, RowSource, SheetInfo, SheetKind, Sink,
    WorkbookLayout,
};
use calamine::{Dimensions, Ods, Reader as _, SheetType, SheetVisible, Xls, Xlsb, Xlsx};
use rows::{Assembler, Settings};
use std::io::Cursor;
use values::Value;

/// The spreadsheet reader: a workbook pushed in chunks like a CSV file, collected whole (a zip
/// or OLE container cannot be read as a stream; at most `limits.sheets.maxWorkbookBytes`), and
/// read when it ends into the same layout and rows. A [`Reader`](crate::reader::Reader) hands
/// it a file whose first bytes are a workbook's; it can also be used alone.
pub struct WorkbookReader {
    options: ReaderOptions,
    bytes: Vec<u8>,
    first_row: u64,
    state: State,
}

enum State {
    Collecting,
    Failed(FileError),
    Finished,
}

impl WorkbookReader {
    /// A reader with `options` (its `sheet`, `header`, `stopAfterRows`, `limits`, …).
    pub fn new(options: &ReaderOptions) -> Result<Self, ConfigError> {
        Self::resume(options, 0)
    }

    /// A reader giving rows from data row `first_row` on (a grid reading rows again); the
    /// workbook is read whole all the same.
    pub fn resume(options: &ReaderOptions, first_row: u64) -> Result<Self, ConfigError> {
        options.resolve()?;
        Ok(Self::checked(options, first_row))
    }

    /// A reader with options already checked.
    pub(crate) fn checked(options: &ReaderOptions, first_row: u64) -> Self {
        WorkbookReader { options: options.clone(), bytes: Vec::new(), first_row, state: State::Collecting }
    }

    fn fail(&mut self, error: FileError) -> ReadError {
        self.state = State::Failed(error.clone());
        error.into()
    }
}

impl RowSource for WorkbookReader {
    fn feed<S: Sink>(&mut self, chunk: &[u8], _sink: &mut S) -> Result<(), ReadError> {
        match &self.state {
            State::Collecting => {}
            State::Failed(e) => return Err(e.clone().into()),
            State::Finished => return Err(UsageError::Finished.into()),
        }
        let max = self.options.limits.sheets.max_workbook_bytes;
        let size = (self.bytes.len() + chunk.len()) as u64;
        if size > max {
            return Err(self.fail(FileError::WorkbookLimit { limit: "maxWorkbookBytes", max, found: size }));
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish<S: Sink>(&mut self, sink: &mut S) -> Result<ReadSummary, ReadError> {
        match std::mem::replace(&mut self.state, State::Finished) {
            State::Collecting => {}
            State::Failed(e) => return Err(self.fail(e)),
            State::Finished => return Err(UsageError::Finished.into()),
        }
        let bytes = std::mem::take(&mut self.bytes);
        read(&bytes, &self.options, self.first_row, sink).map_err(|e| self.fail(e))
    }
}

/// The sheets of a workbook, in order, with the rows and columns each holds, without reading
/// any into rows (for a sheet picker). Each worksheet is read through once to count them.
pub fn sheets(bytes: &[u8], limits: &Limits) -> Result<Vec<SheetInfo>, FileError> {
    let mut book = Book::open(bytes, &limits.sheets)?;
    let mut infos = book.metadata();
    for info in infos.iter_mut().filter(|i| i.kind == SheetKind::Worksheet) {
        let mut count = Count::default();
        book.cells(&info.name, &limits.sheets, &mut |visit| count.visit(visit, limits).map(|()| true))?;
        info.rows = Some(count.rows);
        info.columns = Some(count.columns);
    }
    Ok(infos)
}

/// Reads one sheet of a workbook (the options' `sheet`, or the first visible worksheet with
/// a value, or failing that the first hidden one) into `sink`; rows numbered below `first_row` are read but not given to it.
fn read<S: Sink>(
    bytes: &[u8],
    options: &ReaderOptions,
    first_row: u64,
    sink: &mut S,
) -> Result<ReadSummary, FileError> {
    let limits = &options.limits.sheets;
    let mut book = Book::open(bytes, limits)?;
    let infos = book.metadata();
    let candidates: Vec<&SheetInfo> = match &options.sheet {
        Some(name) => {
            let chosen = infos.iter().find(|i| &i.name == name);
            vec![chosen.ok_or(FileError::SheetNotFound { sheets: infos.len() })?]
        }
        // The visible worksheets first, then the hidden ones: a workbook whose data is on a
        // hidden sheet is still read.
        None => {
            let worksheets = infos.iter().filter(|i| i.kind == SheetKind::Worksheet);
            let (visible, hidden): (Vec<&SheetInfo>, Vec<&SheetInfo>) = worksheets.partition(|i| i.visible);
            visible.into_iter().chain(hidden).collect()
        }
    };
    if candidates.iter().all(|i| i.kind != SheetKind::Worksheet) {
        return Err(match options.sheet {
            Some(_) => FileError::EmptySheet,
            None => FileError::NoWorksheets,
        });
    }
    let settings = Settings::new(options, first_row);
    let last = candidates.len() - 1;
    for (i, info) in candidates.iter().enumerate() {
        // An empty sheet gives the sink nothing, so the next one can be tried.
        let settings = Settings { allow_empty: settings.allow_empty && i == last, ..settings.clone() };
        match read_sheet(&mut book, info, &infos, &settings, bytes.len() as u64, sink) {
            Err(FileError::EmptySheet) if i < last => continue,
            outcome => return outcome,
        }
    }
    Err(FileError::EmptySheet)
}

fn read_sheet<S: Sink>(
    book: &mut Book<'_>,
    info: &SheetInfo,
    infos: &[SheetInfo],
    settings: &Settings,
    bytes: u64,
    sink: &mut S,
) -> Result<ReadSummary, FileError> {
    let layout = FileLayout {
        format: book.format,
        workbook: Some(WorkbookLayout {
            sheet: info.name.clone(),
            sheets: infos.to_vec(),
            date1904: book.date1904(),
        }),
        encoding: crate::decode::EncodingChoice::workbook(),
        sniffed: crate::sniff::Sniffed {
            dialect: crate::dialect::Dialect::default(),
            header_row: None,
            field_count: 0,
            confidence: crate::sniff::Confidence { delimiter: 0.0, quote: 0.0, header: 0.0 },
        },
        dialect: crate::dialect::Dialect::default(),
        header: Header::default(),
    };
    let mut assembler: Option<Assembler<'_>> = None;
    let mut layout = Some(layout);
    book.cells(&info.name, &settings.limits.sheets, &mut |visit| match visit {
        Visit::Origin(column) => {
            let layout = layout.take().ok_or(FileError::Unreadable { format: "spreadsheet" })?;
            assembler = Some(Assembler::new(settings, &info.name, column, layout));
            Ok(true)
        }
        Visit::Cell(row, column, value) => match assembler.as_mut() {
            Some(a) => a.cell(row, column, &value, sink).map(|()| !a.done()),
            None => Err(FileError::Unreadable { format: "spreadsheet" }),
        },
    })?;
    let assembler = assembler.ok_or(FileError::EmptySheet)?;
    assembler.finish(bytes, sink)
}

/// What a sheet's cells are visited with: where columns start, then each cell. A visitor
/// answers whether to go on.
pub(crate) enum Visit<'v> {
    /// The sheet's first column (from 0), before any cell.
    Origin(u32),
    /// A cell: row and column (from 0), and its value.
    Cell(u32, u32, Value<'v>),
}

/// Counts a sheet's rows with a value and its widest row, for [`sheets`].
#[derive(Default)]
struct Count {
    rows: u64,
    columns: u64,
    origin: u32,
    row: Option<u32>,
    cells: u64,
}

impl Count {
    fn visit(&mut self, visit: Visit<'_>, limits: &Limits) -> Result<(), FileError> {
        let Visit::Cell(row, column, value) = visit else {
            if let Visit::Origin(c) = visit {
                self.origin = c;
            }
            return Ok(());
        };
        if value.is_blank() && value.error().is_none() {
            return Ok(());
        }
        self.cells += 1;
        bounds::over("maxCells", self.cells, limits.sheets.max_cells)?;
        if self.row != Some(row) {
            self.row = Some(row);
            self.rows += 1;
        }
        self.columns = self.columns.max(u64::from(column.saturating_sub(self.origin)) + 1);
        Ok(())
    }
}

type Source<'b> = Cursor<&'b [u8]>;

/// An open workbook, whatever its format.
struct Book<'b> {
    format: Format,
    kind: Kind<'b>,
}

enum Kind<'b> {
    Xlsx(Box<Xlsx<Source<'b>>>),
    Xlsb(Box<Xlsb<Source<'b>>>),
    Xls(Box<Xls<Source<'b>>>),
    Ods(Box<Ods<Source<'b>>>),
}

impl<'b> Book<'b> {
    /// Checks the container against the limits, then opens it with calamine.
    fn open(bytes: &'b [u8], limits: &SheetLimits) -> Result<Self, FileError> {
        let format = bounds::check(bytes, limits)?;
        let source = Cursor::new(bytes);
        let kind = match format {
            Format::Xlsx | Format::Xlsm => {
                Xlsx::new(source).map(|b| Kind::Xlsx(Box::new(b))).map_err(|e| xlsx_error(&e))
            }
            Format::Xlsb => Xlsb::new(source).map(|b| Kind::Xlsb(Box::new(b))).map_err(|e| xlsb_error(&e)),
            Format::Xls => Xls::new(source).map(|b| Kind::Xls(Box::new(b))).map_err(|e| xls_error(&e)),
            _ => Ods::new(source).map(|b| Kind::Ods(Box::new(b))).map_err(|e| ods_error(&e)),
        }?;
        Ok(Book { format, kind })
    }

    fn date1904(&self) -> bool {
        match &self.kind {
            Kind::Xlsx(b) => b.has_1904_epoch(),
            Kind::Xlsb(b) => b.has_1904_epoch(),
            Kind::Xls(b) => b.has_1904_epoch(),
            Kind::Ods(_) => false,
        }
    }

    fn metadata(&self) -> Vec<SheetInfo> {
        let sheets = match &self.kind {
            Kind::Xlsx(b) => b.sheets_metadata(),
            Kind::Xlsb(b) => b.sheets_metadata(),
            Kind::Xls(b) => b.sheets_metadata(),
            Kind::Ods(b) => b.sheets_metadata(),
        };
        sheets
            .iter()
            .map(|s| SheetInfo {
                name: s.name.clone(),
                kind: match s.typ {
                    SheetType::WorkSheet => SheetKind::Worksheet,
                    _ => SheetKind::Chart,
                },
                visible: s.visible == SheetVisible::Visible,
                rows: None,
                columns: None,
            })
            .collect()
    }

    /// Visits the cells of sheet `name` in row order: the streaming readers (xlsx, xlsb) after
    /// checking the sheet's declared dimension; the others from the range calamine builds.
    fn cells(
        &mut self,
        name: &str,
        limits: &SheetLimits,
        visit: &mut dyn FnMut(Visit<'_>) -> Result<bool, FileError>,
    ) -> Result<(), FileError> {
        match &mut self.kind {
            Kind::Xlsx(book) => {
                let mut cells = book.worksheet_cells_reader(name).map_err(|e| xlsx_error(&e))?;
                visit(Visit::Origin(declared(cells.dimensions(), limits)?))?;
                while let Some(cell) = cells.next_cell().map_err(|e| xlsx_error(&e))? {
                    let (row, column) = cell.get_position();
                    if !visit(Visit::Cell(row, column, Value::from(cell.get_value())))? {
                        break;
                    }
                }
            }
            Kind::Xlsb(book) => {
                let mut cells = book.worksheet_cells_reader(name).map_err(|e| xlsb_error(&e))?;
                visit(Visit::Origin(declared(cells.dimensions(), limits)?))?;
                while let Some(cell) = cells.next_cell().map_err(|e| xlsb_error(&e))? {
                    let (row, column) = cell.get_position();
                    if !visit(Visit::Cell(row, column, Value::from(cell.get_value())))? {
                        break;
                    }
                }
            }
            Kind::Xls(book) => {
                let range = book.worksheet_range(name).map_err(|e| xls_error(&e))?;
                visit_range(&range, visit)?;
            }
            Kind::Ods(book) => {
                let range = book.worksheet_range(name).map_err(|e| ods_error(&e))?;
                visit_range(&range, visit)?;
            }
        }
        Ok(())
    }
}

/// A range's cells with a value, in row order, at their places in the sheet.
fn visit_range(
    range: &calamine::Range<calamine::Data>,
    visit: &mut dyn FnMut(Visit<'_>) -> Result<bool, FileError>,
) -> Result<(), FileError> {
    let (top, left) = range.start().unwrap_or((0, 0));
    visit(Visit::Origin(left))?;
    for (row, column, data) in range.used_cells() {
        let (row, column) = (top + row as u32, left + column as u32);
        if !visit(Visit::Cell(row, column, Value::from(data)))? {
            break;
        }
    }
    Ok(())
}

/// Checks a sheet's declared dimension against the limits; returns its first column.
fn declared(dimensions: Dimensions, limits: &SheetLimits) -> Result<u32, FileError> {
    let rows = u64::from(dimensions.end.0.saturating_sub(dimensions.start.0)) + 1;
    let columns = u64::from(dimensions.end.1.saturating_sub(dimensions.start.1)) + 1;
    bounds::over("maxRows", rows, limits.max_rows)?;
    bounds::over("maxCells", rows.saturating_mul(columns), limits.max_cells)?;
    Ok(dimensions.start.1)
}

fn xlsx_error(e: &calamine::XlsxError) -> FileError {
    match e {
        calamine::XlsxError::Password => FileError::PasswordProtected,
        _ => FileError::Unreadable { format: "xlsx" },
    }
}

fn xlsb_error(e: &calamine::XlsbError) -> FileError {
    match e {
        calamine::XlsbError::Password => FileError::PasswordProtected,
        _ => FileError::Unreadable { format: "xlsb" },
    }
}

fn xls_error(e: &calamine::XlsError) -> FileError {
    match e {
        calamine::XlsError::Password => FileError::PasswordProtected,
        _ => FileError::Unreadable { format: "xls" },
    }
}

fn ods_error(e: &calamine::OdsError) -> FileError {
    match e {
        calamine::OdsError::Password => FileError::PasswordProtected,
        _ => FileError::Unreadable { format: "ods" },
    }
}
