//! Signed starts: an importer with `start.secret` takes a new import only with a start token
//! that the host app's server signed for it (`docs/protocol.md`, §4.8), for exactly the user and
//! attributes the request carries, not expired, not more than an hour ahead, and not used before.
//! Tokens used are remembered in the store (their signatures, until [`FORGET_AFTER`] past their
//! expiry), so a token starts one import across every instance sharing the store and across
//! restarts.

use super::create::CreateImport;
use super::{ImportError, ImporterRuntime, Imports};
use crate::crypto::open_start_token;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The furthest ahead a token may expire, in seconds: tokens are short-lived.
pub const MAX_TOKEN_LIFETIME: i64 = 3600;

/// How long after its expiry a used token is forgotten, in seconds: instances whose clocks
/// differ by less than this all still refuse it as used until each refuses it as expired.
pub(super) const FORGET_AFTER: i64 = 600;

/// The shortest and longest nonce, in characters.
const NONCE_LENGTHS: std::ops::RangeInclusive<usize> = 16..=128;

/// Why a start was refused for its token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartRefusal {
    /// The importer requires signed starts and the request has no token.
    Required,
    /// The token is not one: its layout, signature or payload (the message says which).
    Invalid(&'static str),
    /// The token was signed for another importer.
    WrongImporter,
    /// The token's `exp` has passed.
    Expired,
    /// The request's user or attributes are not those signed.
    Mismatch,
    /// The token was used for a start already (on any instance sharing the store).
    Used,
}

/// What a start token's payload says.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    importer: String,
    exp: i64,
    nonce: String,
    #[serde(default)]
    user: Map<String, Value>,
    #[serde(default)]
    attributes: Map<String, Value>,
}

impl Imports {
    /// Checks the start token of `request` when `importer` requires signed starts, and uses it.
    pub(super) fn check_start(
        &self,
        importer: &ImporterRuntime,
        request: &CreateImport,
        now: i64,
    ) -> Result<(), ImportError> {
        let Some(secret) = &importer.config.start.secret else { return Ok(()) };
        let token = request.start_token.as_deref().ok_or(StartRefusal::Required)?;
        let (payload, signature) = open_start_token(secret.expose(), token).map_err(|_| {
            StartRefusal::Invalid("it is not a start token signed with this importer's start secret")
        })?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| {
            StartRefusal::Invalid(
                "its payload is not a JSON object of importer, exp, nonce and optionally user and attributes",
            )
        })?;
        check_claims(&claims, &importer.config.key, request, now)?;
        let forget_before = now.saturating_sub(FORGET_AFTER);
        if self.store.use_start_token(signature, claims.exp, forget_before)? {
            Ok(())
        } else {
            Err(StartRefusal::Used.into())
        }
    }
}

/// What the claims must say for a start of importer `key` with `request`'s user and attributes.
fn check_claims(claims: &Claims, key: &str, request: &CreateImport, now: i64) -> Result<(), StartRefusal> {
    if !NONCE_LENGTHS.contains(&claims.nonce.chars().count()) {
        return Err(StartRefusal::Invalid("its nonce is not 16 to 128 characters"));
    }
    if claims.importer != key {
        return Err(StartRefusal::WrongImporter);
    }
    if now >= claims.exp {
        return Err(StartRefusal::Expired);
    }
    if claims.exp > now.saturating_add(MAX_TOKEN_LIFETIME) {
        return Err(StartRefusal::Invalid("it expires more than an hour from now"));
    }
    if claims.user != request.user || claims.attributes != request.attributes {
        return Err(StartRefusal::Mismatch);
    }
    Ok(())
}

impl From<StartRefusal> for ImportError {
    fn from(refusal: StartRefusal) -> Self {
        ImportError::StartRefused(refusal)
    }
}
