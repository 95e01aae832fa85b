//! The fast paths, for a record that lies whole in the buffer, with exactly csv-core's
//! semantics (doubled quotes, bytes after a closing quote joining the field, quotes inside
//! unquoted fields kept as they are).
//!
//! The borrowed path splits the record with `memchr` and records where each field is in the
//! buffer, copying nothing; it hands over to the copying path when a quoted field needs
//! unescaping. Either gives up, leaving the record to csv-core, when the record runs past the
//! end of the buffer or would cross a limit.

use super::{Lines, Syntax, Tokenizer};
use crate::decode::OffsetMap;
use crate::position::Position;
use crate::record::Text;

/// What the borrowed path did.
pub(super) enum Fast {
    /// The record is read; the next record starts here.
    Done(usize),
    /// A field needs unescaping: the copying path must read the record.
    Copy,
    /// The record must go to csv-core.
    Slow,
}

impl Tokenizer {
    /// Reads the record starting at `start` into `self.record` without copying its fields.
    /// Unless it returns `Done`, `self.lines` is unchanged.
    pub(super) fn borrowed_record(
        &mut self,
        buf: &[u8],
        start: usize,
        base: u64,
        map: &mut OffsetMap,
    ) -> Fast {
        let stream_start = base + start as u64;
        let first = self.position(map, stream_start, buf, base);
        self.record.begin(first, stream_start);
        let mut lines = Lines { after_cr: false, ..self.lines };
        let (mut i, mut total) = (start, 0);
        loop {
            if self.record.spans.len() >= self.limits.max_columns {
                return Fast::Slow;
            }
            let byte = map.orig(base + i as u64, buf, base);
            self.record.starts.push(Position { byte, line: lines.line });
            let (from, to, next) = match self.borrowed_field(buf, i, &mut lines) {
                Ok(field) => field,
                Err(fast) => return fast,
            };
            total += to - from;
            if to - from > self.limits.max_field_bytes || total > self.limits.max_record_bytes {
                return Fast::Slow;
            }
            self.record.spans.push((from - start, to - start));
            let Some(&terminator) = buf.get(next) else { return Fast::Slow };
            i = next + 1;
            if terminator != self.syntax.delimiter {
                lines.byte(terminator);
                self.lines = lines;
                self.record.text = Text::Buffer { start, end: next };
                return Fast::Done(i);
            }
        }
    }

    /// Finds the field starting at `i`: its content `from..to` and the offset of the byte
    /// that ends it.
    fn borrowed_field(&self, buf: &[u8], i: usize, lines: &mut Lines) -> Result<(usize, usize, usize), Fast> {
        let syntax = self.syntax;
        let first = *buf.get(i).ok_or(Fast::Slow)?;
        if ends_field(syntax, first) {
            return Ok((i, i, i));
        }
        if Some(first) != syntax.quote {
            let rest = buf.get(i..).unwrap_or_default();
            let j = memchr::memchr3(syntax.delimiter, b'\n', b'\r', rest).ok_or(Fast::Slow)?;
            return Ok((i, i + j, i + j));
        }
        let rest = buf.get(i + 1..).unwrap_or_default();
        let close = i + 1 + memchr::memchr(first, rest).ok_or(Fast::Slow)?;
        let after = *buf.get(close + 1).ok_or(Fast::Slow)?;
        if !ends_field(syntax, after) {
            return Err(Fast::Copy);
        }
        lines.advance(buf.get(i + 1..close).unwrap_or_default());
        lines.after_cr = false;
        Ok((i + 1, close, close + 1))
    }

    /// Reads the record starting at `start` into `self.record`, copying and unescaping its
    /// fields; returns the offset after it, or `None` to leave the record to csv-core (then
    /// `self.lines` is unchanged).
    pub(super) fn copied_record(
        &mut self,
        buf: &[u8],
        start: usize,
        base: u64,
        map: &mut OffsetMap,
    ) -> Option<usize> {
        let stream_start = base + start as u64;
        let first = self.position(map, stream_start, buf, base);
        self.record.begin(first, stream_start);
        let mut lines = Lines { after_cr: false, ..self.lines };
        let mut i = start;
        loop {
            if self.record.spans.len() >= self.limits.max_columns {
                return None;
            }
            let byte = map.orig(base + i as u64, buf, base);
            self.record.starts.push(Position { byte, line: lines.line });
            let field_start = self.record.data.len();
            let (end, terminator) = self.copied_field(buf, i, &mut lines)?;
            self.record.spans.push((field_start, self.record.data.len()));
            i = end + 1;
            if terminator != self.syntax.delimiter {
                lines.byte(terminator);
                self.lines = lines;
                return Some(i);
            }
        }
    }

    /// Copies one field starting at `i`; returns the offset of the byte that ends it and that
    /// byte (the delimiter or a line terminator).
    fn copied_field(&mut self, buf: &[u8], i: usize, lines: &mut Lines) -> Option<(usize, u8)> {
        let syntax = self.syntax;
        let field_start = self.record.data.len();
        let room = self.limits.max_field_bytes.min(self.limits.max_record_bytes.saturating_sub(field_start));
        let budget = field_start + room;
        let data = &mut self.record.data;
        let mut i = i;
        if syntax.quote.is_some() && buf.get(i).copied() == syntax.quote {
            i = quoted(buf, i + 1, syntax, data, budget, lines)?;
        }
        let end = unquoted(buf, i, syntax, data, budget)?;
        Some((end, *buf.get(end)?))
    }
}

fn ends_field(syntax: Syntax, b: u8) -> bool {
    b == syntax.delimiter || b == b'\n' || b == b'\r'
}
/// Copies the content of a quoted field whose opening quote is just before `i`; returns the
/// offset after the closing quote.
fn quoted(
    buf: &[u8],
    mut i: usize,
    syntax: Syntax,
    data: &mut Vec<u8>,
    budget: usize,
    lines: &mut Lines,
) -> Option<usize> {
    let quote = syntax.quote?;
    loop {
        let rest = buf.get(i..)?;
        let q = memchr::memchr(quote, rest)?;
        let content = rest.get(..q)?;
        if data.len() + content.len() > budget {
            return None;
        }
        lines.advance(content);
        lines.after_cr = false;
        data.extend_from_slice(content);
        let after = i + q + 1;
        if *buf.get(after)? != quote {
            return Some(after);
        }
        if data.len() >= budget {
            return None;
        }
        data.push(quote);
        i = after + 1;
    }
}

/// Copies unquoted bytes from `i` up to the delimiter or line terminator; returns its offset.
fn unquoted(buf: &[u8], i: usize, syntax: Syntax, data: &mut Vec<u8>, budget: usize) -> Option<usize> {
    let rest = buf.get(i..)?;
    let first = *rest.first()?;
    if ends_field(syntax, first) {
        return Some(i);
    }
    let j = memchr::memchr3(syntax.delimiter, b'\n', b'\r', rest)?;
    let content = rest.get(..j)?;
    if data.len() + content.len() > budget {
        return None;
    }
    data.extend_from_slice(content);
    Some(i + j)
}
