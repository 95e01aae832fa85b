use super::super::Schema;
use super::*;
use proptest::prelude::*;

/// The transform of a text column with `transform` (JSON).
fn transform(steps: &str) -> Transform {
    let text =
        format!(r#"{{"version": 1, "columns": [{{"key": "t", "type": "text", "transform": {steps}}}]}}"#);
    let schema = Schema::from_json(&text).unwrap_or_else(|e| panic!("{steps}: {e}"));
    schema.columns()[0].transform.clone().unwrap()
}

/// `value` transformed, or the failure's code.
fn applied(transform: &Transform, value: &str) -> Result<String, &'static str> {
    let mut buffers = Buffers::default();
    transform.apply(value, &mut buffers).map(str::to_owned).map_err(Failure::code)
}

/// The error of a schema with one column (JSON).
fn refused(column: &str) -> String {
    let text = format!(r#"{{"version": 1, "columns": [{column}]}}"#);
    Schema::from_json(&text).map(|_| ()).unwrap_err().to_string()
}

#[test]
fn each_transform_rewrites_as_documented() {
    let cases: &[(&str, &str, &str)] = &[
        (r#"["upper"]"#, "fr-ch straße", "FR-CH STRASSE"),
        (r#"["lower"]"#, "ÉCOLE Ünd İ", "école ünd i\u{307}"),
        (r#"["title"]"#, "jEAN-luc o'neil, it's 3RD", "Jean-Luc O'neil, It's 3rd"),
        (r#"["title"]"#, "straße ßa", "Straße ßa"),
        (r#"["digits"]"#, "+44 (20) 7946-0958", "442079460958"),
        (r#"["digits"]"#, "n/a", ""),
        (r#"["collapse"]"#, "a \t b\n\nc\u{a0} d", "a b c d"),
        (r#"["collapse", "upper"]"#, "ab   cd", "AB CD"),
        (r#"[{"date": "%d.%m.%Y", "from": ["%d/%m/%Y", "%b %e %Y"]}]"#, "31/12/2024", "31.12.2024"),
        (r#"[{"date": "%d.%m.%Y", "from": ["%d/%m/%Y", "%b %e %Y"]}]"#, "jan  5 2024", "05.01.2024"),
        (r#"[{"date": "%d.%m.%Y", "from": ["%d/%m/%Y"]}]"#, "2024-12-31", "31.12.2024"),
        (r#"[{"date": "%d.%m.%Y", "from": ["%d/%m/%Y"]}]"#, "31.12.2024", "31.12.2024"),
        (r#"[{"date": "%a %e %B %Y"}]"#, "2024-03-05", "Tue  5 March 2024"),
    ];
    for (steps, value, expected) in cases {
        assert_eq!(applied(&transform(steps), value).as_deref(), Ok(*expected), "{steps} {value:?}");
    }
}

#[test]
fn a_date_that_does_not_read_fails_as_a_date_column_would() {
    let date = transform(r#"[{"date": "%d.%m.%Y", "from": ["%d/%m/%Y"]}]"#);
    assert_eq!(applied(&date, "next week"), Err("invalid_date"));
    assert_eq!(applied(&date, "30/02/2024"), Err("date_does_not_exist"));
    let message = date.message(Failure::InvalidDate).unwrap();
    assert_eq!(message, "must be a date written as DD.MM.YYYY, DD/MM/YYYY or YYYY-MM-DD");
    let params = date.params(Failure::InvalidDate).unwrap();
    assert_eq!(
        params.formats.as_deref(),
        Some(&["DD.MM.YYYY", "DD/MM/YYYY", "YYYY-MM-DD"].map(String::from)[..])
    );
    assert_eq!(date.message(Failure::TooLong), None, "only its own failures");
    assert_eq!(transform(r#"["upper"]"#).message(Failure::InvalidDate), None);
}

#[test]
fn a_value_no_step_changes_is_returned_as_it_is_without_writing() {
    let cases: &[(&str, &str)] = &[
        (r#"["upper"]"#, "ABC 123 É"),
        (r#"["lower"]"#, "abc 123 é"),
        (r#"["title"]"#, "Jean-Luc O'neil"),
        (r#"["digits"]"#, "0123456789"),
        (r#"["collapse"]"#, "a b c"),
        (r#"["collapse", "title", "digits"]"#, "2024"),
        (r#"[{"date": "%d.%m.%Y", "from": ["%d/%m/%Y"]}]"#, "31.12.2024"),
    ];
    for (steps, value) in cases {
        let transform = transform(steps);
        let mut buffers = Buffers::default();
        let out = transform.apply(value, &mut buffers).unwrap();
        assert!(std::ptr::eq(out, *value), "{steps} {value:?}");
        // The date rewrite writes to compare; every other step only reads.
        if !steps.contains("date") {
            assert_eq!((buffers.a.capacity(), buffers.b.capacity()), (0, 0), "{steps} {value:?}");
        }
    }
}

#[test]
fn bad_transforms_name_the_column_the_step_and_what_to_do() {
    let cases: &[(&str, &str)] = &[
        (r#"{"key":"a","type":"text","transform":[]}"#, r#"schema column "a", field "transform": must list"#),
        (
            r#"{"key":"a","type":"integer","transform":["digits"]}"#,
            r#"schema column "a", field "transform[0]": "digits" does not apply to this column's type"#,
        ),
        (
            r#"{"key":"a","type":"email","transform":["upper"]}"#,
            r#"schema column "a", field "transform[0]": "upper" does not apply"#,
        ),
        (
            r#"{"key":"a","type":"date","transform":[{"date":"%d.%m.%Y"}]}"#,
            r#"schema column "a", field "transform[0]": does not apply to a date, datetime or time column"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":["upper","collapse","lower"]}"#,
            r#"schema column "a", field "transform[2]": a column takes one case, and "upper" is already given"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":["digits","digits"]}"#,
            r#"schema column "a", field "transform[1]": "digits" is given twice"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":["collapse",{"date":"%d.%m.%Y"}]}"#,
            r#"schema column "a", field "transform[1]": a date transform stands alone"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":[{"date":"%d.%m.%y"}]}"#,
            r#"schema column "a", field "transform[0].date": writes a two-digit year"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":[{"date":"%F"}]}"#,
            r#"schema column "a", field "transform[0].date": writes ISO 8601"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":[{"date":"%d.%m.%Y %H"}]}"#,
            r#"schema column "a", field "transform[0].date": %H is part of a time of day"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":[{"date":"%d/%m/%Y","from":["%Y-%m-%d","%m/%d/%Y"]}]}"#,
            r#"schema column "a", field "transform[0].from[1]": reads dates the transform writes as other dates ("02/01/1999" written with "%d/%m/%Y" reads as 1999-02-01 with "%m/%d/%Y")"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":[{"date":"%Y-%d-%m"}]}"#,
            r#"schema column "a", field "transform[0].date": reads dates the transform writes as other dates"#,
        ),
        (
            r#"{"key":"a","type":"regex","pattern":"[0-9]+","transform":["digits"],"default":"none"}"#,
            r#"schema column "a", field "default": the default does not have the expected format"#,
        ),
        (
            r#"{"key":"a","type":"text","transform":[{"date":"%d.%m.%Y"}],"default":"soon"}"#,
            r#"schema column "a", field "default": the default must be a date written as DD.MM.YYYY or YYYY-MM-DD"#,
        ),
    ];
    for (column, expected) in cases {
        let err = refused(column);
        assert!(err.starts_with(expected), "{column}\n got: {err}\nwant: {expected}");
    }
}

#[test]
fn misspelt_transforms_are_refused_where_they_are_written() {
    let cases: &[(&str, &str)] = &[
        (r#"["trim"]"#, "\"trim\" is not a transform: trimming is the column's own option `trim`"),
        (r#"["uppercase"]"#, "unknown transform \"uppercase\": use upper, lower, title, digits, collapse"),
        (r#"["date"]"#, "a date transform is a table"),
        (r#"[{"from": ["%d/%m/%Y"]}]"#, "a date transform needs `date`"),
        (r#"[{"date": "%d.%m.%Y", "to": "x"}]"#, "unknown field `to`, expected `date` or `from`"),
        (r#"[{"date": "%d.%m.%Y", "date": "%d.%m.%Y"}]"#, "duplicate field `date`"),
        (r#"[3]"#, "invalid type: integer `3`, expected a transform"),
    ];
    for (steps, expected) in cases {
        let err = refused(&format!(r#"{{"key":"a","type":"text","transform":{steps}}}"#));
        assert!(err.contains("field columns[0].transform[0] (column \"a\")"), "{steps}: {err}");
        assert!(err.contains(expected), "{steps}\n got: {err}\nwant: {expected}");
    }
}

#[test]
#[cfg(feature = "toml")]
fn transforms_read_the_same_from_toml_and_json_and_count_in_the_digest() {
    let toml = Schema::from_toml(
        "version = 1\n[[columns]]\nkey = \"d\"\ntype = \"text\"\n\
         transform = [{ from = [\"%d/%m/%Y\"], date = \"%d.%m.%Y\" }]\n\
         [[columns]]\nkey = \"p\"\ntype = \"regex\"\npattern = \"[0-9]+\"\ntransform = [\"digits\"]\n",
    )
    .unwrap();
    let json = Schema::from_json(
        r#"{"version": 1, "columns": [
            {"key": "d", "type": "text", "transform": [{"date": "%d.%m.%Y", "from": ["%d/%m/%Y"]}]},
            {"key": "p", "type": "regex", "pattern": "[0-9]+", "transform": ["digits"]}]}"#,
    )
    .unwrap();
    assert_eq!(toml.digest(), json.digest());
    assert!(
        json.to_json().contains(r#""transform":[{"date":"%d.%m.%Y","from":["%d/%m/%Y"]}]"#),
        "{}",
        json.to_json()
    );
    let without = Schema::from_json(
        r#"{"version": 1, "columns": [
            {"key": "d", "type": "text", "transform": [{"date": "%d.%m.%Y", "from": ["%d/%m/%Y"]}]},
            {"key": "p", "type": "regex", "pattern": "[0-9]+"}]}"#,
    )
    .unwrap();
    assert_ne!(without.digest(), json.digest());
}

/// Every char after a letter and after a space: each case step gives the same text twice; a
/// case mapping neither makes nor removes whitespace or digits (so the steps commute), and a
/// single-char one keeps what `title` calls a word.
#[test]
fn case_steps_are_idempotent_on_every_char() {
    let steps = [transform(r#"["upper"]"#), transform(r#"["lower"]"#), transform(r#"["title"]"#)];
    let mut text = String::new();
    for c in (0..=0x10FFFF).filter_map(char::from_u32) {
        for before in ["a", " "] {
            text.clear();
            text.push_str(before);
            text.push(c);
            text.push('b');
            for step in &steps {
                let once = applied(step, &text).unwrap();
                assert_eq!(applied(step, &once).unwrap(), once, "U+{:04X} after {before:?}", c as u32);
            }
        }
        for mapped in c.to_uppercase().chain(c.to_lowercase()) {
            let kind = |c: char| (c.is_whitespace(), c.is_ascii_digit());
            assert!(mapped == c || kind(mapped) == (false, false), "U+{:04X}", c as u32);
            assert!(mapped == c || kind(c) == (false, false), "U+{:04X}", c as u32);
        }
        if let Some(upper) = single(c.to_uppercase()) {
            assert_eq!(in_word(upper), in_word(c), "U+{:04X}", c as u32);
        }
        if let Some(lower) = single(c.to_lowercase()) {
            assert_eq!(in_word(lower), in_word(c), "U+{:04X}", c as u32);
        }
    }
}

/// Any list of the text steps (one case at most, each once), in any order.
fn text_steps() -> impl Strategy<Value = String> {
    let case = prop_oneof![Just(None), Just(Some("upper")), Just(Some("lower")), Just(Some("title"))];
    (case, any::<bool>(), any::<bool>(), any::<u32>()).prop_filter_map(
        "no step",
        |(case, digits, collapse, order)| {
            let mut steps: Vec<&str> = case.into_iter().collect();
            steps.extend(digits.then_some("digits"));
            steps.extend(collapse.then_some("collapse"));
            if steps.is_empty() {
                return None;
            }
            let turn = order as usize % steps.len();
            steps.rotate_left(turn);
            if order & 0x100 != 0 {
                steps.reverse();
            }
            Some(format!("[{}]", steps.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(",")))
        },
    )
}

/// Date patterns a date rewrite may read or write.
const DATE_PATTERNS: [&str; 8] =
    ["%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%e %b %Y", "%A, %B %d, %Y", "%Y年%m月%d日", "%b %e %Y", "%d-%h-%Y"];

proptest! {
    #[test]
    fn text_transforms_are_idempotent(steps in text_steps(), value in "(\\PC|\\s){0,24}") {
        let transform = transform(&steps);
        let once = applied(&transform, &value).unwrap();
        prop_assert_eq!(applied(&transform, &once).unwrap(), once.clone(), "{} {:?}", steps, value);
    }

    #[test]
    fn date_rewrites_are_idempotent(
        to in 0..DATE_PATTERNS.len(),
        from in 0..DATE_PATTERNS.len(),
        (year, month, day) in (1000u16..3000, 1u8..=12, 1u8..=31),
    ) {
        let steps = format!(r#"[{{"date": {:?}, "from": [{:?}]}}]"#, DATE_PATTERNS[to], DATE_PATTERNS[from]);
        let transform = transform(&steps);
        let iso = TemporalFormat::compile("iso", TemporalKind::Date).unwrap();
        let read = TemporalFormat::compile(DATE_PATTERNS[from], TemporalKind::Date).unwrap();
        let mut written = String::new();
        prop_assume!(iso.rewrite(&format!("{year:04}-{month:02}-{day:02}"), &read, &mut written));
        let once = applied(&transform, &written).unwrap();
        prop_assert_eq!(applied(&transform, &once).unwrap(), once.clone(), "{} {:?}", steps, written);
    }
}

proptest! {
    /// The byte-by-byte path for ASCII text does what the char-by-char one does.
    #[test]
    fn ascii_text_takes_a_faster_path_to_the_same_result(value in "[ -~\t\n\r\u{b}\u{c}]{0,24}") {
        for step in [Step::Upper, Step::Lower, Step::Title, Step::Digits, Step::Collapse] {
            let (mut fast, mut slow) = (String::new(), String::new());
            let changed = (step.run_ascii(&value, &mut fast), step.run_chars(&value, &mut slow));
            prop_assert_eq!((changed, fast), ((changed.1, changed.1), slow), "{:?} {:?}", step, value);
        }
    }
}
