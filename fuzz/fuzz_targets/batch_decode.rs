//! Random bytes as a batch: decoding never panics, and a batch that decodes yields its rows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sluice_parser::batch::Batch;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = Batch::decode(data) {
        assert_eq!(batch.rows().count(), batch.row_count as usize);
    }
});
