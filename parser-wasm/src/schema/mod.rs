//! Schemas: the columns an importer expects, loaded from JSON or TOML, checked once, and
//! identified by a digest. The format is documented in `docs/schema.md`.

mod check;
mod compile;
mod messages;
mod raw;
mod text;
mod transform;

pub(crate) use check::{Check, Failure, Parsed};
pub use text::Translations;
pub(crate) use transform::{Buffers, Transform};

use crate::error::ConfigError;
use raw::RawSchema;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The schema format version this crate reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// A checked schema. Cloning is cheap: clones share one immutable schema.
///
/// ```
/// use sluice_parser::schema::Schema;
///
/// let schema = Schema::from_toml(r#"
///     version = 1
///     [[columns]]
///     key = "email"
///     type = "email"
///     required = true
/// "#)?;
/// assert_eq!(schema.columns()[0].label(), "email");
/// assert_eq!(schema.digest_hex().len(), 64);
/// # Ok::<(), sluice_parser::error::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Schema {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    raw: RawSchema,
    columns: Vec<Column>,
    digest: [u8; 32],
}

/// One column of a schema.
#[derive(Clone, Debug)]
pub struct Column {
    key: String,
    labels: Translations,
    hints: Option<Translations>,
    description: Option<String>,
    required: bool,
    unique: bool,
    keywords: Vec<String>,
    default: Option<String>,
    trim: bool,
    /// Rewrites the cell's text after trimming, before the check.
    pub(crate) transform: Option<Transform>,
    example: Option<String>,
    pub(crate) check: Check,
}

impl Schema {
    /// Loads a schema from JSON.
    pub fn from_json(text: &str) -> Result<Schema, ConfigError> {
        Schema::from_raw(RawSchema::from_json(text)?)
    }

    /// Loads a schema from TOML (with the `toml` feature, on by default).
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Schema, ConfigError> {
        Schema::from_raw(RawSchema::from_toml(text)?)
    }

    fn from_raw(raw: RawSchema) -> Result<Schema, ConfigError> {
        if raw.version != SCHEMA_VERSION {
            let reason = format!(
                "is {}, but this version of Sluice reads schema version {SCHEMA_VERSION}",
                raw.version
            );
            return Err(ConfigError::schema("version", reason));
        }
        if raw.columns.is_empty() {
            return Err(ConfigError::schema("columns", "must list at least one column"));
        }
        let columns = raw.columns.iter().enumerate().map(|(i, c)| compile::column(c, i));
        let columns: Vec<Column> = columns.collect::<Result<_, _>>()?;
        if let Some(key) = repeated_key(&columns) {
            return Err(ConfigError::column(key, "key", "is used by more than one column"));
        }
        let canonical = serde_json::to_vec(&raw).unwrap_or_default();
        let digest = Sha256::digest(&canonical).into();
        Ok(Schema { inner: Arc::new(Inner { raw, columns, digest }) })
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.inner.columns
    }

    /// The column with `key`.
    pub fn column(&self, key: &str) -> Option<&Column> {
        self.inner.columns.iter().find(|c| c.key == key)
    }

    /// The schema's name, if it has one.
    pub fn name(&self) -> Option<&str> {
        self.inner.raw.name.as_deref()
    }

    /// SHA-256 of the schema's canonical JSON form: the same schema gives the same digest
    /// whether it was written in JSON or TOML, in any field order.
    pub fn digest(&self) -> [u8; 32] {
        self.inner.digest
    }

    /// The digest in lowercase hex.
    pub fn digest_hex(&self) -> String {
        self.inner.digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The schema as canonical JSON (what the digest is taken over).
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.inner.raw).unwrap_or_default()
    }
}

impl Serialize for Schema {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.inner.raw.serialize(s)
    }
}

/// The message of a failure of a cell checked by `check` after `transform`.
pub(crate) fn message(check: &Check, transform: Option<&Transform>, failure: Failure) -> String {
    transform.and_then(|t| t.message(failure)).unwrap_or_else(|| check.message(failure))
}

/// The facts of [`message`].
pub(crate) fn params(
    check: &Check,
    transform: Option<&Transform>,
    failure: Failure,
) -> crate::validate::Params {
    transform.and_then(|t| t.params(failure)).unwrap_or_else(|| check.params(failure))
}

fn repeated_key(columns: &[Column]) -> Option<&str> {
    let mut keys: Vec<&str> = columns.iter().map(|c| c.key.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).find(|w| w[0] == w[1]).map(|w| w[0])
}

impl Column {
    /// The key the column's values are delivered under.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The name shown to people (the key when the schema gives none), in English when the
    /// schema gives it per language and has English, otherwise in its first language.
    pub fn label(&self) -> &str {
        self.labels.default_text()
    }

    /// The name shown to people, in every language the schema gives.
    pub fn labels(&self) -> &Translations {
        &self.labels
    }

    /// The short help text shown under the field when mapping columns, if any.
    pub fn hint(&self) -> Option<&Translations> {
        self.hints.as_ref()
    }

    /// A longer explanation for people, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether an empty value is an error.
    pub fn required(&self) -> bool {
        self.required
    }

    /// Whether a value may appear only once in the column.
    pub fn unique(&self) -> bool {
        self.unique
    }

    /// Other header names that mean this column.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    /// The canonical value an empty cell takes, if any.
    pub fn default_value(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// Whether surrounding whitespace is removed before checking (true unless the schema says
    /// otherwise).
    pub fn trims(&self) -> bool {
        self.trim
    }

    /// The value a template shows for the column, as the schema gives it (`example`), if it
    /// gives one.
    pub fn example(&self) -> Option<&str> {
        self.example.as_deref()
    }

    /// A value as the column reads a cell's: trimmed when the column trims, then transformed.
    pub(crate) fn prepare<'v>(&self, value: &'v str, buffers: &'v mut Buffers) -> Result<&'v str, Failure> {
        let value = if self.trim { value.trim() } else { value };
        match &self.transform {
            Some(transform) => transform.apply(value, buffers),
            None => Ok(value),
        }
    }

    /// The canonical form of a value written in a file, prepared and checked as a cell's
    /// (an empty value is checked too: the schema's own values are held to the check).
    pub(crate) fn canonical(&self, value: &str) -> Result<String, Failure> {
        let mut buffers = Buffers::default();
        let value = self.prepare(value, &mut buffers)?;
        let (mut out, mut scratch) = (String::new(), String::new());
        self.check.run(value, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// What the column expects, for a failure's message (the transform's own failures too).
    pub(crate) fn message(&self, failure: Failure) -> String {
        message(&self.check, self.transform.as_ref(), failure)
    }

    /// Whether the column's type is `integer` (unique checks keep such values exactly).
    pub(crate) fn is_integer(&self) -> bool {
        matches!(self.check, Check::Integer { .. })
    }
}

#[cfg(test)]
mod tests;
