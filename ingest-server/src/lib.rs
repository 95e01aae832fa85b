//! The Sluice ingest server: receives sealed batches from the browser, opens and re-checks them
//! against the importer's schema, seals them at rest in SQLite and keeps them until they are
//! delivered and deleted.
//!
//! - [`config`]: the operator's TOML file and environment overrides;
//! - [`crypto`]: the transport handshake, sealed batches, sealing at rest, tokens;
//! - [`store`]: all SQL, behind one narrow trait;
//! - [`imports`]: the import lifecycle, independent of HTTP, and retention;
//! - [`importers`]: importers made in the dashboard, checked, stored, applied and audited;
//! - [`integrity`]: the data file, the keystore and the master key bound to each other;
//! - [`delivery`]: pushing rows onward from a persisted outbox, one trait per kind of
//!   destination (signed webhooks first), reading imports through a narrow trait;
//! - [`http`]: protocol v1 over actix-web (see `docs/protocol.md`);
//! - [`client`]: a Rust client that speaks the protocol as the browser does;
//! - [`serve`]: starting it all.
#![forbid(unsafe_code)]

pub mod client;
pub mod config;
pub mod crypto;
pub mod delivery;
pub mod http;
pub mod importers;
pub mod imports;
pub mod integrity;
pub mod serve;
pub mod store;
