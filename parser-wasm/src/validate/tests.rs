use super::*;
use crate::reader::{FileLayout, Reader, ReaderOptions, Row, Sink};
use std::fmt::Write;

const SCHEMA: &str = r#"{"version": 1, "columns": [
    {"key": "id", "type": "integer", "required": true, "unique": true},
    {"key": "email", "label": "Email address", "type": "email", "required": true, "unique": true},
    {"key": "age", "type": "integer", "min": 0, "max": 150},
    {"key": "plan", "type": "enum", "values": ["free", "pro"], "default": "free"}
]}"#;

/// Validates `csv` and renders each row's cells and the report's errors.
struct Run<'s> {
    schema: &'s Schema,
    mapping: MappingSpec,
    patches: Patches,
    options: ValidateOptions,
    validator: Option<Validator>,
    out: String,
}

impl Sink for Run<'_> {
    fn layout(&mut self, layout: &FileLayout) {
        let patches = std::mem::take(&mut self.patches);
        let v = Validator::new(self.schema, &layout.header.names, &self.mapping, patches, self.options);
        self.validator = Some(v.unwrap());
    }

    fn row(&mut self, row: &Row<'_>) {
        let Some(checked) = self.validator.as_mut().unwrap().check(row) else { return };
        let cells: Vec<String> = checked
            .values
            .cells()
            .map(|c| match c {
                Cell::Null => "-".to_owned(),
                Cell::Valid(v) => v.to_owned(),
                Cell::Invalid(v) => format!("!{v}"),
            })
            .collect();
        writeln!(
            self.out,
            "{} {} {}",
            checked.number,
            if checked.valid { "ok" } else { "bad" },
            cells.join("|")
        )
        .unwrap();
    }
}

fn validate(csv: &str, mapping: MappingSpec, patches: Patches, options: ValidateOptions) -> (String, Report) {
    validate_against(SCHEMA, csv, patches, mapping, options)
}

fn validate_against(
    schema: &str,
    csv: &str,
    patches: Patches,
    mapping: MappingSpec,
    options: ValidateOptions,
) -> (String, Report) {
    let schema = Schema::from_json(schema).unwrap();
    let mut run = Run { schema: &schema, mapping, patches, options, validator: None, out: String::new() };
    let mut reader = Reader::new(&ReaderOptions::default()).unwrap();
    reader.feed(csv.as_bytes(), &mut run).unwrap();
    reader.finish(&mut run).unwrap();
    let report = run.validator.as_ref().unwrap().report();
    (run.out, report)
}

fn errors(report: &Report) -> Vec<String> {
    report
        .errors
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{} {} {} {}",
                e.row,
                e.line,
                e.byte,
                e.column.as_deref().unwrap_or("-"),
                e.code,
                e.message
            )
        })
        .collect()
}

#[test]
fn every_cell_is_checked_with_positions_codes_and_messages() {
    let csv =
        "ID,E-mail,Age,Plan\n1,ann@x.io,31,PRO\n2,bob@,151,\n2,ann@x.io,-1,gold\n,,,\n4,cy@x.io,,free\n";
    let (rows, report) =
        validate(csv, MappingSpec::default(), Patches::default(), ValidateOptions::default());
    assert_eq!(
        rows,
        "1 ok 1|ann@x.io|31|pro\n2 bad 2|!bob@|!151|free\n3 bad !2|!ann@x.io|!-1|!gold\n4 ok 4|cy@x.io|-|free\n"
    );
    assert_eq!(
        errors(&report),
        [
            "2:3:39 email email_invalid_domain must have a domain after the @, such as example.com",
            "2:3:44 age above_maximum must be at most 150",
            "3:4:49 id duplicate must be unique: the same value is in an earlier row",
            "3:4:51 email duplicate must be unique: the same value is in an earlier row",
            "3:4:60 age below_minimum must be at least 0",
            "3:4:63 plan not_allowed is not one of the allowed values: free or pro",
        ]
    );
    assert_eq!((report.rows, report.valid_rows, report.invalid_rows), (4, 2, 2));
    assert_eq!(report.errors_by_column.get("email"), Some(&2));
    assert_eq!(report.errors_by_code.get("duplicate"), Some(&2));
}

#[test]
fn required_columns_and_row_problems_are_errors() {
    let csv = "id,email\n,a@x.io\n7\n";
    let (rows, report) =
        validate(csv, MappingSpec::default(), Patches::default(), ValidateOptions::default());
    assert_eq!(rows, "1 bad -|a@x.io|-|free\n2 bad 7|-|-|free\n");
    assert_eq!(
        errors(&report),
        [
            "1:2:9 id required is required",
            "2:3:17 email required is required",
            "2:3:17 - too_few_fields the row has 1 fields but the header has 2",
        ]
    );
}

#[test]
fn patches_fix_cells_and_delete_rows() {
    let csv = "id,email,age\n1,bad,x\n2,b@x.io,3\n3,c@x.io,4\n";
    let mut patches = Patches::default();
    patches.set_value(1, "email", " ann@x.io ").set_value(1, "age", "30").delete_row(2);
    let (rows, report) = validate(csv, MappingSpec::default(), patches, ValidateOptions::default());
    assert_eq!(rows, "1 ok 1|ann@x.io|30|free\n3 ok 3|c@x.io|4|free\n");
    assert_eq!((report.patched_cells, report.deleted_rows, report.error_count), (2, 1, 0));
}

#[test]
fn explicit_mappings_and_kept_columns() {
    let csv = "Mail,Number,Extra,Other\nann@x.io,1,e1,o1,x1\n";
    let spec: MappingSpec =
        serde_json::from_str(r#"{"columns": {"id": "Number", "email": "Mail"}, "unmapped": "keep"}"#)
            .unwrap();
    let (rows, report) = validate(csv, spec, Patches::default(), ValidateOptions::default());
    assert_eq!(rows, "1 bad 1|ann@x.io|-|free|e1|o1|x1\n");
    assert_eq!(errors(&report), ["1:2:24 - too_many_fields the row has 5 fields but the header has 4"]);
}

#[test]
fn a_mapping_naming_a_missing_column_is_a_config_error() {
    let schema = Schema::from_json(SCHEMA).unwrap();
    let spec: MappingSpec = serde_json::from_str(r#"{"columns": {"email": "Mail"}}"#).unwrap();
    let header = vec!["E-mail".to_owned()];
    let err = Validator::new(&schema, &header, &spec, Patches::default(), ValidateOptions::default())
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        r#"option "mapping.columns": "email" maps from "Mail", which is not a column of the file"#
    );
    let spec: MappingSpec = serde_json::from_str(r#"{"columns": {"mail": "E-mail"}}"#).unwrap();
    let err = Validator::new(&schema, &header, &spec, Patches::default(), ValidateOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.to_string(), r#"option "mapping.columns": "mail" is not a column of the schema"#);
}

#[test]
fn errors_are_counted_past_the_kept_limit() {
    let csv: String =
        std::iter::once("id,email\n".to_owned()).chain((1..=50).map(|i| format!("{i},bad\n"))).collect();
    let options = ValidateOptions { max_errors: 10, ..ValidateOptions::default() };
    let (_, report) = validate(&csv, MappingSpec::default(), Patches::default(), options);
    assert_eq!((report.errors.len(), report.error_count, report.errors_truncated), (10, 50, true));
    assert_eq!(report.errors_by_code.get("email_missing_at"), Some(&50));
}

#[test]
fn unique_checks_say_when_they_stop() {
    let csv = "id,email\n1,a@x.io\n3,b@x.io\n5,c@x.io\n1,d@x.io\n";
    let options = ValidateOptions { max_unique_values: 2, ..ValidateOptions::default() };
    let (_, report) = validate(csv, MappingSpec::default(), Patches::default(), options);
    assert_eq!(report.warnings.len(), 2, "{:?}", report.warnings);
    assert!(report.warnings[0].contains("\"id\" was checked for the first 2 distinct values"));
    assert_eq!(report.errors_by_code.get("duplicate"), Some(&1));
}

fn with_rules(json: &str) -> Patches {
    serde_json::from_str(json).unwrap()
}

#[test]
fn rules_fix_every_row_in_order_and_an_edit_wins_over_them() {
    let csv = "id,email,age,plan\n1, a@x.con ,x,Premium\n2,b@y.con,,oui\n3,c@x.io,5,pro\n";
    let mut patches = with_rules(
        r#"{"rules": [
            {"kind": "trim"},
            {"kind": "replace", "column": "email", "find": "\\.con$", "with": ".com", "regex": true},
            {"kind": "fillEmpty", "column": "age", "value": "0"},
            {"kind": "map", "column": "plan", "values": {"Premium": "pro"}}
        ]}"#,
    );
    patches.set_value(2, "email", "typed@x.con");
    let (rows, report) = validate(csv, MappingSpec::default(), patches, ValidateOptions::default());
    assert_eq!(rows, "1 bad 1|a@x.com|!x|pro\n2 bad 2|typed@x.con|0|!oui\n3 ok 3|c@x.io|5|pro\n");
    assert_eq!(report.rule_hits, [1, 1, 1, 1]);
    assert_eq!(report.patched_cells, 1);
}

#[test]
fn deleted_rows_are_not_fixed_by_rules_nor_counted() {
    let mut patches =
        with_rules(r#"{"rules": [{"kind": "fillEmpty", "column": "age", "value": "1"}], "delete": [1]}"#);
    patches.delete_row(2);
    let (rows, report) = validate(
        "id,email\n1,a@x.io\n2,b@x.io\n3,c@x.io\n",
        MappingSpec::default(),
        patches,
        ValidateOptions::default(),
    );
    assert_eq!(rows, "3 ok 3|c@x.io|1|free\n");
    assert_eq!(report.rule_hits, [1]);
}

#[test]
fn invalid_values_of_enum_and_boolean_columns_are_listed_when_asked_for() {
    let csv = "id,email,plan\n1,a@x.io,gold\n2,b@x.io,Premium\n3,c@x.io,gold\n4,bad,silver\n";
    let options = ValidateOptions { max_invalid_values: 2, ..ValidateOptions::default() };
    let (_, report) = validate(csv, MappingSpec::default(), Patches::default(), options);
    let plan: Vec<(&str, u64)> =
        report.invalid_values["plan"].iter().map(|(v, n)| (v.as_str(), *n)).collect();
    assert_eq!(plan, [("Premium", 1), ("gold", 2)]);
    assert!(!report.invalid_values.contains_key("email"), "only enum and boolean columns list values");
    let (_, report) = validate(csv, MappingSpec::default(), Patches::default(), ValidateOptions::default());
    assert!(report.invalid_values.is_empty(), "no values unless asked for");
}

#[test]
fn rules_give_the_same_rows_whatever_the_chunks() {
    let csv = "id,email,age,plan\n1, a@x.con ,x,Premium\n2,b@y.con,,oui\n3,c@x.io,5,pro\n".repeat(20);
    let json = r#"{"rules": [{"kind": "trim"}, {"kind": "replace", "find": "con", "with": "com"},
        {"kind": "map", "column": "plan", "values": {"Premium": "pro", "oui": "free"}}]}"#;
    let schema = Schema::from_json(SCHEMA).unwrap();
    let run = |cuts: &[usize]| {
        let options = ValidateOptions::default();
        let mut run = Run {
            schema: &schema,
            mapping: MappingSpec::default(),
            patches: with_rules(json),
            options,
            validator: None,
            out: String::new(),
        };
        let mut reader = Reader::new(&ReaderOptions::default()).unwrap();
        let mut from = 0;
        for &cut in cuts.iter().chain(std::iter::once(&csv.len())) {
            reader.feed(&csv.as_bytes()[from..cut], &mut run).unwrap();
            from = cut;
        }
        reader.finish(&mut run).unwrap();
        (run.out, run.validator.unwrap().report().rule_hits)
    };
    let whole = run(&[]);
    let bytes: Vec<usize> = (1..csv.len()).collect();
    assert_eq!(run(&bytes), whole);
    let mut seed = 7u64;
    let mut cuts: Vec<usize> = (0..40)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            usize::try_from(seed >> 33).unwrap() % csv.len()
        })
        .collect();
    cuts.sort_unstable();
    assert_eq!(run(&cuts), whole);
}

#[test]
fn transforms_rewrite_file_values_and_edits_before_the_check() {
    let schema = r#"{"version": 1, "columns": [
        {"key": "code", "type": "text", "max_length": 3, "transform": ["upper"]},
        {"key": "phone", "type": "regex", "pattern": "[0-9]{10}", "required": true, "transform": ["digits"]},
        {"key": "born", "type": "text", "transform": [{"date": "%d.%m.%Y", "from": ["%d/%m/%Y"]}]}
    ]}"#;
    let csv = "code,phone,born\n fr ,(555) 010-9999,31/12/1999\ndeut,n/a,1999-12-31\n\
               it,555 010,31/02/1999\nes,5550109999,soon\n";
    let mut patches = Patches::default();
    patches.set_value(2, "phone", " (555) 010 8888");
    let (rows, report) =
        validate_against(schema, csv, patches, MappingSpec::default(), ValidateOptions::default());
    assert_eq!(
        rows,
        "1 ok FR|5550109999|31.12.1999\n\
         2 bad !DEUT|5550108888|31.12.1999\n\
         3 bad IT|!555010|!31/02/1999\n\
         4 bad ES|5550109999|!soon\n"
    );
    assert_eq!(
        errors(&report),
        [
            "2:3:47 code too_long must be at most 3 characters long",
            "3:4:70 phone pattern_mismatch does not have the expected format",
            "3:4:78 born date_does_not_exist is not a real date: that month has no such day, or there is no such month",
            "4:5:103 born invalid_date must be a date written as DD.MM.YYYY, DD/MM/YYYY or YYYY-MM-DD",
        ]
    );
}
