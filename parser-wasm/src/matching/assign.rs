//! Choosing at most one column per header and one header per column, best candidates first.

use std::cmp::Ordering;

use super::MatchMethod;

/// A header that could fill a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Candidate {
    /// The header's index in the header row.
    pub(super) header: usize,
    /// The column's index in the targets.
    pub(super) target: usize,
    /// How the header was found.
    pub(super) method: MatchMethod,
    /// In `[0, 1]`; the module documentation gives the scale.
    pub(super) confidence: f64,
}

/// Each column's position in the order of its key, then its index: the last tie-break, so that
/// reordering the columns changes nothing.
pub(super) fn key_ranks(keys: &[&str]) -> Vec<usize> {
    let mut by_key: Vec<(&str, usize)> = keys.iter().copied().zip(0..).collect();
    by_key.sort_unstable();
    let mut ranks = vec![0; keys.len()];
    for (rank, &(_, target)) in by_key.iter().enumerate() {
        if let Some(slot) = ranks.get_mut(target) {
            *slot = rank;
        }
    }
    ranks
}

/// Candidates gathered per column, keeping only those that can still be chosen.
///
/// The greedy choice takes a column's candidates in order and skips one only when its header
/// is taken, which needs another column per skip. So a column gets one of its first `keep`
/// candidates or none, with `keep` the number of free columns (or headers, if fewer), and the
/// pool keeps only those: memory stays bounded by the columns, however many headers a low fuzzy
/// threshold lets through. Once a column has trimmed, a new candidate has to beat the worst one
/// kept, which lets the caller skip computing most of the hopeless ones.
#[derive(Debug)]
pub(super) struct CandidatePool<'r> {
    /// Per column, its candidates, trimmed to the best `keep` whenever they reach twice that.
    per_target: Vec<Vec<Candidate>>,
    /// From [`key_ranks`].
    ranks: &'r [usize],
    /// How many of a column's best candidates can be chosen.
    keep: usize,
    /// Per column, the confidence of its worst kept candidate once it had to trim, else 0.
    floors: Vec<f64>,
}

impl<'r> CandidatePool<'r> {
    /// An empty pool for the columns ranked by `ranks` that keeps the best `keep` candidates
    /// of each: the number of columns or of headers still free, whichever is smaller.
    pub(super) fn new(ranks: &'r [usize], keep: usize) -> Self {
        let (per_target, floors) = (vec![Vec::new(); ranks.len()], vec![0.0; ranks.len()]);
        CandidatePool { per_target, ranks, keep: keep.max(1), floors }
    }

    /// The confidence a new candidate for `target` needs to be kept: any below it is dropped.
    ///
    /// Candidates offered later with the same confidence and method lose on the header index,
    /// so offering headers in order makes candidates at the floor hopeless as well.
    pub(super) fn floor(&self, target: usize) -> f64 {
        self.floors.get(target).copied().unwrap_or(0.0)
    }

    /// Adds a candidate.
    pub(super) fn push(&mut self, candidate: Candidate) {
        let Some(candidates) = self.per_target.get_mut(candidate.target) else {
            return;
        };
        candidates.push(candidate);
        if candidates.len() >= 2 * self.keep {
            let (_, worst_kept, _) = candidates.select_nth_unstable_by(self.keep - 1, precedence);
            let floor = worst_kept.confidence;
            candidates.truncate(self.keep);
            if let Some(slot) = self.floors.get_mut(candidate.target) {
                *slot = floor;
            }
        }
    }

    /// Takes the candidates in order, accepting each whose header and column are both free.
    ///
    /// The order: higher confidence, then exact before keyword before fuzzy, then the lower
    /// header index, then the column whose key sorts first (then the lower column index).
    pub(super) fn assign_to(self, assignment: &mut Assignment) {
        let ranks = self.ranks;
        let mut candidates: Vec<Candidate> = self.per_target.into_iter().flatten().collect();
        candidates.sort_unstable_by(|a, b| {
            precedence(a, b).then_with(|| ranks.get(a.target).cmp(&ranks.get(b.target)))
        });
        for candidate in candidates {
            assignment.offer(candidate);
        }
    }

    /// Every kept candidate, column by column.
    pub(super) fn into_candidates(self) -> Vec<Candidate> {
        self.per_target.into_iter().flatten().collect()
    }

    /// Every kept candidate, column by column.
    #[cfg(test)]
    pub(super) fn candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.per_target.iter().flatten()
    }
}

/// The order of two candidates for one column: better first.
fn precedence(a: &Candidate, b: &Candidate) -> Ordering {
    b.confidence
        .total_cmp(&a.confidence)
        .then_with(|| a.method.precedence().cmp(&b.method.precedence()))
        .then_with(|| a.header.cmp(&b.header))
}

/// The chosen column of every header.
#[derive(Debug, PartialEq)]
pub(super) struct Assignment {
    /// Per header, the candidate accepted for it.
    pub(super) by_header: Vec<Option<Candidate>>,
    /// Per column, whether a header took it.
    pub(super) taken: Vec<bool>,
}

impl Assignment {
    /// Nothing chosen yet among `headers` headers and `targets` columns.
    pub(super) fn new(headers: usize, targets: usize) -> Self {
        Assignment { by_header: vec![None; headers], taken: vec![false; targets] }
    }

    /// The indexes of the columns no header took yet.
    pub(super) fn free_targets(&self) -> Vec<usize> {
        let taken = self.taken.iter().enumerate();
        taken.filter(|(_, taken)| !**taken).map(|(target, _)| target).collect()
    }

    /// Accepts `candidate` when its header and its column are both still free.
    fn offer(&mut self, candidate: Candidate) {
        let Some(slot) = self.by_header.get_mut(candidate.header).filter(|slot| slot.is_none()) else {
            return;
        };
        let Some(taken) = self.taken.get_mut(candidate.target).filter(|taken| !**taken) else {
            return;
        };
        *slot = Some(candidate);
        *taken = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(header: usize, target: usize, method: MatchMethod, confidence: f64) -> Candidate {
        Candidate { header, target, method, confidence }
    }

    fn assign(keys: &[&str], headers: usize, candidates: &[Candidate]) -> Vec<Option<usize>> {
        let ranks = key_ranks(keys);
        let mut pool = CandidatePool::new(&ranks, keys.len());
        candidates.iter().for_each(|&c| pool.push(c));
        let mut assignment = Assignment::new(headers, keys.len());
        pool.assign_to(&mut assignment);
        assignment.by_header.iter().map(|c| c.map(|c| c.target)).collect()
    }

    #[test]
    fn candidates_are_taken_best_first_with_every_tie_broken() {
        use MatchMethod::{Exact, Fuzzy, Keyword};
        // (what decides, column keys, header count, candidates, each header's column)
        type Case<'a> = (&'a str, &'a [&'a str], usize, &'a [Candidate], &'a [Option<usize>]);
        let cases: [Case<'_>; 7] = [
            ("nothing", &["a"], 1, &[], &[None]),
            (
                "confidence",
                &["a"],
                2,
                &[candidate(0, 0, Fuzzy, 0.8), candidate(1, 0, Fuzzy, 0.85)],
                &[None, Some(0)],
            ),
            (
                "method",
                &["a"],
                2,
                &[candidate(1, 0, Exact, 1.0), candidate(0, 0, Keyword, 1.0)],
                &[None, Some(0)],
            ),
            (
                "header index",
                &["a"],
                2,
                &[candidate(1, 0, Exact, 1.0), candidate(0, 0, Exact, 1.0)],
                &[Some(0), None],
            ),
            ("key", &["b", "a"], 1, &[candidate(0, 0, Exact, 1.0), candidate(0, 1, Exact, 1.0)], &[Some(1)]),
            (
                "column index",
                &["a", "a"],
                1,
                &[candidate(0, 1, Exact, 1.0), candidate(0, 0, Exact, 1.0)],
                &[Some(0)],
            ),
            (
                "next best",
                &["a", "b"],
                2,
                &[candidate(0, 0, Exact, 1.0), candidate(1, 0, Keyword, 0.95), candidate(1, 1, Fuzzy, 0.8)],
                &[Some(0), Some(1)],
            ),
        ];
        for (name, keys, headers, candidates, expected) in cases {
            assert_eq!(assign(keys, headers, candidates), expected, "{name}");
        }
    }

    #[test]
    fn trimming_a_column_to_its_best_candidates_changes_nothing() {
        // Two columns and many headers: each column keeps 2 candidates, and column 1's best
        // headers are all taken by column 0 except one.
        let mut candidates = Vec::new();
        for header in 0..20 {
            let confidence = 0.5 + f64::from(u8::try_from(header).unwrap()) / 100.0;
            candidates.push(candidate(header, 0, MatchMethod::Fuzzy, confidence));
            candidates.push(candidate(header, 1, MatchMethod::Fuzzy, confidence - 0.1));
        }
        let mut expected = vec![None; 20];
        expected[19] = Some(0);
        expected[18] = Some(1);
        assert_eq!(assign(&["a", "b"], 20, &candidates), expected);
    }

    #[test]
    fn the_floor_is_the_worst_kept_confidence_once_a_column_trims() {
        let ranks = key_ranks(&["a", "b"]);
        let mut pool = CandidatePool::new(&ranks, 2);
        let confidences = [0.81, 0.85, 0.83, 0.82];
        let mut floors = Vec::new();
        for (header, confidence) in confidences.into_iter().enumerate() {
            pool.push(candidate(header, 0, MatchMethod::Fuzzy, confidence));
            floors.push(pool.floor(0));
        }
        assert_eq!(floors, [0.0, 0.0, 0.0, 0.83]);
        assert_eq!((pool.floor(1), pool.floor(9)), (0.0, 0.0));
    }

    #[test]
    fn candidates_out_of_range_are_ignored() {
        let candidates = [candidate(5, 0, MatchMethod::Exact, 1.0), candidate(0, 5, MatchMethod::Exact, 1.0)];
        assert_eq!(assign(&["a"], 1, &candidates), [None]);
    }
}
