//! Room on the data folder's volume: the free-space floor below which nothing new is stored, and
//! the reserve, a file of zeros kept beside the data and released so that deletions (which write
//! a little before they free anything) go through on a full volume.

use super::{ErrorKind, Result, StoreError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The reserve's file name in the data folder.
pub const RESERVE_FILE: &str = "sluice.reserve";

/// What the write-ahead log may need to grow by for one write, beyond the floor.
const WAL_ROOM: u64 = 4 << 20;

/// How the volume's room is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskLimits {
    /// Below this many free bytes (the volume's, and those free inside the data file), new
    /// imports and batches are refused (default 256 MiB).
    pub min_free: u64,
    /// The reserve's size (default 16 MiB); 0 keeps none.
    pub reserve: u64,
}

impl Default for DiskLimits {
    fn default() -> Self {
        DiskLimits { min_free: 256 << 20, reserve: 16 << 20 }
    }
}

/// The room of one data folder.
#[derive(Debug)]
pub(super) struct Space {
    dir: PathBuf,
    limits: DiskLimits,
}

impl Space {
    /// The room of the volume that holds `dir`.
    pub(super) fn new(dir: &Path, limits: DiskLimits) -> Space {
        Space { dir: dir.to_path_buf(), limits }
    }

    /// The same folder's room, kept by other limits.
    pub(super) fn with_limits(self, limits: DiskLimits) -> Space {
        Space { limits, ..self }
    }

    /// Bytes free on the volume for this process.
    pub(super) fn available(&self) -> Result<u64> {
        let stats = rustix::fs::statvfs(&self.dir)
            .map_err(|e| StoreError::from(std::io::Error::from(e)).context("cannot read the free space"))?;
        Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
    }

    /// Whether a new import or batch may be stored, with `reusable` bytes free inside the data
    /// file: refused ([`ErrorKind::Full`]) below the floor, or when the volume itself has no room
    /// for the log to grow and, while the reserve is out, for the reserve to come back.
    pub(super) fn has_room(&self, reusable: u64) -> Result<()> {
        let available = self.available()?;
        let reserve_out = self.limits.reserve > 0 && !self.reserve_path().exists();
        let needed = WAL_ROOM + if reserve_out { self.limits.reserve } else { 0 };
        if available.saturating_add(reusable) < self.limits.min_free || available < needed {
            return Err(StoreError::new(
                ErrorKind::Full,
                format!(
                    "{available} bytes free on the data folder's volume (and {reusable} inside the data file), \
                     below the floor of {} bytes",
                    self.limits.min_free
                ),
            ));
        }
        Ok(())
    }

    /// Removes the reserve, if it is there, so that what follows has room; says whether it was.
    pub(super) fn release_reserve(&self) -> bool {
        let released = std::fs::remove_file(self.reserve_path()).is_ok();
        if released {
            tracing::warn!(
                bytes = self.limits.reserve,
                "the data folder's volume is full: its reserve was released for a deletion"
            );
        }
        released
    }

    /// Writes the reserve again when it is missing and the volume has room for it twice over
    /// (so that putting it back never fills the volume).
    pub(super) fn restore_reserve(&self) -> Result<()> {
        let path = self.reserve_path();
        if self.limits.reserve == 0 || path.exists() || self.available()? < 2 * self.limits.reserve {
            return Ok(());
        }
        let written = write_zeros(&path, self.limits.reserve);
        if written.is_err() {
            drop(std::fs::remove_file(&path));
        }
        written
    }

    fn reserve_path(&self) -> PathBuf {
        self.dir.join(RESERVE_FILE)
    }
}

/// Writes a new file of `len` zero bytes (real blocks, not a sparse file) and syncs it.
fn write_zeros(path: &Path, len: u64) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    let block = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = usize::try_from(left.min(block.len() as u64)).unwrap_or(block.len());
        file.write_all(&block[..n])?;
        left -= n as u64;
    }
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserve_is_written_released_and_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::new(dir.path(), DiskLimits { min_free: 0, reserve: 3 << 20 });
        space.restore_reserve().unwrap();
        let path = dir.path().join(RESERVE_FILE);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 3 << 20);
        assert!(space.release_reserve());
        assert!(!path.exists());
        assert!(!space.release_reserve(), "nothing to release twice");
        space.restore_reserve().unwrap();
        assert!(path.exists());
    }

    #[test]
    fn nothing_new_is_taken_below_the_floor() {
        let dir = tempfile::tempdir().unwrap();
        let free = Space::new(dir.path(), DiskLimits::default()).available().unwrap();
        let space = Space::new(dir.path(), DiskLimits { min_free: free + (1 << 40), reserve: 0 });
        assert_eq!(space.has_room(0).unwrap_err().kind(), ErrorKind::Full);
        assert!(space.has_room(1 << 41).is_ok(), "free pages inside the data file count");
        let space = Space::new(dir.path(), DiskLimits { min_free: 1, reserve: 0 });
        assert!(space.has_room(0).is_ok());
    }
}
