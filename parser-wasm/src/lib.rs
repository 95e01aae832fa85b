#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod batch;
pub mod binary;
mod checks;
mod datetime;
pub mod decode;
pub mod dialect;
pub mod error;
pub mod grid;
pub mod import;
pub mod limits;
pub mod matching;
pub mod patch;
pub mod position;
pub mod preview;
pub mod reader;
pub mod record;
pub mod schema;
#[cfg(feature = "spreadsheets")]
pub mod sheets;
pub mod sniff;
pub mod template;
mod tokenizer;
pub mod validate;
pub mod verify;
#[cfg(target_arch = "wasm32")]
mod wasm;

/// The repository's README, whose Rust example runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct RepositoryReadme;
