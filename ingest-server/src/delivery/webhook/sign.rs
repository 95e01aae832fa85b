//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the bytes of the `whsec_` secret. The
//! verifier is what a Rust receiver (and our tests) can use; `examples/webhook-verify.mjs` is the
//! same for Node.

use crate::config::webhook_key;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

/// Why a signature was not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum VerifyError {
    /// The secret is empty, lacks `whsec_`, or its key is not base64 or is empty.
    BadSecret,
    /// The timestamp is not whole seconds, or lies outside the tolerance.
    BadTimestamp,
    /// No `v1,` signature with a value is in the header.
    NoSignature,
    /// No signature matches.
    Mismatch,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            VerifyError::BadSecret => "the secret is not whsec_ followed by a base64 key",
            VerifyError::BadTimestamp => "the timestamp is not whole seconds within the tolerance",
            VerifyError::NoSignature => "no v1 signature in webhook-signature",
            VerifyError::Mismatch => "no signature matches",
        })
    }
}

impl std::error::Error for VerifyError {}

/// The HMAC key of a `whsec_` secret (standard or URL-safe base64, padded or not; see
/// [`webhook_key`]).
pub fn signing_key(secret: &str) -> Result<hmac::Key, VerifyError> {
    let bytes = webhook_key(secret).ok_or(VerifyError::BadSecret)?;
    Ok(hmac::Key::new(hmac::HMAC_SHA256, &bytes))
}

/// `v1,` and the base64 signature of one message.
pub fn sign(key: &hmac::Key, id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut context = hmac::Context::with_key(key);
    context.update(id.as_bytes());
    context.update(b".");
    context.update(timestamp.to_string().as_bytes());
    context.update(b".");
    context.update(body);
    format!("v1,{}", STANDARD.encode(context.sign().as_ref()))
}

/// Checks a received message: the timestamp within `tolerance` seconds of `now`, and one of
/// the header's space-separated `v1,` signatures matching (compared in constant time). An empty
/// signature never matches; an empty secret is refused.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), VerifyError> {
    let key = signing_key(secret)?;
    let sent: i64 = match timestamp.bytes().all(|b| b.is_ascii_digit()) {
        true => timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?,
        false => return Err(VerifyError::BadTimestamp),
    };
    if (now - sent).abs() > tolerance {
        return Err(VerifyError::BadTimestamp);
    }
    let given: Vec<Vec<u8>> = signatures
        .split(' ')
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter(|signature| !signature.is_empty())
        .filter_map(|signature| STANDARD.decode(signature).ok())
        .collect();
    if given.is_empty() {
        return Err(VerifyError::NoSignature);
    }
    let content = [id.as_bytes(), b".", timestamp.as_bytes(), b".", body].concat();
    let matches = given.iter().any(|signature| hmac::verify(&key, &content, signature).is_ok());
    if matches { Ok(()) } else { Err(VerifyError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks reference vector.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signatures_match_the_standard_webhooks_known_answer() {
        assert_eq!(sign(&signing_key(SECRET).unwrap(), ID, TIMESTAMP, BODY), SIGNATURE);
        assert_eq!(verify(SECRET, ID, "1614265330", SIGNATURE, BODY, TIMESTAMP, 300), Ok(()));
    }

    #[test]
    fn the_verifier_refuses_empty_signatures_and_empty_secrets() {
        let check = |secret: &str, signatures: &str| {
            verify(secret, ID, "1614265330", signatures, BODY, TIMESTAMP, 300)
        };
        assert_eq!(check(SECRET, "v1,"), Err(VerifyError::NoSignature));
        assert_eq!(check(SECRET, "v1, v1,"), Err(VerifyError::NoSignature));
        assert_eq!(
            check(SECRET, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
            Err(VerifyError::NoSignature)
        );
        assert_eq!(check("", SIGNATURE), Err(VerifyError::BadSecret));
        assert_eq!(check("whsec_", SIGNATURE), Err(VerifyError::BadSecret));
        assert_eq!(check("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", SIGNATURE), Err(VerifyError::BadSecret));
        assert_eq!(check(SECRET, "v1,AAAA"), Err(VerifyError::Mismatch));
        assert_eq!(check(SECRET, &format!("v1,bm9wZQ== {SIGNATURE}")), Ok(()));
    }

    #[test]
    fn the_verifier_refuses_tampering_and_stale_timestamps() {
        let tampered = br#"{"test": 2432232315}"#;
        assert_eq!(
            verify(SECRET, ID, "1614265330", SIGNATURE, tampered, TIMESTAMP, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, "msg_other", "1614265330", SIGNATURE, BODY, TIMESTAMP, 300),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, ID, "1614265330", SIGNATURE, BODY, TIMESTAMP + 301, 300),
            Err(VerifyError::BadTimestamp)
        );
        assert_eq!(
            verify(SECRET, ID, "+1614265330", SIGNATURE, BODY, TIMESTAMP, 300),
            Err(VerifyError::BadTimestamp)
        );
    }
}
