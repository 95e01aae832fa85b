//! Creating an import: its start token where the importer requires one, what a start may cost
//! (open imports, metadata size), the key agreement,
//! the import's data key, its upload token, its sealed metadata, and its first deadline.

use super::internal::json_problem;
use super::keys::Keys;
use super::{ImportError, ImporterRuntime, Imports, Internal};
use crate::crypto::{DataKey, Item, PublicKey, ServerHandshake, TransportKey, UploadToken, new_import_id};
use crate::store::{Admission, KeyPurpose, NewImport};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What a client sends to start an import.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateImport {
    /// The client's ephemeral P-256 public key (65 bytes, uncompressed), base64url.
    pub client_key: String,
    /// What the user chose.
    #[serde(default)]
    pub file: FileMeta,
    /// Who the user is, as the host page says (kept sealed, delivered with the data).
    #[serde(default)]
    pub user: serde_json::Map<String, serde_json::Value>,
    /// Attributes the host page passes through to the destination (kept sealed).
    #[serde(default)]
    pub attributes: serde_json::Map<String, serde_json::Value>,
    /// Columns the host page adds to the importer's schema for this import, in the schema
    /// format (`docs/schema.md`); at most [`MAX_DYNAMIC_COLUMNS`](super::MAX_DYNAMIC_COLUMNS).
    #[serde(default)]
    pub dynamic_columns: Vec<serde_json::Value>,
    /// The start token the host app's server signed for this user and these attributes, for
    /// an importer that requires signed starts (ignored by others).
    #[serde(default)]
    pub start_token: Option<String>,
}

/// The file being imported.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileMeta {
    /// Its name.
    pub name: Option<String>,
    /// Its size in bytes.
    pub size: Option<u64>,
    /// Its media type.
    #[serde(rename = "type")]
    pub media_type: Option<String>,
}

/// What the server answers.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    /// The new import's id.
    pub import_id: String,
    /// The server's ephemeral public key, base64url.
    pub server_key: String,
    /// The upload token for this import's requests.
    pub upload_token: String,
    /// When the token expires unless batches keep arriving (Unix seconds).
    pub token_expires_at: i64,
    /// When the import expires if not completed (Unix seconds): soon, until its first batch
    /// is stored, which moves it to the end of the import's whole time.
    pub expires_at: i64,
    /// The importer's schema digest, hex.
    pub schema_digest: String,
}

/// The schema an import keeps with its record, if not the importer's from the file: the
/// importer's with the host page's columns added, or, for an importer made in the dashboard
/// (whose schema can be edited while imports are under way), its schema as it was at the start.
fn own_schema(
    importer: &ImporterRuntime,
    request: &CreateImport,
) -> Result<Option<(sluice_parser::schema::Schema, String)>, ImportError> {
    if !request.dynamic_columns.is_empty() {
        return super::schemas::with_columns(importer, &request.dynamic_columns).map(Some);
    }
    Ok(matches!(importer.source, super::Source::Dashboard { .. })
        .then(|| (importer.schema().clone(), importer.schema().to_json())))
}

impl Imports {
    /// Starts an import of importer `key`.
    pub fn create(&self, key: &str, request: CreateImport, now: i64) -> Result<Created, ImportError> {
        let importer = self.importer(key)?;
        if importer.disabled {
            return Err(ImportError::ImporterDisabled);
        }
        self.check_start(&importer, &request, now)?;
        let metadata = self.admit(&importer, &request, now)?;
        let own_schema = own_schema(&importer, &request)?;
        let schema_digest =
            own_schema.as_ref().map_or_else(|| importer.schema().digest(), |(s, _)| s.digest());
        let id = new_import_id(&self.rng).map_err(generating("an import id"))?;
        let (transport, server_key) = self.agree(&request.client_key, &id)?;
        let data = DataKey::generate(&self.rng).map_err(generating("a data key"))?;
        let (token, token_hash) = UploadToken::generate(&self.rng).map_err(generating("an upload token"))?;
        let limits = &self.config.server.limits;
        let token_expires_at = now + seconds(limits.upload_token_ttl);
        let expires_at = now + seconds(importer.config.start.first_batch_within.min(limits.import_ttl));
        let wrap = |purpose: KeyPurpose, key: &[u8; 32]| {
            self.master.wrap(&self.rng, purpose.as_str(), &id, key).map_err(|source| Internal::KeyWrap {
                import: id.clone(),
                purpose,
                source,
            })
        };
        let sealed_metadata = data
            .seal(&self.rng, &id, Item::Metadata, &metadata)
            .map_err(|source| Internal::Seal { import: id.clone(), item: Item::Metadata, source })?;
        let record = NewImport {
            id: id.clone(),
            importer: key.to_owned(),
            schema_digest,
            token_hash,
            token_expires_at,
            created_at: now,
            expires_at,
            file_size: request.file.size,
            schema: own_schema.map(|(_, json)| json),
            metadata: sealed_metadata,
            data_key: (data.id().to_vec(), wrap(KeyPurpose::Data, &data.to_bytes())?),
            transport_key: wrap(KeyPurpose::Transport, &transport.to_bytes())?,
        };
        let start = &importer.config.start;
        if let Admission::Full { next_expiry } =
            self.store.create_import_within(record, start.max_open, now)?
        {
            return Err(too_many_open(start.max_open, next_expiry, now));
        }
        self.keys.put(&id, Keys { data: Arc::new(data), transport: Some(Arc::new(transport)) });
        self.log(
            &id,
            now,
            "import_created",
            serde_json::json!({
                "importer": key,
                "fileSize": request.file.size,
                "dynamicColumns": request.dynamic_columns.len(),
                "signedStart": importer.config.start.secret.is_some(),
            }),
        );
        Ok(Created {
            import_id: id,
            server_key: server_key.to_base64(),
            upload_token: token,
            token_expires_at,
            expires_at,
            schema_digest: schema_digest.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }
}

impl Imports {
    /// The server's half of the key agreement with the client's key: the import's transport key
    /// and the server's ephemeral public key.
    fn agree(&self, client_key: &str, id: &str) -> Result<(TransportKey, PublicKey), ImportError> {
        let client_key = PublicKey::from_base64(client_key).map_err(|_| {
            ImportError::BadRequest(
                "clientKey must be a P-256 public key: 65 bytes, uncompressed, base64url".into(),
            )
        })?;
        let (handshake, server_key) = ServerHandshake::new(&self.rng).map_err(generating("a server key"))?;
        let transport = handshake
            .derive(client_key.as_bytes(), id)
            .map_err(|_| ImportError::BadRequest("clientKey is not a point on P-256".into()))?;
        Ok((transport, server_key))
    }

    /// Checks what a start may cost, cheapest first: the file's declared size, room on the
    /// server's volume, the metadata's size (which it returns, as JSON), room among the
    /// importer's open imports.
    fn admit(
        &self,
        importer: &ImporterRuntime,
        request: &CreateImport,
        now: i64,
    ) -> Result<Vec<u8>, ImportError> {
        let config = &importer.config;
        let limit = config.limits.max_file_size.0.min(super::MAX_NUMBER);
        if request.file.size.is_some_and(|size| size > limit) {
            return Err(ImportError::FileTooLarge { limit });
        }
        self.store.has_room()?;
        let metadata = serde_json::json!({ "file": request.file, "user": request.user, "attributes": request.attributes });
        let metadata = serde_json::to_vec(&metadata)
            .map_err(|e| Internal::Encode { what: "an import's metadata", problem: json_problem(&e) })?;
        let limit = config.start.max_metadata.bytes();
        if metadata.len() as u64 > limit {
            return Err(ImportError::MetadataTooLarge { limit });
        }
        let (open, soonest) = self.store.open_imports(&config.key, now)?;
        if open >= config.start.max_open {
            return Err(too_many_open(config.start.max_open, soonest.unwrap_or(now), now));
        }
        Ok(metadata)
    }
}

/// The failure to make `what` at random.
fn generating(what: &'static str) -> impl Fn(crate::crypto::Error) -> ImportError {
    move |source| Internal::Generate { what, source }.into()
}

/// The refusal of a start while `limit` imports are open, the soonest expiring at `next_expiry`.
fn too_many_open(limit: u64, next_expiry: i64, now: i64) -> ImportError {
    ImportError::TooManyOpen { limit, retry_after: next_expiry.saturating_sub(now).max(1).unsigned_abs() }
}

/// Whole seconds of a duration, as the store keeps times.
pub(super) fn seconds(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 4)
}
