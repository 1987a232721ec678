//! The X.509 DER parsing path every Sigstore certificate takes: never panics on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = otproof_sigstore::parse_certificate(data);
});
