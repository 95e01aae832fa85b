//! Column rules: bulk fixes (replace, fill empty, trim, map values) that hold for every row of a
//! column, applied in order to a cell's file value as the file streams, so a fix to a
//! 1,000,000-row file is one rule, never a list of cells.

use super::regex_error::describe;
use crate::error::ConfigError;
use regex_lite::{NoExpand, Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// One bulk fix. A rule without a `column` applies to every schema column.
///
/// In JSON: `{"kind": "replace", "column": "email", "find": "@exemple\\.", "with": "@example.",
/// "regex": true}`, `{"kind": "fillEmpty", "column": "plan", "value": "free"}`,
/// `{"kind": "trim"}`, `{"kind": "map", "column": "plan", "values": {"Premium": "pro"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase", try_from = "RawRule")]
#[non_exhaustive]
pub enum Rule {
    /// Replaces every match of `find` (a literal, or a regex whose `with` may name groups as
    /// `$1` or `${name}`); `wholeCell` matches the whole value only.
    Replace {
        /// The column, or every schema column.
        column: Option<String>,
        /// The text or regex to find (not empty).
        find: String,
        /// What replaces each match.
        with: String,
        /// Whether `find` is a regex (the syntax of schema `pattern`s).
        regex: bool,
        /// Whether case is ignored.
        ignore_case: bool,
        /// Whether only a whole value matches.
        whole_cell: bool,
    },
    /// Gives empty (or blank) cells this value.
    FillEmpty {
        /// The column.
        column: String,
        /// The value, checked like any other.
        value: String,
    },
    /// Removes spaces around the value.
    Trim {
        /// The column, or every schema column.
        column: Option<String>,
    },
    /// Replaces whole values (compared without surrounding spaces): `oui` → `true`.
    Map {
        /// The column.
        column: String,
        /// Value found → value wanted.
        values: BTreeMap<String, String>,
    },
}

/// A rule as JSON has it: one flat object whatever the kind (one small deserialiser rather than
/// a buffered one per kind, which the WebAssembly module would carry), made a [`Rule`] by
/// checking that the fields given are the kind's.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRule {
    kind: Kind,
    column: Option<String>,
    find: Option<String>,
    with: Option<String>,
    regex: Option<bool>,
    ignore_case: Option<bool>,
    whole_cell: Option<bool>,
    value: Option<String>,
    values: Option<BTreeMap<String, String>>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Kind {
    Replace,
    FillEmpty,
    Trim,
    Map,
}

impl Kind {
    /// The kind as JSON names it.
    fn name(self) -> &'static str {
        match self {
            Kind::Replace => "replace",
            Kind::FillEmpty => "fillEmpty",
            Kind::Trim => "trim",
            Kind::Map => "map",
        }
    }
}

impl TryFrom<RawRule> for Rule {
    type Error = String;

    fn try_from(raw: RawRule) -> Result<Rule, String> {
        raw.only_fields_of(raw.kind)?;
        let needs = |field: &str| format!("a {} rule needs {field:?}", raw.kind.name());
        Ok(match raw.kind {
            Kind::Replace => Rule::Replace {
                find: raw.find.ok_or_else(|| needs("find"))?,
                column: raw.column,
                with: raw.with.unwrap_or_default(),
                regex: raw.regex.unwrap_or_default(),
                ignore_case: raw.ignore_case.unwrap_or_default(),
                whole_cell: raw.whole_cell.unwrap_or_default(),
            },
            Kind::FillEmpty => Rule::FillEmpty {
                column: raw.column.ok_or_else(|| needs("column"))?,
                value: raw.value.ok_or_else(|| needs("value"))?,
            },
            Kind::Trim => Rule::Trim { column: raw.column },
            Kind::Map => Rule::Map {
                column: raw.column.ok_or_else(|| needs("column"))?,
                values: raw.values.ok_or_else(|| needs("values"))?,
            },
        })
    }
}

impl RawRule {
    /// An error naming the first field given that a rule of this kind does not take.
    fn only_fields_of(&self, kind: Kind) -> Result<(), String> {
        let replace = matches!(kind, Kind::Replace);
        let given = [
            ("find", self.find.is_some(), replace),
            ("with", self.with.is_some(), replace),
            ("regex", self.regex.is_some(), replace),
            ("ignoreCase", self.ignore_case.is_some(), replace),
            ("wholeCell", self.whole_cell.is_some(), replace),
            ("value", self.value.is_some(), matches!(kind, Kind::FillEmpty)),
            ("values", self.values.is_some(), matches!(kind, Kind::Map)),
        ];
        match given.iter().find(|(_, given, takes)| *given && !takes) {
            Some((field, ..)) => Err(format!("a {} rule does not take {field:?}", kind.name())),
            None => Ok(()),
        }
    }
}

/// The rules of a file, compiled, with how many cells each changed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rules {
    rules: Vec<Compiled>,
    hits: Vec<u64>,
}

#[derive(Clone, Debug)]
struct Compiled {
    /// The schema column index, `None` for all.
    column: Option<usize>,
    action: Action,
}

#[derive(Clone, Debug)]
enum Action {
    Replace { regex: Regex, with: String, expand: bool },
    Fill(String),
    Trim,
    Map(HashMap<String, String>),
}

impl Rules {
    /// Compiles `rules` for a schema whose column keys are `keys`; an unknown column or a bad
    /// regex is an error naming the rule (1-based).
    pub(crate) fn compile(rules: &[Rule], keys: &[&str]) -> Result<Rules, ConfigError> {
        let compiled = rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                Compiled::new(rule, keys)
                    .map_err(|e| ConfigError::option("patches", format!("rule {}: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Rules { hits: vec![0; compiled.len()], rules: compiled })
    }

    /// Whether there is no rule.
    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The value of schema column `column` after the rules, when one changed it.
    pub(crate) fn apply(&mut self, column: usize, value: &str) -> Option<String> {
        let mut current = Cow::Borrowed(value);
        for (rule, hits) in self.rules.iter().zip(self.hits.iter_mut()) {
            if rule.column.is_some_and(|c| c != column) {
                continue;
            }
            if let Some(new) = rule.action.apply(&current) {
                *hits += 1;
                current = Cow::Owned(new);
            }
        }
        // Rules may undo each other (a replace that adds a space, then trim): the cell is changed
        // only when its final value differs.
        match current {
            Cow::Owned(new) if new != value => Some(new),
            _ => None,
        }
    }

    /// How many cells each rule changed, in rule order.
    pub(crate) fn hits(&self) -> &[u64] {
        &self.hits
    }
}

impl Compiled {
    fn new(rule: &Rule, keys: &[&str]) -> Result<Compiled, String> {
        let index = |key: &str| {
            keys.iter()
                .position(|k| *k == key)
                .ok_or_else(|| format!("{key:?} is not a column of the schema"))
        };
        let (column, action) = match rule {
            Rule::Replace { column, find, with, regex, ignore_case, whole_cell } => {
                let column = column.as_deref().map(index).transpose()?;
                (column, replace(find, with, *regex, *ignore_case, *whole_cell)?)
            }
            Rule::FillEmpty { column, value } => (Some(index(column)?), Action::Fill(value.clone())),
            Rule::Trim { column } => (column.as_deref().map(index).transpose()?, Action::Trim),
            Rule::Map { column, values } => {
                let values = values.iter().map(|(k, v)| (k.trim().to_owned(), v.clone())).collect();
                (Some(index(column)?), Action::Map(values))
            }
        };
        Ok(Compiled { column, action })
    }
}

/// A replace rule's matcher: a literal is escaped, so both kinds run on one engine (the one
/// schema `pattern` checks use).
fn replace(
    find: &str,
    with: &str,
    regex: bool,
    ignore_case: bool,
    whole_cell: bool,
) -> Result<Action, String> {
    if find.is_empty() {
        return Err("the text to find is empty".to_owned());
    }
    if regex {
        Regex::new(find).map_err(|e| describe(find, &e))?;
    }
    let pattern = if regex { find.to_owned() } else { regex_lite::escape(find) };
    let pattern = if whole_cell { format!("^(?:{pattern})$") } else { pattern };
    let compiled = RegexBuilder::new(&pattern)
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| format!("the text to find cannot be searched for: {e}"))?;
    Ok(Action::Replace { regex: compiled, with: with.to_owned(), expand: regex })
}

impl Action {
    /// The new value, when this action changes `value`.
    fn apply(&self, value: &str) -> Option<String> {
        let new = match self {
            Action::Replace { regex, with, expand } => match expand {
                true => regex.replace_all(value, with.as_str()),
                false => regex.replace_all(value, NoExpand(with)),
            },
            Action::Fill(fill) => match value.trim().is_empty() {
                true => Cow::Borrowed(fill.as_str()),
                false => return None,
            },
            Action::Trim => Cow::Borrowed(value.trim()),
            Action::Map(values) => Cow::Borrowed(values.get(value.trim())?.as_str()),
        };
        (new != value).then(|| new.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(json: &str) -> Result<Rules, ConfigError> {
        let rules: Vec<Rule> = serde_json::from_str(json).unwrap();
        Rules::compile(&rules, &["email", "plan"])
    }

    #[test]
    fn rules_apply_in_order_and_count_the_cells_each_changed() {
        let mut r = rules(
            r#"[{"kind":"trim"},
                {"kind":"map","column":"plan","values":{"Premium":"pro"}},
                {"kind":"replace","column":"plan","find":"pro","with":"business","wholeCell":true}]"#,
        )
        .unwrap();
        assert_eq!(r.apply(1, " Premium ").as_deref(), Some("business"));
        assert_eq!(r.apply(0, " Premium ").as_deref(), Some("Premium"));
        assert_eq!(r.apply(1, "free"), None);
        assert_eq!(r.hits(), &[2, 1, 1]);
    }

    #[test]
    fn a_literal_replace_finds_regex_characters_as_text_and_does_not_expand_dollars() {
        let mut r = rules(r#"[{"kind":"replace","find":"a.b","with":"$1"}]"#).unwrap();
        assert_eq!(r.apply(0, "a.b axb").as_deref(), Some("$1 axb"));
    }

    #[test]
    fn a_regex_replace_expands_groups_and_can_ignore_case() {
        let mut r = rules(
            r#"[{"kind":"replace","column":"email","find":"@(\\w+)\\.CON$","with":"@$1.com","regex":true,"ignoreCase":true}]"#,
        )
        .unwrap();
        assert_eq!(r.apply(0, "ann@mail.con").as_deref(), Some("ann@mail.com"));
        assert_eq!(r.apply(1, "ann@mail.con"), None);
    }

    #[test]
    fn whole_cell_replace_leaves_cells_that_only_contain_the_text() {
        let mut r = rules(r#"[{"kind":"replace","find":"N/A","with":"","wholeCell":true}]"#).unwrap();
        assert_eq!(r.apply(0, "N/A").as_deref(), Some(""));
        assert_eq!(r.apply(0, "N/A here"), None);
    }

    #[test]
    fn fill_empty_fills_blank_cells_only() {
        let mut r = rules(r#"[{"kind":"fillEmpty","column":"plan","value":"free"}]"#).unwrap();
        assert_eq!(r.apply(1, "").as_deref(), Some("free"));
        assert_eq!(r.apply(1, "  ").as_deref(), Some("free"));
        assert_eq!(r.apply(1, "pro"), None);
        assert_eq!(r.apply(0, ""), None);
    }

    #[test]
    fn a_map_compares_values_without_their_spaces() {
        let mut r =
            rules(r#"[{"kind":"map","column":"plan","values":{" oui ":"true","non":"false"}}]"#).unwrap();
        assert_eq!(r.apply(1, "oui ").as_deref(), Some("true"));
        assert_eq!(r.apply(1, "Oui"), None);
    }

    #[test]
    fn a_bad_rule_is_an_error_that_names_the_rule_and_what_is_wrong() {
        let e = rules(r#"[{"kind":"trim"},{"kind":"trim","column":"age"}]"#).unwrap_err().to_string();
        assert_eq!(e, r#"option "patches": rule 2: "age" is not a column of the schema"#);
        let e = rules(r#"[{"kind":"replace","find":""}]"#).unwrap_err().to_string();
        assert!(e.contains("rule 1: the text to find is empty"), "{e}");
        let e = rules(r#"[{"kind":"replace","find":"a(b","regex":true}]"#).unwrap_err().to_string();
        assert!(e.contains("rule 1: the regular expression is invalid at character 2"), "{e}");
    }

    proptest::proptest! {
        #[test]
        fn a_literal_replace_is_str_replace_and_trim_is_str_trim(
            value in r"[a-c.$()*\\ ]{0,12}",
            find in r"[a-c.$()*\\]{1,3}",
            with in "[a-c$1 ]{0,3}",
        ) {
            let rule = Rule::Replace { column: None, find: find.clone(), with: with.clone(), regex: false, ignore_case: false, whole_cell: false };
            let mut rules = Rules::compile(&[rule, Rule::Trim { column: None }], &["c"]).unwrap();
            let replaced = value.replace(&find, &with);
            let expected = replaced.trim();
            let got = rules.apply(0, &value);
            proptest::prop_assert_eq!(got.as_deref().unwrap_or(&value), expected);
            proptest::prop_assert_eq!(got.is_some(), expected != value);
        }
    }

    #[test]
    fn unknown_rule_fields_kinds_and_other_kinds_fields_are_refused() {
        let error = |json: &str| serde_json::from_str::<Rule>(json).unwrap_err().to_string();
        assert!(error(r#"{"kind":"trim","columns":"x"}"#).contains("unknown field `columns`"));
        assert!(error(r#"{"kind":"upper"}"#).contains("unknown variant `upper`"));
        assert!(error(r#"{"kind":"trim","value":"x"}"#).starts_with(r#"a trim rule does not take "value""#));
        assert!(
            error(r#"{"kind":"fillEmpty","column":"x"}"#).starts_with(r#"a fillEmpty rule needs "value""#)
        );
        assert!(error(r#"{"kind":"replace"}"#).starts_with(r#"a replace rule needs "find""#));
    }

    #[test]
    fn a_rule_reads_back_what_it_writes() {
        for json in [
            r#"{"kind":"replace","column":null,"find":"a","with":"","regex":true,"ignoreCase":false,"wholeCell":false}"#,
            r#"{"kind":"fillEmpty","column":"plan","value":"free"}"#,
            r#"{"kind":"trim","column":"plan"}"#,
            r#"{"kind":"map","column":"plan","values":{"oui":"true"}}"#,
        ] {
            let rule: Rule = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&rule).unwrap(), json);
        }
    }
}
