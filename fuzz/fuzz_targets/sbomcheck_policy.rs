//! Policy YAML parsing: never panics; errors name what was expected.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Err(e) = otproof_sbomcheck::Policy::from_yaml(text) {
            assert!(e.to_string().contains("expected"));
        }
    }
});
