//! Limits that bound memory whatever the input: field size, record size, column count.

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
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_field_bytes: 1 << 20, max_record_bytes: 8 << 20, max_columns: 10_000 }
    }
}
