use super::*;
use crate::record::Problem;
use proptest::prelude::*;

/// A record as the tests compare it.
#[derive(Debug, PartialEq, Eq)]
struct Rec {
    fields: Vec<Vec<u8>>,
    start: Position,
    starts: Vec<Position>,
    problems: Vec<Problem>,
}

fn tokenize_cut(input: &[u8], cuts: &[usize], dialect: &Dialect, limits: Limits) -> Vec<Rec> {
    let mut t = Tokenizer::new(dialect, limits);
    let mut map = OffsetMap::identity();
    let mut out = Vec::new();
    let mut emit = |r: &RawRecord, buf: &[u8]| {
        out.push(Rec {
            fields: (0..r.len()).map(|i| r.field(buf, i).to_vec()).collect(),
            start: r.start,
            starts: r.starts.clone(),
            problems: r.problems.clone(),
        });
    };
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(from, input.len());
        t.feed(&input[from..cut], from as u64, &mut map, &mut emit);
        from = cut;
    }
    t.finish(input.len() as u64, &mut map, &mut emit);
    out
}

fn tokenize(input: &[u8]) -> Vec<Rec> {
    tokenize_cut(input, &[], &Dialect::default(), Limits::default())
}

/// Every way of cutting the input that the tests try: whole, byte by byte, and each single cut.
fn all_cuttings(len: usize) -> Vec<Vec<usize>> {
    let mut cuttings = vec![vec![], (1..len).collect()];
    cuttings.extend((1..len).map(|c| vec![c]));
    cuttings
}

fn fields(recs: &[Rec]) -> Vec<Vec<&str>> {
    recs.iter().map(|r| r.fields.iter().map(|f| std::str::from_utf8(f).unwrap()).collect()).collect()
}

fn pos(byte: u64, line: u64) -> Position {
    Position { byte, line }
}

#[test]
fn records_fields_and_positions() {
    let recs = tokenize(b"a,b\r\n\r\n\"x\ny\",\"q\"\"\"\nlast");
    assert_eq!(fields(&recs), vec![vec!["a", "b"], vec!["x\ny", "q\""], vec!["last"]]);
    assert_eq!(recs[1].start, pos(7, 3));
    assert_eq!(recs[1].starts, vec![pos(7, 3), pos(13, 4)]);
    assert_eq!(recs[2].start, pos(19, 5));
}

#[test]
fn csv_core_oddities_are_kept() {
    let recs = tokenize(b"\"ab\"cd,e\"f\"\n,\n\"\"\n");
    assert_eq!(fields(&recs), vec![vec!["abcd", "e\"f\""], vec!["", ""], vec![""]]);
}

#[test]
fn cr_only_files_count_lines_by_cr() {
    let dialect = Dialect { line_ending: crate::dialect::LineEnding::Cr, ..Dialect::default() };
    let recs = tokenize_cut(b"a\rb\r\rc", &[], &dialect, Limits::default());
    let lines: Vec<u64> = recs.iter().map(|r| r.start.line).collect();
    assert_eq!(lines, vec![1, 2, 4]);
}

#[test]
fn comments_are_skipped() {
    let dialect = Dialect { comment: Some(b'#'), ..Dialect::default() };
    let recs = tokenize_cut(b"#x,y\na,#b\n# z\nc", &[], &dialect, Limits::default());
    assert_eq!(fields(&recs), vec![vec!["a", "#b"], vec!["c"]]);
    assert_eq!(recs[1].start, pos(14, 4));
}

#[test]
fn an_unterminated_quote_names_where_it_opened() {
    let input = b"id,note\n1,ok\n2,\"never closed\n3,x\n";
    for cuts in all_cuttings(input.len()) {
        let recs = tokenize_cut(input, &cuts, &Dialect::default(), Limits::default());
        assert_eq!(recs.len(), 3, "{cuts:?}");
        assert_eq!(recs[2].problems, vec![Problem::UnterminatedQuote { field: 1, opened: pos(15, 3) }]);
    }
}

#[test]
fn an_oversized_field_is_dropped_with_a_positioned_problem() {
    let limits = Limits { max_field_bytes: 4, ..Limits::default() };
    let input = b"abcd,abcde,x\n\"abcdef\",y\n";
    for cuts in all_cuttings(input.len()) {
        let recs = tokenize_cut(input, &cuts, &Dialect::default(), limits);
        assert_eq!(fields(&recs), vec![vec!["abcd", "", "x"], vec!["", "y"]], "{cuts:?}");
        assert_eq!(recs[0].problems, vec![Problem::FieldTooLarge { field: 1, limit: 4, quote_opened: None }]);
        let opened = Some(pos(13, 2));
        assert_eq!(
            recs[1].problems,
            vec![Problem::FieldTooLarge { field: 0, limit: 4, quote_opened: opened }]
        );
    }
}

#[test]
fn record_and_column_limits_drop_the_excess_once() {
    let limits = Limits { max_record_bytes: 5, max_columns: 3, ..Limits::default() };
    let input = b"ab,cd,ef\na,b,c,d,e\n";
    for cuts in all_cuttings(input.len()) {
        let recs = tokenize_cut(input, &cuts, &Dialect::default(), limits);
        assert_eq!(fields(&recs), vec![vec!["ab", "cd", ""], vec!["a", "b", "c"]], "{cuts:?}");
        assert_eq!(recs[0].problems, vec![Problem::RecordTooLarge { field: 2, limit: 5 }]);
        assert_eq!(recs[1].problems, vec![Problem::TooManyColumns { limit: 3 }]);
    }
}

#[test]
fn escapes_are_honoured() {
    let dialect = Dialect { escape: Some(b'\\'), ..Dialect::default() };
    let input = b"\"a\\\"b\",c\n\"open\\\"";
    for cuts in all_cuttings(input.len()) {
        let recs = tokenize_cut(input, &cuts, &dialect, Limits::default());
        assert_eq!(fields(&recs), vec![vec!["a\"b", "c"], vec!["open\""]]);
        assert_eq!(recs[1].problems, vec![Problem::UnterminatedQuote { field: 0, opened: pos(9, 2) }]);
    }
}

#[test]
fn a_bom_inside_the_input_is_data() {
    let input = b"\"a\"\n\xEF\xBB\xBFb\n";
    for cuts in all_cuttings(input.len()) {
        let recs = tokenize_cut(input, &cuts, &Dialect::default(), Limits::default());
        assert_eq!(recs[1].fields, vec![b"\xEF\xBB\xBFb".to_vec()], "{cuts:?}");
    }
}

/// What csv-core alone reads from `input`, record by record.
fn csv_core_reference(input: &[u8], dialect: &Dialect) -> Vec<Vec<Vec<u8>>> {
    let mut reader = csv_core::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .quote(dialect.quote.unwrap_or(b'"'))
        .quoting(dialect.quote.is_some())
        .escape(dialect.escape)
        .build();
    let mut out = vec![0; input.len() + 1];
    let mut ends = vec![0; input.len() + 1];
    let mut records = Vec::new();
    let (mut rest, mut nout, mut nend) = (input, 0, 0);
    loop {
        let (result, nin, o, e) = reader.read_record(rest, &mut out[nout..], &mut ends[nend..]);
        rest = &rest[nin..];
        (nout, nend) = (nout + o, nend + e);
        match result {
            csv_core::ReadRecordResult::Record => {
                let mut start = 0;
                records.push(
                    ends[..nend]
                        .iter()
                        .map(|&e| {
                            let f = out[start..e].to_vec();
                            start = e;
                            f
                        })
                        .collect(),
                );
                (nout, nend) = (0, 0);
            }
            csv_core::ReadRecordResult::End => return records,
            _ => {}
        }
    }
}

fn csvish() -> impl Strategy<Value = Vec<u8>> {
    let alphabet =
        prop::sample::select(vec![b'a', b'b', b',', b';', b'"', b'\\', b'\r', b'\n', b' ', 0xC3, 0xA9]);
    prop::collection::vec(alphabet, 0..80)
}

proptest! {
    #[test]
    fn records_equal_csv_core_however_the_input_is_cut(
        input in csvish(),
        cuts in prop::collection::vec(0usize..80, 0..6),
        escape in any::<bool>(),
    ) {
        prop_assume!(!input.starts_with(b"\xEF\xBB\xBF"));
        let dialect = Dialect { escape: escape.then_some(b'\\'), ..Dialect::default() };
        let mut cuts = cuts;
        cuts.sort_unstable();
        let whole = tokenize_cut(&input, &[], &dialect, Limits::default());
        let cut = tokenize_cut(&input, &cuts, &dialect, Limits::default());
        let bytewise = tokenize_cut(&input, &(1..input.len()).collect::<Vec<_>>(), &dialect, Limits::default());
        let reference = csv_core_reference(&input, &dialect);
        let got: Vec<Vec<Vec<u8>>> = whole.iter().map(|r| r.fields.clone()).collect();
        prop_assert_eq!(&got, &reference);
        prop_assert_eq!(&whole, &cut);
        prop_assert_eq!(&whole, &bytewise);
    }
}

/// One field for the scanner's tests: `len` content bytes from `fill` (cycled), written quoted
/// (inner quotes doubled) or as they are (then quotes, delimiters and line ends are data the
/// scanner must hand back), so lengths around 64 put quotes and line ends on block edges.
fn scanner_field(len: usize, fill: &[u8], quoted: bool) -> Vec<u8> {
    let content: Vec<u8> = fill.iter().copied().cycle().take(len).collect();
    if !quoted {
        return content;
    }
    let mut out = vec![b'"'];
    for b in content {
        out.extend_from_slice(if b == b'"' { b"\"\"" } else { std::slice::from_ref(&b) });
    }
    out.push(b'"');
    out
}

/// A record for the scanner's tests: its fields (length, fill, quoted) and its line end.
type ScannerRecord = (Vec<(usize, Vec<u8>, bool)>, &'static [u8]);

fn scanner_record() -> impl Strategy<Value = ScannerRecord> {
    let lengths = prop::sample::select(vec![0usize, 1, 2, 31, 62, 63, 64, 65, 66, 127, 128, 129]);
    let fills = prop::sample::select(vec![
        b"ab".as_slice(),
        b"a,b",
        b"x\"y",
        b"l1\r\nl2",
        b"\rq\n",
        b"\xC3\xA9;|\t",
        b"\"",
    ]);
    let field = (lengths, fills, prop::bool::weighted(0.4)).prop_map(|(l, f, q)| (l, f.to_vec(), q));
    let ends = prop::sample::select(vec![b"\n".as_slice(), b"\r\n", b"\r", b"\n\n", b"\r\n\r\n"]);
    (prop::collection::vec(field, 1..5), ends)
}

fn scanner_input(pad: usize, records: &[ScannerRecord], delimiter: u8) -> Vec<u8> {
    let mut input = vec![b'p'; pad];
    input.push(b'\n');
    for (fields, end) in records {
        let written: Vec<Vec<u8>> = fields.iter().map(|(l, f, q)| scanner_field(*l, f, *q)).collect();
        input.extend(written.join(&delimiter));
        input.extend_from_slice(end);
    }
    input
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn scanned_records_equal_csv_core_across_blocks_and_cuts(
        pad in 0usize..64,
        records in prop::collection::vec(scanner_record(), 1..6),
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        quote in prop::sample::select(vec![Some(b'"'), Some(b'\''), None]),
        cuts in prop::collection::vec(0usize..2000, 0..6),
    ) {
        let input = scanner_input(pad, &records, delimiter);
        let dialect = Dialect { delimiter, quote, ..Dialect::default() };
        let mut cuts = cuts;
        cuts.sort_unstable();
        let whole = tokenize_cut(&input, &[], &dialect, Limits::default());
        let reference = csv_core_reference(&input, &dialect);
        let got: Vec<Vec<Vec<u8>>> = whole.iter().map(|r| r.fields.clone()).collect();
        prop_assert_eq!(&got, &reference);
        prop_assert_eq!(&whole, &tokenize_cut(&input, &cuts, &dialect, Limits::default()));
        let bytewise = tokenize_cut(&input, &(1..input.len()).collect::<Vec<_>>(), &dialect, Limits::default());
        prop_assert_eq!(&whole, &bytewise);
    }
}

#[test]
fn a_crlf_split_across_blocks_ends_one_line() {
    for pad in 0..70 {
        let mut input = vec![b'a'; pad];
        input.extend_from_slice(b"\r\n\"x\r\ny\",z\r\nlast\n");
        let recs = tokenize(&input);
        let lines: Vec<u64> = recs.iter().map(|r| r.start.line).collect();
        let expected = if pad == 0 { vec![2, 4] } else { vec![1, 2, 4] };
        assert_eq!(lines, expected, "pad {pad}");
        let field_lines: Vec<u64> = recs[recs.len() - 2].starts.iter().map(|p| p.line).collect();
        assert_eq!(field_lines, vec![2, 3], "pad {pad}");
    }
}

/// What the scanner alone makes of the record at the start of `input`: its end and fields.
fn scanned(input: &[u8], dialect: &Dialect) -> Option<(usize, Vec<Vec<u8>>)> {
    let mut t = Tokenizer::new(dialect, Limits::default());
    let end = t.scanned_record(input, 0, 0, 0, &mut OffsetMap::identity())?;
    Some((end, (0..t.record.len()).map(|i| t.record.field(input, i).to_vec()).collect()))
}

#[test]
fn the_scanner_reads_quotes_and_line_ends_on_block_edges() {
    for pad in 0..130 {
        let mut input = vec![b'a'; pad];
        input.extend_from_slice(b",\"q\"\"x\r\ny\",,z\r\n");
        let fields = vec![vec![b'a'; pad], b"q\"x\r\ny".to_vec(), vec![], b"z".to_vec()];
        assert_eq!(scanned(&input, &Dialect::default()), Some((input.len() - 1, fields)), "pad {pad}");
    }
}

#[test]
fn the_scanner_hands_back_what_it_cannot_decide() {
    let dialect = Dialect::default();
    for input in [&b"ab\"c,d\n"[..], b"\"ab\"c,d\n", b"a,b", b"a,\"b\n", b"\"a\""] {
        assert_eq!(scanned(input, &dialect), None, "{:?}", String::from_utf8_lossy(input));
    }
    let escaped = Dialect { escape: Some(b'\\'), ..Dialect::default() };
    assert!(!Tokenizer::scannable(Syntax {
        delimiter: b',',
        quote: Some(b'"'),
        escape: Some(b'\\'),
        comment: None
    }));
    assert_eq!(tokenize_cut(b"a,b\n", &[], &escaped, Limits::default())[0].fields.len(), 2);
}
