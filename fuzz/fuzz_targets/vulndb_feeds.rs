//! KEV catalog and NVD CVE 2.0 feed parsing: never panics on any JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_vulndb::{kev, nvd};

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if kev::looks_like(&v) {
        let _ = kev::parse(&v);
    }
    if nvd::looks_like(&v) {
        if let Some(items) = v.get("vulnerabilities").and_then(|x| x.as_array()) {
            for item in items {
                let _ = nvd::parse_item(item);
            }
        }
    }
    let _ = nvd::parse_item(&v);
});
