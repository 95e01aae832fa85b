use super::check::Failure;
use super::*;

fn one(column_json: &str) -> Schema {
    let text = format!(r#"{{"version": 1, "columns": [{column_json}]}}"#);
    Schema::from_json(&text).unwrap_or_else(|e| panic!("{column_json}: {e}"))
}

fn run(schema: &Schema, value: &str) -> Result<String, &'static str> {
    let (mut out, mut scratch) = (String::new(), String::new());
    let check = &schema.columns()[0].check;
    check.run(value, &mut out, &mut scratch).map(|_| out).map_err(Failure::code)
}

#[test]
fn every_type_checks_and_canonicalises() {
    let cases: &[(&str, &str, Result<&str, &str>)] = &[
        (r#"{"key":"t","type":"text","min_length":2,"max_length":3}"#, "ab", Ok("ab")),
        (r#"{"key":"t","type":"text","min_length":2,"max_length":3}"#, "a", Err("too_short")),
        (r#"{"key":"t","type":"text","min_length":2,"max_length":3}"#, "abcd", Err("too_long")),
        (r#"{"key":"t","type":"text","max_length":3}"#, "éèê", Ok("éèê")),
        (r#"{"key":"i","type":"integer","min":0,"max":150}"#, "42", Ok("42")),
        (r#"{"key":"i","type":"integer","min":0,"max":150}"#, "-1", Err("below_minimum")),
        (r#"{"key":"i","type":"integer","min":0,"max":150}"#, "151", Err("above_maximum")),
        (r#"{"key":"i","type":"integer"}"#, "4.5", Err("has_decimals")),
        (r#"{"key":"i","type":"integer"}"#, "0yJn77tfsE", Err("not_an_integer")),
        (r#"{"key":"i","type":"integer"}"#, "9223372036854775808", Err("out_of_range")),
        (r#"{"key":"i","type":"integer","max":10}"#, "-99999999999999999999", Err("out_of_range")),
        (r#"{"key":"i","type":"integer","thousands_separator":","}"#, "1,234", Ok("1234")),
        (
            r#"{"key":"n","type":"number","decimal_separator":",","thousands_separator":"."}"#,
            "1.234,50",
            Ok("1234.50"),
        ),
        (r#"{"key":"n","type":"number","min":0.5}"#, "0.25", Err("below_minimum")),
        (r#"{"key":"n","type":"number"}"#, "abc", Err("not_a_number")),
        (r#"{"key":"n","type":"number"}"#, "12,5", Err("wrong_decimal_separator")),
        (r#"{"key":"n","type":"number","decimal_separator":","}"#, "12.5", Err("wrong_decimal_separator")),
        (r#"{"key":"n","type":"number"}"#, "1e999", Err("out_of_range")),
        (r#"{"key":"b","type":"boolean"}"#, "YES", Ok("true")),
        (r#"{"key":"b","type":"boolean"}"#, "off", Ok("false")),
        (r#"{"key":"b","type":"boolean","true_values":["oui"],"false_values":["non"]}"#, "Oui", Ok("true")),
        (r#"{"key":"b","type":"boolean"}"#, "maybe", Err("not_a_boolean")),
        (r#"{"key":"d","type":"date","formats":["%d/%m/%Y","%Y-%m-%d"]}"#, "31/12/2024", Ok("2024-12-31")),
        (r#"{"key":"d","type":"date"}"#, "2024-02-30", Err("date_does_not_exist")),
        (r#"{"key":"d","type":"date","formats":["%d/%m/%Y"]}"#, "29/02/1991", Err("date_does_not_exist")),
        (r#"{"key":"d","type":"date","formats":["%d/%m/%Y"]}"#, "05/13/1991", Err("date_does_not_exist")),
        (r#"{"key":"d","type":"date","formats":["%d/%m/%Y"]}"#, "1991-02-28", Err("invalid_date")),
        (r#"{"key":"d","type":"datetime"}"#, "2023-04-31T10:00", Err("datetime_does_not_exist")),
        (r#"{"key":"d","type":"datetime"}"#, "2024-03-05T14:22:31Z", Ok("2024-03-05T14:22:31Z")),
        (r#"{"key":"d","type":"time"}"#, "25:00", Err("time_does_not_exist")),
        (r#"{"key":"d","type":"time"}"#, "noon", Err("invalid_time")),
        (r#"{"key":"e","type":"email"}"#, "Ann@Example.COM", Ok("Ann@example.com")),
        (r#"{"key":"e","type":"email"}"#, "ann@", Err("email_invalid_domain")),
        (r#"{"key":"e","type":"email"}"#, "ann@localhost", Err("email_invalid_domain")),
        (r#"{"key":"e","type":"email"}"#, "ann.example.com", Err("email_missing_at")),
        (r#"{"key":"e","type":"email"}"#, "an n@example.com", Err("invalid_email")),
        (r#"{"key":"u","type":"url"}"#, "HTTPS://Example.com/a", Ok("https://example.com/a")),
        (r#"{"key":"u","type":"url"}"#, "ftp://x.io", Err("url_scheme")),
        (r#"{"key":"u","type":"url"}"#, "www.example.com", Err("url_scheme")),
        (r#"{"key":"u","type":"url"}"#, "https://exa mple.com", Err("invalid_url")),
        (
            r#"{"key":"u","type":"uuid"}"#,
            "{123E4567-E89B-12D3-A456-426614174000}",
            Ok("123e4567-e89b-12d3-a456-426614174000"),
        ),
        (r#"{"key":"c","type":"enum","values":["red",{"value":"gr","label":"Green"}]}"#, "GREEN", Ok("gr")),
        (r#"{"key":"c","type":"enum","values":["red"],"case_sensitive":true}"#, "Red", Err("not_allowed")),
        (r#"{"key":"c","type":"enum","values":["red"]}"#, "blue", Err("not_allowed")),
        (r#"{"key":"r","type":"regex","pattern":"[A-Z]{2}\\d+"}"#, "AB12", Ok("AB12")),
        (r#"{"key":"r","type":"regex","pattern":"[A-Z]{2}\\d+"}"#, "xAB12", Err("pattern_mismatch")),
    ];
    for (column, value, expected) in cases {
        let got = run(&one(column), value);
        assert_eq!(got.as_deref().map_err(|e| *e), *expected, "{column} with {value:?}");
    }
}

#[test]
fn messages_say_what_is_expected_without_the_value() {
    let schema = one(r#"{"key":"d","type":"date","formats":["%d/%m/%Y","%Y-%m-%d"]}"#);
    let check = &schema.columns()[0].check;
    assert_eq!(check.message(Failure::InvalidDate), "must be a date written as DD/MM/YYYY or YYYY-MM-DD");
    let schema = one(r#"{"key":"n","type":"number","decimal_separator":",","thousands_separator":" "}"#);
    assert_eq!(schema.columns()[0].check.message(Failure::NotANumber), "must be a number, such as 1 234,5");
    let schema = one(r#"{"key":"r","type":"regex","pattern":"\\d+","message":"must be digits only"}"#);
    assert_eq!(schema.columns()[0].check.message(Failure::PatternMismatch), "must be digits only");
}

/// The message a value gets in a column, checking that it never repeats the value.
fn message_for(column_json: &str, value: &str) -> String {
    let schema = one(column_json);
    let check = &schema.columns()[0].check;
    let (mut out, mut scratch) = (String::new(), String::new());
    let failure =
        check.run(value, &mut out, &mut scratch).err().unwrap_or_else(|| panic!("{value:?} passed"));
    let message = check.message(failure);
    assert!(!message.contains(value), "{message:?} repeats {value:?}");
    message
}

#[test]
fn each_distinct_failure_has_its_own_message() {
    let date = r#"{"key":"d","type":"date","formats":["%d/%m/%Y","%d.%m.%Y"]}"#;
    assert_eq!(
        message_for(date, "29/02/1991"),
        "is not a real date: that month has no such day, or there is no such month"
    );
    assert_eq!(message_for(date, "1991-02-28"), "must be a date written as DD/MM/YYYY or DD.MM.YYYY");
    assert_eq!(
        message_for(r#"{"key":"t","type":"time"}"#, "25:00"),
        "is not a real time: hours go up to 23, minutes and seconds up to 59"
    );
    let integer = r#"{"key":"i","type":"integer","min":0,"max":150}"#;
    assert_eq!(message_for(integer, "4.5"), "must be a whole number (no decimals)");
    assert_eq!(message_for(integer, "0yJn77tfsE"), "must be a whole number, such as 1234");
    assert_eq!(
        message_for(integer, "99999999999999999999"),
        "is too large or too small to store: whole numbers go from -9223372036854775808 to 9223372036854775807"
    );
    assert_eq!(message_for(integer, "151"), "must be at most 150");
    let comma = r#"{"key":"n","type":"number","decimal_separator":","}"#;
    assert_eq!(message_for(comma, "12.5"), "must use ',' as the decimal separator, such as 1234,5");
    assert_eq!(
        message_for(r#"{"key":"n","type":"number"}"#, "1e999"),
        "is too large or too small to store as a number"
    );
    let plans = r#"{"key":"p","type":"enum","values":["free","pro"],"case_sensitive":true}"#;
    assert_eq!(message_for(plans, "team"), "is not one of the allowed values: free or pro");
    assert_eq!(
        message_for(plans, " P R O"),
        "is not one of the allowed values as written: it differs from pro only in case or spacing"
    );
    let email = r#"{"key":"e","type":"email"}"#;
    assert_eq!(
        message_for(email, "ann.example.com"),
        "must be an email address with an @, such as name@example.com"
    );
    assert_eq!(message_for(email, "ann@example"), "must have a domain after the @, such as example.com");
    let url = r#"{"key":"u","type":"url"}"#;
    assert_eq!(message_for(url, "www.example.com"), "must start with http:// or https://");
    assert_eq!(
        message_for(
            r#"{"key":"b","type":"boolean","true_values":["oui"],"false_values":["non"]}"#,
            "peut-être"
        ),
        "must be yes or no, written as one of: oui or non"
    );
}

#[test]
#[cfg(feature = "toml")]
fn json_and_toml_give_the_same_digest() {
    let json = Schema::from_json(
        r#"{"columns": [{"type": "integer", "key": "id", "unique": true}, {"key": "name", "type": "text"}],
            "version": 1}"#,
    )
    .unwrap();
    let toml = Schema::from_toml(
        "version = 1\n[[columns]]\nkey = \"id\"\ntype = \"integer\"\nunique = true\n\
         [[columns]]\nkey = \"name\"\ntype = \"text\"\n",
    )
    .unwrap();
    assert_eq!(json.digest(), toml.digest());
    let other =
        Schema::from_json(r#"{"version": 1, "columns": [{"key": "id", "type": "integer"}]}"#).unwrap();
    assert_ne!(json.digest(), other.digest());
}

#[test]
fn bad_schemas_name_the_column_and_the_field() {
    let cases: &[(&str, &str)] = &[
        (
            r#"{"key":"age","type":"integer","min":5,"max":1}"#,
            r#"schema column "age", field "min": 5 is greater than max 1"#,
        ),
        (
            r#"{"key":"age","type":"integer","min":1.5}"#,
            r#"schema column "age", field "min": must be a whole number for an integer column"#,
        ),
        (
            r#"{"key":"name","type":"text","min":1}"#,
            r#"schema column "name", field "min": does not apply to type text"#,
        ),
        (
            r#"{"key":"when","type":"date","formats":["%Y-%m-%d","%Q"]}"#,
            r#"schema column "when", field "formats[1]""#,
        ),
        (
            r#"{"key":"c","type":"enum","values":["a","A"]}"#,
            r#"schema column "c", field "values[1]": repeats the value "A""#,
        ),
        (
            r#"{"key":"c","type":"enum"}"#,
            r#"schema column "c", field "values": must list at least one value"#,
        ),
        (
            r#"{"key":"r","type":"regex","pattern":"("}"#,
            r#"schema column "r", field "pattern": is not a valid regular expression"#,
        ),
        (
            r#"{"key":"n","type":"number","decimal_separator":",","thousands_separator":","}"#,
            r#"schema column "n", field "thousands_separator""#,
        ),
        (
            r#"{"key":"b","type":"boolean","true_values":["yes"],"false_values":["YES"]}"#,
            r#"schema column "b", field "false_values""#,
        ),
        (
            r#"{"key":"i","type":"integer","default":"many"}"#,
            r#"schema column "i", field "default": the default must be a whole number"#,
        ),
        (r#"{"key":"bad key","type":"text"}"#, r#"schema column "bad key", field "key""#),
        (r#"{"key":"","type":"text"}"#, r##"schema column "#1", field "key""##),
        (r#"{"key":"u","type":"url","schemes":["ht tp"]}"#, r#"schema column "u", field "schemes""#),
    ];
    for (column, expected) in cases {
        let text = format!(r#"{{"version": 1, "columns": [{column}]}}"#);
        let err = Schema::from_json(&text).unwrap_err().to_string();
        assert!(err.starts_with(expected), "{column}\n got: {err}\nwant: {expected}");
    }
}

#[test]
fn schema_level_errors_are_named() {
    let err = Schema::from_json(r#"{"version": 2, "columns": []}"#).unwrap_err().to_string();
    assert!(err.starts_with(r#"schema field "version": is 2"#), "{err}");
    let err = Schema::from_json(r#"{"version": 1, "columns": []}"#).unwrap_err().to_string();
    assert_eq!(err, r#"schema field "columns": must list at least one column"#);
    let text = r#"{"version": 1, "columns": [{"key":"a","type":"text"},{"key":"a","type":"email"}]}"#;
    let err = Schema::from_json(text).unwrap_err().to_string();
    assert_eq!(err, r#"schema column "a", field "key": is used by more than one column"#);
}

#[test]
fn defaults_are_canonical() {
    let schema = one(r#"{"key":"n","type":"boolean","default":" Yes "}"#);
    assert_eq!(schema.columns()[0].default_value(), Some("true"));
}

#[test]
fn labels_and_hints_may_be_given_per_language() {
    let schema = one(r#"{"key":"email","type":"email","label":{"de":"E-Mail","en":"Email","fr":"Courriel"},
            "hint":{"en":"Where we write to you","de":"Wohin wir schreiben"}}"#);
    let column = &schema.columns()[0];
    assert_eq!(column.label(), "Email");
    assert_eq!(column.labels().get("de"), "E-Mail");
    assert_eq!(column.hint().map(|h| h.get("de-AT")), Some("Wohin wir schreiben"));
    assert!(column.keywords().iter().any(|k| k == "Courriel"), "other languages' labels match headers");
    let json: serde_json::Value = serde_json::from_str(&schema.to_json()).unwrap();
    assert_eq!(json["columns"][0]["label"]["fr"], "Courriel", "the field list keeps every language");
    let reordered =
        one(r#"{"key":"email","type":"email","label":{"fr":"Courriel","en":"Email","de":"E-Mail"},
            "hint":{"de":"Wohin wir schreiben","en":"Where we write to you"}}"#);
    assert_eq!(reordered.digest(), schema.digest(), "the languages' order does not change the digest");
    let plain = one(r#"{"key":"plan","type":"text","label":"Plan","hint":"free or pro"}"#);
    assert_eq!(plain.columns()[0].label(), "Plan");
    assert_eq!(plain.columns()[0].hint().map(|h| h.get("fr")), Some("free or pro"));
}

#[test]
fn a_label_table_must_hold_strings_and_not_be_empty() {
    let cases = [
        (
            r#""label":{}"#,
            "field columns[0].label (column \"e\"): a table of texts must name at least one language",
        ),
        (
            r#""label":{"de":3}"#,
            "field columns[0].label.de (column \"e\"): invalid type: integer `3`, expected a string",
        ),
        (r#""label":{"":"x"}"#, "field columns[0].label (column \"e\"): a language tag is empty"),
        (
            r#""label":{"de":"a","de":"b"}"#,
            "field columns[0].label (column \"e\"): the language \"de\" is given twice",
        ),
        (
            r#""hint":["x"]"#,
            "field columns[0].hint (column \"e\"): invalid type: sequence, expected a string, or a table",
        ),
    ];
    for (field, expected) in cases {
        let text = format!(r#"{{"version": 1, "columns": [{{"key":"e","type":"email",{field}}}]}}"#);
        let err = Schema::from_json(&text).unwrap_err().to_string();
        assert!(err.starts_with("schema (JSON) at line 1, column"), "{field}: {err}");
        assert!(err.contains(expected), "{field}: {err}");
    }
}

#[test]
#[cfg(feature = "toml")]
fn toml_labels_per_language() {
    let schema = Schema::from_toml(
        "version = 1\n[[columns]]\nkey = \"email\"\ntype = \"email\"\nlabel = { en = \"Email\", de = \"E-Mail\" }\n",
    )
    .unwrap();
    assert_eq!(schema.columns()[0].labels().get("de"), "E-Mail");
    let err =
        Schema::from_toml("version = 1\n[[columns]]\nkey = \"e\"\ntype = \"email\"\nlabel = { de = 1 }\n")
            .unwrap_err()
            .to_string();
    assert!(
        err.contains(
            "field columns[0].label.de (column \"e\"): invalid type: integer `1`, expected a string"
        ),
        "{err}"
    );
}
