//! Sigstore bundle parsing: `Bundle::from_json` never panics on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = otproof_sigstore::Bundle::from_json(data) {
        let _ = b.media_type();
    }
});
