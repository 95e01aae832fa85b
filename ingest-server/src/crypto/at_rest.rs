//! Sealing stored batches and import metadata under an import's data key.

use std::fmt::{self, Write as _};

use ring::hmac;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::envelope::{self, NONCE_LEN};
use super::{Error, Rejected, rejected};

/// What the fingerprint key is derived with.
const FINGERPRINT_LABEL: &[u8] = b"sluice/fingerprint/v1";

/// First bytes of every at-rest AAD.
const AT_REST_AAD_LABEL: &[u8] = b"sluice/at-rest/v1";

/// What a sealed blob holds, bound by the AAD so that one cannot stand in for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Item {
    /// The batch with this sequence number.
    Batch(u64),
    /// The import's metadata.
    Metadata,
    /// The import's column mapping (schema key to file header), given at completion.
    Mapping,
    /// What completion needs of the batch with this sequence number (its row span and unique
    /// cells' keys), kept so that completion does not open the batch again.
    Summary(u64),
}

impl Item {
    /// `0x01 ‖ sequence` for a batch, `0x02` for metadata, `0x03` for the mapping, `0x04 ‖
    /// sequence` for a batch's summary.
    fn encode(self, aad: &mut Vec<u8>) {
        match self {
            Item::Batch(sequence) => {
                aad.push(0x01);
                aad.extend_from_slice(&sequence.to_be_bytes());
            }
            Item::Metadata => aad.push(0x02),
            Item::Mapping => aad.push(0x03),
            Item::Summary(sequence) => {
                aad.push(0x04);
                aad.extend_from_slice(&sequence.to_be_bytes());
            }
        }
    }
}

/// An import's data key with its random id. Zeroized on drop; `Debug` shows only the id.
///
/// Deleting the wrapped key from the keystore makes everything sealed under it unreadable.
pub struct DataKey {
    /// Stored in clear in front of every blob, so a blob names the key it needs.
    id: [u8; DataKey::ID_LEN],
    /// The raw AES-256-GCM key.
    bytes: Zeroizing<[u8; 32]>,
}

impl DataKey {
    /// Length of a key id.
    pub const ID_LEN: usize = 16;

    /// A new random key with a new random id.
    pub fn generate(rng: &dyn SecureRandom) -> Result<DataKey, Error> {
        let id = envelope::random(rng)?;
        let mut bytes = Zeroizing::new([0; 32]);
        envelope::fill(rng, &mut *bytes)?;
        Ok(DataKey { id, bytes })
    }

    /// Restores a key from its id and its raw bytes (after unwrapping them).
    pub fn from_parts(id: [u8; DataKey::ID_LEN], bytes: &[u8; 32]) -> DataKey {
        DataKey { id, bytes: Zeroizing::new(*bytes) }
    }

    /// The key's id, stored next to the wrapped key.
    pub fn id(&self) -> [u8; DataKey::ID_LEN] {
        self.id
    }

    /// The raw key, to be wrapped at rest with purpose `"data"`.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.bytes.clone()
    }

    /// A keyed fingerprint of `data`, to recognise a batch sent again without keeping anything
    /// in clear that a guess could be checked against: HMAC-SHA256, under a key derived from this
    /// data key, of the 128-bit XXH3 hash of `data` (XXH3 reads the batch at memory speed; the
    /// HMAC keeps the result from being checked against a guess).
    pub fn fingerprint(&self, data: &[u8]) -> [u8; 32] {
        let derived = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &*self.bytes), FINGERPRINT_LABEL);
        let digest = xxhash_rust::xxh3::xxh3_128(data).to_le_bytes();
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, derived.as_ref()), &digest);
        let mut out = [0; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Seals an item of an import under a fresh nonce: `key id ‖ nonce ‖ ciphertext ‖ tag`.
    pub fn seal(
        &self,
        rng: &dyn SecureRandom,
        import_id: &str,
        item: Item,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.seal_with_nonce(envelope::random(rng)?, import_id, item, plaintext)
    }

    /// Opens a blob sealed for this import and item under this key; anything else is
    /// [`Rejected`], including a blob that names another key.
    pub fn open(&self, import_id: &str, item: Item, sealed: &[u8]) -> Result<Vec<u8>, Rejected> {
        let (id, body) = sealed.split_first_chunk::<{ DataKey::ID_LEN }>().ok_or(Rejected(()))?;
        // Key ids are stored in clear, so comparing them in variable time reveals nothing.
        if *id != self.id {
            return Err(Rejected(()));
        }
        let aad = self.aad(import_id, item).map_err(rejected)?;
        envelope::open(&self.bytes, &aad, body)
    }

    /// [`DataKey::seal`] with a given nonce, so that tests can pin the layout.
    fn seal_with_nonce(
        &self,
        nonce: [u8; NONCE_LEN],
        import_id: &str,
        item: Item,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        envelope::seal(&self.bytes, nonce, &self.aad(import_id, item)?, &self.id, plaintext)
    }

    /// `"sluice/at-rest/v1" ‖ key id ‖ len8(import id) ‖ import id ‖ item`.
    fn aad(&self, import_id: &str, item: Item) -> Result<Vec<u8>, Error> {
        let mut aad = Vec::with_capacity(AT_REST_AAD_LABEL.len() + DataKey::ID_LEN + 1 + import_id.len() + 9);
        aad.extend_from_slice(AT_REST_AAD_LABEL);
        aad.extend_from_slice(&self.id);
        envelope::push_len8(&mut aad, "import id", import_id.as_bytes())?;
        item.encode(&mut aad);
        Ok(aad)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut id = String::with_capacity(2 * DataKey::ID_LEN);
        for byte in self.id {
            write!(id, "{byte:02x}")?;
        }
        f.debug_struct("DataKey").field("id", &id).field("bytes", &format_args!("[redacted]")).finish()
    }
}

#[cfg(test)]
mod fingerprint_tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_per_key_and_differ_across_keys_and_data() {
        let a = DataKey::from_parts([1; 16], &[7; 32]);
        let b = DataKey::from_parts([1; 16], &[8; 32]);
        assert_eq!(a.fingerprint(b"rows"), a.fingerprint(b"rows"));
        assert_ne!(a.fingerprint(b"rows"), a.fingerprint(b"rowz"));
        assert_ne!(a.fingerprint(b"rows"), b.fingerprint(b"rows"));
        let plain: [u8; 32] =
            ring::digest::digest(&ring::digest::SHA256, b"rows").as_ref().try_into().unwrap();
        assert_ne!(a.fingerprint(b"rows"), plain, "not a plain hash that a guess could be checked against");
    }
}

#[cfg(test)]
mod tests {
    use super::super::envelope::tests::{assert_tampering_is_rejected, hex, key_leaks_in};
    use super::*;
    use ring::rand::SystemRandom;

    fn pattern<const N: usize>(start: u8) -> [u8; N] {
        std::array::from_fn(|i| start.wrapping_add(i as u8))
    }

    fn fixed_key() -> DataKey {
        DataKey::from_parts(pattern(0xc0), &pattern(0x60))
    }

    #[test]
    fn sealed_items_open_to_their_plaintext() {
        let rng = SystemRandom::new();
        let key = DataKey::generate(&rng).unwrap();
        for (item, plaintext) in
            [(Item::Batch(0), &b"rows"[..]), (Item::Batch(u64::MAX), b""), (Item::Metadata, b"{}")]
        {
            let sealed = key.seal(&rng, "imp_test", item, plaintext).unwrap();
            assert_eq!(sealed.len(), DataKey::ID_LEN + NONCE_LEN + plaintext.len() + 16);
            assert_eq!(sealed[..DataKey::ID_LEN], key.id());
            assert_eq!(key.open("imp_test", item, &sealed).unwrap(), plaintext, "{item:?}");
        }
    }

    #[test]
    fn the_at_rest_aad_has_the_documented_bytes() {
        let key = fixed_key();
        let mut batch = b"sluice/at-rest/v1".to_vec();
        batch.extend_from_slice(&pattern::<16>(0xc0));
        batch.extend_from_slice(b"\x08imp_test\x01\x00\x00\x00\x00\x00\x00\x00\x07");
        assert_eq!(key.aad("imp_test", Item::Batch(7)).unwrap(), batch);
        let mut metadata = b"sluice/at-rest/v1".to_vec();
        metadata.extend_from_slice(&pattern::<16>(0xc0));
        metadata.extend_from_slice(b"\x08imp_test\x02");
        assert_eq!(key.aad("imp_test", Item::Metadata).unwrap(), metadata);
    }

    #[test]
    fn sealed_items_have_the_documented_bytes() {
        // Computed with WebCrypto (Node 20) and Python `cryptography`: key id c0..cf, AES-GCM
        // key 60..7f, iv d0..db, import "imp_test".
        let key = fixed_key();
        let batch = key.seal_with_nonce(pattern(0xd0), "imp_test", Item::Batch(7), b"sealed rows").unwrap();
        assert_eq!(
            hex(&batch),
            "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf\
             d0d1d2d3d4d5d6d7d8d9dadb\
             4661bc6f713d09fed76969\
             c7b8fc5791532509196290d67b490562"
        );
        let metadata =
            key.seal_with_nonce(pattern(0xd0), "imp_test", Item::Metadata, br#"{"rows":2}"#).unwrap();
        assert_eq!(
            hex(&metadata),
            "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf\
             d0d1d2d3d4d5d6d7d8d9dadb\
             4e26af6c632a0bb68a63\
             143463ad3640b024afe991809c74b360"
        );
    }

    #[test]
    fn a_tampered_or_truncated_blob_is_rejected() {
        let key = fixed_key();
        let sealed = key.seal(&SystemRandom::new(), "imp_test", Item::Batch(3), b"a,b\n").unwrap();
        assert_tampering_is_rejected(&sealed, |sealed| key.open("imp_test", Item::Batch(3), sealed));
    }

    #[test]
    fn a_blob_opened_as_another_item_or_import_is_rejected() {
        let key = fixed_key();
        let sealed = key.seal(&SystemRandom::new(), "imp_test", Item::Batch(3), b"a,b\n").unwrap();
        let cases =
            [("imp_test", Item::Batch(2)), ("imp_test", Item::Metadata), ("imp_tesu", Item::Batch(3))];
        for (import_id, item) in cases {
            assert_eq!(key.open(import_id, item, &sealed), Err(Rejected(())), "{import_id} {item:?}");
        }
    }

    #[test]
    fn a_blob_opened_with_another_key_is_rejected() {
        let key = fixed_key();
        let sealed = key.seal(&SystemRandom::new(), "imp_test", Item::Metadata, b"{}").unwrap();
        let others = [
            ("another key", DataKey::generate(&SystemRandom::new()).unwrap()),
            ("same id, other bytes", DataKey::from_parts(key.id(), &pattern(0x61))),
            ("other id, same bytes", DataKey::from_parts(pattern(0xc1), &key.to_bytes())),
        ];
        for (case, other) in others {
            assert_eq!(other.open("imp_test", Item::Metadata, &sealed), Err(Rejected(())), "{case}");
        }
    }

    #[test]
    fn an_import_id_too_long_for_the_aad_cannot_seal_or_open() {
        let key = fixed_key();
        let long = "i".repeat(256);
        let error = key.seal(&SystemRandom::new(), &long, Item::Metadata, b"{}").unwrap_err();
        assert!(matches!(error, Error::FieldTooLong { field: "import id", len: 256 }));
        let sealed = key.seal(&SystemRandom::new(), "imp_test", Item::Metadata, b"{}").unwrap();
        assert_eq!(key.open(&long, Item::Metadata, &sealed), Err(Rejected(())));
    }

    #[test]
    fn debug_shows_the_id_and_never_the_key() {
        let key = fixed_key();
        let debug = format!("{key:?}");
        assert_eq!(debug, "DataKey { id: \"c0c1c2c3c4c5c6c7c8c9cacbcccdcecf\", bytes: [redacted] }");
        assert!(!key_leaks_in(&debug, &*key.to_bytes()));
        let random = DataKey::generate(&SystemRandom::new()).unwrap();
        assert!(!key_leaks_in(&format!("{random:?}"), &*random.to_bytes()));
    }
}
