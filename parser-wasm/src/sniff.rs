//! Dialect sniffing: delimiter, quote, line ending and header row guessed from a file's first
//! kilobytes, each with a confidence.

use crate::dialect::{Dialect, LineEnding};
use serde::{Deserialize, Serialize};

/// Delimiters considered, in order of preference when the evidence is equal.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
/// How many records of the sample are looked at.
const MAX_RECORDS: usize = 200;
/// How many records may come before the header row (titles, export notes).
const MAX_PREAMBLE: usize = 20;

/// What sniffing found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sniffed {
    /// The guessed dialect.
    pub dialect: Dialect,
    /// The 1-based record number of the header row, or `None` when the file seems to have none.
    pub header_row: Option<u64>,
    /// The number of fields most records have.
    pub field_count: usize,
    /// How sure each part of the guess is, from 0 to 1.
    pub confidence: Confidence,
}

/// Confidence in each part of a guess, from 0 (a default, no evidence) to 1 (certain).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    /// In the delimiter.
    pub delimiter: f32,
    /// In the quote character.
    pub quote: f32,
    /// In the header row (its presence and position).
    pub header: f32,
}

/// Guesses the dialect of decoded CSV text.
///
/// `complete` says whether `sample` is the whole file; when it is not, the last (probably cut)
/// line is ignored. Lines starting with `comment`, when given, are skipped as the reader will
/// skip them.
pub fn sniff(sample: &[u8], complete: bool, comment: Option<u8>) -> Sniffed {
    let sample = if complete { sample } else { whole_lines(sample) };
    let line_ending = line_ending(sample);
    let best = best_delimiter(sample, comment);
    let dialect = Dialect {
        delimiter: best.delimiter,
        quote: Some(best.quote),
        comment,
        line_ending,
        ..Dialect::default()
    };
    let records = records(sample, &dialect);
    let (header_row, header_confidence) = header_row(&records, best.field_count);
    Sniffed {
        dialect,
        header_row,
        field_count: best.field_count,
        confidence: Confidence {
            delimiter: best.delimiter_confidence,
            quote: best.quote_confidence,
            header: header_confidence,
        },
    }
}

fn whole_lines(sample: &[u8]) -> &[u8] {
    match memchr::memrchr2(b'\n', b'\r', sample) {
        Some(end) => &sample[..=end],
        None => sample,
    }
}

fn line_ending(sample: &[u8]) -> LineEnding {
    let lf = memchr::memchr_iter(b'\n', sample).count();
    let crlf = memchr::memmem::find_iter(sample, b"\r\n").count();
    let cr = memchr::memchr_iter(b'\r', sample).count() - crlf;
    if lf == 0 && cr > 0 {
        LineEnding::Cr
    } else if crlf * 2 > lf {
        LineEnding::CrLf
    } else {
        LineEnding::Lf
    }
}

/// The best delimiter and quote with their evidence.
struct Candidate {
    delimiter: u8,
    quote: u8,
    field_count: usize,
    score: f32,
    delimiter_confidence: f32,
    quote_confidence: f32,
}

/// How consistently a dialect splits the sample: the share of records with the most common
/// field count, that count, and the number of records. Among equally common counts the one
/// seen first wins.
fn consistency(sample: &[u8], delimiter: u8, quote: u8, comment: Option<u8>) -> (f32, usize, usize) {
    let dialect = Dialect { delimiter, quote: Some(quote), comment, ..Dialect::default() };
    let counts: Vec<usize> = records(sample, &dialect).iter().map(Vec::len).collect();
    let mut tally: Vec<(usize, usize)> = Vec::new();
    for &c in &counts {
        match tally.iter_mut().find(|(n, _)| *n == c) {
            Some(entry) => entry.1 += 1,
            None => tally.push((c, 1)),
        }
    }
    let first_best = tally.iter().enumerate().max_by_key(|&(i, &(_, f))| (f, std::cmp::Reverse(i)));
    let (mode, freq) = first_best.map_or((1, 0), |(_, &entry)| entry);
    let share = if counts.is_empty() { 0.0 } else { freq as f32 / counts.len() as f32 };
    (share, mode, counts.len())
}

fn score(share: f32, fields: usize) -> f32 {
    if fields < 2 { 0.0 } else { share + (fields as f32).ln() * 0.001 }
}

fn best_delimiter(sample: &[u8], comment: Option<u8>) -> Candidate {
    let mut all: Vec<Candidate> = DELIMITERS.iter().map(|&d| with_best_quote(sample, d, comment)).collect();
    // Stable: among equal scores the preferred delimiter (earlier in DELIMITERS) wins.
    all.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut best = all.swap_remove(0);
    let runner_up = all.iter().map(|c| c.score).fold(0.0f32, f32::max);
    if best.score == 0.0 {
        best.delimiter = b',';
        best.field_count = 1;
        best.delimiter_confidence = 0.0;
    } else if runner_up > 0.0 && best.score - runner_up < 0.05 {
        best.delimiter_confidence *= 0.5;
    }
    best
}

fn with_best_quote(sample: &[u8], delimiter: u8, comment: Option<u8>) -> Candidate {
    let (share, fields, n) = consistency(sample, delimiter, b'"', comment);
    let double = score(share, fields);
    let single_quotes = memchr::memchr(b'\'', sample).is_some();
    let (s_share, s_fields, _) =
        if single_quotes { consistency(sample, delimiter, b'\'', comment) } else { (0.0, 0, 0) };
    let single = score(s_share, s_fields);
    let few_records = if n >= 5 { 1.0 } else { 0.5 + 0.1 * n as f32 };
    let (quote, score, fields, share) = if single > double + 0.01 {
        (b'\'', single, s_fields, s_share)
    } else {
        (b'"', double, fields, share)
    };
    let quote_confidence = if !single_quotes || (single - double).abs() > 0.01 { 1.0 } else { 0.5 };
    Candidate {
        delimiter,
        quote,
        field_count: fields,
        score,
        delimiter_confidence: share * few_records,
        quote_confidence,
    }
}

/// Parses up to `MAX_RECORDS` records of the sample into owned fields. Blank and comment lines
/// between records are skipped here, as the tokenizer skips them: csv-core would end a comment
/// only at LF, and a CR-only file's comment would swallow the rest of the sample.
fn records(sample: &[u8], dialect: &Dialect) -> Vec<Vec<String>> {
    let mut reader = csv_core::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .quote(dialect.quote.unwrap_or(b'"'))
        .quoting(dialect.quote.is_some())
        .build();
    let mut out = vec![0u8; sample.len() + 1];
    let mut ends = vec![0usize; 64];
    let (mut input, mut records) = (sample, Vec::new());
    // What csv-core wrote of the record so far: a record continues where the last call left
    // off (its field ends count from the record's start), however many calls it takes.
    let (mut nout, mut nend) = (0, 0);
    while records.len() < MAX_RECORDS {
        if (nout, nend) == (0, 0) {
            input = skip_between_records(input, dialect.comment);
        }
        let (result, nin, more_out, more_ends) = reader.read_record(
            input,
            out.get_mut(nout..).unwrap_or_default(),
            ends.get_mut(nend..).unwrap_or_default(),
        );
        input = input.get(nin..).unwrap_or_default();
        (nout, nend) = (nout + more_out, nend + more_ends);
        match result {
            csv_core::ReadRecordResult::Record => {
                records
                    .push(split(out.get(..nout).unwrap_or_default(), ends.get(..nend).unwrap_or_default()));
                (nout, nend) = (0, 0);
            }
            csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            csv_core::ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
            csv_core::ReadRecordResult::End => break,
            csv_core::ReadRecordResult::InputEmpty => {}
        }
    }
    records
}

/// The input after the line terminators and comment lines at its start.
fn skip_between_records(mut input: &[u8], comment: Option<u8>) -> &[u8] {
    loop {
        let start = input.iter().position(|&b| b != b'\n' && b != b'\r').unwrap_or(input.len());
        input = input.get(start..).unwrap_or_default();
        match input.first() {
            Some(&b) if Some(b) == comment => {
                let end = memchr::memchr2(b'\n', b'\r', input).unwrap_or(input.len());
                input = input.get(end..).unwrap_or_default();
            }
            _ => return input,
        }
    }
}

fn split(out: &[u8], ends: &[usize]) -> Vec<String> {
    let mut start = 0;
    ends.iter()
        .map(|&end| {
            let field = String::from_utf8_lossy(out.get(start..end).unwrap_or_default()).into_owned();
            start = end;
            field
        })
        .collect()
}

/// Finds the header row (the first record with the usual field count) and decides whether it
/// is a header at all by comparing each of its cells with the kind of data below it.
fn header_row(records: &[Vec<String>], fields: usize) -> (Option<u64>, f32) {
    let Some(index) = records.iter().take(MAX_PREAMBLE).position(|r| r.len() == fields) else {
        return (Some(1), 0.0);
    };
    let header = &records[index];
    let data = &records[index + 1..records.len().min(index + 51)];
    let votes: f32 = (0..header.len()).map(|col| vote(header, data, col)).sum();
    let row = Some(index as u64 + 1);
    let strength = (0.5 + 0.5 * votes.abs() / header.len().max(1) as f32).min(1.0);
    if votes < 0.0 {
        (None, strength)
    } else if votes > 0.0 {
        (row, strength)
    } else if data.is_empty() || !all_distinct_text(header) {
        (row, 0.5)
    } else {
        (row, 0.6)
    }
}

/// +1 when the header cell is text above a column of non-text data, -1 when it looks like the
/// data below it, 0 when the column says nothing.
fn vote(header: &[String], data: &[Vec<String>], col: usize) -> f32 {
    let kinds: Vec<Kind> = data
        .iter()
        .filter_map(|r| r.get(col))
        .map(|cell| Kind::of(cell))
        .filter(|k| *k != Kind::Empty)
        .collect();
    let Some(majority) = majority(&kinds) else {
        return 0.0;
    };
    let head = header.get(col).map_or(Kind::Empty, |cell| Kind::of(cell));
    match (majority, head) {
        (Kind::Text, _) => 0.0,
        (_, Kind::Text) => 1.0,
        (m, h) if m == h => -1.0,
        _ => 0.0,
    }
}

fn majority(kinds: &[Kind]) -> Option<Kind> {
    let mut best = None;
    for &k in kinds {
        let n = kinds.iter().filter(|&&o| o == k).count();
        if n * 10 >= kinds.len() * 6 {
            best = Some(k);
            break;
        }
    }
    best
}

fn all_distinct_text(header: &[String]) -> bool {
    let mut seen = std::collections::HashSet::with_capacity(header.len());
    header.iter().all(|cell| Kind::of(cell) == Kind::Text && seen.insert(cell.trim()))
}

/// The rough kind of a cell, enough to tell a header from data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Empty,
    Number,
    Date,
    Email,
    Boolean,
    Text,
}

impl Kind {
    fn of(cell: &str) -> Kind {
        let cell = cell.trim();
        let has_digit = cell.bytes().any(|b| b.is_ascii_digit());
        if cell.is_empty() {
            Kind::Empty
        } else if has_digit && cell.chars().all(|c| "0123456789+-.,' %$€£".contains(c)) {
            Kind::Number
        } else if has_digit && cell.bytes().all(|b| b"0123456789-/.:T Z+".contains(&b)) {
            Kind::Date
        } else if cell.contains('@') && cell.rsplit('@').next().is_some_and(|d| d.contains('.')) {
            Kind::Email
        } else if ["true", "false", "yes", "no"].iter().any(|w| cell.eq_ignore_ascii_case(w)) {
            Kind::Boolean
        } else {
            Kind::Text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guess(text: &str) -> Sniffed {
        sniff(text.as_bytes(), true, None)
    }

    #[test]
    fn delimiters_are_found() {
        let cases = [
            ("a,b,c\n1,2,3\n4,5,6\n", b','),
            ("a;b;c\n1,5;2;3\n4;5,5;6\n", b';'),
            ("a\tb\tc\n1\t2\t3\n", b'\t'),
            ("a|b|c\n1|2|3\n", b'|'),
            ("name;note\n\"Doe, Jane\";\"a, b, c\"\n\"Roe, Rick\";x\n", b';'),
        ];
        for (text, delimiter) in cases {
            assert_eq!(guess(text).dialect.delimiter, delimiter, "{text:?}");
        }
    }

    #[test]
    fn quoted_delimiters_do_not_mislead() {
        let text = "id,name\n1,\"Doe; Jane; Q\"\n2,\"Roe; Rick; Z\"\n3,Ann\n";
        let s = guess(text);
        assert_eq!((s.dialect.delimiter, s.field_count), (b',', 2));
    }

    #[test]
    fn single_quotes_are_chosen_only_on_evidence() {
        let text = "id,name\n1,'Doe, Jane'\n2,'Roe, Rick'\n3,'Poe, Ed'\n";
        assert_eq!(guess(text).dialect.quote, Some(b'\''));
        let text = "id,name\n1,O'Brien\n2,D'Arcy\n";
        assert_eq!(guess(text).dialect.quote, Some(b'"'));
    }

    #[test]
    fn headers_are_told_from_data() {
        let with = "id,email,joined\n1,a@x.io,2024-01-02\n2,b@y.io,2024-02-03\n";
        let s = guess(with);
        assert_eq!(s.header_row, Some(1));
        assert!(s.confidence.header > 0.9);
        let without = "1,a@x.io,2024-01-02\n2,b@y.io,2024-02-03\n3,c@z.io,2024-03-04\n";
        assert_eq!(guess(without).header_row, None);
    }

    #[test]
    fn a_preamble_before_the_header_is_skipped() {
        let text = "Export of contacts\nGenerated 2024-05-01\nid,name,age\n1,Ann,31\n2,Bob,42\n3,Cy,25\n";
        let s = guess(text);
        assert_eq!((s.header_row, s.field_count), (Some(3), 3));
    }

    #[test]
    fn comment_lines_are_not_records() {
        let s = sniff(b"# a;b;c;d\nid,name\n# x\n1,Ann\n2,Bob\n", true, Some(b'#'));
        assert_eq!((s.dialect.delimiter, s.header_row, s.field_count), (b',', Some(1), 2));
    }

    #[test]
    fn records_wider_than_the_first_ends_buffer_keep_every_field() {
        let header: Vec<String> = (1..=1100).map(|i| format!("c{i}")).collect();
        let row = vec!["1"; 1100].join(",");
        let s = guess(&format!("{}\n{row}\n{row}\n", header.join(",")));
        assert_eq!((s.dialect.delimiter, s.field_count, s.header_row), (b',', 1100, Some(1)));
    }

    #[test]
    fn a_last_record_without_a_line_ending_is_a_record() {
        let s = guess("a;b;c");
        assert_eq!((s.dialect.delimiter, s.field_count), (b';', 3));
        assert!(s.confidence.delimiter > 0.0);
    }

    #[test]
    fn comment_lines_end_at_a_cr_too() {
        let s = sniff(b"# a,b,c,d\rid;name\r# x,y\r1;Ann\r2;Bob\r", true, Some(b'#'));
        assert_eq!((s.dialect.delimiter, s.header_row, s.field_count), (b';', Some(1), 2));
        assert_eq!(s.confidence.delimiter, 0.5 + 0.1 * 3.0);
    }

    #[test]
    fn ragged_files_take_the_first_common_width() {
        let s = guess("a,b,c\n1,2\n1,2,3,4\n");
        assert_eq!((s.header_row, s.field_count), (Some(1), 3));
    }

    #[test]
    fn line_endings_are_reported() {
        assert_eq!(guess("a,b\r\n1,2\r\n").dialect.line_ending, LineEnding::CrLf);
        assert_eq!(guess("a,b\r1,2\r").dialect.line_ending, LineEnding::Cr);
        assert_eq!(guess("a,b\n1,2\n").dialect.line_ending, LineEnding::Lf);
    }

    #[test]
    fn one_column_files_have_no_delimiter_confidence() {
        let s = guess("name\nAnn\nBob\n");
        assert_eq!((s.dialect.delimiter, s.field_count), (b',', 1));
        assert_eq!(s.confidence.delimiter, 0.0);
    }

    #[test]
    fn a_cut_last_line_is_ignored() {
        let s = sniff(b"a;b;c\n1;2;3\n4;5;6\n7;8", false, None);
        assert_eq!(s.confidence.delimiter, 0.5 + 0.1 * 3.0);
        assert_eq!(s.field_count, 3);
    }

    #[test]
    fn hostile_samples_do_not_panic() {
        for text in ["", "\n\n\n", "\"", "\"\"\"", ",,,,", "\r", "é;è\n\u{0}", "'a,'b\n"] {
            let _ = guess(text);
            let _ = sniff(text.as_bytes(), false, Some(b'#'));
        }
    }
}
