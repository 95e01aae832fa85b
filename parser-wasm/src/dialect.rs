//! The CSV dialect: delimiter, quoting, comments and line endings.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How a CSV file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dialect {
    /// The byte between fields: `,`, `;`, tab or `|` when sniffed; any ASCII byte when chosen.
    #[serde(with = "ascii_char")]
    pub delimiter: u8,
    /// The quote byte, or `None` when quotes have no meaning.
    #[serde(with = "ascii_char_opt")]
    pub quote: Option<u8>,
    /// A byte that escapes the next byte inside quotes (as `\"`), in addition to doubled quotes.
    #[serde(with = "ascii_char_opt")]
    pub escape: Option<u8>,
    /// Lines starting with this byte are skipped.
    #[serde(with = "ascii_char_opt")]
    pub comment: Option<u8>,
    /// The line ending the file mostly uses, for information: CR, LF and CRLF each end a record
    /// and a line whatever this says.
    pub line_ending: LineEnding,
}

impl Default for Dialect {
    fn default() -> Self {
        Dialect {
            delimiter: b',',
            quote: Some(b'"'),
            escape: None,
            comment: None,
            line_ending: LineEnding::Lf,
        }
    }
}

impl Dialect {
    /// Checks that the special bytes are ASCII, distinct and not line terminators.
    pub(crate) fn check(&self) -> Result<(), String> {
        let named = [
            ("delimiter", Some(self.delimiter)),
            ("quote", self.quote),
            ("escape", self.escape),
            ("comment", self.comment),
        ];
        for (i, (name, byte)) in named.iter().enumerate() {
            let Some(b) = *byte else { continue };
            if !b.is_ascii() || b == b'\r' || b == b'\n' {
                return Err(format!("the {name} must be one ASCII character other than CR or LF"));
            }
            if let Some((other, _)) = named[..i].iter().find(|(_, o)| *o == Some(b)) {
                return Err(format!("the {name} and the {other} must differ"));
            }
        }
        Ok(())
    }
}

/// Line endings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LineEnding {
    /// `\n`
    Lf,
    /// `\r\n`
    CrLf,
    /// `\r` alone (old Mac files)
    Cr,
}

/// Serialises an ASCII byte as a one-character string.
mod ascii_char {
    use super::*;

    pub(super) fn serialize<S: Serializer>(b: &u8, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&char::from(*b).to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
        let text = String::deserialize(d)?;
        one_ascii(&text).map_err(serde::de::Error::custom)
    }
}

/// Serialises an optional ASCII byte as a one-character string or null.
mod ascii_char_opt {
    use super::*;

    pub(super) fn serialize<S: Serializer>(b: &Option<u8>, s: S) -> Result<S::Ok, S::Error> {
        match b {
            Some(b) => s.serialize_str(&char::from(*b).to_string()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
        let text = Option::<String>::deserialize(d)?;
        text.map(|t| one_ascii(&t)).transpose().map_err(serde::de::Error::custom)
    }
}

/// Reads a one-character ASCII string (`"\t"` and the word `"tab"` both mean tab).
pub(crate) fn one_ascii(text: &str) -> Result<u8, String> {
    if text.eq_ignore_ascii_case("tab") {
        return Ok(b'\t');
    }
    match text.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(format!("expected one ASCII character, found {} bytes", text.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialect_round_trips_through_json() {
        let d = Dialect { delimiter: b'\t', comment: Some(b'#'), ..Dialect::default() };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            r##"{"delimiter":"\t","quote":"\"","escape":null,"comment":"#","lineEnding":"lf"}"##
        );
        assert_eq!(serde_json::from_str::<Dialect>(&json).unwrap(), d);
    }

    #[test]
    fn conflicting_special_bytes_are_refused() {
        let d = Dialect { delimiter: b'"', ..Dialect::default() };
        assert_eq!(d.check().unwrap_err(), "the quote and the delimiter must differ");
        let d = Dialect { delimiter: b'\n', ..Dialect::default() };
        assert!(d.check().unwrap_err().contains("other than CR or LF"));
        assert!(Dialect::default().check().is_ok());
    }
}
