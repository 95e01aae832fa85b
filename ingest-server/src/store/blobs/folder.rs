//! [`Blobs`] in a folder on a mounted volume: `<folder>/<import>/<file>`, each object written to
//! a temporary name, synced, renamed into place and its folder synced, so that an object is
//! either whole or absent after a crash. Files are readable by their owner only (0600), folders
//! too (0700).

use super::{Blobs, random_hex};
use crate::store::{ErrorKind, Result, StoreError};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{ErrorKind as IoKind, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The longest part of a name: file systems take 255 bytes, and a temporary name adds a dot and
/// a random suffix.
const MAX_PART: usize = 200;

/// Objects as files in a folder, one sub-folder per import.
pub struct FolderBlobs {
    root: PathBuf,
}

impl FolderBlobs {
    /// Opens the folder at `root`, creating it (0700) if it is not there.
    pub fn open(root: &Path) -> Result<FolderBlobs> {
        match DirBuilder::new().recursive(true).mode(0o700).create(root) {
            Ok(()) => Ok(FolderBlobs { root: root.to_owned() }),
            Err(e) => Err(StoreError::from(e).context(&format!("creating the folder {}", root.display()))),
        }
    }

    /// The folder of import `import`, created (and its creation synced) if needed.
    fn import_folder(&self, import: &str) -> std::io::Result<PathBuf> {
        let folder = self.root.join(import);
        match DirBuilder::new().mode(0o700).create(&folder) {
            Ok(()) => sync_dir(&self.root).map(|()| folder),
            Err(e) if e.kind() == IoKind::AlreadyExists => Ok(folder),
            Err(e) => Err(e),
        }
    }

    /// The names in the folder of `import` whose file part starts with `start`.
    fn names_in(&self, import: &str, start: &str, names: &mut Vec<String>) -> std::io::Result<()> {
        let entries = match fs::read_dir(self.root.join(import)) {
            Ok(entries) => entries,
            Err(e) if e.kind() == IoKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        for entry in entries {
            let entry = entry?;
            let Some(file) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if is_part(&file) && file.starts_with(start) && entry.file_type()?.is_file() {
                names.push(format!("{import}/{file}"));
            }
        }
        Ok(())
    }

    /// The import folders whose names start with `start`.
    fn imports(&self, start: &str) -> std::io::Result<Vec<String>> {
        let mut imports = Vec::new();
        for entry in fs::read_dir(&self.root)? {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if is_part(&name) && name.starts_with(start) && entry.file_type()?.is_dir() {
                imports.push(name);
            }
        }
        Ok(imports)
    }

    fn io_error(&self, doing: &str, e: std::io::Error) -> StoreError {
        StoreError::from(e).context(&format!("{doing} in {}", self.describe()))
    }
}

impl Blobs for FolderBlobs {
    fn put(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let (import, file) = split(name)?;
        let folder = self.import_folder(import).map_err(|e| self.io_error("creating a folder", e))?;
        let temp = folder.join(format!(".{file}.{}.tmp", random_hex()?));
        let written = write_synced(&temp, bytes)
            .and_then(|()| fs::rename(&temp, folder.join(file)))
            .and_then(|()| sync_dir(&folder));
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.map_err(|e| self.io_error(&format!("writing {name}"), e))
    }

    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let (import, file) = split(name)?;
        match fs::read(self.root.join(import).join(file)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == IoKind::NotFound => Ok(None),
            Err(e) => Err(self.io_error(&format!("reading {name}"), e)),
        }
    }

    fn delete(&self, name: &str) -> Result<()> {
        let (import, file) = split(name)?;
        let folder = self.root.join(import);
        match fs::remove_file(folder.join(file)) {
            Ok(()) => sync_dir(&folder).map_err(|e| self.io_error(&format!("deleting {name}"), e)),
            Err(e) if e.kind() == IoKind::NotFound => Ok(()),
            Err(e) => Err(self.io_error(&format!("deleting {name}"), e)),
        }
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let listed = match prefix.split_once('/') {
            Some((import, start)) if is_part(import) && !start.contains('/') => {
                self.names_in(import, start, &mut names)
            }
            Some(_) => return Err(refused(prefix)),
            None => self.imports(prefix).and_then(|imports| {
                imports.iter().try_for_each(|import| self.names_in(import, "", &mut names))
            }),
        };
        listed.map_err(|e| self.io_error("listing", e))?;
        names.sort_unstable();
        Ok(names)
    }

    fn check(&self) -> Result<()> {
        // A dot name: never an object's, so a probe left by a crash is never listed.
        let probe = self.root.join(format!(".sluice-check-{}", random_hex()?));
        let written = write_synced(&probe, b"A probe from Sluice's readiness check.\n");
        let removed = fs::remove_file(&probe);
        written.and(removed).map_err(|e| self.io_error("checking", e))
    }

    fn describe(&self) -> String {
        format!("file://{}", self.root.display())
    }
}

/// `<import>/<file>`, each part one plain path component; anything else is refused.
fn split(name: &str) -> Result<(&str, &str)> {
    match name.split_once('/') {
        Some((import, file)) if is_part(import) && is_part(file) => Ok((import, file)),
        _ => Err(refused(name)),
    }
}

/// One component of an object name: letters, digits, `_`, `-` and `.`, not starting with `.`
/// (which keeps out `.`, `..` and the temporary files).
fn is_part(part: &str) -> bool {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    !part.is_empty() && part.len() <= MAX_PART && !part.starts_with('.') && part.bytes().all(plain)
}

fn refused(name: &str) -> StoreError {
    StoreError::new(ErrorKind::Other, format!("{name:?} is not an object name (<import>/<file>)"))
}

/// Writes `bytes` to a new file at `path` (0600) and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs a folder, so that a file created, renamed or removed in it stays so after a crash.
fn sync_dir(folder: &Path) -> std::io::Result<()> {
    File::open(folder)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn store() -> (tempfile::TempDir, FolderBlobs) {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FolderBlobs::open(&dir.path().join("blobs")).unwrap();
        (dir, blobs)
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_object_is_written_whole_read_back_and_kept_from_everyone_but_its_owner() {
        let (_dir, blobs) = store();
        for bytes in [&b""[..], b"x", &vec![7; 100_000]] {
            blobs.put("imp_a/1.f", bytes).unwrap();
            assert_eq!(blobs.get("imp_a/1.f").unwrap().as_deref(), Some(bytes));
        }
        assert_eq!(mode(&blobs.root), 0o700);
        assert_eq!(mode(&blobs.root.join("imp_a")), 0o700);
        assert_eq!(mode(&blobs.root.join("imp_a/1.f")), 0o600);
        let left: Vec<_> =
            fs::read_dir(blobs.root.join("imp_a")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["1.f"], "no temporary file is left behind");
    }

    #[test]
    fn a_missing_object_is_none_and_deleting_it_twice_is_fine() {
        let (_dir, blobs) = store();
        assert_eq!(blobs.get("imp_a/1.f").unwrap(), None);
        blobs.put("imp_a/1.f", b"x").unwrap();
        blobs.delete("imp_a/1.f").unwrap();
        blobs.delete("imp_a/1.f").unwrap();
        blobs.delete("imp_b/1.f").unwrap();
        assert_eq!(blobs.get("imp_a/1.f").unwrap(), None);
    }

    #[test]
    fn listing_is_in_name_order_by_prefix_and_skips_what_is_not_an_object() {
        let (_dir, blobs) = store();
        for name in ["imp_b/2", "imp_a/10", "imp_a-x/1", "imp_a/2", "other/1"] {
            blobs.put(name, b"x").unwrap();
        }
        fs::write(blobs.root.join("imp_a/.2.feed.tmp"), "half").unwrap();
        fs::write(blobs.root.join("stray-file"), "x").unwrap();
        let all = ["imp_a-x/1", "imp_a/10", "imp_a/2", "imp_b/2", "other/1"];
        assert_eq!(blobs.list("").unwrap(), all);
        assert_eq!(blobs.list("imp_").unwrap(), all[..4]);
        assert_eq!(blobs.list("imp_a/").unwrap(), ["imp_a/10", "imp_a/2"]);
        assert_eq!(blobs.list("imp_a/1").unwrap(), ["imp_a/10"]);
        assert_eq!(blobs.list("imp_z/").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn names_outside_the_naming_scheme_are_refused_before_any_file_is_touched() {
        let (dir, blobs) = store();
        let long = format!("imp_a/{}", "x".repeat(MAX_PART + 1));
        assert_eq!(blobs.put(&long, b"x").unwrap_err().kind(), ErrorKind::Other);
        for name in [
            "../x/1",
            "imp_a/..",
            "/etc/passwd",
            "imp_a",
            "imp_a/b/c",
            "imp_a/.hidden",
            "",
            "a\\b/c",
            "imp a/1",
        ] {
            assert_eq!(blobs.put(name, b"x").unwrap_err().kind(), ErrorKind::Other, "{name:?}");
            assert!(blobs.get(name).is_err() && blobs.delete(name).is_err(), "{name:?}");
        }
        assert!(blobs.list("../").is_err() && blobs.list("imp_a/b/").is_err());
        let entries: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(entries, ["blobs"], "nothing was written outside the folder");
    }

    #[test]
    fn the_check_writes_and_removes_a_probe_and_fails_on_a_folder_that_is_gone() {
        let (_dir, blobs) = store();
        blobs.check().unwrap();
        assert_eq!(fs::read_dir(&blobs.root).unwrap().count(), 0);
        assert!(blobs.describe().starts_with("file:///"));
        fs::remove_dir(&blobs.root).unwrap();
        assert_eq!(blobs.check().unwrap_err().kind(), ErrorKind::Unavailable);
    }
}
