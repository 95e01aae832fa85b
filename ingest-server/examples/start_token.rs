//! Signs a Sluice start token, as the host app's own server does for an importer configured
//! with `[importers.start] secret = "…"` (`docs/protocol.md`, §4.8). Copy [`sign_start_token`]
//! into your app (it needs `ring`, `base64` and `serde_json`), and sign for the user your app
//! has signed in, never for a user the browser names.
//!
//! ```text
//! SLUICE_START_SECRET=… cargo run -p sluice-server --example start_token -- demo '{"user_id":"u_42"}' '{"team":"sales"}'
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::{Map, Value, json};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

/// How long the tokens printed here live, in seconds (the server takes at most 3600).
const TTL_SECONDS: i64 = 300;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let secret = std::env::var("SLUICE_START_SECRET").unwrap_or_default();
    let (importer, user, attributes) = match args.as_slice() {
        [importer] => (importer, "{}", "{}"),
        [importer, user] => (importer, user.as_str(), "{}"),
        [importer, user, attributes] => (importer, user.as_str(), attributes.as_str()),
        _ => {
            return usage("give the importer's key, then optionally the user and attributes as JSON objects");
        }
    };
    let object = |text: &str| serde_json::from_str::<Map<String, Value>>(text).ok();
    let (Some(user), Some(attributes)) = (object(user), object(attributes)) else {
        return usage("the user and attributes must be JSON objects");
    };
    if secret.len() < 32 {
        return usage("set SLUICE_START_SECRET to the importer's start secret (at least 32 characters)");
    }
    let mut nonce = [0u8; 16];
    if SystemRandom::new().fill(&mut nonce).is_err() {
        return usage("no randomness for the nonce");
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let exp = i64::try_from(now).unwrap_or(i64::MAX - TTL_SECONDS) + TTL_SECONDS;
    let claims =
        Claims { importer, user: &user, attributes: &attributes, exp, nonce: &URL_SAFE_NO_PAD.encode(nonce) };
    println!("{}", sign_start_token(&secret, &claims));
    ExitCode::SUCCESS
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "start_token: {problem}\nusage: SLUICE_START_SECRET=… start_token IMPORTER [USER_JSON [ATTRIBUTES_JSON]]"
    );
    ExitCode::from(2)
}

/// What a start token says: which importer, who, with which attributes, until when, and a
/// nonce that makes each token different (the server takes each token once).
pub struct Claims<'a> {
    /// The importer's key.
    pub importer: &'a str,
    /// The user, exactly as the widget is given it.
    pub user: &'a Map<String, Value>,
    /// The attributes, exactly as the widget is given them.
    pub attributes: &'a Map<String, Value>,
    /// When the token expires (Unix seconds), at most an hour from now.
    pub exp: i64,
    /// 16 to 128 random characters.
    pub nonce: &'a str,
}

/// The token: `sst1.` ‖ base64url(payload) ‖ `.` ‖ base64url(HMAC-SHA256(secret, `sst1.` ‖
/// base64url(payload))), base64url without padding, the payload a JSON object.
pub fn sign_start_token(secret: &str, claims: &Claims<'_>) -> String {
    let payload = json!({
        "importer": claims.importer,
        "exp": claims.exp,
        "nonce": claims.nonce,
        "user": claims.user,
        "attributes": claims.attributes,
    });
    sign_payload(secret, payload.to_string().as_bytes())
}

/// The token for an exact payload.
fn sign_payload(secret: &str, payload: &[u8]) -> String {
    let signed = format!("sst1.{}", URL_SAFE_NO_PAD.encode(payload));
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
    let signature = hmac::sign(&key, signed.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The known-answer vector of `docs/protocol.md` §4.8.
    const SECRET: &str = "sluice-start-token-test-vector-secret-0001";
    const PAYLOAD: &str = r#"{"importer":"demo","exp":1767225600,"nonce":"4b1c2d7e9f30a6b8","user":{"user_id":"u_42"},"attributes":{"team":"sales"}}"#;
    const TOKEN: &str = "sst1.eyJpbXBvcnRlciI6ImRlbW8iLCJleHAiOjE3NjcyMjU2MDAsIm5vbmNlIjoiNGIxYzJkN2U5ZjMwYTZiOCIsInVzZXIiOnsidXNlcl9pZCI6InVfNDIifSwiYXR0cmlidXRlcyI6eyJ0ZWFtIjoic2FsZXMifX0._RLhQ9elUqteg2ucNR-6aR-kViz9M2NeBB0hLiq75UI";

    #[test]
    fn the_known_answer_vector_signs_to_the_documented_token() {
        assert_eq!(sign_payload(SECRET, PAYLOAD.as_bytes()), TOKEN);
    }

    #[test]
    fn the_server_opens_what_this_signs_with_the_claims_given() {
        let user = json!({ "user_id": "u_42" }).as_object().unwrap().clone();
        let attributes = json!({ "team": "sales" }).as_object().unwrap().clone();
        let claims = Claims {
            importer: "demo",
            user: &user,
            attributes: &attributes,
            exp: 1_900_000_000,
            nonce: "0123456789abcdef",
        };
        let token = sign_start_token(SECRET, &claims);
        let (payload, _) = sluice_server::crypto::open_start_token(SECRET, &token).unwrap();
        let payload: Value = serde_json::from_slice(&payload).unwrap();
        assert_eq!(
            payload,
            json!({ "importer": "demo", "exp": 1_900_000_000, "nonce": "0123456789abcdef", "user": user, "attributes": attributes })
        );
        assert!(
            sluice_server::crypto::open_start_token("another-secret-of-at-least-32-chars", &token).is_err()
        );
    }
}
