//! Streaming CSV decoding, dialect sniffing, column matching, schema validation and batching.
#![forbid(unsafe_code)]

pub mod decode;
pub mod dialect;
pub mod error;
pub mod limits;
pub mod position;
pub mod reader;
pub mod record;
pub mod sniff;
mod tokenizer;
