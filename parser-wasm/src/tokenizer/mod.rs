//! CSV records from bytes, fed in chunks of any size.
//!
//! Records that lie whole in the current buffer are read by the structural scanner (`scan`),
//! 64 bytes at a time; what it cannot decide goes to the fast path (`fast`); a record that runs
//! past the end of the buffer, or that the fast path does not handle, goes through csv-core
//! (`slow`), which keeps its state from one buffer to the next. All paths give identical
//! records (the tests feed every fixture whole and byte by byte to prove it), so the output
//! never depends on how the input was cut. Blank lines and comment lines between records are
//! skipped here, before either path sees them.

mod fast;
mod scan;
mod slow;

use crate::decode::OffsetMap;
use crate::dialect::Dialect;
use crate::limits::Limits;
use crate::position::Position;
use crate::record::RawRecord;
use fast::Fast;
use scan::Scan;
use slow::SlowField;

/// The bytes that matter to the tokenizer.
#[derive(Clone, Copy, Debug)]
struct Syntax {
    delimiter: u8,
    quote: Option<u8>,
    escape: Option<u8>,
    comment: Option<u8>,
}

/// Where the tokenizer is between two calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before a record: blank lines are skipped here.
    Between,
    /// Inside a comment line.
    Comment,
    /// Inside a record that csv-core is reading.
    Slow,
}

/// Splits bytes into records.
pub(crate) struct Tokenizer {
    syntax: Syntax,
    limits: Limits,
    /// Whether the fast path may be tried (not with an escape byte).
    fast: bool,
    /// Whether the scanner may be tried (see `Tokenizer::scannable`).
    scanner: bool,
    scan: Scan,
    core: csv_core::Reader,
    /// csv-core drops a UTF-8 byte order mark at the start of the first input it sees; it must
    /// not see one mid-file, so its first input is cut to one byte.
    core_fresh: bool,
    state: State,
    /// The line the next unread byte is on.
    lines: Lines,
    record: RawRecord,
    field: SlowField,
    discard: Vec<u8>,
}

impl Tokenizer {
    /// A tokenizer for `dialect`, its first byte being on line 1.
    pub(crate) fn new(dialect: &Dialect, limits: Limits) -> Self {
        let syntax = Syntax {
            delimiter: dialect.delimiter,
            quote: dialect.quote,
            escape: dialect.escape,
            comment: dialect.comment,
        };
        let core = csv_core::ReaderBuilder::new()
            .delimiter(syntax.delimiter)
            .quote(syntax.quote.unwrap_or(b'"'))
            .quoting(syntax.quote.is_some())
            .escape(syntax.escape)
            .double_quote(true)
            .build();
        Tokenizer {
            syntax,
            limits,
            fast: syntax.escape.is_none(),
            scanner: Tokenizer::scannable(syntax),
            scan: Scan::default(),
            core,
            core_fresh: true,
            state: State::Between,
            lines: Lines::default(),
            record: RawRecord::default(),
            field: SlowField::default(),
            discard: vec![0; 4096],
        }
    }

    /// The same tokenizer, its first byte being on `line`.
    pub(crate) fn starting_at_line(mut self, line: u64) -> Self {
        self.lines.line = line;
        self
    }

    /// Reads `buf`, which starts at offset `base` of the decoded stream, calling `emit` for
    /// every record that ends in it, with the buffer its fields may point into.
    pub(crate) fn feed<F: FnMut(&RawRecord, &[u8])>(
        &mut self,
        buf: &[u8],
        base: u64,
        map: &mut OffsetMap,
        emit: &mut F,
    ) {
        let mut pos = 0;
        self.scan.reset();
        while pos < buf.len() {
            pos = match self.state {
                State::Between => self.between(buf, pos, base, map, emit),
                State::Comment => self.comment(buf, pos),
                State::Slow => self.slow(buf, pos, base, map, emit),
            };
        }
        map.sync(buf, base);
    }

    /// Ends the input at stream offset `end`, emitting the record still open, if any.
    pub(crate) fn finish<F: FnMut(&RawRecord, &[u8])>(
        &mut self,
        end: u64,
        map: &mut OffsetMap,
        emit: &mut F,
    ) {
        if self.state == State::Slow {
            self.finish_slow(end, map);
            emit(&self.record, &[]);
        }
        self.state = State::Between;
    }

    fn between<F: FnMut(&RawRecord, &[u8])>(
        &mut self,
        buf: &[u8],
        pos: usize,
        base: u64,
        map: &mut OffsetMap,
        emit: &mut F,
    ) -> usize {
        let from = pos;
        let pos = self.skip_terminators(buf, pos);
        let Some(&first) = buf.get(pos) else {
            return pos;
        };
        if Some(first) == self.syntax.comment {
            self.state = State::Comment;
            return pos + 1;
        }
        if self.scanner {
            let saved = *map;
            if let Some(end) = self.scanned_record(buf, from, pos, base, map) {
                emit(&self.record, buf);
                return end;
            }
            *map = saved;
        }
        if self.fast {
            let saved = *map;
            let end = match self.borrowed_record(buf, pos, base, map) {
                Fast::Done(end) => Some(end),
                Fast::Copy => {
                    *map = saved;
                    self.copied_record(buf, pos, base, map)
                }
                Fast::Slow => None,
            };
            if let Some(end) = end {
                emit(&self.record, buf);
                return end;
            }
            *map = saved;
        }
        self.begin_slow(pos, base, buf, map);
        pos
    }

    fn skip_terminators(&mut self, buf: &[u8], mut pos: usize) -> usize {
        while let Some(&b) = buf.get(pos) {
            if b != b'\n' && b != b'\r' {
                break;
            }
            self.lines.byte(b);
            pos += 1;
        }
        pos
    }

    /// Skips the rest of a comment line, which CR, LF or CRLF ends as it would end a record
    /// (the LF of a CRLF is then skipped between records).
    fn comment(&mut self, buf: &[u8], pos: usize) -> usize {
        let rest = buf.get(pos..).unwrap_or_default();
        match memchr::memchr2(b'\n', b'\r', rest) {
            Some(i) => {
                self.lines.advance(rest.get(..=i).unwrap_or_default());
                self.state = State::Between;
                pos + i + 1
            }
            None => {
                self.lines.advance(rest);
                buf.len()
            }
        }
    }

    /// Where stream offset `pos` (in `buf`, which starts at `base`) is in the input.
    fn position(&self, map: &mut OffsetMap, pos: u64, buf: &[u8], base: u64) -> Position {
        Position { byte: map.orig(pos, buf, base), line: self.lines.line }
    }
}

/// Line counting where CR, LF and CRLF each end one line, as they each end a record.
#[derive(Clone, Copy, Debug)]
struct Lines {
    /// The current line, from 1.
    line: u64,
    /// The last byte seen was CR, so an LF now ends no new line.
    after_cr: bool,
}

impl Default for Lines {
    fn default() -> Self {
        Lines { line: 1, after_cr: false }
    }
}

impl Lines {
    /// Counts the line ends in `bytes`, which follow the bytes seen so far.
    fn advance(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else { return };
        for i in memchr::memchr2_iter(b'\r', b'\n', bytes) {
            let prev_cr = match i.checked_sub(1) {
                Some(p) => bytes.get(p) == Some(&b'\r'),
                None => self.after_cr,
            };
            let crlf_tail = bytes.get(i) == Some(&b'\n') && prev_cr;
            self.line += u64::from(!crlf_tail);
        }
        self.after_cr = last == b'\r';
    }

    /// Counts one byte.
    fn byte(&mut self, b: u8) {
        let ends_line = b == b'\r' || (b == b'\n' && !self.after_cr);
        self.line += u64::from(ends_line);
        self.after_cr = b == b'\r';
    }
}

#[cfg(test)]
mod tests;
