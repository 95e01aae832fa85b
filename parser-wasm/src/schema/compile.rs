//! From a column as written to a column ready to check cells, refusing every field that is
//! wrong or does not apply to the column's type, with the column and field named.

use super::check::{Check, DecimalBound, Enumeration};
use super::raw::{Bound, RawColumn, RawEnumValue, RawText, TypeName};
use super::{Column, Transform, Translations};
use crate::checks::number::NumberFormat;
use crate::datetime::{TemporalFormat, TemporalKind, default_patterns};
use crate::error::ConfigError;
use std::collections::HashMap;

const TRUE_WORDS: [&str; 6] = ["true", "yes", "y", "1", "t", "on"];
const FALSE_WORDS: [&str; 6] = ["false", "no", "n", "0", "f", "off"];

/// Compiles column `index` of a schema.
pub(super) fn column(raw: &RawColumn, index: usize) -> Result<Column, ConfigError> {
    let name = if raw.key.is_empty() { format!("#{}", index + 1) } else { raw.key.clone() };
    let err = |field: &str, reason: String| ConfigError::column(&name, field, reason);
    check_key(&raw.key).map_err(|r| err("key", r))?;
    refuse_foreign_fields(raw).map_err(|(field, r)| err(field, r))?;
    let check = compile_check(raw).map_err(|(field, r)| err(&field, r))?;
    let transform = Transform::compile(raw.transform.as_deref(), raw.kind).map_err(|(f, r)| err(&f, r))?;
    let labels = raw.label.as_ref().map_or_else(|| Translations::one(raw.key.clone()), translations);
    let hints = raw.hint.as_ref().map(translations);
    let mut keywords = raw.keywords.clone().unwrap_or_default();
    keywords.extend(labels.others().map(str::to_owned));
    let mut column = Column {
        key: raw.key.clone(),
        labels,
        hints,
        description: raw.description.clone(),
        required: raw.required.unwrap_or(false),
        unique: raw.unique.unwrap_or(false),
        keywords,
        default: None,
        trim: raw.trim.unwrap_or(true),
        transform,
        example: raw.example.clone(),
        check,
    };
    column.default = default_value(&column, raw.default.as_deref()).map_err(|r| err("default", r))?;
    check_example(&column).map_err(|r| err("example", r))?;
    Ok(column)
}

/// A label or hint as written (the reader has refused empty tables and non-string entries).
fn translations(text: &RawText) -> Translations {
    match text {
        RawText::One(text) => Translations::one(text.clone()),
        RawText::Languages(table) => {
            Translations::new(table.iter().map(|(l, t)| (l.clone(), t.clone())).collect())
        }
    }
}

fn check_key(key: &str) -> Result<(), String> {
    let ok = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    if key.is_empty() || key.chars().count() > 128 || !key.chars().all(ok) {
        return Err("must be 1 to 128 letters, digits, '_', '-' or '.'".to_owned());
    }
    Ok(())
}

/// The type-specific fields that are set on a column, by name.
fn set_fields(raw: &RawColumn) -> Vec<&'static str> {
    let set = [
        ("min_length", raw.min_length.is_some()),
        ("max_length", raw.max_length.is_some()),
        ("min", raw.min.is_some()),
        ("max", raw.max.is_some()),
        ("decimal_separator", raw.decimal_separator.is_some()),
        ("thousands_separator", raw.thousands_separator.is_some()),
        ("true_values", raw.true_values.is_some()),
        ("false_values", raw.false_values.is_some()),
        ("formats", raw.formats.is_some()),
        ("schemes", raw.schemes.is_some()),
        ("values", raw.values.is_some()),
        ("case_sensitive", raw.case_sensitive.is_some()),
        ("pattern", raw.pattern.is_some()),
        ("message", raw.message.is_some()),
    ];
    set.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect()
}

fn allowed_fields(kind: TypeName) -> &'static [&'static str] {
    match kind {
        TypeName::Text => &["min_length", "max_length"],
        TypeName::Integer => &["min", "max", "decimal_separator", "thousands_separator"],
        TypeName::Number => &["min", "max", "decimal_separator", "thousands_separator"],
        TypeName::Boolean => &["true_values", "false_values"],
        TypeName::Date | TypeName::Datetime | TypeName::Time => &["formats"],
        TypeName::Email | TypeName::Uuid => &[],
        TypeName::Url => &["schemes"],
        TypeName::Enum => &["values", "case_sensitive"],
        TypeName::Regex => &["pattern", "message"],
    }
}

fn refuse_foreign_fields(raw: &RawColumn) -> Result<(), (&'static str, String)> {
    let allowed = allowed_fields(raw.kind);
    match set_fields(raw).into_iter().find(|f| !allowed.contains(f)) {
        Some(field) => Err((field, format!("does not apply to type {}", type_name(raw.kind)))),
        None => Ok(()),
    }
}

fn type_name(kind: TypeName) -> String {
    serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

type FieldError = (String, String);

fn compile_check(raw: &RawColumn) -> Result<Check, FieldError> {
    Ok(match raw.kind {
        TypeName::Text => text(raw)?,
        TypeName::Integer => integer(raw)?,
        TypeName::Number => number(raw)?,
        TypeName::Boolean => boolean(raw)?,
        TypeName::Date => temporal(raw, TemporalKind::Date)?,
        TypeName::Datetime => temporal(raw, TemporalKind::DateTime)?,
        TypeName::Time => temporal(raw, TemporalKind::Time)?,
        TypeName::Email => Check::Email,
        TypeName::Url => url(raw)?,
        TypeName::Uuid => Check::Uuid,
        TypeName::Enum => enumeration(raw)?,
        TypeName::Regex => regex(raw)?,
    })
}

fn field_err(field: &str, reason: impl Into<String>) -> FieldError {
    (field.to_owned(), reason.into())
}

fn text(raw: &RawColumn) -> Result<Check, FieldError> {
    if let (Some(min), Some(max)) = (raw.min_length, raw.max_length) {
        if min > max {
            return Err(field_err("min_length", format!("{min} is greater than max_length {max}")));
        }
    }
    Ok(Check::Text { min_length: raw.min_length, max_length: raw.max_length })
}

fn number_format(raw: &RawColumn) -> Result<NumberFormat, FieldError> {
    let one = |field: &str, text: &Option<String>| -> Result<Option<char>, FieldError> {
        let Some(text) = text else { return Ok(None) };
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_ascii_digit() && c != '-' && c != '+' => Ok(Some(c)),
            _ => Err(field_err(field, "must be one character other than a digit or a sign")),
        }
    };
    let decimal = one("decimal_separator", &raw.decimal_separator)?.unwrap_or('.');
    let thousands = one("thousands_separator", &raw.thousands_separator)?;
    if thousands == Some(decimal) {
        return Err(field_err("thousands_separator", "must differ from the decimal separator"));
    }
    Ok(NumberFormat { decimal_separator: decimal, thousands_separator: thousands })
}

fn integer(raw: &RawColumn) -> Result<Check, FieldError> {
    let bound = |field: &str, b: Option<Bound>| match b {
        None => Ok(None),
        Some(Bound::Int(n)) => Ok(Some(n)),
        Some(Bound::Float(_)) => Err(field_err(field, "must be a whole number for an integer column")),
    };
    let (min, max) = (bound("min", raw.min)?, bound("max", raw.max)?);
    if let (Some(lo), Some(hi)) = (min, max) {
        if lo > hi {
            return Err(field_err("min", format!("{lo} is greater than max {hi}")));
        }
    }
    Ok(Check::Integer { min, max, format: number_format(raw)? })
}

fn number(raw: &RawColumn) -> Result<Check, FieldError> {
    let bound = |field: &str, b: Option<Bound>| match b {
        None => Ok(None),
        Some(Bound::Int(n)) => Ok(Some(DecimalBound { value: n as f64, digits: n.to_string() })),
        Some(Bound::Float(x)) if x.is_finite() => Ok(Some(DecimalBound::new(x))),
        Some(Bound::Float(_)) => Err(field_err(field, "must be a finite number")),
    };
    let (min, max) = (bound("min", raw.min)?, bound("max", raw.max)?);
    if let (Some(lo), Some(hi)) = (&min, &max) {
        if lo.value > hi.value {
            return Err(field_err("min", format!("{} is greater than max {}", lo.digits, hi.digits)));
        }
    }
    Ok(Check::Number { min, max, format: number_format(raw)? })
}

fn boolean(raw: &RawColumn) -> Result<Check, FieldError> {
    let list =
        |field: &str, given: &Option<Vec<String>>, default: &[&str]| -> Result<Vec<String>, FieldError> {
            let words: Vec<String> = match given {
                Some(words) => words.iter().map(|w| w.trim().to_lowercase()).collect(),
                None => default.iter().map(|w| (*w).to_owned()).collect(),
            };
            if words.is_empty() || words.iter().any(String::is_empty) {
                return Err(field_err(field, "must list at least one word, none of them empty"));
            }
            Ok(words)
        };
    let truthy = list("true_values", &raw.true_values, &TRUE_WORDS)?;
    let falsy = list("false_values", &raw.false_values, &FALSE_WORDS)?;
    if let Some(both) = truthy.iter().find(|w| falsy.contains(w)) {
        return Err(field_err("false_values", format!("{both:?} is also a true value")));
    }
    let words = truthy.into_iter().map(|w| (w, true)).chain(falsy.into_iter().map(|w| (w, false)));
    Ok(Check::Boolean { words: words.collect() })
}

fn temporal(raw: &RawColumn, kind: TemporalKind) -> Result<Check, FieldError> {
    let patterns: Vec<String> = match &raw.formats {
        Some(given) if given.is_empty() => return Err(field_err("formats", "must list at least one format")),
        Some(given) => given.clone(),
        None => default_patterns(kind).iter().map(|p| (*p).to_owned()).collect(),
    };
    let compiled = patterns.iter().enumerate().map(|(i, p)| {
        TemporalFormat::compile(p, kind).map_err(|e| field_err(&format!("formats[{i}]"), e.to_string()))
    });
    let canonical = TemporalFormat::compile("iso", kind).map_err(|e| field_err("type", e.to_string()))?;
    Ok(Check::Temporal { kind, formats: compiled.collect::<Result<_, _>>()?, canonical: Box::new(canonical) })
}

fn url(raw: &RawColumn) -> Result<Check, FieldError> {
    let schemes: Vec<String> = match &raw.schemes {
        Some(given) => given.iter().map(|s| s.to_ascii_lowercase()).collect(),
        None => vec!["http".to_owned(), "https".to_owned()],
    };
    let valid = |s: &String| {
        s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c))
    };
    if schemes.is_empty() || !schemes.iter().all(valid) {
        return Err(field_err("schemes", "must list URL schemes such as \"https\""));
    }
    Ok(Check::Url { schemes })
}

fn enumeration(raw: &RawColumn) -> Result<Check, FieldError> {
    let case_sensitive = raw.case_sensitive.unwrap_or(false);
    let given = raw.values.as_deref().unwrap_or_default();
    if given.is_empty() {
        return Err(field_err("values", "must list at least one value"));
    }
    let fold = |s: &str| if case_sensitive { s.to_owned() } else { s.to_lowercase() };
    let mut values = Vec::with_capacity(given.len());
    let mut lookup = HashMap::new();
    for (i, v) in given.iter().enumerate() {
        let (value, label) = match v {
            RawEnumValue::Plain(value) => (value.clone(), value.clone()),
            RawEnumValue::Labelled { value, label } => {
                (value.clone(), label.clone().unwrap_or_else(|| value.clone()))
            }
        };
        if value.trim().is_empty() {
            return Err(field_err(&format!("values[{i}]"), "must not be empty"));
        }
        if lookup.insert(fold(&value), i).is_some_and(|earlier| earlier != i) {
            return Err(field_err(&format!("values[{i}]"), format!("repeats the value {value:?}")));
        }
        lookup.entry(fold(&label)).or_insert(i);
        values.push((value, label));
    }
    let scan = values.len() <= 16 && values.iter().all(|(v, l)| v.is_ascii() && l.is_ascii());
    Ok(Check::Enum(Box::new(Enumeration { values, case_sensitive, lookup, scan })))
}

fn regex(raw: &RawColumn) -> Result<Check, FieldError> {
    let pattern =
        raw.pattern.as_deref().ok_or_else(|| field_err("pattern", "is required for a regex column"))?;
    // The pattern must match the whole value, as a cell check is meant; `^…$` is implied.
    let regex = regex_lite::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|e| field_err("pattern", format!("is not a valid regular expression: {e}")))?;
    Ok(Check::Regex { regex, message: raw.message.clone() })
}

/// The default's canonical form, which must pass the column's own transforms and check.
fn default_value(column: &Column, default: Option<&str>) -> Result<Option<String>, String> {
    let Some(default) = default else { return Ok(None) };
    match column.canonical(default) {
        Ok(canonical) => Ok(Some(canonical)),
        Err(failure) => Err(format!("the default {}", column.message(failure))),
    }
}

/// The example must be a value the column accepts, as a cell (it is shown in a template).
fn check_example(column: &Column) -> Result<(), String> {
    let Some(example) = column.example() else { return Ok(()) };
    match column.canonical(example) {
        Ok(_) => Ok(()),
        Err(failure) => Err(format!("the example {}", column.message(failure))),
    }
}
