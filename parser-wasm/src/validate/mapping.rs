//! Which file column feeds which schema column: chosen by the caller, or matched
//! automatically from the header; and what happens to the file columns no schema column takes.

use crate::error::ConfigError;
use crate::matching::{MatchMethod, MatchOptions, match_schema};
use crate::schema::Schema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How file columns are mapped to schema columns.
///
/// In JSON: `{"columns": {"email": "E-mail Address"}, "unmapped": "keep"}`, or `{}` to match
/// automatically and leave the rest out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MappingSpec {
    /// Schema column key → header name. `None` matches the header automatically.
    pub columns: Option<BTreeMap<String, String>>,
    /// What to do with file columns no schema column takes.
    pub unmapped: Unmapped,
}

/// File columns that no schema column takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Unmapped {
    /// Left out: nothing that is not needed is collected (the default).
    #[default]
    Ignore,
    /// Delivered beside the schema columns, under their header names.
    Keep,
}

/// The mapping in force for one file.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    /// One entry per schema column, in schema order.
    pub columns: Vec<MappedColumn>,
    /// File columns delivered under their header names (when unmapped columns are kept).
    pub kept: Vec<String>,
    /// File columns left out.
    pub ignored: Vec<String>,
    /// Required schema columns that no file column feeds.
    pub missing_required: Vec<String>,
    /// Whether fields past the header's width are kept (when unmapped columns are kept).
    pub keep_extra_fields: bool,
    #[serde(skip)]
    pub(crate) kept_indexes: Vec<usize>,
}

/// One schema column and where its values come from.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappedColumn {
    /// The schema column's key.
    pub key: String,
    /// The file column's index, if one feeds it.
    pub source: Option<usize>,
    /// The file column's header name, if one feeds it.
    pub header: Option<String>,
    /// How sure the match is (1 when chosen by the caller).
    pub confidence: f64,
    /// How the match was found; `None` when chosen by the caller or unmapped.
    pub method: Option<MatchMethod>,
}

impl Mapping {
    /// Resolves `spec` against a file's header names.
    pub fn resolve(schema: &Schema, header: &[String], spec: &MappingSpec) -> Result<Mapping, ConfigError> {
        let columns = match &spec.columns {
            Some(chosen) => explicit(schema, header, chosen)?,
            None => automatic(schema, header),
        };
        let used: Vec<usize> = columns.iter().filter_map(|c| c.source).collect();
        let free: Vec<usize> = (0..header.len()).filter(|i| !used.contains(i)).collect();
        let keep = spec.unmapped == Unmapped::Keep;
        let names = |ix: &[usize]| ix.iter().filter_map(|&i| header.get(i).cloned()).collect::<Vec<_>>();
        let missing_required = schema
            .columns()
            .iter()
            .zip(&columns)
            .filter(|(c, m)| c.required() && m.source.is_none() && c.default_value().is_none())
            .map(|(c, _)| c.key().to_owned())
            .collect();
        Ok(Mapping {
            kept: if keep { names(&free) } else { Vec::new() },
            ignored: if keep { Vec::new() } else { names(&free) },
            kept_indexes: if keep { free } else { Vec::new() },
            columns,
            missing_required,
            keep_extra_fields: keep,
        })
    }
}

fn explicit(
    schema: &Schema,
    header: &[String],
    chosen: &BTreeMap<String, String>,
) -> Result<Vec<MappedColumn>, ConfigError> {
    if let Some(key) = chosen.keys().find(|k| schema.column(k).is_none()) {
        return Err(ConfigError::option("mapping.columns", format!("{key:?} is not a column of the schema")));
    }
    let mut taken: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, name) in chosen {
        if let Some(other) = taken.insert(name, key) {
            let reason = format!("the file column {name:?} is mapped to both {other:?} and {key:?}");
            return Err(ConfigError::option("mapping.columns", reason));
        }
    }
    schema
        .columns()
        .iter()
        .map(|c| {
            let Some(name) = chosen.get(c.key()) else { return Ok(unmapped(c.key())) };
            let source = header.iter().position(|h| h == name).ok_or_else(|| {
                let reason = format!("{:?} maps from {name:?}, which is not a column of the file", c.key());
                ConfigError::option("mapping.columns", reason)
            })?;
            let header = Some(name.clone());
            Ok(MappedColumn {
                key: c.key().to_owned(),
                source: Some(source),
                header,
                confidence: 1.0,
                method: None,
            })
        })
        .collect()
}

fn automatic(schema: &Schema, header: &[String]) -> Vec<MappedColumn> {
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let found = match_schema(&names, schema, &MatchOptions::default());
    schema
        .columns()
        .iter()
        .map(|c| match found.suggestions.iter().find(|s| s.column_key == c.key()) {
            Some(s) => MappedColumn {
                key: c.key().to_owned(),
                source: Some(s.header_index),
                header: Some(s.header.clone()),
                confidence: s.confidence,
                method: Some(s.method),
            },
            None => unmapped(c.key()),
        })
        .collect()
}

fn unmapped(key: &str) -> MappedColumn {
    MappedColumn { key: key.to_owned(), source: None, header: None, confidence: 0.0, method: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema::from_json(
            r#"{"version": 1, "columns": [
                {"key": "id", "type": "integer", "required": true},
                {"key": "email", "label": "Email address", "type": "email", "required": true},
                {"key": "plan", "type": "enum", "values": ["free", "pro"], "required": true, "default": "free"}
            ]}"#,
        )
        .unwrap()
    }

    fn header(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    fn spec(json: &str) -> MappingSpec {
        serde_json::from_str(json).unwrap()
    }

    fn resolve(names: &[&str], json: &str) -> Result<Mapping, String> {
        Mapping::resolve(&schema(), &header(names), &spec(json)).map_err(|e| e.to_string())
    }

    #[test]
    fn chosen_columns_map_exactly_and_leave_the_rest_unmapped() {
        let mapping = resolve(&["Mail", "id", "Notes"], r#"{"columns": {"email": "Mail"}}"#).unwrap();
        let sources: Vec<_> = mapping.columns.iter().map(|c| (c.key.as_str(), c.source, c.method)).collect();
        assert_eq!(sources, [("id", None, None), ("email", Some(0), None), ("plan", None, None)]);
        assert_eq!(mapping.columns[1].confidence, 1.0);
        assert_eq!(mapping.missing_required, ["id"]);
        assert_eq!(mapping.ignored, ["id", "Notes"]);
    }

    #[test]
    fn automatic_mapping_matches_names_and_a_default_is_not_missing() {
        let mapping = resolve(&["EMAIL ADDRESS", "Notes", "ID"], "{}").unwrap();
        let sources: Vec<_> = mapping.columns.iter().map(|c| (c.key.as_str(), c.source)).collect();
        assert_eq!(sources, [("id", Some(2)), ("email", Some(0)), ("plan", None)]);
        assert_eq!(mapping.columns[0].method, Some(MatchMethod::Exact));
        assert!(mapping.missing_required.is_empty());
    }

    #[test]
    fn unmapped_columns_are_kept_by_index_or_ignored() {
        let kept = resolve(&["id", "Notes", "email", "Extra"], r#"{"unmapped": "keep"}"#).unwrap();
        assert_eq!(
            (kept.kept.as_slice(), kept.kept_indexes.as_slice()),
            (&header(&["Notes", "Extra"])[..], &[1, 3][..])
        );
        assert!(kept.ignored.is_empty() && kept.keep_extra_fields);
        let ignored = resolve(&["id", "Notes", "email", "Extra"], "{}").unwrap();
        assert_eq!(ignored.ignored, ["Notes", "Extra"]);
        assert!(ignored.kept.is_empty() && ignored.kept_indexes.is_empty() && !ignored.keep_extra_fields);
    }

    #[test]
    fn a_chosen_mapping_that_cannot_hold_is_refused_with_what_and_where() {
        let names = ["Mail", "id"];
        let cases = [
            (r#"{"columns": {"nope": "Mail"}}"#, r#""nope" is not a column of the schema"#),
            (
                r#"{"columns": {"email": "Mail", "id": "Mail"}}"#,
                r#"the file column "Mail" is mapped to both "email" and "id""#,
            ),
            (
                r#"{"columns": {"email": "E-mail"}}"#,
                r#""email" maps from "E-mail", which is not a column of the file"#,
            ),
        ];
        for (json, reason) in cases {
            assert_eq!(
                resolve(&names, json).unwrap_err(),
                format!("option \"mapping.columns\": {reason}"),
                "{json}"
            );
        }
    }

    #[test]
    fn unknown_fields_of_a_mapping_are_refused() {
        assert!(serde_json::from_str::<MappingSpec>(r#"{"colums": {}}"#).is_err());
    }
}
