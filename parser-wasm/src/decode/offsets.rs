//! The map from offsets in the decoded text back to offsets in the original bytes.

use super::EncodingChoice;
use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};

/// Maps offsets in the decoded stream to offsets in the original bytes.
///
/// UTF-8 input is not transcoded, so its stream offsets are the original ones. For other
/// encodings the map walks forward through the decoded text counting how many original bytes
/// each character took, which is exact for single-byte encodings and UTF-16. For the multibyte
/// legacy encodings (Shift_JIS, EUC-KR, GBK, Big5, …) each character's width is found by
/// encoding it again (with the `encodings` feature: exact for well-formed input, approximate
/// after a malformed sequence or an ISO-2022-JP escape), or, without the feature (the
/// WebAssembly build, which decodes with the browser), as two bytes per non-ASCII character,
/// which is right for most of them.
#[derive(Clone, Copy)]
pub(crate) struct OffsetMap {
    width: Width,
    stream: u64,
    orig: u64,
}

#[derive(Clone, Copy)]
enum Width {
    Identity,
    SingleByte,
    Utf16,
    Reencoded(&'static Encoding),
}

impl OffsetMap {
    /// The map for UTF-8 input, whose offsets need no mapping.
    #[cfg(test)]
    pub(crate) fn identity() -> Self {
        OffsetMap { width: Width::Identity, stream: 0, orig: 0 }
    }

    /// The map for a file read with `choice`.
    pub(crate) fn new(choice: &EncodingChoice) -> Self {
        let encoding = choice.encoding;
        let width = if encoding == UTF_8 {
            Width::Identity
        } else if encoding == UTF_16LE || encoding == UTF_16BE {
            Width::Utf16
        } else if encoding.is_single_byte() {
            Width::SingleByte
        } else {
            Width::Reencoded(encoding)
        };
        let orig = u64::from(choice.bom_len);
        OffsetMap { width, stream: 0, orig }
    }

    /// The original offset of stream offset `pos`, which lies in `buf` (starting at stream
    /// offset `base`) and is not before any offset mapped earlier.
    #[inline(always)]
    pub(crate) fn orig(&mut self, pos: u64, buf: &[u8], base: u64) -> u64 {
        if let Width::Identity = self.width {
            return pos;
        }
        self.counted(pos, buf, base)
    }

    #[inline(never)]
    fn counted(&mut self, pos: u64, buf: &[u8], base: u64) -> u64 {
        let from = self.stream.saturating_sub(base) as usize;
        let to = pos.saturating_sub(base) as usize;
        let text = buf.get(from..to).unwrap_or_default();
        self.orig += self.width.count(text);
        self.stream = self.stream.max(pos);
        self.orig
    }

    /// The map for a part of a file read with `choice` that starts at original offset `byte`.
    /// UTF-8 needs no map (its stream offsets are the original ones); for the others the stream
    /// starts at 0 there.
    pub(crate) fn starting_at(choice: &EncodingChoice, byte: u64) -> Self {
        let mut map = OffsetMap::new(choice);
        map.orig = byte;
        map
    }

    /// Accounts for all of `buf` before the caller lets go of it.
    pub(crate) fn sync(&mut self, buf: &[u8], base: u64) {
        self.orig(base + buf.len() as u64, buf, base);
    }
}

impl Width {
    fn count(self, text: &[u8]) -> u64 {
        let chars = || text.iter().filter(|&&b| !is_continuation(b)).count() as u64;
        match self {
            Width::Identity => text.len() as u64,
            Width::SingleByte => chars(),
            Width::Utf16 => 2 * chars() + 2 * text.iter().filter(|&&b| b >= 0xF0).count() as u64,
            Width::Reencoded(encoding) => reencoded_len(encoding, text),
        }
    }
}

fn is_continuation(b: u8) -> bool {
    (0x80..0xC0).contains(&b)
}

#[cfg(feature = "encodings")]
fn reencoded_len(encoding: &'static Encoding, text: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(text);
    let mut total = 0u64;
    let mut buf = [0u8; 4];
    for c in text.chars() {
        total += if c.is_ascii() {
            1
        } else {
            let (bytes, _, _) = encoding.encode(c.encode_utf8(&mut buf));
            bytes.len().max(1) as u64
        };
    }
    total
}

#[cfg(not(feature = "encodings"))]
fn reencoded_len(_: &'static Encoding, text: &[u8]) -> u64 {
    let chars = text.iter().filter(|&&b| !is_continuation(b)).count() as u64;
    let ascii = text.iter().filter(|b| b.is_ascii()).count() as u64;
    ascii + 2 * (chars - ascii)
}
