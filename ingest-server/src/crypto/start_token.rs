//! Start tokens: the host app's own server signs what an import may start with (importer, user,
//! attributes, expiry, a nonce) under a secret it shares with the importer, so that an importer
//! configured for signed starts refuses anyone else. The layout (`docs/protocol.md`, §4.8):
//!
//! ```text
//! token     = "sst1." ‖ payload64 ‖ "." ‖ signature64
//! payload64 = base64url without padding of the payload, a UTF-8 JSON object
//! signature = HMAC-SHA256(key = the secret's UTF-8 bytes, message = "sst1." ‖ payload64)
//! ```
//!
//! This module checks the layout and the signature only; what the payload must say is the
//! import service's business.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

/// The label a token starts with: the layout's name and version.
const PREFIX: &str = "sst1.";

/// Why a token was not accepted; the message never repeats the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartTokenError {
    /// It is not `sst1.` and two base64url parts.
    Malformed,
    /// The signature is not the secret's over it (another secret, or an altered token).
    BadSignature,
}

impl std::fmt::Display for StartTokenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StartTokenError::Malformed => "is not \"sst1.\" followed by two base64url parts joined by \".\"",
            StartTokenError::BadSignature => "is not signed with this importer's start secret",
        })
    }
}

impl std::error::Error for StartTokenError {}

/// Signs `payload` (a JSON object's bytes) with `secret`: the token.
pub fn sign_start_token(secret: &str, payload: &[u8]) -> String {
    let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(payload));
    let tag = hmac::sign(&key(secret), signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// The payload of `token` if `secret` signed it (compared in constant time); its signature,
/// which names the token (to refuse it used twice), with it.
pub fn open_start_token(secret: &str, token: &str) -> Result<(Vec<u8>, [u8; 32]), StartTokenError> {
    let (signed, signature64) = token.trim().rsplit_once('.').ok_or(StartTokenError::Malformed)?;
    let payload64 = signed.strip_prefix(PREFIX).ok_or(StartTokenError::Malformed)?;
    let decode = |text: &str| URL_SAFE_NO_PAD.decode(text).map_err(|_| StartTokenError::Malformed);
    let signature: [u8; 32] = decode(signature64)?.try_into().map_err(|_| StartTokenError::Malformed)?;
    let payload = decode(payload64)?;
    hmac::verify(&key(secret), signed.as_bytes(), &signature).map_err(|_| StartTokenError::BadSignature)?;
    Ok((payload, signature))
}

/// The HMAC key of a start secret: its UTF-8 bytes as written.
fn key(secret: &str) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known-answer vector of `docs/protocol.md` §4.8 (also in `examples/test/` and
    /// `ingest-server/examples/start_token.rs`).
    const SECRET: &str = "sluice-start-token-test-vector-secret-0001";
    const PAYLOAD: &str = r#"{"importer":"demo","exp":1767225600,"nonce":"4b1c2d7e9f30a6b8","user":{"user_id":"u_42"},"attributes":{"team":"sales"}}"#;
    const TOKEN: &str = "sst1.eyJpbXBvcnRlciI6ImRlbW8iLCJleHAiOjE3NjcyMjU2MDAsIm5vbmNlIjoiNGIxYzJkN2U5ZjMwYTZiOCIsInVzZXIiOnsidXNlcl9pZCI6InVfNDIifSwiYXR0cmlidXRlcyI6eyJ0ZWFtIjoic2FsZXMifX0._RLhQ9elUqteg2ucNR-6aR-kViz9M2NeBB0hLiq75UI";

    #[test]
    fn the_known_answer_vector_signs_and_opens() {
        assert_eq!(sign_start_token(SECRET, PAYLOAD.as_bytes()), TOKEN);
        let (payload, signature) = open_start_token(SECRET, TOKEN).unwrap();
        assert_eq!(payload, PAYLOAD.as_bytes());
        assert_eq!(URL_SAFE_NO_PAD.encode(signature), TOKEN.rsplit('.').next().unwrap());
    }

    #[test]
    fn another_secret_an_altered_token_or_another_layout_is_refused() {
        let other = open_start_token("another-secret-of-thirty-two-characters", TOKEN);
        assert_eq!(other, Err(StartTokenError::BadSignature));
        let (signed, signature) = TOKEN.rsplit_once('.').unwrap();
        // "demo" → "demp": the same layout, another importer.
        let altered = format!("{}.{signature}", signed.replacen("ImRlbW8i", "ImRlbXAi", 1));
        assert_ne!(altered, TOKEN);
        assert_eq!(open_start_token(SECRET, &altered), Err(StartTokenError::BadSignature));
        let flipped = format!("{signed}.{}A", &signature[..signature.len() - 1]);
        assert_eq!(open_start_token(SECRET, &flipped), Err(StartTokenError::BadSignature));
        for bad in
            ["", "sst1.", "sst1.e30", TOKEN.replacen("sst1.", "sst2.", 1).as_str(), &format!("{TOKEN}=")]
        {
            assert_eq!(open_start_token(SECRET, bad), Err(StartTokenError::Malformed), "{bad}");
        }
        let short = format!("{signed}.{}", &signature[..20]);
        assert_eq!(open_start_token(SECRET, &short), Err(StartTokenError::Malformed));
    }
}
