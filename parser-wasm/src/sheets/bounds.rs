//! A workbook's container, checked against the [`SheetLimits`] before calamine inflates or
//! allocates anything: the file's size; for a zip container (xlsx, xlsb, ods) its entry count,
//! each entry's declared inflated size and compression ratio and their total (the zip reader
//! then refuses to inflate an entry past its declared size), the shared strings' size and
//! count, and an OpenDocument sheet's expanded area; an encrypted workbook is told apart.

use crate::binary::BinaryKind;
use crate::error::FileError;
use crate::limits::SheetLimits;
use crate::position::Position;
use crate::reader::Format;
use quick_xml::events::{BytesStart, Event};
use std::io::{Cursor, Read};

/// Entries smaller than this when inflated are not held to the compression ratio: small XML
/// parts compress far better than data does.
const RATIO_FLOOR: u64 = 1 << 20;

/// The OLE compound file signature (xls, and encrypted OOXML workbooks).
const CFB: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// Which reader a workbook needs, once its container passed the limits.
pub(crate) fn check(bytes: &[u8], limits: &SheetLimits) -> Result<Format, FileError> {
    let size = bytes.len() as u64;
    over("maxWorkbookBytes", size, limits.max_workbook_bytes)?;
    if bytes.starts_with(CFB) {
        return compound(bytes);
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| damaged(bytes))?;
    over("maxZipEntries", archive.len() as u64, limits.max_zip_entries)?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| damaged(bytes))?;
        let (inflated, compressed) = (entry.size(), entry.compressed_size());
        over("maxEntryBytes", inflated, limits.max_entry_bytes)?;
        total = total.saturating_add(inflated);
        if inflated > RATIO_FLOOR {
            over("maxCompressionRatio", inflated / compressed.max(1), limits.max_compression_ratio)?;
        }
    }
    over("maxInflatedBytes", total, limits.max_inflated_bytes)?;
    let format = zip_format(&archive)?;
    match format {
        Format::Xlsx | Format::Xlsm => shared_strings(&mut archive, limits)?,
        Format::Ods => opendocument_area(&mut archive, limits)?,
        _ => {}
    }
    Ok(format)
}

/// A zip archive that cannot be opened: a damaged workbook when its first bytes name one,
/// otherwise an archive of some other kind.
fn damaged(bytes: &[u8]) -> FileError {
    match BinaryKind::of(bytes) {
        Some(BinaryKind::Xlsx) => FileError::Unreadable { format: "xlsx" },
        Some(BinaryKind::Ods) => FileError::Unreadable { format: "ods" },
        _ => FileError::Binary { kind: BinaryKind::Zip, at: Position::START },
    }
}

/// `Err` when `found` is over `max`.
pub(crate) fn over(limit: &'static str, found: u64, max: u64) -> Result<(), FileError> {
    match found > max {
        true => Err(FileError::WorkbookLimit { limit, max, found }),
        false => Ok(()),
    }
}

/// An OLE compound file: an xls workbook, or an OOXML workbook encrypted with a password
/// (which is stored as a compound file holding an `EncryptedPackage` stream).
fn compound(bytes: &[u8]) -> Result<Format, FileError> {
    let name: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
    match memchr::memmem::find(bytes, &name) {
        Some(_) => Err(FileError::PasswordProtected),
        None => Ok(Format::Xls),
    }
}

/// The workbook format a zip archive holds, by its parts' names.
fn zip_format<R: Read + std::io::Seek>(archive: &zip::ZipArchive<R>) -> Result<Format, FileError> {
    let has = |name: &str| archive.index_for_name(name).is_some();
    if has("xl/workbook.bin") {
        Ok(Format::Xlsb)
    } else if has("xl/workbook.xml") {
        Ok(if has("xl/vbaProject.bin") { Format::Xlsm } else { Format::Xlsx })
    } else if has("content.xml") && has("mimetype") {
        Ok(Format::Ods)
    } else if has("EncryptionInfo") {
        Err(FileError::PasswordProtected)
    } else {
        Err(FileError::Binary { kind: BinaryKind::Zip, at: Position::START })
    }
}

/// An entry inflated whole: its declared size was checked, and the zip reader stops at it.
fn inflate<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    index: usize,
    format: &'static str,
) -> Result<Vec<u8>, FileError> {
    let mut entry = archive.by_index(index).map_err(|_| FileError::Unreadable { format })?;
    let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
    entry.read_to_end(&mut bytes).map_err(|_| FileError::Unreadable { format })?;
    Ok(bytes)
}

/// The shared strings (every distinct text of an xlsx file, which calamine holds in memory):
/// their size, then their count, before calamine reads them.
fn shared_strings<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    limits: &SheetLimits,
) -> Result<(), FileError> {
    let found = (0..archive.len()).find(|&i| {
        let name = archive.name_for_index(i).and_then(Result::ok);
        name.is_some_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
    });
    let Some(index) = found else { return Ok(()) };
    let size = archive.by_index_raw(index).map(|e| e.size()).unwrap_or(0);
    over("maxSharedStringBytes", size, limits.max_shared_string_bytes)?;
    let xml = inflate(archive, index, "xlsx")?;
    let count =
        memchr::memmem::find_iter(&xml, b"<si>").count() + memchr::memmem::find_iter(&xml, b"<si ").count();
    over("maxSharedStrings", count as u64, limits.max_shared_strings)
}

/// The area calamine would expand each OpenDocument sheet to: rows and columns repeated by
/// `number-rows-repeated` and `number-columns-repeated`, from the first cell with content to
/// the last, in both directions (as calamine builds its range).
fn opendocument_area<R: Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    limits: &SheetLimits,
) -> Result<(), FileError> {
    let Some(index) = archive.index_for_name("content.xml") else { return Ok(()) };
    let xml = inflate(archive, index, "ods")?;
    let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
    let mut buf = Vec::new();
    let mut sheet = Extent::default();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|_| FileError::Unreadable { format: "ods" })?;
        match event {
            Event::Start(e) if e.name().0 == "table:table" => sheet = Extent::default(),
            Event::End(e) if e.name().0 == "table:table" => sheet.check(limits)?,
            Event::Start(e) if e.name().0 == "table:table-row" => sheet.row_start(repeats(&e, "rows")),
            Event::Empty(e) if e.name().0 == "table:table-row" => {
                sheet.row_start(repeats(&e, "rows"));
                sheet.row_end(limits)?;
            }
            Event::End(e) if e.name().0 == "table:table-row" => sheet.row_end(limits)?,
            // A cell with children holds text paragraphs (content); an empty element has
            // content only when it says it has a value type.
            Event::Start(e) if is_cell(&e) => sheet.cell(repeats(&e, "columns"), true),
            Event::Empty(e) if is_cell(&e) => sheet.cell(repeats(&e, "columns"), has_value(&e)),
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

fn is_cell(e: &BytesStart<'_>) -> bool {
    matches!(e.name().0, "table:table-cell" | "table:covered-table-cell")
}

/// Whether a cell element says it has a value (`office:value-type`).
fn has_value(e: &BytesStart<'_>) -> bool {
    e.try_get_attribute("office:value-type").ok().flatten().is_some()
}

/// A row's or a cell's repeat count (`number-rows-repeated`, `number-columns-repeated`).
fn repeats(e: &BytesStart<'_>, what: &str) -> u64 {
    let name = format!("table:number-{what}-repeated");
    let value = e.try_get_attribute(name.as_str()).ok().flatten();
    value.and_then(|a| a.value.parse().ok()).unwrap_or(1).max(1)
}

/// Where an OpenDocument sheet's content is, in expanded rows and columns.
#[derive(Default)]
struct Extent {
    /// The next row's index, repeats expanded.
    row: u64,
    /// The current row's repeat count.
    row_repeats: u64,
    /// The next cell's column index in the current row.
    column: u64,
    /// The current row's content: first and last column.
    row_content: Option<(u64, u64)>,
    /// The sheet's content: first and last row, first and last column.
    rows: Option<(u64, u64)>,
    columns: Option<(u64, u64)>,
}

impl Extent {
    fn row_start(&mut self, repeats: u64) {
        self.row_repeats = repeats;
        self.column = 0;
        self.row_content = None;
    }

    fn cell(&mut self, repeats: u64, content: bool) {
        if content {
            let last = self.column.saturating_add(repeats - 1);
            let (first, _) = self.row_content.unwrap_or((self.column, last));
            self.row_content = Some((first.min(self.column), last));
        }
        self.column = self.column.saturating_add(repeats);
    }

    fn row_end(&mut self, limits: &SheetLimits) -> Result<(), FileError> {
        if let Some((first, last)) = self.row_content {
            let end = self.row.saturating_add(self.row_repeats - 1);
            let (top, _) = self.rows.unwrap_or((self.row, end));
            self.rows = Some((top, end));
            let (left, right) = self.columns.unwrap_or((first, last));
            self.columns = Some((left.min(first), right.max(last)));
        }
        self.row = self.row.saturating_add(self.row_repeats);
        self.row_content = None;
        self.check(limits)
    }

    fn check(&self, limits: &SheetLimits) -> Result<(), FileError> {
        let (Some((top, bottom)), Some((left, right))) = (self.rows, self.columns) else { return Ok(()) };
        let rows = bottom - top + 1;
        over("maxRows", rows, limits.max_rows)?;
        over("maxCells", rows.saturating_mul(right - left + 1), limits.max_cells)
    }
}
