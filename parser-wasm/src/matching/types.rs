//! The inputs and outputs of column matching, shaped for JavaScript and JSON.

use super::fit::{FitProblem, ValueFit};
use serde::{Deserialize, Serialize};

/// A schema column that headers can be matched to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchTarget<'a> {
    /// The column's identifier, reported in [`Suggestion::column_key`]; keys should be unique.
    pub key: &'a str,
    /// The column's name as shown to users.
    pub label: &'a str,
    /// Other names a header may give this column ("Prénom", "given name" for a first name).
    pub keywords: &'a [String],
    /// Whether the import needs this column; if no header takes it, it is reported in
    /// [`ColumnMatch::missing_required`].
    pub required: bool,
}

/// How headers are matched.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct MatchOptions {
    /// The Jaro-Winkler similarity (0 to 1) a header needs to be suggested fuzzily.
    ///
    /// The default, `0.9`, keeps the same column spelled differently ("E-Mail-Adresse" and
    /// "email address" 0.97, "Postcode" and "Postal code" 0.96, "Adress" and "Address" 0.96)
    /// and drops unrelated look-alikes that score just below ("State" and "Status" 0.89,
    /// "Region" and "Religion" 0.89, "First name" and "Last name" 0.81). Lower values suggest
    /// more and worse; above 1 (or NaN) turns fuzzy matching off.
    pub fuzzy_threshold: f64,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions { fuzzy_threshold: 0.9 }
    }
}

/// How a header was matched to a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MatchMethod {
    /// The normalised header equals the column's normalised key or label.
    Exact,
    /// The normalised header equals one of the column's normalised keywords.
    Keyword,
    /// The header is similar enough to one of the column's names.
    Fuzzy,
}

impl MatchMethod {
    /// Rank among candidates of equal confidence: lower is preferred.
    pub(super) fn precedence(self) -> u8 {
        match self {
            MatchMethod::Exact => 0,
            MatchMethod::Keyword => 1,
            MatchMethod::Fuzzy => 2,
        }
    }
}

/// One header suggested for one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// The header's index in the header row.
    pub header_index: usize,
    /// The header as given.
    pub header: String,
    /// The [`MatchTarget::key`] of the column.
    pub column_key: String,
    /// How sure the match is, in `[0, 1]`; the [module documentation](super) gives the scale.
    pub confidence: f64,
    /// How the header was found.
    pub method: MatchMethod,
    /// How the header's sample values fare under the column's check, when values were given
    /// ([`super::match_with_values`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fit: Option<ValueFit>,
    /// Set when most sample values fail the column's check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<FitProblem>,
}

/// The suggested columns of a header row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnMatch {
    /// At most one per header and per column, sorted by header index.
    pub suggestions: Vec<Suggestion>,
    /// The indexes of headers without a suggestion, ascending.
    pub unmatched_headers: Vec<usize>,
    /// The keys of required columns that no header takes, in column order.
    pub missing_required: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::match_columns;
    use MatchMethod::{Exact, Fuzzy, Keyword};

    #[test]
    fn results_serialise_for_javascript() {
        let keywords = ["mail".to_owned()];
        let targets = [
            MatchTarget { key: "email", label: "Email", keywords: &keywords, required: true },
            MatchTarget { key: "first_name", label: "First name", keywords: &[], required: true },
        ];
        let found = match_columns(&["Mail", ""], &targets, &MatchOptions::default());
        let json = serde_json::to_value(&found).unwrap();
        let suggestion = serde_json::json!({
            "headerIndex": 0, "header": "Mail", "columnKey": "email", "confidence": 0.95, "method": "keyword",
        });
        let expected = serde_json::json!({
            "suggestions": [suggestion],
            "unmatchedHeaders": [1],
            "missingRequired": ["first_name"],
        });
        assert_eq!(json, expected);
        assert_eq!(serde_json::from_value::<ColumnMatch>(json).unwrap(), found);
        let methods = [(Exact, "\"exact\""), (Keyword, "\"keyword\""), (Fuzzy, "\"fuzzy\"")];
        for (method, json) in methods {
            assert_eq!(serde_json::to_string(&method).unwrap(), json);
        }
        let options: MatchOptions = serde_json::from_str("{}").unwrap();
        assert_eq!(options, MatchOptions::default());
        let options: MatchOptions = serde_json::from_str(r#"{"fuzzyThreshold":0.8}"#).unwrap();
        assert_eq!(options.fuzzy_threshold, 0.8);
        assert!(serde_json::from_str::<MatchOptions>(r#"{"threshold":0.8}"#).is_err());
    }
}
