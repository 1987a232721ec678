//! OSV record parsing: never panics; a parsed record evaluates versions without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otproof_vulndb::osv;

fuzz_target!(|data: &[u8]| {
    if let Ok(adv) = osv::parse(data) {
        for a in &adv.affected {
            let _ = osv::affects(a, "1.0.0");
            for r in &a.ranges {
                for e in &r.events {
                    let _ = osv::affects(a, e.value());
                }
            }
        }
        assert!(!adv.id.trim().is_empty());
    }
});
