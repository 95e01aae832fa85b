//! AES-256-GCM with explicit nonces and the AAD field encoding that every layout here shares.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::SecureRandom;

use super::{Error, Rejected, rejected};

/// Length of an AES-256-GCM nonce.
pub(super) const NONCE_LEN: usize = 12;

/// Length of an AES-256-GCM tag.
#[cfg(test)]
pub(super) const TAG_LEN: usize = 16;

/// `N` bytes from the random number generator.
pub(super) fn random<const N: usize>(rng: &dyn SecureRandom) -> Result<[u8; N], Error> {
    let mut bytes = [0; N];
    rng.fill(&mut bytes).map_err(|_| Error::Randomness)?;
    Ok(bytes)
}

/// Fills `out` from the random number generator (for secrets that live in a zeroized buffer).
pub(super) fn fill(rng: &dyn SecureRandom, out: &mut [u8]) -> Result<(), Error> {
    rng.fill(out).map_err(|_| Error::Randomness)
}

/// Appends `len8(value) ‖ value`, the encoding of a variable-length AAD field.
pub(super) fn push_len8(aad: &mut Vec<u8>, field: &'static str, value: &[u8]) -> Result<(), Error> {
    let len = u8::try_from(value.len()).map_err(|_| Error::FieldTooLong { field, len: value.len() })?;
    aad.push(len);
    aad.extend_from_slice(value);
    Ok(())
}

/// Seals `plaintext` and returns `prefix ‖ nonce ‖ ciphertext ‖ tag`.
pub(super) fn seal(
    key: &[u8; 32],
    nonce: [u8; NONCE_LEN],
    aad: &[u8],
    prefix: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, Error> {
    let key = aes_key(key).map_err(|_| Error::TooLarge)?;
    // Sealed in its own buffer so that key material being wrapped is overwritten in place.
    let mut ciphertext = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut ciphertext)
        .map_err(|_| Error::TooLarge)?;
    Ok([prefix, &nonce, &ciphertext, tag.as_ref()].concat())
}

/// Opens `nonce ‖ ciphertext ‖ tag` and returns the plaintext.
pub(super) fn open(key: &[u8; 32], aad: &[u8], body: &[u8]) -> Result<Vec<u8>, Rejected> {
    let (nonce, sealed) = body.split_first_chunk::<NONCE_LEN>().ok_or(Rejected(()))?;
    let key = aes_key(key).map_err(rejected)?;
    let mut buffer = sealed.to_vec();
    let len = key
        .open_in_place(Nonce::assume_unique_for_key(*nonce), Aad::from(aad), &mut buffer)
        .map_err(rejected)?
        .len();
    buffer.truncate(len);
    Ok(buffer)
}

/// The AES-256-GCM key for 32 raw bytes (ring fails only on a wrong length, which the type rules out).
fn aes_key(key: &[u8; 32]) -> Result<LessSafeKey, ring::error::Unspecified> {
    Ok(LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key)?))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use std::fmt::Write as _;

    /// Lowercase hex, for comparing with known answers.
    pub(in super::super) fn hex(bytes: &[u8]) -> String {
        bytes.iter().fold(String::new(), |mut out, byte| {
            write!(out, "{byte:02x}").unwrap();
            out
        })
    }

    /// Whether `text` shows `key` in any encoding a careless `Debug` or `Display` would use.
    pub(in super::super) fn key_leaks_in(text: &str, key: &[u8]) -> bool {
        let encodings = [
            hex(key),
            hex(key).to_uppercase(),
            STANDARD.encode(key),
            URL_SAFE_NO_PAD.encode(key),
            format!("{key:?}"),
        ];
        encodings.iter().any(|encoding| text.contains(encoding.as_str()))
    }

    /// Asserts that every bit flipped, every truncation and an extension of `sealed` are rejected.
    pub(in super::super) fn assert_tampering_is_rejected<T: std::fmt::Debug>(
        sealed: &[u8],
        open: impl Fn(&[u8]) -> Result<T, Rejected>,
    ) {
        assert!(open(sealed).is_ok(), "the untouched blob must open");
        for index in 0..sealed.len() {
            for bit in 0..8 {
                let mut tampered = sealed.to_vec();
                tampered[index] ^= 1 << bit;
                assert_eq!(open(&tampered).unwrap_err(), Rejected(()), "byte {index}, bit {bit}");
            }
        }
        for len in 0..sealed.len() {
            assert_eq!(open(&sealed[..len]).unwrap_err(), Rejected(()), "truncated to {len} bytes");
        }
        assert_eq!(open(&[sealed, &[0]].concat()).unwrap_err(), Rejected(()), "extended by a byte");
    }

    #[test]
    fn key_leak_detection_sees_hex_base64_and_debug_arrays() {
        let key = [0xab; 4];
        for text in ["x abababab", "ABABABAB", "q6urqw==", "q6urqw", "[171, 171, 171, 171]"] {
            assert!(key_leaks_in(text, &key), "{text}");
        }
        assert!(!key_leaks_in("[redacted]", &key));
    }

    #[test]
    fn sealed_data_opens_to_the_plaintext_with_the_prefix_in_front() {
        let sealed = seal(&[7; 32], [9; NONCE_LEN], b"aad", b"pre", b"hello").unwrap();
        assert_eq!(sealed.len(), 3 + NONCE_LEN + 5 + TAG_LEN);
        assert_eq!(&sealed[..3], b"pre");
        assert_eq!(&sealed[3..3 + NONCE_LEN], &[9; NONCE_LEN]);
        assert_eq!(open(&[7; 32], b"aad", &sealed[3..]).unwrap(), b"hello");
    }

    #[test]
    fn an_empty_plaintext_seals_to_nonce_and_tag_only() {
        let sealed = seal(&[7; 32], [9; NONCE_LEN], b"", b"", b"").unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + TAG_LEN);
        assert_eq!(open(&[7; 32], b"", &sealed).unwrap(), b"");
    }

    #[test]
    fn fields_longer_than_255_bytes_are_refused() {
        let mut aad = Vec::new();
        push_len8(&mut aad, "import id", &[b'a'; 255]).unwrap();
        assert_eq!(aad.len(), 256);
        assert_eq!(aad[0], 255);
        let error = push_len8(&mut aad, "import id", &[b'a'; 256]).unwrap_err();
        assert!(matches!(error, Error::FieldTooLong { field: "import id", len: 256 }));
    }

    #[test]
    fn random_bytes_differ_between_calls() {
        let rng = ring::rand::SystemRandom::new();
        assert_ne!(random::<16>(&rng).unwrap(), random::<16>(&rng).unwrap());
    }
}
