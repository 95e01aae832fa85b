//! A template to fill in for an importer: a CSV file whose header is the columns' labels in one
//! language, which column matching maps back to the columns, and one example row whose every
//! value passes its column's own transforms and check.
//!
//! ```
//! use sluice_parser::schema::Schema;
//! use sluice_parser::template::{TemplateOptions, template_csv};
//!
//! let schema = Schema::from_json(r#"{"version": 1, "columns": [
//!     {"key": "email", "type": "email", "label": {"en": "Email", "de": "E-Mail"}},
//!     {"key": "joined", "type": "date", "formats": ["%d/%m/%Y"]}]}"#)?;
//! let options = TemplateOptions { language: Some("de".to_owned()), ..TemplateOptions::default() };
//! assert_eq!(template_csv(&schema, &options), "E-Mail,joined\r\nname@example.com,31/12/2024\r\n");
//! # Ok::<(), sluice_parser::error::ConfigError>(())
//! ```

use crate::schema::{Check, Column, Schema, Transform};
use serde::Deserialize;

/// Options for [`template_csv`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TemplateOptions {
    /// The language of the header (`de`, `de-CH`): each label in it, else in its primary
    /// language, else in English, else in the first the schema gives. None: English.
    pub language: Option<String>,
    /// Starts the file with a UTF-8 byte order mark, which some spreadsheet programs need to
    /// read UTF-8 (off by default).
    pub bom: bool,
}

/// The template of `schema`: the header row and one example row, comma-separated, each line
/// ending in CRLF, fields quoted where they must be (RFC 4180).
pub fn template_csv(schema: &Schema, options: &TemplateOptions) -> String {
    let mut out = String::new();
    if options.bom {
        out.push('\u{feff}');
    }
    let labels = schema.columns().iter().map(|c| match &options.language {
        Some(language) => c.labels().get(language),
        None => c.label(),
    });
    line(&mut out, labels);
    let examples: Vec<String> = schema.columns().iter().map(example).collect();
    line(&mut out, examples.iter().map(String::as_str));
    out
}

/// Appends one CSV record.
fn line<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        field_into(out, field);
    }
    out.push_str("\r\n");
}

/// Appends a field, quoted when it holds a comma, a quote or a line break, or starts or ends
/// with whitespace (which a reader could trim).
fn field_into(out: &mut String, field: &str) {
    let special = field.contains([',', '"', '\r', '\n']);
    let padded = field.starts_with(char::is_whitespace) || field.ends_with(char::is_whitespace);
    if !special && !padded {
        out.push_str(field);
        return;
    }
    out.push('"');
    out.push_str(&field.replace('"', "\"\""));
    out.push('"');
}

/// The value a template shows for `column`: the schema's `example`, else one made for its type
/// and constraints; empty for a regex column without one (no value can be made for a pattern).
pub(crate) fn example(column: &Column) -> String {
    if let Some(example) = column.example() {
        return example.to_owned();
    }
    match &column.check {
        Check::Text { min_length, max_length } => text_example(column, *min_length, *max_length),
        Check::Integer { min, max, format } => {
            let value = 42.clamp(min.unwrap_or(i64::MIN), max.unwrap_or(i64::MAX));
            with_separator(&value.to_string(), format.decimal_separator)
        }
        Check::Number { min, max, format } => {
            let below = min.as_ref().filter(|m| m.value > 12.5).map(|m| m.digits.as_str());
            let above = max.as_ref().filter(|m| m.value < 12.5).map(|m| m.digits.as_str());
            with_separator(below.or(above).unwrap_or("12.5"), format.decimal_separator)
        }
        Check::Boolean { words } => {
            words.iter().find(|(_, truth)| *truth).map(|(word, _)| word.clone()).unwrap_or_default()
        }
        Check::Temporal { formats, .. } => written_example(formats.first()),
        Check::Email => "name@example.com".to_owned(),
        Check::Url { schemes } => {
            let scheme = schemes.iter().find(|s| *s == "https").or(schemes.first());
            format!("{}://example.com/page", scheme.map_or("https", String::as_str))
        }
        Check::Uuid => "123e4567-e89b-12d3-a456-426614174000".to_owned(),
        Check::Enum(e) => e.values.first().map(|(value, _)| value.clone()).unwrap_or_default(),
        Check::Regex { .. } => String::new(),
    }
}

/// A text column's example: a date for a date transform, digits where only digits are kept,
/// else a word; as long as the column's lengths allow.
fn text_example(column: &Column, min: Option<usize>, max: Option<usize>) -> String {
    let transform = column.transform.as_ref();
    if let Some(format) = transform.and_then(|t| t.example_date()) {
        return written_example(Some(format));
    }
    let base = match transform.is_some_and(Transform::keeps_digits) {
        true => "0123456789",
        false => "Example",
    };
    let wanted = base.chars().count().clamp(min.unwrap_or(0), max.unwrap_or(usize::MAX));
    base.chars().cycle().take(wanted).collect()
}

/// The example moment written with `format`.
fn written_example(format: Option<&crate::datetime::TemporalFormat>) -> String {
    let mut out = String::new();
    if let Some(format) = format {
        format.write_example(&mut out);
    }
    out
}

/// A canonical decimal (`-12.5`) written with the column's decimal separator.
fn with_separator(canonical: &str, separator: char) -> String {
    canonical.replace('.', separator.encode_utf8(&mut [0; 4]))
}

#[cfg(test)]
mod tests;
