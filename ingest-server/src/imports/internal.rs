//! What failed inside the import domain, typed: which part of which import, and why, so that an
//! operator's log tells a damaged keystore from a batch that does not open. No cause carries a
//! value from a row: only import ids, importer keys, sequence numbers, key purposes, and the
//! fixed reasons of decoders (JSON errors are reduced to their category and position, since
//! serde's own message quotes the value it did not expect).

use crate::crypto::{self, Item};
use crate::store::{KeyPurpose, StoreError};
use std::fmt;

/// A failure inside the server while handling imports: logged in full, never shown to a client.
#[derive(Debug)]
#[non_exhaustive]
pub enum Internal {
    /// The store failed other than by being full or unavailable; it keeps its
    /// [`ErrorKind`](crate::store::ErrorKind).
    Store(StoreError),
    /// The keystore holds no key of `purpose` for the import.
    KeyMissing {
        /// The import.
        import: String,
        /// Which key.
        purpose: KeyPurpose,
    },
    /// The import's wrapped key does not open under the master key.
    KeyDoesNotOpen {
        /// The import.
        import: String,
        /// Which key.
        purpose: KeyPurpose,
    },
    /// The stored id of the import's data key is not 16 bytes long.
    KeyIdLength {
        /// The import.
        import: String,
        /// Its length in bytes.
        len: usize,
    },
    /// A new key of the import could not be wrapped under the master key.
    KeyWrap {
        /// The import.
        import: String,
        /// Which key.
        purpose: KeyPurpose,
        /// Why.
        source: crypto::Error,
    },
    /// Something random could not be made: the system's random number generator failed.
    Generate {
        /// What was being made: `"an import id"`, `"a data key"`, …
        what: &'static str,
        /// Why.
        source: crypto::Error,
    },
    /// A sealed item that the import's records name is not stored.
    SealedMissing {
        /// The import.
        import: String,
        /// The item.
        item: Item,
    },
    /// A stored item does not open under the import's data key.
    SealedDoesNotOpen {
        /// The import.
        import: String,
        /// The item.
        item: Item,
    },
    /// An item could not be sealed under the import's data key.
    Seal {
        /// The import.
        import: String,
        /// The item.
        item: Item,
        /// Why.
        source: crypto::Error,
    },
    /// An item could not be packed (compressed) for storage.
    Pack {
        /// The import.
        import: String,
        /// The item.
        item: Item,
        /// The packer's reason.
        problem: String,
    },
    /// An opened item is not in its layout: it does not unpack, or does not decode.
    Unreadable {
        /// The import.
        import: String,
        /// The item.
        item: Item,
        /// The decoder's reason, with a byte offset or a JSON position, never the bytes.
        problem: String,
    },
    /// The schema stored with an import (its importer's, with dynamic columns) does not parse.
    StoredSchema {
        /// The import.
        import: String,
        /// The schema parser's reason.
        problem: String,
    },
    /// An importer's schema is not in the form the server makes of it.
    ImporterSchema {
        /// The importer's key.
        importer: String,
        /// What is wrong.
        problem: String,
    },
    /// A column mapping remembered for an importer does not parse.
    RememberedMapping {
        /// The importer's key.
        importer: String,
        /// The JSON error's category and position.
        problem: String,
    },
    /// Something could not be encoded as JSON.
    Encode {
        /// What: `"an import's metadata"`, `"a column mapping"`, …
        what: &'static str,
        /// The JSON error's category.
        problem: String,
    },
    /// The rows of an import could not be written out (the operator's `sluice export`).
    Write {
        /// The import.
        import: String,
        /// Why.
        source: std::io::Error,
    },
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Internal::Store(e) => write!(f, "{e} ({:?})", e.kind()),
            Internal::KeyMissing { import, purpose } => {
                write!(f, "the keystore has no {} key for import {import}", purpose.as_str())
            }
            Internal::KeyDoesNotOpen { import, purpose } => {
                write!(
                    f,
                    "the {} key of import {import} does not open under the master key",
                    purpose.as_str()
                )
            }
            Internal::KeyIdLength { import, len } => {
                write!(f, "the data key id of import {import} is {len} bytes long, not 16")
            }
            Internal::KeyWrap { import, purpose, source } => {
                write!(f, "the {} key of import {import} cannot be wrapped: {source}", purpose.as_str())
            }
            Internal::Generate { what, source } => write!(f, "cannot make {what}: {source}"),
            Internal::SealedMissing { import, item } => {
                write!(f, "the {} of import {import} is not stored", Named(*item))
            }
            Internal::SealedDoesNotOpen { import, item } => {
                write!(f, "the stored {} of import {import} does not open under its data key", Named(*item))
            }
            Internal::Seal { import, item, source } => {
                write!(f, "the {} of import {import} cannot be sealed: {source}", Named(*item))
            }
            Internal::Pack { import, item, problem } => {
                write!(f, "the {} of import {import} cannot be packed: {problem}", Named(*item))
            }
            Internal::Unreadable { import, item, problem } => {
                write!(f, "the stored {} of import {import} is unreadable: {problem}", Named(*item))
            }
            Internal::StoredSchema { import, problem } => {
                write!(f, "the stored schema of import {import} does not parse: {problem}")
            }
            Internal::ImporterSchema { importer, problem } => {
                write!(f, "the schema of importer {importer} is unusable: {problem}")
            }
            Internal::RememberedMapping { importer, problem } => {
                write!(f, "a remembered mapping of importer {importer} is unreadable: {problem}")
            }
            Internal::Encode { what, problem } => write!(f, "cannot encode {what} as JSON: {problem}"),
            Internal::Write { import, source } => {
                write!(f, "cannot write the rows of import {import}: {source}")
            }
        }
    }
}

impl std::error::Error for Internal {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Internal::Store(e) => Some(e),
            Internal::KeyWrap { source, .. }
            | Internal::Generate { source, .. }
            | Internal::Seal { source, .. } => Some(source),
            Internal::Write { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// An item as a log line names it: `batch 12`, `summary of batch 12`, `metadata`, `mapping`.
struct Named(Item);

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Item::Batch(sequence) => write!(f, "batch {sequence}"),
            Item::Summary(sequence) => write!(f, "summary of batch {sequence}"),
            Item::Metadata => f.write_str("metadata"),
            Item::Mapping => f.write_str("mapping"),
        }
    }
}

/// A JSON error without the value it quotes: its category and, for parsing, its position.
pub(super) fn json_problem(e: &serde_json::Error) -> String {
    let category = match e.classify() {
        serde_json::error::Category::Io => "an I/O error",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "a value of the wrong type",
        serde_json::error::Category::Eof => "an early end",
    };
    match e.line() {
        0 => category.to_owned(),
        line => format!("{category} at line {line}, column {}", e.column()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::{ImportError, pack, unpack};
    use crate::store::ErrorKind;

    const CELL: &str = "ada.lovelace@example.com";

    #[test]
    fn a_cause_names_the_part_and_the_import() {
        let cases = [
            (Internal::KeyMissing { import: "imp_a".into(), purpose: KeyPurpose::Data }, "data key", "imp_a"),
            (
                Internal::KeyDoesNotOpen { import: "imp_b".into(), purpose: KeyPurpose::Transport },
                "transport key",
                "imp_b",
            ),
            (
                Internal::SealedDoesNotOpen { import: "imp_c".into(), item: Item::Batch(12) },
                "batch 12",
                "imp_c",
            ),
            (
                Internal::Unreadable {
                    import: "imp_d".into(),
                    item: Item::Summary(3),
                    problem: "cut".into(),
                },
                "summary of batch 3",
                "imp_d",
            ),
            (Internal::SealedMissing { import: "imp_e".into(), item: Item::Metadata }, "metadata", "imp_e"),
            (Internal::KeyIdLength { import: "imp_f".into(), len: 3 }, "data key id", "imp_f"),
        ];
        for (cause, part, import) in cases {
            let text = cause.to_string();
            assert!(text.contains(part) && text.contains(import), "{text}");
        }
    }

    #[test]
    fn a_store_cause_keeps_its_kind() {
        let cause = Internal::Store(StoreError::new(ErrorKind::Corrupt, "the data file"));
        assert!(matches!(&cause, Internal::Store(e) if e.kind() == ErrorKind::Corrupt));
        assert_eq!(cause.to_string(), "storage: the data file (Corrupt)");
        assert!(std::error::Error::source(&cause).is_some());
    }

    #[test]
    fn a_store_failure_is_full_unavailable_or_a_typed_cause() {
        let from = |kind| ImportError::from(StoreError::new(kind, "writing batch 3"));
        assert!(matches!(from(ErrorKind::Full), ImportError::StorageFull));
        assert!(matches!(from(ErrorKind::Unavailable), ImportError::Unavailable(_)));
        for kind in [ErrorKind::Conflict, ErrorKind::NotFound, ErrorKind::Corrupt, ErrorKind::Other] {
            let error = from(kind);
            assert!(
                matches!(&error, ImportError::Internal(Internal::Store(e)) if e.kind() == kind),
                "{error}"
            );
            assert!(error.to_string().contains("writing batch 3"), "{error}");
        }
    }

    #[test]
    fn a_json_problem_does_not_quote_the_value() {
        let json = format!(r#"{{"fields": "{CELL}"}}"#);
        let e = serde_json::from_str::<std::collections::HashMap<String, u64>>(&json).unwrap_err();
        assert!(e.to_string().contains(CELL), "serde quotes it: {e}");
        let problem = json_problem(&e);
        assert!(!problem.contains(CELL), "{problem}");
        assert!(problem.starts_with("a value of the wrong type at line 1"), "{problem}");
        let cause = Internal::RememberedMapping { importer: "contacts".into(), problem };
        assert!(!cause.to_string().contains(CELL));
    }

    #[test]
    fn a_damaged_batch_is_reported_without_its_cells() {
        let text = format!("email\n{CELL}\n");
        let packed = pack(text.as_bytes()).unwrap();
        let problem = unpack(&packed[..packed.len() - 1]).unwrap_err();
        let cause = Internal::Unreadable { import: "imp_a".into(), item: Item::Batch(0), problem };
        assert!(!cause.to_string().contains(CELL), "{cause}");
        let problem = sluice_parser::batch::Batch::decode(text.as_bytes()).unwrap_err().to_string();
        let cause = Internal::Unreadable { import: "imp_a".into(), item: Item::Batch(0), problem };
        assert!(!cause.to_string().contains(CELL), "{cause}");
    }
}
