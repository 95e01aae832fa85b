//! Where sealed batches live when they do not live in the metadata database: an object store
//! (S3-compatible storage, or a folder on a mounted volume). Only sealed bytes ever reach a
//! [`Blobs`]: each object is a batch as sealed under its import's data key, whose AAD binds it to
//! the import and the batch number, so an object swapped for another fails to open.
//!
//! Object names are `<import id>/<batch number, 20 digits>.<random suffix>`: the suffix makes each
//! write its own object, so a write that loses a race (another instance stored that batch number
//! first) never overwrites the object the metadata database points at; it is deleted, or swept.
//!
//! Two implementations, chosen by `[storage.blobs]` through [`open_blobs`]: [`S3Blobs`] (a bucket
//! under a key prefix) and [`FolderBlobs`] (a folder on a mounted volume). `tests/blobs.rs` runs
//! one contract against both.

mod folder;
mod s3;

pub use folder::FolderBlobs;
pub use s3::S3Blobs;

use super::{ErrorKind, Result, StoreError};
use crate::config::BlobSettings;
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::Arc;

/// An object store for sealed batches.
pub trait Blobs: Send + Sync {
    /// Writes `bytes` under `name`, durably when it returns.
    fn put(&self, name: &str, bytes: &[u8]) -> Result<()>;
    /// The object under `name`, or `None` when there is none.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Deletes the object under `name`; deleting one that is not there is not an error.
    fn delete(&self, name: &str) -> Result<()>;
    /// The names of the objects whose names start with `prefix`, in name order.
    fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// Whether the store answers and takes writes now (for readiness and `check-config`).
    fn check(&self) -> Result<()>;
    /// Where it is, for logs: a URL without credentials.
    fn describe(&self) -> String;
}

/// The prefix every object of import `import_id` has.
pub fn import_prefix(import_id: &str) -> String {
    format!("{import_id}/")
}

/// A fresh object name for batch `sequence` of import `import_id`; `suffix` is random.
pub fn batch_name(import_id: &str, sequence: u64, suffix: u64) -> String {
    format!("{import_id}/{sequence:020}.{suffix:016x}")
}

/// The import an object name belongs to, if it is one of ours.
pub fn import_of(name: &str) -> Option<&str> {
    let (import, rest) = name.split_once('/')?;
    let (sequence, suffix) = rest.split_once('.')?;
    let ours = import.starts_with("imp_")
        && sequence.len() == 20
        && sequence.bytes().all(|b| b.is_ascii_digit())
        && suffix.len() == 16
        && suffix.bytes().all(|b| b.is_ascii_hexdigit());
    ours.then_some(import)
}

/// Opens the object store `settings` describe: a bucket, or a folder (created if missing).
pub fn open_blobs(settings: &BlobSettings) -> Result<Arc<dyn Blobs>> {
    Ok(match settings {
        BlobSettings::S3(s3) => Arc::new(S3Blobs::open(s3)?),
        BlobSettings::Folder(root) => Arc::new(FolderBlobs::open(root)?),
    })
}

/// 16 random hex digits, for names that must not collide (probes, temporary files).
fn random_hex() -> Result<String> {
    let mut bytes = [0; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::new(ErrorKind::Unavailable, "the system's random source failed"))?;
    Ok(format!("{:016x}", u64::from_be_bytes(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_name_sorts_by_number_and_names_its_import() {
        let a = batch_name("imp_x", 2, 0xfeed);
        let b = batch_name("imp_x", 10, 1);
        assert_eq!(a, "imp_x/00000000000000000002.000000000000feed");
        assert!(a < b, "sorted by batch number");
        assert_eq!(import_of(&a), Some("imp_x"));
        assert!(a.starts_with(&import_prefix("imp_x")));
        for foreign in
            ["imp_x/2.feed", "other/00000000000000000002.000000000000feed", "imp_x", "sluice-test.txt"]
        {
            assert_eq!(import_of(foreign), None, "{foreign}");
        }
    }
}
