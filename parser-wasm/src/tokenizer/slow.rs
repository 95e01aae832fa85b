//! The csv-core path: a record read field by field across any number of buffers, with the
//! positions, quote tracking and limits that csv-core alone does not give.

use super::{State, Tokenizer};
use crate::decode::OffsetMap;
use crate::position::Position;
use crate::record::{Problem, RawRecord};
use csv_core::ReadFieldResult;

/// Most output room given to csv-core in one call.
const STEP: usize = 16 * 1024;
/// Output room given for a field's first call; it doubles while csv-core fills it, up to `STEP`.
const FIRST_STEP: usize = 256;

/// The field csv-core is reading.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct SlowField {
    /// The field's first byte has not been seen yet.
    start_pending: bool,
    /// Where the field starts in the record's data.
    data_start: usize,
    /// Where the field starts in the input.
    at: Position,
    quote: Quoting,
    /// The field crossed a limit: its bytes are read and dropped.
    dropped: bool,
    /// The field is past the column limit: not stored at all.
    extra: bool,
    /// Output room for the next call: small at first, so that each short field of a wide row
    /// does not cost zeroing a large room.
    step: usize,
}

/// Where a field is with respect to its quotes, tracked on the bytes csv-core consumed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Quoting {
    /// Nothing of the field read yet.
    #[default]
    Start,
    /// Not quoted, or past its quoted part.
    Unquoted,
    /// Inside quotes.
    Open,
    /// Inside quotes, just after the escape byte.
    Escaped,
    /// Just after a quote inside quotes: closing, or the first half of a doubled quote.
    AfterQuote,
}

impl Tokenizer {
    /// Starts reading the record at `pos` with csv-core.
    pub(super) fn begin_slow(&mut self, pos: usize, base: u64, buf: &[u8], map: &mut OffsetMap) {
        let stream_start = base + pos as u64;
        let start = self.position(map, stream_start, buf, base);
        self.record.begin(start, stream_start);
        self.field = SlowField { start_pending: true, ..SlowField::default() };
        self.state = State::Slow;
    }

    /// Feeds csv-core from `pos` until the record ends or the buffer does; returns the offset
    /// reached.
    pub(super) fn slow<F: FnMut(&RawRecord, &[u8])>(
        &mut self,
        buf: &[u8],
        mut pos: usize,
        base: u64,
        map: &mut OffsetMap,
        emit: &mut F,
    ) -> usize {
        while let Some(rest) = buf.get(pos..).filter(|r| !r.is_empty()) {
            if self.field.start_pending {
                let at = self.position(map, base + pos as u64, buf, base);
                self.start_field(at);
            }
            let input = if self.core_fresh { rest.get(..1).unwrap_or(rest) } else { rest };
            self.core_fresh = false;
            let (result, nin) = self.read_field(input);
            self.track(input.get(..nin).unwrap_or_default());
            self.check_limits();
            pos += nin;
            if let ReadFieldResult::Field { record_end } = result {
                self.end_field();
                if record_end {
                    self.state = State::Between;
                    emit(&self.record, buf);
                    return pos;
                }
                self.field.start_pending = true;
            }
        }
        pos
    }

    /// Ends the record at the end of the input (stream offset `end`).
    pub(super) fn finish_slow(&mut self, end: u64, map: &mut OffsetMap) {
        if self.field.start_pending {
            let at = self.position(map, end, &[], end);
            self.start_field(at);
        }
        if let (ReadFieldResult::Field { .. }, _, _) = self.core.read_field(&[], &mut []) {
            self.end_field();
        }
        if matches!(self.field.quote, Quoting::Open | Quoting::Escaped) {
            let field = self.record.len().saturating_sub(1);
            self.record.problems.push(Problem::UnterminatedQuote { field, opened: self.field.at });
        }
    }

    fn start_field(&mut self, at: Position) {
        let extra = self.record.len() >= self.limits.max_columns;
        if extra && !self.field.extra {
            let limit = self.limits.max_columns;
            self.record.problems.push(Problem::TooManyColumns { limit });
        }
        if !extra {
            self.record.starts.push(at);
        }
        let data_start = self.record.data.len();
        self.field = SlowField {
            start_pending: false,
            data_start,
            at,
            quote: Quoting::Start,
            dropped: extra,
            extra,
            step: FIRST_STEP,
        };
    }

    fn end_field(&mut self) {
        if !self.field.extra {
            self.record.spans.push((self.field.data_start, self.record.data.len()));
        }
    }

    /// One csv-core call, writing at most one byte past a limit, which is then detected.
    fn read_field(&mut self, input: &[u8]) -> (ReadFieldResult, usize) {
        if self.field.dropped {
            let (result, nin, _) = self.core.read_field(input, &mut self.discard);
            return (result, nin);
        }
        let data = &mut self.record.data;
        let len = data.len();
        let field_room = self.limits.max_field_bytes.saturating_sub(len - self.field.data_start);
        let record_room = self.limits.max_record_bytes.saturating_sub(len);
        // Room grows a step at a time (csv-core reports a full output and is called again), so
        // a field that ends early never costs zeroing the whole input's length.
        let room = input.len().min(field_room + 1).min(record_room + 1).min(self.field.step);
        data.resize(len + room, 0);
        let (result, nin, nout) = self.core.read_field(input, data.get_mut(len..).unwrap_or_default());
        data.truncate(len + nout);
        if nout == room {
            self.field.step = (self.field.step * 2).clamp(FIRST_STEP, STEP);
        }
        (result, nin)
    }

    /// Drops the field's bytes when it has crossed the field or the record limit.
    fn check_limits(&mut self) {
        if self.field.dropped {
            return;
        }
        let len = self.record.data.len();
        let field_len = len - self.field.data_start;
        let limits = self.limits;
        let field = self.record.len();
        let problem = if field_len > limits.max_field_bytes {
            let quote_opened = (self.field.quote != Quoting::Unquoted).then_some(self.field.at);
            Problem::FieldTooLarge { field, limit: limits.max_field_bytes, quote_opened }
        } else if len > limits.max_record_bytes {
            Problem::RecordTooLarge { field, limit: limits.max_record_bytes }
        } else {
            return;
        };
        self.record.data.truncate(self.field.data_start);
        self.field.dropped = true;
        let repeated = matches!(problem, Problem::RecordTooLarge { .. })
            && self.record.problems.iter().any(|p| matches!(p, Problem::RecordTooLarge { .. }));
        if !repeated {
            self.record.problems.push(problem);
        }
    }

    /// Follows lines and the field's quote state over the bytes csv-core consumed.
    fn track(&mut self, mut bytes: &[u8]) {
        self.lines.advance(bytes);
        let (quote, escape) = (self.syntax.quote, self.syntax.escape);
        while let Some((&b, rest)) = bytes.split_first() {
            let state = self.field.quote;
            self.field.quote = match state {
                Quoting::Unquoted => return,
                Quoting::Start | Quoting::AfterQuote if Some(b) == quote => Quoting::Open,
                Quoting::Start | Quoting::AfterQuote => Quoting::Unquoted,
                Quoting::Escaped => Quoting::Open,
                Quoting::Open => {
                    let Some(i) = find_quote_or_escape(bytes, quote, escape) else {
                        return;
                    };
                    bytes = bytes.get(i..).unwrap_or_default();
                    let at = bytes.first().copied();
                    bytes = bytes.get(1..).unwrap_or_default();
                    self.field.quote = if at == quote { Quoting::AfterQuote } else { Quoting::Escaped };
                    continue;
                }
            };
            bytes = rest;
        }
    }
}

fn find_quote_or_escape(bytes: &[u8], quote: Option<u8>, escape: Option<u8>) -> Option<usize> {
    match (quote, escape) {
        (Some(q), Some(e)) => memchr::memchr2(q, e, bytes),
        (Some(q), None) => memchr::memchr(q, bytes),
        (None, _) => None,
    }
}
