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
    /// The table as TOML, as stored.
    toml: String,
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
        let toml = toml::to_string(&table).map_err(|e| {
            vec![FieldError::new("document".into(), format!("cannot be written as TOML: {e}"))]
        })?;
        Ok((Document { table, toml }, given))
    }

    /// A stored document.
    pub(super) fn parse(text: &str) -> Result<Document, String> {
        let table = text.parse::<Table>().map_err(|e| format!("the stored settings do not parse: {e}"))?;
        let toml =
            toml::to_string(&table).map_err(|e| format!("the stored settings cannot be written: {e}"))?;
        Ok(Document { table, toml })
    }

    /// The importer's key, if written as a string.
    pub(super) fn key(&self) -> Option<&str> {
        self.table.get("key")?.as_str()
    }

    /// The document as stored: TOML text.
    pub(super) fn to_toml(&self) -> String {
        self.toml.clone()
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
    pub(super) fn checked_text(&self, secrets: &Secrets) -> Result<String, FieldError> {
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
        toml::to_string(&table)
            .map_err(|e| FieldError::new("document".into(), format!("cannot be written as TOML: {e}")))
    }
}

impl std::fmt::Debug for Given {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Given([redacted] for {} destinations)", self.by_id.len())
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
        if destination.contains_key("secret") {
            let message = "the server makes signing secrets: leave secret out (rotate it to get a new one)";
            errors.push(FieldError::new(field("secret"), message.into()));
        }
        let secrets = take_given(destination, &field, &mut errors);
        match destination_id(destination, &given, rng) {
            Ok(id) => {
                destination.insert("id".into(), Value::String(id.clone()));
                given.by_id.insert(id, secrets);
            }
            Err(message) => errors.push(FieldError::new(field("id"), message)),
        }
    }
    if errors.is_empty() { Ok(given) } else { Err(errors) }
}

/// The secrets given with `destination`, taken out of it; a value not a string is an error.
fn take_given(
    destination: &mut Table,
    field: &dyn Fn(&str) -> String,
    errors: &mut Vec<FieldError>,
) -> Table {
    let mut secrets = Table::new();
    for name in GIVEN {
        match destination.remove(*name) {
            Some(Value::String(text)) if !text.is_empty() => {
                secrets.insert((*name).into(), Value::String(text));
            }
            Some(Value::String(_)) | None => {}
            Some(_) => errors.push(FieldError::new(field(name), "expected a string".into())),
        }
    }
    secrets
}

/// The destination's id: the one it has (once per importer), or a new one.
fn destination_id(destination: &Table, given: &Given, rng: &dyn SecureRandom) -> Result<String, String> {
    match destination.get("id").map(Value::as_str) {
        None => new_id(rng),
        Some(Some(id)) if is_id(id) && !given.by_id.contains_key(id) => Ok(id.to_owned()),
        Some(_) => Err("expected the id the server gave this destination (dst_ and 12 hex digits, once per \
                        importer), or no id for a new destination"
            .into()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use serde_json::json;

    #[test]
    fn json_and_toml_read_alike_new_destinations_get_ids_and_given_secrets_are_taken_out() {
        let rng = SystemRandom::new();
        let json = json!({ "key": "crm", "name": null, "allowed_origins": ["https://a.example"],
            "destinations": [{ "type": "postgres", "url": "postgres://u@h/d", "table": "t", "password": "hunter2" }] });
        let (document, given) = Document::read(Input::Json(json), &rng).unwrap();
        let [(id, kind)] = document.destinations().try_into().unwrap();
        assert!(is_id(&id) && kind == "postgres", "{id}");
        assert_eq!(given.password(&id), Some("hunter2"));
        assert!(!document.to_toml().contains("hunter2") && !document.to_toml().contains("name"));
        let (again, _) = Document::read(Input::Toml(document.to_toml()), &rng).unwrap();
        assert_eq!(again, document, "TOML written back reads the same, ids kept");
    }

    #[test]
    fn ids_are_checked_a_secret_is_refused_and_syntax_errors_say_where() {
        let rng = SystemRandom::new();
        let twice = json!({ "destinations": [{ "id": "dst_000000000001" }, { "id": "dst_000000000001", "secret": "x" }] });
        let errors = Document::read(Input::Json(twice), &rng).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["destinations[1].secret", "destinations[1].id"]);
        let errors = Document::read(Input::Toml("key = \"crm\"\nname = \n".into()), &rng).unwrap_err();
        assert_eq!(errors[0].field, "toml");
        assert!(errors[0].message.starts_with("line 2, column"), "{}", errors[0].message);
        assert!(Document::read(Input::Json(json!(["not", "an", "object"])), &rng).is_err());
    }

    #[test]
    fn the_checked_text_has_each_webhooks_secret_and_no_ids() {
        let rng = SystemRandom::new();
        let json =
            json!({ "key": "crm", "destinations": [{ "type": "webhook", "url": "https://h.example" }] });
        let (document, given) = Document::read(Input::Json(json), &rng).unwrap();
        let (secrets, shown, _) = Secrets::default().merged(&document, &given, &rng).unwrap();
        let text = document.checked_text(&secrets).unwrap();
        assert!(text.contains(&format!("secret = \"{}\"", shown[0].secret)), "{text}");
        assert!(!text.contains("dst_"), "{text}");
    }
}
