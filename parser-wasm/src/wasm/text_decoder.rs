//! Decoding non-UTF-8 input with the host's `TextDecoder` (browsers and Node implement every
//! WHATWG encoding natively), so the module carries no encoding tables.

use crate::decode::Decode;
use encoding_rs::Encoding;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    type TextDecoder;

    #[wasm_bindgen(constructor, catch)]
    fn new(label: &str, options: &JsValue) -> Result<TextDecoder, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn decode(this: &TextDecoder, input: &[u8], options: &JsValue) -> Result<String, JsValue>;
}

/// A host decoder with its two option objects, made once.
struct HostDecoder {
    inner: TextDecoder,
    stream: JsValue,
    end: JsValue,
}

/// The host's decoder for `encoding`, if it has one.
pub(super) fn make(encoding: &'static Encoding) -> Option<Box<dyn Decode>> {
    let options = object(&[("fatal", false), ("ignoreBOM", true)]);
    let inner = TextDecoder::new(encoding.name(), &options).ok()?;
    let (stream, end) = (object(&[("stream", true)]), object(&[("stream", false)]));
    Some(Box::new(HostDecoder { inner, stream, end }))
}

fn object(fields: &[(&str, bool)]) -> JsValue {
    let object = js_sys::Object::new();
    for &(key, value) in fields {
        // Setting a property on a new plain object cannot fail.
        let _ = js_sys::Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_bool(value));
    }
    object.into()
}

impl Decode for HostDecoder {
    fn decode(&mut self, input: &[u8], last: bool, out: &mut Vec<u8>) -> bool {
        let options = if last { &self.end } else { &self.stream };
        let text = self.inner.decode(input, options).unwrap_or_default();
        out.extend_from_slice(text.as_bytes());
        // TextDecoder reports malformed input only as U+FFFD in its output.
        text.contains('\u{FFFD}')
    }
}
