//! An importer's schema: a `.toml` or `.json` file next to the configuration, or a table written
//! inline, loaded with `sluice-parser` and its errors reported as the configuration's.

use super::error::{Place, Report};
use super::reader::{Table, found, resolve_path};
use serde_json::{Map, Number, Value};
use sluice_parser::error::ConfigError as SchemaError;
use sluice_parser::schema::Schema;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::DeValue;

/// Reads the `schema` field of an importer table: a path or an inline table. `importer` names
/// the importer in messages.
pub(super) fn read(
    table: &Table<'_>,
    importer: &str,
    base: &Path,
    report: &mut Report<'_>,
) -> Option<Schema> {
    let example = "\"schema.toml\" (a .toml or .json file) or an inline table";
    if !table.require("schema", example, report) {
        return None;
    }
    let node = table.node("schema")?;
    let place = table.place("schema");
    match node.get_ref() {
        DeValue::String(text) => from_file(text, &place, importer, base, report),
        DeValue::Table(_) => inline(node, &place, importer, report),
        other => report_none(report, &place, &found("expected a path or a table", other)),
    }
}

/// Loads a schema file, telling its format by its extension.
fn from_file(
    text: &str,
    place: &Place,
    importer: &str,
    base: &Path,
    report: &mut Report<'_>,
) -> Option<Schema> {
    let path = resolve_path(text, base).map_err(|message| report.error(place, message)).ok()?;
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let load: fn(&str) -> Result<Schema, SchemaError> = match extension.as_deref() {
        Some("toml") => Schema::from_toml,
        Some("json") => Schema::from_json,
        _ => {
            report.error(place, "a schema file's name must end in .toml or .json");
            return None;
        }
    };
    let contents = match std::fs::read_to_string(&path) {
        Ok(contents) => contents,
        Err(error) => {
            report.error(place, format!("cannot read the schema file {}: {error}", path.display()));
            return None;
        }
    };
    load(&contents).map_err(|error| schema_file_error(path, place, importer, &error, report)).ok()
}

/// Reports an error found in a schema file, in that file, at its line when known.
fn schema_file_error(
    path: PathBuf,
    place: &Place,
    importer: &str,
    error: &SchemaError,
    report: &mut Report<'_>,
) {
    let (at, message) = describe(error, false);
    report.in_file(path, at, &place.field, format!("importer \"{importer}\": {message}"));
}

/// Loads an inline schema table, through JSON.
fn inline(
    node: &Spanned<DeValue<'_>>,
    place: &Place,
    importer: &str,
    report: &mut Report<'_>,
) -> Option<Schema> {
    let json = to_json(node, &place.field, report)?;
    match Schema::from_json(&json.to_string()) {
        Ok(schema) => Some(schema),
        Err(error) => {
            // A line and column would be in the JSON made here, of no use to the operator: the
            // error points at the inline table instead.
            let (_, message) = describe(&error, true);
            report.error(place, format!("importer \"{importer}\": {message}"));
            None
        }
    }
}

/// The location (for syntax errors) and the message of a schema error. An `inline` schema was
/// converted to JSON here: its format and positions in that JSON are left out.
fn describe(error: &SchemaError, inline: bool) -> (Option<(usize, usize)>, String) {
    match error {
        SchemaError::SchemaSyntax { format, location, path, message } => {
            let field = match path.as_str() {
                "" | "." => String::new(),
                path => format!(", field {path}"),
            };
            match inline {
                true => (None, format!("schema{field}: {}", without_json_position(message))),
                false => (*location, format!("schema ({format}){field}: {message}")),
            }
        }
        other => (None, other.to_string()),
    }
}

/// A serde_json message without the ` at line L column C` it ends with.
fn without_json_position(message: &str) -> &str {
    let Some((before, position)) = message.rsplit_once(" at line ") else { return message };
    let numbers = position.split_once(" column ").map(|(line, column)| [line, column]);
    let all_digits = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
    match numbers {
        Some(numbers) if numbers.iter().all(|n| all_digits(n)) => before,
        _ => message,
    }
}

/// A TOML value as JSON; reports (at the value) what JSON cannot hold.
fn to_json(node: &Spanned<DeValue<'_>>, field: &str, report: &mut Report<'_>) -> Option<Value> {
    let place = || Place { field: field.to_owned(), span: Some(node.span()) };
    match node.get_ref() {
        DeValue::String(text) => Some(Value::String(text.to_string())),
        DeValue::Boolean(value) => Some(Value::Bool(*value)),
        DeValue::Datetime(value) => Some(Value::String(value.to_string())),
        DeValue::Integer(integer) => match i64::from_str_radix(integer.as_str(), integer.radix()) {
            Ok(value) => Some(Value::from(value)),
            Err(_) => report_none(report, &place(), "is too large for a schema"),
        },
        DeValue::Float(float) => match float.as_str().parse().ok().and_then(Number::from_f64) {
            Some(number) => Some(Value::Number(number)),
            None => report_none(report, &place(), "must be a finite number"),
        },
        DeValue::Array(items) => {
            let item = |(i, item)| to_json(item, &format!("{field}[{i}]"), report);
            items.iter().enumerate().map(item).collect::<Option<_>>().map(Value::Array)
        }
        DeValue::Table(entries) => {
            let mut map = Map::new();
            for (key, value) in entries.iter() {
                let key = key.get_ref().to_string();
                let value = to_json(value, &format!("{field}.{key}"), report)?;
                map.insert(key, value);
            }
            Some(Value::Object(map))
        }
    }
}

/// Reports `message` at `place`; `None`, for the caller to return.
fn report_none<T>(report: &mut Report<'_>, place: &Place, message: &str) -> Option<T> {
    report.error(place, message);
    None
}

#[cfg(test)]
mod tests {
    use super::super::tests::{IMPORTER, assert_errors, load, load_in, temp_dir};
    use super::super::{ConfigError, ConfigErrors};

    /// The importer of the tests, with `schema = <value>`.
    fn with_schema(value: &str) -> String {
        IMPORTER.replace("{ version = 1, columns = [{ key = \"email\", type = \"email\" }] }", value)
    }

    fn only(errors: ConfigErrors) -> ConfigError {
        let [error] = errors.as_slice() else { panic!("one error: {errors}") };
        error.clone()
    }

    #[test]
    fn schema_files_are_read_by_extension_relative_to_the_config_folder() {
        let dir = temp_dir("schema-files");
        std::fs::create_dir(dir.join("schemas")).unwrap();
        let toml = "version = 1\n[[columns]]\nkey = \"email\"\ntype = \"email\"\n";
        std::fs::write(dir.join("schemas/contacts.toml"), toml).unwrap();
        let json =
            r#"{"version": 1, "columns": [{"key": "a", "type": "text"}, {"key": "b", "type": "integer"}]}"#;
        std::fs::write(dir.join("schemas/orders.JSON"), json).unwrap();
        for (file, columns) in [("schemas/contacts.toml", 1), ("schemas/orders.JSON", 2)] {
            let config = load_in(&with_schema(&format!("{file:?}")), &dir).unwrap();
            assert_eq!(config.importers[0].schema.columns().len(), columns, "{file}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn errors_in_a_schema_file_are_reported_in_that_file_naming_the_importer() {
        let dir = temp_dir("schema-errors");
        std::fs::write(dir.join("bad.toml"), "version = 1\n\n[[columns]]\nkey = \"email\"\ntype = 5\n")
            .unwrap();
        let error = only(load_in(&with_schema("\"bad.toml\""), &dir).unwrap_err());
        assert_eq!(
            (&error.file, error.line, error.field.as_str()),
            (&dir.join("bad.toml"), Some(5), "importers[0].schema")
        );
        assert!(
            error.message.starts_with("importer \"demo\": schema (TOML), field columns[0].type"),
            "{error}"
        );

        std::fs::write(
            dir.join("bad.json"),
            r#"{"version": 1, "columns": [{"key": "n", "type": "integer", "min": 5, "max": 1}]}"#,
        )
        .unwrap();
        let error = only(load_in(&with_schema("\"bad.json\""), &dir).unwrap_err());
        assert_eq!((&error.file, error.line), (&dir.join("bad.json"), None));
        assert!(error.message.starts_with("importer \"demo\": schema column \"n\""), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_schema_path_that_cannot_be_used_is_reported_at_the_config_line() {
        assert_errors(
            &with_schema("\"schema.yaml\""),
            &[(5, "importers[0].schema", "must end in .toml or .json")],
        );
        assert_errors(
            &with_schema("\"missing.toml\""),
            &[(5, "importers[0].schema", "cannot read the schema file /srv/sluice/missing.toml")],
        );
        assert_errors(&with_schema("\"\""), &[(5, "importers[0].schema", "must not be empty")]);
        assert_errors(
            &with_schema("5"),
            &[(5, "importers[0].schema", "expected a path or a table, found an integer")],
        );
    }

    #[test]
    fn an_inline_schema_loads_as_an_inline_table_or_a_table_of_its_own() {
        assert_eq!(load(IMPORTER).unwrap().importers[0].schema.columns().len(), 1);
        let text = r#"[[importers]]
key = "demo"
allowed_origins = ["https://a.example"]

[importers.schema]
version = 1

[[importers.schema.columns]]
key = "n"
type = "number"
min = 0.5

[[importers.schema.columns]]
key = "at"
type = "date"
default = 2024-01-31
"#;
        assert_eq!(load(text).unwrap().importers[0].schema.columns().len(), 2);
    }

    #[test]
    fn errors_in_an_inline_schema_are_reported_at_its_line_in_the_config() {
        let text = with_schema("{ version = 2, columns = [] }");
        assert_errors(&text, &[(5, "importers[0].schema", "importer \"demo\": schema field \"version\"")]);
        let text = with_schema("{ version = 1, columns = [{ key = \"email\", type = \"emial\" }] }");
        let errors = load(&text).unwrap_err();
        let error = only(errors);
        assert_eq!((error.line, error.column), (Some(5), Some(10)));
        assert!(!error.message.contains("line"), "no position inside the JSON made from the table: {error}");
        assert!(error.message.starts_with("importer \"demo\": schema, field columns[0].type"), "{error}");
        let text = with_schema("{ version = 1, columns = [{ key = \"n\", type = \"number\", max = inf }] }");
        assert_errors(&text, &[(5, "importers[0].schema.columns[0].max", "must be a finite number")]);
    }

    #[test]
    fn json_positions_are_cut_from_the_end_of_messages_only() {
        let cases = [
            ("unknown variant `emial` at line 1 column 41", "unknown variant `emial`"),
            ("missing field `key`", "missing field `key`"),
            ("a value at line one column 2", "a value at line one column 2"),
            ("at line 1 column 2", "at line 1 column 2"),
        ];
        for (message, expected) in cases {
            assert_eq!(super::without_json_position(message), expected);
        }
    }
}
