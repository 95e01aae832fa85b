//! A file's preview: how its first bytes are read (encoding, dialect, header) and its first rows
//! with their problems, before any schema applies; what an importer shows while the user picks
//! how to read the file.

use crate::import::ImportError;
use crate::reader::{FileLayout, Reader, ReaderOptions, Row, Sink};
use serde::Serialize;

/// Rows previewed unless told otherwise.
pub const DEFAULT_PREVIEW_ROWS: usize = 20;

/// The layout and first rows of a file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// How the file is read; `None` when the bytes were too few to tell (never for a refusal,
    /// which is an error).
    pub layout: Option<FileLayout>,
    /// The first rows, in order.
    pub rows: Vec<PreviewRow>,
}

/// One row of a preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRow {
    /// The data row number.
    pub row: u64,
    /// The line it starts on (a workbook row's number in its sheet).
    pub line: u64,
    /// The fields as read.
    pub fields: Vec<String>,
    /// What is wrong with the row's shape (too few or too many fields), as sentences.
    pub problems: Vec<String>,
}

/// Reads `bytes`, the start of a file or a whole workbook, as a whole file with `options`, and
/// keeps its first `rows` rows. A workbook is read no further than them: unless the caller set
/// its own `stop_after_rows`, it is `rows`. Options that cannot be used are an
/// [`ImportError::Config`], a file that cannot be imported an [`ImportError::File`].
///
/// ```
/// use sluice_parser::preview::preview;
/// use sluice_parser::reader::ReaderOptions;
///
/// let found = preview(b"name;age\nAnn;31\nBob;42\n", &ReaderOptions::default(), 1)?;
/// assert_eq!(found.layout.expect("a layout").header.names, ["name", "age"]);
/// assert_eq!(found.rows[0].fields, ["Ann", "31"]);
/// assert_eq!(found.rows.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preview(bytes: &[u8], options: &ReaderOptions, rows: usize) -> Result<Preview, ImportError> {
    let mut options = options.clone();
    options.stop_after_rows = options.stop_after_rows.or(Some(rows as u64));
    let mut sink = Collect { limit: rows, preview: Preview::default() };
    let mut reader = Reader::new(&options)?;
    reader.feed(bytes, &mut sink)?;
    reader.finish(&mut sink)?;
    Ok(sink.preview)
}

/// Keeps the layout and the first `limit` rows.
struct Collect {
    limit: usize,
    preview: Preview,
}

impl Sink for Collect {
    fn layout(&mut self, layout: &FileLayout) {
        self.preview.layout = Some(layout.clone());
    }

    fn row(&mut self, row: &Row<'_>) {
        if self.preview.rows.len() < self.limit {
            self.preview.rows.push(PreviewRow {
                row: row.number(),
                line: row.position().line,
                fields: row.fields().map(str::to_owned).collect(),
                problems: row.problems().iter().map(ToString::to_string).collect(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(json: &str) -> ReaderOptions {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn as_many_rows_are_kept_as_asked() {
        let file: String =
            std::iter::once("n\n".to_owned()).chain((1..=30).map(|n| format!("{n}\n"))).collect();
        let defaults = ReaderOptions::default();
        assert_eq!(preview(file.as_bytes(), &defaults, DEFAULT_PREVIEW_ROWS).unwrap().rows.len(), 20);
        let three = preview(file.as_bytes(), &defaults, 3).unwrap();
        let numbers: Vec<u64> = three.rows.iter().map(|r| r.row).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert!(preview(file.as_bytes(), &defaults, 0).unwrap().rows.is_empty());
    }

    #[test]
    fn reader_options_decide_how_rows_are_read() {
        let found = preview(b"a|b\n1|2\n", &options(r#"{"delimiter": "|", "header": "none"}"#), 5).unwrap();
        let rows: Vec<&[String]> = found.rows.iter().map(|r| r.fields.as_slice()).collect();
        assert_eq!(rows, [["a", "b"], ["1", "2"]]);
    }

    #[test]
    fn a_callers_stop_after_rows_is_kept() {
        let found = preview(b"n\n1\n2\n3\n", &options(r#"{"stopAfterRows": 1}"#), 3).unwrap();
        assert_eq!(found.rows.len(), 1);
    }

    #[test]
    fn each_row_says_its_line_and_what_is_wrong_with_its_shape() {
        let found = preview(b"a,b\n1,2\n\"x\ny\",2,3\n4\n", &ReaderOptions::default(), 20).unwrap();
        let lines: Vec<u64> = found.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert!(found.rows[0].problems.is_empty());
        assert_eq!((found.rows[1].problems.len(), found.rows[2].problems.len()), (1, 1));
        assert_ne!(found.rows[1].problems, found.rows[2].problems);
    }

    #[test]
    fn a_file_that_cannot_be_read_is_refused_not_previewed() {
        let err = preview(b"", &ReaderOptions::default(), 20).unwrap_err();
        assert!(matches!(err, ImportError::File(_)), "{err}");
    }
}
