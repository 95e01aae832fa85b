//! The schema columns prepared once, and the candidates one header finds among them.

use std::collections::BTreeMap;

use super::assign::{Candidate, CandidatePool};
use super::fuzzy::FuzzyName;
use super::normalize::Forms;
use super::{MatchMethod, MatchTarget};

/// Confidence of a header whose comparison form equals a column's key or label.
const EXACT_CONFIDENCE: f64 = 1.0;

/// Confidence of a header whose comparison form equals one of a column's keywords.
const KEYWORD_CONFIDENCE: f64 = 0.95;

/// Fuzzy confidence is the similarity times this, so it stays below [`KEYWORD_CONFIDENCE`].
pub(super) const FUZZY_SCALE: f64 = 0.89;

/// Lowers the similarity derived from a pool's confidence floor by more than the rounding of
/// the division, so that no candidate the pool would keep is skipped.
const FLOOR_ROUNDING: f64 = 1.0 - 1e-12;

/// The comparison forms of every column's key, label and keywords.
#[derive(Debug)]
pub(super) struct TargetIndex {
    /// Columns by comparison form, in column order, each with its best method for that form
    /// and that method's confidence.
    exact: BTreeMap<String, Vec<(usize, MatchMethod, f64)>>,
    /// Per column, its distinct names prepared for fuzzy comparison.
    fuzzy: Vec<Vec<FuzzyName>>,
}

impl TargetIndex {
    /// Normalises every name of every column once.
    pub(super) fn new(targets: &[MatchTarget<'_>]) -> Self {
        let mut exact: BTreeMap<String, Vec<(usize, MatchMethod, f64)>> = BTreeMap::new();
        let mut fuzzy = Vec::with_capacity(targets.len());
        for (target, column) in targets.iter().enumerate() {
            let mut names = Vec::new();
            for (forms, method, confidence) in column_names(column) {
                if forms.compact.is_empty() {
                    continue;
                }
                let columns = exact.entry(forms.compact.clone()).or_default();
                // Key and label come before keywords, so the first entry is the best method.
                if columns.last().is_none_or(|&(last, _, _)| last != target) {
                    columns.push((target, method, confidence));
                }
                if !names.contains(&forms) {
                    names.push(forms);
                }
            }
            fuzzy.push(names.iter().filter_map(FuzzyName::new).collect());
        }
        TargetIndex { exact, fuzzy }
    }

    /// Passes the exact and keyword candidates of one header to `accept`, from one lookup.
    pub(super) fn exact_candidates(&self, header: usize, forms: &Forms, mut accept: impl FnMut(Candidate)) {
        let Some(found) = self.exact.get(&forms.compact) else {
            return;
        };
        for &(target, method, confidence) in found {
            accept(Candidate { header, target, method, confidence });
        }
    }

    /// Adds the fuzzy candidates of one header among the `free` columns to `pool`.
    ///
    /// A similarity is computed only as far as it can reach both the threshold and the
    /// pool's floor for that column.
    pub(super) fn fuzzy_candidates(
        &self,
        header: usize,
        name: &FuzzyName,
        threshold: f64,
        free: &[usize],
        pool: &mut CandidatePool<'_>,
    ) {
        for &target in free {
            let Some(names) = self.fuzzy.get(target) else {
                continue;
            };
            let floor = threshold.max(pool.floor(target) / FUZZY_SCALE * FLOOR_ROUNDING);
            if let Some(similarity) = best_similarity(name, names, floor) {
                let (method, confidence) = (MatchMethod::Fuzzy, FUZZY_SCALE * similarity);
                pool.push(Candidate { header, target, method, confidence });
            }
        }
    }
}

/// The key and label then the keywords of a column, normalised, with method and confidence.
fn column_names<'a>(column: &'a MatchTarget<'_>) -> impl Iterator<Item = (Forms, MatchMethod, f64)> + 'a {
    let exact = [column.key, column.label].into_iter();
    let exact = exact.map(|name| (name, MatchMethod::Exact, EXACT_CONFIDENCE));
    let keywords = column.keywords.iter();
    let keywords = keywords.map(|name| (name.as_str(), MatchMethod::Keyword, KEYWORD_CONFIDENCE));
    exact.chain(keywords).map(|(name, method, confidence)| (Forms::new(name), method, confidence))
}

/// The best similarity of `header` to any of `names`, when one reaches `threshold`.
fn best_similarity(header: &FuzzyName, names: &[FuzzyName], threshold: f64) -> Option<f64> {
    names.iter().fold(None, |best, name| {
        let floor = best.unwrap_or(threshold);
        header.similarity(name, floor).or(best)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(index: &TargetIndex, header: &str) -> Vec<Candidate> {
        let mut found = Vec::new();
        index.exact_candidates(7, &Forms::new(header), |candidate| found.push(candidate));
        found
    }

    fn fuzzy(index: &TargetIndex, header: &str, free: &[usize]) -> Vec<Candidate> {
        let ranks = vec![0; index.fuzzy.len()];
        let mut pool = CandidatePool::new(&ranks, ranks.len());
        if let Some(name) = FuzzyName::new(&Forms::new(header)) {
            index.fuzzy_candidates(7, &name, 0.9, free, &mut pool);
        }
        pool.candidates().copied().collect()
    }

    #[test]
    fn each_column_appears_once_with_its_best_method() {
        let keywords = ["E-mail".to_owned(), "email".to_owned(), "mail".to_owned()];
        let targets = [
            MatchTarget { key: "email", label: "Email", keywords: &keywords, required: true },
            MatchTarget { key: "mail_opt_in", label: "Mail", keywords: &[], required: false },
            MatchTarget { key: "notes", label: "", keywords: &[], required: false },
        ];
        let index = TargetIndex::new(&targets);
        let cases: [(&str, &[(usize, MatchMethod)]); 5] = [
            ("EMAIL", &[(0, MatchMethod::Exact)]),
            ("mail", &[(0, MatchMethod::Keyword), (1, MatchMethod::Exact)]),
            ("e_mail", &[(0, MatchMethod::Exact)]),
            ("", &[]),
            ("Telephone", &[]),
        ];
        for (header, expected) in cases {
            let found: Vec<_> = exact(&index, header).iter().map(|c| (c.target, c.method)).collect();
            assert_eq!(found, expected, "{header:?}");
        }
    }

    #[test]
    fn fuzzy_candidates_come_from_the_free_columns_only() {
        let targets = [
            MatchTarget { key: "emails", label: "", keywords: &[], required: false },
            MatchTarget { key: "email", label: "", keywords: &[], required: false },
            MatchTarget { key: "e_mail", label: "", keywords: &[], required: false },
        ];
        let index = TargetIndex::new(&targets);
        let cases: [(&[usize], &[usize]); 4] =
            [(&[0, 1, 2], &[0, 1, 2]), (&[2], &[2]), (&[], &[]), (&[1, 9], &[1])];
        for (free, expected) in cases {
            let found: Vec<_> = fuzzy(&index, "Emails", free).iter().map(|c| c.target).collect();
            assert_eq!(found, expected, "{free:?}");
        }
        let found = fuzzy(&index, "Email", &[0]);
        let candidate = found.first().expect("a fuzzy candidate");
        assert_eq!((candidate.header, candidate.method), (7, MatchMethod::Fuzzy));
        let expected = FUZZY_SCALE * strsim::jaro_winkler("email", "emails");
        assert!((candidate.confidence - expected).abs() < 1e-12);
    }

    #[test]
    fn best_similarity_takes_the_closest_name_of_a_column() {
        let keywords = ["given name".to_owned(), "forename".to_owned()];
        let targets =
            [MatchTarget { key: "first_name", label: "First", keywords: &keywords, required: false }];
        let index = TargetIndex::new(&targets);
        let cases = [("Forenames", Some(0.978)), ("Given_Names", Some(0.98)), ("Surname", None)];
        for (header, expected) in cases {
            let found = fuzzy(&index, header, &[0]);
            let confidence = found.first().map(|c| (c.confidence / FUZZY_SCALE * 1e3).round() / 1e3);
            assert_eq!(confidence, expected, "{header:?}");
        }
    }
}
