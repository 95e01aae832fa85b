//! Streaming transcoding of non-UTF-8 input into UTF-8, one bounded piece at a time, by a
//! decoder the host provides (the browser's `TextDecoder` in the WebAssembly build) or by
//! encoding_rs (the `encodings` feature, on natively).

use encoding_rs::Encoding;
use std::sync::OnceLock;

/// How many input bytes one transcoding step takes, which bounds the decoded buffer.
const PIECE: usize = 64 * 1024;

/// Decodes bytes of one encoding into UTF-8, keeping a character cut between two calls.
pub trait Decode {
    /// Appends the UTF-8 of all of `input` to `out` (`last`: the input ends here); returns
    /// whether malformed input was replaced with U+FFFD.
    fn decode(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>) -> bool;
}

/// Makes a decoder for an encoding, or `None` when it cannot.
pub type DecoderFactory = fn(&'static Encoding) -> Option<Box<dyn Decode>>;

static HOST: OnceLock<DecoderFactory> = OnceLock::new();

/// Installs the host's decoders, used from then on for every non-UTF-8 input (once per
/// process; returns false when decoders were installed already).
pub fn set_host_decoders(factory: DecoderFactory) -> bool {
    HOST.set(factory).is_ok()
}

fn decoder(encoding: &'static Encoding) -> Box<dyn Decode> {
    let host = HOST.get().and_then(|make| make(encoding));
    #[cfg(feature = "encodings")]
    let host = host.or_else(|| {
        Some(Box::new(RsDecoder(encoding.new_decoder_without_bom_handling())) as Box<dyn Decode>)
    });
    // Without any decoder (a build with neither), bytes read as Latin-1 rather than not at all.
    host.unwrap_or_else(|| Box::new(Latin1))
}

/// encoding_rs's decoder.
#[cfg(feature = "encodings")]
struct RsDecoder(encoding_rs::Decoder);

#[cfg(feature = "encodings")]
impl Decode for RsDecoder {
    fn decode(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let need = self.0.max_utf8_buffer_length(input.len()).unwrap_or(input.len() * 3 + 16);
        out.resize(start + need, 0);
        let (_, _, written, replaced) =
            self.0.decode_to_utf8(input, out.get_mut(start..).unwrap_or_default(), last);
        out.truncate(start + written);
        replaced
    }
}

/// Bytes as the code points U+0000–U+00FF.
struct Latin1;

impl Decode for Latin1 {
    fn decode(&mut self, input: &[u8], _: bool, out: &mut Vec<u8>) -> bool {
        let mut text = String::with_capacity(input.len() * 2);
        text.extend(input.iter().map(|&b| char::from(b)));
        out.extend_from_slice(text.as_bytes());
        false
    }
}

/// Streaming transcoding into a reusable buffer.
pub(crate) struct Transcoder {
    inner: Box<dyn Decode>,
    out: Vec<u8>,
    /// Offset in the decoded stream of the next byte `step` produces.
    pos: u64,
}

/// One transcoded piece.
pub(crate) struct Piece<'a> {
    /// Input bytes consumed.
    pub(crate) read: usize,
    /// The decoded text.
    pub(crate) text: &'a [u8],
    /// Offset of `text` in the decoded stream.
    pub(crate) base: u64,
    /// Whether malformed input was replaced with U+FFFD in this piece.
    pub(crate) replaced: bool,
}

impl Transcoder {
    pub(crate) fn new(encoding: &'static Encoding) -> Self {
        Transcoder { inner: decoder(encoding), out: Vec::new(), pos: 0 }
    }

    /// The stream offset of the next decoded byte.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// Decodes up to one piece of `input`; `last` says the input ends with it.
    pub(crate) fn step(&mut self, input: &[u8], last: bool) -> Piece<'_> {
        let take = input.len().min(PIECE);
        let last = last && take == input.len();
        let input = input.get(..take).unwrap_or(input);
        self.out.clear();
        let replaced = self.inner.decode(input, last, &mut self.out);
        let base = self.pos;
        self.pos += self.out.len() as u64;
        Piece { read: take, text: &self.out, base, replaced }
    }
}
