//! Streaming CSV decoding, dialect sniffing, column matching, schema validation and batching.
#![forbid(unsafe_code)]

pub mod batch;
mod checks;
mod datetime;
pub mod decode;
pub mod dialect;
pub mod error;
pub mod import;
pub mod limits;
pub mod matching;
pub mod patch;
pub mod position;
pub mod reader;
pub mod record;
pub mod schema;
pub mod sniff;
mod tokenizer;
pub mod validate;
