use super::*;
use crate::patch::Patches;
use crate::position::Position;
use crate::reader::{FileLayout, Reader, ReaderOptions, Row, Sink};
use crate::schema::{Check, Schema};
use crate::validate::{CellError, MappingSpec, ValidateOptions, Validator};
use std::collections::{BTreeMap, BTreeSet};

/// The codes and their params as `error-codes.json` lists them (`?`: may be absent).
fn listed() -> BTreeMap<String, Vec<String>> {
    let file: serde_json::Value = serde_json::from_str(include_str!("../../error-codes.json")).unwrap();
    serde_json::from_value(file["codes"].clone()).unwrap()
}

/// Every failure of a cell check. A new variant fails to compile in `index` until it is given
/// the next number, and then fails the test until it is listed here.
fn failures() -> Vec<Failure> {
    use Failure::*;
    let all = vec![
        TooShort,
        TooLong,
        NotAnInteger,
        HasDecimals,
        NotANumber,
        WrongDecimalSeparator,
        OutOfRange,
        BelowMinimum,
        AboveMaximum,
        NotABoolean,
        InvalidDate,
        InvalidDatetime,
        InvalidTime,
        DateDoesNotExist,
        DatetimeDoesNotExist,
        TimeDoesNotExist,
        InvalidEmail,
        EmailMissingAt,
        EmailInvalidDomain,
        InvalidUrl,
        UrlScheme,
        InvalidUuid,
        NotAllowed,
        NearlyAllowed(0),
        PatternMismatch,
        NotCanonical,
    ];
    let index = |f: &Failure| match f {
        TooShort => 0,
        TooLong => 1,
        NotAnInteger => 2,
        HasDecimals => 3,
        NotANumber => 4,
        WrongDecimalSeparator => 5,
        OutOfRange => 6,
        BelowMinimum => 7,
        AboveMaximum => 8,
        NotABoolean => 9,
        InvalidDate => 10,
        InvalidDatetime => 11,
        InvalidTime => 12,
        DateDoesNotExist => 13,
        DatetimeDoesNotExist => 14,
        TimeDoesNotExist => 15,
        InvalidEmail => 16,
        EmailMissingAt => 17,
        EmailInvalidDomain => 18,
        InvalidUrl => 19,
        UrlScheme => 20,
        InvalidUuid => 21,
        NotAllowed => 22,
        NearlyAllowed(_) => 23,
        PatternMismatch => 24,
        NotCanonical => 25,
    };
    let indexes: Vec<usize> = all.iter().map(index).collect();
    assert_eq!(indexes, (0..all.len()).collect::<Vec<_>>(), "list every Failure in failures()");
    all
}

/// Every structural problem, as `failures` does for failures.
fn problems() -> Vec<Problem> {
    let at = Position { byte: 10, line: 3 };
    let all = vec![
        Problem::UnterminatedQuote { field: 0, opened: at },
        Problem::FieldTooLarge { field: 0, limit: 64, quote_opened: Some(at) },
        Problem::RecordTooLarge { field: 1, limit: 128 },
        Problem::TooManyColumns { limit: 16 },
        Problem::TooFewFields { expected: 4, found: 2 },
        Problem::TooManyFields { expected: 4, found: 6 },
        Problem::InvalidEncoding { field: 0 },
        Problem::FormulaError { field: 0, error: "#DIV/0!".to_owned() },
    ];
    let index = |p: &Problem| match p {
        Problem::UnterminatedQuote { .. } => 0,
        Problem::FieldTooLarge { .. } => 1,
        Problem::RecordTooLarge { .. } => 2,
        Problem::TooManyColumns { .. } => 3,
        Problem::TooFewFields { .. } => 4,
        Problem::TooManyFields { .. } => 5,
        Problem::InvalidEncoding { .. } => 6,
        Problem::FormulaError { .. } => 7,
    };
    let indexes: Vec<usize> = all.iter().map(index).collect();
    assert_eq!(indexes, (0..all.len()).collect::<Vec<_>>(), "list every Problem in problems()");
    all
}

/// The names of the params set, as the JSON has them.
fn names(params: &Params) -> BTreeSet<String> {
    let value = serde_json::to_value(params).unwrap();
    value.as_object().unwrap().keys().cloned().collect()
}

/// Panics unless `params` are what `error-codes.json` lists for `code`.
fn assert_listed(code: &str, params: &Params) {
    let listed = listed();
    let declared = listed.get(code).unwrap_or_else(|| panic!("{code} is not in error-codes.json"));
    let set = names(params);
    for name in declared.iter().filter(|n| !n.ends_with('?')) {
        assert!(set.contains(name), "{code} lacks its param {name}: {set:?}");
    }
    let known: BTreeSet<&str> = declared.iter().map(|n| n.trim_end_matches('?')).collect();
    let unknown: Vec<&String> = set.iter().filter(|n| !known.contains(n.as_str())).collect();
    assert!(unknown.is_empty(), "{code} carries params error-codes.json does not list: {unknown:?}");
}

#[test]
fn error_codes_json_lists_every_code_the_core_can_emit_and_no_other() {
    let mut emitted: BTreeSet<&str> = failures().into_iter().map(Failure::code).collect();
    emitted.extend(problems().iter().map(Problem::code));
    emitted.extend(["required", "duplicate"]);
    let listed: BTreeSet<String> = listed().into_keys().collect();
    assert_eq!(listed.iter().map(String::as_str).collect::<BTreeSet<_>>(), emitted);
}

#[test]
fn each_problem_carries_the_params_of_its_message() {
    for problem in problems() {
        assert_listed(problem.code(), &Params::of_problem(&problem));
    }
    let fewer = Params::of_problem(&Problem::TooFewFields { expected: 4, found: 2 });
    assert_eq!((fewer.expected, fewer.found), (Some(4), Some(2)));
    let quote =
        Params::of_problem(&Problem::UnterminatedQuote { field: 0, opened: Position { byte: 9, line: 7 } });
    assert_eq!(quote.quote_line, Some(7));
}

/// Columns of every type, each with values that fail it in each way it can, and one that passes.
const SCHEMA: &str = r#"{"version": 1, "columns": [
    {"key": "t", "type": "text", "min_length": 2, "max_length": 4},
    {"key": "i", "type": "integer", "min": 0, "max": 150, "unique": true},
    {"key": "n", "type": "number", "min": 0.5, "max": 10, "thousands_separator": " "},
    {"key": "b", "type": "boolean"},
    {"key": "d", "type": "date", "formats": ["%d/%m/%Y", "%Y-%m-%d"]},
    {"key": "dt", "type": "datetime"},
    {"key": "tm", "type": "time"},
    {"key": "e", "type": "email"},
    {"key": "u", "type": "url", "schemes": ["https"]},
    {"key": "id", "type": "uuid"},
    {"key": "plan", "type": "enum", "values": ["free", {"value": "pro", "label": "Pro plan"}]},
    {"key": "code", "type": "regex", "pattern": "[a-z]+", "message": "use small letters"},
    {"key": "ref", "type": "regex", "pattern": "[0-9]+"},
    {"key": "name", "type": "text", "required": true}
]}"#;

/// Per column: a valid value, then values that fail.
const CELLS: [(&str, &[&str]); 14] = [
    ("ok", &["a", "abcdef"]),
    ("", &["x", "1.5", "99999999999999999999", "-1", "151", "7", "7"]),
    ("1", &["x", "\"1,5\"", "0.1", "11"]),
    ("yes", &["maybe"]),
    ("01/02/2024", &["soon", "29/02/1991"]),
    ("2024-01-02T10:00:00", &["x", "2024-02-30T10:00:00"]),
    ("10:00:00", &["x", "25:00:00"]),
    ("a@example.com", &["abc", "a@b c", "@example.com"]),
    ("https://example.com", &["ftp://example.com", "https://"]),
    ("123e4567-e89b-12d3-a456-426614174000", &["x"]),
    ("free", &["gold", "p-r-o"]),
    ("abc", &["ABC"]),
    ("12", &["x"]),
    ("Ann", &[""]),
];

struct Collect {
    schema: Schema,
    validator: Option<Validator>,
}

impl Sink for Collect {
    fn layout(&mut self, layout: &FileLayout) {
        let options = ValidateOptions::default();
        let v = Validator::new(
            &self.schema,
            &layout.header.names,
            &MappingSpec::default(),
            Patches::default(),
            options,
        );
        self.validator = Some(v.unwrap());
    }

    fn row(&mut self, row: &Row<'_>) {
        self.validator.as_mut().unwrap().check(row);
    }
}

fn errors() -> Vec<CellError> {
    let schema = Schema::from_json(SCHEMA).unwrap();
    let keys: Vec<&str> = schema.columns().iter().map(crate::schema::Column::key).collect();
    let rows = CELLS.iter().map(|(_, bad)| bad.len()).max().unwrap();
    let mut csv = keys.join(",") + "\n";
    for r in 0..rows {
        let row: Vec<&str> = CELLS.iter().map(|(ok, bad)| bad.get(r).copied().unwrap_or(ok)).collect();
        csv += &(row.join(",") + "\n");
    }
    csv += "short,row\n\"open";
    let mut sink = Collect { schema, validator: None };
    let mut reader = Reader::new(&ReaderOptions::default()).unwrap();
    reader.feed(csv.as_bytes(), &mut sink).unwrap();
    reader.finish(&mut sink).unwrap();
    sink.validator.unwrap().report().errors
}

#[test]
fn each_cell_error_carries_the_params_its_code_lists_and_never_the_value() {
    let errors = errors();
    let mut seen = BTreeSet::new();
    for error in &errors {
        assert_listed(error.code, &error.params);
        let json = serde_json::to_string(&error.params).unwrap();
        for bad in ["abcdef", "99999999999999999999", "maybe", "29/02/1991", "gold", "p-r-o", "ABC", "ftp://"]
        {
            assert!(!json.contains(bad), "{} params carry the value: {json}", error.code);
        }
        seen.insert(error.code);
    }
    let cell_codes: BTreeSet<&str> = failures().into_iter().map(Failure::code).collect();
    let missed: Vec<&&str> =
        cell_codes.iter().filter(|c| !seen.contains(**c) && **c != "not_canonical").collect();
    assert!(missed.is_empty(), "no test value fails with {missed:?}");
    for code in ["required", "duplicate", "too_few_fields", "unterminated_quote"] {
        assert!(seen.contains(code), "{code} not met");
    }
}

#[test]
fn params_say_the_schema_facts_of_each_message() {
    let errors = errors();
    let of = |column: &str, code: &str| {
        let found = errors.iter().find(|e| e.column.as_deref() == Some(column) && e.code == code);
        Params::clone(&found.unwrap_or_else(|| panic!("no {code} in {column}")).params)
    };
    assert_eq!(of("t", "too_long").max_length, Some(4));
    assert_eq!(of("i", "below_minimum").min.as_deref(), Some("0"));
    assert_eq!(of("i", "above_maximum").max.as_deref(), Some("150"));
    assert_eq!(of("i", "out_of_range").max, Some(i64::MAX.to_string()));
    assert_eq!(of("n", "below_minimum").min.as_deref(), Some("0.5"));
    assert_eq!(of("n", "wrong_decimal_separator").decimal_separator, Some('.'));
    assert_eq!(of("n", "not_a_number").example.as_deref(), Some("1 234.5"));
    assert_eq!(of("d", "invalid_date").formats, Some(vec!["DD/MM/YYYY".to_owned(), "YYYY-MM-DD".to_owned()]));
    assert_eq!(of("b", "not_a_boolean").allowed.map(|a| a.len()), Some(8));
    assert_eq!(of("b", "not_a_boolean").more, Some(4));
    assert_eq!(of("u", "url_scheme").schemes, Some(vec!["https".to_owned()]));
    assert_eq!(of("plan", "not_allowed").allowed, Some(vec!["free".to_owned(), "Pro plan".to_owned()]));
    let closest = errors.iter().find(|e| e.code == "not_allowed" && e.params.closest.is_some());
    assert_eq!(closest.and_then(|e| e.params.closest.clone()).as_deref(), Some("Pro plan"));
    assert_eq!(of("code", "pattern_mismatch").custom, Some(true));
    assert_eq!(of("ref", "pattern_mismatch"), Params::default());
}

#[test]
fn a_columns_errors_of_one_code_share_their_params() {
    let errors = errors();
    let same: Vec<&CellError> =
        errors.iter().filter(|e| e.code == "required" || e.code == "duplicate").collect();
    assert!(same.windows(2).all(|w| Arc::ptr_eq(&w[0].params, &w[1].params)));
    let mut cache = ParamsCache::default();
    let check = Check::Email;
    let first = cache.get(3, Failure::EmailMissingAt, || check.params(Failure::EmailMissingAt));
    let again = cache.get(3, Failure::EmailMissingAt, || unreachable!("built once"));
    assert!(Arc::ptr_eq(&first, &again));
}

#[test]
fn not_canonical_carries_no_params() {
    let schema = Schema::from_json(SCHEMA).unwrap();
    for column in schema.columns().iter().filter(|c| c.key() != "b") {
        assert_listed("not_canonical", &column.check.params(Failure::NotCanonical));
    }
}
