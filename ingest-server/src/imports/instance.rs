//! This server among the instances sharing one store: its id, under which it leases outbox
//! messages and jobs, and the jobs only one instance runs at a time (the retention job).

use super::{ImportError, Imports, Internal};
use crate::crypto;
use crate::store::Lease;
use ring::rand::{SecureRandom, SystemRandom};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The retention job's name among the leased jobs.
pub const RETENTION_JOB: &str = "retention";

/// The file in the data folder that keeps the instance's id across restarts.
pub const INSTANCE_FILE: &str = "instance";

/// This server's id among the instances sharing a store, and the lock that makes it its own.
#[derive(Debug)]
pub struct Instance {
    /// `ins_` and 16 hex digits.
    pub id: Arc<str>,
    /// The instance file, locked while this process runs (the lock goes with the process,
    /// however it ends).
    _lock: Option<File>,
}

/// This instance's id: the one kept in the data folder's `instance` file when this process can
/// lock the file, so that an instance started again on its folder is the same instance and
/// takes back the jobs it led at once (instead of waiting for its old leases to run out). A
/// fresh id when another running process holds the file (two processes on one folder are two
/// instances) or when the file cannot be kept; the reason is logged.
pub fn instance(data_dir: &Path) -> Result<Instance, ImportError> {
    let path = data_dir.join(INSTANCE_FILE);
    let kept = open_locked(&path).and_then(|file| file.map(|f| keep_id(f, &path)).transpose());
    match kept {
        Ok(Some((id, file))) => Ok(Instance { id: id.into(), _lock: Some(file) }),
        Ok(None) => {
            tracing::info!(file = %path.display(), "another running process holds this data folder's instance id: this one takes a fresh id");
            Ok(Instance { id: instance_id()?.into(), _lock: None })
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot keep the instance id in the data folder: a fresh id until the next start");
            Ok(Instance { id: instance_id()?.into(), _lock: None })
        }
    }
}

/// The instance file at `path`, locked for this process; `None` when another process holds it.
fn open_locked(path: &Path) -> std::io::Result<Option<File>> {
    if let Some(dir) = path.parent() {
        // On PostgreSQL with the master key from the environment, nothing else is in the folder.
        std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700)
            .create(dir)?;
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// The id the locked `file` holds, or a fresh one written into it.
fn keep_id(mut file: File, path: &Path) -> std::io::Result<(String, File)> {
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let held = text.trim();
    if well_formed(held) {
        return Ok((held.to_owned(), file));
    }
    let id = instance_id().map_err(|e| std::io::Error::other(e.to_string()))?;
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(format!("{id}\n").as_bytes())?;
    file.sync_all()?;
    tracing::debug!(file = %path.display(), "instance id kept for the next start");
    Ok((id, file))
}

/// Whether `id` is `ins_` and 16 hex digits.
fn well_formed(id: &str) -> bool {
    id.len() == 20 && id.starts_with("ins_") && id[4..].bytes().all(|c| c.is_ascii_hexdigit())
}

/// A fresh instance id: `ins_` and 16 random hex digits.
fn instance_id() -> Result<String, ImportError> {
    let mut bytes = [0u8; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Internal::Generate { what: "an instance id", source: crypto::Error::Randomness })?;
    Ok(format!("ins_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

impl Imports {
    /// Whether `instance` runs job `job` now: it takes or keeps the job's lease for `hold`
    /// from `now_ms` (Unix milliseconds), unless another live instance holds it.
    pub fn leads(&self, job: &str, instance: &str, now_ms: i64, hold: Duration) -> Result<bool, ImportError> {
        let hold = i64::try_from(hold.as_millis()).unwrap_or(i64::MAX / 2);
        let lease = Lease { holder: instance.to_owned(), until_ms: now_ms.saturating_add(hold) };
        Ok(self.store.lead(job, &lease, now_ms)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_fresh_and_well_formed() {
        let (a, b) = (instance_id().unwrap(), instance_id().unwrap());
        assert_ne!(a, b);
        assert!(well_formed(&a), "{a}");
        assert!(!well_formed("ins_0123") && !well_formed("xyz_0123456789abcdef"));
    }

    #[test]
    fn the_id_is_kept_across_starts_and_a_second_process_on_the_folder_gets_its_own() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        let first = instance(&dir).unwrap();
        let text = std::fs::read_to_string(dir.join(INSTANCE_FILE)).unwrap();
        assert_eq!(text.trim(), &*first.id, "kept in the data folder");
        let meanwhile = instance(&dir).unwrap();
        assert_ne!(meanwhile.id, first.id, "the file is locked: a fresh id");
        let id = first.id.clone();
        drop((first, meanwhile));
        assert_eq!(instance(&dir).unwrap().id, id, "started again: the same instance");
        std::fs::write(dir.join(INSTANCE_FILE), "damaged").unwrap();
        let replaced = instance(&dir).unwrap();
        assert!(well_formed(&replaced.id) && replaced.id != id);
    }
}
