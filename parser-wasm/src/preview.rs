//! A file's preview: how its first bytes are read (encoding, dialect, header) and its first rows
//! with their problems, before any schema applies; what an importer shows while the user picks
//! how to read the file.

use crate::import::ImportError;
use crate::reader::{FileLayout, Reader, ReaderOptions, Row, Sink};
use serde::{Deserialize, Serialize};

/// Rows previewed unless told otherwise.
pub const DEFAULT_PREVIEW_ROWS: usize = 20;

/// What a preview is told. In JSON the reader options and `previewRows` side by side:
/// `{"delimiter": ";", "previewRows": 5}`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PreviewOptions {
    /// How the file is read.
    #[serde(flatten)]
    pub reader: ReaderOptions,
    /// How many rows to keep ([`DEFAULT_PREVIEW_ROWS`] when `None`).
    pub preview_rows: Option<usize>,
}

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

/// Reads `bytes`, the start of a file or a whole workbook, as a whole file, and keeps its
/// first rows. A workbook is read no further than them: unless the caller set its own
/// `stopAfterRows`, it is the preview's row count. Options that cannot be used are an
/// [`ImportError::Config`], a file that cannot be imported an [`ImportError::File`].
///
/// ```
/// use sluice_parser::preview::{PreviewOptions, preview};
///
/// let options = PreviewOptions { preview_rows: Some(1), ..PreviewOptions::default() };
/// let found = preview(b"name;age\nAnn;31\nBob;42\n", options)?;
/// assert_eq!(found.layout.expect("a layout").header.names, ["name", "age"]);
/// assert_eq!(found.rows[0].fields, ["Ann", "31"]);
/// assert_eq!(found.rows.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn preview(bytes: &[u8], options: PreviewOptions) -> Result<Preview, ImportError> {
    let limit = options.preview_rows.unwrap_or(DEFAULT_PREVIEW_ROWS);
    let mut reader_options = options.reader;
    reader_options.stop_after_rows = reader_options.stop_after_rows.or(Some(limit as u64));
    let mut sink = Collect { limit, preview: Preview::default() };
    let mut reader = Reader::new(&reader_options)?;
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

    fn options(json: &str) -> PreviewOptions {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn twenty_rows_are_kept_unless_told_otherwise() {
        let file: String =
            std::iter::once("n\n".to_owned()).chain((1..=30).map(|n| format!("{n}\n"))).collect();
        assert_eq!(
            preview(file.as_bytes(), PreviewOptions::default()).unwrap().rows.len(),
            DEFAULT_PREVIEW_ROWS
        );
        let three = preview(file.as_bytes(), options(r#"{"previewRows": 3}"#)).unwrap();
        let numbers: Vec<u64> = three.rows.iter().map(|r| r.row).collect();
        assert_eq!(numbers, [1, 2, 3]);
        assert!(preview(file.as_bytes(), options(r#"{"previewRows": 0}"#)).unwrap().rows.is_empty());
    }

    #[test]
    fn reader_options_sit_beside_the_row_count() {
        let found =
            preview(b"a|b\n1|2\n", options(r#"{"delimiter": "|", "header": "none", "previewRows": 5}"#))
                .unwrap();
        let rows: Vec<&[String]> = found.rows.iter().map(|r| r.fields.as_slice()).collect();
        assert_eq!(rows, [["a", "b"], ["1", "2"]]);
    }

    #[test]
    fn a_callers_stop_after_rows_is_kept() {
        let found = preview(b"n\n1\n2\n3\n", options(r#"{"stopAfterRows": 1, "previewRows": 3}"#)).unwrap();
        assert_eq!(found.rows.len(), 1);
    }

    #[test]
    fn each_row_says_its_line_and_what_is_wrong_with_its_shape() {
        let found = preview(b"a,b\n1,2\n\"x\ny\",2,3\n4\n", PreviewOptions::default()).unwrap();
        let lines: Vec<u64> = found.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 5]);
        assert!(found.rows[0].problems.is_empty());
        assert_eq!((found.rows[1].problems.len(), found.rows[2].problems.len()), (1, 1));
        assert_ne!(found.rows[1].problems, found.rows[2].problems);
    }

    #[test]
    fn a_file_that_cannot_be_read_is_refused_not_previewed() {
        let err = preview(b"", PreviewOptions::default()).unwrap_err();
        assert!(matches!(err, ImportError::File(_)), "{err}");
    }
}
