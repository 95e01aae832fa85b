//! What a caller can choose about reading a file; everything left unset is detected.

use crate::dialect::{Dialect, one_ascii};
use crate::error::ConfigError;
use crate::limits::Limits;
use encoding_rs::Encoding;
use serde::{Deserialize, Deserializer};

/// Options for a [`Reader`](super::Reader). The defaults detect everything.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ReaderOptions {
    /// An encoding label (`"utf-8"`, `"windows-1252"`, `"shift_jis"`, …; any WHATWG label);
    /// overrides detection.
    pub encoding: Option<String>,
    /// The encoding used when the start of the file is not valid UTF-8 (`windows-1252`).
    pub fallback_encoding: String,
    /// The delimiter; sniffed when unset.
    #[serde(deserialize_with = "de_ascii")]
    pub delimiter: Option<u8>,
    /// The quote character, or none; sniffed when unset.
    pub quote: QuoteChoice,
    /// An escape byte inside quotes (as `\"`); none by default.
    #[serde(deserialize_with = "de_ascii")]
    pub escape: Option<u8>,
    /// Lines starting with this byte are skipped; none by default.
    #[serde(deserialize_with = "de_ascii")]
    pub comment: Option<u8>,
    /// Which record is the header.
    pub header: HeaderChoice,
    /// What to do with a row that has fewer fields than the header.
    pub short_rows: ShortRows,
    /// What to do with a row that has more fields than the header.
    pub long_rows: LongRows,
    /// Skip rows whose fields are all empty or blank (as spreadsheets export below the data).
    pub skip_empty_rows: bool,
    /// Read a file without data rows (empty, or a header only) as a file of 0 rows; by default
    /// it is an `empty_file` or `no_data_rows` error.
    pub allow_empty: bool,
    /// Limits on field size, record size and columns.
    pub limits: Limits,
    /// How many bytes at the start are looked at to detect the encoding and dialect (64 KiB).
    pub sniff_bytes: usize,
    /// The sheet of a workbook to read, by name; unset, the first visible worksheet with a
    /// value (or, when none has one, the first hidden one). (A header given as [`HeaderChoice::Row`] counts the sheet's rows as the
    /// spreadsheet numbers them.)
    pub sheet: Option<String>,
    /// Give the sink no row numbered past this (a preview, or a grid's block). A workbook is
    /// read no further than the next row, so a preview of a large workbook costs its first rows,
    /// not all of them (and its counts stop there); a file with data rows is never taken for one
    /// without, even with 0.
    pub stop_after_rows: Option<u64>,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            encoding: None,
            fallback_encoding: "windows-1252".to_owned(),
            delimiter: None,
            quote: QuoteChoice::Detect,
            escape: None,
            comment: None,
            header: HeaderChoice::Detect,
            short_rows: ShortRows::Error,
            long_rows: LongRows::Error,
            skip_empty_rows: true,
            allow_empty: false,
            limits: Limits::default(),
            sniff_bytes: 64 * 1024,
            sheet: None,
            stop_after_rows: None,
        }
    }
}

/// The quote character.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum QuoteChoice {
    /// Sniff it (`"` unless the file clearly uses `'`).
    #[default]
    Detect,
    /// Quotes have no meaning.
    None,
    /// This byte.
    Byte(u8),
}

/// Which record holds the column names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderChoice {
    /// Sniff it: the first record with the usual field count, if it looks like a header.
    #[default]
    Detect,
    /// There is none: columns are named `column_1`, `column_2`, ….
    None,
    /// Record number N (1-based); the records before it are skipped.
    Row(u64),
}

/// Rows with fewer fields than the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ShortRows {
    /// The row carries a `too_few_fields` problem.
    #[default]
    Error,
    /// The missing fields read as empty.
    Pad,
}

/// Rows with more fields than the header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LongRows {
    /// The row carries a `too_many_fields` problem.
    #[default]
    Error,
    /// The extra fields are kept, as columns named `column_N` after the header's.
    Keep,
}

impl<'de> Deserialize<'de> for QuoteChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        match text.as_deref() {
            None | Some("none") => Ok(QuoteChoice::None),
            Some("detect") => Ok(QuoteChoice::Detect),
            Some(t) => one_ascii(t).map(QuoteChoice::Byte).map_err(serde::de::Error::custom),
        }
    }
}

impl<'de> Deserialize<'de> for HeaderChoice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Word(String),
            Row(u64),
        }
        match Raw::deserialize(d)? {
            Raw::Word(w) if w == "detect" => Ok(HeaderChoice::Detect),
            Raw::Word(w) if w == "none" => Ok(HeaderChoice::None),
            Raw::Row(n) if n >= 1 => Ok(HeaderChoice::Row(n)),
            _ => Err(serde::de::Error::custom("expected \"detect\", \"none\" or a row number from 1")),
        }
    }
}

fn de_ascii<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    text.map(|t| one_ascii(&t)).transpose().map_err(serde::de::Error::custom)
}

/// Options checked and resolved once, before reading.
#[derive(Clone, Debug)]
pub(crate) struct Resolved {
    pub(crate) label: Option<&'static Encoding>,
    pub(crate) fallback: &'static Encoding,
    pub(crate) options: ReaderOptions,
}

impl ReaderOptions {
    /// Checks the options: known encoding labels, distinct special bytes, sane limits.
    pub(crate) fn resolve(&self) -> Result<Resolved, ConfigError> {
        let label = self.encoding.as_deref().map(|l| encoding("encoding", l)).transpose()?;
        let fallback = encoding("fallbackEncoding", &self.fallback_encoding)?;
        let probe = Dialect {
            delimiter: self.delimiter.unwrap_or(b','),
            // A detected quote is `"` unless the delimiter is one.
            quote: match self.quote {
                QuoteChoice::Byte(b) => Some(b),
                QuoteChoice::Detect => Some(b'"'),
                QuoteChoice::None => None,
            },
            escape: self.escape,
            comment: self.comment,
            ..Dialect::default()
        };
        probe.check().map_err(|why| ConfigError::option("dialect", why))?;
        self.check_limits()?;
        Ok(Resolved { label, fallback, options: self.clone() })
    }

    fn check_limits(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        let checks = [
            ("limits.maxFieldBytes", l.max_field_bytes >= 1),
            ("limits.maxRecordBytes", l.max_record_bytes >= 1),
            ("limits.maxColumns", l.max_columns >= 1),
            ("sniffBytes", self.sniff_bytes >= 1),
        ];
        match checks.iter().find(|(_, ok)| !ok) {
            Some((name, _)) => Err(ConfigError::option(name, "must be at least 1".to_owned())),
            None => Ok(()),
        }
    }
}

fn encoding(field: &str, label: &str) -> Result<&'static Encoding, ConfigError> {
    let found = Encoding::for_label(label.trim().as_bytes());
    // The replacement encoding turns every input into a single U+FFFD; it is never what a
    // user asking for ISO-2022-KR and friends wants.
    found.filter(|e| e.name() != "replacement").ok_or_else(|| {
        ConfigError::option(
            field,
            format!(
                "unknown encoding label {label:?} (use a WHATWG label such as \"utf-8\" or \"windows-1252\")"
            ),
        )
    })
}
