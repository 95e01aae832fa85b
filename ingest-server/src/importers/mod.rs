//! Importers made in the dashboard: created, edited, disabled and deleted through the admin
//! API while the server runs. Their settings are checked by the configuration's own readers
//! (`config::read_importer`) against the file's `[server]`, stored in the data file without
//! secrets, their destinations' secrets sealed under the master key; each change goes into the
//! import registry and the delivery lanes at once, and into the audit log (who, when, which
//! fields, never a secret) in the same transaction as the change. Importers of the
//! configuration file are read-only here, and their keys are theirs.
//!
//! - `document`: the settings as the dashboard edits them (JSON or TOML), destination ids;
//! - `secrets`: signing secrets made here, passwords and keys given, sealed together;
//! - `diff`: what changed, field by field, for the audit log.

mod diff;
mod document;
mod secrets;

pub use diff::masked_url;
pub use document::Input;

use crate::config::{self, Importer};
use crate::delivery::{Deliveries, Outcome, Probe, destination};
use crate::imports::{ImportError, ImporterRuntime, Imports, Source};
use crate::store::{Event, StoreError, StoredImporter};
use document::Document;
use ring::rand::SystemRandom;
use secrets::Secrets;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The importers made in the dashboard.
pub struct Importers {
    imports: Arc<Imports>,
    deliveries: Arc<Deliveries>,
    /// Stored importers not served since the start, until they are saved or deleted.
    unserved: Mutex<Vec<Unserved>>,
    rng: SystemRandom,
    /// One change at a time: each reads the stored importer, then writes it.
    changing: Mutex<()>,
    /// The stored importers as this instance last applied them, by key: [`refresh`] applies
    /// what differs (another instance sharing the store changed it).
    ///
    /// [`refresh`]: Importers::refresh
    applied: Mutex<HashMap<String, StoredImporter>>,
}

/// Who made a change, as the audit log records it: the admin session (a fingerprint of the
/// admin token it signed in with, never the token) and the client's address.
#[derive(Clone, Debug, Serialize)]
pub struct Actor {
    /// `adm_` and 12 hex digits of the SHA-256 of the admin token.
    pub session: String,
    /// The client's address, if known.
    pub address: Option<String>,
}

/// A problem with one field of an importer's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field, named from the importer: `limits.max_rows`, `destinations[0].url`.
    pub field: String,
    /// What is wrong and what to do; never a secret.
    pub message: String,
}

impl FieldError {
    fn new(field: String, message: String) -> FieldError {
        FieldError { field, message }
    }
}

/// The longest a rotated secret may go on signing beside its successor: a week.
pub const MAX_OVERLAP: u64 = 7 * 24 * 3600;

/// A signing secret made for a webhook, shown to the operator once.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShownSecret {
    /// The destination's id.
    pub destination: String,
    /// Its place in the importer's destinations.
    pub index: usize,
    /// The secret.
    pub secret: String,
}

impl std::fmt::Debug for ShownSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShownSecret({}, [redacted])", self.destination)
    }
}

/// Why a change was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigureError {
    /// The settings do not pass the configuration's checks: every problem, by field.
    Invalid(Vec<FieldError>),
    /// No importer has this key.
    Unknown,
    /// The importer is defined in the configuration file.
    ReadOnly,
    /// An importer made in the dashboard has this key already.
    Exists,
    /// The destination at this place is not a webhook made in the dashboard.
    NotAWebhook,
    /// The importer has no destination at this place.
    UnknownDestination,
    /// Deleting needs the importer disabled first, so that no import starts meanwhile.
    Enabled,
    /// Deleting needs the importer's data deleted first; this many imports hold some.
    HasData(usize),
    /// The store failed.
    Store(StoreError),
    /// Something else failed inside; the detail is logged, not shown.
    Internal(String),
}

impl std::fmt::Display for ConfigureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigureError::Invalid(errors) => {
                write!(f, "{} problems in the importer's settings", errors.len())
            }
            ConfigureError::Unknown => f.write_str("no importer has this key"),
            ConfigureError::ReadOnly => f.write_str("the importer is defined in the configuration file"),
            ConfigureError::Exists => f.write_str("an importer has this key already"),
            ConfigureError::NotAWebhook => f.write_str("no webhook at this place"),
            ConfigureError::UnknownDestination => f.write_str("no destination at this place"),
            ConfigureError::Enabled => f.write_str("the importer is enabled"),
            ConfigureError::HasData(n) => write!(f, "{n} imports of the importer hold data"),
            ConfigureError::Store(e) => write!(f, "store: {e}"),
            ConfigureError::Internal(detail) => write!(f, "internal: {detail}"),
        }
    }
}

impl std::error::Error for ConfigureError {}

impl From<StoreError> for ConfigureError {
    fn from(e: StoreError) -> Self {
        ConfigureError::Store(e)
    }
}

impl From<ImportError> for ConfigureError {
    fn from(e: ImportError) -> Self {
        ConfigureError::Internal(e.to_string())
    }
}

/// A saved importer: its key, and the signing secrets made for its new webhooks.
#[derive(Debug)]
pub struct Saved {
    /// The importer's key.
    pub key: String,
    /// Secrets made now, to show once.
    pub secrets: Vec<ShownSecret>,
}

/// Settings checked without saving: as stored (destination ids given, secrets taken out), as
/// JSON and TOML, and every problem the checks found.
#[derive(Debug, Serialize)]
pub struct Checked {
    /// The settings as the form edits them.
    pub document: Value,
    /// The same as TOML text.
    pub toml: String,
    /// Every problem, by field; empty when they would be saved.
    pub errors: Vec<FieldError>,
}

/// How a test of a destination went.
#[derive(Debug, Serialize)]
pub struct Tested {
    /// Whether the destination took it (`delivered`) or not (`failed`).
    pub outcome: &'static str,
    /// The HTTP status it answered with, if it speaks HTTP and answered.
    pub status: Option<u16>,
    /// What failed: an error kind, a status, a missing column or right; never a secret, a URL or
    /// a value.
    pub error: Option<String>,
}

/// The importers made in the dashboard as found at start.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Those served, for their lanes.
    pub served: Vec<Importer>,
    /// Those that cannot be served, to be fixed in the dashboard.
    pub unserved: Vec<Unserved>,
    /// Every stored importer as read, served or not.
    pub stored: Vec<StoredImporter>,
}

/// A stored importer the server does not serve, and why: the dashboard lists it so that it can
/// be edited (or deleted).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unserved {
    /// Its key.
    pub key: String,
    /// Its settings, as the form edits them.
    pub document: Value,
    /// The same as TOML.
    pub toml: String,
    /// Why it is not served; never a secret.
    pub problem: String,
    /// Whether it is disabled.
    pub disabled: bool,
}

/// Puts the stored importers into `imports`' registry. One that no longer passes the checks (the
/// file's `[server]` changed, a credential variable is not set), whose secrets do not open, or
/// whose key the configuration file now uses, is not served (an error in the log, and in the
/// dashboard's list): its imports and messages wait until it is fixed.
pub fn load(imports: &Imports) -> Loaded {
    let stored = match imports.stored_importers() {
        Ok(stored) => stored,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the importers made in the dashboard; they are not served");
            return Loaded::default();
        }
    };
    let mut loaded = Loaded { stored: stored.clone(), ..Loaded::default() };
    for stored in stored {
        let restored =
            match imports.importer(&stored.key) {
                Ok(_) => Err("the configuration file has an importer with this key, which is served instead"
                    .to_owned()),
                Err(_) => restore(imports, &stored),
            };
        match restored {
            Ok(importer) => loaded.served.push(importer),
            Err(problem) => {
                let what = "an importer made in the dashboard cannot be served; edit it in the dashboard";
                tracing::error!(importer = %stored.key, error = %problem, "{what}");
                loaded.unserved.push(unserved_entry(&stored, problem));
            }
        }
    }
    loaded
}

/// A stored importer that is not served, as listed.
fn unserved_entry(stored: &StoredImporter, problem: String) -> Unserved {
    let document = Document::parse(&stored.document).ok();
    Unserved {
        key: stored.key.clone(),
        document: document.as_ref().map(Document::to_json).unwrap_or_default(),
        toml: stored.document.clone(),
        problem,
        disabled: stored.disabled,
    }
}

/// The stored importer, checked and in the registry.
fn restore(imports: &Imports, stored: &StoredImporter) -> Result<Importer, String> {
    let document = Document::parse(&stored.document)?;
    let secrets = Secrets::open(imports.master(), &stored.key, &stored.sealed_secrets)?;
    let importer = build(imports, &document, &secrets).map_err(|errors| {
        errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
    })?;
    let runtime = ImporterRuntime::new(importer.clone(), dashboard(&document), stored.disabled)
        .map_err(|e| e.to_string())?;
    imports.put_importer(runtime);
    Ok(importer)
}

/// The importer `document` describes, with `secrets`, checked as the file's importers are,
/// each destination opened as its lane will open it.
fn build(imports: &Imports, document: &Document, secrets: &Secrets) -> Result<Importer, Vec<FieldError>> {
    let text = document.checked_text(secrets).map_err(|e| vec![e])?;
    let mut importer = config::read_importer(&text, &imports.config().server).map_err(|errors| {
        errors.into_iter().map(|e| FieldError::new(e.field, e.message)).collect::<Vec<_>>()
    })?;
    let ids: Vec<String> = document.destinations().into_iter().map(|(id, _)| id).collect();
    secrets.apply(&mut importer, &ids);
    let errors: Vec<FieldError> = importer
        .destinations
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            destination::open(d).err().map(|e| FieldError::new(format!("destinations[{i}]"), e.to_string()))
        })
        .collect();
    if errors.is_empty() { Ok(importer) } else { Err(errors) }
}

/// A test's outcome as the dashboard shows it.
fn tested(outcome: Outcome) -> Tested {
    match outcome {
        Outcome::Delivered { status } => Tested { outcome: "delivered", status, error: None },
        Outcome::Retry { failure, .. } | Outcome::Dead(failure) => {
            Tested { outcome: "failed", status: failure.status(), error: Some(failure.to_string()) }
        }
    }
}

/// Where a dashboard importer comes from, with its document.
fn dashboard(document: &Document) -> Source {
    Source::Dashboard { document: document.to_json(), toml: document.to_toml() }
}

impl Importers {
    /// The service over `imports`' registry and store, changing `deliveries`' lanes; `unserved`
    /// are the stored importers [`load`] could not serve.
    pub fn new(imports: Arc<Imports>, deliveries: Arc<Deliveries>, loaded: Loaded) -> Importers {
        let unserved = Mutex::new(loaded.unserved);
        let applied = Mutex::new(loaded.stored.into_iter().map(|s| (s.key.clone(), s)).collect());
        Importers {
            imports,
            deliveries,
            unserved,
            rng: SystemRandom::new(),
            changing: Mutex::new(()),
            applied,
        }
    }

    /// Applies the changes made to the importers made in the dashboard since this instance last
    /// looked, by another instance sharing the store: new and changed ones are checked and
    /// served (their lanes replaced), deleted ones stop being served. Instances behind one load
    /// balancer call this every few seconds, so that an edit made through any of them holds on
    /// all of them.
    pub fn refresh(&self) {
        let _one = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = match self.imports.stored_importers() {
            Ok(stored) => stored,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the importers made in the dashboard; trying again later");
                return;
            }
        };
        let mut applied = self.applied.lock().unwrap_or_else(PoisonError::into_inner);
        for gone in
            applied.keys().filter(|k| !stored.iter().any(|s| &s.key == *k)).cloned().collect::<Vec<_>>()
        {
            applied.remove(&gone);
            self.served(&gone);
            if self.serves_from_file(&gone) {
                continue;
            }
            tracing::info!(importer = %gone, "an importer made in the dashboard was deleted elsewhere; no longer served");
            self.imports.remove_importer(&gone);
            self.deliveries.remove(&gone);
        }
        for row in stored {
            if applied.get(&row.key) != Some(&row) {
                self.follow(&row);
                applied.insert(row.key.clone(), row);
            }
        }
    }

    /// Serves `stored` as another instance left it, or lists why it cannot be served.
    fn follow(&self, stored: &StoredImporter) {
        if self.serves_from_file(&stored.key) {
            return;
        }
        match restore(&self.imports, stored) {
            Ok(importer) => {
                tracing::info!(importer = %stored.key, "an importer made in the dashboard changed elsewhere; serving it as it is now");
                self.served(&stored.key);
                if let Err(e) = self.deliveries.replace(&importer) {
                    tracing::error!(importer = %stored.key, error = %e, "cannot start the importer's delivery lanes; restart the server");
                }
            }
            Err(problem) => {
                tracing::error!(importer = %stored.key, error = %problem, "an importer made in the dashboard cannot be served; edit it in the dashboard");
                self.imports.remove_importer(&stored.key);
                self.deliveries.remove(&stored.key);
                let mut unserved = self.unserved.lock().unwrap_or_else(PoisonError::into_inner);
                unserved.retain(|u| u.key != stored.key);
                unserved.push(unserved_entry(stored, problem));
            }
        }
    }

    /// Whether this instance serves `key` from its configuration file (which a stored importer
    /// never replaces).
    fn serves_from_file(&self, key: &str) -> bool {
        self.imports.importer(key).is_ok_and(|i| matches!(i.source, Source::File))
    }

    /// Records `row` as applied here (this instance stored it).
    fn applied(&self, row: StoredImporter) {
        self.applied.lock().unwrap_or_else(PoisonError::into_inner).insert(row.key.clone(), row);
    }

    /// The stored importers that are not served, and why.
    pub fn unserved(&self) -> Vec<Unserved> {
        self.unserved.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Forgets that the importer with `key` was not served (it was saved or deleted).
    fn served(&self, key: &str) {
        self.unserved.lock().unwrap_or_else(PoisonError::into_inner).retain(|u| u.key != key);
    }

    /// Checks `input` as a save would, without saving: the dashboard converts between its form
    /// and its text view with this, and shows the problems by field. Only input that is not
    /// JSON or TOML at all is refused.
    pub fn check(&self, input: Input) -> Result<Checked, ConfigureError> {
        let (document, given) = Document::read(input, &self.rng).map_err(ConfigureError::Invalid)?;
        let key = document.key().unwrap_or_default().to_owned();
        let stored = match self.stored(&key)? {
            Some(stored) => Secrets::open(self.imports.master(), &key, &stored.sealed_secrets)
                .map_err(ConfigureError::Internal)?,
            None => Secrets::default(),
        };
        let errors = match stored.merged(&document, &given, &self.rng) {
            Ok((secrets, _, _)) => build(&self.imports, &document, &secrets).err().unwrap_or_default(),
            Err(errors) => errors,
        };
        Ok(Checked { document: document.to_json(), toml: document.to_toml(), errors })
    }

    /// Creates an importer from `input`.
    pub fn create(&self, input: Input, actor: &Actor, now: i64) -> Result<Saved, ConfigureError> {
        let _one = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let (document, given) = Document::read(input, &self.rng).map_err(ConfigureError::Invalid)?;
        let key = document.key().unwrap_or_default().to_owned();
        if self.stored(&key)?.is_some() {
            return Err(ConfigureError::Exists);
        }
        if self.imports.importer(&key).is_ok() {
            let message = "is the key of an importer of the configuration file: choose another".to_owned();
            return Err(ConfigureError::Invalid(vec![FieldError::new("key".into(), message)]));
        }
        self.save(None, document, &given, actor, now)
    }

    /// Replaces the settings of the importer with `key` by `input` (the key stays).
    pub fn update(&self, key: &str, input: Input, actor: &Actor, now: i64) -> Result<Saved, ConfigureError> {
        let _one = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = self.editable(key)?;
        let (document, given) = Document::read(input, &self.rng).map_err(ConfigureError::Invalid)?;
        if document.key() != Some(key) {
            let message =
                format!("must stay \"{key}\": an importer's key cannot change (make a new importer instead)");
            return Err(ConfigureError::Invalid(vec![FieldError::new("key".into(), message)]));
        }
        self.save(Some(stored), document, &given, actor, now)
    }

    /// Disables (or enables again) the importer with `key`: disabled, it starts no import;
    /// imports under way finish and are delivered.
    pub fn set_disabled(
        &self,
        key: &str,
        disabled: bool,
        actor: &Actor,
        now: i64,
    ) -> Result<(), ConfigureError> {
        let _one = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = self.editable(key)?;
        let kind = if disabled { "admin_importer_disabled" } else { "admin_importer_enabled" };
        let change = json!([{ "field": "disabled", "from": stored.disabled, "to": disabled }]);
        let event = self.event(kind, key, actor, now, change);
        let row = StoredImporter { disabled, updated_at: now, ..stored };
        self.imports.store_importer(row.clone(), event)?;
        self.applied(row);
        match self.imports.importer(key) {
            Ok(current) => {
                let runtime = ImporterRuntime::new(current.config.clone(), current.source.clone(), disabled)?;
                self.imports.put_importer(runtime);
            }
            Err(_) => {
                let mut unserved = self.unserved.lock().unwrap_or_else(PoisonError::into_inner);
                unserved.iter_mut().filter(|u| u.key == key).for_each(|u| u.disabled = disabled);
            }
        }
        Ok(())
    }

    /// Rotates the signing secret of the webhook at `index` of the importer with `key`: a new
    /// secret (shown once), with the current one signing beside it for `overlap_seconds`, so
    /// that receivers verify with either until they hold the new one.
    pub fn rotate(
        &self,
        key: &str,
        index: usize,
        overlap_seconds: u64,
        actor: &Actor,
        now: i64,
    ) -> Result<(ShownSecret, i64), ConfigureError> {
        let _one = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = self.editable(key)?;
        let (document, mut secrets) = self.opened(&stored)?;
        let (id, kind) = document.destinations().into_iter().nth(index).ok_or(ConfigureError::NotAWebhook)?;
        let until = now.saturating_add(i64::try_from(overlap_seconds.min(MAX_OVERLAP)).unwrap_or(0));
        let secret = match kind.as_str() {
            "webhook" => secrets.rotate(&id, until, &self.rng).map_err(ConfigureError::Internal)?,
            _ => None,
        };
        let secret = secret.ok_or(ConfigureError::NotAWebhook)?;
        let importer = build(&self.imports, &document, &secrets).map_err(ConfigureError::Invalid)?;
        let sealed_secrets =
            secrets.seal(self.imports.master(), &self.rng, key).map_err(ConfigureError::Internal)?;
        let change = json!([{ "field": format!("destinations[{id}].secret"), "change": "rotated", "previousSignsUntil": until }]);
        let event = self.event("admin_importer_secret_rotated", key, actor, now, change);
        let disabled = stored.disabled;
        let row = StoredImporter { sealed_secrets, updated_at: now, ..stored };
        self.imports.store_importer(row.clone(), event)?;
        self.applied(row);
        self.apply(importer, &document, disabled)?;
        Ok((ShownSecret { destination: id, index, secret }, until))
    }

    /// Tests the destination at `index` of the importer with `key` (of the file or the
    /// dashboard) without an import: see [`Destination::test`](crate::delivery::Destination::test).
    /// Audited with its outcome.
    pub fn test_destination(
        &self,
        key: &str,
        index: usize,
        actor: &Actor,
        now: i64,
    ) -> Result<Tested, ConfigureError> {
        let importer = self.imports.importer(key).map_err(|_| ConfigureError::Unknown)?;
        let configured = importer.config.destinations.get(index).ok_or(ConfigureError::UnknownDestination)?;
        let columns: Vec<String> = importer.schema().columns().iter().map(|c| c.key().to_owned()).collect();
        let probe = Probe { importer: key, columns: &columns };
        let tested = match destination::open(configured) {
            Ok(opened) => tested(opened.try_without_import(&probe)),
            Err(e) => Tested { outcome: "failed", status: None, error: Some(e.to_string()) },
        };
        let detail = json!({ "importer": key, "by": actor, "destination": index, "outcome": tested.outcome, "status": tested.status, "error": tested.error });
        let event = Event { import_id: None, at: now, kind: "admin_destination_tested", detail };
        self.imports.audit_event(event);
        Ok(tested)
    }

    /// Puts `importer` into the registry and replaces its delivery lanes.
    fn apply(&self, importer: Importer, document: &Document, disabled: bool) -> Result<(), ConfigureError> {
        let key = importer.key.clone();
        self.imports.put_importer(ImporterRuntime::new(importer.clone(), dashboard(document), disabled)?);
        if let Err(e) = self.deliveries.replace(&importer) {
            tracing::error!(importer = %key, error = %e, "cannot start the importer's delivery lanes; restart the server");
        }
        Ok(())
    }

    /// Deletes the importer with `key`, which must be disabled and hold no data (delete its
    /// imports' data first): then no import of it is under way and no message of it pending.
    pub fn delete(&self, key: &str, actor: &Actor, now: i64) -> Result<(), ConfigureError> {
        let _one = self.changing.lock().unwrap_or_else(PoisonError::into_inner);
        let stored = self.editable(key)?;
        if !stored.disabled {
            return Err(ConfigureError::Enabled);
        }
        let holding = self.imports.imports_with_data(Some(key))?.len();
        if holding > 0 {
            return Err(ConfigureError::HasData(holding));
        }
        let before = Document::parse(&stored.document).map_err(ConfigureError::Internal)?.to_json();
        let changes = Value::Array(diff::changes(Some(&before), None, &[]));
        let event = self.event("admin_importer_deleted", key, actor, now, changes);
        self.imports.delete_stored_importer(key, event)?;
        self.applied.lock().unwrap_or_else(PoisonError::into_inner).remove(key);
        self.imports.remove_importer(key);
        self.deliveries.remove(key);
        self.served(key);
        Ok(())
    }

    /// Checks, stores and applies `document`, in place of `stored`.
    fn save(
        &self,
        stored: Option<StoredImporter>,
        document: Document,
        given: &document::Given,
        actor: &Actor,
        now: i64,
    ) -> Result<Saved, ConfigureError> {
        let key = document.key().unwrap_or_default().to_owned();
        let old = stored.as_ref().map(|stored| self.opened(stored)).transpose()?;
        let old_secrets = old.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
        let (secrets, shown, secret_changes) =
            old_secrets.merged(&document, given, &self.rng).map_err(ConfigureError::Invalid)?;
        let importer = build(&self.imports, &document, &secrets).map_err(ConfigureError::Invalid)?;
        let sealed_secrets =
            secrets.seal(self.imports.master(), &self.rng, &key).map_err(ConfigureError::Internal)?;
        let before = old.as_ref().map(|(d, _)| d.to_json());
        let changes =
            Value::Array(diff::changes(before.as_ref(), Some(&document.to_json()), &secret_changes));
        let kind = if stored.is_some() { "admin_importer_updated" } else { "admin_importer_created" };
        let event = self.event(kind, &key, actor, now, changes);
        let disabled = stored.as_ref().is_some_and(|s| s.disabled);
        let created_at = stored.as_ref().map_or(now, |s| s.created_at);
        let row = StoredImporter {
            key: key.clone(),
            document: document.to_toml(),
            sealed_secrets,
            disabled,
            created_at,
            updated_at: now,
        };
        self.imports.store_importer(row.clone(), event)?;
        self.applied(row);
        self.apply(importer, &document, disabled)?;
        self.served(&key);
        Ok(Saved { key, secrets: shown })
    }

    /// The settings and secrets of a stored importer.
    fn opened(&self, stored: &StoredImporter) -> Result<(Document, Secrets), ConfigureError> {
        let document = Document::parse(&stored.document).map_err(ConfigureError::Internal)?;
        let secrets = Secrets::open(self.imports.master(), &stored.key, &stored.sealed_secrets)
            .map_err(ConfigureError::Internal)?;
        Ok((document, secrets))
    }

    /// The stored importer with `key`.
    fn stored(&self, key: &str) -> Result<Option<StoredImporter>, ConfigureError> {
        Ok(self.imports.stored_importers()?.into_iter().find(|s| s.key == key))
    }

    /// The stored importer with `key`, or why it cannot be changed here.
    fn editable(&self, key: &str) -> Result<StoredImporter, ConfigureError> {
        // The file's importer is served in place of a stored one with its key: never touch it.
        let file = self.imports.importer(key).is_ok_and(|i| i.source == Source::File);
        match self.stored(key)? {
            Some(_) if file => Err(ConfigureError::ReadOnly),
            Some(stored) => Ok(stored),
            None if self.imports.importer(key).is_ok() => Err(ConfigureError::ReadOnly),
            None => Err(ConfigureError::Unknown),
        }
    }

    /// The audit record of a change.
    fn event(&self, kind: &'static str, key: &str, actor: &Actor, at: i64, changes: Value) -> Event {
        Event {
            import_id: None,
            at,
            kind,
            detail: json!({ "importer": key, "by": actor, "changes": changes }),
        }
    }
}
