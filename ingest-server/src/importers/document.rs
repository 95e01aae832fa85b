//! An importer's settings as the dashboard edits them: the fields of `[[importers]]` as one TOML
//! table, read from the form's JSON or from TOML text, each destination with an id
//! (`dst_` and 12 hex digits) that its secrets are kept under, and no secret in it: the
//! passwords and access keys given with a destination are taken out as they are read.

use super::FieldError;
use super::secrets::Secrets;
use ring::rand::SecureRandom;
use std::collections::BTreeMap;
use toml::{Table, Value};

/// The secrets a destination may be given with (taken out of the document).
const GIVEN: &[&str] = &["password", "access_key_id", "secret_access_key"];

/// What the operator sent: the form's JSON object, or TOML text.
#[derive(Debug)]
pub enum Input {
    /// A JSON object with the fields of `[[importers]]` (`null` leaves a field out).
    Json(serde_json::Value),
    /// The same as TOML text.
    Toml(String),
}

/// An importer's settings, without secrets.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Document {
    table: Table,
}

/// Secrets given with the document's destinations, by destination id.
#[derive(Default)]
pub(super) struct Given {
    by_id: BTreeMap<String, Table>,
}

impl Document {
    /// Reads `input`, gives each new destination an id, and takes out the secrets given with
    /// destinations.
    pub(super) fn read(input: Input, rng: &dyn SecureRandom) -> Result<(Document, Given), Vec<FieldError>> {
        let mut table = match input {
            Input::Json(json) => from_json(json)?,
            Input::Toml(text) => from_toml(&text)?,
        };
        let given = take_secrets(&mut table, rng)?;
        Ok((Document { table }, given))
    }

    /// A stored document.
    pub(super) fn parse(text: &str) -> Result<Document, String> {
        text.parse::<Table>().map(|table| Document { table }).map_err(|e| e.to_string())
    }

    /// The importer's key, if written as a string.
    pub(super) fn key(&self) -> Option<&str> {
        self.table.get("key")?.as_str()
    }

    /// The document as stored: TOML text.
    pub(super) fn to_toml(&self) -> String {
        toml::to_string(&self.table).unwrap_or_default()
    }

    /// The document as JSON, for the dashboard's form.
    pub(super) fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(&self.table).unwrap_or_default()
    }

    /// Each destination's id and type, in order.
    pub(super) fn destinations(&self) -> Vec<(String, String)> {
        destination_tables(&self.table)
            .map(|d| {
                let text = |field: &str| d.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
                (text("id"), text("type"))
            })
            .collect()
    }

    /// The text the configuration's reader checks: the document without destination ids, with
    /// each webhook's signing secret.
    pub(super) fn checked_text(&self, secrets: &Secrets) -> String {
        let mut table = self.table.clone();
        if let Some(Value::Array(destinations)) = table.get_mut("destinations") {
            for destination in destinations.iter_mut().filter_map(Value::as_table_mut) {
                let id = destination.remove("id").and_then(|id| id.as_str().map(str::to_owned));
                let secret = id.as_deref().and_then(|id| secrets.signing(id));
                if let Some(secret) = secret.filter(|_| is_webhook(destination)) {
                    destination.insert("secret".into(), Value::String(secret.to_owned()));
                }
            }
        }
        toml::to_string(&table).unwrap_or_default()
    }
}

impl Given {
    /// The password given for destination `id`.
    pub(super) fn password(&self, id: &str) -> Option<&str> {
        self.by_id.get(id)?.get("password")?.as_str()
    }

    /// The access key given for destination `id`: both parts or neither.
    pub(super) fn access_key(&self, id: &str) -> Result<Option<(&str, &str)>, String> {
        let Some(given) = self.by_id.get(id) else { return Ok(None) };
        let part = |field: &str| given.get(field).and_then(Value::as_str);
        match (part("access_key_id"), part("secret_access_key")) {
            (Some(key_id), Some(secret)) => Ok(Some((key_id, secret))),
            (None, None) => Ok(None),
            _ => {
                Err("give access_key_id and secret_access_key together (or neither, to keep the key stored)"
                    .into())
            }
        }
    }
}

fn is_webhook(destination: &Table) -> bool {
    destination.get("type").and_then(Value::as_str) == Some("webhook")
}

/// The destination tables of `table`.
fn destination_tables(table: &Table) -> impl Iterator<Item = &Table> {
    let destinations =
        table.get("destinations").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    destinations.iter().filter_map(Value::as_table)
}

/// A JSON object as a TOML table, `null`s left out.
fn from_json(json: serde_json::Value) -> Result<Table, Vec<FieldError>> {
    let error = |message: String| vec![FieldError::new("document".into(), message)];
    let json = without_nulls(json);
    if !json.is_object() {
        return Err(error("expected a JSON object of the importer's fields".into()));
    }
    Table::try_from(json).map_err(|e| error(format!("cannot be written as TOML: {e}")))
}

/// `value` with every `null` member and item left out.
fn without_nulls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        J::Object(map) => J::Object(
            map.into_iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k, without_nulls(v))).collect(),
        ),
        J::Array(items) => J::Array(items.into_iter().filter(|v| !v.is_null()).map(without_nulls).collect()),
        other => other,
    }
}

/// TOML text as a table; a syntax error names its line and column.
fn from_toml(text: &str) -> Result<Table, Vec<FieldError>> {
    text.parse::<Table>().map_err(|e| {
        let at = e.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: ")
        });
        vec![FieldError::new(
            "toml".into(),
            format!("{}invalid TOML: {}", at.unwrap_or_default(), e.message()),
        )]
    })
}

/// Gives each destination without an id a new one, checks the ids, and takes out the secrets
/// given with destinations; a `secret` is refused (the server makes signing secrets).
fn take_secrets(table: &mut Table, rng: &dyn SecureRandom) -> Result<Given, Vec<FieldError>> {
    let mut given = Given::default();
    let mut errors = Vec::new();
    let Some(Value::Array(destinations)) = table.get_mut("destinations") else { return Ok(given) };
    for (index, destination) in destinations.iter_mut().enumerate() {
        let Some(destination) = destination.as_table_mut() else { continue };
        let field = |name: &str| format!("destinations[{index}].{name}");
        let id = match destination.get("id").map(Value::as_str) {
            None => new_id(rng).map_err(|message| FieldError::new(field("id"), message)),
            Some(Some(id)) if is_id(id) && !given.by_id.contains_key(id) => Ok(id.to_owned()),
            Some(_) => Err(FieldError::new(field("id"), "expected the id the server gave this destination (dst_ and 12 hex digits, once per importer), or no id for a new destination".into())),
        };
        if destination.contains_key("secret") {
            errors.push(FieldError::new(
                field("secret"),
                "the server makes signing secrets: leave secret out (rotate it to get a new one)".into(),
            ));
        }
        let mut secrets = Table::new();
        for name in GIVEN {
            match destination.remove(*name) {
                Some(Value::String(text)) if !text.is_empty() => {
                    drop(secrets.insert((*name).into(), Value::String(text)));
                }
                Some(Value::String(_)) | None => {}
                Some(_) => errors.push(FieldError::new(field(name), "expected a string".into())),
            }
        }
        match id {
            Ok(id) => {
                destination.insert("id".into(), Value::String(id.clone()));
                given.by_id.insert(id, secrets);
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() { Ok(given) } else { Err(errors) }
}

/// Whether `id` is a destination id.
fn is_id(id: &str) -> bool {
    id.strip_prefix("dst_").is_some_and(|hex| {
        hex.len() == 12 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

/// A new destination id.
fn new_id(rng: &dyn SecureRandom) -> Result<String, String> {
    let mut bytes = [0u8; 6];
    rng.fill(&mut bytes).map_err(|_| "no randomness to make an id: try again".to_owned())?;
    Ok(format!("dst_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}
