//! Normalisation of column names into the forms that matching compares.

/// The word that `#` and every word of [`NUMBER_SYNONYMS`] become.
const NUMBER_TOKEN: &str = "no";

/// Words that headers use interchangeably for "number" ("Phone #", "Kunden-Nr.", "Numéro").
const NUMBER_SYNONYMS: [&str; 6] = ["no", "nr", "num", "number", "numero", "nummer"];

/// Returns the comparison form of a column name.
///
/// Two names are an exact match when their comparison forms are equal. The form is built so
/// that the spellings a CSV export may use for one column agree:
///
/// - letters are lowercased with Unicode rules;
/// - Latin diacritics are folded (`é` → `e`, `ß` → `ss`, `ø` → `o`, `æ` → `ae`, `ł` → `l`,
///   `þ` → `th`), covering Latin-1 Supplement and Latin Extended-A; combining accents
///   (U+0300–U+036F, as in decomposed text) are dropped; other scripts are kept as they are;
/// - every run of characters that are not letters or digits (spaces, punctuation, `_`, `-`,
///   a byte order mark, emoji) separates two words and is then dropped, so leading and
///   trailing spaces or a BOM never matter;
/// - `#` is a word of its own, and the words `#`, `no`, `nr`, `num`, `number`, `numero` and
///   `nummer` all become `no`.
///
/// ```
/// use sluice_parser::matching::normalize;
///
/// assert_eq!(normalize("FIRST-NAME"), "firstname");
/// assert_eq!(normalize("\u{feff} First_Name "), "firstname");
/// assert_eq!(normalize("Prénom"), "prenom");
/// assert_eq!(normalize("Straße"), "strasse");
/// assert_eq!(normalize("Phone #"), normalize("Phone Number"));
/// assert_eq!(normalize("🎉"), "");
/// ```
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    tokenize(name, &mut out, &mut Vec::new());
    out
}

/// A name in the two forms fuzzy matching compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Forms {
    /// The result of [`normalize`].
    pub(super) compact: String,
    /// The words in sorted order, joined, when that differs from `compact`; it lets
    /// "Address Email" meet "Email address". It has the same characters as `compact`.
    pub(super) sorted_words: Option<String>,
}

impl Forms {
    /// Normalises `name` into both forms.
    pub(super) fn new(name: &str) -> Self {
        let mut compact = String::with_capacity(name.len());
        let mut ends = Vec::new();
        tokenize(name, &mut compact, &mut ends);
        let sorted_words = sorted_words(&compact, &ends);
        Forms { compact, sorted_words }
    }
}

/// Joins the words of `compact` (split at `ends`) in sorted order, if that changes it.
fn sorted_words(compact: &str, ends: &[usize]) -> Option<String> {
    let mut words: Vec<&str> = ends
        .iter()
        .scan(0, |start, &end| {
            let word = compact.get(*start..end);
            *start = end;
            Some(word)
        })
        .flatten()
        .collect();
    words.sort_unstable();
    let joined = words.concat();
    (joined != compact).then_some(joined)
}

/// Appends the comparison form of `name` to `out` and the end offset of each word to `ends`.
fn tokenize(name: &str, out: &mut String, ends: &mut Vec<usize>) {
    let mut start = out.len();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            // Most names are ASCII; this skips Unicode case mapping and the folding table.
            out.push(c.to_ascii_lowercase());
        } else if c == '#' {
            end_word(out, &mut start, ends);
            out.push_str(NUMBER_TOKEN);
            end_word(out, &mut start, ends);
        } else if c.is_alphanumeric() {
            c.to_lowercase().for_each(|lower| push_folded(lower, out));
        } else if !is_combining_accent(c) {
            end_word(out, &mut start, ends);
        }
    }
    end_word(out, &mut start, ends);
}

/// Closes the word that began at `start`, replacing a synonym of "number" by its token.
fn end_word(out: &mut String, start: &mut usize, ends: &mut Vec<usize>) {
    if let Some(word) = out.get(*start..).filter(|word| !word.is_empty()) {
        if NUMBER_SYNONYMS.contains(&word) {
            out.truncate(*start);
            out.push_str(NUMBER_TOKEN);
        }
        ends.push(out.len());
    }
    *start = out.len();
}

/// Whether `c` is a combining accent, which decomposed text puts after its letter.
fn is_combining_accent(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// Appends the lowercase letter `c` with its Latin diacritics folded.
fn push_folded(c: char, out: &mut String) {
    if is_combining_accent(c) {
        // `İ` lowercases to `i` and a combining dot; the dot is an accent like any other.
        return;
    }
    match fold_latin(c) {
        Some(folded) => out.push_str(folded),
        None => out.push(c),
    }
}

/// The ASCII spelling of a lowercase letter from Latin-1 Supplement or Latin Extended-A.
fn fold_latin(c: char) -> Option<&'static str> {
    let folded = match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' | 'ª' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ð' | 'ď' | 'đ' => "d",
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' | 'ĸ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'ŉ' => "n",
        'ŋ' => "ng",
        'ò'..='ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'º' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ſ' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'þ' => "th",
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    };
    Some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_the_spellings_of_one_name_together() {
        let cases = [
            ("email", "email"),
            ("First_Name", "firstname"),
            ("first name", "firstname"),
            ("FIRST-NAME", "firstname"),
            ("  First   Name\t", "firstname"),
            ("\u{feff}First Name", "firstname"),
            ("First Name\u{feff}", "firstname"),
            ("E-Mail-Adresse", "emailadresse"),
            ("Prénom", "prenom"),
            ("Pre\u{301}nom", "prenom"),
            ("Téléphone", "telephone"),
            ("TÉLÉPHONE", "telephone"),
            ("Straße", "strasse"),
            ("STRASSE", "strasse"),
            ("Søren Ærø", "sorenaero"),
            ("Łódź", "lodz"),
            ("Œuvre", "oeuvre"),
            ("Þorn", "thorn"),
            ("İstanbul", "istanbul"),
            ("Ĳssel", "ijssel"),
            ("Address Line 1", "addressline1"),
            ("Straße_Nr.", "strasseno"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), expected, "{input:?}");
        }
    }

    #[test]
    fn normalize_treats_hash_and_number_words_as_one_word() {
        let cases = [
            ("Phone #", "phoneno"),
            ("Phone#", "phoneno"),
            ("#Phone", "nophone"),
            ("Phone No.", "phoneno"),
            ("Phone Nr", "phoneno"),
            ("phone_num", "phoneno"),
            ("Phone Number", "phoneno"),
            ("Numéro de téléphone", "nodetelephone"),
            ("Kunden-Nr.", "kundenno"),
            ("Kunden Nummer", "kundenno"),
            ("Nº", "no"),
            ("##", "nono"),
            // Only whole words are synonyms.
            ("Phonenumber", "phonenumber"),
            ("Nora", "nora"),
            ("Numbers", "numbers"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), expected, "{input:?}");
        }
    }

    #[test]
    fn normalize_keeps_other_scripts_and_drops_symbols() {
        let cases = [
            ("", ""),
            ("   ", ""),
            ("\u{feff}", ""),
            ("---", ""),
            ("🎉", ""),
            ("📧 Email", "email"),
            ("Эл. почта", "элпочта"),
            ("البريد الإلكتروني", "البريدالإلكتروني"),
            ("\u{202b}Email\u{202c}", "email"),
            ("電話番号", "電話番号"),
            ("\u{301}", ""),
            ("Ω", "ω"),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize(input), expected, "{input:?}");
        }
    }

    #[test]
    fn sorted_words_are_kept_when_they_differ() {
        let cases = [
            ("Email Address", Some("addressemail")),
            ("Address, Email", None),
            ("email email", None),
            ("b a b", Some("abb")),
            ("Date of birth", Some("birthdateof")),
            ("Phone #", Some("nophone")),
            ("email", None),
            ("", None),
        ];
        for (input, expected) in cases {
            let forms = Forms::new(input);
            assert_eq!(forms.compact, normalize(input), "{input:?}");
            assert_eq!(forms.sorted_words.as_deref(), expected, "{input:?}");
        }
    }

    #[test]
    fn every_latin_letter_folds_to_ascii() {
        let latin = ('\u{c0}'..='\u{17f}').filter(|c| c.is_alphabetic());
        for c in latin {
            let folded = normalize(&c.to_string());
            assert!(folded.is_ascii() && !folded.is_empty(), "{c:?} → {folded:?}");
        }
    }

    #[test]
    fn long_names_normalise_in_one_pass() {
        let name = "Ab-".repeat(10_000);
        assert_eq!(normalize(&name), "ab".repeat(10_000));
    }
}
