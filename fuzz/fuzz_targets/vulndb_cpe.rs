//! CPE parsing (2.3 formatted strings and 2.2 URIs): never panics; a parsed CPE always has a
//! concrete product.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_vulndb::cpe::{Cpe, CpeValue};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cpe) = Cpe::parse(text) {
            assert!(matches!(cpe.product, CpeValue::Value(_)));
        }
    }
});
