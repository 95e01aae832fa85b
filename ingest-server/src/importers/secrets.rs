//! The secrets of an importer made in the dashboard, kept apart from its settings: each
//! destination's signing secret (made here, shown once), database password or access keys (given
//! by the operator), sealed together under the master key. `Debug` never shows them.

use super::document::{Document, Given};
use super::{FieldError, ShownSecret};
use crate::config::{Destination, Importer, PreviousSecret, S3Credentials, Secret};
use crate::crypto::MasterKey;
use base64::Engine as _;
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use zeroize::Zeroizing;

/// Random bytes of a signing secret made here.
const SIGNING_BYTES: usize = 32;

/// Every secret of one importer, by destination id.
#[derive(Clone, Default, Serialize, Deserialize)]
pub(super) struct Secrets {
    destinations: BTreeMap<String, DestinationSecrets>,
}

/// The secrets of one destination.
#[derive(Clone, Default, Serialize, Deserialize)]
struct DestinationSecrets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signing: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<Previous>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_access_key: Option<String>,
}

/// A webhook's signing secret before its last rotation, still signing until `until`.
#[derive(Clone, Serialize, Deserialize)]
struct Previous {
    secret: String,
    until: i64,
}

/// What changed in a destination's secrets, for the audit log (never the secret itself).
pub(super) struct SecretChange {
    /// The destination's id.
    pub(super) destination: String,
    /// Which secret (`secret`, `password`, `secret_access_key`).
    pub(super) field: &'static str,
    /// `created`, `set`, `rotated` or `removed`.
    pub(super) change: &'static str,
}

impl Secrets {
    /// Opens the secrets sealed for `key`.
    pub(super) fn open(master: &MasterKey, key: &str, sealed: &[u8]) -> Result<Secrets, String> {
        let plain = master
            .open_secrets(key, sealed)
            .map_err(|_| format!("the secrets of importer {key} do not open under this master key"))?;
        serde_json::from_slice(&plain)
            .map_err(|e| format!("the secrets of importer {key} are unreadable: {e}"))
    }

    /// Seals these secrets for `key`.
    pub(super) fn seal(
        &self,
        master: &MasterKey,
        rng: &dyn SecureRandom,
        key: &str,
    ) -> Result<Vec<u8>, String> {
        let plain = Zeroizing::new(serde_json::to_vec(self).map_err(|e| e.to_string())?);
        master.seal_secrets(rng, key, &plain).map_err(|e| e.to_string())
    }

    /// The secrets of `document`'s destinations: those kept from `self` (by destination id), those
    /// `given` with the document, and a new signing secret for each new webhook (shown once).
    pub(super) fn merged(
        &self,
        document: &Document,
        given: &Given,
        rng: &dyn SecureRandom,
    ) -> Result<(Secrets, Vec<ShownSecret>, Vec<SecretChange>), Vec<FieldError>> {
        let mut merge = Merge::default();
        for (index, (id, kind)) in document.destinations().into_iter().enumerate() {
            let old = self.destinations.get(&id).cloned().unwrap_or_default();
            let kept = match kind.as_str() {
                "webhook" => merge.webhook(old, &id, index, rng),
                "postgres" => merge.postgres(old, &id, given),
                "s3" => merge.s3(old, &id, index, given),
                _ => DestinationSecrets::default(),
            };
            merge.secrets.destinations.insert(id, kept);
        }
        for (id, old) in &self.destinations {
            let held = old.signing.is_some() || old.password.is_some() || old.secret_access_key.is_some();
            if held && !merge.secrets.destinations.contains_key(id) {
                merge.change(id, "secret", "removed");
            }
        }
        match merge.errors.is_empty() {
            true => Ok((merge.secrets, merge.shown, merge.changes)),
            false => Err(merge.errors),
        }
    }

    /// Rotates the signing secret of the webhook with `id`: a new one, and the current one
    /// signing beside it until `until` (in place of any older one still signing). `None` when
    /// it has no signing secret.
    pub(super) fn rotate(
        &mut self,
        id: &str,
        until: i64,
        rng: &dyn SecureRandom,
    ) -> Result<Option<String>, String> {
        let Some(secrets) = self.destinations.get_mut(id) else { return Ok(None) };
        let Some(current) = secrets.signing.take() else { return Ok(None) };
        let secret = new_signing_secret(rng)?;
        secrets.previous = Some(Previous { secret: current, until });
        secrets.signing = Some(secret.clone());
        Ok(Some(secret))
    }

    /// The signing secret of the webhook with `id`, if any.
    pub(super) fn signing(&self, id: &str) -> Option<&str> {
        self.destinations.get(id)?.signing.as_deref()
    }

    /// Puts the secrets into `importer`'s destinations, which are `ids` in order.
    pub(super) fn apply(&self, importer: &mut Importer, ids: &[String]) {
        for (destination, id) in importer.destinations.iter_mut().zip(ids) {
            let Some(secrets) = self.destinations.get(id) else { continue };
            match destination {
                Destination::Webhook(hook) => {
                    hook.previous = secrets.previous.as_ref().map(|old| PreviousSecret {
                        secret: Secret::new(old.secret.as_str()),
                        until: old.until,
                    });
                }
                Destination::Postgres(table) => table.password = secrets.password.as_deref().map(Secret::new),
                Destination::S3(bucket) => {
                    bucket.credentials =
                        secrets.access_key_id.clone().zip(secrets.secret_access_key.clone()).map(
                            |(access_key_id, secret)| S3Credentials {
                                access_key_id,
                                secret_access_key: Secret::new(secret),
                            },
                        );
                }
            }
        }
    }
}

/// The secrets being merged, what is shown and what changed.
#[derive(Default)]
struct Merge {
    secrets: Secrets,
    shown: Vec<ShownSecret>,
    changes: Vec<SecretChange>,
    errors: Vec<FieldError>,
}

impl Merge {
    fn change(&mut self, id: &str, field: &'static str, change: &'static str) {
        self.changes.push(SecretChange { destination: id.to_owned(), field, change });
    }

    /// A webhook keeps its signing secret (and the one it was rotated from), or gets one.
    fn webhook(
        &mut self,
        old: DestinationSecrets,
        id: &str,
        index: usize,
        rng: &dyn SecureRandom,
    ) -> DestinationSecrets {
        let signing = match old.signing {
            Some(secret) => Some(secret),
            None => match new_signing_secret(rng) {
                Ok(secret) => {
                    self.shown.push(ShownSecret {
                        destination: id.to_owned(),
                        index,
                        secret: secret.clone(),
                    });
                    self.change(id, "secret", "created");
                    Some(secret)
                }
                Err(e) => {
                    self.errors.push(FieldError::new(format!("destinations[{index}].secret"), e));
                    None
                }
            },
        };
        DestinationSecrets { signing, previous: old.previous, ..DestinationSecrets::default() }
    }

    /// A table takes the password given, or keeps its own.
    fn postgres(&mut self, old: DestinationSecrets, id: &str, given: &Given) -> DestinationSecrets {
        let password = match given.password(id) {
            Some(password) => {
                self.change(id, "password", "set");
                Some(password.to_owned())
            }
            None => old.password,
        };
        DestinationSecrets { password, ..DestinationSecrets::default() }
    }

    /// A bucket takes the access key given, or keeps its own.
    fn s3(&mut self, old: DestinationSecrets, id: &str, index: usize, given: &Given) -> DestinationSecrets {
        let (access_key_id, secret_access_key) = match given.access_key(id) {
            Ok(Some((key_id, secret))) => {
                self.change(id, "secret_access_key", "set");
                (Some(key_id.to_owned()), Some(secret.to_owned()))
            }
            Ok(None) => (old.access_key_id, old.secret_access_key),
            Err(message) => {
                self.errors
                    .push(FieldError::new(format!("destinations[{index}].secret_access_key"), message));
                (None, None)
            }
        };
        DestinationSecrets { access_key_id, secret_access_key, ..DestinationSecrets::default() }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secrets([redacted] for {} destinations)", self.destinations.len())
    }
}

/// A new Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64.
fn new_signing_secret(rng: &dyn SecureRandom) -> Result<String, String> {
    let mut bytes = Zeroizing::new([0u8; SIGNING_BYTES]);
    rng.fill(&mut *bytes)
        .map_err(|_| "the system gave no randomness to make a secret: try again".to_owned())?;
    Ok(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(*bytes)))
}
