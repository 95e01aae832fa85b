//! The schema as written (JSON or TOML): the serde shape, loading with positioned syntax
//! errors, and the canonical form the digest is taken over.

use crate::error::ConfigError;
use serde::{Deserialize, Serialize};

/// A schema document as written. Field names are snake_case; camelCase aliases are accepted
/// so JavaScript callers can pass their usual spelling.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSchema {
    pub(crate) version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    pub(crate) columns: Vec<RawColumn>,
}

/// One column as written; which fields apply depends on `type`, and `compile` refuses the rest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawColumn {
    pub(crate) key: String,
    #[serde(rename = "type")]
    pub(crate) kind: TypeName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) label: Option<RawText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<RawText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) unique: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) keywords: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) trim: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) transform: Option<Vec<RawStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) example: Option<String>,
    #[serde(default, alias = "minLength", skip_serializing_if = "Option::is_none")]
    pub(crate) min_length: Option<usize>,
    #[serde(default, alias = "maxLength", skip_serializing_if = "Option::is_none")]
    pub(crate) max_length: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<Bound>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<Bound>,
    #[serde(default, alias = "decimalSeparator", skip_serializing_if = "Option::is_none")]
    pub(crate) decimal_separator: Option<String>,
    #[serde(default, alias = "thousandsSeparator", skip_serializing_if = "Option::is_none")]
    pub(crate) thousands_separator: Option<String>,
    #[serde(default, alias = "trueValues", skip_serializing_if = "Option::is_none")]
    pub(crate) true_values: Option<Vec<String>>,
    #[serde(default, alias = "falseValues", skip_serializing_if = "Option::is_none")]
    pub(crate) false_values: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) formats: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) schemes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) values: Option<Vec<RawEnumValue>>,
    #[serde(default, alias = "caseSensitive", skip_serializing_if = "Option::is_none")]
    pub(crate) case_sensitive: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

/// A text for people: one string, or a table of language tag → string
/// (`{ en = "Email", de = "E-Mail" }`). Read by hand rather than as an untagged enum, so that
/// a wrong entry is refused with its path (`columns[0].label.de`) and a plain sentence.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawText {
    One(String),
    /// (language tag, text), sorted by tag, each tag once: the canonical form, for the digest.
    Languages(Vec<(String, String)>),
}

impl Serialize for RawText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RawText::One(text) => s.serialize_str(text),
            RawText::Languages(texts) => s.collect_map(texts.iter().map(|(language, text)| (language, text))),
        }
    }
}

impl<'de> Deserialize<'de> for RawText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> serde::de::Visitor<'de> for TextVisitor {
    type Value = RawText;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, or a table of language tag → string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<RawText, E> {
        Ok(RawText::One(text.to_owned()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawText, A::Error> {
        let mut texts: Vec<(String, String)> = Vec::new();
        while let Some(language) = map.next_key::<String>()? {
            let text: String = map.next_value()?;
            if language.is_empty() {
                return Err(serde::de::Error::custom("a language tag is empty"));
            }
            if texts.iter().any(|(l, _)| *l == language) {
                return Err(serde::de::Error::custom(format!("the language {language:?} is given twice")));
            }
            texts.push((language, text));
        }
        if texts.is_empty() {
            return Err(serde::de::Error::custom("a table of texts must name at least one language"));
        }
        texts.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(RawText::Languages(texts))
    }
}

/// One transform as written: a name (`"upper"`), or a date rewrite
/// (`{ date = "%d.%m.%Y", from = ["%d/%m/%Y"] }`). Read by hand, like [`RawText`], so that a
/// wrong one is refused with its path (`columns[0].transform[1]`) and what to write instead.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawStep {
    Upper,
    Lower,
    Title,
    Digits,
    Collapse,
    Date { to: String, from: Option<Vec<String>> },
}

/// The transform names, as written.
const STEP_NAMES: [(&str, RawStep); 5] = [
    ("upper", RawStep::Upper),
    ("lower", RawStep::Lower),
    ("title", RawStep::Title),
    ("digits", RawStep::Digits),
    ("collapse", RawStep::Collapse),
];

impl RawStep {
    /// The name a step is written with (`date` for a date rewrite).
    pub(crate) fn name(&self) -> &'static str {
        STEP_NAMES.iter().find(|(_, step)| step == self).map_or("date", |(name, _)| name)
    }
}

impl Serialize for RawStep {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let RawStep::Date { to, from } = self else { return s.serialize_str(self.name()) };
        let mut map = s.serialize_map(Some(1 + usize::from(from.is_some())))?;
        map.serialize_entry("date", to)?;
        if let Some(from) = from {
            map.serialize_entry("from", from)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for RawStep {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StepVisitor)
    }
}

struct StepVisitor;

impl<'de> serde::de::Visitor<'de> for StepVisitor {
    type Value = RawStep;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a transform: \"upper\", \"lower\", \"title\", \"digits\", \"collapse\" or { date = \"…\", from = [\"…\"] }")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<RawStep, E> {
        if let Some((_, step)) = STEP_NAMES.iter().find(|(n, _)| *n == name) {
            return Ok(step.clone());
        }
        Err(E::custom(match name {
            "trim" => "\"trim\" is not a transform: trimming is the column's own option `trim` (on unless `trim = false`), done before the transforms".to_owned(),
            "date" => "a date transform is a table: { date = \"%d.%m.%Y\", from = [\"%d/%m/%Y\"] } (the format written, and those read)".to_owned(),
            _ => format!("unknown transform {name:?}: use upper, lower, title, digits, collapse, or {{ date = \"…\", from = [\"…\"] }}"),
        }))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawStep, A::Error> {
        let (mut to, mut from) = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "date" if to.is_some() => return Err(serde::de::Error::duplicate_field("date")),
                "from" if from.is_some() => return Err(serde::de::Error::duplicate_field("from")),
                "date" => to = Some(map.next_value::<String>()?),
                "from" => from = Some(map.next_value::<Vec<String>>()?),
                other => return Err(serde::de::Error::unknown_field(other, &["date", "from"])),
            }
        }
        let to = to.ok_or_else(|| {
            serde::de::Error::custom("a date transform needs `date`, the format it writes (\"%d.%m.%Y\")")
        })?;
        Ok(RawStep::Date { to, from })
    }
}

/// The column types.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TypeName {
    #[default]
    Text,
    Integer,
    Number,
    Boolean,
    Date,
    Datetime,
    Time,
    Email,
    Url,
    Uuid,
    Enum,
    Regex,
}

/// A numeric bound: an integer, or a decimal for `number` columns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Bound {
    Int(i64),
    Float(f64),
}

/// An enum value: `"red"`, or `{ "value": "red", "label": "Red" }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawEnumValue {
    Plain(String),
    Labelled {
        value: String,
        #[serde(default)]
        label: Option<String>,
    },
}

impl RawSchema {
    pub(crate) fn from_json(text: &str) -> Result<RawSchema, ConfigError> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|e| match toml_line(text) {
            Some(line) => ConfigError::SchemaSyntax {
                format: "JSON",
                location: Some((line, 1)),
                path: String::new(),
                message: TOML_GIVEN.to_owned(),
            },
            None => {
                let location = Some((e.inner().line(), e.inner().column()));
                syntax_error("JSON", location, &e.path().to_string(), e.inner().to_string(), text)
            }
        })
    }

    #[cfg(feature = "toml")]
    pub(crate) fn from_toml(text: &str) -> Result<RawSchema, ConfigError> {
        let de = toml::de::Deserializer::parse(text).map_err(|e| toml_error(&e, "", text))?;
        serde_path_to_error::deserialize(de).map_err(|e| toml_error(e.inner(), &e.path().to_string(), text))
    }
}

/// What a JSON reader says of a schema written in TOML.
const TOML_GIVEN: &str = "this looks like TOML, but a JSON schema is expected here (a JSON \
    string or an object, as @sluice/parser takes it); TOML schemas are read by the Sluice server";

/// The line of a text that fails as JSON and reads like TOML: its first line that is neither
/// blank nor a `#` comment is a table header (`[[columns]]`, `[meta]`) or `key = value`.
fn toml_line(text: &str) -> Option<usize> {
    let (index, line) = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i, l.trim()))
        .find(|(_, l)| !l.is_empty() && !l.starts_with('#'))?;
    let bare_key = |k: &str| {
        let k = k.trim();
        !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
    };
    let table = line.strip_prefix('[').and_then(|l| l.strip_suffix(']'));
    let table = table.map(|t| t.trim_start_matches('[').trim_end_matches(']')).is_some_and(bare_key);
    let assignment = line.split_once('=').is_some_and(|(key, _)| bare_key(key));
    (table || assignment).then_some(index + 1)
}

#[cfg(feature = "toml")]
fn toml_error(e: &toml::de::Error, path: &str, text: &str) -> ConfigError {
    let location = e.span().map(|span| line_column(text, span.start));
    syntax_error("TOML", location, path, e.message().to_owned(), text)
}

/// Names the column by its key when the failing field is inside one.
fn syntax_error(
    format: &'static str,
    location: Option<(usize, usize)>,
    path: &str,
    message: String,
    text: &str,
) -> ConfigError {
    let path = match column_key(text, format, path) {
        Some(key) => format!("{path} (column {key:?})"),
        None => path.to_owned(),
    };
    ConfigError::SchemaSyntax { format, location, path, message }
}

/// The key of the column a serde path like `columns[2].min` points into, read loosely.
fn column_key(text: &str, format: &str, path: &str) -> Option<String> {
    let index: usize = path.strip_prefix("columns[")?.split(']').next()?.parse().ok()?;
    let value: serde_json::Value = match format {
        "JSON" => serde_json::from_str(text).ok()?,
        #[cfg(feature = "toml")]
        _ => serde_json::to_value(toml::from_str::<toml::Table>(text).ok()?).ok()?,
        #[cfg(not(feature = "toml"))]
        _ => return None,
    };
    Some(value.get("columns")?.get(index)?.get("key")?.as_str()?.to_owned())
}

#[cfg(feature = "toml")]
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_syntax_errors_name_line_column_path_and_column_key() {
        let text =
            "{\"version\": 1, \"columns\": [\n {\"key\": \"age\", \"type\": \"integer\", \"min\": \"x\"}]}";
        let err = RawSchema::from_json(text).unwrap_err().to_string();
        assert!(err.starts_with("schema (JSON) at line 2, column"), "{err}");
        assert!(err.contains("columns[0].min (column \"age\")"), "{err}");
    }

    #[test]
    #[cfg(feature = "toml")]
    fn toml_syntax_errors_name_line_and_path() {
        let text = "version = 1\n\n[[columns]]\nkey = \"when\"\ntype = \"moment\"\n";
        let err = RawSchema::from_toml(text).unwrap_err().to_string();
        assert!(err.contains("at line 5"), "{err}");
        assert!(err.contains("columns[0].type (column \"when\")"), "{err}");
        assert!(err.contains("unknown variant"), "{err}");
    }

    #[test]
    fn toml_given_as_json_is_named_as_such() {
        let toml = "# contacts\n\nversion = 1\n[[columns]]\nkey = \"email\"\ntype = \"email\"\n";
        let err = RawSchema::from_json(toml).unwrap_err().to_string();
        assert_eq!(
            err,
            "schema (JSON) at line 3, column 1: this looks like TOML, but a JSON schema is expected here \
             (a JSON string or an object, as @sluice/parser takes it); TOML schemas are read by the Sluice server"
        );
        let table_first = RawSchema::from_json("[[columns]]\nkey = \"a\"").unwrap_err().to_string();
        assert!(table_first.contains("looks like TOML"), "{table_first}");
        for json in ["{\"version\": 1,", "[1, 2]", "nonsense", "{\"a\" = 1}"] {
            let err = RawSchema::from_json(json).unwrap_err().to_string();
            assert!(!err.contains("TOML"), "{json}: {err}");
        }
    }

    #[test]
    fn unknown_fields_are_refused() {
        let text = r#"{"version": 1, "columns": [{"key": "a", "type": "text", "maxlen": 3}]}"#;
        let err = RawSchema::from_json(text).unwrap_err().to_string();
        assert!(err.contains("unknown field `maxlen`"), "{err}");
    }

    #[test]
    fn camel_case_aliases_are_accepted() {
        let text = r#"{"version": 1, "columns": [{"key": "a", "type": "text", "maxLength": 3}]}"#;
        assert_eq!(RawSchema::from_json(text).unwrap().columns[0].max_length, Some(3));
    }
}
