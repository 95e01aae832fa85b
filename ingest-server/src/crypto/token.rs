//! Upload tokens (stored only as hashes, compared in constant time) and unguessable import ids.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::hmac;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::Error;
use super::envelope;

/// Prefix of every upload token, so that a leaked one is recognisable, also to secret scanners.
const TOKEN_PREFIX: &str = "sut_";

/// Prefix of every import id.
const IMPORT_ID_PREFIX: &str = "imp_";

/// What a store id starts with.
const STORE_ID_PREFIX: &str = "sto_";

/// The RFC 4648 base32 alphabet, lowercase.
const BASE32_LOWER: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Upload tokens: made here, handed to the browser once, and stored only as SHA-256 of their text.
pub enum UploadToken {}

impl UploadToken {
    /// A new token (`sut_` and 32 random bytes in base64url without padding) and the hash that
    /// is all the server stores.
    pub fn generate(rng: &dyn SecureRandom) -> Result<(String, [u8; 32]), Error> {
        let mut secret = Zeroizing::new([0; 32]);
        envelope::fill(rng, &mut *secret)?;
        let token = token_text(&secret);
        let hash = UploadToken::hash(&token);
        Ok((token, hash))
    }

    /// SHA-256 of the token's text.
    pub fn hash(token: &str) -> [u8; 32] {
        let mut hash = [0; 32];
        // SHA-256 digests are always 32 bytes long, so this copies all of it.
        hash.iter_mut().zip(digest(&SHA256, token.as_bytes()).as_ref()).for_each(|(out, byte)| *out = *byte);
        hash
    }

    /// Whether `token` is the one whose hash was stored, compared in constant time.
    pub fn matches(token: &str, stored_hash: &[u8; 32]) -> bool {
        // ring's constant-time comparison is `hmac::verify`: both hashes go through one HMAC
        // key (it need not be secret) and the tags are compared without an early exit.
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"sluice/upload-token/compare");
        let expected = hmac::sign(&key, stored_hash);
        hmac::verify(&key, &UploadToken::hash(token), expected.as_ref()).is_ok()
    }
}

/// A new import id: `imp_` and 20 random bytes in lowercase base32, 36 characters.
pub fn new_import_id(rng: &dyn SecureRandom) -> Result<String, Error> {
    Ok(import_id_text(&envelope::random::<20>(rng)?))
}

/// A new random store id: `sto_` and 32 base32 characters (160 bits), made once with a store.
pub fn new_store_id(rng: &dyn SecureRandom) -> Result<String, Error> {
    Ok(format!("{STORE_ID_PREFIX}{}", base32_lower(&envelope::random::<20>(rng)?)))
}

/// The text of the token with these secret bytes.
fn token_text(secret: &[u8; 32]) -> String {
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret))
}

/// The text of the import id with these random bytes.
fn import_id_text(bytes: &[u8; 20]) -> String {
    format!("{IMPORT_ID_PREFIX}{}", base32_lower(bytes))
}

/// RFC 4648 base32 in lowercase without padding.
fn base32_lower(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    // At most 12 bits are pending: fewer than 5 left over plus the 8 just added.
    let (mut pending, mut bits) = (0u16, 0u32);
    for &byte in bytes {
        pending = ((pending << 8) | u16::from(byte)) & 0x0fff;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(base32_symbol(pending >> bits));
        }
    }
    if bits > 0 {
        out.push(base32_symbol(pending << (5 - bits)));
    }
    out
}

/// The symbol for the low 5 bits of `value`.
fn base32_symbol(value: u16) -> char {
    char::from(BASE32_LOWER[usize::from(value & 0x1f)])
}

#[cfg(test)]
mod tests {
    use super::super::envelope::tests::hex;
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn base32_matches_the_rfc_4648_test_vectors() {
        let cases = [
            ("", ""),
            ("f", "my"),
            ("fo", "mzxq"),
            ("foo", "mzxw6"),
            ("foob", "mzxw6yq"),
            ("fooba", "mzxw6ytb"),
            ("foobar", "mzxw6ytboi"),
        ];
        for (input, expected) in cases {
            assert_eq!(base32_lower(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(base32_lower(&[0xff; 5]), "77777777");
    }

    #[test]
    fn an_import_id_is_imp_and_32_lowercase_base32_symbols() {
        let bytes: [u8; 20] = std::array::from_fn(|i| i as u8);
        assert_eq!(import_id_text(&bytes), "imp_aaaqeayeaudaocajbifqydiob4ibceqt");
        let id = new_import_id(&SystemRandom::new()).unwrap();
        assert_eq!(id.len(), 36);
        assert!(id.starts_with("imp_"));
        assert!(id[4..].bytes().all(|byte| BASE32_LOWER.contains(&byte)), "{id}");
        assert_ne!(id, new_import_id(&SystemRandom::new()).unwrap());
    }

    #[test]
    fn a_token_is_sut_and_32_bytes_in_base64url() {
        let secret: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(token_text(&secret), "sut_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
        let (token, hash) = UploadToken::generate(&SystemRandom::new()).unwrap();
        assert_eq!(token.len(), 47);
        let decoded = URL_SAFE_NO_PAD.decode(token.strip_prefix("sut_").unwrap()).unwrap();
        assert_eq!(decoded.len(), 32);
        assert_eq!(hash, UploadToken::hash(&token));
        assert_ne!(token, UploadToken::generate(&SystemRandom::new()).unwrap().0);
    }

    #[test]
    fn the_stored_hash_is_sha256_of_the_token_text() {
        // Computed with WebCrypto (Node 20) and Python hashlib.
        let hash = UploadToken::hash("sut_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
        assert_eq!(hex(&hash), "7f3e6daef230aaeb86af42a45dcf8fb9d3bafe3405705bb985aac985ce2c381d");
    }

    #[test]
    fn only_the_issued_token_matches_its_hash() {
        let (token, hash) = UploadToken::generate(&SystemRandom::new()).unwrap();
        assert!(UploadToken::matches(&token, &hash));
        let (other, _) = UploadToken::generate(&SystemRandom::new()).unwrap();
        let mut last_changed = token.clone();
        let last = if last_changed.ends_with('A') { "B" } else { "A" };
        last_changed.replace_range(46.., last);
        for wrong in [other.as_str(), &last_changed, &token[..46], "", &token[4..]] {
            assert!(!UploadToken::matches(wrong, &hash), "{wrong}");
        }
        let mut flipped = hash;
        flipped[31] ^= 1;
        assert!(!UploadToken::matches(&token, &flipped));
    }
}
