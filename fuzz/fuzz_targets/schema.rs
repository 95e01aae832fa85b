//! Random text as a schema in JSON and TOML: loading never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_parser::schema::Schema;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Schema::from_json(text);
        let _ = Schema::from_toml(text);
    }
});
