//! Telling a file that is not text from a CSV file, before reading it: the signatures of the
//! binary formats users pick by mistake (spreadsheets, archives, documents, images), and NUL
//! bytes, which no text holds outside UTF-16 and UTF-32.

use crate::position::Position;
use serde::{Deserialize, Serialize};

/// A kind of file that is not CSV text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum BinaryKind {
    /// An Excel workbook (Office Open XML, `.xlsx`): a ZIP archive holding `xl/`.
    Xlsx,
    /// An OpenDocument spreadsheet (`.ods`).
    Ods,
    /// Any other ZIP archive (`.zip`, `.docx`, or a workbook whose `xl/` part comes late).
    Zip,
    /// An OLE compound file: an Excel 97–2003 workbook (`.xls`) or another old Office document.
    Xls,
    /// A PDF document.
    Pdf,
    /// A PNG image.
    Png,
    /// A JPEG image.
    Jpeg,
    /// A GIF image.
    Gif,
    /// A gzip-compressed file.
    Gzip,
    /// No known signature, but NUL bytes.
    Unknown,
}

/// Signatures at the start of a file, longest first where one begins another.
const SIGNATURES: &[(&[u8], BinaryKind)] = &[
    (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", BinaryKind::Xls),
    (b"\x89PNG\r\n\x1A\n", BinaryKind::Png),
    (b"PK\x03\x04", BinaryKind::Zip),
    (b"PK\x05\x06", BinaryKind::Zip),
    (b"PK\x07\x08", BinaryKind::Zip),
    (b"%PDF-", BinaryKind::Pdf),
    (b"GIF87a", BinaryKind::Gif),
    (b"GIF89a", BinaryKind::Gif),
    (b"\xFF\xD8\xFF", BinaryKind::Jpeg),
    (b"\x1F\x8B\x08", BinaryKind::Gzip),
];

impl BinaryKind {
    /// The kind of file `start` (the first bytes of a file) begins, if it is a known binary
    /// format. A ZIP archive is told apart as a spreadsheet by the names of its parts.
    pub fn of(start: &[u8]) -> Option<BinaryKind> {
        let kind = SIGNATURES.iter().find(|(magic, _)| start.starts_with(magic)).map(|&(_, kind)| kind)?;
        if kind != BinaryKind::Zip {
            return Some(kind);
        }
        let has = |needle: &[u8]| memchr::memmem::find(start, needle).is_some();
        Some(if has(b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet") {
            BinaryKind::Ods
        } else if has(b"xl/") {
            BinaryKind::Xlsx
        } else {
            BinaryKind::Zip
        })
    }

    /// The stable name of the kind (`xlsx`, `pdf`, …, `unknown`).
    pub fn code(&self) -> &'static str {
        match self {
            BinaryKind::Xlsx => "xlsx",
            BinaryKind::Ods => "ods",
            BinaryKind::Zip => "zip",
            BinaryKind::Xls => "xls",
            BinaryKind::Pdf => "pdf",
            BinaryKind::Png => "png",
            BinaryKind::Jpeg => "jpeg",
            BinaryKind::Gif => "gif",
            BinaryKind::Gzip => "gzip",
            BinaryKind::Unknown => "unknown",
        }
    }

    /// What the file is and what to do, to follow "this is".
    pub(crate) fn advice(&self) -> &'static str {
        match self {
            BinaryKind::Xlsx => {
                "an Excel workbook (.xlsx), not a CSV file; save it as CSV (in Excel: File, Save As, \
                 CSV UTF-8) and choose that file"
            }
            BinaryKind::Ods => {
                "an OpenDocument spreadsheet (.ods), not a CSV file; save it as CSV and choose that file"
            }
            BinaryKind::Xls => {
                "an Excel 97-2003 workbook (.xls) or another old Office document, not a CSV file; save \
                 it as CSV and choose that file"
            }
            BinaryKind::Zip => {
                "a ZIP archive (an Excel workbook is one too), not a CSV file; save a workbook as CSV, \
                 or extract the CSV file from the archive, and choose that file"
            }
            BinaryKind::Gzip => {
                "a gzip-compressed file, not a CSV file; decompress it and choose the CSV file"
            }
            BinaryKind::Pdf => "a PDF document, not a CSV file; export the data as CSV and choose that file",
            BinaryKind::Png => "a PNG image, not a CSV file; choose a CSV file",
            BinaryKind::Jpeg => "a JPEG image, not a CSV file; choose a CSV file",
            BinaryKind::Gif => "a GIF image, not a CSV file; choose a CSV file",
            BinaryKind::Unknown => "binary data, not a CSV file; choose a CSV file",
        }
    }
}

/// Where the first NUL byte of `bytes` (the start of a file) is, with its line as the reader
/// counts lines (CR, LF and CRLF each end one).
pub(crate) fn first_nul(bytes: &[u8]) -> Option<Position> {
    let at = memchr::memchr(0, bytes)?;
    let before = bytes.get(..at).unwrap_or_default();
    let ends = memchr::memchr2_iter(b'\n', b'\r', before)
        .filter(|&i| !(before.get(i) == Some(&b'\n') && i > 0 && before.get(i - 1) == Some(&b'\r')))
        .count();
    Some(Position { byte: at as u64, line: ends as u64 + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_formats_are_told_by_their_first_bytes() {
        let cases: &[(&[u8], BinaryKind)] = &[
            (
                b"PK\x03\x04\x14\0\x06\0\x08\0\0\0!\0[Content_Types].xml....PK\x03\x04xl/workbook.xml",
                BinaryKind::Xlsx,
            ),
            (
                b"PK\x03\x04\x14\0\0\0\0\0mimetypeapplication/vnd.oasis.opendocument.spreadsheet",
                BinaryKind::Ods,
            ),
            (b"PK\x03\x04\x14\0\0\0\x08\0data.csv", BinaryKind::Zip),
            (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0", BinaryKind::Xls),
            (b"%PDF-1.7\n", BinaryKind::Pdf),
            (b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR", BinaryKind::Png),
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF", BinaryKind::Jpeg),
            (b"GIF89a\x01\0", BinaryKind::Gif),
            (b"\x1F\x8B\x08\0", BinaryKind::Gzip),
        ];
        for &(bytes, kind) in cases {
            assert_eq!(BinaryKind::of(bytes), Some(kind), "{kind:?}");
        }
    }

    #[test]
    fn text_has_no_binary_kind() {
        for text in [&b"id,name\n1,Ann\n"[..], b"", b"PK,id\n", b"\xEF\xBB\xBFa,b\n", b"\xFF\xFEa\0", b"%PDF"]
        {
            assert_eq!(BinaryKind::of(text), None, "{text:?}");
        }
    }

    #[test]
    fn the_first_nul_is_placed_by_byte_and_line() {
        assert_eq!(first_nul(b"a,b\r\nc\0"), Some(Position { byte: 6, line: 2 }));
        assert_eq!(first_nul(b"a\rb\nc\r\n\0"), Some(Position { byte: 7, line: 4 }));
        assert_eq!(first_nul(b"\0"), Some(Position { byte: 0, line: 1 }));
        assert_eq!(first_nul(b"a,b\n"), None);
    }
}
