//! Cryptography for the ingest server: the per-import transport handshake and sealed batches,
//! sealing at rest under wrapped per-import keys, upload tokens and import ids.
//!
//! Everything is built on `ring`: ECDH P-256, HKDF-SHA256, AES-256-GCM with explicit random
//! nonces, SHA-256. Randomness always comes from a `&dyn ring::rand::SecureRandom` that the caller
//! passes in (`ring::rand::SystemRandom` in the server).
//!
//! The byte layouts below are a wire and storage format: the browser implements the transport
//! half with WebCrypto, and sealed data outlives the process that wrote it. They never change in
//! place; a new layout gets a new version label (`v1` → `v2`). Tests pin every layout with
//! known-answer vectors, so an accidental change breaks a test.
//!
//! Notation: `‖` is concatenation; `u32` and `u64` are unsigned big-endian integers; `len8(x)` is
//! the length of `x` in bytes as a single byte, so `x` is at most 255 bytes; quoted labels are
//! their ASCII bytes with no terminator; import ids and purposes are their UTF-8 bytes.
//!
//! # Transport: one key per import
//!
//! The browser makes an ephemeral ECDH P-256 key pair and sends its public key when an import
//! starts; the server answers with a public key of its own, also ephemeral
//! ([`ServerHandshake`]). A public key is the 65-byte uncompressed SEC1 point `0x04 ‖ x ‖ y`
//! (what WebCrypto `exportKey("raw", …)` gives), carried as base64url without padding
//! ([`PublicKey`]). Both sides then derive the import's [`TransportKey`]:
//!
//! ```text
//! secret = ECDH(own private key, peer public key)          32 bytes (the x coordinate)
//! key    = HKDF-SHA256(ikm  = secret,
//!                      salt = "sluice/transport/v1",
//!                      info = "sluice/batch-key/" ‖ import id,
//!                      length = 32 bytes)                  an AES-256-GCM key
//! ```
//!
//! In WebCrypto: `deriveBits({name: "ECDH", public: serverKey}, clientPrivate, 256)`, then
//! `importKey("raw", bits, "HKDF", false, ["deriveKey"])`, then `deriveKey({name: "HKDF", hash:
//! "SHA-256", salt, info}, hkdfKey, {name: "AES-GCM", length: 256}, false, ["encrypt"])`.
//!
//! Each batch is sealed with AES-256-GCM under a fresh random 96-bit nonce ([`BatchAad`]):
//!
//! ```text
//! body = nonce (12) ‖ ciphertext ‖ tag (16)
//! aad  = "sluice/batch/v1" ‖ len8(import id) ‖ import id
//!        ‖ sequence (u64) ‖ first row (u64) ‖ row count (u32) ‖ schema digest (32)
//! ```
//!
//! WebCrypto's `encrypt({name: "AES-GCM", iv: nonce, additionalData: aad}, key, plaintext)`
//! returns `ciphertext ‖ tag`; the body is the nonce followed by that.
//!
//! Every failure to authenticate or decrypt (a bad point, a truncated body, a flipped bit, the
//! AAD of another batch or another import, the wrong key) is the same [`Rejected`], which carries
//! no detail, so no answer can tell a client which check failed.
//!
//! # At rest
//!
//! The [`MasterKey`] is 32 random bytes, written as standard base64 with padding (44 characters);
//! it comes from the environment or from a key file that [`MasterKey::create_file`] creates with
//! mode 0600. It wraps each import's keys (purposes `"data"` and `"transport"`):
//!
//! ```text
//! wrapped = nonce (12) ‖ ciphertext (32) ‖ tag (16)                          60 bytes
//! aad     = "sluice/key-wrap/v1" ‖ len8(purpose) ‖ purpose ‖ len8(import id) ‖ import id
//! ```
//!
//! Stored batches and import metadata are sealed under the import's [`DataKey`], whose random
//! 16-byte id travels in clear in front of the blob and is bound by the AAD:
//!
//! ```text
//! sealed = key id (16) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
//! aad    = "sluice/at-rest/v1" ‖ key id ‖ len8(import id) ‖ import id ‖ item
//! item   = 0x01 ‖ sequence (u64)       a batch (Item::Batch)
//!        | 0x02                        the import's metadata (Item::Metadata)
//!        | 0x03                        the import's column mapping (Item::Mapping)
//!        | 0x04 ‖ sequence (u64)       a batch's summary for completion (Item::Summary)
//! ```
//!
//! A stored batch is recognised when it is sent again by a keyed fingerprint of its plaintext,
//! kept next to it ([`DataKey::fingerprint`]), never by a plain hash:
//!
//! ```text
//! fingerprint = HMAC-SHA256(key = HMAC-SHA256(data key, "sluice/fingerprint/v1"),
//!                           XXH3-128(batch) as 16 little-endian bytes)
//! ```
//!
//! XXH3 is not collision resistant, and need not be: only the import's own client can send
//! batches for it, and a collision could only make its second batch pass for a replay of the
//! first.
//!
//! # Tokens and ids
//!
//! An upload token ([`UploadToken`]) is `"sut_"` ‖ base64url without padding of 32 random bytes
//! (47 characters). The server stores only SHA-256 of the token's text and compares in constant
//! time. An import id ([`new_import_id`]) is `"imp_"` ‖ 20 random bytes in lowercase base32
//! (RFC 4648 alphabet, no padding; 36 characters), unguessable and safe in URLs and file names.
//!
//! A start token ([`sign_start_token`], [`open_start_token`]) is what the host app's server
//! signs for an importer that requires signed starts:
//!
//! ```text
//! token     = "sst1." ‖ base64url(payload) ‖ "." ‖ base64url(signature)        no padding
//! signature = HMAC-SHA256(key = the start secret's UTF-8 bytes,
//!                         message = "sst1." ‖ base64url(payload))
//! ```
//!
//! # Nonce budget
//!
//! With random 96-bit nonces one key must seal well under 2^32 messages (NIST SP 800-38D). A
//! transport or data key seals the batches of one import; the master key wraps two keys per
//! import. Both stay far below that bound.

mod at_rest;
mod envelope;
mod keys;
mod start_token;
mod token;
mod transport;

use std::fmt;
use std::io;
use std::path::PathBuf;

pub use at_rest::{DataKey, Item};
pub use keys::MasterKey;
pub use start_token::{StartTokenError, open_start_token, sign_start_token};
pub use token::{UploadToken, new_import_id, new_store_id};
pub use transport::{BatchAad, ClientHandshake, PublicKey, ServerHandshake, TransportKey};

/// A failure that is not about authenticity: randomness, files, encodings, limits.
///
/// Failures to authenticate or decrypt are [`Rejected`] instead.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The operating system's random number generator failed.
    Randomness,
    /// AES-256-GCM refused to seal the input, which only happens past its size limit (~64 GB).
    TooLarge,
    /// A length-prefixed field of an AAD is longer than 255 bytes.
    FieldTooLong {
        /// Which field: `"import id"` or `"purpose"`.
        field: &'static str,
        /// Its length in bytes.
        len: usize,
    },
    /// A public key that is not a 65-byte uncompressed P-256 point in base64url without padding.
    BadPublicKey,
    /// A master key text that is not 32 bytes in standard base64 with padding.
    BadMasterKey {
        /// The key file it came from, if it came from a file.
        path: Option<PathBuf>,
        /// What is wrong, never including the text itself.
        problem: &'static str,
    },
    /// Reading or writing a master key file failed.
    Io {
        /// What was being done, e.g. `"read the master key file"`.
        action: &'static str,
        /// The file, or the directory that holds it.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// [`MasterKey::create_file`] found a file already at its path.
    KeyFileExists {
        /// The existing file.
        path: PathBuf,
    },
    /// [`MasterKey::load`] found a key file that group or others may access.
    KeyFileTooOpen {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Randomness => f.write_str(
                "the system random number generator failed; check that the operating system's \
                 entropy source (getrandom or /dev/urandom) is available to the server",
            ),
            Error::TooLarge => {
                f.write_str("the data is too large for AES-256-GCM; seal it in smaller pieces")
            }
            Error::FieldTooLong { field, len } => {
                write!(f, "the {field} is {len} bytes long; sealed layouts allow at most 255 bytes")
            }
            Error::BadPublicKey => f.write_str(
                "the public key is not a 65-byte uncompressed P-256 point in base64url without \
                 padding (what WebCrypto exportKey(\"raw\") gives)",
            ),
            Error::BadMasterKey { path, problem } => write_bad_master_key(f, path.as_ref(), problem),
            Error::Io { action, path, source } => {
                write!(f, "could not {action} {}: {source}", path.display())
            }
            Error::KeyFileExists { path } => write!(
                f,
                "refusing to overwrite the existing master key file {}; load it instead, and move \
                 it away only if no data sealed under it is still needed",
                path.display()
            ),
            Error::KeyFileTooOpen { path, mode } => write!(
                f,
                "the master key file {path} may be accessed by group or others (mode {mode:03o}); \
                 run `chmod 600 {path}`",
                path = path.display()
            ),
        }
    }
}

/// Writes [`Error::BadMasterKey`], which names the file when there is one.
fn write_bad_master_key(f: &mut fmt::Formatter<'_>, path: Option<&PathBuf>, problem: &str) -> fmt::Result {
    match path {
        Some(path) => write!(f, "the master key in {} {problem}", path.display())?,
        None => write!(f, "the master key {problem}")?,
    }
    f.write_str(
        "; it must be 32 random bytes in standard base64 with padding (44 characters), \
         such as the output of `openssl rand -base64 32`",
    )
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Something could not be authenticated or decrypted.
///
/// Deliberately one value with no detail: a bad key, a bad point, a truncated body, a flipped
/// bit and another import's AAD all look the same, so nothing derived from it can tell a client
/// which check failed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Rejected(());

impl fmt::Debug for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Rejected")
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the batch could not be opened")
    }
}

impl std::error::Error for Rejected {}

/// Turns any failure into [`Rejected`], dropping its detail on purpose.
fn rejected<E>(_detail: E) -> Rejected {
    Rejected(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_says_only_that_the_batch_could_not_be_opened() {
        assert_eq!(Rejected(()).to_string(), "the batch could not be opened");
        assert_eq!(format!("{:?}", rejected("detail that must not leak")), "Rejected");
    }

    #[test]
    fn key_file_errors_name_the_path_and_the_fix() {
        let path = PathBuf::from("/etc/sluice/master.key");
        let open = Error::KeyFileTooOpen { path: path.clone(), mode: 0o640 };
        assert!(open.to_string().contains("(mode 640)"));
        assert!(open.to_string().contains("run `chmod 600 /etc/sluice/master.key`"));
        let bad = Error::BadMasterKey { path: Some(path), problem: "is not valid base64" };
        assert!(bad.to_string().starts_with("the master key in /etc/sluice/master.key is not valid"));
    }

    #[test]
    fn io_errors_expose_their_source() {
        let error = Error::Io {
            action: "read the master key file",
            path: PathBuf::from("k"),
            source: io::Error::new(io::ErrorKind::NotFound, "gone"),
        };
        assert!(std::error::Error::source(&error).is_some());
        assert!(std::error::Error::source(&Error::Randomness).is_none());
    }
}
