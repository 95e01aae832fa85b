//! Rendering a reader's output as text, and cutting inputs into chunks.

use sluice_parser::error::ReadError;
use sluice_parser::reader::{FileLayout, Reader, ReaderOptions, Row, RowStart, Sink};
use std::fmt::Write;

#[path = "../../benches/support/rng.rs"]
mod rng;

use rng::Rng;

/// Collects a reader's output as readable text, one line per event.
#[derive(Default)]
pub(crate) struct Render(pub(crate) String);

impl Sink for Render {
    fn layout(&mut self, layout: &FileLayout) {
        let d = &layout.dialect;
        let quote = d.quote.map_or("none".to_owned(), |q| format!("{:?}", char::from(q)));
        writeln!(self.0, "encoding {}", layout.encoding).unwrap();
        writeln!(self.0, "dialect {:?} quote {quote} {:?}", char::from(d.delimiter), d.line_ending).unwrap();
        let h = &layout.header;
        let at =
            h.position.map_or("generated".to_owned(), |p| format!("record {} at {p}", h.record.unwrap()));
        writeln!(self.0, "header {:?} ({at})", h.names).unwrap();
    }

    fn row(&mut self, row: &Row<'_>) {
        let fields: Vec<&str> = row.fields().collect();
        let p = row.position();
        write!(self.0, "row {} @{}:{} {fields:?}", row.number(), p.line, p.byte).unwrap();
        for problem in row.problems() {
            write!(self.0, " !{}", problem.code()).unwrap();
            if let Some(field) = problem.field() {
                write!(self.0, "[{field}]").unwrap();
            }
        }
        writeln!(self.0).unwrap();
    }
}

/// Reads `input` cut at `cuts` and renders everything, the summary or the file's refusal
/// included.
pub(crate) fn read(input: &[u8], options: &ReaderOptions, cuts: &[usize]) -> String {
    let mut reader = Reader::new(options).unwrap();
    let mut out = Render::default();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        if let Err(e) = reader.feed(&input[from..cut], &mut out) {
            return refused(out, &e, reader.finish(&mut Render::default()).err());
        }
        from = cut;
    }
    match reader.finish(&mut out) {
        Ok(summary) => writeln!(out.0, "{summary:?}").unwrap(),
        Err(e) => return refused(out, &e, reader.finish(&mut Render::default()).err()),
    }
    out.0
}

/// Renders a refusal, checking that the reader goes on answering it.
fn refused(mut out: Render, error: &ReadError, again: Option<ReadError>) -> String {
    let ReadError::File(file) = error else { panic!("not a file error: {error}") };
    assert_eq!(again.as_ref(), Some(error), "the refusal is answered again");
    writeln!(out.0, "refused {}: {file}", file.code()).unwrap();
    out.0
}

/// Cut points for random chunks of 1 to `max_chunk` bytes.
pub(crate) fn random_cuts(len: usize, seed: u64, max_chunk: u64) -> Vec<usize> {
    let mut rng = Rng(seed);
    let mut cuts = Vec::new();
    let mut at = 0;
    loop {
        at += 1 + rng.below(max_chunk) as usize;
        if at >= len {
            return cuts;
        }
        cuts.push(at);
    }
}

/// Every way of cutting an input the tests use: whole, byte by byte, and 24 seeded random
/// splits (small and large chunks), each with a name for failure messages.
pub(crate) fn cuttings(len: usize) -> Vec<(String, Vec<usize>)> {
    let mut all = vec![("whole".to_owned(), vec![]), ("byte by byte".to_owned(), (1..len).collect())];
    for seed in 0..24 {
        let max_chunk = if seed % 2 == 0 { 7 } else { 300 };
        all.push((format!("random seed {seed}"), random_cuts(len, seed, max_chunk)));
    }
    all
}

/// Collects the layout, and each row's start with its rendering.
#[derive(Default)]
struct Starts {
    layout: Option<FileLayout>,
    rows: Vec<(RowStart, String)>,
}

impl Sink for Starts {
    fn layout(&mut self, layout: &FileLayout) {
        self.layout = Some(layout.clone());
    }

    fn row(&mut self, row: &Row<'_>) {
        let mut line = Render::default();
        line.row(row);
        let p = row.position();
        self.rows.push((RowStart { row: row.number(), byte: p.byte, line: p.line }, line.0));
    }
}

/// Reads `input` whole: its layout, and each row's start with its rendering (for a refused
/// file, what was read before the refusal).
pub(crate) fn read_rows(
    input: &[u8],
    options: &ReaderOptions,
) -> (Option<FileLayout>, Vec<(RowStart, String)>) {
    let mut reader = Reader::new(options).unwrap();
    let mut out = Starts::default();
    if reader.feed(input, &mut out).is_ok() {
        let _refused = reader.finish(&mut out);
    }
    (out.layout, out.rows)
}

/// Reads a part of a file from `start`, byte by byte, rendering its rows (up to a refusal).
pub(crate) fn read_rows_from(
    part: &[u8],
    layout: &FileLayout,
    options: &ReaderOptions,
    start: RowStart,
) -> Vec<String> {
    let mut reader = Reader::resume(layout, options, start).unwrap();
    let mut out = Starts::default();
    if part.chunks(1).all(|byte| reader.feed(byte, &mut out).is_ok()) {
        let _refused = reader.finish(&mut out);
    }
    out.rows.into_iter().map(|(_, line)| line).collect()
}
