//! User fixes to apply while validating: new values for cells and rows to leave out, keyed by
//! data row number and column key, as the widget's review grid produces them, and column rules
//! (bulk fixes) for every row.

mod regex_error;
mod rules;

pub use rules::Rule;
pub(crate) use rules::Rules;

use crate::error::ConfigError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Fixes for one file.
///
/// In JSON: `{"set": {"17": {"email": "ann@example.com"}}, "delete": [5, 9], "rules": [{"kind":
/// "trim"}]}`. Row numbers are data row numbers (1 = the first row after the header); keys are
/// schema column keys.
///
/// Order: the rules apply, in order, to the file's value of a schema column; a cell in `set`
/// takes its value as the user typed it instead (an edit wins over every rule); then the value is
/// checked. Deleted rows are neither fixed nor counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Patches {
    /// New cell values: row → column key → value (checked like any other value).
    pub set: BTreeMap<u64, BTreeMap<String, String>>,
    /// Rows left out of the import.
    pub delete: BTreeSet<u64>,
    /// Column rules, applied in order (see [`Rule`]).
    pub rules: Vec<Rule>,
}

impl Patches {
    /// Whether there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.delete.is_empty() && self.rules.is_empty()
    }

    /// Checks the fixes against a schema with these column keys and compiles the rules.
    pub(crate) fn compile(&self, keys: &[&str]) -> Result<Rules, ConfigError> {
        if let Some((row, key)) = self.unknown_key(keys) {
            return Err(ConfigError::option(
                "patches",
                format!("row {row}: {key:?} is not a column of the schema"),
            ));
        }
        Rules::compile(&self.rules, keys)
    }

    /// Sets the value of one cell.
    pub fn set_value(&mut self, row: u64, key: &str, value: &str) -> &mut Self {
        self.set.entry(row).or_default().insert(key.to_owned(), value.to_owned());
        self
    }

    /// Leaves a row out.
    pub fn delete_row(&mut self, row: u64) -> &mut Self {
        self.delete.insert(row);
        self
    }

    /// The fixes for `row`, if any.
    pub(crate) fn row(&self, row: u64) -> Option<&BTreeMap<String, String>> {
        self.set.get(&row)
    }

    /// Whether `row` is left out.
    pub(crate) fn deleted(&self, row: u64) -> bool {
        self.delete.contains(&row)
    }

    /// The first column key that is not in `known`, with its row.
    fn unknown_key<'a>(&'a self, known: &[&str]) -> Option<(u64, &'a str)> {
        self.set
            .iter()
            .flat_map(|(row, cells)| cells.keys().map(move |k| (*row, k.as_str())))
            .find(|(_, k)| !known.contains(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patches_read_from_json_with_numeric_row_keys() {
        let p: Patches =
            serde_json::from_str(r#"{"set": {"17": {"email": "a@b.io"}}, "delete": [5]}"#).unwrap();
        let mut expected = Patches::default();
        expected.set_value(17, "email", "a@b.io").delete_row(5);
        assert_eq!(p, expected);
        assert!(p.deleted(5) && !p.deleted(17));
        assert_eq!(p.unknown_key(&["email"]), None);
        assert_eq!(p.unknown_key(&["name"]), Some((17, "email")));
    }
}
