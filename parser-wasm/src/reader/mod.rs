//! Reading a CSV file pushed in chunks: the first kilobytes decide the encoding and dialect,
//! then every chunk is decoded, split into records and handed on as rows.

mod options;
pub(crate) mod rows;

pub use options::{HeaderChoice, LongRows, QuoteChoice, ReaderOptions, ShortRows};
pub use rows::{
    CellKind, FileLayout, Format, Header, ReadSummary, Row, RowStart, SheetInfo, SheetKind, Sink,
    WorkbookLayout,
};

use crate::binary::{self, BinaryKind};
use crate::decode::{EncodingChoice, OffsetMap, Transcoder};
use crate::dialect::Dialect;
use crate::error::{ConfigError, FileError, ReadError, UsageError};
use crate::position::Position;
use crate::record::RawRecord;
use crate::sniff::{Sniffed, sniff};
use crate::tokenizer::Tokenizer;
use options::Resolved;
use rows::{RowSettings, Rows};

/// Where rows come from: a file pushed in chunks of any size, then ended, handing a [`Sink`]
/// its layout and its rows. The CSV [`Reader`] and the spreadsheet reader
/// (`sheets::WorkbookReader`, feature `spreadsheets`) both implement it, and everything after
/// them (mapping, validation, batches) only sees the sink's side, whatever the format. A
/// `Reader` hands a file whose first bytes are a workbook's to the spreadsheet reader itself.
pub trait RowSource {
    /// Reads the next chunk of the file.
    fn feed<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), ReadError>;
    /// Ends the file: the last rows are given, and what was read is counted.
    fn finish<S: Sink>(&mut self, sink: &mut S) -> Result<ReadSummary, ReadError>;
}

impl RowSource for Reader {
    fn feed<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), ReadError> {
        Reader::feed(self, chunk, sink)
    }

    fn finish<S: Sink>(&mut self, sink: &mut S) -> Result<ReadSummary, ReadError> {
        Reader::finish(self, sink)
    }
}

/// A push parser for one CSV file: [`feed`](Reader::feed) it chunks of any size, then
/// [`finish`](Reader::finish) it. Rows go to a [`Sink`] as they complete; the rows, their
/// problems and positions are the same however the input is cut.
///
/// A file that cannot be imported at all is refused with a [`FileError`]: a known binary format
/// or NUL bytes in the first bytes (before any row), a NUL byte later, a header wider than the
/// column limit, and at the end a file without data rows (unless
/// [`allow_empty`](ReaderOptions::allow_empty)). From then on every call answers the same error.
///
/// ```
/// use sluice_parser::reader::{FileLayout, Reader, ReaderOptions, Row, Sink};
///
/// struct Collect(Vec<Vec<String>>);
/// impl Sink for Collect {
///     fn layout(&mut self, layout: &FileLayout) {
///         assert_eq!(layout.header.names, ["name", "age"]);
///     }
///     fn row(&mut self, row: &Row<'_>) {
///         self.0.push(row.fields().map(str::to_owned).collect());
///     }
/// }
///
/// let mut reader = Reader::new(&ReaderOptions::default())?;
/// let mut rows = Collect(Vec::new());
/// reader.feed(b"name;age\nAnn;3", &mut rows)?;
/// reader.feed(b"1\nBob;42\n", &mut rows)?;
/// let summary = reader.finish(&mut rows)?;
/// assert_eq!(rows.0, [["Ann", "31"], ["Bob", "42"]]);
/// assert_eq!(summary.rows, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Reader {
    config: Resolved,
    phase: Phase,
}

enum Phase {
    /// Collecting the first bytes.
    Sniffing(Vec<u8>),
    Reading(Box<Reading>),
    /// A workbook, handed to the spreadsheet reader.
    #[cfg(feature = "spreadsheets")]
    Workbook(Box<crate::sheets::WorkbookReader>),
    /// The file was refused.
    Failed(FileError),
    Finished,
}

/// Everything a reader needs once the encoding and dialect are known.
struct Reading {
    input: Input,
    map: OffsetMap,
    tokenizer: Tokenizer,
    rows: Rows,
    /// Bytes of input seen.
    bytes: u64,
}

enum Input {
    /// UTF-8 passes through; `pos` is the stream (and file) offset of the next byte.
    Utf8 {
        pos: u64,
    },
    Transcoded(Transcoder),
}

impl Reader {
    /// A reader with `options`, checked now.
    pub fn new(options: &ReaderOptions) -> Result<Reader, ConfigError> {
        let config = options.resolve()?;
        Ok(Reader { config, phase: Phase::Sniffing(Vec::new()) })
    }

    /// A reader for a part of a file that was read once already, from a row boundary (as a
    /// [`RowIndex`](crate::import::RowIndex) records them) to anywhere: the encoding, dialect
    /// and header are `layout`'s, and rows, lines and bytes are numbered as in the whole file.
    ///
    /// ```
    /// use sluice_parser::reader::{FileLayout, Reader, ReaderOptions, Row, RowStart, Sink};
    ///
    /// #[derive(Default)]
    /// struct Rows(Vec<(u64, u64, Vec<String>)>, Option<FileLayout>);
    /// impl Sink for Rows {
    ///     fn layout(&mut self, layout: &FileLayout) { self.1 = Some(layout.clone()); }
    ///     fn row(&mut self, row: &Row<'_>) {
    ///         self.0.push((row.number(), row.position().byte, row.fields().map(str::to_owned).collect()));
    ///     }
    /// }
    ///
    /// let file = b"id;name\n1;Ann\n2;Bob\n3;Cy\n";
    /// let mut whole = Rows::default();
    /// let mut reader = Reader::new(&ReaderOptions::default())?;
    /// reader.feed(file, &mut whole)?;
    /// reader.finish(&mut whole)?;
    /// let layout = whole.1.expect("a layout");
    ///
    /// let start = RowStart { row: 2, byte: 14, line: 3 };
    /// let mut part = Rows::default();
    /// let mut reader = Reader::resume(&layout, &ReaderOptions::default(), start)?;
    /// reader.feed(&file[14..], &mut part)?;
    /// reader.finish(&mut part)?;
    /// assert_eq!(part.0, whole.0[1..]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resume(
        layout: &FileLayout,
        options: &ReaderOptions,
        start: RowStart,
    ) -> Result<Reader, ConfigError> {
        let config = options.resolve()?;
        #[cfg(feature = "spreadsheets")]
        if layout.format.is_workbook() {
            let workbook = crate::sheets::WorkbookReader::checked(&config.options, start.row);
            return Ok(Reader { config, phase: Phase::Workbook(Box::new(workbook)) });
        }
        let encoding = layout.encoding;
        let input = match encoding.encoding == encoding_rs::UTF_8 {
            true => Input::Utf8 { pos: start.byte },
            false => Input::Transcoded(Transcoder::new(encoding.encoding)),
        };
        let settings = RowSettings {
            header_record: None,
            short_rows: options.short_rows,
            long_rows: options.long_rows,
            skip_empty_rows: options.skip_empty_rows,
            allow_empty: true,
            max_columns: options.limits.max_columns,
            stop_after_rows: options.stop_after_rows,
        };
        let reading = Box::new(Reading {
            input,
            map: OffsetMap::starting_at(&encoding, start.byte),
            tokenizer: Tokenizer::new(&layout.dialect, config.options.limits).starting_at_line(start.line),
            rows: Rows::resumed(layout.clone(), settings, start.row),
            bytes: 0,
        });
        Ok(Reader { config, phase: Phase::Reading(reading) })
    }

    /// Reads the next chunk of the file.
    pub fn feed<S: Sink>(&mut self, chunk: &[u8], sink: &mut S) -> Result<(), ReadError> {
        match &mut self.phase {
            Phase::Sniffing(window) => {
                // The window is exactly the first `sniff_bytes` bytes, however the input is cut,
                // so that detection never depends on chunking.
                let take = chunk.len().min(self.config.options.sniff_bytes.saturating_sub(window.len()));
                window.extend_from_slice(chunk.get(..take).unwrap_or(chunk));
                if window.len() >= self.config.options.sniff_bytes {
                    self.start(false, sink)?;
                    return self.feed(chunk.get(take..).unwrap_or_default(), sink);
                }
            }
            Phase::Reading(reading) => {
                reading.feed(chunk, false, sink);
                self.check()?;
            }
            #[cfg(feature = "spreadsheets")]
            Phase::Workbook(workbook) => workbook.feed(chunk, sink)?,
            Phase::Failed(e) => return Err(e.clone().into()),
            Phase::Finished => return Err(UsageError::Finished.into()),
        }
        Ok(())
    }

    /// Ends the file: the last row is emitted, and what was read is counted.
    pub fn finish<S: Sink>(&mut self, sink: &mut S) -> Result<ReadSummary, ReadError> {
        if let Phase::Sniffing(_) = self.phase {
            self.start(true, sink)?;
        }
        match std::mem::replace(&mut self.phase, Phase::Finished) {
            Phase::Reading(mut reading) => reading.finish(sink).map_err(|e| self.fail(e)),
            #[cfg(feature = "spreadsheets")]
            Phase::Workbook(mut workbook) => workbook.finish(sink).map_err(|e| match e {
                ReadError::File(e) => self.fail(e),
                e => e,
            }),
            Phase::Failed(e) => Err(self.fail(e)),
            Phase::Sniffing(_) | Phase::Finished => Err(UsageError::Finished.into()),
        }
    }

    /// Refuses the file from now on.
    fn fail(&mut self, error: FileError) -> ReadError {
        self.phase = Phase::Failed(error.clone());
        error.into()
    }

    /// Moves to `Failed` when the rows refused the file.
    fn check(&mut self) -> Result<(), ReadError> {
        let failure = match &self.phase {
            Phase::Reading(reading) => reading.rows.failure().cloned(),
            _ => None,
        };
        failure.map_or(Ok(()), |e| Err(self.fail(e)))
    }

    /// Decides the encoding and dialect from the bytes so far, then reads them; refuses a file
    /// that is not text.
    fn start<S: Sink>(&mut self, complete: bool, sink: &mut S) -> Result<(), ReadError> {
        let Phase::Sniffing(window) = std::mem::replace(&mut self.phase, Phase::Finished) else {
            return Ok(());
        };
        let config = &self.config;
        #[cfg(feature = "spreadsheets")]
        if is_workbook(&window) {
            let mut workbook = crate::sheets::WorkbookReader::checked(&self.config.options, 0);
            let fed = workbook.feed(&window, sink);
            self.phase = Phase::Workbook(Box::new(workbook));
            return fed;
        }
        let encoding = EncodingChoice::detect(&window, complete, config.label, config.fallback);
        if let Some(error) = not_text(&window, &encoding) {
            return Err(self.fail(error));
        }
        let body = window.get(usize::from(encoding.bom_len)..).unwrap_or_default();
        let sniffed = sniff(&sample_text(&encoding, body, complete), complete, config.options.comment);
        let dialect = self.dialect(&sniffed);
        let settings = self.row_settings(&sniffed);
        let layout = FileLayout {
            format: Format::Csv,
            workbook: None,
            encoding,
            sniffed,
            dialect,
            header: Header::default(),
        };
        let input = match encoding.encoding == encoding_rs::UTF_8 {
            true => Input::Utf8 { pos: u64::from(encoding.bom_len) },
            false => Input::Transcoded(Transcoder::new(encoding.encoding)),
        };
        let mut reading = Box::new(Reading {
            input,
            map: OffsetMap::new(&encoding),
            tokenizer: Tokenizer::new(&dialect, config.options.limits),
            rows: Rows::new(layout, settings),
            bytes: u64::from(encoding.bom_len),
        });
        reading.feed(body, false, sink);
        self.phase = Phase::Reading(reading);
        self.check()
    }

    /// The sniffed dialect with the caller's choices laid over it.
    fn dialect(&self, sniffed: &Sniffed) -> Dialect {
        let o = &self.config.options;
        Dialect {
            delimiter: o.delimiter.unwrap_or(sniffed.dialect.delimiter),
            quote: match o.quote {
                // A delimiter chosen as `'` rules out `'` as the quote.
                QuoteChoice::Detect if sniffed.dialect.quote == o.delimiter => Some(b'"'),
                QuoteChoice::Detect => sniffed.dialect.quote,
                QuoteChoice::None => None,
                QuoteChoice::Byte(b) => Some(b),
            },
            escape: o.escape,
            comment: o.comment,
            line_ending: sniffed.dialect.line_ending,
        }
    }

    fn row_settings(&self, sniffed: &Sniffed) -> RowSettings {
        let o = &self.config.options;
        let header_record = match o.header {
            HeaderChoice::Detect => sniffed.header_row,
            HeaderChoice::None => None,
            HeaderChoice::Row(n) => Some(n),
        };
        RowSettings {
            header_record,
            short_rows: o.short_rows,
            long_rows: o.long_rows,
            skip_empty_rows: o.skip_empty_rows,
            allow_empty: o.allow_empty,
            max_columns: o.limits.max_columns,
            stop_after_rows: o.stop_after_rows,
        }
    }
}

/// Whether the start of a file is a workbook's (or another zip archive's, which the workbook
/// reader refuses by its parts).
#[cfg(feature = "spreadsheets")]
fn is_workbook(window: &[u8]) -> bool {
    matches!(
        BinaryKind::of(window),
        Some(BinaryKind::Xlsx | BinaryKind::Ods | BinaryKind::Zip | BinaryKind::Xls)
    )
}

/// Why the start of a file shows that it is not text: a known binary format, or NUL bytes where
/// UTF-16 does not explain them.
fn not_text(window: &[u8], encoding: &EncodingChoice) -> Option<FileError> {
    if let Some(kind) = BinaryKind::of(window) {
        return Some(FileError::Binary { kind, at: Position::START });
    }
    let utf16 = encoding.encoding == encoding_rs::UTF_16LE || encoding.encoding == encoding_rs::UTF_16BE;
    let at = if utf16 { None } else { binary::first_nul(window) }?;
    Some(FileError::Binary { kind: BinaryKind::Unknown, at })
}

/// The start of the file as UTF-8 text, for sniffing.
fn sample_text<'a>(encoding: &EncodingChoice, body: &'a [u8], complete: bool) -> std::borrow::Cow<'a, [u8]> {
    if encoding.encoding == encoding_rs::UTF_8 {
        return std::borrow::Cow::Borrowed(body);
    }
    let mut transcoder = Transcoder::new(encoding.encoding);
    let mut text = Vec::new();
    let mut rest = body;
    loop {
        let piece = transcoder.step(rest, complete);
        text.extend_from_slice(piece.text);
        rest = rest.get(piece.read..).unwrap_or_default();
        if rest.is_empty() {
            return std::borrow::Cow::Owned(text);
        }
    }
}

impl Reading {
    fn feed<S: Sink>(&mut self, chunk: &[u8], last: bool, sink: &mut S) {
        self.bytes += chunk.len() as u64;
        let Reading { input, map, tokenizer, rows, .. } = self;
        match input {
            Input::Utf8 { pos } => {
                if let Some(i) = memchr::memrchr(0, chunk) {
                    rows.nul_before(*pos + i as u64 + 1);
                }
                let text = utf8_prefix(chunk);
                let mut emit = |raw: &RawRecord, buf: &[u8]| rows.record(raw, buf, text, sink);
                tokenizer.feed(chunk, *pos, map, &mut emit);
                *pos += chunk.len() as u64;
            }
            Input::Transcoded(transcoder) => {
                let mut rest = chunk;
                loop {
                    let piece = transcoder.step(rest, last);
                    if piece.replaced {
                        rows.replaced_before(piece.base + piece.text.len() as u64);
                    }
                    if let Some(i) = memchr::memrchr(0, piece.text) {
                        rows.nul_before(piece.base + i as u64 + 1);
                    }
                    let text = utf8_prefix(piece.text);
                    let mut emit = |raw: &RawRecord, buf: &[u8]| rows.record(raw, buf, text, sink);
                    tokenizer.feed(piece.text, piece.base, map, &mut emit);
                    rest = rest.get(piece.read..).unwrap_or_default();
                    if rest.is_empty() {
                        break;
                    }
                }
            }
        }
    }

    fn finish<S: Sink>(&mut self, sink: &mut S) -> Result<ReadSummary, FileError> {
        self.feed(&[], true, sink);
        let end = match &self.input {
            Input::Utf8 { pos } => *pos,
            Input::Transcoded(t) => t.pos(),
        };
        let Reading { map, tokenizer, rows, .. } = self;
        tokenizer.finish(end, map, &mut |raw: &RawRecord, buf: &[u8]| rows.record(raw, buf, "", sink));
        rows.finish(self.bytes, sink)
    }
}

/// The longest prefix of `bytes` that is valid UTF-8, checked in one pass when only a
/// character cut at the end stands in the way (as at most chunk ends).
fn utf8_prefix(bytes: &[u8]) -> &str {
    let tail = bytes.iter().rev().take(4).take_while(|&&b| (0x80..0xC0).contains(&b)).count();
    let cut = bytes.len().saturating_sub(if tail < 4 { tail + 1 } else { 0 });
    let head = match bytes.last() {
        Some(b) if b.is_ascii() => bytes,
        _ => bytes.get(..cut).unwrap_or_default(),
    };
    match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(head.get(..e.valid_up_to()).unwrap_or_default()).unwrap_or_default(),
    }
}
