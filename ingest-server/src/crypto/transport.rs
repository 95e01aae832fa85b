//! The per-import transport handshake (ECDH P-256, HKDF-SHA256) and sealed batches (AES-256-GCM).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::AES_256_GCM;
use ring::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey};
use ring::hkdf::{HKDF_SHA256, Salt};
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::envelope::{self, NONCE_LEN};
use super::{Error, Rejected, rejected};

/// HKDF salt of the transport key.
const HKDF_SALT: &[u8] = b"sluice/transport/v1";
/// HKDF info of the transport key, followed by the import id.
const HKDF_INFO_PREFIX: &[u8] = b"sluice/batch-key/";
/// First bytes of every batch AAD.
const BATCH_AAD_LABEL: &[u8] = b"sluice/batch/v1";

/// An ephemeral P-256 public key: the 65-byte uncompressed SEC1 point `0x04 ‖ x ‖ y`.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey([u8; PublicKey::LEN]);

impl PublicKey {
    /// Length of an uncompressed P-256 point.
    pub const LEN: usize = 65;

    /// Parses base64url without padding of an uncompressed point, as a browser sends it.
    ///
    /// Only the encoding and the shape are checked here; whether the point is on the curve is
    /// checked by `derive`, which answers [`Rejected`].
    pub fn from_base64(text: &str) -> Result<PublicKey, Error> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| Error::BadPublicKey)?;
        match <[u8; PublicKey::LEN]>::try_from(bytes.as_slice()) {
            Ok(point) if point[0] == 0x04 => Ok(PublicKey(point)),
            _ => Err(Error::BadPublicKey),
        }
    }

    /// The 65 bytes of the point.
    pub fn as_bytes(&self) -> &[u8; PublicKey::LEN] {
        &self.0
    }

    /// The point as base64url without padding, as the browser expects it.
    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey").field(&self.to_base64()).finish()
    }
}

/// The server's half of an import's handshake: an ephemeral private key, used once.
pub struct ServerHandshake(Handshake);

impl ServerHandshake {
    /// Makes an ephemeral key pair; send the public key to the browser.
    pub fn new(rng: &dyn SecureRandom) -> Result<(ServerHandshake, PublicKey), Error> {
        let (handshake, public) = Handshake::new(rng)?;
        Ok((ServerHandshake(handshake), public))
    }

    /// Derives the import's transport key from the browser's public key, consuming the private
    /// key. A point that is malformed or not on the curve is [`Rejected`].
    pub fn derive(self, client_public: &[u8], import_id: &str) -> Result<TransportKey, Rejected> {
        self.0.derive(client_public, import_id)
    }
}

/// The client's half of an import's handshake, the mirror of [`ServerHandshake`] (the browser
/// does the same with WebCrypto; this one serves Rust clients and tests).
pub struct ClientHandshake(Handshake);

impl ClientHandshake {
    /// Makes an ephemeral key pair; send the public key to the server.
    pub fn new(rng: &dyn SecureRandom) -> Result<(ClientHandshake, PublicKey), Error> {
        let (handshake, public) = Handshake::new(rng)?;
        Ok((ClientHandshake(handshake), public))
    }

    /// Derives the import's transport key from the server's public key, consuming the private key.
    pub fn derive(self, server_public: &[u8], import_id: &str) -> Result<TransportKey, Rejected> {
        self.0.derive(server_public, import_id)
    }
}

/// What both halves share: ECDH is symmetric, only the names of the roles differ.
struct Handshake {
    /// Never leaves this struct and is consumed by the one agreement it makes.
    private: EphemeralPrivateKey,
}

impl Handshake {
    /// Makes an ephemeral P-256 key pair.
    fn new(rng: &dyn SecureRandom) -> Result<(Handshake, PublicKey), Error> {
        let private = EphemeralPrivateKey::generate(&ECDH_P256, rng).map_err(|_| Error::Randomness)?;
        // ring fails here only for a key it could not generate properly, which means bad randomness.
        let public = private.compute_public_key().map_err(|_| Error::Randomness)?;
        let point = <[u8; PublicKey::LEN]>::try_from(public.as_ref()).map_err(|_| Error::Randomness)?;
        Ok((Handshake { private }, PublicKey(point)))
    }

    /// ECDH with the peer's point, then HKDF to the import's key.
    fn derive(self, peer_public: &[u8], import_id: &str) -> Result<TransportKey, Rejected> {
        let peer = UnparsedPublicKey::new(&ECDH_P256, peer_public);
        agreement::agree_ephemeral(self.private, &peer, |secret| TransportKey::from_secret(secret, import_id))
            .map_err(rejected)?
    }
}

impl fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerHandshake([redacted])")
    }
}

impl fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientHandshake([redacted])")
    }
}

/// An import's AES-256-GCM transport key. Zeroized on drop; `Debug` never shows it.
pub struct TransportKey {
    /// The raw key.
    bytes: Zeroizing<[u8; 32]>,
}

impl TransportKey {
    /// Restores a key exported with [`TransportKey::to_bytes`] (after unwrapping it).
    pub fn from_bytes(bytes: &[u8; 32]) -> TransportKey {
        TransportKey { bytes: Zeroizing::new(*bytes) }
    }

    /// The raw key, to be wrapped at rest with purpose `"transport"`.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        self.bytes.clone()
    }

    /// Seals one batch under a fresh random nonce: `nonce ‖ ciphertext ‖ tag` (the client's side).
    pub fn seal_batch(
        &self,
        rng: &dyn SecureRandom,
        aad: &BatchAad<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        self.seal_batch_with_nonce(envelope::random(rng)?, aad, plaintext)
    }

    /// Opens one batch body (the server's side); any failure is the same [`Rejected`].
    pub fn open_batch(&self, aad: &BatchAad<'_>, body: &[u8]) -> Result<Vec<u8>, Rejected> {
        let aad = aad.encode().map_err(rejected)?;
        envelope::open(&self.bytes, &aad, body)
    }

    /// HKDF-SHA256 from the ECDH secret to the key of this import.
    fn from_secret(secret: &[u8], import_id: &str) -> Result<TransportKey, Rejected> {
        let prk = Salt::new(HKDF_SHA256, HKDF_SALT).extract(secret);
        let info = [HKDF_INFO_PREFIX, import_id.as_bytes()];
        let okm = prk.expand(&info, &AES_256_GCM).map_err(rejected)?;
        let mut bytes = Zeroizing::new([0; 32]);
        okm.fill(&mut *bytes).map_err(rejected)?;
        Ok(TransportKey { bytes })
    }

    /// [`TransportKey::seal_batch`] with a given nonce, so that tests can pin the layout.
    fn seal_batch_with_nonce(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &BatchAad<'_>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        envelope::seal(&self.bytes, nonce, &aad.encode()?, &[], plaintext)
    }
}

impl fmt::Debug for TransportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransportKey([redacted])")
    }
}

/// What a sealed batch is bound to: the AAD, so a batch opens only as the batch it was sealed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchAad<'a> {
    /// The import the batch belongs to (at most 255 bytes).
    pub import_id: &'a str,
    /// The batch's sequence number within the import.
    pub sequence: u64,
    /// The index of the batch's first data row within the file.
    pub first_row: u64,
    /// How many rows the batch holds.
    pub row_count: u32,
    /// SHA-256 of the schema the rows were mapped to.
    pub schema_digest: [u8; 32],
}

impl BatchAad<'_> {
    /// `"sluice/batch/v1" ‖ len8(import id) ‖ import id ‖ sequence ‖ first row ‖ row count ‖ digest`.
    fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut aad = Vec::with_capacity(BATCH_AAD_LABEL.len() + 1 + self.import_id.len() + 8 + 8 + 4 + 32);
        aad.extend_from_slice(BATCH_AAD_LABEL);
        envelope::push_len8(&mut aad, "import id", self.import_id.as_bytes())?;
        aad.extend_from_slice(&self.sequence.to_be_bytes());
        aad.extend_from_slice(&self.first_row.to_be_bytes());
        aad.extend_from_slice(&self.row_count.to_be_bytes());
        aad.extend_from_slice(&self.schema_digest);
        Ok(aad)
    }
}

#[cfg(test)]
mod tests {
    use super::super::envelope::tests::{assert_tampering_is_rejected, hex, key_leaks_in};
    use super::*;
    use ring::rand::SystemRandom;

    const AAD: BatchAad<'static> = BatchAad {
        import_id: "imp_test",
        sequence: 7,
        first_row: 7000,
        row_count: 1000,
        schema_digest: [0x5d; 32],
    };

    fn pattern<const N: usize>(start: u8) -> [u8; N] {
        std::array::from_fn(|i| start.wrapping_add(i as u8))
    }

    fn handshake(import_id: &str) -> (TransportKey, TransportKey) {
        let rng = SystemRandom::new();
        let (server, server_public) = ServerHandshake::new(&rng).unwrap();
        let (client, client_public) = ClientHandshake::new(&rng).unwrap();
        let server_key = server.derive(client_public.as_bytes(), import_id).unwrap();
        let client_key = client.derive(server_public.as_bytes(), import_id).unwrap();
        (server_key, client_key)
    }

    #[test]
    fn client_and_server_derive_the_same_key() {
        let (server_key, client_key) = handshake("imp_test");
        assert_eq!(*server_key.to_bytes(), *client_key.to_bytes());
        let body = client_key.seal_batch(&SystemRandom::new(), &AAD, b"a,b\n1,2\n").unwrap();
        assert_eq!(server_key.open_batch(&AAD, &body).unwrap(), b"a,b\n1,2\n");
    }

    #[test]
    fn every_handshake_gives_a_new_key() {
        assert_ne!(*handshake("imp_test").0.to_bytes(), *handshake("imp_test").0.to_bytes());
    }

    #[test]
    fn the_transport_key_is_hkdf_of_the_secret_with_the_documented_salt_and_info() {
        // Computed with WebCrypto (Node 20) and Python `cryptography`: HKDF SHA-256 of bytes 00..1f, salt
        // "sluice/transport/v1", info "sluice/batch-key/imp_test", 256 bits.
        let key = TransportKey::from_secret(&pattern::<32>(0), "imp_test").unwrap();
        assert_eq!(hex(&*key.to_bytes()), "7ac3f60ed246c52d377ab808e0a7a5a7420de9bd705366dc175a9127f2348812");
        let other = TransportKey::from_secret(&pattern::<32>(0), "imp_other").unwrap();
        assert_ne!(*key.to_bytes(), *other.to_bytes());
    }

    #[test]
    fn the_batch_aad_has_the_documented_bytes() {
        let mut expected = b"sluice/batch/v1\x08imp_test".to_vec();
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 7]);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x1b, 0x58]);
        expected.extend_from_slice(&[0, 0, 0x03, 0xe8]);
        expected.extend_from_slice(&[0x5d; 32]);
        assert_eq!(AAD.encode().unwrap(), expected);
        assert_eq!(expected.len(), 15 + 1 + 8 + 8 + 8 + 4 + 32);
    }

    #[test]
    fn a_sealed_batch_has_the_documented_bytes() {
        // Computed with WebCrypto (Node 20) and Python `cryptography`: AES-GCM, key 00..1f,
        // iv a0..ab, the AAD above.
        let key = TransportKey::from_bytes(&pattern(0));
        let body =
            key.seal_batch_with_nonce(pattern(0xa0), &AAD, b"name,email\nAda,ada@example.com\n").unwrap();
        assert_eq!(body.len(), NONCE_LEN + 31 + 16);
        assert_eq!(
            hex(&body),
            "a0a1a2a3a4a5a6a7a8a9aaab\
             8879114869ae6fde0b098d92631becbf14cd1975ead62f1cf06b08e510c67f\
             588c4be5606e8b816a722861534c0bf1"
        );
    }

    #[test]
    fn a_tampered_or_truncated_batch_is_rejected() {
        let key = TransportKey::from_bytes(&pattern(0));
        let body = key.seal_batch(&SystemRandom::new(), &AAD, b"id\n1\n").unwrap();
        assert_tampering_is_rejected(&body, |body| key.open_batch(&AAD, body));
    }

    #[test]
    fn a_batch_opened_as_another_batch_or_with_another_key_is_rejected() {
        let key = TransportKey::from_bytes(&pattern(0));
        let body = key.seal_batch(&SystemRandom::new(), &AAD, b"id\n1\n").unwrap();
        let cases = [
            ("another import", BatchAad { import_id: "imp_tesu", ..AAD }),
            ("another sequence", BatchAad { sequence: 8, ..AAD }),
            ("another first row", BatchAad { first_row: 7001, ..AAD }),
            ("another row count", BatchAad { row_count: 999, ..AAD }),
            ("another schema", BatchAad { schema_digest: [0x5e; 32], ..AAD }),
        ];
        for (case, aad) in cases {
            assert_eq!(key.open_batch(&aad, &body), Err(Rejected(())), "{case}");
        }
        let (other, _) = handshake("imp_test");
        assert_eq!(other.open_batch(&AAD, &body), Err(Rejected(())));
    }

    #[test]
    fn a_bad_client_point_is_rejected() {
        let (_, valid) = ClientHandshake::new(&SystemRandom::new()).unwrap();
        let mut off_curve = *valid.as_bytes();
        off_curve[64] ^= 1;
        let mut compressed = vec![0x02 | (valid.as_bytes()[64] & 1)];
        compressed.extend_from_slice(&valid.as_bytes()[1..33]);
        let cases: [(&str, &[u8]); 6] = [
            ("empty", &[]),
            ("point at infinity", &[0]),
            ("compressed point", &compressed),
            ("too short", &valid.as_bytes()[..64]),
            ("off the curve", &off_curve),
            ("all zero", &[0; 65]),
        ];
        for (case, point) in cases {
            let (server, _) = ServerHandshake::new(&SystemRandom::new()).unwrap();
            assert_eq!(server.derive(point, "imp_test").unwrap_err(), Rejected(()), "{case}");
        }
    }

    #[test]
    fn public_keys_travel_as_base64url_without_padding() {
        let (_, public) = ServerHandshake::new(&SystemRandom::new()).unwrap();
        let text = public.to_base64();
        assert_eq!(text.len(), 87);
        assert!(!text.contains(['=', '+', '/']));
        assert_eq!(PublicKey::from_base64(&text).unwrap(), public);
        assert_eq!(public.as_bytes()[0], 0x04);
    }

    #[test]
    fn malformed_public_keys_are_refused() {
        let (_, public) = ServerHandshake::new(&SystemRandom::new()).unwrap();
        let padded = format!("{}=", public.to_base64());
        let mut compressed = *public.as_bytes();
        compressed[0] = 0x02;
        let cases = [
            "",
            "not base64!",
            padded.as_str(),
            &URL_SAFE_NO_PAD.encode([4; 64]),
            &URL_SAFE_NO_PAD.encode(compressed),
        ];
        for text in cases {
            assert!(matches!(PublicKey::from_base64(text), Err(Error::BadPublicKey)), "{text}");
        }
    }

    #[test]
    fn a_transport_key_survives_export_and_import() {
        let (key, _) = handshake("imp_test");
        let restored = TransportKey::from_bytes(&key.to_bytes());
        let body = key.seal_batch(&SystemRandom::new(), &AAD, b"x").unwrap();
        assert_eq!(restored.open_batch(&AAD, &body).unwrap(), b"x");
    }

    #[test]
    fn an_import_id_too_long_for_the_aad_cannot_seal_or_open() {
        let long = "i".repeat(256);
        let aad = BatchAad { import_id: &long, ..AAD };
        let key = TransportKey::from_bytes(&pattern(0));
        let error = key.seal_batch(&SystemRandom::new(), &aad, b"x").unwrap_err();
        assert!(matches!(error, Error::FieldTooLong { field: "import id", len: 256 }));
        assert_eq!(key.open_batch(&aad, &[0; 64]), Err(Rejected(())));
    }

    #[test]
    fn debug_output_never_shows_key_material() {
        let rng = SystemRandom::new();
        let (key, _) = handshake("imp_test");
        assert!(!key_leaks_in(&format!("{key:?}"), &*key.to_bytes()));
        assert_eq!(format!("{key:?}"), "TransportKey([redacted])");
        let (server, _) = ServerHandshake::new(&rng).unwrap();
        let (client, _) = ClientHandshake::new(&rng).unwrap();
        assert_eq!(
            format!("{server:?} {client:?}"),
            "ServerHandshake([redacted]) ClientHandshake([redacted])"
        );
    }
}
