//! SL vector parsing: never panics; whatever parses displays and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_catalog::SlVector;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(v) = text.parse::<SlVector>() {
            assert!(v.levels().iter().all(|l| *l <= 4));
            assert_eq!(v.to_string().parse::<SlVector>(), Ok(v));
        }
    }
});
