//! Canonical record parsing and JCS: never panic; a parsed record re-canonicalises to its bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = otproof_evidence::parse_canonical(data) {
        assert_eq!(r.canonical_json().ok().as_deref().map(str::as_bytes), Some(data));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = otproof_evidence::jcs::canonicalize_str(text);
    }
});
