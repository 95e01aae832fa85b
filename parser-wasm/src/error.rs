//! Errors a caller can make: configuration (options, schemas) and misuse of a streaming API;
//! and files that cannot be imported at all (empty, without data rows, binary, too wide).
//! Problems in rows are not errors of this kind: they are part of the output, with positions.

use crate::binary::BinaryKind;
use crate::position::Position;

/// A configuration error: an option or a schema that cannot be used. The message names the
/// option, or the schema column and field, and says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A reader or import option.
    Option {
        /// The option's name, as written in JSON (`"fallbackEncoding"`, `"limits.maxColumns"`).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A schema that is not valid JSON or TOML, or does not have the schema's shape.
    SchemaSyntax {
        /// `"JSON"` or `"TOML"`.
        format: &'static str,
        /// Where, as `line L, column C`, when known.
        location: Option<(usize, usize)>,
        /// The path of the field (`columns[2].min`), when known.
        path: String,
        /// What the parser said.
        message: String,
    },
    /// A field of one schema column.
    SchemaColumn {
        /// The column's key, or `#N` when it has none.
        column: String,
        /// The field of the column (`"max"`, `"formats[1]"`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field of the schema outside any column.
    Schema {
        /// The field (`"version"`, `"columns"`).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ConfigError {
    pub(crate) fn option(name: &str, reason: String) -> Self {
        ConfigError::Option { name: name.to_owned(), reason }
    }

    pub(crate) fn column(column: &str, field: &str, reason: impl Into<String>) -> Self {
        ConfigError::SchemaColumn {
            column: column.to_owned(),
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn schema(field: &str, reason: impl Into<String>) -> Self {
        ConfigError::Schema { field: field.to_owned(), reason: reason.into() }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Option { name, reason } => write!(f, "option {name:?}: {reason}"),
            ConfigError::SchemaSyntax { format, location, path, message } => {
                write!(f, "schema ({format})")?;
                if let Some((line, column)) = location {
                    write!(f, " at line {line}, column {column}")?;
                }
                if !path.is_empty() && path != "." {
                    write!(f, ", field {path}")?;
                }
                write!(f, ": {message}")
            }
            ConfigError::SchemaColumn { column, field, reason } => {
                write!(f, "schema column {column:?}, field {field:?}: {reason}")
            }
            ConfigError::Schema { field, reason } => write!(f, "schema field {field:?}: {reason}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A streaming API used out of order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UsageError {
    /// `feed` or `finish` was called after `finish`.
    Finished,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UsageError::Finished => {
                f.write_str("the input was already finished; create a new parser to read another file")
            }
        }
    }
}

impl std::error::Error for UsageError {}

/// Why a file cannot be imported at all. Unlike a problem in a row, it stops the read: nothing
/// in the file, a header and no data rows, a file that is not text, or a header wider than the
/// limit. Each has a stable [`code`](FileError::code); the message says where and what to do,
/// and never holds anything from the file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileError {
    /// No record with any content: nothing, a byte order mark, blank lines, comments.
    Empty,
    /// No data rows (a header only); `header` is where the header row starts, when there is one.
    NoDataRows {
        /// Where the header row starts.
        header: Option<Position>,
    },
    /// Not text: a known binary format by its first bytes, or NUL bytes.
    Binary {
        /// What the file is.
        kind: BinaryKind,
        /// Where: the start of the file for a signature; the NUL byte (or the field holding it).
        at: Position,
    },
    /// The header row (or, without one, the first row) has more columns than the limit.
    TooManyColumns {
        /// The limit (`limits.maxColumns`).
        limit: usize,
        /// Where the row starts.
        at: Position,
        /// Whether the row is the header (otherwise the first data row of a file without one).
        header: bool,
    },
    /// A workbook crosses one of the [`SheetLimits`](crate::limits::SheetLimits), found before
    /// the part in question is inflated or allocated.
    WorkbookLimit {
        /// The limit's name, as in `limits.sheets` (`maxZipEntries`, `maxCells`, …).
        limit: &'static str,
        /// The limit's value.
        max: u64,
        /// What the workbook has or declares (at least this much).
        found: u64,
    },
    /// The workbook is encrypted with a password; it has to be saved without one first.
    PasswordProtected,
    /// The workbook has no sheet with cells: only charts, or no sheets at all.
    NoWorksheets,
    /// The sheet asked for is not in the workbook.
    SheetNotFound {
        /// How many sheets the workbook has.
        sheets: usize,
    },
    /// The sheet asked for has no cells with a value.
    EmptySheet,
    /// The workbook cannot be read: it is damaged, or its container is not a spreadsheet.
    Unreadable {
        /// The format it was read as (`xlsx`, `xls`, `ods`, `xlsb`).
        format: &'static str,
    },
}

impl FileError {
    /// The stable code: `empty_file`, `no_data_rows`, `binary_file`, `too_many_columns`, and
    /// for workbooks `workbook_limit`, `password_protected`, `no_worksheets`,
    /// `sheet_not_found`, `empty_sheet` or `unreadable_workbook`.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::Empty => "empty_file",
            FileError::NoDataRows { .. } => "no_data_rows",
            FileError::Binary { .. } => "binary_file",
            FileError::TooManyColumns { .. } => "too_many_columns",
            FileError::WorkbookLimit { .. } => "workbook_limit",
            FileError::PasswordProtected => "password_protected",
            FileError::NoWorksheets => "no_worksheets",
            FileError::SheetNotFound { .. } => "sheet_not_found",
            FileError::EmptySheet => "empty_sheet",
            FileError::Unreadable { .. } => "unreadable_workbook",
        }
    }

    /// Where in the file, when the error is about one place.
    pub fn position(&self) -> Option<Position> {
        match *self {
            FileError::Empty
            | FileError::WorkbookLimit { .. }
            | FileError::PasswordProtected
            | FileError::NoWorksheets
            | FileError::SheetNotFound { .. }
            | FileError::EmptySheet
            | FileError::Unreadable { .. } => None,
            FileError::NoDataRows { header } => header,
            FileError::Binary { at, .. } | FileError::TooManyColumns { at, .. } => Some(at),
        }
    }
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileError::Empty => {
                f.write_str("the file is empty: it has no header and no rows; choose a file with data")
            }
            FileError::NoDataRows { header: Some(at) } => write!(
                f,
                "the file has a header row ({at}) but no data rows below it; add rows, or choose \
                 another file"
            ),
            FileError::NoDataRows { header: None } => {
                f.write_str("the file has no data rows; add rows, or choose another file")
            }
            FileError::Binary { kind: BinaryKind::Unknown, at } => write!(
                f,
                "the file is not text: it holds a NUL byte ({at}), which a CSV file never does; \
                 choose a CSV file (a text file saved as UTF-16 or UTF-32 may look like this: \
                 save it as UTF-8)"
            ),
            FileError::Binary { kind, .. } => write!(f, "this is {}", kind.advice()),
            FileError::TooManyColumns { limit, at, header } => write!(
                f,
                "the {} ({at}) has more than {limit} columns, the most a file may have; remove \
                 columns or split the file",
                if *header { "header row" } else { "first row" }
            ),
            FileError::WorkbookLimit { limit, max, found } => write!(
                f,
                "the workbook is too large to read safely: {} is {found}, over the limit of {max} \
                 (limits.sheets.{limit}); save the sheet you need as a smaller workbook or as CSV",
                limit_subject(limit)
            ),
            FileError::PasswordProtected => f.write_str(
                "the workbook is protected with a password; open it in your spreadsheet program, \
                 remove the password (or save a copy as CSV), and choose that file",
            ),
            FileError::NoWorksheets => f.write_str(
                "the workbook has no sheet with cells (only charts, or nothing); choose a workbook \
                 with a table of data",
            ),
            FileError::SheetNotFound { sheets } => write!(
                f,
                "the chosen sheet is not in this workbook, which has {sheets} sheet(s); choose one \
                 of them"
            ),
            FileError::EmptySheet => {
                f.write_str("the chosen sheet is empty: no cell has a value; choose another sheet")
            }
            FileError::Unreadable { format } => write!(
                f,
                "the file looks like a spreadsheet ({format}) but cannot be read: it is damaged or \
                 incomplete; open it in your spreadsheet program and save it again"
            ),
        }
    }
}

/// What a workbook limit counts, in words.
fn limit_subject(limit: &str) -> &'static str {
    match limit {
        "maxWorkbookBytes" => "the file's size in bytes",
        "maxZipEntries" => "the number of parts in the file",
        "maxEntryBytes" => "a part's inflated size in bytes",
        "maxInflatedBytes" => "the total inflated size in bytes",
        "maxCompressionRatio" => "a part's compression ratio",
        "maxSharedStrings" => "the number of shared strings",
        "maxSharedStringBytes" => "the shared strings' size in bytes",
        "maxRows" => "the sheet's declared row count",
        "maxCells" => "the sheet's cell count",
        _ => "a part of the workbook",
    }
}

impl std::error::Error for FileError {}

/// As JSON: `{"code", "message"}` and, when the error has them, `kind`, `line`, `byte`,
/// `limit` and `limitName`, for a caller that shows the error in its own words.
impl serde::Serialize for FileError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Details {
            code: &'static str,
            message: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            kind: Option<&'static str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            line: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            byte: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            limit: Option<u64>,
            #[serde(rename = "limitName", skip_serializing_if = "Option::is_none")]
            limit_name: Option<&'static str>,
        }
        let at = self.position();
        let details = Details {
            code: self.code(),
            message: self.to_string(),
            kind: match self {
                FileError::Binary { kind, .. } => Some(kind.code()),
                _ => None,
            },
            line: at.map(|p| p.line),
            byte: at.map(|p| p.byte),
            limit: match self {
                FileError::TooManyColumns { limit, .. } => Some(*limit as u64),
                FileError::WorkbookLimit { max, .. } => Some(*max),
                _ => None,
            },
            limit_name: match self {
                FileError::WorkbookLimit { limit, .. } => Some(limit),
                _ => None,
            },
        };
        details.serialize(s)
    }
}

/// Why a [`Reader`](crate::reader::Reader) stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// The reader was used out of order.
    Usage(UsageError),
    /// The file cannot be imported; the reader goes on refusing it.
    File(FileError),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Usage(e) => e.fmt(f),
            ReadError::File(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<UsageError> for ReadError {
    fn from(e: UsageError) -> Self {
        ReadError::Usage(e)
    }
}

impl From<FileError> for ReadError {
    fn from(e: FileError) -> Self {
        ReadError::File(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_file_serialises_with_its_code_message_and_place() {
        let at = Position { byte: 11, line: 2 };
        let json = |e: &FileError| serde_json::to_value(e).unwrap();
        let binary = FileError::Binary { kind: BinaryKind::Xlsx, at: Position::START };
        let expected = serde_json::json!({
            "code": "binary_file", "kind": "xlsx", "line": 1, "byte": 0, "message": binary.to_string(),
        });
        assert_eq!(json(&binary), expected);
        let wide = FileError::TooManyColumns { limit: 10, at, header: true };
        assert_eq!((json(&wide)["limit"].as_u64(), json(&wide)["line"].as_u64()), (Some(10), Some(2)));
        assert_eq!(
            json(&FileError::Empty),
            serde_json::json!({"code": "empty_file", "message": FileError::Empty.to_string()})
        );
        assert_eq!(json(&FileError::NoDataRows { header: None })["code"], "no_data_rows");
    }
}
