//! The validator's plan for each schema column, decided once per file: where the column's cell
//! comes from, what an empty cell becomes, whether its values are remembered for uniqueness,
//! and its check specialised to the column, so that the row loop looks nothing up per cell.

use super::Params;
use super::mapping::Mapping;
use crate::checks::number;
use crate::schema::{self, Check, Column, Failure, Parsed, Transform};

/// What checking one schema column's cells needs, resolved from the schema and the mapping.
#[derive(Debug)]
pub(super) struct ColumnPlan {
    /// The file field that feeds the column, if any.
    pub(super) source: Option<usize>,
    pub(super) trims: bool,
    pub(super) required: bool,
    /// The canonical value an empty cell takes.
    pub(super) default: Option<String>,
    pub(super) unique: bool,
    /// Whether invalid values are listed for the user to map (enum and boolean columns).
    pub(super) lists_values: bool,
    /// Whether a spreadsheet's date cell is midnight here.
    pub(super) datetime: bool,
    pub(super) checker: Checker,
    /// The column's full check, which decides every value the specialised one does not.
    pub(super) check: Check,
    /// What rewrites the cell's text before the check, if anything.
    pub(super) transform: Option<Transform>,
}

/// A column's check specialised for the values most files hold. Each variant accepts a value
/// only where the full check would accept it with the same canonical form, and hands every
/// other value to the full check, so results never differ from it.
#[derive(Clone, Debug)]
pub(super) enum Checker {
    /// Text without a minimum length, at most `max` characters: a value of at most `max`
    /// bytes is valid as written.
    Text { max: usize },
    /// An integer column in the default format: a canonically written integer is read in one
    /// pass and compared with the bounds.
    Integer { min: i64, max: i64 },
    /// A `number` column in the default format: a canonically written decimal is compared
    /// with the bounds in place.
    Decimal,
    /// An enum of few ASCII values, or a boolean: a short ASCII value is looked up among the
    /// allowed words packed into integers (see [`packed`]), in schema order; `canonical` holds
    /// what each word stands for.
    Words { fold: bool, words: Vec<(u64, usize)>, canonical: Vec<String> },
    /// Anything else: the full check.
    Full,
}

impl ColumnPlan {
    /// The plans of every schema column, in schema order.
    pub(super) fn all(columns: &[Column], mapping: &Mapping) -> Vec<ColumnPlan> {
        let source = |i: usize| mapping.columns.get(i).and_then(|m| m.source);
        columns.iter().enumerate().map(|(i, column)| ColumnPlan::new(column, source(i))).collect()
    }

    fn new(column: &Column, source: Option<usize>) -> ColumnPlan {
        let check = column.check.clone();
        ColumnPlan {
            source,
            trims: column.trims(),
            required: column.required(),
            default: column.default_value().map(str::to_owned),
            unique: column.unique(),
            lists_values: matches!(check, Check::Enum(_) | Check::Boolean { .. }),
            datetime: check.is_datetime(),
            checker: Checker::of(&check),
            check,
            transform: column.transform.clone(),
        }
    }

    /// What the column expects, for a failure's message.
    pub(super) fn message(&self, failure: Failure) -> String {
        schema::message(&self.check, self.transform.as_ref(), failure)
    }

    /// The facts of [`ColumnPlan::message`].
    pub(super) fn params(&self, failure: Failure) -> Params {
        schema::params(&self.check, self.transform.as_ref(), failure)
    }

    /// Checks a non-empty value written in the file (not a typed spreadsheet cell), appending
    /// its canonical form to `out`.
    #[inline]
    pub(super) fn run(&self, value: &str, out: &mut String, scratch: &mut String) -> Result<Parsed, Failure> {
        let fast = match &self.checker {
            Checker::Text { max } if value.len() <= *max => {
                out.push_str(value);
                Some(Parsed::Other)
            }
            Checker::Integer { min, max } => integer(value, *min, *max, out),
            Checker::Decimal => {
                return self
                    .check
                    .plain_decimal(value, out)
                    .unwrap_or_else(|| self.check.run(value, out, scratch));
            }
            Checker::Words { fold, words, canonical } => word(value, *fold, words, canonical, out),
            _ => None,
        };
        fast.map_or_else(|| self.check.run(value, out, scratch), Ok)
    }
}

/// A canonically written integer within the bounds, appended as it is.
fn integer(value: &str, min: i64, max: i64, out: &mut String) -> Option<Parsed> {
    let n = number::canonical_integer(value.as_bytes()).filter(|n| (min..=max).contains(n))?;
    out.push_str(value);
    Some(Parsed::Integer(n))
}

/// A short ASCII value that is one of `words`: the canonical form of the first it matches.
fn word(
    value: &str,
    fold: bool,
    words: &[(u64, usize)],
    canonical: &[String],
    out: &mut String,
) -> Option<Parsed> {
    let key = packed(value, fold)?;
    let &(_, index) = words.iter().find(|(word, _)| *word == key)?;
    out.push_str(canonical.get(index)?);
    Some(Parsed::Other)
}

/// Up to seven ASCII bytes and their count in one integer, lowercased when `fold`, so that
/// a short word compares with another in one instruction; `None` for anything longer or not
/// ASCII.
fn packed(text: &str, fold: bool) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() > 7 || !bytes.is_ascii() {
        return None;
    }
    let mut word = [0; 8];
    for (slot, &b) in word.iter_mut().zip(bytes) {
        *slot = if fold { b.to_ascii_lowercase() } else { b };
    }
    if let Some(count) = word.last_mut() {
        *count = bytes.len() as u8;
    }
    Some(u64::from_le_bytes(word))
}

impl Checker {
    fn of(check: &Check) -> Checker {
        let default = number::NumberFormat::default();
        match check {
            Check::Text { min_length: None, max_length } => {
                Checker::Text { max: max_length.unwrap_or(usize::MAX) }
            }
            Check::Integer { min, max, format } if *format == default => {
                Checker::Integer { min: min.unwrap_or(i64::MIN), max: max.unwrap_or(i64::MAX) }
            }
            Check::Number { format, .. } if *format == default => Checker::Decimal,
            Check::Boolean { words } => {
                let truth = words.iter().map(|(word, truth)| (word.as_str(), usize::from(!truth)));
                Checker::words(true, truth, vec!["true".to_owned(), "false".to_owned()])
            }
            Check::Enum(e) if e.scan => {
                let names = e.values.iter().enumerate();
                let names = names.flat_map(|(i, (value, label))| [(value.as_str(), i), (label.as_str(), i)]);
                let canonical = e.values.iter().map(|(value, _)| value.clone()).collect();
                Checker::words(!e.case_sensitive, names, canonical)
            }
            _ => Checker::Full,
        }
    }

    /// Words packed for lookup, in order; those too long or not ASCII are left to the full
    /// check (a short ASCII value never matches them).
    fn words<'w>(
        fold: bool,
        names: impl Iterator<Item = (&'w str, usize)>,
        canonical: Vec<String>,
    ) -> Checker {
        let words = names.filter_map(|(name, i)| packed(name, fold).map(|key| (key, i))).collect();
        Checker::Words { fold, words, canonical }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Schema;
    use proptest::prelude::*;

    const SCHEMA: &str = r#"{"version": 1, "columns": [
        {"key": "text", "type": "text"},
        {"key": "short", "type": "text", "max_length": 4},
        {"key": "count", "type": "integer"},
        {"key": "age", "type": "integer", "min": 0, "max": 150},
        {"key": "amount", "type": "number"},
        {"key": "balance", "type": "number", "min": 0},
        {"key": "range", "type": "number", "min": -10.5, "max": 1e6},
        {"key": "tiny", "type": "number", "min": 1e-7, "max": 1e21},
        {"key": "active", "type": "boolean"},
        {"key": "ok", "type": "boolean", "true_values": ["oui", "Yes-Sir!"], "false_values": ["non", "nein"]},
        {"key": "plan", "type": "enum", "values": ["free", "pro", {"value": "gold", "label": "Gold plan"}]},
        {"key": "land", "type": "enum", "case_sensitive": true, "values": ["FR", "de", {"value": "GB", "label": "UK"}]}
    ]}"#;

    /// Every column's specialised check against its full check: same outcome, same output.
    fn agree(value: &str) -> Result<(), TestCaseError> {
        let schema = Schema::from_json(SCHEMA).unwrap();
        for column in schema.columns() {
            let plan = ColumnPlan::new(column, Some(0));
            let (mut fast, mut full) = ("before|".to_owned(), "before|".to_owned());
            let specialised = plan.run(value, &mut fast, &mut String::new());
            let general = column.check.run(value, &mut full, &mut String::new());
            prop_assert_eq!((specialised, fast), (general, full), "{} {:?}", column.key(), value);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn specialised_checks_decide_as_the_full_checks(
            value in "[-+0-9.,eE]{1,24}|[a-zA-Z -]{1,10}|-?[0-9]{1,22}(\\.[0-9]{0,22})?"
        ) {
            agree(&value)?;
        }
    }

    #[test]
    fn edge_values_decide_as_the_full_checks() {
        let values = [
            "0",
            "-0",
            "00",
            "0.0",
            "-0.0",
            "0.",
            ".5",
            "-.5",
            "1e3",
            "150",
            "151",
            "-1",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "0.0000001",
            "0.00000009",
            "-10.5",
            "-10.51",
            "1000000",
            "1000000.0000001",
            "1e21",
            "1000000000000000000000",
            "TRUE",
            "t",
            "Oui",
            "YES-SIR!",
            "yes-sir!",
            "NON",
            "Free",
            "PRO",
            "gold plan",
            "Gold Plan",
            "gold",
            "fr",
            "FR",
            "uk",
            "UK",
            "GB",
            "Zoë",
            "abcd",
            "abcde",
            "ÄÖÜ",
            "é",
            "12345678",
            "free ",
            " pro",
        ];
        for value in values {
            agree(value).unwrap();
        }
        let long = format!("0.{}", "1".repeat(400));
        agree(&long).unwrap();
    }

    #[test]
    fn common_values_take_the_specialised_paths() {
        let schema = Schema::from_json(SCHEMA).unwrap();
        let plan = |key: &str| ColumnPlan::new(schema.column(key).unwrap(), None);
        let mut out = String::new();
        assert!(matches!(plan("short").checker, Checker::Text { max: 4 }));
        assert_eq!(integer("42", 0, 150, &mut out), Some(Parsed::Integer(42)));
        assert_eq!(plan("balance").check.plain_decimal("12.50", &mut out), Some(Ok(Parsed::Other)));
        let enumeration = plan("plan");
        let Checker::Words { fold, words, canonical } = &enumeration.checker else { panic!("words") };
        assert_eq!(word("PRO", *fold, words, canonical, &mut out), Some(Parsed::Other));
        let boolean = plan("active");
        let Checker::Words { fold, words, canonical } = &boolean.checker else { panic!("words") };
        assert_eq!(word("Y", *fold, words, canonical, &mut out), Some(Parsed::Other));
        assert_eq!(out, "4212.50protrue");
    }
}
