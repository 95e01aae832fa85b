//! The Sluice ingest server: receives sealed batches from the browser, opens and re-checks them
//! against the importer's schema, seals them at rest in SQLite and keeps them until they are
//! delivered and deleted.
//!
//! - [`config`]: the operator's TOML file and environment overrides;
//! - [`crypto`]: the transport handshake, sealed batches, sealing at rest, tokens;
//! - [`store`]: all SQL, behind one narrow trait.
#![forbid(unsafe_code)]

pub mod config;
pub mod crypto;
pub mod store;
