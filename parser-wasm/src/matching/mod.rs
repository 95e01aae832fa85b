//! Matching a CSV file's header row to the importer's schema columns, for the user to review.
//!
//! Every header is compared with every column's key, label and keywords, all in the form
//! [`normalize()`] gives. A pair is a candidate by the first of these methods that applies:
//!
//! | method                   | when                                           | confidence |
//! |--------------------------|------------------------------------------------|------------|
//! | [`MatchMethod::Exact`]   | the header equals the key or the label         | `1.0`      |
//! | [`MatchMethod::Keyword`] | the header equals one of the keywords          | `0.95`     |
//! | [`MatchMethod::Fuzzy`]   | the similarity `s` reaches the fuzzy threshold | `0.89 * s` |
//!
//! The similarity `s` is the best Jaro-Winkler score ([`strsim::jaro_winkler`]) between the
//! header and any of the column's names, each compared in two ways: as normalised, and with
//! its words sorted, so that "Address Email" meets "Email address" with `s = 1`. With a
//! threshold `t`, fuzzy confidences lie in `[0.89 * t, 0.89]`, always below a keyword match;
//! with the default `t = 0.9` that is `[0.801, 0.89]`. Names longer than 128 characters once
//! normalised are never compared fuzzily, and empty names never match.
//!
//! Then each header gets at most one column and each column at most one header: candidates
//! are taken by higher confidence, then exact before keyword before fuzzy, then lower header
//! index, then the column whose key sorts first (byte order), then lower column index; one is
//! accepted when neither its header nor its column is taken. The result depends only on the
//! inputs, and reordering the columns changes nothing as long as their keys differ.
//!
//! ```
//! use sluice_parser::matching::{MatchMethod, MatchOptions, MatchTarget, match_columns};
//!
//! let phone = ["Téléphone".to_owned(), "mobile".to_owned()];
//! let targets = [
//!     MatchTarget { key: "email", label: "Email address", keywords: &[], required: true },
//!     MatchTarget { key: "phone", label: "Phone", keywords: &phone, required: false },
//!     MatchTarget { key: "city", label: "City", keywords: &[], required: true },
//! ];
//! let headers = ["\u{feff}Address, Email", "TELEPHONE", "Notes"];
//! let found = match_columns(&headers, &targets, &MatchOptions::default());
//!
//! let methods: Vec<_> = found.suggestions.iter().map(|s| (s.column_key.as_str(), s.method)).collect();
//! assert_eq!(methods, [("email", MatchMethod::Fuzzy), ("phone", MatchMethod::Keyword)]);
//! assert_eq!(found.unmatched_headers, [2]);
//! assert_eq!(found.missing_required, ["city"]);
//! ```

mod assign;
mod fit;
mod fuzzy;
mod index;
mod normalize;
mod types;

use crate::schema::Schema;
use assign::{Assignment, CandidatePool, key_ranks};
pub(crate) use fit::target as match_target;
pub use fit::{Alternative, FitProblem, MAX_SAMPLE_ROWS, ValueFit, match_with_values};
use fuzzy::FuzzyName;
use index::TargetIndex;
use normalize::Forms;
pub use normalize::normalize;
pub use types::{ColumnMatch, MatchMethod, MatchOptions, MatchTarget, Suggestion};

/// Suggests a column of `schema` for each header, from the names alone: [`match_columns`] on
/// the schema's columns (their keys, labels, keywords and whether they are required). The
/// automatic mapping of an import and the package's `matchColumns` both use it.
pub fn match_schema(headers: &[&str], schema: &Schema, options: &MatchOptions) -> ColumnMatch {
    let targets: Vec<MatchTarget<'_>> = schema.columns().iter().map(match_target).collect();
    match_columns(headers, &targets, options)
}

/// Suggests a column for each header; see the [module documentation](self) for how.
///
/// Every name is normalised once and exact and keyword matches are looked up rather than
/// compared. Every exact or keyword confidence is above every fuzzy one, so the choice takes
/// all of those first; fuzzy similarity is then computed only between the headers and columns
/// they left free, and skipped where a cheap bound shows it cannot reach the threshold.
pub fn match_columns(headers: &[&str], targets: &[MatchTarget<'_>], options: &MatchOptions) -> ColumnMatch {
    let index = TargetIndex::new(targets);
    let keys: Vec<&str> = targets.iter().map(|target| target.key).collect();
    let ranks = key_ranks(&keys);
    let forms: Vec<Forms> = headers.iter().map(|header| Forms::new(header)).collect();
    let mut chosen = Assignment::new(headers.len(), targets.len());
    let mut pool = CandidatePool::new(&ranks, targets.len().min(headers.len()));
    for (header, forms) in forms.iter().enumerate() {
        index.exact_candidates(header, forms, |candidate| pool.push(candidate));
    }
    pool.assign_to(&mut chosen);
    if options.fuzzy_threshold <= 1.0 {
        match_fuzzily(&index, &forms, options.fuzzy_threshold, &ranks, &mut chosen);
    }
    report(headers, targets, &chosen)
}

/// Adds fuzzy matches between the headers and columns that `chosen` left free.
fn match_fuzzily(
    index: &TargetIndex,
    forms: &[Forms],
    threshold: f64,
    ranks: &[usize],
    chosen: &mut Assignment,
) {
    let free = chosen.free_targets();
    let free_headers = chosen.by_header.iter().filter(|c| c.is_none()).count();
    if free.is_empty() || free_headers == 0 {
        return;
    }
    let mut pool = CandidatePool::new(ranks, free.len().min(free_headers));
    let headers = forms.iter().zip(&chosen.by_header).enumerate();
    for (header, (forms, _)) in headers.filter(|(_, (_, chosen))| chosen.is_none()) {
        if let Some(name) = FuzzyName::new(forms) {
            index.fuzzy_candidates(header, &name, threshold, &free, &mut pool);
        }
    }
    pool.assign_to(chosen);
}

/// Turns the chosen candidates into the result users see.
fn report(headers: &[&str], targets: &[MatchTarget<'_>], chosen: &Assignment) -> ColumnMatch {
    let mut suggestions = Vec::new();
    let mut unmatched_headers = Vec::new();
    for (header_index, candidate) in chosen.by_header.iter().enumerate() {
        let header = headers.get(header_index);
        let target = candidate.and_then(|candidate| targets.get(candidate.target));
        match (candidate, header, target) {
            (Some(candidate), Some(header), Some(target)) => suggestions.push(Suggestion {
                header_index,
                header: (*header).to_owned(),
                column_key: target.key.to_owned(),
                confidence: candidate.confidence,
                method: candidate.method,
                fit: None,
                problem: None,
            }),
            _ => unmatched_headers.push(header_index),
        }
    }
    let missing_required = targets
        .iter()
        .zip(&chosen.taken)
        .filter(|(target, taken)| target.required && !**taken)
        .map(|(target, _)| target.key.to_owned())
        .collect();
    ColumnMatch { suggestions, unmatched_headers, missing_required }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MatchMethod::{Exact, Fuzzy, Keyword};
    use proptest::prelude::*;

    /// A column as (key, label, keywords, required).
    type Column<'a> = (&'a str, &'a str, &'a [&'a str], bool);

    /// The importer's contacts template.
    const CONTACTS: [Column<'static>; 10] = [
        ("email", "Email", &["e-mail", "email address", "mail", "courriel", "e-mail-adresse"], true),
        ("first_name", "First name", &["prénom", "vorname", "given name", "forename"], true),
        ("last_name", "Last name", &["nom", "nachname", "surname", "family name"], true),
        ("phone", "Phone number", &["téléphone", "telefon", "telefonnummer", "mobile"], false),
        ("company", "Company", &["société", "firma", "organization", "account name"], false),
        ("birth_date", "Date of birth", &["dob", "birthday", "geburtsdatum", "date de naissance"], false),
        ("postal_code", "Postal code", &["zip", "zip code", "postcode", "plz", "code postal"], false),
        ("city", "City", &["ville", "stadt", "ort", "town"], false),
        ("country", "Country", &["pays", "land"], false),
        ("customer_id", "Customer number", &["kundennummer", "client id"], false),
    ];

    /// Runs `headers` against `schema` with `threshold`.
    fn run_with(schema: &[Column<'_>], headers: &[&str], threshold: f64) -> ColumnMatch {
        let keywords: Vec<Vec<String>> = schema
            .iter()
            .map(|(_, _, words, _)| words.iter().map(|word| (*word).to_owned()).collect())
            .collect();
        let targets: Vec<MatchTarget<'_>> = schema
            .iter()
            .zip(&keywords)
            .map(|(&(key, label, _, required), keywords)| MatchTarget { key, label, keywords, required })
            .collect();
        match_columns(headers, &targets, &MatchOptions { fuzzy_threshold: threshold })
    }

    fn run(schema: &[Column<'_>], headers: &[&str]) -> ColumnMatch {
        run_with(schema, headers, MatchOptions::default().fuzzy_threshold)
    }

    /// Each header's column and method.
    fn chosen(found: &ColumnMatch, headers: usize) -> Vec<Option<(&str, MatchMethod)>> {
        let mut chosen = vec![None; headers];
        for s in &found.suggestions {
            chosen[s.header_index] = Some((s.column_key.as_str(), s.method));
        }
        chosen
    }

    /// Headers, each with the column and method it should get.
    type Row<'a> = &'a [(&'a str, Option<(&'a str, MatchMethod)>)];

    #[test]
    fn real_exports_find_their_columns() {
        let exports: [(&str, Row<'_>); 5] = [
            (
                "HubSpot contacts",
                &[
                    ("First Name", Some(("first_name", Exact))),
                    ("Last Name", Some(("last_name", Exact))),
                    ("Email", Some(("email", Exact))),
                    ("Phone Number", Some(("phone", Exact))),
                    ("Company Name", Some(("company", Fuzzy))),
                    ("Lifecycle Stage", None),
                    ("Create Date", None),
                    ("Postal Code", Some(("postal_code", Exact))),
                    ("Country/Region", Some(("country", Fuzzy))),
                ],
            ),
            (
                "Salesforce contacts",
                &[
                    ("Salutation", None),
                    ("First Name", Some(("first_name", Exact))),
                    ("Last Name", Some(("last_name", Exact))),
                    ("Account Name", Some(("company", Keyword))),
                    ("Mailing City", None),
                    ("Mailing Country", Some(("country", Fuzzy))),
                    ("Phone", Some(("phone", Exact))),
                    // The keyword of a column that "Phone" takes exactly.
                    ("Mobile", None),
                    ("Email", Some(("email", Exact))),
                    ("Birthdate", Some(("birth_date", Exact))),
                    ("Contact ID", None),
                ],
            ),
            (
                "Excel, French",
                &[
                    ("Prénom", Some(("first_name", Keyword))),
                    ("Nom", Some(("last_name", Keyword))),
                    ("Adresse e-mail", Some(("email", Fuzzy))),
                    ("Téléphone", Some(("phone", Keyword))),
                    ("Société", Some(("company", Keyword))),
                    ("Date de naissance", Some(("birth_date", Keyword))),
                    ("Code postal", Some(("postal_code", Keyword))),
                    ("Ville", Some(("city", Keyword))),
                    ("Pays", Some(("country", Keyword))),
                ],
            ),
            (
                "Excel, German",
                &[
                    ("Vorname", Some(("first_name", Keyword))),
                    ("Nachname", Some(("last_name", Keyword))),
                    ("E-Mail-Adresse", Some(("email", Keyword))),
                    ("Telefonnummer", Some(("phone", Keyword))),
                    ("Firma", Some(("company", Keyword))),
                    ("Geburtsdatum", Some(("birth_date", Keyword))),
                    ("PLZ", Some(("postal_code", Keyword))),
                    ("Ort", Some(("city", Keyword))),
                    ("Land", Some(("country", Keyword))),
                    // Compounds are not split: "kundenno" is too far from "kundennummer".
                    ("Kunden-Nr.", None),
                ],
            ),
            (
                "hand-made",
                &[
                    ("\u{feff}E-mail Address", Some(("email", Keyword))),
                    ("FirstName", Some(("first_name", Exact))),
                    ("SURNAME", Some(("last_name", Keyword))),
                    ("Phone #", Some(("phone", Exact))),
                    ("DOB", Some(("birth_date", Keyword))),
                    ("Zip Code", Some(("postal_code", Keyword))),
                    ("Customer #", Some(("customer_id", Exact))),
                    // Close to "email", which the first header took.
                    ("Emial", None),
                ],
            ),
        ];
        for (export, row) in exports {
            let headers: Vec<&str> = row.iter().map(|(header, _)| *header).collect();
            let expected: Vec<_> = row.iter().map(|(_, expected)| *expected).collect();
            let found = run(&CONTACTS, &headers);
            assert_eq!(chosen(&found, headers.len()), expected, "{export}");
        }
    }

    #[test]
    fn confidence_ranks_exact_over_keyword_over_fuzzy() {
        let schema: [Column<'_>; 1] = [("email", "Email address", &["e-mail", "courriel"], true)];
        let jaro_winkler = strsim::jaro_winkler;
        let cases = [
            ("EMAIL", Some((Exact, 1.0))),
            ("Email-Address", Some((Exact, 1.0))),
            ("Courriel", Some((Keyword, 0.95))),
            ("Address, Email", Some((Fuzzy, 0.89))),
            ("Emial", Some((Fuzzy, 0.89 * jaro_winkler("emial", "email")))),
            ("Email Adress", Some((Fuzzy, 0.89 * jaro_winkler("emailadress", "emailaddress")))),
            ("Telephone", None),
        ];
        for (header, expected) in cases {
            let found = run(&schema, &[header]);
            let got = found.suggestions.first().map(|s| (s.method, s.confidence));
            assert_eq!(got, expected, "{header:?}");
        }
    }

    #[test]
    fn the_fuzzy_threshold_decides_what_is_suggested() {
        let schema: [Column<'_>; 1] = [("status", "Status", &[], false)];
        // "state" and "status" score 0.893.
        let cases = [(0.9, false), (0.893, true), (0.5, true), (1.0, false), (2.0, false), (f64::NAN, false)];
        for (threshold, suggested) in cases {
            let found = run_with(&schema, &["State"], threshold);
            assert_eq!(found.suggestions.len(), usize::from(suggested), "{threshold}");
        }
        let found = run_with(&schema, &["Status", "status!"], 2.0);
        assert_eq!(chosen(&found, 2), [Some(("status", Exact)), None]);
    }

    #[test]
    fn competing_headers_and_columns_resolve_best_first() {
        let schema: [Column<'_>; 4] = [
            ("phone_work", "Work phone", &[], false),
            ("phone_home", "Home phone", &[], false),
            ("email", "Email", &["mail"], false),
            ("email_2", "Email 2", &[], false),
        ];
        let cases: [(&str, Row<'_>); 5] = [
            // "phone" is exactly as close to both; the key that sorts first wins.
            ("tie", &[("Phone", Some(("phone_home", Fuzzy)))]),
            (
                "tie, then the other",
                &[("Phone", Some(("phone_home", Fuzzy))), ("Phone", Some(("phone_work", Fuzzy)))],
            ),
            ("closer column", &[("Work phones", Some(("phone_work", Fuzzy)))]),
            ("exact beats keyword", &[("Mail", None), ("E-mail", Some(("email", Exact)))]),
            (
                "the loser falls back",
                &[("Emial", Some(("email_2", Fuzzy))), ("Email", Some(("email", Exact)))],
            ),
        ];
        for (name, row) in cases {
            let headers: Vec<&str> = row.iter().map(|(header, _)| *header).collect();
            let expected: Vec<_> = row.iter().map(|(_, expected)| *expected).collect();
            assert_eq!(chosen(&run(&schema, &headers), headers.len()), expected, "{name}");
        }
        let tie = run(&schema, &["Phone", "Phone"]);
        let confidences: Vec<f64> = tie.suggestions.iter().map(|s| s.confidence).collect();
        assert_eq!(confidences, [0.89 * strsim::jaro_winkler("phone", "phonehome"); 2]);
    }

    #[test]
    fn a_later_header_closer_to_a_column_still_wins_it() {
        // With one column, each candidate pushes out the previous best: "Addresss" (0.975)
        // must beat "Addres" (0.971) and "Adress" (0.962) whichever comes first.
        let schema: [Column<'_>; 1] = [("address", "Address", &[], false)];
        let orders = [["Adress", "Addres", "Addresss"], ["Addresss", "Addres", "Adress"]];
        for headers in orders {
            let found = run(&schema, &headers);
            let winner = found.suggestions.iter().map(|s| s.header.as_str()).collect::<Vec<_>>();
            assert_eq!(winner, ["Addresss"], "{headers:?}");
        }
    }

    #[test]
    fn duplicate_headers_give_a_column_to_the_first() {
        let headers = ["Email", "email", " E-MAIL ", "Email"];
        let found = run(&CONTACTS, &headers);
        assert_eq!(chosen(&found, 4), [Some(("email", Exact)), None, None, None]);
        assert_eq!(found.unmatched_headers, [1, 2, 3]);
    }

    #[test]
    fn required_columns_without_a_header_are_reported_in_column_order() {
        let cases: [(&[&str], &[&str]); 4] = [
            (&[], &["email", "first_name", "last_name"]),
            (&["Nachname", "Email"], &["first_name"]),
            (&["First Name", "Last Name", "E-mail"], &[]),
            (&["Phone", "City"], &["email", "first_name", "last_name"]),
        ];
        for (headers, missing) in cases {
            assert_eq!(run(&CONTACTS, headers).missing_required, missing, "{headers:?}");
        }
    }

    #[test]
    fn output_depends_on_the_inputs_only_and_not_on_column_order() {
        let headers = ["Phone", "Phone", "Mail", "E-mail", "Emails", "Nom", "Prenom", "DOB", "Town"];
        let mut schema: Vec<Column<'_>> = CONTACTS.to_vec();
        schema
            .extend([("phone_work", "Work phone", &[][..], false), ("phone_home", "Home phone", &[], false)]);
        let first = run(&schema, &headers);
        assert_eq!(run(&schema, &headers), first);
        for rotation in 1..schema.len() {
            schema.rotate_left(1);
            let mut reordered = schema.clone();
            reordered.reverse();
            for columns in [&schema, &reordered] {
                let found = run(columns, &headers);
                assert_eq!(found.suggestions, first.suggestions, "rotation {rotation}");
                assert_eq!(found.unmatched_headers, first.unmatched_headers, "rotation {rotation}");
            }
        }
    }

    #[test]
    fn empty_inputs_give_empty_results() {
        let found = run(&[], &["Email", ""]);
        assert_eq!(
            found,
            ColumnMatch { suggestions: vec![], unmatched_headers: vec![0, 1], missing_required: vec![] }
        );
        let found = run(&[], &[]);
        assert_eq!(
            found,
            ColumnMatch { suggestions: vec![], unmatched_headers: vec![], missing_required: vec![] }
        );
        let schema: [Column<'_>; 2] = [("", "", &[""], true), ("-", "🎉", &["  "], false)];
        let found = run_with(&schema, &["", " ", "🎉", "-"], 0.0);
        assert_eq!(found.unmatched_headers, [0, 1, 2, 3]);
        assert_eq!(found.missing_required, [""]);
    }

    #[test]
    fn hostile_headers_are_survived() {
        let long_email = "Email".repeat(2_000);
        let long_noise = "x\u{301}🎉 ".repeat(2_500);
        let headers = [
            "",
            " ",
            "\t\r\n",
            "\u{feff}",
            "\0",
            "\u{301}",
            "🎉🎉",
            "📧 Email",
            "\u{202e}enohP\u{202c}",
            "البريد الإلكتروني",
            "電話番号",
            &long_email,
            &long_noise,
            "\u{10ffff}",
            "\"Name\"",
            "İSTANBUL",
        ];
        let mut schema = CONTACTS.to_vec();
        schema.push(("email_ar", "البريد الإلكتروني", &[], false));
        for threshold in [0.9, 0.0] {
            let found = run_with(&schema, &headers, threshold);
            assert_eq!(found.suggestions.len() + found.unmatched_headers.len(), headers.len());
            for empty in 0..7 {
                assert!(found.unmatched_headers.contains(&empty), "{empty} at {threshold}");
            }
        }
        let found = run(&schema, &headers);
        let chosen = chosen(&found, headers.len());
        assert_eq!(chosen[7], Some(("email", Exact)));
        assert_eq!(chosen[9], Some(("email_ar", Exact)));
        assert_eq!(chosen[11], None);
    }

    #[test]
    fn ten_thousand_headers_meet_five_hundred_columns() {
        let headers: Vec<String> = (0..10_000).map(|i| format!("Custom Field {i} (text)")).collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let columns: Vec<(String, String, Vec<String>)> = (0..500)
            .map(|i| (format!("custom_field_{i}_text"), format!("Field {i}"), vec![format!("cf{i}")]))
            .collect();
        let targets: Vec<MatchTarget<'_>> = columns
            .iter()
            .map(|(key, label, keywords)| MatchTarget { key, label, keywords, required: true })
            .collect();
        let found = match_columns(&headers, &targets, &MatchOptions::default());
        assert_eq!(found.suggestions.len(), 500);
        assert!(found.suggestions.iter().all(|s| s.method == Exact && s.header_index < 500));
        assert_eq!(found.unmatched_headers.first(), Some(&500));
        assert!(found.missing_required.is_empty());
    }

    /// The documented rules applied literally: every pair judged, every candidate kept.
    fn reference(headers: &[&str], targets: &[MatchTarget<'_>], threshold: f64) -> ColumnMatch {
        let mut candidates = Vec::new();
        for (h, header) in headers.iter().enumerate() {
            let header_forms = Forms::new(header);
            for (t, target) in targets.iter().enumerate() {
                if let Some((method, confidence)) = judge(&header_forms, target, threshold) {
                    candidates.push((confidence, method.precedence(), h, target.key, t, method));
                }
            }
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2, a.3, a.4).cmp(&(b.1, b.2, b.3, b.4))));
        let mut chosen = Assignment::new(headers.len(), targets.len());
        for (confidence, _, header, _, target, method) in candidates {
            if chosen.by_header[header].is_none() && !chosen.taken[target] {
                chosen.by_header[header] = Some(assign::Candidate { header, target, method, confidence });
                chosen.taken[target] = true;
            }
        }
        report(headers, targets, &chosen)
    }

    /// The method and confidence of one pair, if it is a candidate.
    fn judge(header: &Forms, target: &MatchTarget<'_>, threshold: f64) -> Option<(MatchMethod, f64)> {
        let names = [target.key, target.label].map(Forms::new);
        let keywords: Vec<Forms> = target.keywords.iter().map(|k| Forms::new(k)).collect();
        let equal = |forms: &Forms| !forms.compact.is_empty() && forms.compact == header.compact;
        if names.iter().any(equal) {
            return Some((Exact, 1.0));
        }
        if keywords.iter().any(equal) {
            return Some((Keyword, 0.95));
        }
        let fits = |forms: &Forms| (1..=fuzzy::MAX_FUZZY_CHARS).contains(&forms.compact.chars().count());
        let sorted = |forms: &Forms| forms.sorted_words.clone().unwrap_or_else(|| forms.compact.clone());
        let similarity = |forms: &Forms| {
            let direct = strsim::jaro_winkler(&header.compact, &forms.compact);
            direct.max(strsim::jaro_winkler(&sorted(header), &sorted(forms)))
        };
        let fuzzy_names = names.iter().chain(&keywords).filter(|forms| fits(forms) && fits(header));
        let best = fuzzy_names.map(similarity).fold(f64::NEG_INFINITY, f64::max);
        (threshold <= 1.0 && best >= threshold).then_some((Fuzzy, index::FUZZY_SCALE * best))
    }

    const HEADER: &str = "(Email|mail|Name|First|Last|Phone|No|#|Adress|Address| |_|é|🎉){0,3}";
    const KEY: &str = "(email|mail|name|first|last|phone|address|_){1,3}";
    const LABEL: &str = "(Email|Name|First|Last|Phone|No|Address| ){0,3}";
    const KEYWORD: &str = "(mail|e-mail|name|phone|#|adress| ){0,3}";

    proptest! {
        #[test]
        fn matching_equals_the_rules_applied_to_every_pair(
            headers in prop::collection::vec(HEADER, 0..16),
            columns in prop::collection::vec(
                (KEY, LABEL, prop::collection::vec(KEYWORD, 0..3), any::<bool>()),
                0..5,
            ),
            threshold in prop_oneof![Just(0.9), 0.0..1.0f64, Just(f64::NAN)],
        ) {
            let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
            let targets: Vec<MatchTarget<'_>> = columns
                .iter()
                .map(|(key, label, keywords, required)| {
                    MatchTarget { key, label, keywords, required: *required }
                })
                .collect();
            let options = MatchOptions { fuzzy_threshold: threshold };
            let expected = reference(&headers, &targets, threshold);
            prop_assert_eq!(match_columns(&headers, &targets, &options), expected);
        }
    }

    #[test]
    fn a_schema_is_matched_by_its_columns_keys_labels_and_keywords() {
        let schema = Schema::from_json(
            r#"{"version": 1, "columns": [
                {"key": "email", "label": "Email address", "type": "email", "required": true},
                {"key": "phone", "type": "text", "keywords": ["mobile"]},
                {"key": "city", "type": "text", "required": true}
            ]}"#,
        )
        .unwrap();
        let headers = ["Mobile", "EMAIL ADDRESS", "Notes"];
        let found = match_schema(&headers, &schema, &MatchOptions::default());
        let mut pairs: Vec<_> =
            found.suggestions.iter().map(|s| (s.column_key.as_str(), s.header_index, s.method)).collect();
        pairs.sort_by_key(|p| p.0);
        assert_eq!(pairs, [("email", 1, Exact), ("phone", 0, Keyword)]);
        assert_eq!(found.unmatched_headers, [2]);
        assert_eq!(found.missing_required, ["city"]);
    }
}
