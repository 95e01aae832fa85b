//! Bytes to UTF-8: which encoding a file uses and why (here), streaming transcoding
//! (`transcode`), and the map from decoded offsets back to original ones (`offsets`).

mod offsets;
mod transcode;

pub(crate) use offsets::OffsetMap;
pub(crate) use transcode::Transcoder;
pub use transcode::{Decode, DecoderFactory, set_host_decoders};

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The encoding a file is read with, and why it was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncodingChoice {
    /// The encoding, by its WHATWG name (`UTF-8`, `UTF-16LE`, `windows-1252`, …).
    #[serde(serialize_with = "serialize_encoding", deserialize_with = "deserialize_encoding")]
    pub encoding: &'static Encoding,
    /// Why it was chosen.
    pub reason: EncodingReason,
    /// Length of the byte order mark at the start of the file (0 when there is none).
    pub bom_len: u8,
}

/// Why an encoding was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EncodingReason {
    /// The file starts with this encoding's byte order mark.
    ByteOrderMark,
    /// The caller named the encoding.
    Label,
    /// The first `checked` bytes are valid UTF-8.
    ValidUtf8 {
        /// How many bytes were checked.
        checked: u64,
    },
    /// NUL bytes in every other position of the first `checked` bytes: UTF-16 without a
    /// byte order mark.
    NulPattern {
        /// How many bytes were checked.
        checked: u64,
    },
    /// The byte at offset `at` is not valid UTF-8, so the fallback encoding is used.
    InvalidUtf8 {
        /// Offset of the first byte that is not valid UTF-8.
        at: u64,
    },
    /// The file is a workbook, whose text the spreadsheet reader decodes.
    Workbook,
}

impl EncodingChoice {
    /// A workbook's: its cells' text is handed on as UTF-8.
    pub fn workbook() -> Self {
        EncodingChoice { encoding: UTF_8, reason: EncodingReason::Workbook, bom_len: 0 }
    }

    /// The encoding's WHATWG name.
    pub fn name(&self) -> &'static str {
        self.encoding.name()
    }

    /// Chooses the encoding of a file from its first bytes.
    ///
    /// `window` is the start of the file; `complete` says whether it is the whole file (so a
    /// multibyte character cut at its end is an error rather than a cut). A `label` always
    /// wins; otherwise a byte order mark, then a UTF-16 NUL pattern, then UTF-8 validity, then
    /// `fallback`.
    pub fn detect(
        window: &[u8],
        complete: bool,
        label: Option<&'static Encoding>,
        fallback: &'static Encoding,
    ) -> EncodingChoice {
        if let Some(encoding) = label {
            let bom_len = match Encoding::for_bom(window) {
                Some((found, len)) if found == encoding => len,
                _ => 0,
            };
            return EncodingChoice::new(encoding, EncodingReason::Label, bom_len);
        }
        if let Some((encoding, len)) = Encoding::for_bom(window) {
            return EncodingChoice::new(encoding, EncodingReason::ByteOrderMark, len);
        }
        let checked = window.len() as u64;
        if let Some(encoding) = utf16_by_nul_pattern(window) {
            return EncodingChoice::new(encoding, EncodingReason::NulPattern { checked }, 0);
        }
        match first_invalid_utf8(window, complete) {
            None => EncodingChoice::new(UTF_8, EncodingReason::ValidUtf8 { checked }, 0),
            Some(at) => EncodingChoice::new(fallback, EncodingReason::InvalidUtf8 { at }, 0),
        }
    }

    fn new(encoding: &'static Encoding, reason: EncodingReason, bom_len: usize) -> Self {
        let bom_len = u8::try_from(bom_len).unwrap_or(0);
        EncodingChoice { encoding, reason, bom_len }
    }
}

impl std::fmt::Display for EncodingChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self.name();
        match self.reason {
            EncodingReason::ByteOrderMark => write!(f, "{name} (byte order mark)"),
            EncodingReason::Label => write!(f, "{name} (chosen explicitly)"),
            EncodingReason::ValidUtf8 { checked } => {
                write!(f, "{name} (the first {checked} bytes are valid UTF-8)")
            }
            EncodingReason::NulPattern { checked } => {
                write!(f, "{name} (NUL bytes in every other position of the first {checked} bytes)")
            }
            EncodingReason::InvalidUtf8 { at } => {
                write!(f, "{name} (fallback: byte {at} is not valid UTF-8)")
            }
            EncodingReason::Workbook => f.write_str("a workbook (its cells are Unicode)"),
        }
    }
}

fn serialize_encoding<S: Serializer>(encoding: &&'static Encoding, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(encoding.name())
}

fn deserialize_encoding<'de, D: Deserializer<'de>>(d: D) -> Result<&'static Encoding, D::Error> {
    let name = String::deserialize(d)?;
    Encoding::for_label(name.as_bytes())
        .ok_or_else(|| serde::de::Error::custom(format!("unknown encoding {name:?}")))
}

/// Offset of the first byte that is not valid UTF-8; a character cut at the end of an
/// incomplete window is not an error.
fn first_invalid_utf8(window: &[u8], complete: bool) -> Option<u64> {
    match std::str::from_utf8(window) {
        Ok(_) => None,
        Err(e) if e.error_len().is_none() && !complete => None,
        Err(e) => Some(e.valid_up_to() as u64),
    }
}

/// UTF-16 text that is mostly ASCII has a NUL in every other byte; no other text does.
fn utf16_by_nul_pattern(window: &[u8]) -> Option<&'static Encoding> {
    let sample = window.get(..4096).unwrap_or(window);
    let pairs = sample.len() / 2;
    if pairs < 8 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let many = |n: usize| n * 10 >= pairs * 4;
    let few = |n: usize| n * 20 <= pairs;
    if many(odd) && few(even) {
        Some(UTF_16LE)
    } else if many(even) && few(odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{SHIFT_JIS, WINDOWS_1252};

    fn detect(bytes: &[u8]) -> EncodingChoice {
        EncodingChoice::detect(bytes, true, None, WINDOWS_1252)
    }

    #[test]
    fn byte_order_marks_are_recognised() {
        let cases: &[(&[u8], &str, u8)] = &[
            (b"\xEF\xBB\xBFa,b", "UTF-8", 3),
            (b"\xFF\xFEa\0,\0", "UTF-16LE", 2),
            (b"\xFE\xFF\0a\0,", "UTF-16BE", 2),
        ];
        for &(bytes, name, bom_len) in cases {
            let choice = detect(bytes);
            assert_eq!((choice.name(), choice.bom_len), (name, bom_len));
            assert_eq!(choice.reason, EncodingReason::ByteOrderMark);
        }
    }

    #[test]
    fn valid_utf8_is_utf8_and_invalid_utf8_falls_back() {
        let choice = detect("nom,prénom\n".as_bytes());
        assert_eq!(choice.name(), "UTF-8");
        assert_eq!(choice.reason, EncodingReason::ValidUtf8 { checked: 12 });
        let choice = detect(b"nom,pr\xe9nom\n");
        assert_eq!(choice.name(), "windows-1252");
        assert_eq!(choice.reason, EncodingReason::InvalidUtf8 { at: 6 });
    }

    #[test]
    fn a_character_cut_at_the_end_of_the_window_is_not_invalid() {
        let bytes = "ab,é".as_bytes();
        let cut = &bytes[..bytes.len() - 1];
        let choice = EncodingChoice::detect(cut, false, None, WINDOWS_1252);
        assert_eq!(choice.name(), "UTF-8");
        let choice = EncodingChoice::detect(cut, true, None, WINDOWS_1252);
        assert_eq!(choice.name(), "windows-1252");
    }

    #[test]
    fn utf16_without_bom_is_found_by_its_nul_pattern() {
        let le: Vec<u8> = "name,age\nAnna,31\n".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = "name,age\nAnna,31\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(detect(&le).name(), "UTF-16LE");
        assert_eq!(detect(&be).name(), "UTF-16BE");
        assert!(matches!(detect(&le).reason, EncodingReason::NulPattern { .. }));
    }

    #[test]
    fn a_label_overrides_and_strips_only_its_own_bom() {
        let choice = EncodingChoice::detect(b"\xEF\xBB\xBFab", true, Some(WINDOWS_1252), UTF_8);
        assert_eq!((choice.name(), choice.bom_len), ("windows-1252", 0));
        let choice = EncodingChoice::detect(b"\xEF\xBB\xBFab", true, Some(UTF_8), UTF_8);
        assert_eq!((choice.name(), choice.bom_len, choice.reason), ("UTF-8", 3, EncodingReason::Label));
    }

    #[test]
    #[cfg(feature = "encodings")]
    fn transcoding_survives_a_character_split_across_inputs() {
        let utf16: Vec<u8> = "é😀".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut t = Transcoder::new(UTF_16LE);
        let mut text = Vec::new();
        for (i, b) in utf16.iter().enumerate() {
            let piece = t.step(std::slice::from_ref(b), i + 1 == utf16.len());
            assert_eq!(piece.read, 1);
            text.extend_from_slice(piece.text);
        }
        assert_eq!(String::from_utf8(text).unwrap(), "é😀");
    }

    #[test]
    #[cfg(feature = "encodings")]
    fn offsets_map_back_to_original_bytes() {
        let cases: &[(&'static Encoding, &str, u8, u64)] =
            &[(WINDOWS_1252, "é,a", 0, 3), (UTF_16LE, "é😀a", 2, 2 + 2 + 4 + 2), (SHIFT_JIS, "日本a", 0, 5)];
        for &(encoding, text, bom_len, expected) in cases {
            let choice = EncodingChoice { encoding, reason: EncodingReason::Label, bom_len };
            let mut map = OffsetMap::new(&choice);
            let buf = text.as_bytes();
            assert_eq!(map.orig(buf.len() as u64, buf, 0), expected, "{}", encoding.name());
        }
    }

    #[test]
    fn offsets_map_across_buffers() {
        let choice = EncodingChoice { encoding: WINDOWS_1252, reason: EncodingReason::Label, bom_len: 0 };
        let mut map = OffsetMap::new(&choice);
        let first = "éé".as_bytes();
        assert_eq!(map.orig(2, first, 0), 1);
        map.sync(first, 0);
        let second = "aé".as_bytes();
        assert_eq!(map.orig(5, second, 4), 3);
    }
}
