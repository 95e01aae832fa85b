//! Random bytes, cut at random places, read with random options: the reader never panics and
//! reads the same rows, problems and positions, and refuses the same files at the same place,
//! however the input is cut.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_parser::error::ReadError;
use sluice_parser::limits::Limits;
use sluice_parser::reader::{FileLayout, HeaderChoice, Reader, ReaderOptions, Row, Sink};
use std::fmt::Write;

#[derive(Default)]
struct Render(String);

impl Sink for Render {
    fn layout(&mut self, layout: &FileLayout) {
        let _ = writeln!(self.0, "{layout:?}");
    }

    fn row(&mut self, row: &Row<'_>) {
        let fields: Vec<(&str, _)> = (0..row.len()).map(|i| (row.get(i).unwrap_or("?"), row.field_position(i))).collect();
        let _ = writeln!(self.0, "{} {:?} {fields:?} {:?}", row.number(), row.position(), row.problems());
    }
}

fn read(input: &[u8], options: &ReaderOptions, cuts: &[usize]) -> String {
    let Ok(mut reader) = Reader::new(options) else { return String::new() };
    let mut out = Render::default();
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        let cut = cut.clamp(from, input.len());
        if let Err(e) = reader.feed(&input[from..cut], &mut out) {
            return refused(out, &e, &mut reader);
        }
        from = cut;
    }
    match reader.finish(&mut out) {
        Ok(summary) => {
            let _ = writeln!(out.0, "{summary:?}");
            out.0
        }
        Err(e) => refused(out, &e, &mut reader),
    }
}

/// Renders a refused file; the reader must go on refusing it.
fn refused(mut out: Render, error: &ReadError, reader: &mut Reader) -> String {
    assert!(matches!(error, ReadError::File(_)), "only a file is refused: {error}");
    assert_eq!(reader.finish(&mut Render::default()).err().as_ref(), Some(error), "refused again");
    let _ = writeln!(out.0, "refused: {error:?}");
    out.0
}

fuzz_target!(|data: &[u8]| {
    let Some((&settings, rest)) = data.split_first() else { return };
    let Some((&seed, input)) = rest.split_first() else { return };
    let options = ReaderOptions {
        sniff_bytes: 1 + usize::from(settings & 0x0F) * 7,
        limits: Limits { max_field_bytes: 1 + usize::from(seed % 64), max_columns: 1 + usize::from(seed % 9), ..Limits::default() },
        header: if settings & 0x10 != 0 { HeaderChoice::None } else { HeaderChoice::Detect },
        escape: (settings & 0x20 != 0).then_some(b'\\'),
        comment: (settings & 0x40 != 0).then_some(b'#'),
        encoding: (settings & 0x80 != 0).then(|| "utf-16le".to_owned()),
        allow_empty: seed & 0x80 != 0,
        ..ReaderOptions::default()
    };
    let whole = read(input, &options, &[]);
    let bytewise: Vec<usize> = (1..input.len()).collect();
    assert_eq!(whole, read(input, &options, &bytewise), "byte by byte");
    let step = 1 + usize::from(seed % 17);
    let split: Vec<usize> = (step..input.len()).step_by(step).collect();
    assert_eq!(whole, read(input, &options, &split), "in chunks of {step}");
});
