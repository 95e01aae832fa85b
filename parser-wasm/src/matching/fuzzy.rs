//! Fuzzy similarity between normalised names, with cheap bounds that skip hopeless pairs.

use super::normalize::Forms;

/// Names whose comparison form has more characters than this are never compared fuzzily.
///
/// Jaro-Winkler costs the product of the two lengths; no real column name is this long, and a
/// hostile file of long headers must not make matching slow.
pub(super) const MAX_FUZZY_CHARS: usize = 128;

/// Added to the integer side of [`may_reach`] to cover the rounding of the real side, which
/// is below 1e-10 there; the integer side moves in steps of at least 1.
const ROUNDING_SLACK: f64 = 1e-6;

/// A name prepared for fuzzy comparison, in both of its [`Forms`].
#[derive(Debug, Clone)]
pub(super) struct FuzzyName {
    /// The characters of the comparison form; strsim compares them faster than a `str`.
    compact: Vec<char>,
    /// The characters of the sorted words, when they differ from `compact`.
    sorted_words: Option<Vec<char>>,
    /// The number of characters of either form, at least 1 and at most [`MAX_FUZZY_CHARS`].
    len: u8,
    /// How many characters of either form fall in each bucket of [`bucket`].
    counts: [u8; BUCKETS],
}

impl FuzzyName {
    /// Prepares `forms`, or returns `None` when the name is empty or too long.
    pub(super) fn new(forms: &Forms) -> Option<Self> {
        let compact: Vec<char> = forms.compact.chars().take(MAX_FUZZY_CHARS + 1).collect();
        if compact.is_empty() || compact.len() > MAX_FUZZY_CHARS {
            return None;
        }
        let len = u8::try_from(compact.len()).ok()?;
        let mut counts = [0; BUCKETS];
        for &c in &compact {
            if let Some(count) = counts.get_mut(bucket(c)) {
                *count += 1;
            }
        }
        let sorted_words = forms.sorted_words.as_ref().map(|words| words.chars().collect());
        Some(FuzzyName { compact, sorted_words, len, counts })
    }

    /// The similarity of two names in `[0, 1]`, when it reaches `floor`.
    ///
    /// It is the better Jaro-Winkler score of the two comparison forms and of the two sorted
    /// word lists (a name whose words are already sorted uses its comparison form there).
    /// Most pairs are far apart, and one bound rules them out for both forms at once: the
    /// sorted words are the same characters in another order.
    #[inline]
    pub(super) fn similarity(&self, other: &FuzzyName, floor: f64) -> Option<f64> {
        let pairs = self.counts.iter().zip(&other.counts);
        // The sum is at most the shorter length, so it fits a `u8`, which vectorises well.
        let common = pairs.fold(0_u8, |sum, (a, b)| sum.wrapping_add(*a.min(b)));
        if may_reach(self.len, other.len, common, floor) {
            self.similarity_within_reach(other, common, floor)
        } else {
            None
        }
    }

    /// [`FuzzyName::similarity`] for the pairs that [`may_reach`] lets through; out of line,
    /// so that the filter in front of it stays small enough to inline into the caller's loop.
    #[inline(never)]
    fn similarity_within_reach(&self, other: &FuzzyName, common: u8, floor: f64) -> Option<f64> {
        let jaro = jaro_bound(self.len, other.len, common);
        let score = |a: &Vec<char>, b: &Vec<char>, floor: f64| {
            if winkler(jaro, common_prefix(a, b)) < floor {
                return None;
            }
            let similarity = strsim::generic_jaro_winkler(a, b);
            (similarity >= floor).then_some(similarity)
        };
        let direct = score(&self.compact, &other.compact, floor);
        if self.sorted_words.is_none() && other.sorted_words.is_none() {
            return direct;
        }
        let mine = self.sorted_words.as_ref().unwrap_or(&self.compact);
        let theirs = other.sorted_words.as_ref().unwrap_or(&other.compact);
        score(mine, theirs, direct.unwrap_or(floor)).or(direct)
    }
}

/// Whether Jaro-Winkler can reach `floor` between strings of `a` and `b` characters with at
/// most `common` matching ones, whatever their common prefix.
///
/// With the bound of [`jaro_bound`] and the largest prefix bonus, `jaro + 0.4 (1 - jaro) >=
/// floor` rearranges to `m (a + b) >= (5 floor - 3) a b`, which needs no division.
fn may_reach(a: u8, b: u8, common: u8, floor: f64) -> bool {
    let (a, b) = (u32::from(a), u32::from(b));
    let matched = f64::from(u32::from(common) * (a + b));
    matched + ROUNDING_SLACK >= (5.0 * floor - 3.0) * f64::from(a * b)
}

/// A number never below the Jaro similarity of strings of `a` and `b` characters of which at
/// most `common` can match.
///
/// Jaro counts `m` matching characters and `t` transpositions; its value
/// `(m/a + m/b + (m-t)/m) / 3` grows with `m` and is largest with `t = 0`. Characters only
/// match within one bucket of [`bucket`], so the sum over buckets of the smaller count bounds
/// `m`. The expression is evaluated as strsim does, so an exact bound rounds the same way.
fn jaro_bound(a: u8, b: u8, common: u8) -> f64 {
    let m = f64::from(common);
    (m / f64::from(a) + m / f64::from(b) + 1.0) / 3.0
}

/// The Jaro-Winkler similarity from the Jaro similarity and the common prefix length, as
/// strsim computes it; it grows with both.
fn winkler(jaro: f64, prefix: u8) -> f64 {
    jaro + 0.1 * f64::from(prefix) * (1.0 - jaro)
}

/// The length of the common prefix, up to the 4 characters Winkler counts.
fn common_prefix(a: &[char], b: &[char]) -> u8 {
    let pairs = a.iter().zip(b).take(4);
    pairs.take_while(|(a, b)| a == b).fold(0, |count, _| count + 1)
}

/// The number of buckets characters are counted in.
const BUCKETS: usize = 64;

/// The bucket that counts `c`: one per ASCII letter and digit; other characters share the
/// rest by code point.
fn bucket(c: char) -> usize {
    match c {
        'a'..='z' => usize::from(c as u8 - b'a'),
        '0'..='9' => 26 + usize::from(c as u8 - b'0'),
        _ => 36 + u32::from(c) as usize % (BUCKETS - 36),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(text: &str) -> FuzzyName {
        FuzzyName::new(&Forms::new(text)).expect("a comparable name")
    }

    #[test]
    fn similarity_compares_comparison_forms_and_sorted_words() {
        let cases = [
            ("Email Address", "email address", 1.0),
            ("Address Email", "email address", 1.0),
            ("Email, Address", "email_address", 1.0),
            ("Name Last", "Last Name", 1.0),
            ("E-Mail-Adresse", "email address", 0.967),
            ("Adress", "address", 0.962),
            ("First Nme", "First Name", 0.978),
            ("Phone", "phone number", 0.943),
            ("State", "status", 0.893),
            ("First Name", "Last Name", 0.806),
        ];
        for (a, b, expected) in cases {
            let similarity = name(a).similarity(&name(b), 0.0).expect("above zero");
            assert!((similarity - expected).abs() < 5e-4, "{a:?} {b:?} {similarity}");
            assert_eq!(name(b).similarity(&name(a), 0.0), Some(similarity), "{a:?} {b:?}");
        }
    }

    #[test]
    fn similarity_below_the_floor_is_none() {
        let cases = [
            ("State", "status", 0.9, None),
            ("State", "status", 0.89, Some(0.893)),
            ("Email", "Téléphone", 0.6, None),
            ("Email", "email", 1.0, Some(1.0)),
        ];
        for (a, b, floor, expected) in cases {
            let similarity = name(a).similarity(&name(b), floor);
            let rounded = similarity.map(|s| (s * 1000.0).round() / 1000.0);
            assert_eq!(rounded, expected, "{a:?} {b:?} {floor}");
        }
    }

    #[test]
    fn empty_and_overlong_names_are_not_compared() {
        let long = "a".repeat(MAX_FUZZY_CHARS + 1);
        let longest = "a".repeat(MAX_FUZZY_CHARS);
        let cases = [("", false), ("---", false), ("🎉", false), (&long, false), (&longest, true)];
        for (text, comparable) in cases {
            let prepared = FuzzyName::new(&Forms::new(text));
            assert_eq!(prepared.is_some(), comparable, "{} chars", text.len());
        }
    }

    #[test]
    fn buckets_stay_in_range() {
        let cases = [('a', 0), ('z', 25), ('0', 26), ('9', 35), ('é', 45), ('\u{10ffff}', 55)];
        for (c, expected) in cases {
            assert_eq!(bucket(c), expected, "{c:?}");
        }
    }

    proptest! {
        #[test]
        fn bounds_never_rule_out_a_pair_that_reaches_the_floor(
            a in "[a-e0-9é ]{1,12}",
            b in "[a-e0-9é ]{1,12}",
        ) {
            let (fa, fb) = (Forms::new(&a), Forms::new(&b));
            let (Some(na), Some(nb)) = (FuzzyName::new(&fa), FuzzyName::new(&fb)) else {
                return Ok(());
            };
            let direct = strsim::jaro_winkler(&fa.compact, &fb.compact);
            let sorted = |forms: &Forms| forms.sorted_words.clone().unwrap_or(forms.compact.clone());
            let reordered = strsim::jaro_winkler(&sorted(&fa), &sorted(&fb));
            let similarity = direct.max(reordered);
            prop_assert_eq!(na.similarity(&nb, similarity), Some(similarity));
            prop_assert_eq!(na.similarity(&nb, 0.0), Some(similarity));
        }
    }
}
