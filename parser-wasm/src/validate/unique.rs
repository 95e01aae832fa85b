//! Uniqueness of a column's values over millions of rows in bounded memory: integers are kept
//! exactly as runs of consecutive values (an id column costs a few bytes in all), other values
//! as 128-bit fingerprints (xxh3-128; a false duplicate needs a 128-bit collision). Both stop
//! growing at a configured number of entries.

use crate::schema::Parsed;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// The values seen so far in one column.
#[derive(Debug)]
pub(crate) enum UniqueIndex {
    Integers(Runs),
    Fingerprints(HashSet<u128, BuildHasherDefault<Prehashed>>),
}

/// What inserting a value found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    New,
    Before,
    /// The index is full; the value was not checked.
    Full,
}

impl UniqueIndex {
    pub(crate) fn new(integers: bool) -> Self {
        if integers {
            UniqueIndex::Integers(Runs::default())
        } else {
            UniqueIndex::Fingerprints(HashSet::default())
        }
    }

    /// Records a canonical value (`parsed` carries an integer column's number); `limit` bounds
    /// the entries kept.
    pub(crate) fn insert(&mut self, value: &str, parsed: Parsed, limit: usize) -> Seen {
        match self {
            UniqueIndex::Integers(runs) => match parsed {
                Parsed::Integer(n) => runs.insert(n, limit),
                Parsed::Other => Seen::New,
            },
            UniqueIndex::Fingerprints(set) => {
                insert_fingerprint(set, xxhash_rust::xxh3::xxh3_128(value.as_bytes()), limit)
            }
        }
    }
}

/// Adds a value's fingerprint to a column's set, unless it is there already or the set is full.
pub(crate) fn insert_fingerprint(
    set: &mut HashSet<u128, BuildHasherDefault<Prehashed>>,
    fingerprint: u128,
    limit: usize,
) -> Seen {
    if set.contains(&fingerprint) {
        Seen::Before
    } else if set.len() >= limit {
        Seen::Full
    } else {
        set.insert(fingerprint);
        Seen::New
    }
}

/// Disjoint runs of consecutive integers, `start → end` (inclusive). The run last grown is
/// kept aside (`hot`), so that ids in order cost no map operation at all.
#[derive(Debug, Default)]
pub(crate) struct Runs {
    runs: BTreeMap<i64, i64>,
    hot: Option<(i64, i64)>,
}

impl Runs {
    fn insert(&mut self, n: i64, limit: usize) -> Seen {
        if let Some((start, end)) = self.hot {
            if (start..=end).contains(&n) {
                return Seen::Before;
            }
            let next = n.checked_add(1);
            if end.checked_add(1) == Some(n) && next.is_none_or(|next| !self.runs.contains_key(&next)) {
                self.hot = Some((start, n));
                return Seen::New;
            }
            self.runs.insert(start, end);
        }
        let seen = self.insert_cold(n, limit);
        if seen == Seen::New {
            self.hot = self.runs.range(..=n).next_back().map(|(&s, &e)| (s, e));
            if let Some((start, _)) = self.hot {
                self.runs.remove(&start);
            }
        }
        seen
    }

    fn insert_cold(&mut self, n: i64, limit: usize) -> Seen {
        let below = self.runs.range(..=n).next_back().map(|(&s, &e)| (s, e));
        if below.is_some_and(|(_, end)| end >= n) {
            return Seen::Before;
        }
        let extends_below = below.filter(|&(_, end)| n.checked_sub(1) == Some(end));
        let above = n.checked_add(1).and_then(|next| self.runs.get(&next).map(|&end| (next, end)));
        match (extends_below, above) {
            (Some((start, _)), Some((next, end))) => {
                self.runs.remove(&next);
                self.runs.insert(start, end);
            }
            (Some((start, _)), None) => {
                self.runs.insert(start, n);
            }
            (None, Some((next, end))) => {
                self.runs.remove(&next);
                self.runs.insert(n, end);
            }
            (None, None) if self.runs.len() >= limit => return Seen::Full,
            (None, None) => {
                self.runs.insert(n, n);
            }
        }
        Seen::New
    }

    /// Every run, in order.
    #[cfg(test)]
    fn all(&self) -> Vec<(i64, i64)> {
        let mut all: Vec<(i64, i64)> = self.runs.iter().map(|(&s, &e)| (s, e)).chain(self.hot).collect();
        all.sort_unstable();
        all
    }
}

/// The keys are already uniform hashes, so their low bits serve as the table hash.
#[derive(Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_runs_find_duplicates_in_any_order() {
        let mut index = UniqueIndex::new(true);
        let int = |n: &str| Parsed::Integer(n.parse().unwrap());
        for n in ["1", "2", "3", "10", "9", "5", "4", "-7", "8", "6", "7"] {
            assert_eq!(index.insert(n, int(n), 100), Seen::New, "{n}");
        }
        let UniqueIndex::Integers(runs) = &index else { unreachable!() };
        assert_eq!(runs.all(), vec![(-7, -7), (1, 10)]);
        for n in ["1", "5", "10", "-7"] {
            assert_eq!(index.insert(n, int(n), 100), Seen::Before, "{n}");
        }
        let (max, min) = (i64::MAX.to_string(), i64::MIN.to_string());
        assert_eq!(index.insert(&max, int(&max), 100), Seen::New);
        assert_eq!(index.insert(&min, int(&min), 100), Seen::New);
        assert_eq!(index.insert(&max, int(&max), 100), Seen::Before);
    }

    #[test]
    fn a_million_sequential_ids_take_one_run() {
        let mut index = UniqueIndex::new(true);
        for n in 1..=1_000_000i64 {
            assert_eq!(index.insert("", Parsed::Integer(n), 1), Seen::New);
        }
        assert_eq!(index.insert("", Parsed::Integer(500_000), 1), Seen::Before);
    }

    proptest::proptest! {
        #[test]
        fn runs_agree_with_a_set(values in proptest::collection::vec(-20i64..20, 0..60)) {
            let mut index = UniqueIndex::new(true);
            let mut seen = std::collections::BTreeSet::new();
            for n in values {
                let expected = if seen.insert(n) { Seen::New } else { Seen::Before };
                proptest::prop_assert_eq!(index.insert("", Parsed::Integer(n), usize::MAX), expected, "{}", n);
            }
        }
    }

    #[test]
    fn fingerprints_find_duplicates_and_stop_at_the_limit() {
        let mut index = UniqueIndex::new(false);
        assert_eq!(index.insert("ann@x.io", Parsed::Other, 2), Seen::New);
        assert_eq!(index.insert("bob@x.io", Parsed::Other, 2), Seen::New);
        assert_eq!(index.insert("ann@x.io", Parsed::Other, 2), Seen::Before);
        assert_eq!(index.insert("cy@x.io", Parsed::Other, 2), Seen::Full);
        let mut ints = UniqueIndex::new(true);
        assert_eq!(ints.insert("1", Parsed::Integer(1), 1), Seen::New);
        assert_eq!(ints.insert("2", Parsed::Integer(2), 1), Seen::New);
        assert_eq!(ints.insert("9", Parsed::Integer(9), 1), Seen::Full);
    }
}
