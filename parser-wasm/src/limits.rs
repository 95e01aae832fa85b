//! Limits that bound memory whatever the input: field size, record size, column count, and
//! for workbooks the sizes of their parts, their shared strings and their sheets.

use serde::{Deserialize, Serialize};

/// Limits on what one record may hold. Crossing one is a positioned error on that record and
/// never grows memory past the limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Limits {
    /// Largest field, in bytes of UTF-8 (1 MiB by default).
    pub max_field_bytes: usize,
    /// Largest record, in bytes of UTF-8 over all its fields (8 MiB by default).
    pub max_record_bytes: usize,
    /// Most fields in one record (10,000 by default).
    pub max_columns: usize,
    /// What a workbook may hold.
    pub sheets: SheetLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 1 << 20,
            max_record_bytes: 8 << 20,
            max_columns: 10_000,
            sheets: SheetLimits::default(),
        }
    }
}

/// Limits on a workbook (xlsx, xlsb, xls, ods), checked before the part they bound is inflated
/// or allocated: a workbook is read whole, so these bound its memory. Crossing one refuses the
/// file with a [`FileError::WorkbookLimit`](crate::error::FileError::WorkbookLimit) naming it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SheetLimits {
    /// The workbook file's size (100 MiB).
    pub max_workbook_bytes: u64,
    /// Parts (zip entries) in an xlsx, xlsb or ods file (10,000).
    pub max_zip_entries: u64,
    /// One part's inflated size, as declared and as read (512 MiB).
    pub max_entry_bytes: u64,
    /// All parts' inflated size together, as declared (1 GiB).
    pub max_inflated_bytes: u64,
    /// A part's inflated size over its compressed size, for parts over 1 MiB inflated (200).
    pub max_compression_ratio: u64,
    /// Shared strings (the text cells' table) in an xlsx file (5,000,000).
    pub max_shared_strings: u64,
    /// The shared strings' inflated size (128 MiB).
    pub max_shared_string_bytes: u64,
    /// Rows a sheet may declare or hold (1,048,576, Excel's own limit).
    pub max_rows: u64,
    /// Cells read from one sheet, empty ones inside rows included, and cells a sheet's
    /// declared dimension may span (20,000,000).
    pub max_cells: u64,
}

impl Default for SheetLimits {
    fn default() -> Self {
        SheetLimits {
            max_workbook_bytes: 100 << 20,
            max_zip_entries: 10_000,
            max_entry_bytes: 512 << 20,
            max_inflated_bytes: 1 << 30,
            max_compression_ratio: 200,
            max_shared_strings: 5_000_000,
            max_shared_string_bytes: 128 << 20,
            max_rows: 1 << 20,
            max_cells: 20_000_000,
        }
    }
}
