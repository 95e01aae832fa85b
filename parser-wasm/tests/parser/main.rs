//! Integration tests of `sluice-parser`, one binary. Index:
//!
//! - `support`: a sink that renders what a reader produced as text, and the ways of cutting an
//!   input into chunks (whole, byte by byte, seeded random splits).
//! - `fixtures`: the fixture table (RFC 4180, quotes, line endings, BOMs, UTF-16, Windows-1252,
//!   semicolons, ragged rows, unterminated quotes, oversized fields, …), each fixture checked
//!   against its expected rendering under every way of cutting.
//! - `regressions`: defects from issue 12, each a test named after what it proves.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fixtures;
mod regressions;
mod support;
