//! Where something is in the original input: byte offset and line for text, a cell for a
//! spreadsheet.

use serde::{Deserialize, Serialize};

/// A place in the original input.
///
/// `byte` counts bytes of the file as it was given (a byte order mark included, before any
/// transcoding), so a caller can seek to it; `line` counts line terminators before the place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    /// Byte offset in the original input, starting at 0.
    pub byte: u64,
    /// Line number, starting at 1.
    pub line: u64,
}

impl Position {
    /// The start of the input.
    pub const START: Position = Position { byte: 0, line: 1 };
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}, byte {}", self.line, self.byte)
    }
}

/// A cell of a spreadsheet: the sheet's name, the row as the sheet numbers it (from 1) and
/// the column (from 0, shown as `A`, `B`, … `AA`). Shown as `Sheet1!C12`, the sheet's name
/// quoted when it holds anything but letters, digits and `_` (`'Q1 sales'!C12`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CellRef<'a> {
    /// The sheet's name.
    pub sheet: &'a str,
    /// The row, from 1.
    pub row: u64,
    /// The column, from 0.
    pub column: u32,
}

impl std::fmt::Display for CellRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let plain = !self.sheet.is_empty() && self.sheet.chars().all(|c| c.is_alphanumeric() || c == '_');
        match plain {
            true => write!(f, "{}!", self.sheet)?,
            false => write!(f, "'{}'!", self.sheet.replace('\'', "''"))?,
        }
        write!(f, "{}{}", column_name(self.column), self.row)
    }
}

/// A column's letters as spreadsheets show them: 0 is `A`, 25 `Z`, 26 `AA`.
pub fn column_name(column: u32) -> String {
    let mut letters = Vec::new();
    let mut n = u64::from(column) + 1;
    while n > 0 {
        let digit = (n - 1) % 26;
        letters.push(char::from(b'A' + digit as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_as_spreadsheets_name_them() {
        let names: Vec<String> = [0, 25, 26, 51, 701, 702, 16_383].into_iter().map(column_name).collect();
        assert_eq!(names, ["A", "Z", "AA", "AZ", "ZZ", "AAA", "XFD"]);
        assert_eq!(CellRef { sheet: "Sheet1", row: 12, column: 2 }.to_string(), "Sheet1!C12");
        assert_eq!(CellRef { sheet: "Q1 'sales'", row: 4, column: 0 }.to_string(), "'Q1 ''sales'''!A4");
    }
}
