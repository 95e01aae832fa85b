//! The master key: its text form, its key file, and wrapping the per-import keys under it.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::envelope::{self, NONCE_LEN};
use super::{Error, Rejected, rejected};

/// First bytes of every key-wrapping AAD.
const WRAP_AAD_LABEL: &[u8] = b"sluice/key-wrap/v1";

/// First bytes of the AAD of an importer's sealed secrets.
const SECRETS_AAD_LABEL: &[u8] = b"sluice/importer-secrets/v1";

/// The purpose a store's check value is wrapped for.
const CHECK_PURPOSE: &str = "store-check";

/// More than any key file holds; stops a misconfigured path (a device, a huge file) early.
const MAX_KEY_FILE_LEN: u64 = 4096;

/// The key that wraps every import's keys. Zeroized on drop; `Debug` never shows it.
pub struct MasterKey {
    /// The raw key.
    bytes: Zeroizing<[u8; 32]>,
}

impl MasterKey {
    /// A new random master key.
    pub fn generate(rng: &dyn SecureRandom) -> Result<MasterKey, Error> {
        let mut bytes = Zeroizing::new([0; 32]);
        envelope::fill(rng, &mut *bytes)?;
        Ok(MasterKey { bytes })
    }

    /// Parses standard base64 with padding (surrounding whitespace ignored), as held in the
    /// environment. Errors say what is wrong without repeating the text.
    pub fn from_base64(text: &str) -> Result<MasterKey, Error> {
        decode(text.as_bytes(), None)
    }

    /// The key as standard base64 with padding (44 characters).
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(*self.bytes))
    }

    /// Reads a key file holding the base64 text. On unix, a file that group or others may access
    /// is refused with an error that names the path and the `chmod 600` that fixes it.
    pub fn load(path: &Path) -> Result<MasterKey, Error> {
        let file = File::open(path).map_err(io_error("open the master key file", path))?;
        refuse_if_shared(&file, path)?;
        let mut text = Zeroizing::new(Vec::new());
        file.take(MAX_KEY_FILE_LEN)
            .read_to_end(&mut text)
            .map_err(io_error("read the master key file", path))?;
        decode(&text, Some(path))
    }

    /// Generates a key and writes it to a new key file (mode 0600 on unix): the base64 text and a
    /// newline. Refuses to overwrite an existing file, whose key may still be needed.
    pub fn create_file(path: &Path, rng: &dyn SecureRandom) -> Result<MasterKey, Error> {
        let key = MasterKey::generate(rng)?;
        let mut file = create_private(path)?;
        // Written in two parts: appending the newline could copy the key text to a buffer that
        // is freed without being zeroized.
        let written = file.write_all(key.to_base64().as_bytes()).and_then(|()| file.write_all(b"\n"));
        if let Err(source) = written.and_then(|()| file.sync_all()) {
            // A half-written key file would fail every later start, so it must not stay behind.
            drop(std::fs::remove_file(path));
            return Err(Error::Io { action: "write the master key file", path: path.to_path_buf(), source });
        }
        sync_parent(path)?;
        Ok(key)
    }

    /// Wraps a per-import key (`purpose` is `"data"` or `"transport"`) under a fresh nonce:
    /// `nonce ‖ ciphertext ‖ tag`, 60 bytes.
    pub fn wrap(
        &self,
        rng: &dyn SecureRandom,
        purpose: &str,
        import_id: &str,
        key: &[u8; 32],
    ) -> Result<Vec<u8>, Error> {
        self.wrap_with_nonce(envelope::random(rng)?, purpose, import_id, key)
    }

    /// Unwraps a key wrapped for this purpose and import; anything else is [`Rejected`]. (The
    /// counterpart of [`MasterKey::wrap`]; unlike `Option::unwrap` it never panics.)
    pub fn unwrap(
        &self,
        purpose: &str,
        import_id: &str,
        wrapped: &[u8],
    ) -> Result<Zeroizing<[u8; 32]>, Rejected> {
        let aad = wrap_aad(purpose, import_id).map_err(rejected)?;
        let key = Zeroizing::new(envelope::open(&self.bytes, &aad, wrapped)?);
        let key = <&[u8; 32]>::try_from(key.as_slice()).map_err(rejected)?;
        Ok(Zeroizing::new(*key))
    }

    /// A store's check value: a random key wrapped for the purpose `store-check` and the store's
    /// id (in place of an import id), so that only this master key opens it, and only for that
    /// store. Written into both files of a new store.
    pub fn seal_check(&self, rng: &dyn SecureRandom, store_id: &str) -> Result<Vec<u8>, Error> {
        let mut random = Zeroizing::new([0; 32]);
        envelope::fill(rng, &mut *random)?;
        self.wrap(rng, CHECK_PURPOSE, store_id, &random)
    }

    /// Whether `check` is the check value this master key made for `store_id`.
    pub fn opens_check(&self, store_id: &str, check: &[u8]) -> bool {
        self.unwrap(CHECK_PURPOSE, store_id, check).is_ok()
    }

    /// Seals the secrets of an importer made in the dashboard (its destinations' signing
    /// secrets, passwords and keys, as one document): `nonce ‖ ciphertext ‖ tag`, with
    /// `"sluice/importer-secrets/v1" ‖ len8(importer key)` as the AAD, so that one importer's
    /// secrets never open as another's.
    pub fn seal_secrets(
        &self,
        rng: &dyn SecureRandom,
        importer: &str,
        secrets: &[u8],
    ) -> Result<Vec<u8>, Error> {
        envelope::seal(&self.bytes, envelope::random(rng)?, &secrets_aad(importer)?, &[], secrets)
    }

    /// Opens what [`MasterKey::seal_secrets`] sealed for `importer`; anything else is
    /// [`Rejected`].
    pub fn open_secrets(&self, importer: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Rejected> {
        let aad = secrets_aad(importer).map_err(rejected)?;
        Ok(Zeroizing::new(envelope::open(&self.bytes, &aad, sealed)?))
    }

    /// [`MasterKey::wrap`] with a given nonce, so that tests can pin the layout.
    fn wrap_with_nonce(
        &self,
        nonce: [u8; NONCE_LEN],
        purpose: &str,
        import_id: &str,
        key: &[u8; 32],
    ) -> Result<Vec<u8>, Error> {
        envelope::seal(&self.bytes, nonce, &wrap_aad(purpose, import_id)?, &[], key)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey([redacted])")
    }
}

/// `"sluice/key-wrap/v1" ‖ len8(purpose) ‖ purpose ‖ len8(import id) ‖ import id`.
fn wrap_aad(purpose: &str, import_id: &str) -> Result<Vec<u8>, Error> {
    let mut aad = Vec::with_capacity(WRAP_AAD_LABEL.len() + 2 + purpose.len() + import_id.len());
    aad.extend_from_slice(WRAP_AAD_LABEL);
    envelope::push_len8(&mut aad, "purpose", purpose.as_bytes())?;
    envelope::push_len8(&mut aad, "import id", import_id.as_bytes())?;
    Ok(aad)
}

/// The AAD of an importer's sealed secrets.
fn secrets_aad(importer: &str) -> Result<Vec<u8>, Error> {
    let mut aad = SECRETS_AAD_LABEL.to_vec();
    envelope::push_len8(&mut aad, "importer key", importer.as_bytes())?;
    Ok(aad)
}

/// Decodes the base64 text of a key, naming the file it came from, never the text.
fn decode(text: &[u8], path: Option<&Path>) -> Result<MasterKey, Error> {
    let problem = |problem| Error::BadMasterKey { path: path.map(Path::to_path_buf), problem };
    let decoded =
        Zeroizing::new(STANDARD.decode(text.trim_ascii()).map_err(|_| problem("is not valid base64"))?);
    let bytes =
        <&[u8; 32]>::try_from(decoded.as_slice()).map_err(|_| problem("does not decode to 32 bytes"))?;
    Ok(MasterKey { bytes: Zeroizing::new(*bytes) })
}

/// Creates a new file that only its owner may read and write.
fn create_private(path: &Path) -> Result<File, Error> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => Error::KeyFileExists { path: path.to_path_buf() },
        _ => Error::Io { action: "create the master key file", path: path.to_path_buf(), source },
    })
}

/// Makes the new file's directory entry durable: data sealed under a key that a crash then
/// loses could never be read again.
fn sync_parent(path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error("sync the master key file's directory", parent))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Refuses a key file that group or others may access (unix only).
fn refuse_if_shared(file: &File, path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(io_error("read the permissions of the master key file", path))?
            .permissions()
            .mode()
            & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::KeyFileTooOpen { path: path.to_path_buf(), mode });
        }
    }
    #[cfg(not(unix))]
    let _ = (file, path);
    Ok(())
}

/// Maps an I/O error to [`Error::Io`] for this action and path.
fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
    move |source| Error::Io { action, path: path.to_path_buf(), source }
}

#[cfg(test)]
mod tests {
    use super::super::envelope::tests::{assert_tampering_is_rejected, hex, key_leaks_in};
    use super::*;
    use ring::rand::SystemRandom;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A directory of its own for one test, removed afterwards.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            let name =
                format!("sluice-crypto-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
            let path = std::env::temp_dir().join(name);
            std::fs::create_dir_all(&path).unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            drop(std::fs::remove_dir_all(&self.0));
        }
    }

    #[test]
    fn importer_secrets_open_only_for_their_importer_and_under_their_master_key() {
        let rng = SystemRandom::new();
        let master = MasterKey::generate(&rng).unwrap();
        let sealed = master.seal_secrets(&rng, "contacts", b"{\"a\":\"whsec_x\"}").unwrap();
        assert_eq!(master.open_secrets("contacts", &sealed).unwrap().as_slice(), b"{\"a\":\"whsec_x\"}");
        assert!(master.open_secrets("contacts-2", &sealed).is_err(), "another importer's key");
        assert!(MasterKey::generate(&rng).unwrap().open_secrets("contacts", &sealed).is_err());
        assert_tampering_is_rejected(&sealed, |s| master.open_secrets("contacts", s));
        assert!(master.open_secrets("contacts", &sealed[..sealed.len() - 1]).is_err());
        assert_eq!(sealed.len(), 12 + 15 + 16, "nonce, ciphertext, tag");
    }

    fn pattern<const N: usize>(start: u8) -> [u8; N] {
        std::array::from_fn(|i| start.wrapping_add(i as u8))
    }

    fn master(start: u8) -> MasterKey {
        MasterKey { bytes: Zeroizing::new(pattern(start)) }
    }

    #[test]
    fn a_check_value_opens_with_its_master_key_and_store_id_only() {
        let rng = SystemRandom::new();
        let check = master(1).seal_check(&rng, "sto_a").unwrap();
        assert!(master(1).opens_check("sto_a", &check));
        assert!(!master(2).opens_check("sto_a", &check), "another master key");
        assert!(!master(1).opens_check("sto_b", &check), "another store");
        assert!(master(1).unwrap("data", "sto_a", &check).is_err(), "not a data key");
    }

    #[test]
    fn a_master_key_survives_base64_with_surrounding_whitespace() {
        let key = MasterKey::generate(&SystemRandom::new()).unwrap();
        let text = key.to_base64();
        assert_eq!(text.len(), 44);
        assert!(text.ends_with('='));
        let parsed = MasterKey::from_base64(&format!(" \t{}\r\n", *text)).unwrap();
        assert_eq!(*parsed.bytes, *key.bytes);
    }

    #[test]
    fn malformed_master_keys_are_refused_without_echoing_the_text() {
        let full = STANDARD.encode(pattern::<32>(0x20));
        let cases = [
            ("", "does not decode to 32 bytes"),
            ("c2VjcmV0LWtleS10ZXh0", "does not decode to 32 bytes"),
            (&STANDARD.encode([7; 33]), "does not decode to 32 bytes"),
            (full.trim_end_matches('='), "is not valid base64"),
            (&full.replace('A', "-"), "is not valid base64"),
            ("secret key text!", "is not valid base64"),
        ];
        for (text, expected) in cases {
            let error = MasterKey::from_base64(text).unwrap_err();
            let message = error.to_string();
            assert!(
                matches!(error, Error::BadMasterKey { path: None, problem } if problem == expected),
                "{text}"
            );
            assert!(text.is_empty() || !message.contains(text), "{message}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_created_key_file_has_mode_0600_and_loads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new();
        let path = dir.0.join("master.key");
        let key = MasterKey::create_file(&path, &SystemRandom::new()).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", *key.to_base64()));
        assert_eq!(*MasterKey::load(&path).unwrap().bytes, *key.bytes);
    }

    #[test]
    fn an_existing_key_file_is_never_overwritten() {
        let dir = TempDir::new();
        let path = dir.0.join("master.key");
        std::fs::write(&path, "keep me\n").unwrap();
        let error = MasterKey::create_file(&path, &SystemRandom::new()).unwrap_err();
        assert!(matches!(&error, Error::KeyFileExists { path: p } if *p == path));
        assert!(error.to_string().contains(&path.display().to_string()));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me\n");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_that_group_or_others_may_read_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = TempDir::new();
        let path = dir.0.join("master.key");
        MasterKey::create_file(&path, &SystemRandom::new()).unwrap();
        for mode in [0o640, 0o604, 0o644, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let error = MasterKey::load(&path).unwrap_err();
            assert!(matches!(error, Error::KeyFileTooOpen { mode: m, .. } if m == mode), "{mode:o}");
            assert!(error.to_string().contains(&format!("run `chmod 600 {}`", path.display())));
        }
    }

    #[test]
    fn a_missing_or_malformed_key_file_names_its_path() {
        let dir = TempDir::new();
        let path = dir.0.join("missing.key");
        let error = MasterKey::load(&path).unwrap_err();
        assert!(matches!(error, Error::Io { .. }));
        assert!(error.to_string().contains(&path.display().to_string()));
        let path = dir.0.join("bad.key");
        std::fs::write(&path, "not a key\n").unwrap();
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        let error = MasterKey::load(&path).unwrap_err();
        assert!(error.to_string().starts_with(&format!("the master key in {} is not valid", path.display())));
        assert!(!error.to_string().contains("not a key"));
    }

    #[test]
    fn a_wrapped_key_unwraps_for_its_purpose_and_import() {
        let master = MasterKey::generate(&SystemRandom::new()).unwrap();
        let wrapped = master.wrap(&SystemRandom::new(), "data", "imp_test", &pattern(0x80)).unwrap();
        assert_eq!(wrapped.len(), 60);
        assert_eq!(*master.unwrap("data", "imp_test", &wrapped).unwrap(), pattern::<32>(0x80));
    }

    #[test]
    fn the_wrap_aad_has_the_documented_bytes() {
        assert_eq!(wrap_aad("data", "imp_test").unwrap(), b"sluice/key-wrap/v1\x04data\x08imp_test");
        assert_eq!(wrap_aad("transport", "").unwrap(), b"sluice/key-wrap/v1\x09transport\x00");
    }

    #[test]
    fn a_wrapped_key_has_the_documented_bytes() {
        // Computed with WebCrypto (Node 20) and Python `cryptography`: AES-GCM, key 20..3f,
        // iv b0..bb, AAD of purpose "data" and import "imp_test", plaintext 80..9f.
        let wrapped =
            master(0x20).wrap_with_nonce(pattern(0xb0), "data", "imp_test", &pattern(0x80)).unwrap();
        assert_eq!(
            hex(&wrapped),
            "b0b1b2b3b4b5b6b7b8b9babb\
             b67ba8c416a64e89ba8497718fb013b906a230081edd02a678dd35c349ba9340\
             8a56e887333567bafbfeb5d143bca435"
        );
    }

    #[test]
    fn a_tampered_or_misattributed_wrapped_key_is_rejected() {
        let master = master(0x20);
        let wrapped = master.wrap(&SystemRandom::new(), "data", "imp_test", &pattern(0x80)).unwrap();
        assert_tampering_is_rejected(&wrapped, |wrapped| master.unwrap("data", "imp_test", wrapped));
        let cases = [("transport", "imp_test"), ("data", "imp_tesu"), ("", "imp_test"), ("data", "")];
        for (purpose, import_id) in cases {
            assert_eq!(
                master.unwrap(purpose, import_id, &wrapped).unwrap_err(),
                Rejected(()),
                "{purpose} {import_id}"
            );
        }
        let other = MasterKey::generate(&SystemRandom::new()).unwrap();
        assert_eq!(other.unwrap("data", "imp_test", &wrapped).unwrap_err(), Rejected(()));
    }

    #[test]
    fn only_32_byte_keys_come_out_of_unwrap() {
        let master = master(0x20);
        let short =
            envelope::seal(&master.bytes, [1; 12], &wrap_aad("data", "imp").unwrap(), &[], &[9; 16]).unwrap();
        assert_eq!(master.unwrap("data", "imp", &short).unwrap_err(), Rejected(()));
    }

    #[test]
    fn debug_never_shows_the_master_key() {
        let key = MasterKey::generate(&SystemRandom::new()).unwrap();
        let debug = format!("{key:?}");
        assert_eq!(debug, "MasterKey([redacted])");
        assert!(!key_leaks_in(&debug, &*key.bytes));
    }
}
