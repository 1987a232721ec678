//! Bundle reading and verification: never panics on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = otproof_store::bundle::verify(data, None);
});
