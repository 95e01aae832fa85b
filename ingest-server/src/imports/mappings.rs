//! Column mappings remembered per importer: the widget's choice for a file layout, kept so that
//! a file with the same headers maps itself the next time, on any device. The layout is a hash
//! the widget makes (SHA-256, hex, of the importer key and the normalised header names); the
//! mapping is field key → header index. No header name and no cell value reaches the server.

use super::internal::json_problem;
use super::{ImportError, Imports, Internal};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most mappings kept per importer; the least recently used are forgotten first.
pub const MAX_MAPPINGS: u32 = 500;

/// The highest header index a mapping may name (the parser's column limit is far below).
const MAX_HEADER_INDEX: u32 = 100_000;

/// The longest field key (the schema's limit).
const MAX_KEY_CHARS: usize = 128;

/// A remembered mapping: schema field key → header index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RememberedMapping {
    /// Field key → index of the header that feeds it.
    pub fields: BTreeMap<String, u32>,
}

impl Imports {
    /// The mapping remembered for the header set `hash` of importer `key`, if any.
    pub fn remembered_mapping(
        &self,
        key: &str,
        hash: &str,
        now: i64,
    ) -> Result<Option<RememberedMapping>, ImportError> {
        self.importer(key)?;
        check_hash(hash)?;
        let Some(json) = self.store.remembered_mapping(key, hash, now)? else { return Ok(None) };
        let mapping = serde_json::from_str(&json).map_err(|e| Internal::RememberedMapping {
            importer: key.to_owned(),
            problem: json_problem(&e),
        })?;
        Ok(Some(mapping))
    }

    /// Remembers `mapping` for the header set `hash` of importer `key`.
    pub fn remember_mapping(
        &self,
        key: &str,
        hash: &str,
        mapping: &RememberedMapping,
        now: i64,
    ) -> Result<(), ImportError> {
        let importer = self.importer(key)?;
        check_hash(hash)?;
        let most = importer.schema().columns().len() + super::MAX_DYNAMIC_COLUMNS;
        check_fields(mapping, most)?;
        let json = serde_json::to_string(mapping)
            .map_err(|e| Internal::Encode { what: "a remembered mapping", problem: json_problem(&e) })?;
        self.store.remember_mapping(key, hash, &json, now, MAX_MAPPINGS)?;
        Ok(())
    }
}

/// A header set's hash: 64 lowercase hex digits.
fn check_hash(hash: &str) -> Result<(), ImportError> {
    let hex = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if hex {
        return Ok(());
    }
    Err(ImportError::BadRequest("the header set's hash must be 64 lowercase hex digits (SHA-256)".to_owned()))
}

/// At most `most` fields, each a key of at most 128 characters and a header index in range.
fn check_fields(mapping: &RememberedMapping, most: usize) -> Result<(), ImportError> {
    let bad = |reason: String| Err(ImportError::BadRequest(reason));
    if mapping.fields.len() > most {
        return bad(format!("a mapping names at most {most} fields for this importer"));
    }
    for (key, index) in &mapping.fields {
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return bad(format!("a field key must be 1 to {MAX_KEY_CHARS} characters"));
        }
        if *index > MAX_HEADER_INDEX {
            return bad(format!("a header index must be at most {MAX_HEADER_INDEX}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_sha256_hex_and_fields_are_bounded() {
        assert!(check_hash(&"ab".repeat(32)).is_ok());
        for bad in ["", "AB".repeat(32).as_str(), &"a".repeat(63), &"g".repeat(64), "../x"] {
            assert!(check_hash(bad).is_err(), "{bad:?}");
        }
        let mapping = |pairs: &[(&str, u32)]| RememberedMapping {
            fields: pairs.iter().map(|(k, i)| ((*k).to_owned(), *i)).collect(),
        };
        assert!(check_fields(&mapping(&[("email", 3), ("id", 0)]), 2).is_ok());
        assert!(check_fields(&mapping(&[("email", 3), ("id", 0)]), 1).is_err());
        assert!(check_fields(&mapping(&[("", 3)]), 5).is_err());
        assert!(check_fields(&mapping(&[("email", MAX_HEADER_INDEX + 1)]), 5).is_err());
        let long = "k".repeat(MAX_KEY_CHARS + 1);
        assert!(check_fields(&mapping(&[(long.as_str(), 1)]), 5).is_err());
    }
}
