//! The structural scanner: a record that lies whole in the buffer, read 64 bytes at a time.
//!
//! Each block of 64 bytes becomes bitmasks (bit `i` for byte `i`) of delimiters, quotes and line
//! ends (CR, LF), built with plain comparisons over a `[u8; 64]` that the compiler vectorises.
//! A prefix XOR of the quote mask marks the bytes inside quotes (the state carried from block to
//! block); delimiters and line ends outside quotes end fields and records, and the walk over
//! their set bits gives every field's span and position.
//!
//! The bitmasks express csv-core's semantics only while every quote opens a field or closes one
//! (a doubled quote being a close and an open): a quote inside an unquoted field, or bytes
//! after a closing quote, mean something else to csv-core, so such a record is handed back to
//! the `fast` path (which reads it exactly), as is a record that runs past the buffer or comes
//! near a limit. Doubled quotes are unescaped into the record's own data.

use super::{Lines, Syntax, Tokenizer};
use crate::decode::OffsetMap;
use crate::position::Position;
use crate::record::Text;

/// The block being walked, and where the last record the scanner read ended.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scan {
    block: Block,
    /// The offset after the last record read here: a record starting there, past line ends
    /// only, continues in `block`. `usize::MAX` when nothing is cached.
    resume: usize,
}

impl Default for Scan {
    fn default() -> Self {
        Scan { block: Block::default(), resume: usize::MAX }
    }
}

impl Scan {
    /// Forgets the block (a new buffer starts).
    pub(super) fn reset(&mut self) {
        self.resume = usize::MAX;
    }
}

/// One classified block of up to 64 bytes; walked bits are cleared.
#[derive(Clone, Copy, Debug, Default)]
struct Block {
    /// Offset in the buffer of its first byte.
    at: usize,
    /// Field ends: delimiters and line ends outside quotes.
    ends: u64,
    /// Quotes whose meaning the bitmasks cannot express (see the module's doc).
    odd: u64,
    /// The second quote of each doubled quote.
    doubled: u64,
    /// Line ends inside quotes that start a line (not the LF of a CRLF).
    quoted_lines: u64,
    carry: Carry,
}

/// What a block hands to the next one about its last byte.
#[derive(Clone, Copy, Debug, Default)]
struct Carry {
    in_quote: bool,
    /// A field end (or the record's start, before a block's first byte).
    end: bool,
    close: bool,
    cr: bool,
}

/// Bytes per block.
const WIDTH: usize = 64;

impl Block {
    /// Classifies the bytes of `buf` from `at` (up to 64 of them).
    fn new(buf: &[u8], at: usize, syntax: Syntax, carry: Carry) -> Block {
        let bytes = buf.get(at..).unwrap_or_default();
        let classes = match bytes.get(..WIDTH).and_then(|b| <&[u8; WIDTH]>::try_from(b).ok()) {
            Some(block) => classify(block, syntax),
            None => {
                let mut block = [0u8; WIDTH];
                block.get_mut(..bytes.len()).unwrap_or_default().copy_from_slice(bytes);
                classify(&block, syntax)
            }
        };
        let valid = if bytes.len() >= WIDTH { u64::MAX } else { (1u64 << bytes.len()) - 1 };
        let (separators, quotes) = (pack(&classes, 0) & valid, pack(&classes, 1) & valid);
        let in_quotes = prefix_xor(quotes) ^ if carry.in_quote { u64::MAX } else { 0 };
        let ends = separators & !in_quotes;
        let (opens, closes) = (quotes & in_quotes, quotes & !in_quotes);
        let after_end = (ends << 1) | u64::from(carry.end);
        let after_close = (closes << 1) | u64::from(carry.close);
        let before_end_or_open = (ends | opens) >> 1 | (1 << (WIDTH - 1));
        let odd_first = u64::from(carry.close) & !(ends | opens) & 1;
        // Line ends matter here only inside quotes: most blocks have none, and skip two masks.
        let (quoted_lines, cr) = match in_quotes {
            0 => (0, false),
            _ => quoted_line_ends(&classes, in_quotes & valid, carry.cr),
        };
        let last = |mask: u64| mask >> (WIDTH - 1) == 1;
        Block {
            at,
            ends,
            odd: (opens & !(after_end | after_close)) | (closes & !before_end_or_open) | odd_first,
            doubled: opens & after_close,
            quoted_lines,
            carry: Carry { in_quote: last(in_quotes), end: last(ends), close: last(closes), cr },
        }
    }

    /// The block after this one in `buf`, if `buf` goes on.
    fn next(&self, buf: &[u8], syntax: Syntax) -> Option<Block> {
        let at = self.at + WIDTH;
        (at < buf.len()).then(|| Block::new(buf, at, syntax, self.carry))
    }

    /// Clears the bits of the bytes before offset `to` of the buffer.
    fn skip_to(&mut self, to: usize) {
        let keep = match to.saturating_sub(self.at) {
            0 => u64::MAX,
            n if n >= WIDTH => 0,
            n => !((1u64 << n) - 1),
        };
        self.ends &= keep;
        self.odd &= keep;
        self.doubled &= keep;
        self.quoted_lines &= keep;
    }
}

/// Per byte, bit 0: delimiter or line end, 1: quote, 2: CR, 3: LF; one pass of comparisons.
fn classify(block: &[u8; WIDTH], syntax: Syntax) -> [u8; WIDTH] {
    let (delimiter, quote) = (syntax.delimiter, syntax.quote.unwrap_or(syntax.delimiter));
    let mut classes = [0u8; WIDTH];
    for (class, &b) in classes.iter_mut().zip(block) {
        let (cr, lf) = (b == b'\r', b == b'\n');
        *class = u8::from(b == delimiter || cr || lf)
            | u8::from(b == quote && b != delimiter) << 1
            | u8::from(cr) << 2
            | u8::from(lf) << 3;
    }
    classes
}

/// The line ends inside quotes that start a line (not the LF of a CRLF), and whether the
/// block's last byte is a CR.
fn quoted_line_ends(classes: &[u8; WIDTH], in_quotes: u64, cr_before: bool) -> (u64, bool) {
    let (crs, lfs) = (pack(classes, 2), pack(classes, 3));
    let lines = crs | (lfs & !((crs << 1) | u64::from(cr_before)));
    (lines & in_quotes, crs >> (WIDTH - 1) == 1)
}

/// Bit `plane` of each class byte, as a mask: eight bytes at a time, gathered by a multiply.
fn pack(classes: &[u8; WIDTH], plane: u32) -> u64 {
    let mut mask = 0;
    for (i, eight) in classes.chunks_exact(8).enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(eight);
        let bits = (u64::from_le_bytes(word) >> plane) & 0x0101_0101_0101_0101;
        mask |= (bits.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    mask
}

/// Bit `i` of the result is the XOR of bits `0..=i`: set from an opening quote up to, not
/// including, its closing quote.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

impl Tokenizer {
    /// Whether the scanner can read this dialect: no escape byte, and the delimiter and quote
    /// distinct and neither a line end.
    pub(super) fn scannable(syntax: Syntax) -> bool {
        let line_end = |b: u8| b == b'\r' || b == b'\n';
        syntax.escape.is_none()
            && !line_end(syntax.delimiter)
            && syntax.quote.is_none_or(|q| q != syntax.delimiter && !line_end(q))
    }

    /// Reads the record starting at `start` (reached from `from` past line ends only) into
    /// `self.record`; returns the offset after it, or `None` to leave the record to the other
    /// paths (then `self.lines` is unchanged).
    pub(super) fn scanned_record(
        &mut self,
        buf: &[u8],
        from: usize,
        start: usize,
        base: u64,
        map: &mut OffsetMap,
    ) -> Option<usize> {
        let mut block = self.block_at(buf, from, start);
        let stream_start = base + start as u64;
        let first = self.position(map, stream_start, buf, base);
        self.record.begin(first, stream_start);
        let (mut line, mut field_start, mut copy) = (self.lines.line, start, false);
        loop {
            if self.record.spans.len() >= self.limits.max_columns {
                return None;
            }
            let byte = map.orig(base + field_start as u64, buf, base);
            self.record.starts.push(Position { byte, line });
            let end = self.field_end(buf, &mut block, &mut line, &mut copy)?;
            let (raw, total) = (end - field_start, end - start);
            if raw > self.limits.max_field_bytes || total > self.limits.max_record_bytes {
                return None;
            }
            let quoted = self.syntax.quote.is_some() && buf.get(field_start).copied() == self.syntax.quote;
            let span = if quoted { (field_start + 1, end - 1) } else { (field_start, end) };
            self.record.spans.push((span.0 - start, span.1.max(span.0) - start));
            let terminator = *buf.get(end)?;
            field_start = end + 1;
            if terminator != self.syntax.delimiter {
                self.lines = Lines { line, after_cr: false };
                self.lines.byte(terminator);
                self.record.text = Text::Buffer { start, end };
                if copy {
                    self.unescape(buf);
                }
                self.scan = Scan { block, resume: field_start };
                return Some(field_start);
            }
        }
    }

    /// The block holding `start`: the one walked last when the previous record ended at
    /// `from`, otherwise a new one starting there.
    fn block_at(&self, buf: &[u8], from: usize, start: usize) -> Block {
        let cached = self.scan.block;
        if self.scan.resume == from && start < cached.at + WIDTH {
            let mut block = cached;
            block.skip_to(start);
            return block;
        }
        Block::new(buf, start, self.syntax, Carry { end: true, ..Carry::default() })
    }

    /// Walks to the next field end, counting the line ends inside quotes on the way; `None`
    /// when the buffer ends first or a quote means what the bitmasks cannot express.
    fn field_end(&self, buf: &[u8], block: &mut Block, line: &mut u64, copy: &mut bool) -> Option<usize> {
        loop {
            let events = block.ends | block.odd | block.doubled;
            if events == 0 {
                *line += u64::from(block.quoted_lines.count_ones());
                *block = block.next(buf, self.syntax)?;
                continue;
            }
            let bit = events.trailing_zeros();
            if block.quoted_lines != 0 {
                let before = (1u64 << bit) - 1;
                *line += u64::from((block.quoted_lines & before).count_ones());
                block.quoted_lines &= !before;
            }
            let this = 1u64 << bit;
            if block.odd & this != 0 {
                return None;
            }
            if block.doubled & this != 0 {
                *copy = true;
                block.doubled &= !this;
                continue;
            }
            block.ends &= !this;
            return Some(block.at + bit as usize);
        }
    }

    /// Copies the record's fields into its own data, each doubled quote made one.
    fn unescape(&mut self, buf: &[u8]) {
        let record = &mut self.record;
        let Text::Buffer { start, end } = record.text else { return };
        let source = buf.get(start..end).unwrap_or_default();
        record.data.clear();
        for span in &mut record.spans {
            let from = record.data.len();
            let mut content = source.get(span.0..span.1).unwrap_or_default();
            while let Some(q) = self.syntax.quote.and_then(|q| memchr::memchr(q, content)) {
                record.data.extend_from_slice(content.get(..=q).unwrap_or_default());
                content = content.get(q + 2..).unwrap_or_default();
            }
            record.data.extend_from_slice(content);
            *span = (from, record.data.len());
        }
        record.text = Text::Data;
    }
}
