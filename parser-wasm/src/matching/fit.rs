//! Matching that reads values as well as headers: each pair of a header and a schema column
//! that the header names suggest is weighed by the share of the header's sample values the
//! column's own check accepts, so a column of codes is not suggested for a whole-number field
//! on its name alone, and a suggestion whose values mostly fail says so and names the unused
//! column that fits best.
//!
//! The confidence of a pair is its header confidence (the [module's scale](super)) times
//! `0.5 + 0.5 * share`: a column none of whose values pass keeps half of it, one whose values
//! all pass keeps all of it, one without sample values keeps its header confidence. The
//! assignment is then made on these confidences exactly as [`super::match_columns`] makes it.

use super::assign::{Assignment, Candidate, CandidatePool, key_ranks};
use super::fuzzy::FuzzyName;
use super::index::TargetIndex;
use super::normalize::Forms;
use super::{ColumnMatch, MatchOptions, MatchTarget};
use crate::schema::{Buffers, Column, Schema};
use serde::{Deserialize, Serialize};

/// Most sample rows read per column.
pub const MAX_SAMPLE_ROWS: usize = 100;

/// Below this share of accepted sample values a suggestion is flagged.
const FIT_FLOOR: f64 = 0.5;

/// The part of the confidence the values decide.
const VALUE_WEIGHT: f64 = 0.5;

/// How a header's sample values fare under a schema column's check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValueFit {
    /// The non-empty sample values checked.
    pub sampled: usize,
    /// How many of them the check accepts.
    pub accepted: usize,
    /// The most common failure code, if any value failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl ValueFit {
    /// The share of values accepted; 1 when there were none to check.
    pub fn share(&self) -> f64 {
        if self.sampled == 0 { 1.0 } else { self.accepted as f64 / self.sampled as f64 }
    }
}

/// A suggestion whose values mostly fail: what to tell the user, and a better column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FitProblem {
    /// "most values of 'Customer Id' are not whole numbers".
    pub message: String,
    /// The unused column whose values fit the field best, if one mostly fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative: Option<Alternative>,
}

/// An unused header suggested instead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alternative {
    /// The header's index in the header row.
    pub header_index: usize,
    /// The header as given.
    pub header: String,
    /// How its sample values fare.
    pub fit: ValueFit,
}

/// Suggests a column for each header from its name and its sample values; `rows` are sample
/// rows of the file (fields in header order; the first [`MAX_SAMPLE_ROWS`] are read).
pub fn match_with_values(
    headers: &[&str],
    schema: &Schema,
    rows: &[Vec<String>],
    options: &MatchOptions,
) -> ColumnMatch {
    let columns = schema.columns();
    let targets: Vec<MatchTarget<'_>> = columns.iter().map(target).collect();
    let fits: Vec<Vec<ValueFit>> =
        (0..headers.len()).map(|h| columns.iter().map(|c| fit(c, h, rows)).collect()).collect();
    let candidates = header_candidates(headers, &targets, options.fuzzy_threshold);
    let keys: Vec<&str> = targets.iter().map(|t| t.key).collect();
    let chosen = assign(candidates, &fits, &keys, headers.len());
    let mut found = super::report(headers, &targets, &chosen);
    for suggestion in &mut found.suggestions {
        let Some(target) = keys.iter().position(|k| *k == suggestion.column_key) else { continue };
        let Some(value_fit) = fits.get(suggestion.header_index).and_then(|f| f.get(target)) else { continue };
        suggestion.problem =
            problem(&suggestion.header, value_fit, || alternative(headers, &fits, &chosen, target));
        suggestion.fit = Some(value_fit.clone());
    }
    found
}

/// Chooses among `candidates` as the header matcher does, on confidences weighed by `fits`.
fn assign(candidates: Vec<Candidate>, fits: &[Vec<ValueFit>], keys: &[&str], headers: usize) -> Assignment {
    let ranks = key_ranks(keys);
    let mut pool = CandidatePool::new(&ranks, headers);
    for mut candidate in candidates {
        let fit = fits.get(candidate.header).and_then(|f| f.get(candidate.target));
        candidate.confidence *= 1.0 - VALUE_WEIGHT + VALUE_WEIGHT * fit.map_or(1.0, ValueFit::share);
        pool.push(candidate);
    }
    let mut chosen = Assignment::new(headers, keys.len());
    pool.assign_to(&mut chosen);
    chosen
}

/// What the matcher knows of a schema column.
pub(crate) fn target(column: &Column) -> MatchTarget<'_> {
    MatchTarget {
        key: column.key(),
        label: column.label(),
        keywords: column.keywords(),
        required: column.required(),
    }
}

/// Every pair of a header and a column that the names suggest, with its header confidence.
fn header_candidates(headers: &[&str], targets: &[MatchTarget<'_>], threshold: f64) -> Vec<Candidate> {
    let index = TargetIndex::new(targets);
    let ranks = vec![0; targets.len()];
    // As many kept per column as there are headers: nothing is trimmed.
    let mut pool = CandidatePool::new(&ranks, headers.len());
    for (header, name) in headers.iter().enumerate() {
        let forms = Forms::new(name);
        let mut exact = Vec::new();
        index.exact_candidates(header, &forms, |candidate| exact.push(candidate));
        let free: Vec<usize> = (0..targets.len()).filter(|t| exact.iter().all(|c| c.target != *t)).collect();
        exact.into_iter().for_each(|candidate| pool.push(candidate));
        if let Some(fuzzy) = FuzzyName::new(&forms).filter(|_| threshold <= 1.0) {
            index.fuzzy_candidates(header, &fuzzy, threshold, &free, &mut pool);
        }
    }
    pool.into_candidates()
}

/// How the sample values of header `header` fare under `column`'s check.
fn fit(column: &Column, header: usize, rows: &[Vec<String>]) -> ValueFit {
    let (mut out, mut scratch, mut buffers) = (String::new(), String::new(), Buffers::default());
    // Failure codes and their counts: a handful at most, so a list beats a map (and its code).
    let mut failures: Vec<(&'static str, usize)> = Vec::new();
    let mut result = ValueFit::default();
    for row in rows.iter().take(MAX_SAMPLE_ROWS) {
        let Some(value) = row.get(header) else { continue };
        let checked = column.prepare(value, &mut buffers).and_then(|value| match value.is_empty() {
            true => Ok(None),
            false => {
                out.clear();
                column.check.run(value, &mut out, &mut scratch).map(Some)
            }
        });
        if let Ok(None) = checked {
            continue;
        }
        result.sampled += 1;
        match checked {
            Ok(_) => result.accepted += 1,
            Err(failure) => match failures.iter_mut().find(|(code, _)| *code == failure.code()) {
                Some((_, n)) => *n += 1,
                None => failures.push((failure.code(), 1)),
            },
        }
    }
    let most = failures.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)));
    result.failure = most.map(|(code, _)| code.to_owned());
    result
}

/// The problem of a suggestion whose values mostly fail.
fn problem(
    header: &str,
    fit: &ValueFit,
    alternative: impl FnOnce() -> Option<Alternative>,
) -> Option<FitProblem> {
    if fit.sampled == 0 || fit.share() >= FIT_FLOOR {
        return None;
    }
    let what = fit.failure.as_deref().map_or("do not pass this field's check", phrase);
    Some(FitProblem { message: format!("most values of '{header}' {what}"), alternative: alternative() })
}

/// The unused header whose values fit column `target` best, if they mostly fit.
fn alternative(
    headers: &[&str],
    fits: &[Vec<ValueFit>],
    chosen: &Assignment,
    target: usize,
) -> Option<Alternative> {
    let unused = chosen.by_header.iter().enumerate().filter(|(_, c)| c.is_none()).map(|(h, _)| h);
    let fitting = unused.filter_map(|h| Some((h, fits.get(h)?.get(target)?))).filter(|(_, f)| f.sampled > 0);
    let best = fitting.fold(None::<(usize, &ValueFit)>, |best, (h, f)| match best {
        Some((_, b)) if b.share() >= f.share() => best,
        _ => Some((h, f)),
    })?;
    let (header_index, fit) = best;
    (fit.share() >= FIT_FLOOR).then(|| Alternative {
        header_index,
        header: headers.get(header_index).map_or_else(String::new, |h| (*h).to_owned()),
        fit: fit.clone(),
    })
}

/// What most values are not, by failure code, for "most values of 'X' …".
fn phrase(code: &str) -> &'static str {
    match code {
        "not_an_integer" | "has_decimals" => "are not whole numbers",
        "not_a_number" | "wrong_decimal_separator" => "are not numbers written as this field expects",
        "out_of_range" | "below_minimum" | "above_maximum" => "are outside the allowed range",
        "not_a_boolean" => "are not yes/no values",
        "invalid_date" | "date_does_not_exist" => "are not dates written as this field expects",
        "invalid_datetime" | "datetime_does_not_exist" => {
            "are not dates and times written as this field expects"
        }
        "invalid_time" | "time_does_not_exist" => "are not times written as this field expects",
        "invalid_email" | "email_missing_at" | "email_invalid_domain" => "are not email addresses",
        "invalid_url" | "url_scheme" => "are not web addresses",
        "invalid_uuid" => "are not UUIDs",
        "not_allowed" => "are not among the allowed values",
        "too_short" => "are too short",
        "too_long" => "are too long",
        _ => "do not have the expected format",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A public sample "customers" export nobody here wrote.
    const CUSTOMERS: &str = "\
Index,Customer Id,First Name,Last Name,Company,City,Country,Phone 1,Phone 2,Email,Subscription Date,Website
1,DD37Cf93aecA6Dc,Sheryl,Baxter,Rasmussen Group,East Leonard,Chile,229.077.5154,397.884.0519x718,zunigavanessa@smith.info,2020-08-24,http://www.stephenson.com/
2,1Ef7b82A4CAAD10,Preston,Lozano,Vega-Gentry,East Jimmychester,Djibouti,5153435776,686-620-1820x944,vmata@colon.com,2021-04-23,http://www.hobbs.com/
3,6F94879bDAfE5a6,Roy,Berry,Murillo-Perry,Isabelborough,Antigua and Barbuda,+1-539-402-0259,(496)978-3969x58947,beckycarr@hogan.com,2020-03-25,http://www.lawrence.com/
4,5Cef8BFA16c5e3c,Linda,Olsen,Dominguez Mcmillan and Donovan,Bensonview,Dominican Republic,001-808-617-6467x12895,+1-813-324-8756,stanleyblackwell@benson.org,2020-06-02,http://www.good-lyons.com/
5,053d585Ab6b3159,Joanna,Bender,Martin Lang and Andrade,West Priscilla,Slovakia (Slovak Republic),001-234-203-0635x76146,001-199-446-3860x3486,colinalvarado@miles.net,2021-04-17,https://goodwin-ingram.com/
6,0yJn77tfsE,Aimee,Downs,Steele Group,Chavezborough,Bosnia and Herzegovina,(283)437-3886x88321,999-728-1637,louis27@gilbert.com,2020-02-25,http://www.berger.net/";

    const SCHEMA: &str = r#"{"version": 1, "columns": [
        {"key": "id", "type": "integer", "label": "Customer ID", "required": true},
        {"key": "first_name", "type": "text", "label": "First name"},
        {"key": "email", "type": "email", "label": "Email", "required": true},
        {"key": "plan", "type": "enum", "values": ["free", "pro", "enterprise"],
         "keywords": ["subscription plan"]},
        {"key": "subscribed", "type": "date", "label": "Signed up", "formats": ["%d/%m/%Y"]},
        {"key": "website", "type": "url"}
    ]}"#;

    fn customers() -> (Vec<String>, Vec<Vec<String>>) {
        let mut lines = CUSTOMERS.lines().map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>());
        let header = lines.next().unwrap_or_default();
        (header, lines.collect())
    }

    fn matched(schema: &str, headers: &[String], rows: &[Vec<String>]) -> ColumnMatch {
        let schema = Schema::from_json(schema).unwrap();
        let names: Vec<&str> = headers.iter().map(String::as_str).collect();
        match_with_values(&names, &schema, rows, &MatchOptions::default())
    }

    fn suggestion<'a>(found: &'a ColumnMatch, key: &str) -> &'a super::super::Suggestion {
        found
            .suggestions
            .iter()
            .find(|s| s.column_key == key)
            .unwrap_or_else(|| panic!("no suggestion for {key}"))
    }

    #[test]
    fn a_column_of_codes_is_not_a_confident_whole_number_id() {
        let (headers, rows) = customers();
        let found = matched(SCHEMA, &headers, &rows);
        let id = suggestion(&found, "id");
        assert_eq!(id.header, "Customer Id", "the header names still suggest it");
        assert!(id.confidence <= 0.5, "values that all fail halve the confidence: {}", id.confidence);
        let fit = id.fit.as_ref().unwrap();
        assert_eq!((fit.sampled, fit.accepted, fit.failure.as_deref()), (6, 0, Some("not_an_integer")));
        let problem = id.problem.as_ref().unwrap();
        assert_eq!(problem.message, "most values of 'Customer Id' are not whole numbers");
        let alternative = problem.alternative.as_ref().unwrap();
        assert_eq!((alternative.header_index, alternative.header.as_str()), (0, "Index"));
        assert_eq!((alternative.fit.sampled, alternative.fit.accepted), (6, 6));
    }

    #[test]
    fn a_column_of_dates_is_not_a_confident_enum() {
        let (headers, rows) = customers();
        let found = matched(SCHEMA, &headers, &rows);
        let plan = suggestion(&found, "plan");
        assert_eq!(plan.header, "Subscription Date", "the name alone is close to \"subscription plan\"");
        assert!(plan.confidence < 0.5, "{}", plan.confidence);
        let problem = plan.problem.as_ref().unwrap();
        assert_eq!(problem.message, "most values of 'Subscription Date' are not among the allowed values");
        assert_eq!(problem.alternative, None, "no unused column holds plans");
        let email = suggestion(&found, "email");
        assert_eq!((email.header.as_str(), email.confidence, &email.problem), ("Email", 1.0, &None));
        assert_eq!(email.fit.as_ref().map(|f| (f.sampled, f.accepted)), Some((6, 6)));
        assert_eq!(suggestion(&found, "website").confidence, 1.0);
    }

    #[test]
    fn the_column_whose_values_fit_is_preferred() {
        let schema = r#"{"version": 1, "columns": [
            {"key": "joined", "type": "date", "label": "Joined", "keywords": ["start date"]}]}"#;
        let headers = ["Joined".to_owned(), "Start date".to_owned()];
        let rows: Vec<Vec<String>> = [["yes", "2024-01-02"], ["no", "2023-12-31"]]
            .iter()
            .map(|r| r.map(str::to_owned).to_vec())
            .collect();
        let found = matched(schema, &headers, &rows);
        assert_eq!(found.suggestions.len(), 1);
        assert_eq!(found.suggestions[0].header, "Start date");
        assert_eq!(found.suggestions[0].problem, None);
        let without_values = matched(schema, &headers, &[]);
        assert_eq!(without_values.suggestions[0].header, "Joined", "names alone prefer the exact label");
        assert_eq!(without_values.suggestions[0].fit.as_ref().map(|f| f.sampled), Some(0));
    }

    #[test]
    fn values_are_weighed_as_the_column_transforms_them() {
        let schema = |transform: &str| {
            format!(
                r#"{{"version": 1, "columns": [{{"key": "phone", "type": "regex", "label": "Phone 1",
                    "pattern": "[0-9]{{10,15}}"{transform}}}]}}"#
            )
        };
        let (headers, rows) = customers();
        let found = matched(&schema(r#", "transform": ["digits"]"#), &headers, &rows);
        let phone = suggestion(&found, "phone");
        assert_eq!(phone.header, "Phone 1");
        // Digits only, four have 10 to 15 of them; the two with an extension (x12895) have 18.
        assert_eq!(phone.fit.as_ref().map(|f| (f.sampled, f.accepted)), Some((6, 4)));
        let found = matched(&schema(""), &headers, &rows);
        let as_written = suggestion(&found, "phone").fit.as_ref().map(|f| f.accepted);
        assert_eq!(as_written, Some(1), "only 5153435776 fits as written");
    }

    #[test]
    fn results_serialise_with_fit_and_problem() {
        let (headers, rows) = customers();
        let json = serde_json::to_value(matched(SCHEMA, &headers, &rows)).unwrap();
        let id = json["suggestions"].as_array().unwrap().iter().find(|s| s["columnKey"] == "id").unwrap();
        assert_eq!(id["fit"], serde_json::json!({"sampled": 6, "accepted": 0, "failure": "not_an_integer"}));
        assert_eq!(id["problem"]["alternative"]["headerIndex"], 0);
        assert_eq!(id["problem"]["alternative"]["fit"]["accepted"], 6);
    }

    proptest! {
        #[test]
        fn values_only_lower_confidence_and_mostly_failing_ones_are_flagged(
            values in proptest::collection::vec("[0-9a-z@.]{0,6}", 0..12),
        ) {
            let schema = r#"{"version": 1, "columns": [
                {"key": "n", "type": "integer", "label": "Number"},
                {"key": "e", "type": "email", "label": "Mail"}]}"#;
            let headers = ["Number".to_owned(), "Mail".to_owned()];
            let rows: Vec<Vec<String>> = values.iter().map(|v| vec![v.clone(), v.clone()]).collect();
            let found = matched(schema, &headers, &rows);
            prop_assert_eq!(found.suggestions.len(), 2);
            for s in &found.suggestions {
                let fit = s.fit.as_ref().unwrap();
                prop_assert!(s.confidence <= 1.0 && s.confidence >= 0.5);
                prop_assert!((s.confidence - (0.5 + 0.5 * fit.share())).abs() < 1e-9);
                prop_assert_eq!(s.problem.is_some(), fit.sampled > 0 && fit.share() < 0.5);
                prop_assert!(fit.accepted <= fit.sampled);
            }
        }
    }
}
