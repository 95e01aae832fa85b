//! The facts an error's message is built from, so that a user interface can say it in its own
//! language: schema-derived (bounds, allowed values, formats) or about the file's shape, never
//! the cell's value. Which code carries which fact is listed once, in `error-codes.json`.

use crate::record::Problem;
use crate::schema::Failure;
use serde::Serialize;
use std::sync::Arc;

/// The facts of one error's message; absent facts are left out of the JSON.
///
/// A column's facts are the same for each of its errors with the same code, so errors share
/// them (see [`Shared`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Params {
    /// The smallest value allowed, in canonical decimal digits (`"-5"`, `"0.5"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// The largest value allowed, in canonical decimal digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// The fewest characters allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<usize>,
    /// The most characters allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// A number written as the column expects (`"1,234.5"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// The column's decimal separator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decimal_separator: Option<char>,
    /// Allowed values (an enum's labels, a boolean's words), the first few.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// The shapes a date or time may be written in (`"DD/MM/YYYY"`), the first few.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formats: Option<Vec<String>>,
    /// How many more allowed values or formats there are than listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<usize>,
    /// The allowed URL schemes (`"https"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schemes: Option<Vec<String>>,
    /// The label of the allowed value the cell matches but for case or spacing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closest: Option<String>,
    /// The message is the schema's own (a regex column's `message`), shown as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom: Option<bool>,
    /// A size limit: bytes of a field or row, or fields of a row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
    /// Fields the header has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<usize>,
    /// Fields the row has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<usize>,
    /// The line where a quote that is never closed opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quote_line: Option<u64>,
    /// The error a spreadsheet cell shows (`"#DIV/0!"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula_error: Option<String>,
}

/// One error's facts, shared by every error of its column and code: cloning costs a count.
pub type Shared = Arc<Params>;

impl Params {
    /// The facts of a structural problem's message.
    pub fn of_problem(problem: &Problem) -> Params {
        let none = Params::default();
        match problem {
            Problem::UnterminatedQuote { opened, .. } => Params { quote_line: Some(opened.line), ..none },
            Problem::FieldTooLarge { limit, quote_opened, .. } => {
                Params { limit: Some(*limit), quote_line: quote_opened.map(|p| p.line), ..none }
            }
            Problem::RecordTooLarge { limit, .. } | Problem::TooManyColumns { limit } => {
                Params { limit: Some(*limit), ..none }
            }
            Problem::TooFewFields { expected, found } | Problem::TooManyFields { expected, found } => {
                Params { expected: Some(*expected), found: Some(*found), ..none }
            }
            Problem::InvalidEncoding { .. } => none,
            Problem::FormulaError { error, .. } => Params { formula_error: Some(error.clone()), ..none },
        }
    }
}

/// The facts of each (column, failure) met so far, built on first use: a column's errors share
/// one allocation however many there are.
#[derive(Debug, Default)]
pub(crate) struct ParamsCache {
    entries: Vec<(usize, Failure, Shared)>,
    empty: Shared,
}

impl ParamsCache {
    /// The facts of `key` in column `column`, built by `build` the first time.
    pub(crate) fn get(&mut self, column: usize, key: Failure, build: impl FnOnce() -> Params) -> Shared {
        if let Some((_, _, shared)) = self.entries.iter().find(|(c, k, _)| *c == column && *k == key) {
            return Arc::clone(shared);
        }
        let shared = Arc::new(build());
        self.entries.push((column, key, Arc::clone(&shared)));
        shared
    }

    /// No facts (`required`, `duplicate`), shared.
    pub(crate) fn empty(&self) -> Shared {
        Arc::clone(&self.empty)
    }
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
