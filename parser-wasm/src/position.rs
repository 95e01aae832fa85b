//! Where something is in the original input: byte offset and line.

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
