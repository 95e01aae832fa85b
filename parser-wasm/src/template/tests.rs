use super::*;
use crate::import::{Import, ImportOptions, ImportSummary};

/// A column of every type, with the options that change what a valid value looks like.
const EVERY_TYPE: &str = r#"{"version": 1, "columns": [
    {"key": "code", "type": "text", "min_length": 9, "max_length": 12, "required": true,
     "label": {"en": "Code, \"short\"", "de": "Kürzel", "fr": "Code court"}},
    {"key": "short", "type": "text", "max_length": 3, "transform": ["upper"]},
    {"key": "phone", "type": "text", "required": true, "transform": ["digits"],
     "label": {"en": "Phone", "de": "Telefon"}},
    {"key": "born", "type": "text", "required": true,
     "transform": [{"date": "%d.%m.%Y", "from": ["%m/%d/%Y"]}]},
    {"key": "count", "type": "integer", "min": 1000000, "thousands_separator": ".", "decimal_separator": ","},
    {"key": "small", "type": "integer", "min": -10, "max": -5},
    {"key": "price", "type": "number", "decimal_separator": ",", "min": 100.25},
    {"key": "debt", "type": "number", "max": -3},
    {"key": "ok", "type": "boolean", "true_values": ["oui", "ja"], "false_values": ["non"]},
    {"key": "day", "type": "date", "formats": ["%e %B %Y", "%Y-%m-%d"]},
    {"key": "seen", "type": "datetime", "formats": ["%a %d/%m/%Y %I:%M %p"]},
    {"key": "at", "type": "datetime"},
    {"key": "opens", "type": "time", "formats": ["%H.%M"]},
    {"key": "email", "type": "email", "transform": ["lower"], "required": true},
    {"key": "site", "type": "url", "schemes": ["ftp", "sftp"]},
    {"key": "uuid", "type": "uuid"},
    {"key": "land", "type": "enum", "case_sensitive": true,
     "values": [{"value": "CH", "label": "Switzerland"}, "DE"]},
    {"key": "ref", "type": "regex", "pattern": "[A-Z]{2}-[0-9]{4}", "example": "AB-1234", "required": true},
    {"key": "free", "type": "regex", "pattern": "x+"}
]}"#;

fn schema(json: &str) -> Schema {
    Schema::from_json(json).unwrap_or_else(|e| panic!("{e}"))
}

/// The template read back as a file is: its summary.
fn imported(schema: &Schema, csv: &str) -> ImportSummary {
    let mut import = Import::new(schema, ImportOptions::default()).unwrap();
    import.feed(csv.as_bytes()).unwrap();
    import.finish().unwrap()
}

/// Each schema column and the header the import mapped to it.
fn mapped(summary: &ImportSummary) -> Vec<(String, Option<String>)> {
    summary.mapping.columns.iter().map(|c| (c.key.clone(), c.header.clone())).collect()
}

#[test]
fn every_type_gets_an_example_its_own_check_accepts() {
    let schema = schema(EVERY_TYPE);
    let csv = template_csv(&schema, &TemplateOptions::default());
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        rows[1],
        "ExampleEx,Exa,0123456789,12/31/2024,1000000,-5,\"100,25\",-3,oui,31 December 2024,\
         Tue 31/12/2024 02:30 PM,2024-12-31T14:30:00+01:00,14.30,name@example.com,\
         ftp://example.com/page,123e4567-e89b-12d3-a456-426614174000,CH,AB-1234,"
    );
    assert_eq!(rows[2], "", "the file ends with a line break");
    let summary = imported(&schema, &csv);
    assert_eq!(summary.report.errors, [], "{csv}");
    assert_eq!((summary.report.valid_rows, summary.report.invalid_rows), (1, 0));
    for (i, (key, header)) in mapped(&summary).into_iter().enumerate() {
        let label = schema.columns()[i].label();
        assert_eq!(header.as_deref(), Some(label), "{key} maps back from its header");
    }
}

#[test]
fn headers_are_labels_in_the_language_asked_for_and_map_back() {
    let schema = schema(EVERY_TYPE);
    for (language, first, third) in [
        (Some("de"), "Kürzel", "Telefon"),
        (Some("de-CH"), "Kürzel", "Telefon"),
        (Some("fr"), "Code court", "Phone"),
        (Some("nl"), "\"Code, \"\"short\"\"\"", "Phone"),
        (None, "\"Code, \"\"short\"\"\"", "Phone"),
    ] {
        let options = TemplateOptions { language: language.map(str::to_owned), bom: false };
        let csv = template_csv(&schema, &options);
        assert!(csv.starts_with(&format!("{first},short,{third},born,")), "{language:?}: {csv}");
        let summary = imported(&schema, &csv);
        assert_eq!(summary.report.invalid_rows, 0, "{language:?}");
        assert!(mapped(&summary).iter().all(|(_, header)| header.is_some()), "{language:?}: {csv}");
    }
}

#[test]
fn a_byte_order_mark_is_written_only_when_asked_for() {
    let schema = schema(r#"{"version": 1, "columns": [{"key": "name", "type": "text", "label": "Näme"}]}"#);
    assert_eq!(template_csv(&schema, &TemplateOptions::default()), "Näme\r\nExample\r\n");
    let with_bom = template_csv(&schema, &TemplateOptions { language: None, bom: true });
    assert_eq!(with_bom, "\u{feff}Näme\r\nExample\r\n");
    assert_eq!(mapped(&imported(&schema, &with_bom))[0].1.as_deref(), Some("Näme"));
}

#[test]
fn fields_are_quoted_where_a_reader_would_misread_them() {
    let cases = [
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        (" padded", "\" padded\""),
        ("", ""),
    ];
    for (field, written) in cases {
        let mut out = String::new();
        field_into(&mut out, field);
        assert_eq!(out, written, "{field:?}");
    }
}

#[test]
fn a_regex_column_without_an_example_is_left_empty() {
    let json = r#"{"version": 1, "columns": [
        {"key": "id", "type": "integer"},
        {"key": "ref", "type": "regex", "pattern": "[A-Z]{2}", "required": true}]}"#;
    let schema = schema(json);
    let csv = template_csv(&schema, &TemplateOptions::default());
    assert_eq!(csv, "id,ref\r\n42,\r\n");
    let codes: Vec<&str> = imported(&schema, &csv).report.errors.iter().map(|e| e.code).collect();
    assert_eq!(codes, ["required"], "docs/schema.md: give a required regex column an example");
}

#[test]
fn an_example_must_pass_the_column_and_is_shown_as_written() {
    let err = Schema::from_json(
        r#"{"version": 1, "columns": [{"key": "ref", "type": "regex", "pattern": "[A-Z]{2}", "example": "abc"}]}"#,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, r#"schema column "ref", field "example": the example does not have the expected format"#);
    let schema = schema(
        r#"{"version": 1, "columns": [{"key": "day", "type": "date", "formats": ["%d/%m/%Y"], "example": " 1/2/2024"}]}"#,
    );
    assert_eq!(template_csv(&schema, &TemplateOptions::default()), "day\r\n\" 1/2/2024\"\r\n");
}
