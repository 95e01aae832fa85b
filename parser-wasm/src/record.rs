//! A record as the tokenizer produces it, and the structural problems a record can carry.

use crate::position::Position;
use serde::Serialize;

/// A problem with the shape of a record, found while reading it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// A quoted field was still open at the end of the input.
    UnterminatedQuote {
        /// Index of the field (0-based).
        field: usize,
        /// Where the quote opened.
        opened: Position,
    },
    /// A field was larger than the limit; its content is dropped.
    FieldTooLarge {
        /// Index of the field (0-based).
        field: usize,
        /// The limit in bytes.
        limit: usize,
        /// Where the field's quote opened, when the field is quoted: a field this large is
        /// usually a quote that was never closed.
        quote_opened: Option<Position>,
    },
    /// The record was larger than the limit; the fields from `field` on are dropped.
    RecordTooLarge {
        /// Index of the first field dropped.
        field: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The record has more fields than the limit; the extra fields are dropped.
    TooManyColumns {
        /// The limit.
        limit: usize,
    },
    /// The record has fewer fields than the header.
    TooFewFields {
        /// Fields expected (the header's width).
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// The record has more fields than the header.
    TooManyFields {
        /// Fields expected (the header's width).
        expected: usize,
        /// Fields found.
        found: usize,
    },
    /// A field's bytes are not valid in the file's encoding; they were replaced with U+FFFD.
    InvalidEncoding {
        /// Index of the field (0-based).
        field: usize,
    },
    /// A spreadsheet cell holds a formula's error (`#N/A`, `#DIV/0!`, …) rather than a value.
    FormulaError {
        /// Index of the field (0-based).
        field: usize,
        /// The error as the spreadsheet shows it.
        error: String,
    },
}

impl Problem {
    /// The stable code of this problem.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::UnterminatedQuote { .. } => "unterminated_quote",
            Problem::FieldTooLarge { .. } => "field_too_large",
            Problem::RecordTooLarge { .. } => "record_too_large",
            Problem::TooManyColumns { .. } => "too_many_columns",
            Problem::TooFewFields { .. } => "too_few_fields",
            Problem::TooManyFields { .. } => "too_many_fields",
            Problem::InvalidEncoding { .. } => "invalid_encoding",
            Problem::FormulaError { .. } => "formula_error",
        }
    }

    /// The field the problem is about, when it is about one field.
    pub fn field(&self) -> Option<usize> {
        match *self {
            Problem::UnterminatedQuote { field, .. }
            | Problem::FieldTooLarge { field, .. }
            | Problem::RecordTooLarge { field, .. }
            | Problem::InvalidEncoding { field }
            | Problem::FormulaError { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::UnterminatedQuote { opened, .. } => write!(
                f,
                "the quote opened at {opened} is never closed, so the rest of the file was read \
                 as one field; close the quote or remove it"
            ),
            Problem::FieldTooLarge { limit, quote_opened: Some(opened), .. } => write!(
                f,
                "the quoted field starting at {opened} is larger than {limit} bytes; its closing \
                 quote is probably missing"
            ),
            Problem::FieldTooLarge { limit, quote_opened: None, .. } => {
                write!(f, "the field is larger than {limit} bytes; split or shorten it")
            }
            Problem::RecordTooLarge { limit, .. } => {
                write!(f, "the row is larger than {limit} bytes; its remaining fields were dropped")
            }
            Problem::TooManyColumns { limit } => {
                write!(f, "the row has more than {limit} fields; the extra fields were dropped")
            }
            Problem::TooFewFields { expected, found } => {
                write!(f, "the row has {found} fields but the header has {expected}")
            }
            Problem::TooManyFields { expected, found } => {
                write!(f, "the row has {found} fields but the header has {expected}")
            }
            Problem::InvalidEncoding { .. } => write!(
                f,
                "the field has bytes that are not valid in the file's encoding (replaced with \
                 \u{FFFD}); choose the file's encoding in the settings"
            ),
            Problem::FormulaError { error, .. } => write!(
                f,
                "the cell shows the error {error} rather than a value; fix the formula in the \
                 spreadsheet, or type the value here"
            ),
        }
    }
}

/// One record: where its fields' bytes are, where each field starts, and its problems.
#[derive(Debug, Default)]
pub(crate) struct RawRecord {
    /// Field bytes that had to be copied (unescaped quotes, or a record read by csv-core).
    pub(crate) data: Vec<u8>,
    /// Where the fields' bytes are.
    pub(crate) text: Text,
    /// Each field's bytes, as a range of the text.
    pub(crate) spans: Vec<(usize, usize)>,
    /// Where each field starts in the input.
    pub(crate) starts: Vec<Position>,
    /// Where the record starts in the input.
    pub(crate) start: Position,
    /// Where the record starts in the decoded stream.
    pub(crate) stream_start: u64,
    /// What went wrong while reading it.
    pub(crate) problems: Vec<Problem>,
}

/// Where a record's field bytes are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Text {
    /// In the record's own `data`.
    #[default]
    Data,
    /// In the buffer the record was read from, bytes `start..end` (fields need no unescaping).
    Buffer { start: usize, end: usize },
}

impl RawRecord {
    /// Empties the record for reuse, keeping its buffers.
    pub(crate) fn begin(&mut self, start: Position, stream_start: u64) {
        self.data.clear();
        self.text = Text::Data;
        self.spans.clear();
        self.starts.clear();
        self.problems.clear();
        self.start = start;
        self.stream_start = stream_start;
    }

    /// The bytes the spans index: the record's part of `buf`, or its own data.
    pub(crate) fn source<'a>(&'a self, buf: &'a [u8]) -> &'a [u8] {
        match self.text {
            Text::Data => &self.data,
            Text::Buffer { start, end } => buf.get(start..end).unwrap_or_default(),
        }
    }

    /// The bytes of field `i` (`buf` is the buffer the record was read from).
    pub(crate) fn field<'a>(&'a self, buf: &'a [u8], i: usize) -> &'a [u8] {
        let Some(&(start, end)) = self.spans.get(i) else { return &[] };
        self.source(buf).get(start..end).unwrap_or_default()
    }

    /// The number of fields.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }
}
